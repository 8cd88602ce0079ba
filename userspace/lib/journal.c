// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The audit journal: event rows and marks (stream starts, checkpoints) in
 * one hash chain ordered by position.  docs/journal.md is the format.
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

#include "lib/journal.h"

#define HASH_SIZE PASSGATE_JOURNAL_HASH_SIZE
#define ID_SIZE PASSGATE_JOURNAL_STREAM_ID_SIZE
#define GENESIS_DOMAIN "passgate/journal/v1"
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
};

struct passgate_journal_cursor {
	struct passgate_journal *j;
	sqlite3_stmt *stmt;
};

static const char journal_schema[] =
	"CREATE TABLE info ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" gate INTEGER NOT NULL,"
	" created_ns INTEGER NOT NULL) STRICT;"
	"CREATE TABLE event ("
	" pos INTEGER PRIMARY KEY,"
	" stream INTEGER NOT NULL,"
	" seq INTEGER NOT NULL,"
	" gate INTEGER NOT NULL,"
	" time_ns INTEGER NOT NULL,"
	" stored_ns INTEGER NOT NULL,"
	" type INTEGER NOT NULL,"
	" lane INTEGER,"
	" arg INTEGER NOT NULL,"
	" value INTEGER NOT NULL,"
	" data BLOB NOT NULL CHECK (length(data) = 32),"
	" received_ns INTEGER,"
	" decided_ns INTEGER,"
	" actuated_ns INTEGER,"
	" reason INTEGER,"
	" direction INTEGER,"
	" fast INTEGER,"
	" hash BLOB NOT NULL CHECK (length(hash) = 32),"
	" UNIQUE (stream, seq)) STRICT;"
	"CREATE INDEX event_stored ON event (stored_ns);"
	"CREATE INDEX event_lane ON event (lane, pos);"
	"CREATE INDEX event_type ON event (type, pos);"
	"CREATE TABLE mark ("
	" pos INTEGER PRIMARY KEY,"
	" kind INTEGER NOT NULL,"
	" stored_ns INTEGER NOT NULL,"
	" stream INTEGER NOT NULL,"
	" stream_id BLOB NOT NULL CHECK (length(stream_id) = 16),"
	" keep_from_pos INTEGER,"
	" prev_hash BLOB,"
	" next_seq INTEGER,"
	" removed INTEGER,"
	" removed_total INTEGER,"
	" hash BLOB NOT NULL CHECK (length(hash) = 32)) STRICT;";

#define EVENT_COLUMNS \
	"pos, stream, seq, gate, time_ns, stored_ns, type, lane, arg, value," \
	" data, received_ns, decided_ns, actuated_ns, reason, direction," \
	" fast, hash"
#define MARK_COLUMNS \
	"pos, kind, stored_ns, stream, stream_id, keep_from_pos, prev_hash," \
	" next_seq, removed, removed_total, hash"

static int journal_fail(struct passgate_journal *j, int err, const char *fmt,
			...) __attribute__((format(printf, 3, 4)));

static int journal_fail(struct passgate_journal *j, int err, const char *fmt,
			...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->msg, sizeof(j->msg), fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

static int journal_errno(sqlite3 *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_READONLY:
		return EROFS;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return EBADMSG;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return EACCES;
	case SQLITE_CANTOPEN:
		return sqlite3_system_errno(db) ? sqlite3_system_errno(db) : EIO;
	default:
		return EIO;
	}
}

static int journal_sqlite_fail(struct passgate_journal *j, const char *what)
{
	int rc = sqlite3_extended_errcode(j->db);
	int sys = sqlite3_system_errno(j->db);

	if ((rc & 0xff) == SQLITE_IOERR && sys)
		return journal_fail(j, journal_errno(j->db, rc),
				    "%s: %s (sqlite %d, %s)", what,
				    sqlite3_errmsg(j->db), rc, strerror(sys));
	return journal_fail(j, journal_errno(j->db, rc), "%s: %s (sqlite %d)",
			    what, sqlite3_errmsg(j->db), rc);
}

/* A write failed: the handle is dead from now on. */
static int journal_fatal(struct passgate_journal *j)
{
	int err = errno;

	if (!sqlite3_get_autocommit(j->db))
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	j->failed = err;
	errno = err;
	return -1;
}

static int journal_check_writable(struct passgate_journal *j)
{
	if (j->rdonly)
		return journal_fail(j, EBADF, "journal opened read-only");
	if (j->failed) {
		errno = j->failed;
		return -1;
	}
	return 0;
}

static int64_t journal_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Canonical encoding: fixed-width little-endian fields, in order. */
struct journal_encoding {
	uint8_t b[160];
	size_t n;
};

static void put_bytes(struct journal_encoding *e, const void *p, size_t len)
{
	memcpy(e->b + e->n, p, len);
	e->n += len;
}

static void put_u8(struct journal_encoding *e, uint8_t v)
{
	e->b[e->n++] = v;
}

static void put_u32(struct journal_encoding *e, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		e->b[e->n++] = v >> (8 * i);
}

static void put_u64(struct journal_encoding *e, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		e->b[e->n++] = v >> (8 * i);
}

static void journal_chain(const uint8_t *prev, const struct journal_encoding *e,
			  uint8_t *out)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, prev, HASH_SIZE);
	crypto_hash_sha256_update(&st, e->b, e->n);
	crypto_hash_sha256_final(&st, out);
}

static void journal_genesis(uint32_t gate, uint8_t *out)
{
	struct journal_encoding e = { .n = 0 };

	put_bytes(&e, GENESIS_DOMAIN, strlen(GENESIS_DOMAIN));
	put_u32(&e, gate);
	crypto_hash_sha256(out, e.b, e.n);
}

static void hash_event(const uint8_t *prev, uint64_t pos, uint32_t gate,
		       int64_t stored_ns, uint32_t stream,
		       const struct passgate_event *ev, uint8_t *out)
{
	struct journal_encoding e = { .n = 0 };

	put_u8(&e, PASSGATE_JOURNAL_REC_EVENT);
	put_u64(&e, pos);
	put_u32(&e, gate);
	put_u64(&e, stored_ns);
	put_u32(&e, stream);
	put_u64(&e, ev->seq);
	put_u64(&e, ev->time_ns);
	put_u32(&e, ev->type);
	put_u32(&e, ev->lane);
	put_u32(&e, ev->arg);
	put_u64(&e, ev->value);
	put_bytes(&e, ev->data, sizeof(ev->data));
	journal_chain(prev, &e, out);
}

static void hash_stream(const uint8_t *prev, uint64_t pos, uint32_t gate,
			int64_t stored_ns, uint32_t stream, const uint8_t *id,
			uint8_t *out)
{
	struct journal_encoding e = { .n = 0 };

	put_u8(&e, PASSGATE_JOURNAL_REC_STREAM);
	put_u64(&e, pos);
	put_u32(&e, gate);
	put_u64(&e, stored_ns);
	put_u32(&e, stream);
	put_bytes(&e, id, ID_SIZE);
	journal_chain(prev, &e, out);
}

static void hash_checkpoint(const uint8_t *prev, uint64_t pos, uint32_t gate,
			    const struct journal_checkpoint *ck, uint8_t *out)
{
	struct journal_encoding e = { .n = 0 };

	put_u8(&e, PASSGATE_JOURNAL_REC_CHECKPOINT);
	put_u64(&e, pos);
	put_u32(&e, gate);
	put_u64(&e, ck->stored_ns);
	put_u64(&e, ck->keep_from_pos);
	put_bytes(&e, ck->prev_hash, HASH_SIZE);
	put_u32(&e, ck->at.stream);
	put_bytes(&e, ck->at.id, ID_SIZE);
	put_u64(&e, ck->at.next_seq);
	put_u64(&e, ck->removed);
	put_u64(&e, ck->removed_total);
	journal_chain(prev, &e, out);
}

/* How many seqs a row accounts for: a LOST row stands for @value. */
static uint64_t event_span(const struct passgate_event *ev)
{
	return ev->type == PASSGATE_EV_LOST ? ev->value : 1;
}

/* Column readers that refuse a wrong SQLite type or an out-of-range value. */
static bool col_int(sqlite3_stmt *s, int i, int64_t min, int64_t max,
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
	bool ok_ = col_int(s, i, INT64_MIN, INT64_MAX, &x_);		\
	if (ok_)							\
		dst = x_;						\
	ok_;								\
})

static bool col_u32(sqlite3_stmt *s, int i, uint32_t *v)
{
	int64_t x;

	if (!col_int(s, i, 0, UINT32_MAX, &x))
		return false;
	*v = x;
	return true;
}

static bool col_blob(sqlite3_stmt *s, int i, size_t len, void *out)
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

static bool col_null(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL;
}

static int bad_field(char *why, size_t len, const char *field)
{
	snprintf(why, len, "%s has the wrong type or is out of range", field);
	return -1;
}

/* One row of SELECT EVENT_COLUMNS; -1 with @why for a malformed one. */
static int read_event_row(sqlite3_stmt *s, struct passgate_journal_row *r,
			  uint32_t *gate, char *why, size_t len)
{
	struct passgate_event *ev = &r->event;
	int64_t v;
	int i;

	memset(r, 0, sizeof(*r));
	if (!col_int(s, 0, 1, INT64_MAX, &v))
		return bad_field(why, len, "pos");
	r->pos = v;
	if (!col_int(s, 1, 1, UINT32_MAX, &v))
		return bad_field(why, len, "stream");
	r->stream = v;
	if (!col_u64(s, 2, ev->seq))
		return bad_field(why, len, "seq");
	if (!col_u32(s, 3, gate))
		return bad_field(why, len, "gate");
	if (!col_u64(s, 4, ev->time_ns))
		return bad_field(why, len, "time_ns");
	if (!col_int(s, 5, INT64_MIN, INT64_MAX, &r->stored_ns))
		return bad_field(why, len, "stored_ns");
	if (!col_u32(s, 6, &ev->type))
		return bad_field(why, len, "type");
	ev->lane = PASSGATE_LANE_NONE;
	if (!col_null(s, 7) &&
	    !col_int(s, 7, 0, PASSGATE_LANE_NONE - 1, &v))
		return bad_field(why, len, "lane");
	if (!col_null(s, 7))
		ev->lane = v;
	if (!col_u32(s, 8, &ev->arg))
		return bad_field(why, len, "arg");
	if (!col_u64(s, 9, ev->value))
		return bad_field(why, len, "value");
	if (!col_blob(s, 10, sizeof(ev->data), ev->data))
		return bad_field(why, len, "data");
	if (!col_blob(s, 17, HASH_SIZE, r->hash))
		return bad_field(why, len, "hash");

	if (ev->type != PASSGATE_EV_VERDICT) {
		for (i = 11; i <= 16; i++)
			if (!col_null(s, i))
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
	if (!col_int(s, 14, 0, UINT8_MAX, &v))
		return bad_field(why, len, "reason");
	r->verdict.reason = v;
	if (!col_int(s, 15, 0, UINT8_MAX, &v))
		return bad_field(why, len, "direction");
	r->verdict.direction = v;
	if (!col_int(s, 16, 0, UINT8_MAX, &v))
		return bad_field(why, len, "fast");
	r->verdict.fast = v;
	return 0;
}

struct journal_mark {
	uint64_t pos;
	unsigned int kind;
	int64_t stored_ns;
	uint8_t hash[HASH_SIZE];
	/* stream: @ck.at.stream and @ck.at.id; checkpoint: all of @ck */
	struct journal_checkpoint ck;
};

/* One row of SELECT MARK_COLUMNS. */
static int read_mark_row(sqlite3_stmt *s, struct journal_mark *m, char *why,
			 size_t len)
{
	int64_t v;
	int i;

	memset(m, 0, sizeof(*m));
	if (!col_int(s, 0, 1, INT64_MAX, &v))
		return bad_field(why, len, "pos");
	m->pos = v;
	if (!col_int(s, 1, PASSGATE_JOURNAL_REC_STREAM,
		     PASSGATE_JOURNAL_REC_CHECKPOINT, &v))
		return bad_field(why, len, "kind");
	m->kind = v;
	if (!col_int(s, 2, INT64_MIN, INT64_MAX, &m->stored_ns))
		return bad_field(why, len, "stored_ns");
	m->ck.stored_ns = m->stored_ns;
	if (!col_int(s, 3, m->kind == PASSGATE_JOURNAL_REC_STREAM, UINT32_MAX,
		     &v))
		return bad_field(why, len, "stream");
	m->ck.at.stream = v;
	if (!col_blob(s, 4, ID_SIZE, m->ck.at.id))
		return bad_field(why, len, "stream_id");
	if (!col_blob(s, 10, HASH_SIZE, m->hash))
		return bad_field(why, len, "hash");

	if (m->kind == PASSGATE_JOURNAL_REC_STREAM) {
		for (i = 5; i <= 9; i++)
			if (!col_null(s, i))
				return bad_field(why, len,
						 sqlite3_column_name(s, i));
		return 0;
	}
	if (!col_int(s, 5, 1, m->pos, &v))
		return bad_field(why, len, "keep_from_pos");
	m->ck.keep_from_pos = v;
	if (!col_blob(s, 6, HASH_SIZE, m->ck.prev_hash))
		return bad_field(why, len, "prev_hash");
	if (!col_u64(s, 7, m->ck.at.next_seq))
		return bad_field(why, len, "next_seq");
	if (!col_int(s, 8, 0, INT64_MAX, &v))
		return bad_field(why, len, "removed");
	m->ck.removed = v;
	if (!col_int(s, 9, v, INT64_MAX, &v))
		return bad_field(why, len, "removed_total");
	m->ck.removed_total = v;
	return 0;
}

static sqlite3_stmt *journal_prepare(struct passgate_journal *j,
				     const char *sql)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK) {
		journal_sqlite_fail(j, "preparing a statement");
		return NULL;
	}
	return s;
}

static int journal_exec(struct passgate_journal *j, const char *sql)
{
	if (sqlite3_exec(j->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return journal_sqlite_fail(j, sql);
	return 0;
}

/* A single integer from @sql with one optional int64 parameter; @found 0
 * for no row or NULL. */
static int journal_query_int(struct passgate_journal *j, const char *sql,
			     const int64_t *param, int64_t *out, bool *found)
{
	sqlite3_stmt *s = journal_prepare(j, sql);
	int rc;

	if (!s)
		return -1;
	if (param)
		sqlite3_bind_int64(s, 1, *param);
	rc = sqlite3_step(s);
	*found = rc == SQLITE_ROW && !col_null(s, 0);
	if (*found)
		*out = sqlite3_column_int64(s, 0);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		journal_sqlite_fail(j, "reading the journal");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

/* The last row's position and hash: genesis for an empty chain. */
static int journal_load_head(struct passgate_journal *j)
{
	static const char *const sql[] = {
		"SELECT pos, hash FROM event ORDER BY pos DESC LIMIT 1",
		"SELECT pos, hash FROM mark ORDER BY pos DESC LIMIT 1",
	};
	sqlite3_stmt *s;
	int64_t pos;
	int rc;

	j->head_pos = 0;
	journal_genesis(j->gate, j->head_hash);
	for (size_t i = 0; i < 2; i++) {
		s = journal_prepare(j, sql[i]);
		if (!s)
			return -1;
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			if (!col_int(s, 0, 1, INT64_MAX, &pos)) {
				sqlite3_finalize(s);
				return journal_fail(j, EBADMSG,
						    "journal head: bad pos");
			}
			if ((uint64_t)pos > j->head_pos) {
				j->head_pos = pos;
				if (!col_blob(s, 1, HASH_SIZE, j->head_hash)) {
					sqlite3_finalize(s);
					return journal_fail(j, EBADMSG,
							    "journal head: bad hash");
				}
			}
		} else if (rc != SQLITE_DONE) {
			sqlite3_finalize(s);
			return journal_sqlite_fail(j, "reading the journal head");
		}
		sqlite3_finalize(s);
	}
	return 0;
}

/* The newest checkpoint: the chain's start. */
static int journal_start_checkpoint(struct passgate_journal *j,
				    struct journal_mark *m, bool *found)
{
	sqlite3_stmt *s;
	char why[96];
	int rc;

	s = journal_prepare(j, "SELECT " MARK_COLUMNS " FROM mark WHERE kind = 3"
			    " ORDER BY pos DESC LIMIT 1");
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	*found = rc == SQLITE_ROW;
	if (*found && read_mark_row(s, m, why, sizeof(why))) {
		sqlite3_finalize(s);
		return journal_fail(j, EBADMSG, "checkpoint: %s", why);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return journal_sqlite_fail(j, "reading the checkpoint");
	return 0;
}

/* The stream and the seq it expects next, after every row before @pos. */
static int journal_stream_before(struct passgate_journal *j, int64_t pos,
				 struct journal_stream *st)
{
	struct journal_mark start;
	sqlite3_stmt *s;
	int64_t epos = 0, mpos = 0;
	struct passgate_event ev = { .seq = 0 };
	struct journal_stream mst;
	uint32_t estream = 0;
	bool found;
	int rc;

	memset(st, 0, sizeof(*st));
	if (journal_start_checkpoint(j, &start, &found))
		return -1;
	if (found)
		*st = start.ck.at;

	s = journal_prepare(j, "SELECT pos, stream, seq, type, value FROM event"
			    " WHERE pos < ?1 ORDER BY pos DESC LIMIT 1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, pos);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		epos = sqlite3_column_int64(s, 0);
		estream = sqlite3_column_int64(s, 1);
		ev.seq = sqlite3_column_int64(s, 2);
		ev.type = sqlite3_column_int64(s, 3);
		ev.value = sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return journal_sqlite_fail(j, "reading the journal");

	s = journal_prepare(j, "SELECT pos, stream, stream_id FROM mark"
			    " WHERE kind = 2 AND pos < ?1"
			    " ORDER BY pos DESC LIMIT 1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, pos);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		mpos = sqlite3_column_int64(s, 0);
		mst.stream = sqlite3_column_int64(s, 1);
		mst.next_seq = 0;
		if (!col_blob(s, 2, ID_SIZE, mst.id)) {
			sqlite3_finalize(s);
			return journal_fail(j, EBADMSG, "stream mark: bad id");
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return journal_sqlite_fail(j, "reading the journal");

	if (mpos > epos) {
		*st = mst;
		return 0;
	}
	if (!epos)
		return 0;
	st->next_seq = ev.seq + event_span(&ev);
	if (estream == st->stream)
		return 0;

	/* The event's stream began after the start: its mark is there. */
	s = journal_prepare(j, "SELECT stream_id FROM mark"
			    " WHERE kind = 2 AND stream = ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, estream);
	rc = sqlite3_step(s);
	found = rc == SQLITE_ROW && col_blob(s, 0, ID_SIZE, st->id);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return journal_sqlite_fail(j, "reading the journal");
	if (!found)
		return journal_fail(j, EBADMSG, "stream %u has no stream mark",
				    estream);
	st->stream = estream;
	return 0;
}

static int journal_sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		ret = fsync(fd);
		close(fd);
	}
	free(copy);
	return ret;
}

static int journal_create_schema(struct passgate_journal *j, uint32_t gate)
{
	sqlite3_stmt *s;
	int64_t v;
	bool found;

	if (gate == PASSGATE_JOURNAL_ANY_GATE)
		return journal_fail(j, EINVAL, "a new journal needs a gate");
	if (journal_exec(j, "BEGIN IMMEDIATE"))
		return -1;
	if (journal_query_int(j, "SELECT count(*) FROM sqlite_schema", NULL,
			      &v, &found))
		goto rollback;
	if (v) {
		journal_fail(j, EBADMSG, "not a journal: has tables, no schema"
			     " version");
		goto rollback;
	}
	if (journal_exec(j, journal_schema))
		goto rollback;
	s = journal_prepare(j, "INSERT INTO info (id, gate, created_ns)"
			    " VALUES (1, ?1, ?2)");
	if (!s)
		goto rollback;
	sqlite3_bind_int64(s, 1, gate);
	sqlite3_bind_int64(s, 2, journal_now(CLOCK_REALTIME));
	if (sqlite3_step(s) != SQLITE_DONE) {
		journal_sqlite_fail(j, "creating the journal");
		sqlite3_finalize(s);
		goto rollback;
	}
	sqlite3_finalize(s);
	if (journal_exec(j, "PRAGMA user_version = 1") ||
	    journal_exec(j, "COMMIT"))
		goto rollback;
	return 0;

rollback:
	v = errno;
	sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	errno = v;
	return -1;
}

static int journal_setup(struct passgate_journal *j, const char *path,
			 uint32_t gate, bool created)
{
	sqlite3_stmt *s;
	const char *mode;
	int64_t version, v;
	bool found;
	int rc;

	sqlite3_busy_timeout(j->db, BUSY_TIMEOUT_MS);
	if (journal_query_int(j, "PRAGMA user_version", NULL, &version,
			      &found))
		return -1;
	if (version != 0 && version != PASSGATE_JOURNAL_SCHEMA)
		return journal_fail(j, ENOTSUP, "journal schema version %lld;"
				    " this build reads version %d",
				    (long long)version,
				    PASSGATE_JOURNAL_SCHEMA);
	if (!j->rdonly) {
		s = journal_prepare(j, "PRAGMA journal_mode = WAL");
		if (!s)
			return -1;
		rc = sqlite3_step(s);
		mode = rc == SQLITE_ROW ?
		       (const char *)sqlite3_column_text(s, 0) : NULL;
		found = mode && !strcmp(mode, "wal");
		sqlite3_finalize(s);
		if (rc != SQLITE_ROW)
			return journal_sqlite_fail(j, "setting WAL mode");
		if (!found)
			return journal_fail(j, EIO, "the journal refused WAL"
					    " mode");
		if (journal_exec(j, "PRAGMA synchronous = FULL"))
			return -1;
	}
	if (version == 0) {
		if (j->rdonly)
			return journal_fail(j, EBADMSG, "not a journal (no"
					    " schema)");
		if (journal_create_schema(j, gate))
			return -1;
		if (created && journal_sync_dir(path))
			return journal_fail(j, errno, "syncing the folder of"
					    " %s: %s", path, strerror(errno));
	}

	if (journal_query_int(j, "SELECT gate FROM info WHERE id = 1", NULL,
			      &v, &found))
		return -1;
	if (!found || v < 0 || v > UINT32_MAX)
		return journal_fail(j, EBADMSG, "journal has no gate");
	if (gate != PASSGATE_JOURNAL_ANY_GATE && v != gate)
		return journal_fail(j, EBADMSG, "journal of gate %lld, not %u",
				    (long long)v, gate);
	j->gate = v;

	/* A reader must open a damaged journal, to verify it. */
	if (journal_load_head(j) ||
	    journal_stream_before(j, INT64_MAX, &j->cur)) {
		if (!j->rdonly || errno != EBADMSG)
			return -1;
		memset(&j->cur, 0, sizeof(j->cur));
	}
	j->committed_pos = j->head_pos;
	j->committed_next_seq = j->cur.next_seq;
	if (j->rdonly)
		return 0;
	/*
	 * Write the WAL into the database afresh and fsync it: after an
	 * fsync that failed (the last writer's exit), the rows it held may
	 * live only in the page cache, which a later fsync need not write.
	 */
	if (journal_exec(j, "PRAGMA wal_checkpoint(TRUNCATE)"))
		return -1;
	j->insert_event = journal_prepare(j, "INSERT INTO event (" EVENT_COLUMNS
		") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" ?13, ?14, ?15, ?16, ?17, ?18)");
	return j->insert_event ? 0 : -1;
}

struct passgate_journal *passgate_journal_open(const char *path,
					       uint32_t gate,
					       unsigned int flags, char *err,
					       size_t errlen)
{
	const unsigned int known = PASSGATE_JOURNAL_RDONLY |
				   PASSGATE_JOURNAL_CREATE;
	struct passgate_journal *j;
	bool created = false;
	int oflags, e;

	if (!path || (flags & ~known) ||
	    ((flags & PASSGATE_JOURNAL_RDONLY) &&
	     (flags & PASSGATE_JOURNAL_CREATE))) {
		if (err && errlen)
			snprintf(err, errlen, "journal: invalid arguments");
		errno = EINVAL;
		return NULL;
	}
	if (sodium_init() < 0) {
		if (err && errlen)
			snprintf(err, errlen, "journal: libsodium failed");
		errno = EIO;
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->rdonly = flags & PASSGATE_JOURNAL_RDONLY;
	j->batch_events = PASSGATE_JOURNAL_BATCH_EVENTS;
	j->batch_ms = PASSGATE_JOURNAL_BATCH_MS;

	if (access(path, F_OK)) {
		if (errno != ENOENT || !(flags & PASSGATE_JOURNAL_CREATE)) {
			journal_fail(j, errno, "%s: %s", path, strerror(errno));
			goto fail;
		}
		created = true;
	}
	oflags = SQLITE_OPEN_EXRESCODE | (j->rdonly ? SQLITE_OPEN_READONLY :
		 SQLITE_OPEN_READWRITE | (created ? SQLITE_OPEN_CREATE : 0));
	if (sqlite3_open_v2(path, &j->db, oflags, NULL) != SQLITE_OK) {
		if (!j->db) {
			journal_fail(j, ENOMEM, "%s: out of memory", path);
			goto fail;
		}
		journal_sqlite_fail(j, path);
		goto fail;
	}
	if (journal_setup(j, path, gate, created))
		goto fail;
	return j;

fail:
	e = errno;
	if (err && errlen)
		snprintf(err, errlen, "%s", j->msg);
	passgate_journal_close(j);
	if (created)
		unlink(path);
	errno = e;
	return NULL;
}

void passgate_journal_close(struct passgate_journal *j)
{
	if (!j)
		return;
	sqlite3_finalize(j->insert_event);
	sqlite3_close_v2(j->db);
	free(j->pending);
	free(j);
}

const char *passgate_journal_errmsg(const struct passgate_journal *j)
{
	return j->msg;
}

uint32_t passgate_journal_gate(const struct passgate_journal *j)
{
	return j->gate;
}

uint32_t passgate_journal_stream(const struct passgate_journal *j)
{
	return j->cur.stream;
}

uint64_t passgate_journal_last_seq(const struct passgate_journal *j)
{
	return j->cur.next_seq - 1;
}

uint64_t passgate_journal_last_committed_seq(const struct passgate_journal *j)
{
	return j->committed_next_seq - 1;
}

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

static int journal_write_commit(struct passgate_journal *j)
{
	if (journal_exec(j, "COMMIT"))
		return journal_fatal(j);
	return 0;
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
	if (journal_write_commit(j))
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
	hash_event(j->head_hash, p->pos, j->gate, p->stored_ns, p->stream,
		   &p->ev, p->hash);
	if (!j->npending)
		clock_gettime(CLOCK_MONOTONIC, &j->first_pending);
	j->npending++;
	j->head_pos = p->pos;
	memcpy(j->head_hash, p->hash, HASH_SIZE);
	j->cur.next_seq = ev->seq + event_span(ev);

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
	hash_stream(j->head_hash, pos, j->gate, stored_ns, j->cur.stream + 1,
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
	if (journal_write_commit(j))
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
static int journal_hash_at(struct passgate_journal *j, int64_t pos,
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
	found = rc == SQLITE_ROW && col_blob(s, 0, HASH_SIZE, hash);
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
	keep = rc == SQLITE_ROW && !col_null(s, 0) ?
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
				  NULL))
		return journal_fatal(j);
	ck.removed_total = (found ? start.ck.removed_total : 0) + ck.removed;
	hash_checkpoint(j->head_hash, j->head_pos + 1, j->gate, &ck, hash);

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
	if (rc != SQLITE_DONE || journal_write_commit(j))
		return journal_fatal(j);

	j->head_pos = j->committed_pos = j->head_pos + 1;
	memcpy(j->head_hash, hash, HASH_SIZE);
	if (removed)
		*removed = ck.removed;
	return 0;
}

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

	if (read_event_row(s, &row, &gate, why, sizeof(why)))
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
	hash_event(w->prev, row.pos, gate, row.stored_ns, row.stream, ev,
		   hash);
	if (memcmp(hash, row.hash, HASH_SIZE))
		return verify_fault(r, PASSGATE_JOURNAL_HASH, row.pos,
				    PASSGATE_JOURNAL_REC_EVENT, row.stream,
				    ev->seq, "hash mismatch: the row was"
				    " edited, or rows before it");
	memcpy(w->prev, hash, HASH_SIZE);
	w->st.next_seq = ev->seq + event_span(ev);
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

	if (read_mark_row(s, &m, why, sizeof(why)))
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
		hash_stream(w->prev, m.pos, w->gate, m.stored_ns,
			    m.ck.at.stream, m.ck.at.id, hash);
	} else {
		hash_checkpoint(w->prev, m.pos, w->gate, &m.ck, hash);
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
static int journal_step(struct passgate_journal *j, sqlite3_stmt *s)
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

#define FILTER_SQL_MAX 512
#define FILTER_BINDS_MAX 6

struct journal_where {
	char sql[FILTER_SQL_MAX];
	int64_t binds[FILTER_BINDS_MAX];
	int nbinds;
};

static void where_add(struct journal_where *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void where_add(struct journal_where *w, const char *fmt, ...)
{
	size_t n = strlen(w->sql);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->sql + n, sizeof(w->sql) - n, fmt, ap);
	va_end(ap);
}

/* " AND ..." conditions for @f, allowing the flags in @allowed. */
static int journal_filter(struct passgate_journal *j,
			  const struct passgate_journal_filter *f,
			  unsigned int allowed, struct journal_where *w)
{
	const char *sep = "";

	memset(w, 0, sizeof(*w));
	if (!f)
		return 0;
	if ((f->flags & ~allowed) ||
	    (f->limit && !(allowed & (PASSGATE_JOURNAL_F_NEWEST_FIRST |
				      PASSGATE_JOURNAL_F_AFTER_POS))))
		return journal_fail(j, EINVAL, "filter flags 0x%x not allowed"
				    " here", f->flags & ~allowed);
	if (f->flags & PASSGATE_JOURNAL_F_TIME) {
		where_add(w, " AND stored_ns >= ? AND stored_ns < ?");
		w->binds[w->nbinds++] = f->from_ns;
		w->binds[w->nbinds++] = f->until_ns;
	}
	if (f->flags & PASSGATE_JOURNAL_F_SEQ) {
		where_add(w, " AND stream = ? AND seq >= ? AND seq <= ?");
		w->binds[w->nbinds++] = f->stream;
		w->binds[w->nbinds++] = f->first_seq;
		w->binds[w->nbinds++] = f->last_seq;
	}
	if (f->flags & PASSGATE_JOURNAL_F_AFTER_POS) {
		where_add(w, " AND pos > ?");
		w->binds[w->nbinds++] = f->after_pos;
	}
	if (f->flags & PASSGATE_JOURNAL_F_LANE) {
		if (f->lane == PASSGATE_LANE_NONE) {
			where_add(w, " AND lane IS NULL");
		} else {
			where_add(w, " AND lane = %u", f->lane);
		}
	}
	if (f->flags & PASSGATE_JOURNAL_F_TYPES) {
		where_add(w, " AND type IN (");
		for (unsigned int t = 0; t < 64; t++) {
			if (f->types & (1ull << t)) {
				where_add(w, "%s%u", sep, t);
				sep = ", ";
			}
		}
		where_add(w, "%s)", *sep ? "" : "NULL");
	}
	return 0;
}

static sqlite3_stmt *journal_prepare_where(struct passgate_journal *j,
					   const char *head,
					   const struct journal_where *w,
					   const char *tail)
{
	char sql[FILTER_SQL_MAX + 256];
	sqlite3_stmt *s;

	snprintf(sql, sizeof(sql), "%s%s%s", head, w->sql, tail);
	s = journal_prepare(j, sql);
	if (!s)
		return NULL;
	for (int i = 0; i < w->nbinds; i++)
		sqlite3_bind_int64(s, i + 1, w->binds[i]);
	return s;
}

struct passgate_journal_cursor *
passgate_journal_query(struct passgate_journal *j,
		       const struct passgate_journal_filter *filter)
{
	const unsigned int allowed = PASSGATE_JOURNAL_F_TIME |
		PASSGATE_JOURNAL_F_SEQ | PASSGATE_JOURNAL_F_LANE |
		PASSGATE_JOURNAL_F_TYPES | PASSGATE_JOURNAL_F_NEWEST_FIRST |
		PASSGATE_JOURNAL_F_AFTER_POS;
	struct passgate_journal_cursor *c;
	struct journal_where w;
	char tail[64];
	bool newest;

	if (journal_filter(j, filter, allowed, &w))
		return NULL;
	newest = filter && (filter->flags & PASSGATE_JOURNAL_F_NEWEST_FIRST);
	snprintf(tail, sizeof(tail), " ORDER BY pos%s", newest ? " DESC" : "");
	if (filter && filter->limit)
		snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail),
			 " LIMIT %u", filter->limit);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->j = j;
	c->stmt = journal_prepare_where(j, "SELECT " EVENT_COLUMNS
					" FROM event WHERE 1", &w, tail);
	if (!c->stmt) {
		free(c);
		return NULL;
	}
	return c;
}

int passgate_journal_cursor_next(struct passgate_journal_cursor *c,
				 struct passgate_journal_row *row)
{
	char why[96];
	uint32_t gate;
	int rc;

	rc = journal_step(c->j, c->stmt);
	if (rc <= 0)
		return rc;
	if (read_event_row(c->stmt, row, &gate, why, sizeof(why)))
		return journal_fail(c->j, EBADMSG, "pos %lld: %s",
				    (long long)sqlite3_column_int64(c->stmt, 0),
				    why);
	return 1;
}

void passgate_journal_cursor_close(struct passgate_journal_cursor *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->stmt);
	free(c);
}

struct journal_samples {
	uint64_t *v;
	size_t n;
	size_t cap;
};

static int samples_add(struct journal_samples *s, uint64_t v)
{
	uint64_t *p;

	if (s->n == s->cap) {
		p = reallocarray(s->v, s->cap ? 2 * s->cap : 256, sizeof(*p));
		if (!p)
			return -1;
		s->v = p;
		s->cap = s->cap ? 2 * s->cap : 256;
	}
	s->v[s->n++] = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least p% of them at or below. */
static uint64_t samples_rank(const struct journal_samples *s, unsigned int p)
{
	return s->v[(p * s->n + 99) / 100 - 1];
}

static void samples_result(struct journal_samples *s,
			   struct passgate_journal_percentiles *out)
{
	*out = (struct passgate_journal_percentiles) { .count = s->n };
	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	out->p50_ns = samples_rank(s, 50);
	out->p99_ns = samples_rank(s, 99);
}

int passgate_journal_latency(struct passgate_journal *j,
			     const struct passgate_journal_filter *filter,
			     struct passgate_journal_latency *out)
{
	const unsigned int allowed = PASSGATE_JOURNAL_F_TIME |
		PASSGATE_JOURNAL_F_SEQ | PASSGATE_JOURNAL_F_LANE;
	/* fast decide, fast actuate, slow decide, slow actuate */
	struct journal_samples s[4] = { { 0 } };
	struct journal_where w;
	sqlite3_stmt *stmt;
	uint64_t received, decided, actuated;
	int rc, ret = -1, k;

	if (journal_filter(j, filter, allowed, &w))
		return -1;
	stmt = journal_prepare_where(j, "SELECT fast, received_ns, decided_ns,"
				     " actuated_ns FROM event WHERE type = 13",
				     &w, "");
	if (!stmt)
		return -1;
	while ((rc = journal_step(j, stmt)) > 0) {
		k = sqlite3_column_int64(stmt, 0) == 1 ? 0 : 2;
		received = sqlite3_column_int64(stmt, 1);
		decided = sqlite3_column_int64(stmt, 2);
		actuated = sqlite3_column_int64(stmt, 3);
		if (decided >= received &&
		    samples_add(&s[k], decided - received))
			goto out;
		if (actuated && actuated >= received &&
		    samples_add(&s[k + 1], actuated - received))
			goto out;
	}
	if (rc < 0)
		goto out;
	samples_result(&s[0], &out->fast_decide);
	samples_result(&s[1], &out->fast_actuate);
	samples_result(&s[2], &out->slow_decide);
	samples_result(&s[3], &out->slow_actuate);
	ret = 0;
out:
	if (ret && rc >= 0)
		journal_fail(j, ENOMEM, "out of memory");
	sqlite3_finalize(stmt);
	for (k = 0; k < 4; k++)
		free(s[k].v);
	return ret;
}
