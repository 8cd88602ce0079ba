// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The audit journal: the hash chain walked, row by row (docs/journal.md).
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

static int verify_fault(struct passgate_journal_report *r,
			enum passgate_journal_fault fault, uint64_t pos,
			unsigned int kind, uint32_t stream, uint64_t seq,
			const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int verify_fault(struct passgate_journal_report *r,
			enum passgate_journal_fault fault, uint64_t pos,
			unsigned int kind, uint32_t stream, uint64_t seq,
			const char *fmt, ...)
{
	va_list ap;

	r->fault = fault;
	r->pos = pos;
	r->kind = kind;
	r->stream = stream;
	r->seq = seq;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* The walk: state after the rows checked so far. */
struct journal_walk {
	struct passgate_journal_report *r;
	uint32_t gate;
	uint64_t start_pos;
	uint64_t expect_pos;
	uint8_t prev[HASH_SIZE];
	struct journal_stream st;
};

static int walk_pos(struct journal_walk *w, uint64_t pos, unsigned int kind,
		    uint32_t stream, uint64_t seq)
{
	if (pos < w->expect_pos)
		return verify_fault(w->r, PASSGATE_JOURNAL_EXTRA, pos, kind,
				    stream, seq, pos < w->start_pos ?
				    "a row at pos %llu, before the chain's"
				    " start" : "a second row at pos %llu",
				    (unsigned long long)pos);
	if (pos > w->expect_pos)
		return verify_fault(w->r, PASSGATE_JOURNAL_MISSING, pos, kind,
				    stream, seq, "%llu rows missing before pos"
				    " %llu", (unsigned long long)(pos -
				    w->expect_pos), (unsigned long long)pos);
	return 0;
}

static int walk_event(struct journal_walk *w, sqlite3_stmt *s)
{
	struct passgate_journal_row row;
	struct passgate_verdict_record vr;
	struct passgate_journal_report *r = w->r;
	const struct passgate_event *ev = &row.event;
	uint8_t hash[HASH_SIZE];
	char why[96];
	uint32_t gate;

	if (journal_read_event_row(s, &row, &gate, why, sizeof(why)))
		return verify_fault(r, PASSGATE_JOURNAL_FIELD,
				    sqlite3_column_int64(s, 0),
				    PASSGATE_JOURNAL_REC_EVENT,
				    sqlite3_column_int64(s, 1),
				    sqlite3_column_int64(s, 2), "%s", why);
	if (walk_pos(w, row.pos, PASSGATE_JOURNAL_REC_EVENT, row.stream,
		     ev->seq))
		return -1;
	if (gate != w->gate)
		return verify_fault(r, PASSGATE_JOURNAL_FIELD, row.pos,
				    PASSGATE_JOURNAL_REC_EVENT, row.stream,
				    ev->seq, "gate %u in a journal of gate %u",
				    gate, w->gate);
	if (ev->type == PASSGATE_EV_VERDICT) {
		memcpy(&vr, ev->data, sizeof(vr));
		if (memcmp(&vr, &row.verdict, sizeof(vr)))
			return verify_fault(r, PASSGATE_JOURNAL_FIELD, row.pos,
					    PASSGATE_JOURNAL_REC_EVENT,
					    row.stream, ev->seq,
					    "verdict columns differ from the"
					    " event's data");
	}
	if (ev->type == PASSGATE_EV_LOST &&
	    (!ev->value || ev->seq + ev->value < ev->seq))
		return verify_fault(r, PASSGATE_JOURNAL_FIELD, row.pos,
				    PASSGATE_JOURNAL_REC_EVENT, row.stream,
				    ev->seq, "LOST row of %llu events",
				    (unsigned long long)ev->value);
	if (!w->st.stream || row.stream != w->st.stream)
		return verify_fault(r, PASSGATE_JOURNAL_SEQUENCE, row.pos,
				    PASSGATE_JOURNAL_REC_EVENT, row.stream,
				    ev->seq, "stream %u where stream %u"
				    " continues", row.stream, w->st.stream);
	if (ev->seq != w->st.next_seq)
		return verify_fault(r, PASSGATE_JOURNAL_SEQUENCE, row.pos,
				    PASSGATE_JOURNAL_REC_EVENT, row.stream,
				    ev->seq, "seq %llu where %llu follows",
				    (unsigned long long)ev->seq,
				    (unsigned long long)w->st.next_seq);
	journal_hash_event(w->prev, row.pos, gate, row.stored_ns, row.stream, ev,
			   hash);
	if (memcmp(hash, row.hash, HASH_SIZE))
		return verify_fault(r, PASSGATE_JOURNAL_HASH, row.pos,
				    PASSGATE_JOURNAL_REC_EVENT, row.stream,
				    ev->seq, "hash mismatch: the row was"
				    " edited, or rows before it");
	memcpy(w->prev, hash, HASH_SIZE);
	w->st.next_seq = ev->seq + journal_event_span(ev);
	w->expect_pos++;
	r->events++;
	return 0;
}

static int walk_mark(struct journal_walk *w, sqlite3_stmt *s)
{
	struct passgate_journal_report *r = w->r;
	struct journal_mark m;
	uint8_t hash[HASH_SIZE];
	char why[96];

	if (journal_read_mark_row(s, &m, why, sizeof(why)))
		return verify_fault(r, PASSGATE_JOURNAL_FIELD,
				    sqlite3_column_int64(s, 0),
				    sqlite3_column_int64(s, 1),
				    sqlite3_column_int64(s, 3),
				    PASSGATE_JOURNAL_SEQ_NONE, "%s", why);
	if (walk_pos(w, m.pos, m.kind, m.ck.at.stream,
		     PASSGATE_JOURNAL_SEQ_NONE))
		return -1;
	if (m.kind == PASSGATE_JOURNAL_REC_STREAM) {
		if (m.ck.at.stream != w->st.stream + 1)
			return verify_fault(r, PASSGATE_JOURNAL_SEQUENCE,
					    m.pos, m.kind, m.ck.at.stream,
					    PASSGATE_JOURNAL_SEQ_NONE,
					    "stream %u begins after stream %u",
					    m.ck.at.stream, w->st.stream);
		journal_hash_stream(w->prev, m.pos, w->gate, m.stored_ns,
				    m.ck.at.stream, m.ck.at.id, hash);
	} else {
		journal_hash_checkpoint(w->prev, m.pos, w->gate, &m.ck, hash);
	}
	if (memcmp(hash, m.hash, HASH_SIZE))
		return verify_fault(r, PASSGATE_JOURNAL_HASH, m.pos, m.kind,
				    m.ck.at.stream, PASSGATE_JOURNAL_SEQ_NONE,
				    "hash mismatch: the %s was edited, or rows"
				    " before it", m.kind ==
				    PASSGATE_JOURNAL_REC_STREAM ?
				    "stream mark" : "checkpoint");
	if (m.kind == PASSGATE_JOURNAL_REC_STREAM) {
		w->st.stream = m.ck.at.stream;
		memcpy(w->st.id, m.ck.at.id, ID_SIZE);
		w->st.next_seq = 0;
	}
	memcpy(w->prev, hash, HASH_SIZE);
	w->expect_pos++;
	return 0;
}

/* Step @s; 1 for a row, 0 at the end, -1 on error. */
int journal_step(struct passgate_journal *j, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return journal_sqlite_fail(j, "reading the journal");
}

static int journal_walk(struct passgate_journal *j, struct journal_walk *w)
{
	sqlite3_stmt *ev, *mk;
	int have_ev, have_mk, ret = -1;
	int64_t epos, mpos;

	ev = journal_prepare(j, "SELECT " EVENT_COLUMNS " FROM event"
			     " ORDER BY pos");
	mk = journal_prepare(j, "SELECT " MARK_COLUMNS " FROM mark"
			     " ORDER BY pos");
	if (!ev || !mk)
		goto out;
	have_ev = journal_step(j, ev);
	have_mk = journal_step(j, mk);
	while (have_ev > 0 || have_mk > 0) {
		epos = have_ev > 0 ? sqlite3_column_int64(ev, 0) : INT64_MAX;
		mpos = have_mk > 0 ? sqlite3_column_int64(mk, 0) : INT64_MAX;
		if (have_ev > 0 && epos <= mpos) {
			if (walk_event(w, ev))
				goto broken;
			have_ev = journal_step(j, ev);
		} else {
			if (walk_mark(w, mk))
				goto broken;
			have_mk = journal_step(j, mk);
		}
		w->r->records++;
		w->r->head_pos = w->expect_pos - 1;
		memcpy(w->r->head_hash, w->prev, HASH_SIZE);
	}
	if (have_ev < 0 || have_mk < 0)
		goto out;
	ret = 0;
	goto out;
broken:
	ret = 1;
out:
	sqlite3_finalize(ev);
	sqlite3_finalize(mk);
	return ret;
}

int passgate_journal_verify(struct passgate_journal *j,
			    struct passgate_journal_report *report)
{
	struct journal_walk w = { .r = report, .gate = j->gate };
	struct journal_mark start;
	bool found;
	int ret, e;

	memset(report, 0, sizeof(*report));
	report->seq = PASSGATE_JOURNAL_SEQ_NONE;
	/* One snapshot, while the writer goes on. */
	if (journal_exec(j, "BEGIN"))
		return -1;
	if (journal_start_checkpoint(j, &start, &found)) {
		if (errno == EBADMSG)
			verify_fault(report, PASSGATE_JOURNAL_FIELD, 0,
				     PASSGATE_JOURNAL_REC_CHECKPOINT, 0,
				     PASSGATE_JOURNAL_SEQ_NONE, "%s", j->msg);
		ret = -1;
		goto out;
	}
	if (found) {
		memcpy(w.prev, start.ck.prev_hash, HASH_SIZE);
		w.expect_pos = start.ck.keep_from_pos;
		w.st = start.ck.at;
		report->rotated = start.ck.removed_total;
		report->rotated_stream = start.ck.at.stream;
		report->rotated_before_seq = start.ck.at.next_seq;
	} else {
		journal_genesis(j->gate, w.prev);
		w.expect_pos = 1;
	}
	w.start_pos = w.expect_pos;
	report->head_pos = w.expect_pos - 1;
	memcpy(report->head_hash, w.prev, HASH_SIZE);
	ret = journal_walk(j, &w);
	if (ret > 0) {
		snprintf(j->msg, sizeof(j->msg), "pos %llu: %s",
			 (unsigned long long)report->pos, report->why);
		errno = EBADMSG;
		ret = -1;
	}
out:
	e = errno;
	sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL);
	errno = e;
	return ret;
}
