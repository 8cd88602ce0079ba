// SPDX-License-Identifier: GPL-2.0-only
/*
 * The batched transaction: any number of verified batches, from any
 * number of gates, in a fixed number of statements.  Every gate's head
 * is created, locked and checked in one statement each (arrays, unnest);
 * every row goes in one COPY straight into events; the new heads, the
 * seals and the notifications in one statement each.  Thousands of rows
 * cost ten round trips and one COMMIT, where the baseline (store_row.c)
 * spends a round trip on every row.
 *
 * COPY cannot say ON CONFLICT, so uniqueness is made sure of before it:
 * rows past a gate's verified head can only be unverified ones (stored
 * by a collector before seals), and those at the positions the batches
 * bring are deleted first, under the lock on the gate's chain row, as
 * the baseline's ON CONFLICT DO UPDATE replaces them.  Rows at or before
 * the head are never sent again (a batch is stored from its first row
 * past the head, main.c), and the burst holds each position once
 * (burst.c).  Were a row there all the same, the primary key would fail
 * the COPY and, with it, the whole transaction: a row is never stored
 * twice, nor a batch in part.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row_text.h"
#include "store_private.h"

/* The gates' rows first: FOR UPDATE locks no row that is not there. */
static const char new_heads[] =
	"INSERT INTO chain (gate, number, pos, hash)"
	" SELECT gate, number, 0, hash"
	" FROM unnest($1::text[], $2::bigint[], $3::bytea[])"
	" AS h(gate, number, hash)"
	" ON CONFLICT (gate) DO NOTHING";

/* Locked in the order of their names, compared as bytes. */
static const char lock_heads[] =
	"SELECT c.gate, c.pos, c.pos = h.pos AND c.hash = h.hash"
	" FROM chain c JOIN unnest($1::text[], $2::bigint[], $3::bytea[])"
	" AS h(gate, pos, hash) ON c.gate = h.gate"
	" ORDER BY c.gate FOR UPDATE OF c";

static const char delete_unverified[] =
	"DELETE FROM events e"
	" USING unnest($1::text[], $2::bigint[], $3::bigint[])"
	" AS h(gate, head, last)"
	" WHERE e.gate = h.gate AND e.pos > h.head AND e.pos <= h.last";

/* collector_test.sh finds the collector waiting inside it by its words. */
static const char copy_rows[] =
	"COPY events (" ROW_TEXT_COLUMNS ") FROM STDIN";

static const char set_heads[] =
	"UPDATE chain c SET number = h.number, pos = h.pos, hash = h.hash,"
	" updated_at = now()"
	" FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[])"
	" AS h(gate, number, pos, hash) WHERE c.gate = h.gate";

static const char insert_seals[] =
	"INSERT INTO seals (gate, pos, seal)"
	" SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[])"
	" ON CONFLICT (gate, pos) DO UPDATE SET seal = EXCLUDED.seal";

/*
 * Delivered on COMMIT, and only then: a listener (passgate-overview)
 * never reads a gate's rows before they are there.  The payload is a
 * hint, the gate's name; the rows themselves are the truth.
 */
static const char notify_stored[] =
	"SELECT pg_notify('passgate_stored', gate) FROM unnest($1::text[])"
	" AS gate";

/**
 * struct text_array - an array literal, '{"a","b"}', always closed
 * @buf: the literal; @len: its length without the closing brace
 */
struct text_array {
	char *buf;
	size_t len;
};

/* Room for @count elements of at most @max characters; 0 or -1. */
static int array_open(struct text_array *a, size_t count, size_t max)
{
	a->buf = malloc(count * (2 * max + 3) + 3);
	if (!a->buf)
		return -1;
	strcpy(a->buf, "{}");
	a->len = 1;
	return 0;
}

/* Quoted, so that no name can read as NULL; '"' and '\' escaped. */
static void array_add(struct text_array *a, const char *s)
{
	if (a->len > 1)
		a->buf[a->len++] = ',';
	a->buf[a->len++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			a->buf[a->len++] = '\\';
		a->buf[a->len++] = *s;
	}
	a->buf[a->len++] = '"';
	a->buf[a->len] = '}';
	a->buf[a->len + 1] = '\0';
}

static void array_add_u64(struct text_array *a, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	array_add(a, num);
}

static void array_add_bytea(struct text_array *a, const uint8_t *p,
			    size_t len)
{
	char hex[ROW_TEXT_BYTEA_SIZE(PASSGATE_SEAL_SIZE)];

	row_text_bytea(hex, p, len);
	array_add(a, hex);
}

/* The statement's parameters: per gate, then per batch. */
enum {
	A_GATE, A_NUMBER, A_GENESIS, A_HEAD, A_HEAD_HASH, A_LAST,
	A_LAST_HASH, A_SEAL_GATE, A_SEAL_POS, A_SEAL, A_COUNT
};

static const size_t array_max[A_COUNT] = {
	[A_GATE] = REGISTRY_NAME_MAX,
	[A_NUMBER] = 20,
	[A_GENESIS] = ROW_TEXT_BYTEA_SIZE(PASSGATE_CHAIN_HASH_SIZE),
	[A_HEAD] = 20,
	[A_HEAD_HASH] = ROW_TEXT_BYTEA_SIZE(PASSGATE_CHAIN_HASH_SIZE),
	[A_LAST] = 20,
	[A_LAST_HASH] = ROW_TEXT_BYTEA_SIZE(PASSGATE_CHAIN_HASH_SIZE),
	[A_SEAL_GATE] = REGISTRY_NAME_MAX,
	[A_SEAL_POS] = 20,
	[A_SEAL] = ROW_TEXT_BYTEA_SIZE(PASSGATE_SEAL_SIZE),
};

static bool first_of_gate(const struct store_item *item, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (item[j].gate == item[i].gate)
			return false;
	return true;
}

static const struct passgate_chain_row *last_row(const struct store_item *it)
{
	return &it->batch.rows[it->batch.count - 1];
}

static void arrays_close(struct text_array *a)
{
	int k;

	for (k = 0; k < A_COUNT; k++)
		free(a[k].buf);
}

/* Every gate's and every batch's values; 0 or -1 (ENOMEM). */
static int arrays_fill(struct text_array *a, const struct store_item *item,
		       size_t n)
{
	const struct passgate_chain_row *last;
	uint8_t genesis[PASSGATE_CHAIN_HASH_SIZE];
	size_t i, j;
	int k;

	memset(a, 0, A_COUNT * sizeof(*a));
	for (k = 0; k < A_COUNT; k++) {
		if (array_open(&a[k], n, array_max[k])) {
			arrays_close(a);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		const struct registry_gate *g = item[i].gate;

		last = last_row(&item[i]);
		array_add(&a[A_SEAL_GATE], g->name);
		array_add_u64(&a[A_SEAL_POS], last->pos);
		array_add_bytea(&a[A_SEAL], item[i].batch.seal,
				sizeof(item[i].batch.seal));
		if (!first_of_gate(item, i))
			continue;
		/* The gate's new head: its last batch's last row. */
		for (j = n - 1; item[j].gate != g; j--)
			;
		last = last_row(&item[j]);
		passgate_chain_genesis(g->number, genesis);
		array_add(&a[A_GATE], g->name);
		array_add_u64(&a[A_NUMBER], g->number);
		array_add_bytea(&a[A_GENESIS], genesis, sizeof(genesis));
		array_add_u64(&a[A_HEAD], g->head_pos);
		array_add_bytea(&a[A_HEAD_HASH], g->head_hash,
				sizeof(g->head_hash));
		array_add_u64(&a[A_LAST], last->pos);
		array_add_bytea(&a[A_LAST_HASH], last->hash, sizeof(last->hash));
	}
	return 0;
}

static int exec(PGconn *conn, const char *sql, const struct text_array *a,
		const int *which, int n, PGresult **res, ExecStatusType want)
{
	const char *p[4];
	int k;

	for (k = 0; k < n; k++)
		p[k] = a[which[k]].buf;
	*res = PQexecParams(conn, sql, n, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(*res) == want)
		return 0;
	return -1;
}

/*
 * Every gate's head still the one verified against: 0; 1 (with @why, the
 * gate no longer head_known) if one moved; -1 failed.
 */
static int check_heads(PGconn *conn, const struct text_array *a,
		       const struct store_item *item, size_t n,
		       PGresult **res, char *why, size_t whylen)
{
	static const int create[] = { A_GATE, A_NUMBER, A_GENESIS };
	static const int lock[] = { A_GATE, A_HEAD, A_HEAD_HASH };
	size_t i, gates = 0;
	int row, rows;

	if (exec(conn, new_heads, a, create, 3, res, PGRES_COMMAND_OK))
		return -1;
	PQclear(*res);
	if (exec(conn, lock_heads, a, lock, 3, res, PGRES_TUPLES_OK))
		return -1;
	for (i = 0; i < n; i++)
		gates += first_of_gate(item, i);
	rows = PQntuples(*res);
	for (i = 0; i < n; i++) {
		struct registry_gate *g = item[i].gate;

		for (row = 0; row < rows; row++)
			if (!strcmp(PQgetvalue(*res, row, 0), g->name))
				break;
		if (row < rows && (size_t)rows == gates &&
		    !strcmp(PQgetvalue(*res, row, 2), "t"))
			continue;
		snprintf(why, whylen, "the database's head of %s is %s, not %"
			 PRIu64 ": another collector?", g->name,
			 row < rows ? PQgetvalue(*res, row, 1) : "gone",
			 g->head_pos);
		g->head_known = 0;
		PQclear(*res);
		return 1;
	}
	PQclear(*res);
	return 0;
}

/* COPY's end: its result, then libpq's NULL. */
static int copy_end(PGconn *conn, const char *error, PGresult **res)
{
	PGresult *more;

	if (PQputCopyEnd(conn, error) != 1) {
		*res = NULL;
		return -1;
	}
	*res = PQgetResult(conn);
	while ((more = PQgetResult(conn)))
		PQclear(more);
	return PQresultStatus(*res) == PGRES_COMMAND_OK ? 0 : -1;
}

static int copy_in(PGconn *conn, const struct store_item *item, size_t n,
		   PGresult **res)
{
	char line[1024];
	struct row_text t;
	size_t i, len;
	uint32_t k;

	*res = PQexec(conn, copy_rows);
	if (PQresultStatus(*res) != PGRES_COPY_IN)
		return -1;
	PQclear(*res);
	for (i = 0; i < n; i++) {
		for (k = item[i].from; k < item[i].batch.count; k++) {
			row_text(&t, item[i].gate->name, &item[i].batch.rows[k]);
			len = row_text_copy_line(line, sizeof(line), &t);
			/* Never (the columns are bounded): fail the COPY. */
			if (!len) {
				copy_end(conn, "row too long", res);
				return -1;
			}
			if (PQputCopyData(conn, line, len) != 1) {
				*res = NULL;
				return -1;
			}
		}
	}
	return copy_end(conn, NULL, res);
}

static int store_copy(PGconn *conn, const struct text_array *a,
		      const struct store_item *item, size_t n,
		      PGresult **res, char *why, size_t whylen)
{
	static const int unverified[] = { A_GATE, A_HEAD, A_LAST };
	static const int heads[] = { A_GATE, A_NUMBER, A_LAST, A_LAST_HASH };
	static const int seals[] = { A_SEAL_GATE, A_SEAL_POS, A_SEAL };
	static const int names[] = { A_GATE };
	int r;

	*res = PQexec(conn, "BEGIN");
	if (PQresultStatus(*res) != PGRES_COMMAND_OK)
		return -1;
	PQclear(*res);
	r = check_heads(conn, a, item, n, res, why, whylen);
	if (r > 0) {
		*res = PQexec(conn, "ROLLBACK");
		PQclear(*res);
		return 1;
	}
	if (r || exec(conn, delete_unverified, a, unverified, 3, res,
		      PGRES_COMMAND_OK))
		return -1;
	PQclear(*res);
	if (copy_in(conn, item, n, res))
		return -1;
	PQclear(*res);
	if (exec(conn, set_heads, a, heads, 4, res, PGRES_COMMAND_OK))
		return -1;
	PQclear(*res);
	if (exec(conn, insert_seals, a, seals, 3, res, PGRES_COMMAND_OK))
		return -1;
	PQclear(*res);
	if (exec(conn, notify_stored, a, names, 1, res, PGRES_TUPLES_OK))
		return -1;
	PQclear(*res);
	*res = PQexec(conn, "COMMIT");
	if (PQresultStatus(*res) != PGRES_COMMAND_OK)
		return -1;
	PQclear(*res);
	return 0;
}

int store_copy_once(PGconn *conn, const struct store_item *item, size_t n,
		    PGresult **res, char *why, size_t whylen)
{
	struct text_array a[A_COUNT];
	int r;

	*res = NULL;
	if (arrays_fill(a, item, n))
		return -1;
	r = store_copy(conn, a, item, n, res, why, whylen);
	arrays_close(a);
	return r;
}
