// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The audit journal: rows read back from SQLite, every column checked (docs/journal.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "gate/core/journal_internal.h"

/* Column readers that refuse a wrong SQLite type or an out-of-range value. */
bool journal_col_int(sqlite3_stmt *s, int i, int64_t min, int64_t max,
		     int64_t *v)
{
	if (sqlite3_column_type(s, i) != SQLITE_INTEGER)
		return false;
	*v = sqlite3_column_int64(s, i);
	return *v >= min && *v <= max;
}

/* Any 64-bit pattern into a __u64 or uint64_t lvalue. */
#define col_u64(s, i, dst) ({						\
	int64_t x_;							\
	bool ok_ = journal_col_int(s, i, INT64_MIN, INT64_MAX, &x_);		\
	if (ok_)							\
		dst = x_;						\
	ok_;								\
})

static bool col_u32(sqlite3_stmt *s, int i, uint32_t *v)
{
	int64_t x;

	if (!journal_col_int(s, i, 0, UINT32_MAX, &x))
		return false;
	*v = x;
	return true;
}

bool journal_col_blob(sqlite3_stmt *s, int i, size_t len, void *out)
{
	const void *p;

	if (sqlite3_column_type(s, i) != SQLITE_BLOB)
		return false;
	p = sqlite3_column_blob(s, i);
	if ((size_t)sqlite3_column_bytes(s, i) != len)
		return false;
	memcpy(out, p, len);
	return true;
}

bool journal_col_null(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL;
}

static int bad_field(char *why, size_t len, const char *field)
{
	snprintf(why, len, "%s has the wrong type or is out of range", field);
	return -1;
}

/* One row of SELECT EVENT_COLUMNS; -1 with @why for a malformed one. */
int journal_read_event_row(sqlite3_stmt *s, struct passgate_journal_row *r,
			   uint32_t *gate, char *why, size_t len)
{
	struct passgate_event *ev = &r->event;
	int64_t v;
	int i;

	memset(r, 0, sizeof(*r));
	if (!journal_col_int(s, 0, 1, INT64_MAX, &v))
		return bad_field(why, len, "pos");
	r->pos = v;
	if (!journal_col_int(s, 1, 1, UINT32_MAX, &v))
		return bad_field(why, len, "stream");
	r->stream = v;
	if (!col_u64(s, 2, ev->seq))
		return bad_field(why, len, "seq");
	if (!col_u32(s, 3, gate))
		return bad_field(why, len, "gate");
	if (!col_u64(s, 4, ev->time_ns))
		return bad_field(why, len, "time_ns");
	if (!journal_col_int(s, 5, INT64_MIN, INT64_MAX, &r->stored_ns))
		return bad_field(why, len, "stored_ns");
	if (!col_u32(s, 6, &ev->type))
		return bad_field(why, len, "type");
	ev->lane = PASSGATE_LANE_NONE;
	if (!journal_col_null(s, 7) &&
	    !journal_col_int(s, 7, 0, PASSGATE_LANE_NONE - 1, &v))
		return bad_field(why, len, "lane");
	if (!journal_col_null(s, 7))
		ev->lane = v;
	if (!col_u32(s, 8, &ev->arg))
		return bad_field(why, len, "arg");
	if (!col_u64(s, 9, ev->value))
		return bad_field(why, len, "value");
	if (!journal_col_blob(s, 10, sizeof(ev->data), ev->data))
		return bad_field(why, len, "data");
	if (!journal_col_blob(s, 17, HASH_SIZE, r->hash))
		return bad_field(why, len, "hash");

	if (ev->type != PASSGATE_EV_VERDICT) {
		for (i = 11; i <= 16; i++)
			if (!journal_col_null(s, i))
				return bad_field(why, len,
						 sqlite3_column_name(s, i));
		return 0;
	}
	/* Reserved bytes come from data; the rest from the columns. */
	memcpy(&r->verdict, ev->data, sizeof(r->verdict));
	if (!col_u64(s, 11, r->verdict.received_ns))
		return bad_field(why, len, "received_ns");
	if (!col_u64(s, 12, r->verdict.decided_ns))
		return bad_field(why, len, "decided_ns");
	if (!col_u64(s, 13, r->verdict.actuated_ns))
		return bad_field(why, len, "actuated_ns");
	if (!journal_col_int(s, 14, 0, UINT8_MAX, &v))
		return bad_field(why, len, "reason");
	r->verdict.reason = v;
	if (!journal_col_int(s, 15, 0, UINT8_MAX, &v))
		return bad_field(why, len, "direction");
	r->verdict.direction = v;
	if (!journal_col_int(s, 16, 0, UINT8_MAX, &v))
		return bad_field(why, len, "fast");
	r->verdict.fast = v;
	return 0;
}


/* One row of SELECT MARK_COLUMNS. */
int journal_read_mark_row(sqlite3_stmt *s, struct journal_mark *m, char *why,
			  size_t len)
{
	int64_t v;
	int i;

	memset(m, 0, sizeof(*m));
	if (!journal_col_int(s, 0, 1, INT64_MAX, &v))
		return bad_field(why, len, "pos");
	m->pos = v;
	if (!journal_col_int(s, 1, PASSGATE_JOURNAL_REC_STREAM,
			     PASSGATE_JOURNAL_REC_CHECKPOINT, &v))
		return bad_field(why, len, "kind");
	m->kind = v;
	if (!journal_col_int(s, 2, INT64_MIN, INT64_MAX, &m->stored_ns))
		return bad_field(why, len, "stored_ns");
	m->ck.stored_ns = m->stored_ns;
	if (!journal_col_int(s, 3, m->kind == PASSGATE_JOURNAL_REC_STREAM, UINT32_MAX,
			     &v))
		return bad_field(why, len, "stream");
	m->ck.at.stream = v;
	if (!journal_col_blob(s, 4, ID_SIZE, m->ck.at.id))
		return bad_field(why, len, "stream_id");
	if (!journal_col_blob(s, 10, HASH_SIZE, m->hash))
		return bad_field(why, len, "hash");

	if (m->kind == PASSGATE_JOURNAL_REC_STREAM) {
		for (i = 5; i <= 9; i++)
			if (!journal_col_null(s, i))
				return bad_field(why, len,
						 sqlite3_column_name(s, i));
		return 0;
	}
	if (!journal_col_int(s, 5, 1, m->pos, &v))
		return bad_field(why, len, "keep_from_pos");
	m->ck.keep_from_pos = v;
	if (!journal_col_blob(s, 6, HASH_SIZE, m->ck.prev_hash))
		return bad_field(why, len, "prev_hash");
	if (!col_u64(s, 7, m->ck.at.next_seq))
		return bad_field(why, len, "next_seq");
	if (!journal_col_int(s, 8, 0, INT64_MAX, &v))
		return bad_field(why, len, "removed");
	m->ck.removed = v;
	if (!journal_col_int(s, 9, v, INT64_MAX, &v))
		return bad_field(why, len, "removed_total");
	m->ck.removed_total = v;
	return 0;
}
