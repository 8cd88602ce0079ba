// SPDX-License-Identifier: GPL-2.0-only
/*
 * The collector's side of PostgreSQL: one connection; a verified batch is
 * stored in one transaction together with the gate's new verified head
 * and its seal, so the database holds a gate's rows exactly up to the
 * head it states (and, with the server's default synchronous_commit, on
 * its disk when the COMMIT returns).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "gate/core/log.h"
#include "gate/core/service.h"
#include "lib/libpassgate.h"
#include "store.h"

struct store {
	PGconn *conn;
	char *conninfo;
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

/*
 * Rows past the verified head can only be unverified ones (stored by a
 * collector before seals): the verified row replaces them.
 */
static const char insert[] =
	"INSERT INTO events (gate, pos, kind, stream, seq, type, lane, arg,"
	" value, time_ns, stored_ns, data, hash, encoding)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
	" ON CONFLICT (gate, pos) DO UPDATE SET kind = $3, stream = $4,"
	" seq = $5, type = $6, lane = $7, arg = $8, value = $9, time_ns = $10,"
	" stored_ns = $11, data = $12, hash = $13, encoding = $14,"
	" received_at = now()";

/*
 * The gate's row first (a new gate has none, and FOR UPDATE locks no row
 * that is not there), then locked, then compared as bytes.
 */
static const char new_head[] =
	"INSERT INTO chain (gate, number, pos, hash) VALUES ($1, $2, 0, $3)"
	" ON CONFLICT (gate) DO NOTHING";
static const char lock_head[] =
	"SELECT pos, hash = $2 FROM chain WHERE gate = $1 FOR UPDATE";

static const char set_head[] =
	"INSERT INTO chain (gate, number, pos, hash) VALUES ($1, $2, $3, $4)"
	" ON CONFLICT (gate) DO UPDATE SET number = $2, pos = $3, hash = $4,"
	" updated_at = now()";

static const char insert_seal[] =
	"INSERT INTO seals (gate, pos, seal) VALUES ($1, $2, $3)"
	" ON CONFLICT (gate, pos) DO UPDATE SET seal = $3";

/*
 * Delivered on COMMIT, and only then: a listener (passgate-overview)
 * never reads a gate's rows before they are there.  The payload is a
 * hint, the gate's name; the rows themselves are the truth.
 */
static const char notify_stored[] = "SELECT pg_notify('passgate_stored', $1)";

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
 * violation) are this batch's fault: retrying cannot help.  Anything else
 * (the connection, a full disk, a dropped table, a read-only standby) is
 * the server's, and the batch waits for it to be fixed.
 */
static int row_fault(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state && (!strncmp(state, "22", 2) || !strncmp(state, "23", 2));
}

/* "\x" and hex: bytea in text form. */
static void bytea(char *out, const void *p, size_t len)
{
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 2 * len + 1, p, len);
}

/* Run one statement; on failure its result stays in *@res for the caller. */
static int exec(struct store *s, const char *sql, int n,
		const char *const *params, PGresult **res, ExecStatusType want)
{
	*res = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(*res) == want)
		return 0;
	return -1;
}

enum row_param {
	P_GATE, P_POS, P_KIND, P_STREAM, P_SEQ, P_TYPE, P_LANE, P_ARG,
	P_VALUE, P_TIME_NS, P_STORED_NS, P_DATA, P_HASH, P_ENCODING, P_COUNT
};

/* Parameter @i as the decimal text of @v, in @num's slot. */
static void param_u64(const char **p, char (*num)[24], int i, uint64_t v)
{
	snprintf(num[i], sizeof(num[i]), "%" PRIu64, v);
	p[i] = num[i];
}

static int insert_row(struct store *s, const char *gate,
		      const struct passgate_chain_row *r, PGresult **res)
{
	static const char *const kinds[] = {
		[PASSGATE_ROW_EVENT] = "event",
		[PASSGATE_ROW_STREAM] = "stream",
		[PASSGATE_ROW_CHECKPOINT] = "checkpoint",
	};
	char num[P_COUNT][24], type[32], data[2 + 64 + 1], hash[2 + 64 + 1];
	char enc[2 + 2 * PASSGATE_ROW_SIZE_MAX + 1];
	const char *p[P_COUNT] = { NULL };
	const char *name;

	p[P_GATE] = gate;
	param_u64(p, num, P_POS, r->pos);
	p[P_KIND] = kinds[r->kind];
	param_u64(p, num, P_STREAM, r->stream);
	snprintf(num[P_STORED_NS], 24, "%" PRId64, r->stored_ns);
	p[P_STORED_NS] = num[P_STORED_NS];
	bytea(hash, r->hash, sizeof(r->hash));
	p[P_HASH] = hash;
	bytea(enc, r->enc, r->len);
	p[P_ENCODING] = enc;
	if (r->kind == PASSGATE_ROW_EVENT) {
		param_u64(p, num, P_SEQ, r->seq);
		name = passgate_event_type_name(r->type);
		if (name)
			snprintf(type, sizeof(type), "%s", name);
		else
			snprintf(type, sizeof(type), "%" PRIu32, r->type);
		p[P_TYPE] = type;
		if (r->lane != UINT32_MAX)
			param_u64(p, num, P_LANE, r->lane);
		param_u64(p, num, P_ARG, r->arg);
		param_u64(p, num, P_VALUE, r->value);
		param_u64(p, num, P_TIME_NS, r->time_ns);
		bytea(data, r->data, sizeof(r->data));
		p[P_DATA] = data;
	}
	return exec(s, insert, P_COUNT, p, res, PGRES_COMMAND_OK);
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

/* Inside the transaction: the head is still the one verified against. */
static enum store_result check_head(struct store *s, struct registry_gate *g,
				    PGresult **res, char *why, size_t whylen)
{
	char hex[2 + 64 + 1], number[16], genesis[2 + 64 + 1];
	uint8_t zero[32];
	const char *np[3] = { g->name, number, genesis };
	const char *p[2] = { g->name, hex };
	uint64_t pos = 0;

	snprintf(number, sizeof(number), "%" PRIu32, g->number);
	passgate_chain_genesis(g->number, zero);
	bytea(genesis, zero, sizeof(zero));
	if (exec(s, new_head, 3, np, res, PGRES_COMMAND_OK))
		return STORE_STOPPED;	/* the caller looks at *res */
	PQclear(*res);
	bytea(hex, g->head_hash, sizeof(g->head_hash));
	if (exec(s, lock_head, 2, p, res, PGRES_TUPLES_OK))
		return STORE_STOPPED;
	if (PQntuples(*res) == 1) {
		pos = strtoull(PQgetvalue(*res, 0, 0), NULL, 10);
		if (pos == g->head_pos && !strcmp(PQgetvalue(*res, 0, 1), "t"))
			return STORE_INSERTED;
	}
	snprintf(why, whylen, "the database's head of %s is %" PRIu64
		 ", not %" PRIu64 ": another collector?", g->name, pos,
		 g->head_pos);
	return STORE_CONFLICT;
}

unsigned long store_connections(const struct store *s)
{
	return s->connections;
}

enum store_result store_batch(struct store *s, struct registry_gate *g,
			      const struct passgate_batch *b, uint32_t from,
			      char *why, size_t whylen)
{
	const struct passgate_chain_row *last = &b->rows[b->count - 1];
	char number[16], pos[24], hash[2 + 64 + 1], seal[2 + 128 + 1];
	const char *hp[4] = { g->name, number, pos, hash };
	const char *sp[3] = { g->name, pos, seal };
	unsigned int ms = BACKOFF_MIN_MS;
	enum store_result r;
	PGresult *res = NULL;
	uint32_t i;

	snprintf(number, sizeof(number), "%" PRIu32, g->number);
	snprintf(pos, sizeof(pos), "%" PRIu64, last->pos);
	bytea(hash, last->hash, sizeof(last->hash));
	bytea(seal, b->seal, sizeof(b->seal));
	for (;;) {
		if (connect_retry(s))
			return STORE_STOPPED;
		res = PQexec(s->conn, "BEGIN");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			goto failed;
		PQclear(res);
		r = check_head(s, g, &res, why, whylen);
		if (r == STORE_STOPPED)
			goto failed;
		PQclear(res);
		if (r == STORE_CONFLICT) {
			res = PQexec(s->conn, "ROLLBACK");
			PQclear(res);
			g->head_known = 0;
			return r;
		}
		for (i = from; i < b->count; i++) {
			if (insert_row(s, g->name, &b->rows[i], &res))
				goto failed;
			PQclear(res);
		}
		if (exec(s, set_head, 4, hp, &res, PGRES_COMMAND_OK))
			goto failed;
		PQclear(res);
		if (exec(s, insert_seal, 3, sp, &res, PGRES_COMMAND_OK))
			goto failed;
		PQclear(res);
		if (exec(s, notify_stored, 1, hp, &res, PGRES_TUPLES_OK))
			goto failed;
		PQclear(res);
		res = PQexec(s->conn, "COMMIT");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			goto failed;
		PQclear(res);
		g->head_pos = last->pos;
		memcpy(g->head_hash, last->hash, sizeof(g->head_hash));
		return STORE_INSERTED;
failed:
		if (row_fault(res)) {
			snprintf(why, whylen, "%s", PQresultErrorMessage(res));
			why[strcspn(why, "\n")] = '\0';
			PQclear(res);
			res = PQexec(s->conn, "ROLLBACK");
			PQclear(res);
			return STORE_REFUSED;
		}
		log_pq("storing a batch", PQresultErrorMessage(res));
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
}
