// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compact lists on the host (common/compactlist.{c,h}, the layout the
 * BPF policy will read): lists of 0 to 10 million random entries built
 * in batches, as a loader streams a file, then every entry found with
 * its fields, absent digests and near misses not found, validity never
 * wider than the list's entry, what cannot be held refused, and the
 * bytes an entry costs.  The lookup is the one the policy program runs.
 *
 * Random lists come from PASSGATE_TEST_SEED (decimal) when set, else
 * from the clock; the seed is logged so that a failure can be replayed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kselftest_harness.h"
#include "common/compactlist.h"

#define ERR_MAX 256
#define BATCH 4096
/* Not on a minute, and the TAI offset of today, as the loader will. */
#define NOT_BEFORE 1700000017ull
#define LIFE (2 * 86400ull)
#define OFFSET 37u
#define DAY 86400u
/* Issue 23's budget of kernel memory an entry, for lists that matter. */
#define BYTES_PER_ENTRY_MAX 32
#define BUDGET_FROM 1000

static uint64_t test_seed(void)
{
	const char *s = getenv("PASSGATE_TEST_SEED");

	return s ? strtoull(s, NULL, 10) : (uint64_t)time(NULL);
}

/* splitmix64: small, and the same sequence on every machine. */
static uint64_t next64(uint64_t *state)
{
	uint64_t z = *state += 0x9e3779b97f4a7c15ull;

	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ z >> 27) * 0x94d049bb133111ebull;
	return z ^ z >> 31;
}

/*
 * Random entries in digest order, one at a time: the top 64 bits grow
 * by exponential gaps (so buckets fill as a Poisson process, as real
 * digests do), the rest is random.  The same seed gives the same list
 * again, to check a list too large to keep beside its array.
 */
struct list_gen {
	uint64_t rng;
	uint64_t hi;
	double mean_gap;
	uint64_t not_before;
	uint64_t expires_at;
	int overflowed;
};

static void gen_init(struct list_gen *g, uint64_t seed, uint64_t count,
		     uint64_t not_before, uint64_t expires_at)
{
	memset(g, 0, sizeof(*g));
	g->rng = seed;
	/* Room for six standard deviations more than the mean. */
	g->mean_gap = 0x1p64 / (count + 6 * sqrt(count) + 16);
	g->not_before = not_before;
	g->expires_at = expires_at;
}

static uint32_t time_around(struct list_gen *g, uint64_t from, uint64_t to)
{
	return from + next64(&g->rng) % (to - from);
}

static void gen_entry(struct list_gen *g, struct passgate_list_entry *e)
{
	double u = (next64(&g->rng) >> 11) * 0x1p-53;
	uint64_t gap = (uint64_t)(-log1p(-u) * g->mean_gap) + 1;
	uint64_t r = next64(&g->rng), lo = next64(&g->rng), id;
	uint64_t nb = g->not_before, ex = g->expires_at;
	int i;

	if (g->hi + gap < g->hi)
		g->overflowed = 1;
	g->hi += gap;
	memset(e, 0, sizeof(*e));
	for (i = 0; i < 8; i++) {
		e->digest[i] = g->hi >> (56 - 8 * i);
		e->digest[8 + i] = lo >> (56 - 8 * i);
	}
	e->status = PASSGATE_STATUS_GREEN + r % 3;
	e->flags = r >> 2 & 1 ? PASSGATE_ENTRY_TICKET : 0;
	if (r >> 3 & 1) {
		id = next64(&g->rng);
		memcpy(e->id_digest, &id, 8);
		id = next64(&g->rng) | 1;
		memcpy(e->id_digest + 8, &id, 8);
	}
	switch (r >> 4 & 7) {
	case 0:		/* no bounds */
		break;
	case 1:
		e->valid_from = time_around(g, nb, ex);
		break;
	case 2:
		e->valid_until = time_around(g, nb, ex);
		break;
	case 3:
		e->valid_from = time_around(g, nb, ex);
		e->valid_until = time_around(g, e->valid_from, ex + 1);
		break;
	case 4:		/* over before the list starts */
		e->valid_until = time_around(g, nb - DAY, nb + 1);
		break;
	case 5:		/* starts after the list ends */
		e->valid_from = time_around(g, ex, ex + DAY);
		break;
	case 6:		/* bounds outside the list: none while it is usable */
		e->valid_from = time_around(g, nb - DAY, nb + 1);
		e->valid_until = time_around(g, ex, ex + DAY);
		break;
	default:	/* a short window, down to a second, anywhere */
		e->valid_from = time_around(g, nb - 120, ex + 120);
		e->valid_until = e->valid_from + 1 + r % 200;
		break;
	}
}

static struct compact_params params_for(uint64_t count)
{
	struct compact_params p = {
		.generation = 42,
		.not_before = NOT_BEFORE,
		.expires_at = NOT_BEFORE + LIFE,
		.entry_count = count,
		.index_bits = compact_index_bits(count),
		.clock_offset = OFFSET,
	};

	return p;
}

/* Whether the list's entry @e lets through at @now (policy clock). */
static int full_inside(const struct passgate_list_entry *e, uint64_t now)
{
	uint64_t f = e->valid_from ? e->valid_from + OFFSET : 0;
	uint64_t u = e->valid_until ? e->valid_until + OFFSET : 0;

	return !(f && now < f) && !(u && now >= u);
}

/* The same for a decoded entry, as policy.bpf.c's outside() has it. */
static int view_inside(const struct compact_view *v, uint64_t now)
{
	return !(v->valid_from && now < v->valid_from) &&
	       !(v->valid_until && now >= v->valid_until);
}

/*
 * While the list may be usable, up to its horizon (a delta may extend
 * its life that far), the compact entry lets through only when the
 * list's entry does, and turns away less than a minute at each end.
 */
static void check_window_at(struct __test_metadata *_metadata,
			    const struct compact_head *head,
			    const struct passgate_list_entry *e,
			    const struct compact_view *v, uint64_t now)
{
	/* Element 1 follows element 0 in the array. */
	const struct compact_info *info = (const void *)(head + 1);
	uint64_t f = e->valid_from ? e->valid_from + OFFSET : 0;
	uint64_t u = e->valid_until ? e->valid_until + OFFSET : 0;

	if (now < head->not_before || now >= info->horizon_end)
		return;
	if (view_inside(v, now)) {
		ASSERT_TRUE(full_inside(e, now))
			TH_LOG("widened: %u..%u at %llu as %u..%u",
			       e->valid_from, e->valid_until,
			       (unsigned long long)now, v->valid_from,
			       v->valid_until);
	} else if (full_inside(e, now)) {
		ASSERT_TRUE((f && now < f + COMPACT_MINUTE) ||
			    (u && now + COMPACT_MINUTE >= u))
			TH_LOG("narrowed a minute or more: %u..%u at %llu as %u..%u",
			       e->valid_from, e->valid_until,
			       (unsigned long long)now, v->valid_from,
			       v->valid_until);
	}
}

static void check_window(struct __test_metadata *_metadata,
			 const struct compact_head *head,
			 const struct passgate_list_entry *e,
			 const struct compact_view *v, uint64_t *rng)
{
	uint64_t f = e->valid_from + (uint64_t)OFFSET;
	uint64_t u = e->valid_until + (uint64_t)OFFSET;
	static const int around[] = { -61, -60, -59, -1, 0, 1, 59, 60, 61 };
	uint64_t span = head->expires_at - head->not_before;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(around); i++) {
		check_window_at(_metadata, head, e, v, f + around[i]);
		check_window_at(_metadata, head, e, v, u + around[i]);
	}
	check_window_at(_metadata, head, e, v, head->not_before);
	check_window_at(_metadata, head, e, v, head->expires_at - 1);
	check_window_at(_metadata, head, e, v, head->expires_at);
	if (span)
		check_window_at(_metadata, head, e, v,
				head->not_before + next64(rng) % span);
}

/* Status, flags and the ID card exactly; the window as above. */
static void check_entry(struct __test_metadata *_metadata,
			const struct compact_head *head,
			const struct passgate_list_entry *e,
			const struct compact_view *v, uint64_t *rng)
{
	static const uint8_t zero[PASSGATE_LIST_DIGEST];
	int bound = !!memcmp(e->id_digest, zero, sizeof(zero));
	uint64_t id;

	memcpy(&id, e->id_digest, sizeof(id));
	ASSERT_EQ(e->status, v->status);
	ASSERT_EQ(e->flags, v->flags);
	ASSERT_EQ(bound, v->has_id);
	if (bound)
		ASSERT_EQ(id, v->id);
	check_window(_metadata, head, e, v, rng);
}

static void flip_bit(uint8_t *digest, unsigned int bit)
{
	digest[bit / 8] ^= 0x80 >> bit % 8;
}

/*
 * Digests next to @e's: differing in the last compared bit or in a
 * bucket bit, they are not on the list; differing only past the
 * compared bits, they are @e (what truncation means).
 */
static void check_near_misses(struct __test_metadata *_metadata,
			      const struct compact_list *list,
			      const struct passgate_list_entry *e)
{
	unsigned int k = list->head->index_bits;
	unsigned int compared = k + COMPACT_CODE_BITS;
	uint8_t near[PASSGATE_LIST_DIGEST];
	struct compact_view v;

	memcpy(near, e->digest, sizeof(near));
	flip_bit(near, compared - 1);
	ASSERT_EQ(0, compact_find(list, near, &v));
	flip_bit(near, compared - 1);
	flip_bit(near, compared);
	ASSERT_EQ(1, compact_find(list, near, &v));
	flip_bit(near, compared);
	flip_bit(near, 8 * PASSGATE_LIST_DIGEST - 1);
	ASSERT_EQ(1, compact_find(list, near, &v));
	if (k) {
		memcpy(near, e->digest, sizeof(near));
		flip_bit(near, k - 1);
		ASSERT_EQ(0, compact_find(list, near, &v));
	}
}

/* The digest bits an entry keeps, back from compact_entry_at(). */
static void check_entry_at(struct __test_metadata *_metadata,
			   const struct compact_list *list, uint32_t i,
			   const struct passgate_list_entry *e)
{
	unsigned int bits = list->head->index_bits + COMPACT_CODE_BITS, b;
	uint8_t digest[PASSGATE_LIST_DIGEST];
	struct compact_view v;

	ASSERT_EQ(0, compact_entry_at(list, i, &v, digest));
	ASSERT_EQ(e->status, v.status);
	for (b = 0; b < 8 * PASSGATE_LIST_DIGEST; b++) {
		int want = b < bits ? e->digest[b / 8] >> (7 - b % 8) & 1 : 0;

		ASSERT_EQ(want, digest[b / 8] >> (7 - b % 8) & 1)
			TH_LOG("entry %u, digest bit %u", i, b);
	}
}

/*
 * Build a random list of @count in batches, then find every entry with
 * its fields (and, for lists of at most @thorough entries, its near
 * misses and its digest bits back), and no absent digest.
 */
static void check_random_list(struct __test_metadata *_metadata,
			      uint64_t count, uint64_t thorough)
{
	struct compact_params p = params_for(count);
	size_t size = compact_size(count, p.index_bits), n;
	struct passgate_list_entry batch[BATCH];
	uint64_t seed = test_seed(), i, rng;
	struct compact_builder b;
	struct compact_list list;
	struct compact_view v;
	struct list_gen gen;
	char err[ERR_MAX];
	uint8_t *buf;
	size_t j;

	TH_LOG("%llu entries, seed %llu", (unsigned long long)count,
	       (unsigned long long)seed);
	ASSERT_NE(0, size);
	buf = malloc(size);
	if (!buf)
		SKIP(return, "no %zu bytes for the array", size);
	/* What a reused buffer may hold: the build owes it nothing. */
	memset(buf, 0xa5, size);

	gen_init(&gen, seed, count, p.not_before, p.expires_at);
	ASSERT_EQ(0, compact_build_begin(&b, buf, size, &p, err, ERR_MAX))
		TH_LOG("%s", err);
	for (i = 0; i < count; i += n) {
		n = count - i < BATCH ? count - i : BATCH;
		for (j = 0; j < n; j++)
			gen_entry(&gen, &batch[j]);
		ASSERT_EQ(0, compact_build_add(&b, batch, n, err, ERR_MAX))
			TH_LOG("%s", err);
	}
	ASSERT_EQ(0, gen.overflowed);
	ASSERT_EQ(0, compact_build_finish(&b, err, ERR_MAX))
		TH_LOG("%s", err);
	ASSERT_EQ(0, compact_open(&list, buf, size, err, ERR_MAX))
		TH_LOG("%s", err);
	ASSERT_EQ(count, list.head->entry_count);
	ASSERT_EQ(42, list.info->generation);
	ASSERT_EQ(OFFSET, list.info->clock_offset);
	ASSERT_EQ(NOT_BEFORE + OFFSET, list.head->not_before);
	ASSERT_EQ(NOT_BEFORE + LIFE + OFFSET, list.head->expires_at);
	ASSERT_EQ(0, list.head->epoch % COMPACT_MINUTE);
	ASSERT_GE(list.head->not_before, list.head->epoch);
	ASSERT_GT(list.head->epoch + COMPACT_MINUTE, list.head->not_before);
	ASSERT_GE(COMPACT_BUCKET_MAX, list.info->largest_bucket);
	TH_LOG("%llu entries: k %u, largest bucket %u, %zu bytes, %.2f B/entry",
	       (unsigned long long)count,
	       list.head->index_bits, list.info->largest_bucket, size,
	       count ? (double)size / count : 0.0);
	if (count >= BUDGET_FROM)
		ASSERT_GE(BYTES_PER_ENTRY_MAX * count, size);

	gen_init(&gen, seed, count, p.not_before, p.expires_at);
	rng = seed ^ 0x5eed;
	for (i = 0; i < count; i++) {
		gen_entry(&gen, &batch[0]);
		ASSERT_EQ(1, compact_find(&list, batch[0].digest, &v))
			TH_LOG("entry %llu not found", (unsigned long long)i);
		check_entry(_metadata, list.head, &batch[0], &v, &rng);
		if (count <= thorough) {
			check_near_misses(_metadata, &list, &batch[0]);
			check_entry_at(_metadata, &list, i, &batch[0]);
		}
	}
	/* Absent: 2^-(k+88) per digest and entry, so none is found. */
	for (i = 0; i < 100000; i++) {
		uint64_t d[2] = { next64(&rng), next64(&rng) };

		ASSERT_EQ(0, compact_find(&list, (uint8_t *)d, &v));
	}
	free(buf);
}

TEST(index_bits_and_sizes)
{
	/* Buckets average 2 to 4 entries. */
	EXPECT_EQ(0, compact_index_bits(0));
	EXPECT_EQ(0, compact_index_bits(3));
	EXPECT_EQ(1, compact_index_bits(4));
	EXPECT_EQ(1, compact_index_bits(7));
	EXPECT_EQ(2, compact_index_bits(8));
	EXPECT_EQ(8, compact_index_bits(1000));
	EXPECT_EQ(18, compact_index_bits(1000000));
	EXPECT_EQ(22, compact_index_bits(10000000));
	EXPECT_EQ(24, compact_index_bits(60000000));
	EXPECT_EQ(COMPACT_INDEX_BITS_MAX, compact_index_bits(1ull << 40));

	/* Header, index (2^k + 1 starts, 6 an element), entries. */
	EXPECT_EQ(3 * COMPACT_ELEM_SIZE, compact_size(0, 0));
	EXPECT_EQ(4 * COMPACT_ELEM_SIZE, compact_size(1, 0));
	EXPECT_EQ((2 + 43 + 1000) * COMPACT_ELEM_SIZE, compact_size(1000, 8));
	EXPECT_EQ(0, compact_size(1, COMPACT_INDEX_BITS_MAX + 1));
	EXPECT_EQ(0, compact_size(COMPACT_ENTRIES_MAX + 1ull, 0));
	/* The province's list: 60 million entries within 32 B each. */
	EXPECT_GE(32 * 60000000ull,
		  compact_size(60000000, compact_index_bits(60000000)));
}

TEST(empty_list)
{
	struct compact_params p = params_for(0);
	size_t size = compact_size(0, p.index_bits);
	uint8_t buf[3 * COMPACT_ELEM_SIZE], digest[PASSGATE_LIST_DIGEST];
	struct compact_list list;
	struct compact_view v;
	char err[ERR_MAX];

	ASSERT_EQ(sizeof(buf), size);
	ASSERT_EQ(0, compact_build(buf, size, &p, NULL, 0, NULL, err,
				   ERR_MAX)) TH_LOG("%s", err);
	ASSERT_EQ(0, compact_open(&list, buf, size, err, ERR_MAX))
		TH_LOG("%s", err);
	memset(digest, 0, sizeof(digest));
	EXPECT_EQ(0, compact_find(&list, digest, &v));
	memset(digest, 0xff, sizeof(digest));
	EXPECT_EQ(0, compact_find(&list, digest, &v));
	EXPECT_EQ(-1, compact_entry_at(&list, 0, &v, digest));
	EXPECT_EQ(ERANGE, errno);
}

TEST(one_entry)
{
	check_random_list(_metadata, 1, 1);
}

TEST(a_thousand_entries)
{
	check_random_list(_metadata, 1000, 1000);
}

TEST(a_million_entries)
{
	check_random_list(_metadata, 1000000, 1000000);
}

/* The array for 10 million takes 240 MB; skipped without them. */
TEST(ten_million_entries)
{
	check_random_list(_metadata, 10000000, 0);
}

/* Every kind of window, at the edges and between, against the list's. */
TEST(validity_is_never_widened)
{
	const uint64_t count = 200000;
	struct compact_params p = params_for(count);
	size_t size = compact_size(count, p.index_bits);
	struct passgate_list_entry *entries = calloc(count, sizeof(*entries));
	uint8_t *buf = malloc(size);
	uint64_t seed = test_seed(), rng = seed, i;
	struct compact_list list;
	struct compact_view v;
	struct list_gen gen;
	char err[ERR_MAX];

	ASSERT_NE(NULL, entries);
	ASSERT_NE(NULL, buf);
	TH_LOG("seed %llu", (unsigned long long)seed);
	gen_init(&gen, seed, count, p.not_before, p.expires_at);
	for (i = 0; i < count; i++)
		gen_entry(&gen, &entries[i]);
	ASSERT_EQ(0, compact_build(buf, size, &p, entries, count, NULL, err,
				   ERR_MAX)) TH_LOG("%s", err);
	ASSERT_EQ(0, compact_open(&list, buf, size, err, ERR_MAX));
	for (i = 0; i < count; i++) {
		ASSERT_EQ(1, compact_find(&list, entries[i].digest, &v));
		check_window(_metadata, list.head, &entries[i], &v, &rng);
	}
	free(buf);
	free(entries);
}

static int build_one(struct compact_params *p,
		     const struct passgate_list_entry *e,
		     struct compact_list *list, uint8_t *buf, size_t len,
		     char *err)
{
	size_t size = compact_size(1, 0);

	if (size > len)
		return -2;
	p->entry_count = 1;
	p->index_bits = 0;
	if (compact_build(buf, size, p, e, 1, NULL, err, ERR_MAX))
		return -1;
	return compact_open(list, buf, size, err, ERR_MAX);
}

/* The windows of one entry, stored exactly as documented. */
TEST(validity_edges)
{
	struct compact_params p = params_for(1);
	struct passgate_list_entry e = {
		.digest = { 1 }, .status = PASSGATE_STATUS_GREEN,
	};
	uint8_t buf[4 * COMPACT_ELEM_SIZE];
	uint32_t nb = NOT_BEFORE, ex = NOT_BEFORE + LIFE, epoch;
	struct compact_list list;
	struct compact_view v;
	char err[ERR_MAX];

	epoch = nb + OFFSET - (nb + OFFSET) % COMPACT_MINUTE;

	/* Bounds the horizon makes moot are no bounds. */
	e.valid_from = nb - 1;
	e.valid_until = nb + 46 * DAY;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err))
		TH_LOG("%s", err);
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(0, v.valid_from);
	EXPECT_EQ(0, v.valid_until);
	EXPECT_EQ(epoch + COMPACT_HORIZON, list.info->horizon_end);

	/*
	 * An end past the list's own expiry but inside the horizon is
	 * kept, rounded down: a delta may extend the list's life.
	 */
	e.valid_until = ex + 3600 + 30;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(ex + OFFSET + 3600 + 30 -
		  (ex + OFFSET + 30 - epoch) % COMPACT_MINUTE, v.valid_until);
	EXPECT_EQ(ex + OFFSET, list.head->expires_at);

	/* Inside it, rounded inward to whole minutes. */
	e.valid_from = nb + 1000;
	e.valid_until = nb + 5000;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(0, (v.valid_from - epoch) % COMPACT_MINUTE);
	EXPECT_EQ(0, (v.valid_until - epoch) % COMPACT_MINUTE);
	EXPECT_LE(nb + OFFSET + 1000, v.valid_from);
	EXPECT_GT(nb + OFFSET + 1000 + COMPACT_MINUTE, v.valid_from);
	EXPECT_GE(nb + OFFSET + 5000, v.valid_until);
	EXPECT_LT(nb + OFFSET + 5000 - COMPACT_MINUTE, v.valid_until);

	/* Over before the list starts: never valid, until the epoch. */
	e.valid_from = 0;
	e.valid_until = nb - 3600;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(epoch, v.valid_until);
	EXPECT_FALSE(view_inside(&v, list.head->not_before));

	/* No whole minute inside: kept, never valid, not widened. */
	e.valid_from = nb + 3601;
	e.valid_until = nb + 3659;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(0, v.valid_from);
	EXPECT_EQ(epoch, v.valid_until);

	/*
	 * Starting 10 s before the list ends (its end is 14 s past a
	 * minute of the epoch): from the next minute, which a delta may
	 * still reach.  Starting at the horizon: never valid.
	 */
	e.valid_from = ex - 10;
	e.valid_until = 0;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(0, v.valid_until);
	EXPECT_EQ(ex + OFFSET - 10 + COMPACT_MINUTE -
		  (ex + OFFSET - 10 - epoch) % COMPACT_MINUTE, v.valid_from);
	e.valid_from = epoch + COMPACT_HORIZON - OFFSET;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(epoch, v.valid_until);

	/*
	 * A horizon of its own (a compaction keeps its base's): "no
	 * bound" from there, and the list usable up to it at most.
	 */
	p.horizon_end = nb + OFFSET + 3 * DAY;
	p.expires_at = nb + 10 * DAY;
	e.valid_from = 0;
	e.valid_until = nb + 3 * DAY + 1;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(0, v.valid_until);
	EXPECT_EQ(p.horizon_end, list.info->horizon_end);
	EXPECT_EQ(p.horizon_end, list.head->expires_at);
	e.valid_until = nb + 3 * DAY - 1;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_NE(0, v.valid_until);
	EXPECT_GE(nb + OFFSET + 3 * DAY - 1, v.valid_until);
	p.horizon_end = nb + OFFSET;
	EXPECT_EQ(-1, build_one(&p, &e, &list, buf, sizeof(buf), err));
	EXPECT_NE(NULL, strstr(err, "past the horizon")) TH_LOG("%s", err);
	p.horizon_end = 0;
	p.expires_at = NOT_BEFORE + LIFE;

	/*
	 * A list living past the horizon is usable up to it only, and
	 * bounds past that are none.
	 */
	p.expires_at = NOT_BEFORE + 60 * DAY;
	e.valid_from = nb + 50 * DAY;
	e.valid_until = nb + 55 * DAY;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err))
		TH_LOG("%s", err);
	EXPECT_EQ(epoch + COMPACT_HORIZON, list.head->expires_at);
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(epoch, v.valid_until);
	e.valid_from = nb + 40 * DAY;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(0, v.valid_until);
	EXPECT_LE(nb + OFFSET + 40 * DAY, v.valid_from);
}

/* An ID digest whose first 8 bytes are zero is still a bound card. */
TEST(id_binding)
{
	struct compact_params p = params_for(1);
	struct passgate_list_entry e = {
		.digest = { 1 }, .status = PASSGATE_STATUS_GREEN,
	};
	uint8_t buf[4 * COMPACT_ELEM_SIZE];
	struct compact_list list;
	struct compact_view v;
	char err[ERR_MAX];

	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(0, v.has_id);

	e.id_digest[15] = 1;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(1, v.has_id);
	EXPECT_EQ(0, v.id);

	e.id_digest[0] = 0x5a;
	e.flags = PASSGATE_ENTRY_TICKET;
	e.status = PASSGATE_STATUS_RED;
	ASSERT_EQ(0, build_one(&p, &e, &list, buf, sizeof(buf), err));
	ASSERT_EQ(1, compact_find(&list, e.digest, &v));
	EXPECT_EQ(1, v.has_id);
	EXPECT_EQ(compact_id(e.id_digest), v.id);
	EXPECT_EQ(PASSGATE_ENTRY_TICKET, v.flags);
	EXPECT_EQ(PASSGATE_STATUS_RED, v.status);
}

/* Three entries, the third bad as @spoil makes it: refused, and why. */
static void expect_refused(struct __test_metadata *_metadata,
			   void (*spoil)(struct passgate_list_entry *e),
			   const char *why)
{
	struct passgate_list_entry e[3] = {
		{ .digest = { 0x10 }, .status = PASSGATE_STATUS_GREEN },
		{ .digest = { 0x20 }, .status = PASSGATE_STATUS_GREEN },
		{ .digest = { 0x30 }, .status = PASSGATE_STATUS_GREEN },
	};
	struct compact_params p = params_for(3);
	size_t size = compact_size(3, p.index_bits);
	uint8_t buf[8 * COMPACT_ELEM_SIZE];
	struct compact_list list;
	char err[ERR_MAX];

	ASSERT_GE(sizeof(buf), size);
	/* A list was there: a failed build must not leave it readable. */
	ASSERT_EQ(0, compact_build(buf, size, &p, e, 3, NULL, err, ERR_MAX));
	spoil(e);
	ASSERT_EQ(-1, compact_build(buf, size, &p, e, 3, NULL, err, ERR_MAX));
	EXPECT_NE(NULL, strstr(err, why)) TH_LOG("%s", err);
	EXPECT_EQ(-1, compact_open(&list, buf, size, NULL, 0));
}

static void unsorted(struct passgate_list_entry *e)
{
	e[2].digest[0] = 0x15;
}

static void duplicate(struct passgate_list_entry *e)
{
	e[2].digest[0] = 0x20;
}

static void removed(struct passgate_list_entry *e)
{
	e[2].status = PASSGATE_STATUS_REMOVE;
}

static void unknown_status(struct passgate_list_entry *e)
{
	e[2].status = PASSGATE_STATUS_RED + 1;
}

static void unknown_flag(struct passgate_list_entry *e)
{
	e[2].flags = 0x80;
}

/* Alike in every compared bit (k = 0 here: 88), apart after them. */
static void alike(struct passgate_list_entry *e)
{
	memcpy(e[2].digest, e[1].digest, PASSGATE_LIST_DIGEST);
	e[2].digest[COMPACT_CODE_BITS / 8] = 0x01;
}

TEST(entries_refused)
{
	expect_refused(_metadata, unsorted, "entry 2: digest not above");
	expect_refused(_metadata, duplicate, "entry 2: digest not above");
	expect_refused(_metadata, removed, "entry 2: status 0");
	expect_refused(_metadata, unknown_status, "entry 2: status 4");
	expect_refused(_metadata, unknown_flag, "entry 2: unknown flags");
	expect_refused(_metadata, alike, "entry 2: its first 88 digest bits");
}

TEST(builds_refused)
{
	struct passgate_list_entry e[2] = {
		{ .digest = { 0x10 }, .status = PASSGATE_STATUS_GREEN },
		{ .digest = { 0x20 }, .status = PASSGATE_STATUS_GREEN },
	};
	struct compact_params p = params_for(2);
	size_t size = compact_size(2, p.index_bits);
	uint8_t buf[8 * COMPACT_ELEM_SIZE];
	struct compact_builder b;
	char err[ERR_MAX];

	ASSERT_GE(sizeof(buf), size);
	/* The buffer is the array's exact size. */
	EXPECT_EQ(-1, compact_build(buf, size + COMPACT_ELEM_SIZE, &p, e, 2,
				    NULL, err, ERR_MAX));
	EXPECT_NE(NULL, strstr(err, "buffer:")) TH_LOG("%s", err);
	/* Fewer or more entries than announced. */
	EXPECT_EQ(-1, compact_build(buf, size, &p, e, 1, NULL, err, ERR_MAX));
	EXPECT_NE(NULL, strstr(err, "1 of the 2 announced")) TH_LOG("%s", err);
	p.entry_count = 1;
	EXPECT_EQ(-1, compact_build(buf, compact_size(1, p.index_bits), &p, e,
				    2, NULL, err, ERR_MAX));
	EXPECT_NE(NULL, strstr(err, "more than the 1")) TH_LOG("%s", err);
	p = params_for(2);
	/* Times a u32 epoch cannot hold. */
	p.not_before = p.expires_at + 1;
	EXPECT_EQ(-1, compact_build(buf, size, &p, e, 2, NULL, err, ERR_MAX));
	EXPECT_NE(NULL, strstr(err, "is after expires_at")) TH_LOG("%s", err);
	p.not_before = 0;
	p.clock_offset = 0;
	EXPECT_EQ(-1, compact_build(buf, size, &p, e, 2, NULL, err, ERR_MAX));
	EXPECT_EQ(ERANGE, errno);
	p.not_before = 0xfffff000;
	p.expires_at = p.not_before;
	EXPECT_EQ(-1, compact_build(buf, size, &p, e, 2, NULL, err, ERR_MAX));
	EXPECT_EQ(ERANGE, errno);
	p = params_for(2);
	p.index_bits = COMPACT_INDEX_BITS_MAX + 1;
	EXPECT_EQ(-1, compact_build(buf, size, &p, e, 2, NULL, err, ERR_MAX));
	EXPECT_EQ(EINVAL, errno);
	/* A build that failed takes nothing more. */
	p = params_for(2);
	ASSERT_EQ(0, compact_build_begin(&b, buf, size, &p, err, ERR_MAX));
	ASSERT_EQ(0, compact_build_add(&b, &e[1], 1, err, ERR_MAX));
	EXPECT_EQ(-1, compact_build_add(&b, &e[0], 1, err, ERR_MAX));
	EXPECT_EQ(-1, compact_build_add(&b, &e[1], 1, err, ERR_MAX));
	EXPECT_NE(NULL, strstr(err, "already failed")) TH_LOG("%s", err);
	EXPECT_EQ(-1, compact_build_finish(&b, err, ERR_MAX));
}

static int compare_entries(const void *a, const void *b)
{
	return memcmp(a, b, PASSGATE_LIST_DIGEST);
}

/*
 * 500 random entries, none in the bucket 0x5a at k = 8, and @extra more
 * whose first @same_bits bits are those of 0x5a5a..., the rest random.
 */
#define CROWD_RANDOM 500
#define CROWD_BITS 8

static struct passgate_list_entry *crowded_list(uint64_t seed, size_t extra,
						unsigned int same_bits,
						size_t *count)
{
	size_t n = CROWD_RANDOM + extra, i, j;
	struct passgate_list_entry *e = calloc(n, sizeof(*e));
	uint64_t rng = seed, r;

	if (!e)
		return NULL;
	for (i = 0; i < n; i++) {
		for (j = 0; j < PASSGATE_LIST_DIGEST; j += 8) {
			r = next64(&rng);
			memcpy(e[i].digest + j, &r, 8);
		}
		e[i].status = PASSGATE_STATUS_GREEN;
		if (i < CROWD_RANDOM) {
			if (e[i].digest[0] == 0x5a)
				e[i].digest[0]++;
			continue;
		}
		/* Keep the top same_bits of 0x5a5a... */
		for (j = 0; j < same_bits; j++) {
			uint8_t mask = 0x80 >> j % 8;

			e[i].digest[j / 8] &= ~mask;
			e[i].digest[j / 8] |= 0x5a & mask;
		}
	}
	qsort(e, n, sizeof(*e), compare_entries);
	*count = n;
	return e;
}

/* The largest bucket of sorted @e at @k bits, counted here. */
static unsigned int largest_bucket(const struct passgate_list_entry *e,
				   size_t n, unsigned int k)
{
	unsigned int run = 0, largest = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i && compact_bucket(e[i].digest, k) ==
			 compact_bucket(e[i - 1].digest, k))
			run++;
		else
			run = 1;
		if (run > largest)
			largest = run;
	}
	return largest;
}

/*
 * A bucket above COMPACT_BUCKET_MAX is refused; one more bit splits a
 * bucket crowded at k only, and a list crowded beyond what the
 * builder may raise k by is refused for good.
 */
TEST(bucket_overflow)
{
	uint64_t seed = test_seed();
	struct passgate_list_entry *e;
	struct compact_list list;
	struct compact_params p;
	struct compact_view v;
	unsigned int retry;
	char err[ERR_MAX];
	size_t n, size, i;
	uint8_t *buf;
	int ret;

	TH_LOG("seed %llu", (unsigned long long)seed);
	buf = malloc(compact_size(CROWD_RANDOM + 80, CROWD_BITS +
				  COMPACT_INDEX_RAISE));
	ASSERT_NE(NULL, buf);

	/* 64 in a bucket is the most a search covers: taken. */
	e = crowded_list(seed, COMPACT_BUCKET_MAX, CROWD_BITS, &n);
	ASSERT_NE(NULL, e);
	p = params_for(n);
	ASSERT_EQ(CROWD_BITS, p.index_bits);
	size = compact_size(n, p.index_bits);
	ASSERT_EQ(0, compact_build(buf, size, &p, e, n, &retry, err, ERR_MAX))
		TH_LOG("%s", err);
	ASSERT_EQ(0, compact_open(&list, buf, size, err, ERR_MAX));
	EXPECT_EQ(COMPACT_BUCKET_MAX, list.info->largest_bucket);
	for (i = 0; i < n; i++)
		ASSERT_EQ(1, compact_find(&list, e[i].digest, &v));
	free(e);

	/* 80 alike in 8 bits, random after: 9 bits split them. */
	e = crowded_list(seed, 80, CROWD_BITS, &n);
	ASSERT_NE(NULL, e);
	p = params_for(n);
	ASSERT_EQ(CROWD_BITS, p.index_bits);
	size = compact_size(n, p.index_bits);
	ret = compact_build(buf, size, &p, e, n, &retry, err, ERR_MAX);
	ASSERT_EQ(-1, ret);
	EXPECT_EQ(EOVERFLOW, errno);
	EXPECT_NE(NULL, strstr(err, "bits split it")) TH_LOG("%s", err);
	/* The fewest bits that do. */
	for (i = p.index_bits + 1; i < retry; i++)
		ASSERT_LT(COMPACT_BUCKET_MAX, largest_bucket(e, n, i));
	ASSERT_GE(COMPACT_BUCKET_MAX, largest_bucket(e, n, retry));
	ASSERT_GE(p.index_bits + COMPACT_INDEX_RAISE, retry);
	p.index_bits = retry;
	size = compact_size(n, p.index_bits);
	ASSERT_EQ(0, compact_build(buf, size, &p, e, n, &retry, err, ERR_MAX))
		TH_LOG("%s", err);
	ASSERT_EQ(0, compact_open(&list, buf, size, err, ERR_MAX));
	EXPECT_EQ(largest_bucket(e, n, p.index_bits),
		  list.info->largest_bucket);
	for (i = 0; i < n; i++)
		ASSERT_EQ(1, compact_find(&list, e[i].digest, &v));
	free(e);

	/* 65 alike in k + COMPACT_INDEX_RAISE bits: made to collide. */
	e = crowded_list(seed, COMPACT_BUCKET_MAX + 1,
			 CROWD_BITS + COMPACT_INDEX_RAISE, &n);
	ASSERT_NE(NULL, e);
	p = params_for(n);
	ASSERT_EQ(CROWD_BITS, p.index_bits);
	size = compact_size(n, p.index_bits);
	ASSERT_EQ(-1, compact_build(buf, size, &p, e, n, &retry, err,
				    ERR_MAX));
	EXPECT_EQ(EOVERFLOW, errno);
	EXPECT_EQ(0, retry);
	EXPECT_NE(NULL, strstr(err, "made to collide")) TH_LOG("%s", err);
	EXPECT_EQ(-1, compact_open(&list, buf, size, NULL, 0));
	free(e);
	free(buf);
}

/*
 * An array the builder did not make, or one changed since: the reader
 * refuses a bad index, and the search finds nothing in a bucket the
 * index makes larger than it may be or turns around, in its fixed
 * steps, rather than reading further.
 */
TEST(corrupt_index)
{
	const uint64_t count = 1000;
	struct compact_params p = params_for(count);
	size_t size = compact_size(count, p.index_bits);
	struct passgate_list_entry *e = calloc(count, sizeof(*e));
	uint8_t *buf = malloc(size);
	struct compact_list list;
	struct compact_view v;
	struct list_gen gen;
	char err[ERR_MAX];
	uint32_t *slots, bucket, saved;
	uint64_t i;

	ASSERT_NE(NULL, e);
	ASSERT_NE(NULL, buf);
	gen_init(&gen, test_seed(), count, p.not_before, p.expires_at);
	for (i = 0; i < count; i++)
		gen_entry(&gen, &e[i]);
	ASSERT_EQ(0, compact_build(buf, size, &p, e, count, NULL, err,
				   ERR_MAX));
	ASSERT_EQ(0, compact_open(&list, buf, size, err, ERR_MAX));
	slots = (uint32_t *)(buf + COMPACT_HEADER_ELEMS * COMPACT_ELEM_SIZE);
	bucket = compact_bucket(e[500].digest, p.index_bits);
	ASSERT_EQ(1, compact_find(&list, e[500].digest, &v));

	/* Its bucket made one larger than a search covers. */
	saved = slots[bucket + 1];
	slots[bucket + 1] = slots[bucket] + COMPACT_BUCKET_MAX + 1;
	EXPECT_EQ(-1, compact_open(&list, buf, size, err, ERR_MAX));
	EXPECT_NE(NULL, strstr(err, "index: bucket")) TH_LOG("%s", err);
	EXPECT_EQ(0, compact_find(&list, e[500].digest, &v));
	/* Turned around. */
	slots[bucket + 1] = slots[bucket] - 1;
	EXPECT_EQ(0, compact_find(&list, e[500].digest, &v));
	/* Past the list's end. */
	slots[bucket + 1] = count + 1;
	slots[bucket] = count - 1;
	EXPECT_EQ(0, compact_find(&list, e[500].digest, &v));
	slots[bucket + 1] = saved;
	EXPECT_EQ(-1, compact_open(&list, buf, size, NULL, 0));
	EXPECT_EQ(0, compact_find(&list, e[500].digest, &v));

	/* Not a list of this version: nothing read. */
	ASSERT_EQ(0, compact_build(buf, size, &p, e, count, NULL, err,
				   ERR_MAX));
	((struct compact_head *)buf)->version++;
	EXPECT_EQ(-1, compact_open(&list, buf, size, err, ERR_MAX));
	EXPECT_NE(NULL, strstr(err, "header:")) TH_LOG("%s", err);
	free(buf);
	free(e);
}

/* ---- the overlay ---------------------------------------------------- */

/* A list entry as an overlay or a delta holds it (policy clock). */
static void delta_of(const struct passgate_list_entry *e,
		     struct compact_delta_entry *d)
{
	static const uint8_t zero[PASSGATE_LIST_DIGEST];

	memset(d, 0, sizeof(*d));
	memcpy(d->digest, e->digest, sizeof(d->digest));
	d->view.status = e->status;
	if (e->status == PASSGATE_STATUS_REMOVE)
		return;
	d->view.flags = e->flags;
	d->view.has_id = !!memcmp(e->id_digest, zero, sizeof(zero));
	d->view.id = compact_id(e->id_digest);
	d->view.valid_from = e->valid_from ? e->valid_from + OFFSET : 0;
	d->view.valid_until = e->valid_until ? e->valid_until + OFFSET : 0;
}

/* What a scan sees, as the policy program looks: overlay, then base. */
static int scan_view(const struct compact_list *base,
		     const struct compact_overlay *ov, const uint8_t *digest,
		     struct compact_view *v)
{
	if (ov && compact_overlay_find(&ov->src, ov->head, digest, v))
		return v->status != PASSGATE_STATUS_REMOVE;
	return compact_find(base, digest, v);
}

static void entry_with(struct passgate_list_entry *e, uint8_t first,
		       unsigned int status)
{
	memset(e, 0, sizeof(*e));
	e->digest[0] = first;
	e->digest[15] = first ^ 0x5a;
	e->status = status;
}

/*
 * Two deltas by hand: added, changed, removed from the base, removed
 * where nothing had it, then removed-and-added again, and the count.
 */
TEST(overlay_merge)
{
	struct passgate_list_entry base_e[4], d1[4], d2[2];
	struct compact_delta_entry dd[4], *out1, *out2;
	struct compact_params p = params_for(4);
	size_t size = compact_size(4, p.index_bits), n1, n2, i;
	struct compact_overlay_params op = { .generation = 2,
					     .base_generation = 42 };
	uint8_t buf[16 * COMPACT_ELEM_SIZE], ob1[16 * COMPACT_ELEM_SIZE];
	uint8_t ob2[16 * COMPACT_ELEM_SIZE];
	struct compact_overlay ov1, ov2;
	struct compact_list base;
	struct compact_view v;
	uint64_t count;
	char err[ERR_MAX];

	entry_with(&base_e[0], 0x10, PASSGATE_STATUS_GREEN);
	entry_with(&base_e[1], 0x20, PASSGATE_STATUS_GREEN);
	entry_with(&base_e[2], 0x30, PASSGATE_STATUS_GREEN);
	entry_with(&base_e[3], 0x40, PASSGATE_STATUS_YELLOW);
	ASSERT_GE(sizeof(buf), size);
	ASSERT_EQ(0, compact_build(buf, size, &p, base_e, 4, NULL, err,
				   ERR_MAX)) TH_LOG("%s", err);
	ASSERT_EQ(0, compact_open(&base, buf, size, err, ERR_MAX));

	/* 0x20 turns RED, 0x30 goes, 0x35 comes, 0x50 never was. */
	entry_with(&d1[0], 0x20, PASSGATE_STATUS_RED);
	entry_with(&d1[1], 0x30, PASSGATE_STATUS_REMOVE);
	entry_with(&d1[2], 0x35, PASSGATE_STATUS_GREEN);
	d1[2].id_digest[3] = 7;
	entry_with(&d1[3], 0x50, PASSGATE_STATUS_REMOVE);
	for (i = 0; i < 4; i++)
		delta_of(&d1[i], &dd[i]);
	ASSERT_EQ(0, compact_overlay_merge(&base, NULL, dd, 4, 4, &out1, &n1,
					   &count, err, ERR_MAX));
	/* 0x50's removal hides nothing: not kept. */
	ASSERT_EQ(3, n1);
	EXPECT_EQ(4, count);
	op.list_entries = count;
	ASSERT_EQ(0, compact_overlay_build(ob1, compact_overlay_size(n1), &op,
					   out1, n1, err, ERR_MAX))
		TH_LOG("%s", err);
	ASSERT_EQ(0, compact_overlay_open(&ov1, ob1, compact_overlay_size(n1),
					  err, ERR_MAX)) TH_LOG("%s", err);
	EXPECT_EQ(42, ov1.info->base_generation);
	ASSERT_EQ(1, scan_view(&base, &ov1, base_e[0].digest, &v));
	EXPECT_EQ(PASSGATE_STATUS_GREEN, v.status);
	ASSERT_EQ(1, scan_view(&base, &ov1, d1[0].digest, &v));
	EXPECT_EQ(PASSGATE_STATUS_RED, v.status);
	EXPECT_EQ(0, scan_view(&base, &ov1, d1[1].digest, &v));
	ASSERT_EQ(1, scan_view(&base, &ov1, d1[2].digest, &v));
	EXPECT_EQ(1, v.has_id);
	EXPECT_EQ(compact_id(d1[2].id_digest), v.id);
	EXPECT_EQ(0, scan_view(&base, &ov1, d1[3].digest, &v));

	/* Then 0x30 is back and 0x35 goes again (the base never had it). */
	entry_with(&d2[0], 0x30, PASSGATE_STATUS_YELLOW);
	entry_with(&d2[1], 0x35, PASSGATE_STATUS_REMOVE);
	delta_of(&d2[0], &dd[0]);
	delta_of(&d2[1], &dd[1]);
	ASSERT_EQ(0, compact_overlay_merge(&base, &ov1, dd, 2, count, &out2,
					   &n2, &count, err, ERR_MAX));
	ASSERT_EQ(2, n2);
	EXPECT_EQ(4, count);
	op.generation = 3;
	op.list_entries = count;
	ASSERT_EQ(0, compact_overlay_build(ob2, compact_overlay_size(n2), &op,
					   out2, n2, err, ERR_MAX));
	ASSERT_EQ(0, compact_overlay_open(&ov2, ob2, compact_overlay_size(n2),
					  err, ERR_MAX));
	ASSERT_EQ(1, scan_view(&base, &ov2, d2[0].digest, &v));
	EXPECT_EQ(PASSGATE_STATUS_YELLOW, v.status);
	EXPECT_EQ(0, scan_view(&base, &ov2, d2[1].digest, &v));
	ASSERT_EQ(1, scan_view(&base, &ov2, d1[0].digest, &v));
	EXPECT_EQ(PASSGATE_STATUS_RED, v.status);

	/* Unsorted deltas and overlays are refused. */
	delta_of(&d2[1], &dd[0]);
	delta_of(&d2[0], &dd[1]);
	EXPECT_EQ(-1, compact_overlay_merge(&base, NULL, dd, 2, 4, &out2, &n2,
					    &count, err, ERR_MAX));
	EXPECT_EQ(-1, compact_overlay_build(ob2, compact_overlay_size(2), &op,
					    dd, 2, err, ERR_MAX));
	EXPECT_EQ(-1, compact_overlay_open(&ov2, ob2, compact_overlay_size(2),
					   err, ERR_MAX));
	EXPECT_EQ(0, compact_overlay_size(COMPACT_OVERLAY_MAX + 1));
	free(out1);
}

static int compare_delta(const void *a, const void *b)
{
	return memcmp(((const struct compact_delta_entry *)a)->digest,
		      ((const struct compact_delta_entry *)b)->digest,
		      PASSGATE_LIST_DIGEST);
}

/*
 * A random base, deltas over it (changes, removals, additions), then a
 * fold into a new base of the same k: every code of the model decides
 * the same through base + overlay and through the fold, and the count
 * is the model's.
 */
TEST(overlay_and_fold_follow_the_model)
{
	const uint64_t count = 50000, changes = 3000;
	struct compact_params p = params_for(count);
	size_t size = compact_size(count, p.index_bits), n_ov = 0, i, nd;
	struct passgate_list_entry *entries = calloc(count, sizeof(*entries));
	struct compact_delta_entry *delta, *ov_e = NULL, *next;
	uint8_t *buf = malloc(size), *obuf = NULL, *fbuf;
	uint64_t seed = test_seed(), rng = seed, listed = count, fcount;
	struct compact_overlay_params op = { .base_generation = 42 };
	struct compact_overlay ov;
	struct compact_list base, folded;
	struct compact_builder b;
	struct compact_view v, w;
	struct list_gen gen;
	int round, *state;
	char err[ERR_MAX];

	ASSERT_NE(NULL, entries);
	ASSERT_NE(NULL, buf);
	TH_LOG("seed %llu", (unsigned long long)seed);
	gen_init(&gen, seed, count, p.not_before, p.expires_at);
	for (i = 0; i < count; i++)
		gen_entry(&gen, &entries[i]);
	ASSERT_EQ(0, compact_build(buf, size, &p, entries, count, NULL, err,
				   ERR_MAX)) TH_LOG("%s", err);
	ASSERT_EQ(0, compact_open(&base, buf, size, err, ERR_MAX));
	/* The model: each base code's state, 1 listed, 0 removed. */
	state = calloc(count, sizeof(*state));
	delta = calloc(2 * changes, sizeof(*delta));
	ASSERT_NE(NULL, state);
	ASSERT_NE(NULL, delta);
	for (i = 0; i < count; i++)
		state[i] = 1;

	for (round = 0; round < 3; round++) {
		nd = 0;
		for (i = 0; i < changes; i++) {
			uint64_t at = next64(&rng) % count;
			struct passgate_list_entry *e = &entries[at];

			if (next64(&rng) % 3 == 0) {
				listed -= state[at];
				state[at] = 0;
				delta_of(e, &delta[nd]);
				delta[nd++].view.status = 0;
				memset(&delta[nd - 1].view, 0,
				       sizeof(delta[nd - 1].view));
			} else {
				listed += !state[at];
				state[at] = 1;
				e->status = PASSGATE_STATUS_GREEN +
					    next64(&rng) % 3;
				delta_of(e, &delta[nd++]);
			}
		}
		/* A code twice in one delta: the last word only. */
		qsort(delta, nd, sizeof(*delta), compare_delta);
		for (i = 1; i < nd; ) {
			if (!compare_delta(&delta[i - 1], &delta[i])) {
				memmove(&delta[i - 1], &delta[i],
					(nd - i) * sizeof(*delta));
				nd--;
			} else {
				i++;
			}
		}
		ASSERT_EQ(0, compact_overlay_merge(&base, obuf ? &ov : NULL,
						   delta, nd,
						   obuf ? ov.head->list_entries :
						   count, &next, &n_ov,
						   &fcount, err,
						   ERR_MAX)) TH_LOG("%s", err);
		op.list_entries = fcount;
		free(ov_e);
		ov_e = next;
		free(obuf);
		obuf = malloc(compact_overlay_size(n_ov));
		ASSERT_NE(NULL, obuf);
		op.generation = 43 + round;
		ASSERT_EQ(0, compact_overlay_build(obuf,
						   compact_overlay_size(n_ov),
						   &op, ov_e, n_ov, err,
						   ERR_MAX)) TH_LOG("%s", err);
		ASSERT_EQ(0, compact_overlay_open(&ov, obuf,
						  compact_overlay_size(n_ov),
						  err, ERR_MAX));
		/* Re-listed entries took the delta's status: the model's. */
		for (i = 0; i < count; i++) {
			ASSERT_EQ(state[i], scan_view(&base, &ov,
						      entries[i].digest, &v))
				TH_LOG("round %d entry %zu", round, i);
			if (state[i])
				ASSERT_EQ(entries[i].status, v.status);
		}
		EXPECT_EQ(listed, ov.head->list_entries);
	}

	/* The fold: same k, the model's count, the same answers. */
	fcount = ov.head->list_entries;
	p.generation = 50;
	p.entry_count = fcount;
	fbuf = malloc(compact_size(fcount, p.index_bits));
	ASSERT_NE(NULL, fbuf);
	ASSERT_EQ(0, compact_build_begin(&b, fbuf,
					 compact_size(fcount, p.index_bits),
					 &p, err, ERR_MAX)) TH_LOG("%s", err);
	ASSERT_EQ(0, compact_fold(&b, &base, ov_e, n_ov, err, ERR_MAX))
		TH_LOG("%s", err);
	ASSERT_EQ(0, compact_open(&folded, fbuf,
				  compact_size(fcount, p.index_bits), err,
				  ERR_MAX)) TH_LOG("%s", err);
	for (i = 0; i < count; i++) {
		ASSERT_EQ(state[i], compact_find(&folded, entries[i].digest,
						 &w));
		if (!state[i])
			continue;
		ASSERT_EQ(1, scan_view(&base, &ov, entries[i].digest, &v));
		ASSERT_EQ(v.status, w.status);
		ASSERT_EQ(v.flags, w.flags);
		ASSERT_EQ(v.has_id, w.has_id);
		ASSERT_EQ(v.id, w.id);
		check_window(_metadata, folded.head, &entries[i], &w, &rng);
	}
	free(fbuf);
	free(obuf);
	free(ov_e);
	free(delta);
	free(state);
	free(buf);
	free(entries);
}

TEST_HARNESS_MAIN
