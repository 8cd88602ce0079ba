// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The entries of a list that holds train tickets (struct
 * passgate_ticket_entry): their checks and byte order.  The file around
 * them is common/listfile.c's.
 */
#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "allowlist.h"
#include "listentry.h"

int passgate_list_text_field(const uint8_t *field, size_t size, int required)
{
	size_t n = strnlen((const char *)field, size), i;

	if (required && !n)
		return -1;
	for (i = 0; i < n; i++)
		if (field[i] <= 0x20 || field[i] > 0x7e)
			return -1;
	for (; i < size; i++)
		if (field[i])
			return -1;
	return 0;
}

static void ticket_problem(const void *entry, unsigned int kind,
			   uint64_t index, char *msg, size_t len)
{
	static const struct passgate_ticket_entry bare;
	const struct passgate_ticket_entry *t = entry;

	*msg = '\0';
	if (t->status > PASSGATE_TICKET_ISSUED)
		snprintf(msg, len, "entry %" PRIu64 ": unknown ticket status %u",
			 index, t->status);
	else if (t->status == PASSGATE_STATUS_REMOVE &&
		 kind != PASSGATE_LIST_DELTA)
		snprintf(msg, len,
			 "entry %" PRIu64 ": status REMOVE in a full list", index);
	else if (t->status == PASSGATE_STATUS_REMOVE &&
		 memcmp((const uint8_t *)t + PASSGATE_LIST_DIGEST,
			(const uint8_t *)&bare + PASSGATE_LIST_DIGEST,
			sizeof(*t) - PASSGATE_LIST_DIGEST))
		snprintf(msg, len,
			 "entry %" PRIu64 ": a REMOVE entry carries only its digest",
			 index);
	else if (t->status == PASSGATE_STATUS_REMOVE)
		return;
	else if (t->flags & ~PASSGATE_TICKET_USED)
		snprintf(msg, len, "entry %" PRIu64 ": unknown flags 0x%02x",
			 index, t->flags & ~PASSGATE_TICKET_USED);
	else if (t->reserved[0] || t->reserved[1] || t->reserved2)
		snprintf(msg, len, "entry %" PRIu64 ": reserved bytes not zero",
			 index);
	else if (t->valid_until && t->valid_from > t->valid_until)
		snprintf(msg, len,
			 "entry %" PRIu64 ": valid_from %u is after valid_until %u",
			 index, t->valid_from, t->valid_until);
	else if (passgate_list_text_field(t->station, sizeof(t->station), 1))
		snprintf(msg, len, "entry %" PRIu64 ": station is not a "
			 "station code (printable ASCII, NUL-padded)", index);
	else if (passgate_list_text_field(t->ticket, sizeof(t->ticket), 1))
		snprintf(msg, len, "entry %" PRIu64 ": ticket number is not "
			 "printable ASCII, NUL-padded", index);
	else if (passgate_list_text_field(t->train, sizeof(t->train), 1))
		snprintf(msg, len, "entry %" PRIu64 ": train is not printable "
			 "ASCII, NUL-padded", index);
}

static void ticket_to_le(void *out, const void *entry)
{
	struct passgate_ticket_entry *o = out;

	*o = *(const struct passgate_ticket_entry *)entry;
	o->valid_from = htole32(o->valid_from);
	o->valid_until = htole32(o->valid_until);
	o->reserved2 = htole32(o->reserved2);
}

static void ticket_from_le(void *entry)
{
	struct passgate_ticket_entry *t = entry;

	t->valid_from = le32toh(t->valid_from);
	t->valid_until = le32toh(t->valid_until);
	t->reserved2 = le32toh(t->reserved2);
}

const struct passgate_list_entries passgate_ticket_entries = {
	.name = "tickets",
	.size = sizeof(struct passgate_ticket_entry),
	.problem = ticket_problem,
	.to_le = ticket_to_le,
	.from_le = ticket_from_le,
};
