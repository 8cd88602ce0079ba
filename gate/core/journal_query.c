// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The audit journal: queries, cursors and latency percentiles (docs/journal.md).
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

#include "gate/core/journal_internal.h"

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
	if (journal_read_event_row(c->stmt, row, &gate, why, sizeof(why)))
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
