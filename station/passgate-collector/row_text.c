// SPDX-License-Identifier: GPL-2.0-only
/*
 * A chain row's columns as text: parameters of the baseline's INSERT
 * (store_row.c) and lines of the batched COPY (store_copy.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "lib/libpassgate.h"
#include "row_text.h"

void row_text_bytea(char *out, const void *p, size_t len)
{
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 2 * len + 1, p, len);
}

static void field_u64(struct row_text *t, enum row_field f, uint64_t v)
{
	snprintf(t->num[f], sizeof(t->num[f]), "%" PRIu64, v);
	t->field[f] = t->num[f];
}

void row_text(struct row_text *t, const char *gate,
	      const struct passgate_chain_row *r)
{
	static const char *const kinds[] = {
		[PASSGATE_ROW_EVENT] = "event",
		[PASSGATE_ROW_STREAM] = "stream",
		[PASSGATE_ROW_CHECKPOINT] = "checkpoint",
	};
	const char *name;

	memset(t->field, 0, sizeof(t->field));
	t->field[F_GATE] = gate;
	field_u64(t, F_POS, r->pos);
	t->field[F_KIND] = kinds[r->kind];
	field_u64(t, F_STREAM, r->stream);
	snprintf(t->num[F_STORED_NS], sizeof(t->num[F_STORED_NS]), "%" PRId64,
		 r->stored_ns);
	t->field[F_STORED_NS] = t->num[F_STORED_NS];
	row_text_bytea(t->hash, r->hash, sizeof(r->hash));
	t->field[F_HASH] = t->hash;
	row_text_bytea(t->enc, r->enc, r->len);
	t->field[F_ENCODING] = t->enc;
	/* Marks have no event columns: NULL. */
	if (r->kind != PASSGATE_ROW_EVENT)
		return;
	field_u64(t, F_SEQ, r->seq);
	name = passgate_event_type_name(r->type);
	if (name)
		snprintf(t->type, sizeof(t->type), "%s", name);
	else
		snprintf(t->type, sizeof(t->type), "%" PRIu32, r->type);
	t->field[F_TYPE] = t->type;
	/* A gate-wide event has no lane. */
	if (r->lane != UINT32_MAX)
		field_u64(t, F_LANE, r->lane);
	field_u64(t, F_ARG, r->arg);
	field_u64(t, F_VALUE, r->value);
	field_u64(t, F_TIME_NS, r->time_ns);
	row_text_bytea(t->data, r->data, sizeof(r->data));
	t->field[F_DATA] = t->data;
}

/*
 * Tab between columns, \N for NULL, a backslash (bytea's "\x") doubled,
 * and the control characters COPY would take for its own escaped, though
 * no column here has one.
 */
size_t row_text_copy_line(char *out, size_t size, const struct row_text *t)
{
	size_t n = 0;
	int f;

	for (f = 0; f < F_COUNT; f++) {
		const char *s = t->field[f];

		if (n + 3 > size)
			return 0;
		if (f)
			out[n++] = '\t';
		if (!s) {
			out[n++] = '\\';
			out[n++] = 'N';
			continue;
		}
		for (; *s; s++) {
			if (n + 3 > size)
				return 0;
			if (*s == '\\' || *s == '\t' || *s == '\n' ||
			    *s == '\r') {
				out[n++] = '\\';
				out[n++] = *s == '\t' ? 't' : *s == '\n' ? 'n' :
					   *s == '\r' ? 'r' : '\\';
			} else {
				out[n++] = *s;
			}
		}
	}
	out[n++] = '\n';
	return n;
}
