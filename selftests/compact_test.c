// SPDX-License-Identifier: GPL-2.0-only
/*
 * Health codes in the compact layout, in the kernel (docs/list-layout.md):
 * deltas through the overlay decide as a model of the list says (added,
 * changed, removed from the base, removed and added again), with the
 * active generation and its count; a compaction folds them into a new
 * base that decides the same; a full list after deltas leaves the old
 * overlay unused at once; scans during a compaction see one generation;
 * a base costs at most 32 bytes of kernel memory an entry; and the hash
 * layout, the bench's baseline, still loads and decides.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "policy_env.h"
#include "common/compactlist.h"

#define CODE PASSGATE_CRED_HEALTH_CODE
#define ID PASSGATE_CRED_ID_CARD
#define ACCEPT PASSGATE_VERDICT_ACCEPT
#define DENY PASSGATE_VERDICT_DENY
#define PENDING PASSGATE_VERDICT_PENDING
#define CARD "110101199003070011"
#define OTHER_CARD "110101199003070029"

FIXTURE(compact) {
	struct policy_env env;
};

FIXTURE_SETUP(compact)
{
	ASSERT_EQ(0, policy_env_setup(&self->env, "compact",
				      "pair_window_ms = 60000\n"));
}

FIXTURE_TEARDOWN(compact)
{
	policy_env_teardown(&self->env);
}

struct row {
	const char *code;
	unsigned int status;	/* PASSGATE_STATUS_REMOVE in deltas */
	const char *id;
};

static int compare_entry(const void *a, const void *b)
{
	return memcmp(a, b, PASSGATE_LIST_DIGEST);
}

/* Sign and install @rows (any order) as @kind @generation on @base. */
static int install(FIXTURE_DATA(compact) *self, unsigned int kind,
		   uint64_t generation, uint64_t base, const struct row *rows,
		   size_t n)
{
	struct passgate_list_info info = {
		.kind = kind,
		.generation = generation,
		.base_generation = base,
		.issued_at = time(NULL),
		.not_before = time(NULL) - 60,
		.expires_at = time(NULL) + 3600,
	};
	struct passgate_list_entry *e = calloc(n + 1, sizeof(*e));
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		policy_env_code_digest(rows[i].code, e[i].digest,
				       PASSGATE_LIST_DIGEST);
		e[i].status = rows[i].status;
		if (rows[i].id)
			policy_env_id_digest(rows[i].id, e[i].id_digest,
					     PASSGATE_LIST_DIGEST);
	}
	qsort(e, n, sizeof(*e), compare_entry);
	ret = policy_env_install(&self->env, &info, e, n);
	free(e);
	return ret;
}

static int scan(FIXTURE_DATA(compact) *self, unsigned int kind,
		const char *token, unsigned int *reason)
{
	return policy_env_scan(&self->env, kind, token, -1, reason);
}

#define EXPECT_VERDICT(_verdict, _reason, _kind, _token)		\
	do {								\
		unsigned int _r = ~0u;					\
		EXPECT_EQ(_verdict, scan(self, _kind, _token, &_r))	\
			TH_LOG("%s", _token);				\
		EXPECT_EQ(_reason, _r) TH_LOG("%s", _token);		\
		ASSERT_EQ(0, gate_lane_relock(self->env.gate_id,		\
					    POLICY_ENV_LANE));		\
	} while (0)

/* The generation and count active, as passgatectl reads them. */
static void expect_active(struct __test_metadata *_metadata,
			  FIXTURE_DATA(compact) *self, uint64_t generation,
			  uint64_t entries)
{
	struct passgate_policy_active a;

	ASSERT_EQ(0, passgate_policy_active(self->env.policy, &a));
	EXPECT_EQ(generation, a.generation);
	EXPECT_EQ(entries, a.entries);
}

/* Whether the policy's folder holds the pin @name. */
static int pinned(FIXTURE_DATA(compact) *self, const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/gate%u/%s", self->env.cfg.pin_root,
		 self->env.gate_id, name);
	return !access(path, F_OK);
}

/* The generation of the base pinned as "list" (element 1). */
static long long base_generation(FIXTURE_DATA(compact) *self)
{
	struct compact_info info;
	char path[PATH_MAX + 64];
	__u32 one = 1;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/gate%u/list", self->env.cfg.pin_root,
		 self->env.gate_id);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	ret = bpf_map_lookup_elem(fd, &one, &info);
	close(fd);
	return ret ? -1 : (long long)info.generation;
}

static const struct row base_rows[] = {
	{ "HC:C:A", PASSGATE_STATUS_GREEN, NULL },
	{ "HC:C:B", PASSGATE_STATUS_GREEN, NULL },
	{ "HC:C:C", PASSGATE_STATUS_RED, NULL },
	{ "HC:C:D", PASSGATE_STATUS_YELLOW, NULL },
	{ "HC:C:E", PASSGATE_STATUS_GREEN, CARD },
};

/*
 * Deltas through the overlay: changed, removed from the base, added,
 * added then removed, removed then added again; each scan as the list
 * says, the count exact.
 */
TEST_F(compact, deltas_decide_as_the_model_says)
{
	static const struct row d2[] = {
		{ "HC:C:A", PASSGATE_STATUS_RED, NULL },
		{ "HC:C:B", PASSGATE_STATUS_REMOVE, NULL },
		{ "HC:C:F", PASSGATE_STATUS_GREEN, NULL },
		{ "HC:C:G", PASSGATE_STATUS_GREEN, NULL },
		{ "HC:C:NEVER", PASSGATE_STATUS_REMOVE, NULL },
	};
	static const struct row d3[] = {
		{ "HC:C:B", PASSGATE_STATUS_GREEN, NULL },
		{ "HC:C:G", PASSGATE_STATUS_REMOVE, NULL },
		{ "HC:C:E", PASSGATE_STATUS_GREEN, OTHER_CARD },
	};
	unsigned int r;

	ASSERT_EQ(0, install(self, PASSGATE_LIST_FULL, 1, 0, base_rows,
			     ARRAY_SIZE(base_rows)));
	expect_active(_metadata, self, 1, 5);
	EXPECT_FALSE(pinned(self, "overlay"));
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:C:A");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_RED, CODE, "HC:C:C");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_MANUAL_CHECK, CODE, "HC:C:D");
	/* The bound card, code first: its first 8 bytes compared. */
	EXPECT_EQ(PENDING, scan(self, CODE, "HC:C:E", &r));
	EXPECT_EQ(ACCEPT, scan(self, ID, CARD, &r));
	ASSERT_EQ(0, gate_lane_relock(self->env.gate_id, POLICY_ENV_LANE));

	ASSERT_EQ(0, install(self, PASSGATE_LIST_DELTA, 2, 1, d2,
			     ARRAY_SIZE(d2)));
	/* 5, B gone, F and G new: 6. */
	expect_active(_metadata, self, 2, 6);
	EXPECT_TRUE(pinned(self, "overlay"));
	EXPECT_EQ(1, base_generation(self));
	EXPECT_VERDICT(DENY, PASSGATE_REASON_RED, CODE, "HC:C:A");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_UNKNOWN, CODE, "HC:C:B");
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:C:F");
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:C:G");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_RED, CODE, "HC:C:C");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_UNKNOWN, CODE, "HC:C:NEVER");

	ASSERT_EQ(0, install(self, PASSGATE_LIST_DELTA, 3, 2, d3,
			     ARRAY_SIZE(d3)));
	/* B back, G gone again: 6. */
	expect_active(_metadata, self, 3, 6);
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:C:B");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_UNKNOWN, CODE, "HC:C:G");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_RED, CODE, "HC:C:A");
	/* E now bound to the other card; ID first this time. */
	EXPECT_EQ(PENDING, scan(self, ID, CARD, &r));
	EXPECT_EQ(DENY, scan(self, CODE, "HC:C:E", &r));
	EXPECT_EQ(PASSGATE_REASON_ID_MISMATCH, r);
	ASSERT_EQ(0, gate_lane_relock(self->env.gate_id, POLICY_ENV_LANE));
	EXPECT_EQ(PENDING, scan(self, ID, OTHER_CARD, &r));
	EXPECT_EQ(ACCEPT, scan(self, CODE, "HC:C:E", &r));
	ASSERT_EQ(0, gate_lane_relock(self->env.gate_id, POLICY_ENV_LANE));
}

/*
 * An overlay past the threshold is folded into a new base of the
 * delta's generation: the overlay slot empties, and the new base
 * decides as base and overlay did.  The next delta starts a new overlay.
 */
TEST_F(compact, compaction_folds_the_overlay_into_a_new_base)
{
	static const struct row d2[] = {
		{ "HC:C:A", PASSGATE_STATUS_RED, NULL },
		{ "HC:C:F", PASSGATE_STATUS_GREEN, NULL },
	};
	static const struct row d3[] = {
		{ "HC:C:B", PASSGATE_STATUS_REMOVE, NULL },
		{ "HC:C:G", PASSGATE_STATUS_YELLOW, NULL },
	};
	static const struct row d4[] = {
		{ "HC:C:C", PASSGATE_STATUS_GREEN, NULL },
	};

	passgate_policy_set_compact_threshold(self->env.policy, 3);
	ASSERT_EQ(0, install(self, PASSGATE_LIST_FULL, 1, 0, base_rows,
			     ARRAY_SIZE(base_rows)));
	ASSERT_EQ(0, install(self, PASSGATE_LIST_DELTA, 2, 1, d2,
			     ARRAY_SIZE(d2)));
	EXPECT_TRUE(pinned(self, "overlay"));
	EXPECT_EQ(1, base_generation(self));
	/* 2 + 2 overlay entries > 3: folded. */
	ASSERT_EQ(0, install(self, PASSGATE_LIST_DELTA, 3, 2, d3,
			     ARRAY_SIZE(d3)));
	EXPECT_FALSE(pinned(self, "overlay"));
	EXPECT_EQ(3, base_generation(self));
	expect_active(_metadata, self, 3, 6);
	EXPECT_VERDICT(DENY, PASSGATE_REASON_RED, CODE, "HC:C:A");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_UNKNOWN, CODE, "HC:C:B");
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:C:F");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_MANUAL_CHECK, CODE, "HC:C:G");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_MANUAL_CHECK, CODE, "HC:C:D");

	ASSERT_EQ(0, install(self, PASSGATE_LIST_DELTA, 4, 3, d4,
			     ARRAY_SIZE(d4)));
	EXPECT_TRUE(pinned(self, "overlay"));
	EXPECT_EQ(3, base_generation(self));
	expect_active(_metadata, self, 4, 6);
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:C:C");
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:C:F");
}

/* A full list after deltas: its base decides alone from its swap on. */
TEST_F(compact, a_full_list_leaves_the_old_overlay_unused)
{
	static const struct row d2[] = {
		{ "HC:C:A", PASSGATE_STATUS_RED, NULL },
		{ "HC:C:F", PASSGATE_STATUS_GREEN, NULL },
	};
	static const struct row g3[] = {
		{ "HC:C:A", PASSGATE_STATUS_GREEN, NULL },
		{ "HC:C:Z", PASSGATE_STATUS_GREEN, NULL },
	};

	ASSERT_EQ(0, install(self, PASSGATE_LIST_FULL, 1, 0, base_rows,
			     ARRAY_SIZE(base_rows)));
	ASSERT_EQ(0, install(self, PASSGATE_LIST_DELTA, 2, 1, d2,
			     ARRAY_SIZE(d2)));
	ASSERT_EQ(0, install(self, PASSGATE_LIST_FULL, 3, 0, g3,
			     ARRAY_SIZE(g3)));
	EXPECT_FALSE(pinned(self, "overlay"));
	expect_active(_metadata, self, 3, 2);
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:C:A");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_UNKNOWN, CODE, "HC:C:F");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_UNKNOWN, CODE, "HC:C:C");
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:C:Z");
}

struct loader {
	FIXTURE_DATA(compact) *self;
	const struct row *rows;
	size_t n;
	int ret;
	int done;
};

static void *load_delta(void *arg)
{
	struct loader *l = arg;

	l->ret = install(l->self, PASSGATE_LIST_DELTA, 2, 1, l->rows, l->n);
	__atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

#define SWAP_CODES 32

/*
 * A delta folded into a new base (two swaps: the base, then the
 * overlay emptied) while the codes are scanned in turn: each scan sees
 * one generation, so the verdicts switch from ACCEPT to RED once.
 */
TEST_F(compact, scans_during_a_compaction_see_one_generation)
{
	static char names[SWAP_CODES][16];
	struct row green[SWAP_CODES], red[SWAP_CODES];
	struct loader l = { .self = self, .rows = red, .n = SWAP_CODES };
	unsigned int reason, switches = 0, scans = 0, after = 0, last = ACCEPT;
	pthread_t thread;
	int v, i;

	for (i = 0; i < SWAP_CODES; i++) {
		snprintf(names[i], sizeof(names[i]), "HC:SW:%02d", i);
		green[i] = (struct row){ names[i], PASSGATE_STATUS_GREEN, NULL };
		red[i] = (struct row){ names[i], PASSGATE_STATUS_RED, NULL };
	}
	passgate_policy_set_compact_threshold(self->env.policy, 1);
	ASSERT_EQ(0, install(self, PASSGATE_LIST_FULL, 1, 0, green,
			     SWAP_CODES));
	ASSERT_EQ(0, lane_set_mode(self->env.turnstile, PASSGATE_MODE_FREE));
	ASSERT_EQ(0, pthread_create(&thread, NULL, load_delta, &l));
	for (i = 0; after < SWAP_CODES && scans < 100000; scans++) {
		if (__atomic_load_n(&l.done, __ATOMIC_ACQUIRE))
			after++;
		v = scan(self, CODE, names[i], &reason);
		ASSERT_TRUE(v == ACCEPT ||
			    (v == DENY && reason == PASSGATE_REASON_RED))
			TH_LOG("scan %u: verdict %d reason %u", scans, v,
			       reason);
		if ((unsigned int)v != last)
			switches++;
		last = v;
		i = (i + 1) % SWAP_CODES;
	}
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, l.ret);
	TH_LOG("%u scans, %u during the load", scans, scans - after);
	EXPECT_EQ(1, switches);
	EXPECT_EQ(DENY, last);
	EXPECT_EQ(2, base_generation(self));
	EXPECT_FALSE(pinned(self, "overlay"));
}

#define CGROUP "/sys/fs/cgroup"
#define CGROUP_TEST CGROUP "/passgate-compact-test"
#define BIG_LIST 1000000

/* "vmalloc" of the test's memory cgroup, bytes; -1 if unreadable. */
static long long cgroup_vmalloc(void)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen(CGROUP_TEST "/memory.stat", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "vmalloc %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int cgroup_join(const char *cg)
{
	char path[PATH_MAX], pid[32];
	int fd, n, ret;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = strlen(pid);
	ret = write(fd, pid, n) == n ? 0 : -1;
	close(fd);
	return ret;
}

/*
 * A million codes: the kernel memory the base costs, as the memory
 * cgroup of the process that made it counts it (the array is vmalloc'd
 * and charged to its creator), at most 32 bytes an entry.
 */
TEST_F_TIMEOUT(compact, a_million_codes_cost_at_most_32_bytes_each, 600)
{
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL,
		.generation = 1,
		.issued_at = time(NULL),
		.not_before = time(NULL) - 60,
		.expires_at = time(NULL) + 3600,
	};
	struct passgate_list_entry *e = calloc(BIG_LIST, sizeof(*e));
	uint64_t step = UINT64_MAX / BIG_LIST, rng = 88172645463325252ull;
	long long before, after;
	char controllers[256] = "";
	unsigned int r;
	FILE *f;
	int i, j;

	ASSERT_NE(NULL, e);
	for (i = 0; i < BIG_LIST; i++) {
		uint64_t hi, lo;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		hi = (uint64_t)i * step + rng % step;
		lo = rng;
		for (j = 0; j < 8; j++) {
			e[i].digest[j] = hi >> (56 - 8 * j);
			e[i].digest[8 + j] = lo >> (56 - 8 * j);
		}
		e[i].status = PASSGATE_STATUS_GREEN + i % 3;
	}
	/* One code the gate can be shown, in its place. */
	policy_env_code_digest("HC:BIG", e[0].digest, PASSGATE_LIST_DIGEST);
	qsort(e, BIG_LIST, sizeof(*e), compare_entry);
	for (i = 0; i < BIG_LIST; i++)
		if (!memcmp(e[i].digest, e[(i + 1) % BIG_LIST].digest, 16))
			e[i].digest[15] ^= 1;

	/* The memory controller for the root's children, if it is off. */
	f = fopen(CGROUP "/cgroup.subtree_control", "r+e");
	if (f) {
		fputs("+memory", f);
		fflush(f);
		rewind(f);
		if (!fgets(controllers, sizeof(controllers), f))
			controllers[0] = '\0';
		fclose(f);
	}
	if (!strstr(controllers, "memory")) {
		free(e);
		SKIP(return, "no memory controller for cgroups here");
	}
	rmdir(CGROUP_TEST);
	ASSERT_EQ(0, mkdir(CGROUP_TEST, 0755));
	ASSERT_EQ(0, cgroup_join(CGROUP_TEST));
	before = cgroup_vmalloc();
	ASSERT_EQ(0, policy_env_install(&self->env, &info, e, BIG_LIST));
	after = cgroup_vmalloc();
	EXPECT_EQ(0, cgroup_join(CGROUP));
	rmdir(CGROUP_TEST);
	free(e);
	ASSERT_LE(0, before);
	TH_LOG("%d codes: %lld bytes of vmalloc, %.2f an entry", BIG_LIST,
	       after - before, (double)(after - before) / BIG_LIST);
	EXPECT_GE(32.0 * BIG_LIST, (double)(after - before));
	expect_active(_metadata, self, 1, BIG_LIST);
	EXPECT_EQ(ACCEPT, scan(self, CODE, "HC:BIG", &r));
	ASSERT_EQ(0, gate_lane_relock(self->env.gate_id, POLICY_ENV_LANE));
	EXPECT_EQ(DENY, scan(self, CODE, "HC:NOT-BIG", &r));
	EXPECT_EQ(PASSGATE_REASON_UNKNOWN, r);
}

/*
 * The hash layout, kept as the bench's baseline, still loads and
 * decides a full list and a delta; a compact policy then replaces it.
 */
TEST_F(compact, the_hash_layout_baseline_still_decides)
{
	static const struct row d2[] = {
		{ "HC:C:A", PASSGATE_STATUS_RED, NULL },
		{ "HC:C:B", PASSGATE_STATUS_REMOVE, NULL },
	};
	bool adopted;
	unsigned int r;

	passgate_policy_close(self->env.policy);
	passgate_policy_unpin(self->env.cfg.pin_root, self->env.gate_id);
	self->env.policy = passgate_policy_open_layout(self->env.cfg.pin_root,
						       self->env.gate_id,
						       &self->env.cfg.policy,
						       PASSGATE_LAYOUT_HASH,
						       &adopted);
	ASSERT_NE(NULL, self->env.policy);
	EXPECT_FALSE(adopted);
	EXPECT_FALSE(pinned(self, "codes"));
	ASSERT_EQ(0, install(self, PASSGATE_LIST_FULL, 1, 0, base_rows,
			     ARRAY_SIZE(base_rows)));
	expect_active(_metadata, self, 1, 5);
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:C:A");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_RED, CODE, "HC:C:C");
	EXPECT_EQ(PENDING, scan(self, CODE, "HC:C:E", &r));
	EXPECT_EQ(ACCEPT, scan(self, ID, CARD, &r));
	ASSERT_EQ(0, gate_lane_relock(self->env.gate_id, POLICY_ENV_LANE));
	ASSERT_EQ(0, install(self, PASSGATE_LIST_DELTA, 2, 1, d2,
			     ARRAY_SIZE(d2)));
	expect_active(_metadata, self, 2, 4);
	EXPECT_VERDICT(DENY, PASSGATE_REASON_RED, CODE, "HC:C:A");
	EXPECT_VERDICT(DENY, PASSGATE_REASON_UNKNOWN, CODE, "HC:C:B");

	/* Opened in the compact layout: replaced, not adopted. */
	passgate_policy_close(self->env.policy);
	self->env.policy = passgate_policy_open(self->env.cfg.pin_root,
						self->env.gate_id,
						&self->env.cfg.policy,
						&adopted);
	ASSERT_NE(NULL, self->env.policy);
	EXPECT_FALSE(adopted);
	EXPECT_TRUE(pinned(self, "codes"));
}

TEST_HARNESS_MAIN
