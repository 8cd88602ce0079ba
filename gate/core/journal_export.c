// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The journal's rows as sealed batches for the station (common/batch.h):
 * events and marks in chain order, each checked against its stored hash,
 * up to a position the daemon sealed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "common/batch.h"
#include "gate/core/journal_internal.h"

/* The last seal in (@after, @until]: its position, or 0. */
static int export_seal(struct passgate_journal *j, uint64_t after,
		       uint64_t until, uint64_t *pos, uint8_t *seal)
{
	sqlite3_stmt *s;
	int rc;

	*pos = 0;
	s = journal_prepare(j, "SELECT pos, seal FROM seal WHERE pos > ?1 AND"
			    " pos <= ?2 ORDER BY pos DESC LIMIT 1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, until);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (!journal_col_blob(s, 1, PASSGATE_SEAL_SIZE, seal))
			rc = SQLITE_CORRUPT;
		else
			*pos = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_CORRUPT)
		return journal_fail(j, EBADMSG, "a malformed seal");
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return journal_sqlite_fail(j, "reading seals");
	return 0;
}

struct export_walk {
	struct passgate_journal *j;
	sqlite3_stmt *ev, *mk;
	int ev_rc, mk_rc;
	uint8_t prev[HASH_SIZE];
	uint8_t *out;
	size_t n;
};

/* Encode the row at @pos from whichever cursor holds it; check its hash. */
static int export_row(struct export_walk *w, uint64_t pos)
{
	struct passgate_journal *j = w->j;
	struct passgate_journal_row r;
	struct journal_encoding e;
	struct journal_mark m;
	uint8_t hash[HASH_SIZE];
	const uint8_t *stored;
	char why[128];
	uint32_t gate;

	if (w->ev_rc == SQLITE_ROW &&
	    (uint64_t)sqlite3_column_int64(w->ev, 0) == pos) {
		if (journal_read_event_row(w->ev, &r, &gate, why, sizeof(why)))
			return journal_fail(j, EBADMSG, "row %llu: %s",
					    (unsigned long long)pos, why);
		journal_encode_event(&e, pos, gate, r.stored_ns, r.stream,
				     &r.event);
		stored = r.hash;
		passgate_chain_hash(w->prev, e.b, e.n, hash);
		if (memcmp(hash, stored, HASH_SIZE))
			goto broken;
		w->ev_rc = sqlite3_step(w->ev);
	} else if (w->mk_rc == SQLITE_ROW &&
		   (uint64_t)sqlite3_column_int64(w->mk, 0) == pos) {
		if (journal_read_mark_row(w->mk, &m, why, sizeof(why)))
			return journal_fail(j, EBADMSG, "row %llu: %s",
					    (unsigned long long)pos, why);
		if (m.kind == PASSGATE_JOURNAL_REC_STREAM)
			journal_encode_stream(&e, pos, j->gate, m.stored_ns,
					      m.ck.at.stream, m.ck.at.id);
		else
			journal_encode_checkpoint(&e, pos, j->gate, &m.ck);
		passgate_chain_hash(w->prev, e.b, e.n, hash);
		if (memcmp(hash, m.hash, HASH_SIZE))
			goto broken;
		w->mk_rc = sqlite3_step(w->mk);
	} else {
		if ((w->ev_rc != SQLITE_ROW && w->ev_rc != SQLITE_DONE) ||
		    (w->mk_rc != SQLITE_ROW && w->mk_rc != SQLITE_DONE))
			return journal_sqlite_fail(j, "reading the journal");
		return journal_fail(j, EBADMSG, "no row at position %llu",
				    (unsigned long long)pos);
	}
	memcpy(w->out + w->n, e.b, e.n);
	w->n += e.n;
	memcpy(w->prev, hash, HASH_SIZE);
	return 0;

broken:
	return journal_fail(j, EBADMSG, "row %llu does not hash to its stored"
			    " hash", (unsigned long long)pos);
}

/*
 * The hash before @pos: the row at @pos - 1, or, when rotation removed
 * it, what the checkpoint that removed it says it was.
 */
static int export_prev(struct passgate_journal *j, uint64_t after,
		       uint8_t *prev)
{
	sqlite3_stmt *s;
	bool found;
	int rc;

	if (!after) {
		bool first;
		int64_t v;

		if (journal_query_int(j, "SELECT 1 FROM (SELECT pos FROM event"
				      " WHERE pos = 1 UNION ALL SELECT pos FROM"
				      " mark WHERE pos = 1)", NULL, &v, &first))
			return -1;
		if (!first)
			return journal_fail(j, ENOENT, "row 1 is no longer in"
					    " the journal");
		journal_genesis(j->gate, prev);
		return 0;
	}
	if (!journal_hash_at(j, after, prev))
		return 0;
	if (errno != EBADMSG)
		return -1;
	s = journal_prepare(j, "SELECT prev_hash FROM mark WHERE kind = 3 AND"
			    " keep_from_pos = ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, after + 1);
	rc = sqlite3_step(s);
	found = rc == SQLITE_ROW && journal_col_blob(s, 0, HASH_SIZE, prev);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return journal_sqlite_fail(j, "reading the journal");
	if (!found)
		return journal_fail(j, ENOENT, "row %llu is no longer in the"
				    " journal", (unsigned long long)after);
	return 0;
}

static int export_rows(struct passgate_journal *j, uint64_t after,
		       uint64_t last, uint8_t *buf, uint8_t *prev_out)
{
	struct export_walk w = { .j = j, .out = buf, .n = 0 };
	uint64_t pos;
	int ret;

	if (export_prev(j, after, w.prev))
		return -1;
	memcpy(prev_out, w.prev, HASH_SIZE);
	w.ev = journal_prepare(j, "SELECT " EVENT_COLUMNS " FROM event"
			       " WHERE pos > ?1 AND pos <= ?2 ORDER BY pos");
	w.mk = journal_prepare(j, "SELECT " MARK_COLUMNS " FROM mark"
			       " WHERE pos > ?1 AND pos <= ?2 ORDER BY pos");
	ret = -1;
	if (!w.ev || !w.mk)
		goto out;
	sqlite3_bind_int64(w.ev, 1, after);
	sqlite3_bind_int64(w.ev, 2, last);
	sqlite3_bind_int64(w.mk, 1, after);
	sqlite3_bind_int64(w.mk, 2, last);
	w.ev_rc = sqlite3_step(w.ev);
	w.mk_rc = sqlite3_step(w.mk);
	for (pos = after + 1; pos <= last; pos++)
		if (export_row(&w, pos))
			goto out;
	ret = (long)w.n;
out:
	sqlite3_finalize(w.ev);
	sqlite3_finalize(w.mk);
	return ret;
}

long passgate_journal_export(struct passgate_journal *j, uint64_t after_pos,
			     unsigned int max_rows, uint8_t *buf,
			     uint64_t *last)
{
	uint8_t seal[PASSGATE_SEAL_SIZE], prev[HASH_SIZE];
	uint64_t until;
	int n = 0, e;

	*last = 0;
	if (!buf || !max_rows || max_rows > PASSGATE_BATCH_ROWS_MAX ||
	    after_pos > INT64_MAX - PASSGATE_BATCH_ROWS_MAX)
		return journal_fail(j, EINVAL, "bad export arguments");
	/* A version 1 journal a writer has upgraded since this opened it. */
	if (!j->sealed_schema) {
		int64_t v;
		bool found;

		if (journal_query_int(j, "SELECT 1 FROM sqlite_schema WHERE"
				      " type = 'table' AND name = 'seal'", NULL,
				      &v, &found))
			return -1;
		if (!found)
			return 0;
		j->sealed_schema = true;
	}
	/* One snapshot: a commit in between cannot split the walk. */
	if (journal_exec(j, "BEGIN"))
		return -1;
	until = after_pos + max_rows;
	if (export_seal(j, after_pos, until, last, seal))
		goto fail;
	if (*last) {
		n = export_rows(j, after_pos, *last,
				buf + PASSGATE_BATCH_HEADER_SIZE, prev);
		if (n < 0)
			goto fail;
		passgate_batch_header(buf, j->gate, after_pos + 1,
				      *last - after_pos, prev, seal);
		n += PASSGATE_BATCH_HEADER_SIZE;
	}
	if (journal_exec(j, "COMMIT"))
		return -1;
	return n;

fail:
	e = errno;
	sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	errno = e;
	*last = 0;
	return -1;
}

int passgate_journal_row_hash(struct passgate_journal *j, uint64_t pos,
			      uint8_t hash[PASSGATE_JOURNAL_HASH_SIZE])
{
	if (!pos || pos > INT64_MAX)
		return journal_fail(j, EINVAL, "no position %llu",
				    (unsigned long long)pos);
	return journal_hash_at(j, pos, hash);
}

uint64_t passgate_journal_head(struct passgate_journal *j)
{
	int64_t v = 0;
	bool found;

	if (journal_query_int(j, "SELECT max(pos) FROM (SELECT max(pos) AS pos"
			      " FROM event UNION ALL SELECT max(pos) FROM mark)",
			      NULL, &v, &found) || !found)
		return 0;
	return v;
}

uint64_t passgate_journal_last_seal(struct passgate_journal *j)
{
	int64_t v = 0;
	bool found;

	if (!j->sealed_schema ||
	    journal_query_int(j, "SELECT max(pos) FROM seal", NULL, &v,
			      &found) || !found)
		return 0;
	return v;
}
