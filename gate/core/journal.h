/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The gate's audit journal: one SQLite database per gate holding every
 * event of the gate's event stream, hash-chained so that an edited,
 * deleted, inserted or moved row is found by passgate_journal_verify().
 * The daemon writes it; passgatectl reads it.  Format, chain encoding and
 * policies: docs/journal.md.
 *
 * Error contract: <common/fail.h> (exceptions say so); on an open
 * journal, passgate_journal_errmsg() gives the reason for the last
 * failure.  errno classes: EEXIST a sequence number already journaled;
 * ERANGE a sequence number past the next one (journal the gap first);
 * EINVAL bad arguments, an unknown flag, or appending before
 * passgate_journal_begin_stream(); EBADF writing to a read-only journal;
 * ENOTSUP a database of another schema version; EBADMSG a database that
 * is not a journal of this gate, or a broken chain (verify); otherwise
 * the errno of the failed system call (ENOSPC, EIO, ...).
 *
 * Writing is FATAL on failure: once a commit (write or fsync) failed, every
 * later write on the handle fails with the same errno.  The daemon must
 * exit loudly; events not acknowledged are read again from the kernel's
 * ring when it restarts.
 *
 * Not thread-safe: one handle per thread.
 */
#ifndef PASSGATE_JOURNAL_H
#define PASSGATE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <linux/passgate.h>

struct passgate_journal;
struct passgate_journal_cursor;

/* PRAGMA user_version of the databases this code reads and writes. */
#define PASSGATE_JOURNAL_SCHEMA 2
#define PASSGATE_JOURNAL_HASH_SIZE 32
#define PASSGATE_JOURNAL_STREAM_ID_SIZE 16
/* "No sequence number": last + 1 wraps to 0, the first one of a stream. */
#define PASSGATE_JOURNAL_SEQ_NONE UINT64_MAX
/* passgate_journal_open() @gate for readers that take any gate's journal */
#define PASSGATE_JOURNAL_ANY_GATE UINT32_MAX

/* Default commit grouping: at most this many events or milliseconds. */
#define PASSGATE_JOURNAL_BATCH_EVENTS 64
#define PASSGATE_JOURNAL_BATCH_MS 100

/* passgate_journal_open() flags */
#define PASSGATE_JOURNAL_RDONLY (1u << 0)	/* read and verify only */
#define PASSGATE_JOURNAL_CREATE (1u << 1)	/* create a new journal if absent */

/*
 * Open the journal of @gate at @path (ANY_GATE: whichever gate's it is).
 * A writer (no RDONLY) is the only writer of the file, a second one is
 * detected at its next commit; it first writes the WAL into the database
 * and fsyncs it.  A reader opens a damaged journal too, to verify it; a
 * writer refuses one whose last stream it cannot tell (EBADMSG).
 */
struct passgate_journal *passgate_journal_open(const char *path,
					       uint32_t gate,
					       unsigned int flags, char *err,
					       size_t errlen);
/* Unflushed events are dropped (never acknowledged): flush first. */
void passgate_journal_close(struct passgate_journal *j);
const char *passgate_journal_errmsg(const struct passgate_journal *j);
uint32_t passgate_journal_gate(const struct passgate_journal *j);

/*
 * Streams.  The kernel numbers a gate's events from 0 again after a
 * reboot or a module reload; each such run is a stream, identified by the
 * caller (e.g. the boot id), and numbered 1, 2, ... in the journal.
 * Sequence numbers are unique within a stream.  A writer must call this
 * after open, before appending: the same @id as the journal's current
 * stream resumes it; another starts a new stream, whose next expected
 * seq is 0.
 */
int passgate_journal_begin_stream(struct passgate_journal *j,
				  const uint8_t id[PASSGATE_JOURNAL_STREAM_ID_SIZE]);
/* The current stream's number; 0 before the first stream. */
uint32_t passgate_journal_stream(const struct passgate_journal *j);

/*
 * Buffer @ev for the next commit.  @ev->seq must be last_seq + 1: EEXIST
 * when it is not above last_seq (a restarted daemon skips those), ERANGE
 * when it is further on (call passgate_journal_append_gap() first).  A
 * PASSGATE_EV_LOST record as the kernel gives it is a gap of @value events
 * from @seq.  Commits by itself when the batch is full, and then returns
 * that commit's result.
 */
int passgate_journal_append(struct passgate_journal *j,
			    const struct passgate_event *ev);
/*
 * Journal that events @first_missing .. @first_missing + @count - 1 were
 * lost, as one PASSGATE_EV_LOST row (@value = @count).  @first_missing
 * must be last_seq + 1.
 */
int passgate_journal_append_gap(struct passgate_journal *j,
				uint64_t first_missing, uint64_t count);

/*
 * Highest seq journaled in the current stream, buffered ones included
 * (a LOST row counts through its last missing seq); SEQ_NONE if none.
 * Skip every event at or below it.  A reader's value is as of open.
 */
uint64_t passgate_journal_last_seq(const struct passgate_journal *j);
/* The same, committed only: events up to this one are acknowledged. */
uint64_t passgate_journal_last_committed_seq(const struct passgate_journal *j);

/* Commit grouping: at most @max_events (1..4096) or @max_ms (1..10000). */
int passgate_journal_set_batch(struct passgate_journal *j,
			       unsigned int max_events, unsigned int max_ms);
/* Commit what is buffered now. */
int passgate_journal_flush(struct passgate_journal *j);
/* Commit if the oldest buffered event has waited its max_ms. */
int passgate_journal_flush_due(struct passgate_journal *j);
/*
 * When flush_due will commit: an absolute CLOCK_MONOTONIC time for a
 * timerfd armed with TFD_TIMER_ABSTIME; zero (which disarms) when nothing
 * is buffered.
 */
void passgate_journal_flush_deadline(const struct passgate_journal *j,
				     struct timespec *when);

/*
 * Delete the rows before @keep_from_seq of @stream (and every row of
 * earlier streams), and chain a checkpoint row that stands in for them.
 * Flushes first.  @removed (may be NULL) gets the number of event rows
 * deleted; 0 deletes nothing and writes no checkpoint.
 */
int passgate_journal_rotate(struct passgate_journal *j, uint32_t stream,
			    uint64_t keep_from_seq, uint64_t *removed);

/*
 * Seal every commit from now on: the chain's new head (position and hash)
 * signed with @sk, a 64-byte Ed25519 secret key as libsodium keeps it, in
 * the commit's own transaction (docs/journal.md, "Seals").  Rows committed
 * before get seals now: the head and every 1024th position.
 */
int passgate_journal_set_seal_key(struct passgate_journal *j,
				  const uint8_t sk[64]);

/*
 * The committed rows after @after_pos as a sealed batch (common/batch.h)
 * in @buf, which holds PASSGATE_BATCH_SIZE_MAX bytes: up to the last seal
 * within @max_rows (1..PASSGATE_BATCH_ROWS_MAX) rows.  Each row is
 * checked against its hash on the way.  Returns the batch's size and its
 * last position in @last; 0 when no sealed row follows @after_pos; -1 with
 * ENOENT when the row at @after_pos is gone (rotated out), EBADMSG when
 * the chain is broken there.
 */
long passgate_journal_export(struct passgate_journal *j, uint64_t after_pos,
			     unsigned int max_rows, uint8_t *buf,
			     uint64_t *last);

/* The last committed row's position, event or mark (0: none, or unread). */
uint64_t passgate_journal_head(struct passgate_journal *j);
/* The last sealed position (0: none). */
uint64_t passgate_journal_last_seal(struct passgate_journal *j);
/* The hash of the committed row at @pos; -1 with EBADMSG if none. */
int passgate_journal_row_hash(struct passgate_journal *j, uint64_t pos,
			      uint8_t hash[PASSGATE_JOURNAL_HASH_SIZE]);

/* Record kinds in the chain. */
enum passgate_journal_record {
	PASSGATE_JOURNAL_REC_EVENT = 1,
	PASSGATE_JOURNAL_REC_STREAM = 2,
	PASSGATE_JOURNAL_REC_CHECKPOINT = 3,
};

enum passgate_journal_fault {
	PASSGATE_JOURNAL_INTACT = 0,
	PASSGATE_JOURNAL_MISSING,	/* positions skipped: rows deleted */
	PASSGATE_JOURNAL_EXTRA,		/* a row where none can be */
	PASSGATE_JOURNAL_FIELD,		/* a field of the wrong type or range */
	PASSGATE_JOURNAL_SEQUENCE,	/* seq or stream not the one that follows */
	PASSGATE_JOURNAL_HASH,		/* the row is not what was hashed */
};

/**
 * struct passgate_journal_report - what passgate_journal_verify() found
 * @fault: INTACT, or the first fault in chain order
 * @pos: chain position of the first broken row
 * @kind: &enum passgate_journal_record of that row (0 if none)
 * @stream: its stream
 * @seq: its seq (event rows), else SEQ_NONE
 * @why: one line for humans
 * @records: rows checked (up to the first fault)
 * @events: event rows among them
 * @head_pos: position of the last row checked
 * @head_hash: its hash: compare with a copy kept off the gate to catch
 *	rows cut off the end, which no chain can show by itself
 * @rotated: event rows rotated out before the first kept row, in total
 * @rotated_stream: the stream the first kept row continues
 * @rotated_before_seq: rows of @rotated_stream before this seq are gone
 */
struct passgate_journal_report {
	enum passgate_journal_fault fault;
	uint64_t pos;
	unsigned int kind;
	uint32_t stream;
	uint64_t seq;
	char why[192];
	uint64_t records;
	uint64_t events;
	uint64_t head_pos;
	uint8_t head_hash[PASSGATE_JOURNAL_HASH_SIZE];
	uint64_t rotated;
	uint32_t rotated_stream;
	uint64_t rotated_before_seq;
};

/*
 * Walk the committed chain.  0: intact.  -1 with EBADMSG: broken, see
 * @report.  -1 with another errno: the database could not be read.
 */
int passgate_journal_verify(struct passgate_journal *j,
			    struct passgate_journal_report *report);

/* struct passgate_journal_filter.flags */
#define PASSGATE_JOURNAL_F_TIME (1u << 0)	/* from_ns <= stored_ns < until_ns */
#define PASSGATE_JOURNAL_F_SEQ (1u << 1)	/* @stream, first_seq..last_seq */
#define PASSGATE_JOURNAL_F_LANE (1u << 2)	/* @lane; LANE_NONE: gate-wide */
#define PASSGATE_JOURNAL_F_TYPES (1u << 3)	/* @types */
#define PASSGATE_JOURNAL_F_NEWEST_FIRST (1u << 4)
#define PASSGATE_JOURNAL_F_AFTER_POS (1u << 5)	/* pos > @after_pos */

/**
 * struct passgate_journal_filter - which event rows; NULL means all
 * @flags: PASSGATE_JOURNAL_F_*; others are EINVAL
 * @from_ns: wall-clock (CLOCK_REALTIME) ns, inclusive
 * @until_ns: wall-clock ns, exclusive
 * @stream: the stream of @first_seq and @last_seq
 * @first_seq: inclusive
 * @last_seq: inclusive
 * @lane: a lane number, or %PASSGATE_LANE_NONE for gate-wide rows
 * @types: bitmask of 1 << &enum passgate_event_type
 * @limit: at most this many rows (0: no limit; with NEWEST_FIRST or
 *	AFTER_POS)
 * @after_pos: rows after this chain position only (an uplink's resume point)
 */
struct passgate_journal_filter {
	unsigned int flags;
	int64_t from_ns;
	int64_t until_ns;
	uint32_t stream;
	uint64_t first_seq;
	uint64_t last_seq;
	uint32_t lane;
	uint64_t types;
	unsigned int limit;
	uint64_t after_pos;
};

/**
 * struct passgate_journal_row - one event row
 * @pos: chain position
 * @stream: the stream
 * @stored_ns: wall-clock ns when the daemon handed it to the journal
 * @event: the event as appended (@event.lane is %PASSGATE_LANE_NONE for
 *	gate-wide events)
 * @verdict: PASSGATE_EV_VERDICT only: the record, from its columns
 * @hash: the row's chain hash
 */
struct passgate_journal_row {
	uint64_t pos;
	uint32_t stream;
	int64_t stored_ns;
	struct passgate_event event;
	struct passgate_verdict_record verdict;
	uint8_t hash[PASSGATE_JOURNAL_HASH_SIZE];
};

/*
 * Committed event rows (not marks) in chain order, or newest first.
 * Close the cursor before the journal.
 */
struct passgate_journal_cursor *
passgate_journal_query(struct passgate_journal *j,
		       const struct passgate_journal_filter *filter);
/* 1: @row filled; 0: no more rows; -1: error. */
int passgate_journal_cursor_next(struct passgate_journal_cursor *c,
				 struct passgate_journal_row *row);
void passgate_journal_cursor_close(struct passgate_journal_cursor *c);

/* Nearest-rank percentiles of @count samples (all 0 when @count is 0). */
struct passgate_journal_percentiles {
	uint64_t count;
	uint64_t p50_ns;
	uint64_t p99_ns;
};

/**
 * struct passgate_journal_latency - VERDICT rows, fast path (fast = 1) and
 *	slow path apart
 * @fast_decide: decided_ns - received_ns
 * @fast_actuate: actuated_ns - received_ns, rows with actuated_ns set
 * @slow_decide: as @fast_decide
 * @slow_actuate: as @fast_actuate
 */
struct passgate_journal_latency {
	struct passgate_journal_percentiles fast_decide;
	struct passgate_journal_percentiles fast_actuate;
	struct passgate_journal_percentiles slow_decide;
	struct passgate_journal_percentiles slow_actuate;
};

/* Over the rows @filter selects (F_TIME, F_SEQ, F_LANE; others EINVAL). */
int passgate_journal_latency(struct passgate_journal *j,
			     const struct passgate_journal_filter *filter,
			     struct passgate_journal_latency *out);

#endif
