// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The audit journal: appends, batched commits, stream starts, rotation (docs/journal.md).
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

#include "common/batch.h"
#include "gate/core/journal_internal.h"

/* Open a write transaction on the head this handle last committed. */
static int journal_write_begin(struct passgate_journal *j)
{
	int64_t pos = 0, v;
	bool found;

	if (journal_exec(j, "BEGIN IMMEDIATE"))
		return journal_fatal(j);
	if (journal_query_int(j, "SELECT max(pos) FROM event", NULL, &v,
			      &found))
		return journal_fatal(j);
	if (found)
		pos = v;
	if (journal_query_int(j, "SELECT max(pos) FROM mark", NULL, &v,
			      &found))
		return journal_fatal(j);
	if (found && v > pos)
		pos = v;
	if ((uint64_t)pos != j->committed_pos) {
		journal_fail(j, EBUSY, "the journal's last row is %lld, this"
			     " writer's %llu: another writer?", (long long)pos,
			     (unsigned long long)j->committed_pos);
		return journal_fatal(j);
	}
	return 0;
}

/* Inside a write transaction: the seal of the row at @pos. */
static int journal_insert_seal(struct passgate_journal *j, uint64_t pos,
			       const uint8_t *hash)
{
	uint8_t seal[PASSGATE_SEAL_SIZE];
	sqlite3_stmt *s;
	int rc;

	if (passgate_seal_sign(j->seal_sk, j->gate, pos, hash, seal))
		return journal_fail(j, EINVAL, "sealing position %llu failed",
				    (unsigned long long)pos);
	s = journal_prepare(j, "INSERT OR REPLACE INTO seal (pos, seal)"
			    " VALUES (?1, ?2)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, pos);
	sqlite3_bind_blob(s, 2, seal, sizeof(seal), SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		journal_sqlite_fail(j, "storing a seal");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Commit, the new head (@pos, @hash) sealed in the same transaction. */
static int journal_write_commit(struct passgate_journal *j, uint64_t pos,
				const uint8_t *hash)
{
	if (j->sealing && journal_insert_seal(j, pos, hash))
		return journal_fatal(j);
	if (journal_exec(j, "COMMIT"))
		return journal_fatal(j);
	return 0;
}

/*
 * Positions sealed when sealing starts on rows written without it: every
 * SEAL_BACKFILL_STEP-th, so that no batch needs more rows than
 * PASSGATE_BATCH_ROWS_MAX to reach a seal.
 */
#define SEAL_BACKFILL_STEP "1024"

int passgate_journal_set_seal_key(struct passgate_journal *j,
				  const uint8_t sk[PASSGATE_SEAL_SECRET_SIZE])
{
	struct passgate_journal_report report;
	uint8_t hash[HASH_SIZE];
	int64_t sealed = 0, v;
	sqlite3_stmt *s;
	bool found;
	int rc;

	if (!sk)
		return journal_fail(j, EINVAL, "no seal key");
	if (journal_check_writable(j) || passgate_journal_flush(j))
		return -1;
	memcpy(j->seal_sk, sk, sizeof(j->seal_sk));
	j->sealing = true;
	if (journal_query_int(j, "SELECT max(pos) FROM seal", NULL, &v, &found))
		return -1;
	if (found)
		sealed = v;
	if ((uint64_t)sealed >= j->committed_pos)
		return 0;
	/*
	 * Rows written without seals are sealed as found, so they are
	 * checked first: a chain broken (or rewritten) before sealing is
	 * not vouched for.
	 */
	if (passgate_journal_verify(j, &report))
		return journal_fail(j, EBADMSG, "not sealing a broken journal:"
				    " %s", report.why);
	if (journal_write_begin(j))
		return -1;
	s = journal_prepare(j, "SELECT pos, hash FROM event WHERE pos > ?1"
			    " AND pos % " SEAL_BACKFILL_STEP " = 0 UNION ALL"
			    " SELECT pos, hash FROM mark WHERE pos > ?1"
			    " AND pos % " SEAL_BACKFILL_STEP " = 0");
	if (!s)
		return journal_fatal(j);
	sqlite3_bind_int64(s, 1, sealed);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = sqlite3_column_int64(s, 0);
		if (!journal_col_blob(s, 1, HASH_SIZE, hash) ||
		    journal_insert_seal(j, v, hash)) {
			rc = SQLITE_ERROR;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		journal_sqlite_fail(j, "sealing the journal");
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return journal_fatal(j);
	return journal_write_commit(j, j->head_pos, j->head_hash);
}

static int journal_insert_event(struct passgate_journal *j,
				const struct journal_pending *p)
{
	const struct passgate_event *ev = &p->ev;
	sqlite3_stmt *s = j->insert_event;
	struct passgate_verdict_record vr;
	int rc;

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	sqlite3_bind_int64(s, 1, p->pos);
	sqlite3_bind_int64(s, 2, p->stream);
	sqlite3_bind_int64(s, 3, ev->seq);
	sqlite3_bind_int64(s, 4, j->gate);
	sqlite3_bind_int64(s, 5, ev->time_ns);
	sqlite3_bind_int64(s, 6, p->stored_ns);
	sqlite3_bind_int64(s, 7, ev->type);
	if (ev->lane != PASSGATE_LANE_NONE)
		sqlite3_bind_int64(s, 8, ev->lane);
	sqlite3_bind_int64(s, 9, ev->arg);
	sqlite3_bind_int64(s, 10, ev->value);
	sqlite3_bind_blob(s, 11, ev->data, sizeof(ev->data), SQLITE_STATIC);
	if (ev->type == PASSGATE_EV_VERDICT) {
		memcpy(&vr, ev->data, sizeof(vr));
		sqlite3_bind_int64(s, 12, vr.received_ns);
		sqlite3_bind_int64(s, 13, vr.decided_ns);
		sqlite3_bind_int64(s, 14, vr.actuated_ns);
		sqlite3_bind_int64(s, 15, vr.reason);
		sqlite3_bind_int64(s, 16, vr.direction);
		sqlite3_bind_int64(s, 17, vr.fast);
	}
	sqlite3_bind_blob(s, 18, p->hash, HASH_SIZE, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return journal_sqlite_fail(j, "storing an event");
	return 0;
}

int passgate_journal_flush(struct passgate_journal *j)
{
	if (journal_check_writable(j))
		return -1;
	if (!j->npending)
		return 0;
	if (journal_write_begin(j))
		return -1;
	for (size_t i = 0; i < j->npending; i++)
		if (journal_insert_event(j, &j->pending[i]))
			return journal_fatal(j);
	if (journal_write_commit(j, j->head_pos, j->head_hash))
		return -1;
	j->npending = 0;
	j->committed_pos = j->head_pos;
	j->committed_next_seq = j->cur.next_seq;
	return 0;
}

void passgate_journal_flush_deadline(const struct passgate_journal *j,
				     struct timespec *when)
{
	*when = (struct timespec) { 0 };
	if (!j->npending || j->failed)
		return;
	when->tv_sec = j->first_pending.tv_sec + j->batch_ms / 1000;
	when->tv_nsec = j->first_pending.tv_nsec +
			(j->batch_ms % 1000) * 1000000L;
	if (when->tv_nsec >= NS_PER_SEC) {
		when->tv_sec++;
		when->tv_nsec -= NS_PER_SEC;
	}
}

int passgate_journal_flush_due(struct passgate_journal *j)
{
	struct timespec due, now;

	if (journal_check_writable(j))
		return -1;
	if (!j->npending)
		return 0;
	passgate_journal_flush_deadline(j, &due);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec < due.tv_sec ||
	    (now.tv_sec == due.tv_sec && now.tv_nsec < due.tv_nsec))
		return 0;
	return passgate_journal_flush(j);
}

int passgate_journal_set_batch(struct passgate_journal *j,
			       unsigned int max_events, unsigned int max_ms)
{
	if (!max_events || max_events > BATCH_EVENTS_MAX || !max_ms ||
	    max_ms > BATCH_MS_MAX)
		return journal_fail(j, EINVAL, "batch: 1 to %d events, 1 to"
				    " %d ms", BATCH_EVENTS_MAX, BATCH_MS_MAX);
	j->batch_events = max_events;
	j->batch_ms = max_ms;
	return 0;
}

static int journal_check_seq(struct passgate_journal *j, uint64_t seq)
{
	if (seq < j->cur.next_seq)
		return journal_fail(j, EEXIST, "seq %llu is journaled already"
				    " (last %llu)", (unsigned long long)seq,
				    (unsigned long long)(j->cur.next_seq - 1));
	if (seq > j->cur.next_seq)
		return journal_fail(j, ERANGE, "seq %llu skips %llu: journal"
				    " the gap first", (unsigned long long)seq,
				    (unsigned long long)j->cur.next_seq);
	return 0;
}

/* Chain @ev onto the head and buffer it. */
static int journal_push(struct passgate_journal *j,
			const struct passgate_event *ev)
{
	struct journal_pending *p;
	size_t cap;

	if (j->npending == j->pending_cap) {
		cap = j->pending_cap ? 2 * j->pending_cap : 16;
		p = reallocarray(j->pending, cap, sizeof(*p));
		if (!p)
			return journal_fail(j, ENOMEM, "out of memory");
		j->pending = p;
		j->pending_cap = cap;
	}
	p = &j->pending[j->npending];
	p->ev = *ev;
	p->stored_ns = journal_now(CLOCK_REALTIME);
	p->stream = j->cur.stream;
	p->pos = j->head_pos + 1;
	journal_hash_event(j->head_hash, p->pos, j->gate, p->stored_ns, p->stream,
			   &p->ev, p->hash);
	if (!j->npending)
		clock_gettime(CLOCK_MONOTONIC, &j->first_pending);
	j->npending++;
	j->head_pos = p->pos;
	memcpy(j->head_hash, p->hash, HASH_SIZE);
	j->cur.next_seq = ev->seq + journal_event_span(ev);

	if (j->npending >= j->batch_events)
		return passgate_journal_flush(j);
	return 0;
}

static int journal_check_append(struct passgate_journal *j)
{
	if (journal_check_writable(j))
		return -1;
	if (!j->stream_begun)
		return journal_fail(j, EINVAL, "no stream begun since open");
	return 0;
}

int passgate_journal_append(struct passgate_journal *j,
			    const struct passgate_event *ev)
{
	if (journal_check_append(j))
		return -1;
	if (!ev)
		return journal_fail(j, EINVAL, "no event");
	if (ev->__reserved)
		return journal_fail(j, EINVAL, "event reserved field not 0");
	if (ev->type == PASSGATE_EV_LOST &&
	    (!ev->value || ev->seq + ev->value < ev->seq))
		return journal_fail(j, EINVAL, "LOST record of %llu events",
				    (unsigned long long)ev->value);
	if (journal_check_seq(j, ev->seq))
		return -1;
	return journal_push(j, ev);
}

int passgate_journal_append_gap(struct passgate_journal *j,
				uint64_t first_missing, uint64_t count)
{
	struct passgate_event ev = {
		.seq = first_missing,
		.type = PASSGATE_EV_LOST,
		.lane = PASSGATE_LANE_NONE,
		.value = count,
	};

	return passgate_journal_append(j, &ev);
}

int passgate_journal_begin_stream(struct passgate_journal *j,
				  const uint8_t id[PASSGATE_JOURNAL_STREAM_ID_SIZE])
{
	sqlite3_stmt *s;
	int64_t stored_ns;
	uint8_t hash[HASH_SIZE];
	uint64_t pos;
	int rc;

	if (!id)
		return journal_fail(j, EINVAL, "no stream id");
	if (journal_check_writable(j) || passgate_journal_flush(j))
		return -1;
	if (j->cur.stream && !memcmp(id, j->cur.id, ID_SIZE)) {
		j->stream_begun = true;
		return 0;
	}
	if (j->cur.stream == UINT32_MAX)
		return journal_fail(j, EOVERFLOW, "too many streams");

	pos = j->head_pos + 1;
	stored_ns = journal_now(CLOCK_REALTIME);
	journal_hash_stream(j->head_hash, pos, j->gate, stored_ns, j->cur.stream + 1,
			    id, hash);
	if (journal_write_begin(j))
		return -1;
	s = journal_prepare(j, "INSERT INTO mark (pos, kind, stored_ns, stream,"
			    " stream_id, hash) VALUES (?1, 2, ?2, ?3, ?4, ?5)");
	if (!s)
		return journal_fatal(j);
	sqlite3_bind_int64(s, 1, pos);
	sqlite3_bind_int64(s, 2, stored_ns);
	sqlite3_bind_int64(s, 3, j->cur.stream + 1);
	sqlite3_bind_blob(s, 4, id, ID_SIZE, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, hash, HASH_SIZE, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		journal_sqlite_fail(j, "storing a stream mark");
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return journal_fatal(j);
	if (journal_write_commit(j, pos, hash))
		return -1;

	j->head_pos = j->committed_pos = pos;
	memcpy(j->head_hash, hash, HASH_SIZE);
	j->cur.stream++;
	memcpy(j->cur.id, id, ID_SIZE);
	j->cur.next_seq = j->committed_next_seq = 0;
	j->stream_begun = true;
	return 0;
}

/* The hash of the row at @pos, in either table. */
int journal_hash_at(struct passgate_journal *j, int64_t pos,
			   uint8_t *hash)
{
	sqlite3_stmt *s;
	bool found;
	int rc;

	s = journal_prepare(j, "SELECT hash FROM event WHERE pos = ?1"
			    " UNION ALL SELECT hash FROM mark WHERE pos = ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, pos);
	rc = sqlite3_step(s);
	found = rc == SQLITE_ROW && journal_col_blob(s, 0, HASH_SIZE, hash);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return journal_sqlite_fail(j, "reading the journal");
	if (!found)
		return journal_fail(j, EBADMSG, "no row at pos %lld",
				    (long long)pos);
	return 0;
}

static int journal_delete_before(struct passgate_journal *j, const char *sql,
				 int64_t pos, uint64_t *deleted)
{
	sqlite3_stmt *s = journal_prepare(j, sql);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, pos);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		journal_sqlite_fail(j, "rotating the journal");
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return -1;
	if (deleted)
		*deleted = sqlite3_changes(j->db);
	return 0;
}

int passgate_journal_rotate(struct passgate_journal *j, uint32_t stream,
			    uint64_t keep_from_seq, uint64_t *removed)
{
	struct journal_checkpoint ck = { .removed = 0 };
	struct journal_mark start;
	int64_t keep, first;
	uint8_t hash[HASH_SIZE];
	sqlite3_stmt *s;
	bool found;
	int rc;

	if (removed)
		*removed = 0;
	if (journal_check_writable(j) || passgate_journal_flush(j) ||
	    journal_write_begin(j))
		return -1;

	s = journal_prepare(j, "SELECT min(pos) FROM event WHERE stream > ?1"
			    " OR (stream = ?1 AND seq >= ?2)");
	if (!s)
		return journal_fatal(j);
	sqlite3_bind_int64(s, 1, stream);
	sqlite3_bind_int64(s, 2, keep_from_seq);
	rc = sqlite3_step(s);
	keep = rc == SQLITE_ROW && !journal_col_null(s, 0) ?
	       sqlite3_column_int64(s, 0) : (int64_t)j->head_pos + 1;
	if (rc != SQLITE_ROW)
		journal_sqlite_fail(j, "reading the journal");
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return journal_fatal(j);
	if (journal_query_int(j, "SELECT min(pos) FROM (SELECT pos FROM event"
			      " UNION ALL SELECT pos FROM mark)", NULL, &first,
			      &found))
		return journal_fatal(j);
	if (!found || keep <= first) {
		if (journal_exec(j, "ROLLBACK"))
			return journal_fatal(j);
		return 0;
	}

	if (journal_hash_at(j, keep - 1, ck.prev_hash) ||
	    journal_stream_before(j, keep, &ck.at) ||
	    journal_start_checkpoint(j, &start, &found))
		return journal_fatal(j);
	ck.stored_ns = journal_now(CLOCK_REALTIME);
	ck.keep_from_pos = keep;
	if (journal_delete_before(j, "DELETE FROM event WHERE pos < ?1", keep,
				  &ck.removed) ||
	    journal_delete_before(j, "DELETE FROM mark WHERE pos < ?1", keep,
				  NULL) ||
	    journal_delete_before(j, "DELETE FROM seal WHERE pos < ?1", keep,
				  NULL))
		return journal_fatal(j);
	ck.removed_total = (found ? start.ck.removed_total : 0) + ck.removed;
	journal_hash_checkpoint(j->head_hash, j->head_pos + 1, j->gate, &ck, hash);

	s = journal_prepare(j, "INSERT INTO mark (" MARK_COLUMNS ") VALUES"
			    " (?1, 3, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	if (!s)
		return journal_fatal(j);
	sqlite3_bind_int64(s, 1, j->head_pos + 1);
	sqlite3_bind_int64(s, 2, ck.stored_ns);
	sqlite3_bind_int64(s, 3, ck.at.stream);
	sqlite3_bind_blob(s, 4, ck.at.id, ID_SIZE, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, ck.keep_from_pos);
	sqlite3_bind_blob(s, 6, ck.prev_hash, HASH_SIZE, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, ck.at.next_seq);
	sqlite3_bind_int64(s, 8, ck.removed);
	sqlite3_bind_int64(s, 9, ck.removed_total);
	sqlite3_bind_blob(s, 10, hash, HASH_SIZE, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		journal_sqlite_fail(j, "storing a checkpoint");
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE ||
	    journal_write_commit(j, j->head_pos + 1, hash))
		return journal_fatal(j);

	j->head_pos = j->committed_pos = j->head_pos + 1;
	memcpy(j->head_hash, hash, HASH_SIZE);
	if (removed)
		*removed = ck.removed;
	return 0;
}
