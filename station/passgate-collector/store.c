// SPDX-License-Identifier: GPL-2.0-only
/*
 * The collector's side of PostgreSQL: one connection, one statement per
 * row in autocommit mode, so a row is committed (and, with the server's
 * default synchronous_commit, on its disk) when PQexecParams() returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "store.h"

struct store {
	PGconn *conn;
	char *conninfo;
	volatile sig_atomic_t *stop;
};

/* docs/station.md shows this table; keep them alike. */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS events ("
	" gate text NOT NULL,"
	" pos bigint NOT NULL CHECK (pos >= 0),"
	" kind text NOT NULL CHECK (kind IN ('event', 'stream', 'checkpoint')),"
	" stream bigint,"
	" seq numeric(20),"
	" type text,"
	" lane bigint,"
	" arg bigint,"
	" value numeric(20),"
	" time_ns numeric(20),"
	" stored_ns bigint NOT NULL,"
	" data bytea CHECK (length(data) = 32),"
	" hash bytea NOT NULL CHECK (length(hash) = 32),"
	" received_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (gate, pos))";

static const char insert[] =
	"INSERT INTO events (gate, pos, kind, stream, seq, type, lane, arg,"
	" value, time_ns, stored_ns, data, hash)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
	" ON CONFLICT (gate, pos) DO NOTHING";

static const char stored_hash[] =
	"SELECT hash = $3 FROM events WHERE gate = $1 AND pos = $2";

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000

/*
 * Sleep @ms, cut short by a signal: SIGTERM is installed without
 * SA_RESTART, so a stop request ends the wait at once.
 */
static void pause_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static unsigned int backoff(unsigned int ms)
{
	return ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
}

/* libpq's messages span lines: one log line each. */
static void log_pq(const char *what, const char *msg)
{
	char line[512];
	size_t i, n = 0;

	for (i = 0; msg[i] && n + 1 < sizeof(line); i++) {
		if (msg[i] == '\n' || msg[i] == '\t') {
			if (n && line[n - 1] != ' ')
				line[n++] = ' ';
			continue;
		}
		line[n++] = msg[i];
	}
	while (n && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	fprintf(stderr, "passgate-collector: postgres: %s: %s\n", what, line);
}

/* Connected with the table in place: 0; else -1 (logged). */
static int connect_once(struct store *s)
{
	PGresult *res;
	int ok;

	if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	if (s->conn)
		PQfinish(s->conn);
	s->conn = PQconnectdb(s->conninfo);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		log_pq("connect", PQerrorMessage(s->conn));
		return -1;
	}
	/* Quiet the "already exists" notice of every reconnect. */
	res = PQexec(s->conn, "SET client_min_messages = warning");
	PQclear(res);
	res = PQexec(s->conn, schema);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		log_pq("create table events", PQerrorMessage(s->conn));
	PQclear(res);
	return ok ? 0 : -1;
}

/* Connect, retrying with a growing pause; -1 only when stopped. */
static int connect_retry(struct store *s)
{
	unsigned int ms = BACKOFF_MIN_MS;

	while (!*s->stop) {
		if (!connect_once(s))
			return 0;
		pause_ms(ms);
		ms = backoff(ms);
	}
	return -1;
}

struct store *store_open(const char *conninfo, volatile sig_atomic_t *stop)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s || !(s->conninfo = strdup(conninfo))) {
		free(s);
		return NULL;
	}
	s->stop = stop;
	if (connect_retry(s)) {
		store_close(s);
		return NULL;
	}
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->conn)
		PQfinish(s->conn);
	free(s->conninfo);
	free(s);
}

/*
 * SQLSTATE classes 22 (data exception) and 23 (integrity constraint
 * violation) are this row's fault: retrying cannot help.  Anything else
 * (the connection, a full disk, a dropped table, a read-only standby) is
 * the server's, and the row waits for it to be fixed.
 */
static int row_fault(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state && (!strncmp(state, "22", 2) || !strncmp(state, "23", 2));
}

/* Same (gate, pos) already stored: is it the same row? */
static enum store_result compare(struct store *s, const struct row *row,
				 char *why, size_t whylen)
{
	const char *params[3] = { row->text[ROW_GATE], row->text[ROW_POS],
				  row->text[ROW_HASH] };
	enum store_result r = STORE_DUPLICATE;
	PGresult *res;

	res = PQexecParams(s->conn, stored_hash, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), "t")) {
		snprintf(why, whylen, "(%s, %s) is stored with another hash",
			 row->text[ROW_GATE], row->text[ROW_POS]);
		r = STORE_CONFLICT;
	}
	PQclear(res);
	return r;
}

enum store_result store_row(struct store *s, const struct row *row,
			    char *why, size_t whylen)
{
	unsigned int ms = BACKOFF_MIN_MS;
	enum store_result r;
	PGresult *res;

	for (;;) {
		if (connect_retry(s))
			return STORE_STOPPED;
		res = PQexecParams(s->conn, insert, ROW_FIELDS, NULL, row->text,
				   NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			r = strcmp(PQcmdTuples(res), "1") ? STORE_DUPLICATE :
							    STORE_INSERTED;
			PQclear(res);
			if (r == STORE_DUPLICATE)
				r = compare(s, row, why, whylen);
			return r;
		}
		if (row_fault(res)) {
			snprintf(why, whylen, "%s", PQresultErrorMessage(res));
			why[strcspn(why, "\n")] = '\0';
			PQclear(res);
			return STORE_REFUSED;
		}
		log_pq("insert", PQresultErrorMessage(res));
		PQclear(res);
		if (*s->stop)
			return STORE_STOPPED;
		/*
		 * Reconnect on the next round even if libpq thinks the link
		 * is up: that also creates the table again if it was dropped.
		 */
		PQfinish(s->conn);
		s->conn = NULL;
		pause_ms(ms);
		ms = backoff(ms);
		if (*s->stop)
			return STORE_STOPPED;
	}
}
