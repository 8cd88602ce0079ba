// SPDX-License-Identifier: GPL-2.0-only
/*
 * The baseline: a batch stored as the collector stored it before it
 * batched, one statement per gate step and one INSERT per row, each a
 * round trip.  It is kept, behind --store row, only so that make station
 * can measure the batched path (store_copy.c) against it in the same
 * run; it stores the same rows, heads and seals.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row_text.h"
#include "store_private.h"

/*
 * Rows past the verified head can only be unverified ones (stored by a
 * collector before seals): the verified row replaces them.
 */
static const char insert_row[] =
	"INSERT INTO events (" ROW_TEXT_COLUMNS ")"
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

static const char notify_stored[] = "SELECT pg_notify('passgate_stored', $1)";

/* Run one statement; on failure its result stays in *@res for the caller. */
static int exec(PGconn *conn, const char *sql, int n,
		const char *const *params, PGresult **res, ExecStatusType want)
{
	*res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(*res) == want)
		return 0;
	return -1;
}

/* Inside the transaction: the head is still the one verified against. */
static int check_head(PGconn *conn, struct registry_gate *g, PGresult **res,
		      char *why, size_t whylen)
{
	char hex[ROW_TEXT_BYTEA_SIZE(32)], number[16];
	char genesis[ROW_TEXT_BYTEA_SIZE(32)];
	uint8_t zero[32];
	const char *np[3] = { g->name, number, genesis };
	const char *p[2] = { g->name, hex };
	uint64_t pos = 0;

	snprintf(number, sizeof(number), "%" PRIu32, g->number);
	passgate_chain_genesis(g->number, zero);
	row_text_bytea(genesis, zero, sizeof(zero));
	if (exec(conn, new_head, 3, np, res, PGRES_COMMAND_OK))
		return -1;
	PQclear(*res);
	row_text_bytea(hex, g->head_hash, sizeof(g->head_hash));
	if (exec(conn, lock_head, 2, p, res, PGRES_TUPLES_OK))
		return -1;
	if (PQntuples(*res) == 1) {
		pos = strtoull(PQgetvalue(*res, 0, 0), NULL, 10);
		if (pos == g->head_pos && !strcmp(PQgetvalue(*res, 0, 1), "t")) {
			PQclear(*res);
			return 0;
		}
	}
	PQclear(*res);
	snprintf(why, whylen, "the database's head of %s is %" PRIu64
		 ", not %" PRIu64 ": another collector?", g->name, pos,
		 g->head_pos);
	return 1;
}

static int insert_rows(PGconn *conn, const struct store_item *it,
		       PGresult **res)
{
	struct row_text t;
	uint32_t k;

	for (k = it->from; k < it->batch.count; k++) {
		row_text(&t, it->gate->name, &it->batch.rows[k]);
		if (exec(conn, insert_row, F_COUNT, t.field, res,
			 PGRES_COMMAND_OK))
			return -1;
		PQclear(*res);
	}
	return 0;
}

/* The batch's last row as its gate's head, and its seal. */
static int set_head_and_seal(PGconn *conn, const struct store_item *it,
			     PGresult **res)
{
	const struct registry_gate *g = it->gate;
	const struct passgate_batch *b = &it->batch;
	const struct passgate_chain_row *last = &b->rows[b->count - 1];
	char number[16], pos[24], hash[ROW_TEXT_BYTEA_SIZE(32)];
	char seal[ROW_TEXT_BYTEA_SIZE(PASSGATE_SEAL_SIZE)];
	const char *hp[4] = { g->name, number, pos, hash };
	const char *sp[3] = { g->name, pos, seal };

	snprintf(number, sizeof(number), "%" PRIu32, g->number);
	snprintf(pos, sizeof(pos), "%" PRIu64, last->pos);
	row_text_bytea(hash, last->hash, sizeof(last->hash));
	row_text_bytea(seal, b->seal, sizeof(b->seal));
	if (exec(conn, set_head, 4, hp, res, PGRES_COMMAND_OK))
		return -1;
	PQclear(*res);
	if (exec(conn, insert_seal, 3, sp, res, PGRES_COMMAND_OK))
		return -1;
	PQclear(*res);
	if (exec(conn, notify_stored, 1, hp, res, PGRES_TUPLES_OK))
		return -1;
	PQclear(*res);
	return 0;
}

/* In this mode the burst holds one batch (burst.c). */
int store_row_once(PGconn *conn, const struct store_item *it,
		   PGresult **res, char *why, size_t whylen)
{
	int r;

	*res = PQexec(conn, "BEGIN");
	if (PQresultStatus(*res) != PGRES_COMMAND_OK)
		return -1;
	PQclear(*res);
	r = check_head(conn, it->gate, res, why, whylen);
	if (r > 0) {
		it->gate->head_known = 0;
		*res = PQexec(conn, "ROLLBACK");
		PQclear(*res);
		return 1;
	}
	if (r || insert_rows(conn, it, res) || set_head_and_seal(conn, it, res))
		return -1;
	*res = PQexec(conn, "COMMIT");
	if (PQresultStatus(*res) != PGRES_COMMAND_OK)
		return -1;
	PQclear(*res);
	return 0;
}
