// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench: the policy in either list layout, and lists installed the
 * way passgated installs them from its spool: verify, then load + swap
 * (bench/bench.h).  The big lists' files are kept so that both layouts
 * load the very same file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bench.h"

#define DRAIN_BATCH 8192

void policy_open(struct bench *b, enum passgate_policy_layout layout)
{
	bool adopted;

	passgate_policy_unpin(b->cfg.pin_root, b->cfg.gate);
	b->policy = passgate_policy_open_layout(b->cfg.pin_root, b->cfg.gate,
						&b->cfg.policy, layout,
						&adopted);
	if (!b->policy)
		die("policy (%s layout): %s",
		    layout == PASSGATE_LAYOUT_HASH ? "hash" : "compact",
		    strerror(errno));
	b->layout = layout;
}

/*
 * Empty hash map @fd from here, a batch a system call.  Linux 6.1 frees
 * a hash map's elements in one kernel worker that does not reschedule
 * (delete_all_elements()): tens of millions of them hold a CPU long
 * enough for an RCU stall warning in the guest.  Deleting them first
 * leaves the worker nothing to do.
 */
static void drain(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), n;
	__u64 in = 0, out = 0;
	void *keys, *vals;
	bool first = true;
	int ret;

	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.type != BPF_MAP_TYPE_HASH)
		return;
	keys = calloc(DRAIN_BATCH, info.key_size);
	vals = calloc(DRAIN_BATCH, info.value_size);
	if (!keys || !vals)
		die("out of memory");
	do {
		n = DRAIN_BATCH;
		ret = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in,
						      &out, keys, vals, &n,
						      NULL);
		if (ret && errno != ENOENT)
			die("draining a hash map: %s", strerror(errno));
		first = false;
		in = out;
	} while (!ret);
	free(keys);
	free(vals);
}

/* Detached and unpinned: the next layout's program decides alone. */
void policy_close(struct bench *b)
{
	if (b->layout == PASSGATE_LAYOUT_HASH) {
		hold_active(b);
		for (unsigned int i = 0; i < b->nheld; i++)
			drain(b->held[i]);
	}
	release_held(b);
	passgate_policy_close(b->policy);
	b->policy = NULL;
	if (passgate_policy_unpin(b->cfg.pin_root, b->cfg.gate))
		die("unpin: %s", strerror(errno));
}

/*
 * The map in @slot of the outer map pinned as @name, or -1 when the slot
 * is empty.  The bench is root: bpf_map_get_fd_by_id() is allowed.
 */
static int slot_map(struct bench *b, const char *name, __u32 slot)
{
	char path[PATH_MAX];
	__u32 id;
	int outer, fd = -1;

	snprintf(path, sizeof(path), "%.1024s/gate%u/%s", b->cfg.pin_root,
		 b->cfg.gate, name);
	outer = bpf_obj_get(path);
	if (outer < 0)
		die("%s: %s", path, strerror(errno));
	if (!bpf_map_lookup_elem(outer, &slot, &id))
		fd = bpf_map_get_fd_by_id(id);
	close(outer);
	return fd;
}

/* The health codes' outer map and the slots a generation occupies. */
static const char *codes_map(const struct bench *b, unsigned int *slots)
{
	if (b->layout == PASSGATE_LAYOUT_HASH) {
		*slots = 1;
		return "lists";
	}
	*slots = 2;	/* the base and the overlay */
	return "codes";
}

/*
 * A map swapped out is freed by a kernel worker in the background, which
 * would run during whatever is measured next.  So the bench keeps the
 * maps it replaces and lets them go only between measurements, before a
 * step that does not count for much.
 */
static void hold(struct bench *b, int fd)
{
	if (b->nheld == sizeof(b->held) / sizeof(b->held[0]))
		die("too many maps held");
	b->held[b->nheld++] = fd;
}

void hold_active(struct bench *b)
{
	unsigned int slots, i;
	const char *name = codes_map(b, &slots);
	int fd;

	for (i = 0; i < slots; i++) {
		fd = slot_map(b, name, i);
		if (fd >= 0)
			hold(b, fd);
	}
}

void release_held(struct bench *b)
{
	while (b->nheld)
		close(b->held[--b->nheld]);
}

/* The active list map's own accounting: fdinfo, as bpftool map show. */
void active_memlock(struct bench *b, uint64_t *memlock, uint32_t *max_entries)
{
	unsigned long long v;
	char path[64], line[128];
	unsigned int slots;
	FILE *f;
	int fd;

	fd = slot_map(b, codes_map(b, &slots), 0);
	if (fd < 0)
		die("no active list: %s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "memlock: %llu", &v) == 1)
			*memlock = v;
		else if (sscanf(line, "max_entries: %llu", &v) == 1)
			*max_entries = v;
	}
	fclose(f);
	close(fd);
}

struct reader {
	struct passgate_listfile *list;
	char err[256];
};

static ssize_t reader_next(void *ctx, void *buf, size_t max)
{
	struct reader *r = ctx;

	return passgate_listfile_read(r->list, buf, max, r->err,
				      sizeof(r->err));
}

/*
 * What the daemon does with a list from its spool, step by step: verify
 * (signature over the whole file, header, every entry), then load (read
 * and hash again, build the new generation, swap it in).  @mem: what the
 * load charged to a fresh memory cgroup.
 */
void install(struct bench *b, const char *path, double *verify_s,
	     double *load_s, struct memuse *mem)
{
	struct passgate_list_info info;
	struct reader r = { .err = "" };
	struct memuse before;
	char err[256], cg[64];
	bool charged;
	double t0, t1;

	/* Not timed: a lookup of a slot costs a grace period on 6.1. */
	hold_active(b);
	t0 = now_s();
	r.list = passgate_listfile_open(path, NULL, b->trust,
					b->max_list_bytes, err, sizeof(err));
	if (!r.list)
		die("verify %s: %s", path, err);
	t1 = now_s();
	info = *passgate_listfile_info(r.list);
	charged = mem && memcg_begin(b, cg, sizeof(cg), &before);
	if (passgate_policy_load(b->policy, &info, NULL, reader_next, &r))
		die("load %s: %s %s", path, strerror(errno), r.err);
	if (load_s)
		*load_s = now_s() - t1;
	if (charged)
		memcg_end(cg, &before, mem);
	if (verify_s)
		*verify_s = t1 - t0;
	passgate_listfile_close(r.list);
}

/* The generation a delta must be based on. */
uint64_t active_generation(struct bench *b)
{
	struct passgate_policy_active active;

	if (passgate_policy_active(b->policy, &active))
		die("active generation: %s", strerror(errno));
	return active.generation;
}

/* The size pool's credentials at the end of @e (SIZE_POOL of them). */
static void pool_entries(struct passgate_list_entry *e)
{
	char token[48];
	unsigned int j;

	for (j = 0; j < SIZE_POOL; j++) {
		pool_token(j, token, sizeof(token));
		token_entry(&e[j], token);
	}
}

/*
 * A list of @n for the throughput sweep, issued and installed, untimed;
 * with @pool_only, the size pool's credentials alone.
 */
void small_list(struct bench *b, uint64_t n, bool pool_only)
{
	struct passgate_list_entry *e;
	char path[PATH_MAX];
	double s;

	release_held(b);
	if (pool_only) {
		e = calloc(SIZE_POOL, sizeof(*e));
		if (!e)
			die("out of memory");
		pool_entries(e);
		n = SIZE_POOL;
	} else {
		e = make_entries(n, true, &s);
	}
	write_list(b, PASSGATE_LIST_FULL, 0, e, n, path, sizeof(path));
	free(e);
	install(b, path, NULL, NULL, NULL);
	unlink_list(path);
}

/*
 * Whether the list of p->n fits in time and memory, judged from the last
 * list measured in this layout; "" or why not in p->skipped.
 */
static bool feasible(struct bench *b, struct pipeline *p, bool have_file)
{
	unsigned int i = b->npipe[b->layout];
	const struct pipeline *last = i > 1 ? &b->pipe[b->layout][i - 2] : NULL;
	double scale, need_s, need_b, left_s, per_entry;
	uint64_t avail = mem_available();

	if (!last || !last->done)
		return true;
	scale = (double)p->n / last->n;
	/* Entries made here, then every step, then a throughput run. */
	need_s = scale * (last->verify_s + last->load_s) + b->tput_s + 30;
	if (!have_file)
		need_s += scale * (last->digest_s * (p->real_digests ? 1 : 0.05) +
				   last->issue_s + last->b2_s + last->sha_s);
	left_s = b->budget_s - (now_s() - b->t_start) - 60;
	per_entry = last->mem.ok ? last->mem.kernel / last->n : 160;
	/* The file stays in tmpfs; the entries are freed before the load. */
	need_b = p->n * (per_entry + (have_file ? 0 :
			 2 * sizeof(struct passgate_list_entry)));
	need_b *= 1.1;
	if (need_s > left_s) {
		snprintf(p->skipped, sizeof(p->skipped),
			 "needs about %.0f s, %.0f s of the %.0f s budget left",
			 need_s, left_s, b->budget_s);
		return false;
	}
	if (need_b > avail) {
		snprintf(p->skipped, sizeof(p->skipped),
			 "needs about %.0f MB, %.0f MB available in the guest",
			 need_b / 1e6, avail / 1e6);
		return false;
	}
	return true;
}

/* Issue the list of p->n (and the size pool) into @file. */
static void issue(struct bench *b, struct pipeline *p, char *file,
		  size_t len)
{
	struct passgate_list_entry *e, *grown;
	struct stat st;

	step("list of %" PRIu64 ": making the entries (%s digests)", p->n,
	     p->real_digests ? "SHA-256" :
	     "SHA-256 for scanned ones, synthetic");
	e = make_entries(p->n, p->real_digests, &p->digest_s);
	grown = realloc(e, (p->n + SIZE_POOL) * sizeof(*e));
	if (!grown)
		die("out of memory for %" PRIu64 " entries", p->n);
	e = grown;
	pool_entries(e + p->n);
	p->issue_s = write_list(b, PASSGATE_LIST_FULL, 0, e,
				p->n + SIZE_POOL, file, len);
	free(e);
	if (stat(file, &st))
		die("%s: %s", file, strerror(errno));
	p->file_bytes = st.st_size;
	step("issue + sign: %.2f s (%.0f MB)", p->issue_s, p->file_bytes / 1e6);
}

/*
 * A big list in the current layout: verified, loaded and swapped in as
 * passgated does it, its memory and a throughput run.  @file: the list
 * issued for the other layout, or "" to issue it here (then kept there).
 */
/* The list of @n measured in @layout, if it was. */
const struct pipeline *measured(const struct bench *b,
				enum passgate_policy_layout layout, uint64_t n)
{
	for (unsigned int i = 0; i < b->npipe[layout]; i++)
		if (b->pipe[layout][i].n == n && b->pipe[layout][i].done)
			return &b->pipe[layout][i];
	return NULL;
}

void big_list(struct bench *b, struct pipeline *p, char *file)
{
	const struct pipeline *other;

	release_held(b);
	p->real_digests = p->n <= b->real_max;
	if (!feasible(b, p, file[0])) {
		step("list of %" PRIu64 ": skipped: %s", p->n, p->skipped);
		return;
	}
	if (!file[0]) {
		issue(b, p, file, PATH_MAX);
		if (!b->b2_start_s)
			tool_start(b);
		p->b2_s = run_tool("b2sum", file) - b->b2_start_s;
		p->sha_s = run_tool("sha256sum", file) - b->sha_start_s;
		step("b2sum %.2f s, sha256sum %.2f s (net of %.3f s and "
		     "%.3f s to start them)", p->b2_s, p->sha_s,
		     b->b2_start_s, b->sha_start_s);
	} else {
		/* Issued for the other layout: the same file, its figures. */
		other = measured(b, !b->layout, p->n);
		if (!other)
			die("list of %" PRIu64 ": no figures", p->n);
		p->digest_s = other->digest_s;
		p->issue_s = other->issue_s;
		p->file_bytes = other->file_bytes;
		p->b2_s = other->b2_s;
		p->sha_s = other->sha_s;
	}
	install(b, file, &p->verify_s, &p->load_s, &p->mem);
	step("%s layout, list of %" PRIu64 ": verify %.2f s, load + swap "
	     "%.2f s, %.1f B an entry charged",
	     b->layout == PASSGATE_LAYOUT_HASH ? "hash" : "compact", p->n,
	     p->verify_s, p->load_s,
	     p->mem.ok ? p->mem.kernel / (p->n + SIZE_POOL) : 0);
	active_memlock(b, &p->memlock, &p->max_entries);
	p->done = true;
}

/*
 * A delta of DELTA_ENTRIES on the active list of p->n: 40 % of them
 * entries it has with another status, 40 % new ones, 20 % removed.
 */
void delta_on(struct bench *b, struct pipeline *p)
{
	unsigned int n = DELTA_ENTRIES, i, changed = n * 2 / 5, added = n * 2 / 5;
	uint64_t stride = stride_of(p->n), step_by = p->n / n, at;
	struct passgate_list_entry *e = calloc(n, sizeof(*e));
	char path[PATH_MAX];

	if (!e || step_by < 1)
		die("delta on a list of %" PRIu64 ": too small or no memory",
		    p->n);
	/* Never a scanned credential: the throughput runs keep accepting. */
	for (i = 0; i < n; i++) {
		if (i < changed || i >= changed + added) {
			at = (uint64_t)i * step_by + 1;
			if (at % stride == 0)
				at++;
			fill_entry(&e[i], at, p->real_digests);
			e[i].status = i < changed ? PASSGATE_STATUS_RED :
				      PASSGATE_STATUS_REMOVE;
		} else {
			fill_entry(&e[i], p->n + i, false);
		}
	}
	write_list(b, PASSGATE_LIST_DELTA, active_generation(b), e, n, path,
		   sizeof(path));
	free(e);
	install(b, path, &p->delta_verify_s, &p->delta_s, NULL);
	p->delta_n = n;
	unlink_list(path);
	step("%s layout, delta of %u on the list of %" PRIu64 ": verify "
	     "%.1f ms, load + swap %.1f ms",
	     b->layout == PASSGATE_LAYOUT_HASH ? "hash" : "compact", n, p->n,
	     p->delta_verify_s * 1e3, p->delta_s * 1e3);
}
