// SPDX-License-Identifier: GPL-2.0-only
/*
 * The collector's side of PostgreSQL: one connection; verified batches
 * are stored in one transaction together with their gates' new verified
 * heads and their seals, so the database holds a gate's rows exactly up
 * to the head it states (and, with the server's default
 * synchronous_commit, on its disk when the COMMIT returns).  The
 * transaction itself is store_copy.c's (batched) or store_row.c's (the
 * baseline, one INSERT per row); here the connection, its retries, and
 * what a failure means.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "gate/core/log.h"
#include "gate/core/service.h"
#include "store.h"
#include "store_private.h"

struct store {
	PGconn *conn;
	char *conninfo;
	enum store_mode mode;
	volatile sig_atomic_t *stop;
	unsigned long connections;
};

/* docs/station.md shows these tables; keep them alike. */
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
	" PRIMARY KEY (gate, pos));"
	"ALTER TABLE events ADD COLUMN IF NOT EXISTS encoding bytea;"
	"CREATE TABLE IF NOT EXISTS chain ("
	" gate text PRIMARY KEY,"
	" number bigint NOT NULL,"
	" pos bigint NOT NULL CHECK (pos >= 0),"
	" hash bytea NOT NULL CHECK (length(hash) = 32),"
	" updated_at timestamptz NOT NULL DEFAULT now());"
	"CREATE TABLE IF NOT EXISTS seals ("
	" gate text NOT NULL,"
	" pos bigint NOT NULL,"
	" seal bytea NOT NULL CHECK (length(seal) = 64),"
	" PRIMARY KEY (gate, pos));"
	/*
	 * passgate-overview's reads: a gate's latest row of each kind and
	 * its verdicts of the last minutes, without a scan of its history.
	 */
	"CREATE INDEX IF NOT EXISTS events_gate_type_stored"
	" ON events (gate, type, stored_ns);"
	/*
	 * What the overview's read-only role may see (docs/station.md, "The
	 * overview page"): events without the scans' credential digests,
	 * the data only where it says what the overview shows.
	 */
	"CREATE OR REPLACE VIEW overview_events WITH (security_barrier) AS"
	" SELECT gate, pos, type, lane, arg, value, stored_ns,"
	" CASE WHEN type IN ('verdict', 'list-activated', 'list-expired')"
	" THEN data END AS data"
	" FROM events WHERE kind = 'event' AND type <> 'scan';";

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000

/*
 * Sleep @ms, cut short by a signal: SIGTERM is installed without
 * SA_RESTART, so a stop request ends the wait at once.
 */
static void pause_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	/* Waiting for PostgreSQL is not a hang: systemd's watchdog hears. */
	passgate_service_alive();
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
	/* Storing stops until PostgreSQL is back. */
	passgate_log_pri(LOG_ERR, NULL, "postgres: %s: %s", what, line);
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
	/*
	 * Bounded waits, below the unit's WatchdogSec=30: to connect, for a
	 * peer that stopped answering, for a lock and for a statement.  The
	 * operator's conninfo comes last and wins.
	 */
	static const char *const keys[] = {
		"connect_timeout", "keepalives", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "tcp_user_timeout",
		"options", "dbname", NULL,
	};
	const char *values[] = {
		"10", "1", "10", "5", "3", "20000",
		"-c statement_timeout=20s -c lock_timeout=10s", s->conninfo,
		NULL,
	};

	s->conn = PQconnectdbParams(keys, values, 1);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		log_pq("connect", PQerrorMessage(s->conn));
		return -1;
	}
	/* Quiet the "already exists" notice of every reconnect. */
	res = PQexec(s->conn, "SET client_min_messages = warning");
	PQclear(res);
	res = PQexec(s->conn, schema);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	s->connections++;
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

struct store *store_open(const char *conninfo, enum store_mode mode,
			 volatile sig_atomic_t *stop)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s || !(s->conninfo = strdup(conninfo))) {
		free(s);
		return NULL;
	}
	s->mode = mode;
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
 * SQLSTATE classes 21 (cardinality violation: one row twice in a
 * statement), 22 (data exception) and 23 (integrity constraint violation)
 * are the batches' fault: retrying cannot help.  Anything else (the
 * connection, a full disk, a dropped table, a read-only standby) is the
 * server's, and the batches wait for it to be fixed.
 */
static int row_fault(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state && (!strncmp(state, "21", 2) ||
			 !strncmp(state, "22", 2) || !strncmp(state, "23", 2));
}

int store_head(struct store *s, struct registry_gate *g)
{
	const char *p[1] = { g->name };
	unsigned int ms = BACKOFF_MIN_MS;
	PGresult *res;
	size_t len;
	unsigned char *bin;
	int ok;

	for (;;) {
		if (connect_retry(s))
			return -1;
		res = PQexecParams(s->conn, "SELECT pos, hash FROM chain WHERE"
				   " gate = $1", 1, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			break;
		log_pq("reading the chain", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(s->conn);
		s->conn = NULL;
		pause_ms(ms);
		ms = backoff(ms);
	}
	ok = 1;
	if (PQntuples(res) == 1) {
		g->head_pos = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		bin = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 1),
				      &len);
		ok = bin && len == sizeof(g->head_hash);
		if (ok)
			memcpy(g->head_hash, bin, len);
		PQfreemem(bin);
	} else {
		g->head_pos = 0;
		passgate_chain_genesis(g->number, g->head_hash);
	}
	PQclear(res);
	if (!ok) {
		passgate_log_pri(LOG_ERR, PASSGATE_LOG_FIELDS(.has_gate = true,
				 .gate = g->number),
				 "chain of %s: bad hash", g->name);
		return -1;
	}
	g->head_known = 1;
	return 0;
}

unsigned long store_connections(const struct store *s)
{
	return s->connections;
}

bool store_last_of_gate(const struct store_item *item, size_t n, size_t i)
{
	size_t j;

	for (j = i + 1; j < n; j++)
		if (item[j].gate == item[i].gate)
			return false;
	return true;
}

enum store_result store_items(struct store *s, const struct store_item *item,
			      size_t n, char *why, size_t whylen)
{
	unsigned int ms = BACKOFF_MIN_MS;
	PGresult *res;
	size_t i;
	int r;

	for (;;) {
		if (connect_retry(s))
			return STORE_STOPPED;
		if (s->mode == STORE_MODE_ROW)
			r = store_row_once(s->conn, item, &res, why, whylen);
		else
			r = store_copy_once(s->conn, item, n, &res, why,
					    whylen);
		if (r > 0)
			return STORE_CONFLICT;
		if (!r)
			break;
		if (row_fault(res)) {
			snprintf(why, whylen, "%s", PQresultErrorMessage(res));
			why[strcspn(why, "\n")] = '\0';
			PQclear(res);
			res = PQexec(s->conn, "ROLLBACK");
			PQclear(res);
			return STORE_REFUSED;
		}
		log_pq("storing a batch", res ? PQresultErrorMessage(res) :
		       PQerrorMessage(s->conn));
		PQclear(res);
		if (*s->stop)
			return STORE_STOPPED;
		/*
		 * Reconnect on the next round even if libpq thinks the link
		 * is up: a transaction cut short is rolled back with it.
		 */
		PQfinish(s->conn);
		s->conn = NULL;
		pause_ms(ms);
		ms = backoff(ms);
		if (*s->stop)
			return STORE_STOPPED;
	}
	/* Committed: the heads move, in chain order. */
	for (i = 0; i < n; i++) {
		const struct passgate_chain_row *last =
			&item[i].batch.rows[item[i].batch.count - 1];

		item[i].gate->head_pos = last->pos;
		memcpy(item[i].gate->head_hash, last->hash,
		       sizeof(item[i].gate->head_hash));
	}
	return STORE_INSERTED;
}
