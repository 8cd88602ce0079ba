// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The audit journal: schema, errors, open and close (docs/journal.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/file.h"
#include "gate/core/journal_internal.h"

/* Version 2 added it; a writer adds it to a version 1 journal. */
#define SEAL_TABLE \
	"CREATE TABLE seal (" \
	" pos INTEGER PRIMARY KEY," \
	" seal BLOB NOT NULL CHECK (length(seal) = 64)) STRICT;"

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
	" hash BLOB NOT NULL CHECK (length(hash) = 32)) STRICT;"
	SEAL_TABLE;

int journal_fail(struct passgate_journal *j, int err, const char *fmt, ...)
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

int journal_sqlite_fail(struct passgate_journal *j, const char *what)
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
int journal_fatal(struct passgate_journal *j)
{
	int err = errno;

	if (!sqlite3_get_autocommit(j->db))
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	j->failed = err;
	errno = err;
	return -1;
}

int journal_check_writable(struct passgate_journal *j)
{
	if (j->rdonly)
		return journal_fail(j, EBADF, "journal opened read-only");
	if (j->failed) {
		errno = j->failed;
		return -1;
	}
	return 0;
}

int64_t journal_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}
sqlite3_stmt *journal_prepare(struct passgate_journal *j,
			      const char *sql)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK) {
		journal_sqlite_fail(j, "preparing a statement");
		return NULL;
	}
	return s;
}

int journal_exec(struct passgate_journal *j, const char *sql)
{
	if (sqlite3_exec(j->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return journal_sqlite_fail(j, sql);
	return 0;
}

/* A single integer from @sql with one optional int64 parameter; @found 0
 * for no row or NULL. */
int journal_query_int(struct passgate_journal *j, const char *sql,
		      const int64_t *param, int64_t *out, bool *found)
{
	sqlite3_stmt *s = journal_prepare(j, sql);
	int rc;

	if (!s)
		return -1;
	if (param)
		sqlite3_bind_int64(s, 1, *param);
	rc = sqlite3_step(s);
	*found = rc == SQLITE_ROW && !journal_col_null(s, 0);
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
			if (!journal_col_int(s, 0, 1, INT64_MAX, &pos)) {
				sqlite3_finalize(s);
				return journal_fail(j, EBADMSG,
						    "journal head: bad pos");
			}
			if ((uint64_t)pos > j->head_pos) {
				j->head_pos = pos;
				if (!journal_col_blob(s, 1, HASH_SIZE, j->head_hash)) {
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
int journal_start_checkpoint(struct passgate_journal *j,
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
	if (*found && journal_read_mark_row(s, m, why, sizeof(why))) {
		sqlite3_finalize(s);
		return journal_fail(j, EBADMSG, "checkpoint: %s", why);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return journal_sqlite_fail(j, "reading the checkpoint");
	return 0;
}

/* The stream and the seq it expects next, after every row before @pos. */
int journal_stream_before(struct passgate_journal *j, int64_t pos,
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
		if (!journal_col_blob(s, 2, ID_SIZE, mst.id)) {
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
	st->next_seq = ev.seq + journal_event_span(&ev);
	if (estream == st->stream)
		return 0;

	/* The event's stream began after the start: its mark is there. */
	s = journal_prepare(j, "SELECT stream_id FROM mark"
			    " WHERE kind = 2 AND stream = ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, estream);
	rc = sqlite3_step(s);
	found = rc == SQLITE_ROW && journal_col_blob(s, 0, ID_SIZE, st->id);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return journal_sqlite_fail(j, "reading the journal");
	if (!found)
		return journal_fail(j, EBADMSG, "stream %u has no stream mark",
				    estream);
	st->stream = estream;
	return 0;
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
	if (journal_exec(j, "PRAGMA user_version = 2") ||
	    journal_exec(j, "COMMIT"))
		goto rollback;
	return 0;

rollback:
	v = errno;
	sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	errno = v;
	return -1;
}

/* Version 1 to 2: the seal table; its rows come with the next commits. */
static int journal_upgrade(struct passgate_journal *j)
{
	int e;

	if (journal_exec(j, "BEGIN IMMEDIATE"))
		return -1;
	if (journal_exec(j, SEAL_TABLE) ||
	    journal_exec(j, "PRAGMA user_version = 2") ||
	    journal_exec(j, "COMMIT")) {
		e = errno;
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		errno = e;
		return -1;
	}
	return 0;
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
	if (version != 0 && version != 1 && version != PASSGATE_JOURNAL_SCHEMA)
		return journal_fail(j, ENOTSUP, "journal schema version %lld;"
				    " this build reads versions 1 and %d",
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
		if (created && passgate_file_sync_dir(path))
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
	/* Only a journal of this gate is upgraded. */
	if (version == 1 && !j->rdonly && journal_upgrade(j))
		return -1;
	j->sealed_schema = version != 1 || !j->rdonly;

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
	sodium_memzero(j->seal_sk, sizeof(j->seal_sk));
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
