/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal's parts, shared by its files: journal_open.c (schema, open,
 * errors), journal_chain.c (the canonical encoding and hashes),
 * journal_rows.c (rows read back, checked), journal_write.c (appends,
 * batches, rotation), journal_verify.c (the chain walked),
 * journal_query.c (queries and latency percentiles).  Not installed:
 * <gate/core/journal.h> is the interface.
 */
#ifndef PASSGATE_JOURNAL_INTERNAL_H
#define PASSGATE_JOURNAL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "gate/core/journal.h"

#define HASH_SIZE PASSGATE_JOURNAL_HASH_SIZE
#define ID_SIZE PASSGATE_JOURNAL_STREAM_ID_SIZE
#define BATCH_EVENTS_MAX 4096
#define BATCH_MS_MAX 10000
#define BUSY_TIMEOUT_MS 2000
#define NS_PER_SEC 1000000000LL

/* The walk's position in the kernel's numbering. */
struct journal_stream {
	uint32_t stream;
	uint8_t id[ID_SIZE];
	uint64_t next_seq;
};

struct journal_checkpoint {
	int64_t stored_ns;
	uint64_t keep_from_pos;
	uint8_t prev_hash[HASH_SIZE];
	struct journal_stream at;
	uint64_t removed;
	uint64_t removed_total;
};

struct journal_pending {
	struct passgate_event ev;
	int64_t stored_ns;
	uint64_t pos;
	uint32_t stream;
	uint8_t hash[HASH_SIZE];
};

/* Canonical encoding: fixed-width little-endian fields, in order. */
struct journal_encoding {
	uint8_t b[160];
	size_t n;
};

struct passgate_journal {
	sqlite3 *db;
	sqlite3_stmt *insert_event;
	uint32_t gate;
	bool rdonly;
	bool stream_begun;
	int failed;
	char msg[256];
	unsigned int batch_events;
	unsigned int batch_ms;
	struct journal_pending *pending;
	size_t npending;
	size_t pending_cap;
	struct timespec first_pending;
	/* The chain's head and the stream, buffered rows included. */
	uint64_t head_pos;
	uint8_t head_hash[HASH_SIZE];
	struct journal_stream cur;
	/* What the database holds. */
	uint64_t committed_pos;
	uint64_t committed_next_seq;
	/* The seal table exists (a version 1 journal opened read-only: no). */
	bool sealed_schema;
	/* Every commit seals the head with @seal_sk (set_seal_key). */
	bool sealing;
	uint8_t seal_sk[64];
};

struct passgate_journal_cursor {
	struct passgate_journal *j;
	sqlite3_stmt *stmt;
};

#define EVENT_COLUMNS \
	"pos, stream, seq, gate, time_ns, stored_ns, type, lane, arg, value," \
	" data, received_ns, decided_ns, actuated_ns, reason, direction," \
	" fast, hash"
#define MARK_COLUMNS \
	"pos, kind, stored_ns, stream, stream_id, keep_from_pos, prev_hash," \
	" next_seq, removed, removed_total, hash"

struct journal_mark {
	uint64_t pos;
	unsigned int kind;
	int64_t stored_ns;
	uint8_t hash[HASH_SIZE];
	/* stream: @ck.at.stream and @ck.at.id; checkpoint: all of @ck */
	struct journal_checkpoint ck;
};

int journal_fail(struct passgate_journal *j, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int journal_sqlite_fail(struct passgate_journal *j, const char *what);
int journal_fatal(struct passgate_journal *j);
int journal_check_writable(struct passgate_journal *j);
int64_t journal_now(clockid_t clock);
void journal_genesis(uint32_t gate, uint8_t *out);
void journal_hash_event(const uint8_t *prev, uint64_t pos, uint32_t gate,
			int64_t stored_ns, uint32_t stream,
			const struct passgate_event *ev, uint8_t *out);
void journal_hash_stream(const uint8_t *prev, uint64_t pos, uint32_t gate,
			 int64_t stored_ns, uint32_t stream, const uint8_t *id,
			 uint8_t *out);
void journal_hash_checkpoint(const uint8_t *prev, uint64_t pos, uint32_t gate,
			     const struct journal_checkpoint *ck, uint8_t *out);
uint64_t journal_event_span(const struct passgate_event *ev);
void journal_encode_event(struct journal_encoding *e, uint64_t pos,
			  uint32_t gate, int64_t stored_ns, uint32_t stream,
			  const struct passgate_event *ev);
void journal_encode_stream(struct journal_encoding *e, uint64_t pos,
			   uint32_t gate, int64_t stored_ns, uint32_t stream,
			   const uint8_t *id);
void journal_encode_checkpoint(struct journal_encoding *e, uint64_t pos,
			       uint32_t gate,
			       const struct journal_checkpoint *ck);
int journal_hash_at(struct passgate_journal *j, int64_t pos, uint8_t *hash);
bool journal_col_int(sqlite3_stmt *s, int i, int64_t min, int64_t max,
		     int64_t *v);
bool journal_col_blob(sqlite3_stmt *s, int i, size_t len, void *out);
bool journal_col_null(sqlite3_stmt *s, int i);
int journal_read_event_row(sqlite3_stmt *s, struct passgate_journal_row *r,
			   uint32_t *gate, char *why, size_t len);
int journal_read_mark_row(sqlite3_stmt *s, struct journal_mark *m, char *why,
			  size_t len);
sqlite3_stmt *journal_prepare(struct passgate_journal *j,
			      const char *sql);
int journal_exec(struct passgate_journal *j, const char *sql);
int journal_query_int(struct passgate_journal *j, const char *sql,
		      const int64_t *param, int64_t *out, bool *found);
int journal_start_checkpoint(struct passgate_journal *j,
			     struct journal_mark *m, bool *found);
int journal_stream_before(struct passgate_journal *j, int64_t pos,
			  struct journal_stream *st);
int journal_step(struct passgate_journal *j, sqlite3_stmt *s);

#endif
