// SPDX-License-Identifier: GPL-2.0-only
/*
 * The overview's reads (db.h).  Only the collector's overview_events view
 * and chain's gate, pos and updated_at are read, so that a role granted
 * just these (docs/station.md, "The overview page") is enough; every
 * transaction is READ ONLY.
 *
 * A gate is read whole once (at start, after a reconnect that finds it
 * behind, or when it is new): its chain row, the latest row of each kind
 * the state folds (gates.c), its last RECENT_ROWS rows (its lanes) and
 * its verdicts of the window, one REPEATABLE READ snapshot, each an index
 * scan (the primary key, or events_gate_type_stored).  After that a
 * notification costs one range of the primary key: the rows after what
 * was folded, up to the head read in the same snapshot.
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
#include "station/station_args.h"
#include "db.h"

/* Its lanes: those in a gate's last rows (and in any row of a kind). */
#define RECENT_ROWS 2000
#define STR_(x) #x
#define STR(x) STR_(x)
/* A gate further behind than this is read whole rather than caught up. */
#define CATCH_UP_MAX 20000
/* Notifications handled per wake-up, at most. */
#define NOTIFIED_MAX 64

struct db {
	PGconn *conn;
	char *conninfo;
	struct gates *gs;
	unsigned int window_min;
	char kinds[512];	/* the types the state folds, a text[] */
};

/* The event types whose latest row counts (gates.c, "The fold"). */
static const int folded[] = {
	PASSGATE_EV_LIST_ACTIVATED, PASSGATE_EV_LIST_EXPIRED,
	PASSGATE_EV_FIRE_ALARM, PASSGATE_EV_FIRE_CLEAR, PASSGATE_EV_FIRE_RESET,
	PASSGATE_EV_GATE_MODE, PASSGATE_EV_LANE_MODE, PASSGATE_EV_FORCED,
	PASSGATE_EV_TAILGATE, PASSGATE_EV_BEAM_BLOCKED,
	PASSGATE_EV_ALARMS_RESET, PASSGATE_EV_SCANNER_OFFLINE,
	PASSGATE_EV_SCANNER_ONLINE,
};

#define COLUMNS "pos, type, lane, arg, value, stored_ns, data"

static const char read_head[] =
	"SELECT pos, extract(epoch FROM updated_at)::bigint FROM chain"
	" WHERE gate = $1";

/*
 * The latest row of each kind: per type and lane, and per list (code or
 * ticket list: the claim's flags, byte 16) or reader (arg).
 */
static const char read_latest[] =
	"SELECT " COLUMNS " FROM ("
	" SELECT DISTINCT ON (type, lane, k) " COLUMNS " FROM ("
	"  SELECT " COLUMNS ", CASE"
	"   WHEN type LIKE 'list-%' THEN coalesce(get_byte(data, 16) & 4, 0)"
	"   WHEN type LIKE 'scanner-%' THEN arg ELSE 0 END AS k"
	"  FROM overview_events"
	"  WHERE gate = $1 AND pos <= $2 AND type = ANY ($3::text[])) kinds"
	" ORDER BY type, lane, k, pos DESC) latest";

static const char read_recent[] =
	"SELECT " COLUMNS " FROM overview_events"
	" WHERE gate = $1 AND pos <= $2 ORDER BY pos DESC"
	" LIMIT " STR(RECENT_ROWS);

static const char read_window[] =
	"SELECT " COLUMNS " FROM overview_events"
	" WHERE gate = $1 AND type = 'verdict' AND stored_ns >= $3"
	" AND pos <= $2";

static const char read_after[] =
	"SELECT " COLUMNS " FROM overview_events"
	" WHERE gate = $1 AND pos > $3 AND pos <= $2 ORDER BY pos";

/* libpq's messages span lines: one log line each. */
static void log_pq(const char *what, const char *msg)
{
	char line[512];
	size_t i, n = 0;

	for (i = 0; msg[i] && n + 1 < sizeof(line); i++)
		line[n++] = msg[i] == '\n' || msg[i] == '\t' ? ' ' : msg[i];
	while (n && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	passgate_log_pri(LOG_ERR, NULL, "postgres: %s: %s", what, line);
}

struct db *db_new(const char *conninfo, struct gates *gs,
		  unsigned int window_min)
{
	struct db *d = calloc(1, sizeof(*d));
	size_t n = 0;

	if (!d || !(d->conninfo = strdup(conninfo))) {
		free(d);
		return NULL;
	}
	d->gs = gs;
	d->window_min = window_min;
	d->kinds[n++] = '{';
	for (size_t i = 0; i < sizeof(folded) / sizeof(folded[0]); i++)
		n += snprintf(d->kinds + n, sizeof(d->kinds) - n, "%s%s",
			      i ? "," : "", passgate_event_type_name(folded[i]));
	snprintf(d->kinds + n, sizeof(d->kinds) - n, "}");
	return d;
}

void db_free(struct db *d)
{
	if (!d)
		return;
	if (d->conn)
		PQfinish(d->conn);
	free(d->conninfo);
	free(d);
}

int db_socket(const struct db *d)
{
	return d->conn ? PQsocket(d->conn) : -1;
}

static void disconnect(struct db *d)
{
	if (d->conn)
		PQfinish(d->conn);
	d->conn = NULL;
	gates_set_database(d->gs, false);
}

static int command(struct db *d, const char *sql)
{
	PGresult *res = PQexec(d->conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		log_pq(sql, PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

static int event_type(const char *name)
{
	const char *known;

	for (int t = 0; t < 64; t++) {
		known = passgate_event_type_name(t);
		if (known && !strcmp(known, name))
			return t;
	}
	return -1;
}

/* Row @i of @res into @r; -1 when a column is not what it must be. */
static int parse_row(const PGresult *res, int i, struct overview_row *r)
{
	const char *data;
	size_t got;

	memset(r, 0, sizeof(*r));
	r->pos = strtoull(PQgetvalue(res, i, 0), NULL, 10);
	r->type = event_type(PQgetvalue(res, i, 1));
	r->lane = PQgetisnull(res, i, 2) ? -1 :
		  strtoll(PQgetvalue(res, i, 2), NULL, 10);
	r->arg = strtoul(PQgetvalue(res, i, 3), NULL, 10);
	r->value = strtoull(PQgetvalue(res, i, 4), NULL, 10);
	r->stored_ns = strtoll(PQgetvalue(res, i, 5), NULL, 10);
	if (PQgetisnull(res, i, 6))
		return 0;
	data = PQgetvalue(res, i, 6);
	if (strncmp(data, "\\x", 2) ||
	    sodium_hex2bin(r->data, sizeof(r->data), data + 2,
			   strlen(data + 2), NULL, &got, NULL) ||
	    got != sizeof(r->data))
		return -1;
	r->has_data = true;
	return 0;
}

static int by_pos(const void *a, const void *b)
{
	const struct overview_row *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

struct rows {
	struct overview_row *row;
	size_t count, size;
};

/* Run @sql with @params and append its rows; -1 on an error (logged). */
static int read_rows(struct db *d, const char *sql, int nparams,
		     const char *const *params, struct rows *rows)
{
	PGresult *res;
	int n, ok = 1;

	res = PQexecParams(d->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_pq("reading rows", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	if (rows->count + n > rows->size) {
		size_t size = rows->count + n + 64;
		void *p = realloc(rows->row, size * sizeof(rows->row[0]));

		if (!p) {
			PQclear(res);
			return -1;
		}
		rows->row = p;
		rows->size = size;
	}
	for (int i = 0; i < n; i++) {
		if (parse_row(res, i, &rows->row[rows->count])) {
			ok = 0;
			continue;
		}
		rows->count++;
	}
	if (!ok)
		passgate_log_pri(LOG_WARNING, NULL, "%s: a row of %s with"
				 " data not 32 bytes, skipped", params[0],
				 "overview_events");
	PQclear(res);
	return 0;
}

/* In position order, each position once. */
static void sort_unique(struct rows *rows)
{
	size_t n = 0;

	qsort(rows->row, rows->count, sizeof(rows->row[0]), by_pos);
	for (size_t i = 0; i < rows->count; i++)
		if (!n || rows->row[i].pos != rows->row[n - 1].pos)
			rows->row[n++] = rows->row[i];
	rows->count = n;
}

/*
 * Read @gate's rows, whole or those after @after (when @whole is false),
 * into the gates, in one snapshot.  1 when the gate is not in the
 * database, 0 done, -1 failed (the connection is given up).
 */
static int read_gate(struct db *d, const char *gate, bool whole,
		     uint64_t after)
{
	struct rows rows = { 0 };
	char head[24], since[24], from[24];
	const char *p[3] = { gate, head, NULL };
	uint64_t pos;
	int64_t verified_at;
	PGresult *res;
	struct timespec now;
	int rc = -1;

	if (command(d, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
		return -1;
	res = PQexecParams(d->conn, read_head, 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_pq("reading the chain", PQresultErrorMessage(res));
		PQclear(res);
		goto rollback;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		rc = 1;
		goto rollback;
	}
	pos = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	verified_at = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	snprintf(head, sizeof(head), "%" PRIu64, pos);
	/* A database restored from before, or a gate far behind: whole. */
	if (!whole && (pos < after || pos - after > CATCH_UP_MAX))
		whole = true;
	if (whole) {
		clock_gettime(CLOCK_REALTIME, &now);
		snprintf(since, sizeof(since), "%lld", (long long)(now.tv_sec -
			 (time_t)d->window_min * 60) * 1000000000LL);
		p[2] = d->kinds;
		if (read_rows(d, read_latest, 3, p, &rows))
			goto rollback;
		if (read_rows(d, read_recent, 2, p, &rows))
			goto rollback;
		p[2] = since;
		if (read_rows(d, read_window, 3, p, &rows))
			goto rollback;
		sort_unique(&rows);
	} else if (pos > after) {
		snprintf(from, sizeof(from), "%" PRIu64, after);
		p[2] = from;
		if (read_rows(d, read_after, 3, p, &rows))
			goto rollback;
	}
	if (command(d, "COMMIT"))
		goto free_rows;
	if (!whole && pos == after) {
		rc = 0;
		goto free_rows;
	}
	rc = 0;
	if (gates_fold(d->gs, gate, whole, pos, verified_at, rows.row,
		       rows.count))
		passgate_log_pri(LOG_WARNING, NULL, "%s: not shown: more than"
				 " %d gates", gate, GATES_MAX);
	goto free_rows;
rollback:
	if (PQstatus(d->conn) == CONNECTION_OK)
		command(d, "ROLLBACK");
free_rows:
	free(rows.row);
	return rc;
}

/* The rows of @gate after what was folded (whole when it is new). */
static int update_gate(struct db *d, const char *gate)
{
	uint64_t pos;
	bool known = gates_pos(d->gs, gate, &pos);

	return read_gate(d, gate, !known, pos) < 0 ? -1 : 0;
}

/* Every gate the chain table holds, read. */
static int read_gates(struct db *d)
{
	PGresult *res;
	int n;

	res = PQexec(d->conn, "SELECT gate FROM chain ORDER BY gate");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_pq("reading the gates", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		const char *gate = PQgetvalue(res, i, 0);

		if (!passgate_station_valid_name(gate, strlen(gate)))
			continue;
		/* Many gates read whole is no hang: the watchdog hears. */
		passgate_service_alive();
		if (update_gate(d, gate)) {
			PQclear(res);
			return -1;
		}
	}
	PQclear(res);
	return n;
}

/*
 * The notifications libpq holds: their gates read again.  Reading them
 * runs queries, during which libpq may queue further notifications
 * (the socket then stays quiet): so again, until none is left.
 */
static int read_notified(struct db *d)
{
	char gates[NOTIFIED_MAX][PASSGATE_STATION_NAME_MAX + 1];
	PGnotify *note;
	size_t n, i;
	bool all;

	for (;;) {
		n = 0;
		all = false;
		/*
		 * One read per gate however many batches it stored
		 * meanwhile.  The payload is only a hint (any role may
		 * NOTIFY): a name the chain table does not hold reads
		 * nothing.
		 */
		while ((note = PQnotifies(d->conn))) {
			const char *gate = note->extra;

			if (passgate_station_valid_name(gate, strlen(gate))) {
				for (i = 0; i < n && strcmp(gates[i], gate); i++)
					;
				if (i == n && n == NOTIFIED_MAX)
					all = true;
				else if (i == n)
					snprintf(gates[n++], sizeof(gates[0]),
						 "%s", gate);
			}
			PQfreemem(note);
		}
		if (!n && !all)
			return 0;
		/* More gates than that at once: all, as after a connect. */
		if (all && read_gates(d) < 0)
			return -1;
		for (i = 0; !all && i < n; i++)
			if (update_gate(d, gates[i]))
				return -1;
	}
}

int db_connect(struct db *d)
{
	static const char *const keys[] = {
		"connect_timeout", "keepalives", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "tcp_user_timeout",
		"application_name", "options", "dbname", NULL,
	};
	/*
	 * Bounded waits (the unit's WatchdogSec=30) and read-only sessions;
	 * the operator's conninfo comes last and wins, but the role is what
	 * keeps the overview from writing (docs/station.md).
	 */
	const char *values[] = {
		"10", "1", "10", "5", "3", "20000", "passgate-overview",
		"-c default_transaction_read_only=on -c statement_timeout=10s",
		d->conninfo, NULL,
	};
	int n;

	if (d->conn)
		disconnect(d);
	d->conn = PQconnectdbParams(keys, values, 1);
	if (PQstatus(d->conn) != CONNECTION_OK) {
		log_pq("connect", PQerrorMessage(d->conn));
		disconnect(d);
		return -1;
	}
	/* First: a batch stored while the gates are read is not missed. */
	if (command(d, "LISTEN passgate_stored"))
		goto failed;
	n = read_gates(d);
	/* What was stored while the gates were read. */
	if (n < 0 || read_notified(d))
		goto failed;
	gates_set_database(d->gs, true);
	passgate_log_pri(LOG_NOTICE, NULL, "database: %d gates, listening",
			 n);
	return 0;
failed:
	disconnect(d);
	return -1;
}

int db_notified(struct db *d)
{
	if (!d->conn)
		return -1;
	if (!PQconsumeInput(d->conn)) {
		log_pq("connection", PQerrorMessage(d->conn));
		disconnect(d);
		return -1;
	}
	if (read_notified(d)) {
		disconnect(d);
		return -1;
	}
	return 0;
}
