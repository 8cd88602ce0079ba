/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a list file knows of the entries of each kind it may hold
 * (common/listfile.c): their size, the checks on one entry, their byte
 * order.  Internal to common/.  The digest is the first field of every
 * entry and the status the next: order and duplicates are checked once,
 * by the file, for every kind.
 */
#ifndef PASSGATE_LISTENTRY_H
#define PASSGATE_LISTENTRY_H

#include <stddef.h>
#include <stdint.h>

struct passgate_list_entries {
	const char *name;	/* "health codes", "tickets": for messages */
	size_t size;
	/*
	 * One entry (host byte order) of a list of @kind: "" in @msg, or
	 * why it is refused, starting with "entry @index:".
	 */
	void (*problem)(const void *entry, unsigned int kind, uint64_t index,
			char *msg, size_t len);
	void (*to_le)(void *out, const void *entry);
	void (*from_le)(void *entry);
};

extern const struct passgate_list_entries passgate_code_entries;
extern const struct passgate_list_entries passgate_ticket_entries;

/*
 * @field of @size bytes: printable ASCII (no blank) NUL-padded, at least
 * one character when @required.  0, or -1.
 */
int passgate_list_text_field(const uint8_t *field, size_t size,
			     int required);

#endif
