// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench: what the gate costs, measured on the test gate in QEMU.
 *
 *  1. Scan-to-unlock latency on lane 1's bridge (write() on its scanboard
 *     node), from the kernel's own stamps (the VERDICT event's struct
 *     passgate_verdict_record: actuated_ns - received_ns), for the same
 *     credentials decided three ways: by the fast path (the BPF policy),
 *     by the slow path (deferred to passgated, whose staff file holds
 *     them), and by a peer a user would otherwise build (sqlite_peer:
 *     reads the deferred scans, looks the digest up in SQLite).
 *  2. Fast-path decision throughput through write() on one CPU, against
 *     the size of the active list.
 *  3. The list pipeline for the big lists: issue + sign, verify, load and
 *     swap; kernel memory per entry; batch against one-by-one insertion;
 *     verification against b2sum and sha256sum of the same file.
 *
 *   passgate_bench --passgated BIN --peer BIN [--out FILE] [options]
 *
 * Prints one table (Markdown) and writes it, with notes on the method,
 * to --out.  Waits on the gate's event stream, never on time; the only
 * clock-bounded loops are the throughput runs, which last a set time.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "gate_fixture.h"
#include "board.h"
#include "gate/core/config.h"
#include "common/digest.h"
#include "common/listfile.h"
#include "common/minisign.h"
#include "gate/core/state.h"
#include "gate/policy/loader.h"

#define LANE 1			/* the bridge lane: no UART in the way */
#define POOL_MAX 65536		/* distinct credentials a throughput run uses */
#define FRAMES_PER_WRITE 4	/* the most one write() takes */
#define WARMUP 100		/* latency scans not counted, per path */
#define BATCH 8192		/* as libpassgate's loader */
#define CGROUP_ROOT "/sys/fs/cgroup"
#define MAX_SIZES 8

/* ---- results ----------------------------------------------------------- */

struct latency {
	bool done;
	unsigned int n, wrong;
	double p50, p99;	/* scan to unlock, µs */
	double d50, d99;	/* scan to verdict, µs */
};

struct tput {
	uint64_t entries;
	uint64_t scans, pool;
	double seconds, rate;
	uint64_t bad;		/* verdicts other than ACCEPT */
};

struct memuse {
	bool ok;
	double kernel, slab, vmalloc, percpu;	/* bytes */
};

struct pipeline {
	uint64_t n;
	bool done, real_digests, experiments;
	char skipped[256];
	double digest_s, issue_s, b2_s, sha_s, verify_s, load_s;
	double file_bytes;
	struct memuse mem;
	uint64_t memlock;
	uint32_t max_entries;
	double single_s, batch_s, swap_us;
	struct tput tput;
};

struct bench {
	/* options */
	const char *passgated, *peer_bin, *out;
	uint64_t sizes[MAX_SIZES];
	unsigned int nsizes;
	uint64_t pipeline_from, latency_list, real_max;
	unsigned int scans;
	double tput_s, budget_s;

	/* the gate */
	char dir[64], config[PATH_MAX];
	struct passgate_config cfg;
	struct passgate_seckey *sec;
	struct passgate_trust *trust;
	struct passgate_policy *policy;
	int events, bridge, turnstile, lists;
	uint64_t generation;
	pid_t daemon;
	double t_start;
	bool memcg;
	int cgroups;
	int held[8];		/* maps kept from being freed meanwhile */
	unsigned int nheld;
	double b2_start_s, sha_start_s;

	/* results */
	struct tput tput[MAX_SIZES];
	unsigned int ntput;
	struct pipeline pipe[MAX_SIZES];
	unsigned int npipe;
	/* [0]: the reader on the bench's CPU; [1]: on the other one. */
	struct latency fast[2], slow[2], peer[2];
	unsigned int places;
	uint64_t latency_entries, peer_rows;
	double peer_import_s, delta_s;
	unsigned int delta_n;
	long htab_elem, bucket;	/* from the kernel's BTF; -1 if unknown */
};

/* ---- small helpers ----------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\nbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static struct bench *progress_bench;

static void step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void step(const char *fmt, ...)
{
	va_list ap;

	printf("[%6.1f s] ", now_s() - progress_bench->t_start);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Mode 0600: the ID-card key among them, which must be root's alone. */
static void write_file(const char *path, const char *text)
{
	if (file_write(path, text, strlen(text)))
		die("%s: %s", path, strerror(errno));
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Passenger i of a list; the latency runs use their own credentials. */
static int token_of(uint64_t i, char *buf, size_t len)
{
	return snprintf(buf, len, "HC:v1:BENCH:%09" PRIu64, i);
}

static int latency_token(unsigned int j, char *buf, size_t len)
{
	return snprintf(buf, len, "HC:v1:BENCH:S:%06u", j);
}

/*
 * Every list has the passengers whose index is a multiple of @stride
 * GREEN with a code alone, so a throughput run can scan them; the rest
 * are a mix (a twentieth RED, a twentieth YELLOW).  The stride is a
 * multiple of 4, so a scanned index is never 3 or 7 modulo 20.
 */
static uint64_t stride_of(uint64_t n)
{
	uint64_t per = n / (4 * (uint64_t)POOL_MAX);

	return 4 * (per ? per : 1);
}

static void fill_entry(struct passgate_list_entry *e, uint64_t i, bool real)
{
	uint8_t digest[PASSGATE_DIGEST_SIZE];
	uint64_t a, b;
	char token[48];
	int len;

	memset(e, 0, sizeof(*e));
	if (real) {
		len = token_of(i, token, sizeof(token));
		passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, token, len,
					NULL, digest);
		memcpy(e->digest, digest, sizeof(e->digest));
	} else {
		/* splitmix64 is a bijection: no two entries share a digest. */
		a = splitmix64(i);
		b = splitmix64(i ^ 0x5bd1e995a5a5a5a5ull);
		memcpy(e->digest, &a, 8);
		memcpy(e->digest + 8, &b, 8);
	}
	e->status = i % 20 == 3 ? PASSGATE_STATUS_RED :
		    i % 20 == 7 ? PASSGATE_STATUS_YELLOW : PASSGATE_STATUS_GREEN;
}

static struct passgate_list_entry *make_entries(uint64_t n, bool real_all,
						double *seconds)
{
	struct passgate_list_entry *e = malloc(n * sizeof(*e));
	uint64_t i, stride = stride_of(n);
	double t0 = now_s();

	if (!e)
		die("out of memory for %" PRIu64 " entries", n);
	for (i = 0; i < n; i++)
		fill_entry(&e[i], i, real_all || i % stride == 0);
	*seconds = now_s() - t0;
	return e;
}

static void list_path(struct bench *b, uint64_t gen, char *buf, size_t len)
{
	snprintf(buf, len, "%.63s/list-%06" PRIu64 ".pgl", b->dir, gen);
}

/* Sign @n entries as the next generation; returns the seconds it took. */
static double write_list(struct bench *b, unsigned int kind, uint64_t base,
			 struct passgate_list_entry *e, size_t n, char *path,
			 size_t len)
{
	struct passgate_list_info info = {
		.kind = kind, .generation = ++b->generation,
		.base_generation = base, .issued_at = time(NULL),
		.not_before = time(NULL) - 60, .expires_at = time(NULL) + 86400,
	};
	char err[256];
	double t0;

	list_path(b, info.generation, path, len);
	t0 = now_s();
	if (passgate_listfile_write(path, &info, e, n, b->sec, err,
				    sizeof(err)))
		die("issue %s: %s", path, err);
	return now_s() - t0;
}

/* ---- kernel memory: the map's memcg charge ----------------------------- */

static int cg_write(const char *cg, const char *file, const char *text)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	snprintf(path, sizeof(path), CGROUP_ROOT "/%s%s%s", cg, *cg ? "/" : "",
		 file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) < 0)
		ret = -1;
	close(fd);
	return ret;
}

static int memstat_read(const char *cg, struct memuse *m)
{
	char path[PATH_MAX], key[64];
	unsigned long long v;
	FILE *f;

	snprintf(path, sizeof(path), CGROUP_ROOT "/%s/memory.stat", cg);
	f = fopen(path, "re");
	if (!f)
		return -1;
	memset(m, 0, sizeof(*m));
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (!strcmp(key, "kernel"))
			m->kernel = v;
		else if (!strcmp(key, "slab_unreclaimable") ||
			 !strcmp(key, "slab_reclaimable"))
			m->slab += v;
		else if (!strcmp(key, "vmalloc"))
			m->vmalloc = v;
		else if (!strcmp(key, "percpu"))
			m->percpu = v;
	}
	fclose(f);
	m->ok = true;
	return 0;
}

/*
 * Run what follows in a fresh memory cgroup: a BPF map charges its memory
 * to the cgroup of the process that created it, so the charge there is
 * the map's own, whatever the kernel frees meanwhile (the generation it
 * replaces was charged elsewhere and goes from there).
 */
static bool memcg_begin(struct bench *b, char *cg, size_t len,
			struct memuse *before)
{
	char path[PATH_MAX], pid[32];

	if (!b->memcg)
		return false;
	snprintf(cg, len, "passgate-bench-%d", ++b->cgroups);
	snprintf(path, sizeof(path), CGROUP_ROOT "/%s", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (mkdir(path, 0755) || cg_write(cg, "cgroup.procs", pid) ||
	    memstat_read(cg, before)) {
		fprintf(stderr, "bench: memory cgroup %s: %s\n", cg,
			strerror(errno));
		b->memcg = false;
		return false;
	}
	return true;
}

static void memcg_end(const char *cg, const struct memuse *before,
		      struct memuse *delta)
{
	struct memuse after;
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (memstat_read(cg, &after)) {
		delta->ok = false;
	} else {
		delta->ok = true;
		delta->kernel = after.kernel - before->kernel;
		delta->slab = after.slab - before->slab;
		delta->vmalloc = after.vmalloc - before->vmalloc;
		delta->percpu = after.percpu - before->percpu;
	}
	cg_write("", "cgroup.procs", pid);
}

/* cgroup v2 at CGROUP_ROOT with the memory controller for children. */
static bool memcg_available(void)
{
	char line[256] = "";
	FILE *f = fopen(CGROUP_ROOT "/cgroup.subtree_control", "re");

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strstr(line, "memory") != NULL;
}

/* Size of a kernel struct from the running kernel's BTF; -1 if unknown. */
static long kernel_struct_size(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	long size = -1;
	int id;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	if (id > 0)
		size = btf__resolve_size(btf, id);
	btf__free(btf);
	return size;
}

/* ---- the policy's maps -------------------------------------------------- */

static int active_map(struct bench *b)
{
	__u32 zero = 0, id;

	if (bpf_map_lookup_elem(b->lists, &zero, &id))
		die("no active list: %s", strerror(errno));
	return bpf_map_get_fd_by_id(id);
}

/*
 * A map swapped out is freed by a kernel worker in the background, which
 * would run during whatever is measured next.  So the bench keeps the
 * maps it replaces (and its own experiment maps) and lets them go only
 * between measurements, before a step that does not count for much.
 */
static void hold(struct bench *b, int fd)
{
	if (b->nheld == sizeof(b->held) / sizeof(b->held[0]))
		die("too many maps held");
	b->held[b->nheld++] = fd;
}

static void hold_active(struct bench *b)
{
	__u32 zero = 0, id;

	if (!bpf_map_lookup_elem(b->lists, &zero, &id))
		hold(b, active_map(b));
}

static void release_held(struct bench *b)
{
	while (b->nheld)
		close(b->held[--b->nheld]);
}

/* The map's own accounting: fdinfo's memlock, as bpftool map show. */
static void map_fdinfo(int fd, uint64_t *memlock, uint32_t *max_entries)
{
	char path[64], line[128];
	unsigned long long v;
	FILE *f;

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
}

/* A list map exactly as libpassgate makes one. */
static int new_list_map(size_t max_entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "passgate_bench",
			    sizeof(struct policy_key),
			    sizeof(struct policy_entry), max_entries, &opts);
	if (fd < 0)
		die("map of %zu entries: %s", max_entries, strerror(errno));
	return fd;
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
 * and hash again, build the new map, swap it in).  @mem: the new map's
 * memory charge.
 */
static void install(struct bench *b, const char *path, double *verify_s,
		    double *load_s, struct memuse *mem)
{
	struct passgate_list_info info;
	struct reader r = { .err = "" };
	struct memuse before;
	char err[256], cg[64];
	bool charged;
	double t0, t1;

	t0 = now_s();
	/* Big lists are what the bench is for: up to the hard limit. */
	r.list = passgate_listfile_open(path, NULL, b->trust,
					PASSGATE_LIST_LIMIT_BYTES, err,
					sizeof(err));
	if (!r.list)
		die("verify %s: %s", path, err);
	t1 = now_s();
	info = *passgate_listfile_info(r.list);
	hold_active(b);
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

/* ---- fast-path throughput ------------------------------------------------ */

static void set_mode(struct bench *b, unsigned int mode)
{
	int ret = lane_set_mode(b->turnstile, mode);

	if (ret)
		die("lane %d mode %u: %s", LANE, mode, strerror(-ret));
}

/* Pin @pid (0: the bench) to @cpu, or let it run anywhere (-1). */
/*
 * Pin process @pid (0: this thread) to @cpu (-1: any).  Every thread of
 * it: sched_setaffinity() moves one thread, and passgated answers the
 * slow path on a thread of its own (gate/passgated/slow.c).
 */
static void pin(pid_t pid, int cpu)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char path[64];
	struct dirent *t;
	cpu_set_t set;
	DIR *tasks;

	CPU_ZERO(&set);
	for (long i = 0; i < cpus && i < CPU_SETSIZE; i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	if (!pid) {
		if (sched_setaffinity(0, sizeof(set), &set))
			die("pin to CPU %d: %s", cpu, strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	tasks = opendir(path);
	if (!tasks)
		die("%s: %s", path, strerror(errno));
	while ((t = readdir(tasks)))
		if (t->d_name[0] != '.' &&
		    sched_setaffinity(atoi(t->d_name), sizeof(set), &set))
			die("pin %d's thread %s to CPU %d: %s", (int)pid,
			    t->d_name, cpu, strerror(errno));
	closedir(tasks);
}

static uint64_t counter_sum(const uint64_t *c, unsigned int verdict)
{
	uint64_t sum = 0;

	for (unsigned int r = 0; r < POLICY_REASONS; r++)
		sum += c[verdict * POLICY_REASONS + r];
	return sum;
}

#define BURST 32

/* BURST writes from write @w on; returns where the next burst starts. */
static size_t burst(struct bench *b, const uint8_t *buf, const size_t *off,
		    const size_t *len, size_t writes, size_t w)
{
	for (unsigned int i = 0; i < BURST; i++, w = (w + 1) % writes)
		if (write(b->bridge, buf + off[w], len[w]) != (ssize_t)len[w])
			die("scan write: %s", strerror(errno));
	return w;
}

/*
 * Scans through write() on the bridge, 4 frames a write, as fast as one
 * CPU takes them, for b->tput_s seconds.  The lane is FREE, so every
 * credential on the list is an ACCEPT and the lane never waits for a
 * passage: digest, policy and verdict are all that run.  The policy's own
 * counters check that every scan was an ACCEPT.
 */
static void throughput(struct bench *b, uint64_t n, struct tput *t)
{
	uint64_t before[POLICY_COUNTERS], after[POLICY_COUNTERS];
	uint64_t stride = stride_of(n), pool, i;
	size_t writes, w, *off, *len;
	cpu_set_t one, all;
	double t0, t1, end;
	uint8_t *buf;
	size_t used = 0;
	char token[48];

	pool = (n + stride - 1) / stride;
	if (pool > POOL_MAX)
		pool = POOL_MAX;
	writes = pool / FRAMES_PER_WRITE;
	buf = malloc(writes * FRAMES_PER_WRITE * 64);
	off = calloc(writes, sizeof(*off));
	len = calloc(writes, sizeof(*len));
	if (!buf || !off || !len)
		die("out of memory");
	for (w = 0; w < writes; w++) {
		off[w] = used;
		for (i = 0; i < FRAMES_PER_WRITE; i++) {
			token_of((w * FRAMES_PER_WRITE + i) * stride, token,
				 sizeof(token));
			used += board_scan_frame(buf + used, 64, w & 0xff,
						 PASSGATE_CRED_HEALTH_CODE,
						 token, -1);
		}
		len[w] = used - off[w];
	}

	if (passgate_policy_counters(b->policy, before))
		die("counters: %s", strerror(errno));
	set_mode(b, PASSGATE_MODE_FREE);
	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		die("sched_setaffinity: %s", strerror(errno));

	/* Half a second to warm up, then the measured run. */
	end = now_s() + 0.5;
	w = 0;
	do
		w = burst(b, buf, off, len, writes, w);
	while (now_s() < end);
	t->scans = 0;
	t0 = now_s();
	end = t0 + b->tput_s;
	do {
		w = burst(b, buf, off, len, writes, w);
		t->scans += BURST * FRAMES_PER_WRITE;
		t1 = now_s();
	} while (t1 < end);
	t->seconds = t1 - t0;
	sched_setaffinity(0, sizeof(all), &all);
	set_mode(b, PASSGATE_MODE_NORMAL);
	if (passgate_policy_counters(b->policy, after))
		die("counters: %s", strerror(errno));

	t->entries = n;
	t->pool = writes * FRAMES_PER_WRITE;
	t->rate = t->scans / t->seconds;
	t->bad = 0;
	for (unsigned int v = PASSGATE_VERDICT_DEFER; v <= PASSGATE_VERDICT_PENDING; v++)
		if (v != PASSGATE_VERDICT_ACCEPT)
			t->bad += counter_sum(after, v) - counter_sum(before, v);
	free(buf);
	free(off);
	free(len);
	step("throughput, %" PRIu64 " entries: %.0f scans/s (%" PRIu64
	     " scans in %.1f s, %" PRIu64 " distinct credentials, %" PRIu64
	     " not accepted)", n, t->rate, t->scans, t->seconds, t->pool,
	     t->bad);
}

/* ---- scan-to-unlock latency ---------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(uint64_t *v, unsigned int n, unsigned int p)
{
	return n ? v[(uint64_t)(n - 1) * p / 100] / 1000.0 : 0;
}

/*
 * Scan the latency credentials one at a time on the bridge and wait for
 * each VERDICT on the gate's event stream.  After each ACCEPT the lane is
 * closed and reopened (CLOSED ends the unlock), so the next scan finds it
 * LOCKED and its unlock output is set again.
 */
static void latency(struct bench *b, const char *name, bool fast,
		    struct latency *l)
{
	unsigned int total = WARMUP + b->scans, j, k = 0;
	uint64_t *unlock = calloc(total, sizeof(*unlock));
	uint64_t *decide = calloc(total, sizeof(*decide));
	struct passgate_verdict_record rec;
	struct passgate_event ev;
	uint8_t frame[64];
	char token[48];
	size_t n;
	int ret;

	if (!unlock || !decide)
		die("out of memory");
	memset(l, 0, sizeof(*l));
	if (lseek(b->events, 0, SEEK_END) < 0)
		die("events: %s", strerror(errno));
	for (j = 0; j < total; j++) {
		latency_token(j, token, sizeof(token));
		n = board_scan_frame(frame, sizeof(frame), j & 0xff,
				     PASSGATE_CRED_HEALTH_CODE, token, -1);
		if (write(b->bridge, frame, n) != (ssize_t)n)
			die("%s: scan write: %s", name, strerror(errno));
		ret = gate_wait_event(b->events, PASSGATE_EV_VERDICT, LANE, &ev);
		if (ret)
			die("%s: scan %u: no verdict: %s", name, j,
			    strerror(-ret));
		memcpy(&rec, ev.data, sizeof(rec));
		if (ev.arg != PASSGATE_VERDICT_ACCEPT || rec.fast != fast ||
		    !rec.actuated_ns) {
			if (l->wrong++ < 5)
				fprintf(stderr, "bench: %s: scan %u: verdict %u "
					"reason %u fast %u\n", name, j, ev.arg,
					rec.reason, rec.fast);
		} else if (j >= WARMUP) {
			unlock[k] = rec.actuated_ns - rec.received_ns;
			decide[k++] = rec.decided_ns - rec.received_ns;
		}
		set_mode(b, PASSGATE_MODE_CLOSED);
		set_mode(b, PASSGATE_MODE_NORMAL);
	}
	qsort(unlock, k, sizeof(*unlock), cmp_u64);
	qsort(decide, k, sizeof(*decide), cmp_u64);
	l->n = k;
	l->p50 = pct_us(unlock, k, 50);
	l->p99 = pct_us(unlock, k, 99);
	l->d50 = pct_us(decide, k, 50);
	l->d99 = pct_us(decide, k, 99);
	l->done = true;
	free(unlock);
	free(decide);
	step("latency, %s: p50 %.1f us, p99 %.1f us (%u scans, %u wrong)",
	     name, l->p50, l->p99, l->n, l->wrong);
}

/* ---- passgated and the peer ---------------------------------------------- */

/* Start @argv with stdout on a pipe; the first line it prints in @line. */
static pid_t start(char *const argv[], const char *log, char *line,
		   size_t len)
{
	int out[2];
	ssize_t n;
	pid_t pid;

	if (pipe(out))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(out[1], STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	n = read(out[0], line, len - 1);
	close(out[0]);
	line[n > 0 ? n : 0] = '\0';
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void start_daemon(struct bench *b)
{
	char log[PATH_MAX], line[64];
	char *argv[] = { (char *)b->passgated, "-c", b->config, NULL };

	snprintf(log, sizeof(log), "%s/passgated.log", b->dir);
	b->daemon = start(argv, log, line, sizeof(line));
	if (strncmp(line, "ready", 5))
		die("passgated did not start (see %s)", log);
}

static void stop_daemon(struct bench *b)
{
	stop(b->daemon);
	b->daemon = 0;
}

/* ---- the phases ------------------------------------------------------------ */

static void setup(struct bench *b)
{
	char path[PATH_MAX], pub[PATH_MAX], text[4096], err[256];
	bool adopted;
	FILE *f;

	snprintf(b->dir, sizeof(b->dir), "/tmp/passgate-bench-XXXXXX");
	if (!mkdtemp(b->dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/trust", b->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/spool", b->dir);
	mkdir(path, 0700);
	snprintf(pub, sizeof(pub), "%s/trust/issuer.pub", b->dir);
	snprintf(path, sizeof(path), "%s/issuer.key", b->dir);
	if (passgate_seckey_generate(pub, path, err, sizeof(err)))
		die("%s", err);
	b->sec = passgate_seckey_load(path, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/trust", b->dir);
	b->trust = passgate_trust_open(path, err, sizeof(err));
	if (!b->sec || !b->trust)
		die("%s", err);

	/* The slow path accepts the latency credentials from its staff file. */
	snprintf(path, sizeof(path), "%s/staff.txt", b->dir);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "# make bench: the latency credentials\n");
	for (unsigned int j = 0; j < WARMUP + b->scans; j++) {
		char token[48];

		latency_token(j, token, sizeof(token));
		fprintf(f, "%s\n", token);
	}
	if (fclose(f))
		die("%s: %s", path, strerror(errno));

	snprintf(text, sizeof(text),
		 "# make bench\ngate = 0\ntrust_dir = %s/trust\n"
		 "spool_dir = %s/spool\nstate_dir = %s/state\n"
		 "id_key_file = %s/id.key\nstaff_file = %s/staff.txt\n"
		 "journal = %s/journal.db\nunknown = defer\n"
		 "slow_reason = unknown\n"
		 /* Its own pins: the default folder is the passgate user's. */
		 "pin_root = /sys/fs/bpf/passgate-bench\n",
		 b->dir, b->dir, b->dir, b->dir, b->dir, b->dir);
	snprintf(b->config, sizeof(b->config), "%s/passgated.conf", b->dir);
	write_file(b->config, text);
	snprintf(path, sizeof(path), "%s/state", b->dir);
	if (passgate_record_seed(path, 0, 0))
		die("seed: %s", strerror(errno));
	passgate_config_defaults(&b->cfg);
	if (passgate_config_load(b->config, &b->cfg, err, sizeof(err)))
		die("%s", err);

	if (gate_restore())
		die("gate_restore failed");
	passgate_policy_unpin(b->cfg.pin_root, b->cfg.gate);
	/*
	 * The hash layout, whose maps the experiments below build by
	 * hand: the compact one is measured against it later.
	 */
	b->policy = passgate_policy_open_layout(b->cfg.pin_root, b->cfg.gate,
						&b->cfg.policy,
						PASSGATE_LAYOUT_HASH,
						&adopted);
	if (!b->policy)
		die("policy: %s", strerror(errno));
	snprintf(path, sizeof(path), "%.1024s/gate%u/lists", b->cfg.pin_root,
		 b->cfg.gate);
	b->lists = bpf_obj_get(path);
	b->events = gate_open(0, O_RDWR | O_NONBLOCK);
	b->bridge = lane_open(0, LANE, "scanboard", O_RDWR | O_NONBLOCK);
	b->turnstile = lane_open(0, LANE, "turnstile", O_RDWR | O_NONBLOCK);
	if (b->lists < 0 || b->events < 0 || b->bridge < 0 ||
	    b->turnstile < 0)
		die("gate nodes: %s", strerror(errno));

	b->htab_elem = kernel_struct_size("htab_elem");
	b->bucket = kernel_struct_size("bucket");
	b->memcg = memcg_available();
	b->places = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
}

/* A list of @n for the throughput sweep: issued and installed, untimed. */
static void small_list(struct bench *b, uint64_t n)
{
	struct passgate_list_entry *e;
	char path[PATH_MAX];
	double s;

	release_held(b);
	e = make_entries(n, true, &s);
	write_list(b, PASSGATE_LIST_FULL, 0, e, n, path, sizeof(path));
	free(e);
	install(b, path, NULL, NULL, NULL);
	unlink(path);
	strcat(path, ".minisig");
	unlink(path);
}

static double run_tool(const char *tool, const char *path)
{
	double t0 = now_s();
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, STDOUT_FILENO);
		execlp(tool, tool, path, NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("%s %s failed", tool, path);
	return now_s() - t0;
}

/*
 * What starting b2sum and sha256sum costs, on an empty file, is not
 * hashing: the least of 5 runs, after a first one that reads them from
 * the host's disk.
 */
static void tool_start(struct bench *b)
{
	double t;

	run_tool("b2sum", "/dev/null");
	run_tool("sha256sum", "/dev/null");
	b->b2_start_s = b->sha_start_s = 1e9;
	for (int i = 0; i < 5; i++) {
		t = run_tool("b2sum", "/dev/null");
		if (t < b->b2_start_s)
			b->b2_start_s = t;
		t = run_tool("sha256sum", "/dev/null");
		if (t < b->sha_start_s)
			b->sha_start_s = t;
	}
}

/* Batch against one-by-one insertion, and the swap, on maps of our own. */
static void experiments(struct bench *b, const struct passgate_list_entry *e,
			size_t n, struct pipeline *p)
{
	struct policy_key *keys = malloc(n * sizeof(*keys)), key;
	struct policy_entry *vals = calloc(n, sizeof(*vals)), meta;
	uint64_t gen = b->generation, count = n;
	__u32 zero = 0, cnt;
	double t0;
	size_t i;
	int fd;

	if (!keys || !vals)
		die("out of memory");
	for (i = 0; i < n; i++) {
		memcpy(keys[i].digest, e[i].digest, sizeof(keys[i].digest));
		vals[i].status = e[i].status;
		vals[i].flags = e[i].flags;
		memcpy(vals[i].id_digest, e[i].id_digest,
		       sizeof(vals[i].id_digest));
	}

	fd = new_list_map(n + 1);
	t0 = now_s();
	for (i = 0; i < n; i += cnt) {
		cnt = n - i < BATCH ? n - i : BATCH;
		if (bpf_map_update_batch(fd, &keys[i], &vals[i], &cnt, NULL))
			die("update_batch: %s", strerror(errno));
	}
	p->batch_s = now_s() - t0;
	step("%zu entries in batches of %d (bpf_map_update_batch): %.2f s",
	     n, BATCH, p->batch_s);

	/* The list's own entry, as libpassgate writes it; then the swap. */
	memset(&meta, 0, sizeof(meta));
	memset(key.digest, POLICY_META_BYTE, sizeof(key.digest));
	meta.status = POLICY_STATUS_META;
	meta.valid_from = passgate_policy_tai_seconds(time(NULL) - 60);
	meta.valid_until = passgate_policy_tai_seconds(time(NULL) + 86400);
	memcpy(meta.id_digest, &gen, 8);
	memcpy(meta.id_digest + 8, &count, 8);
	if (bpf_map_update_elem(fd, &key, &meta, BPF_ANY))
		die("meta: %s", strerror(errno));
	hold_active(b);
	t0 = now_s();
	if (bpf_map_update_elem(b->lists, &zero, &fd, BPF_ANY))
		die("swap: %s", strerror(errno));
	p->swap_us = (now_s() - t0) * 1e6;
	hold(b, fd);
	step("swap: %.1f us", p->swap_us);

	fd = new_list_map(n + 1);
	t0 = now_s();
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &keys[i], &vals[i], BPF_ANY))
			die("update: %s", strerror(errno));
	p->single_s = now_s() - t0;
	hold(b, fd);
	step("%zu entries one by one (bpf_map_update_elem): %.2f s", n,
	     p->single_s);
	p->experiments = true;
	free(keys);
	free(vals);
}

static uint64_t mem_available(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/*
 * Whether the list of @n fits in time and memory, judged from the last
 * pipeline measured; "" or why not in p->skipped.
 */
static bool feasible(struct bench *b, struct pipeline *p)
{
	const struct pipeline *last = b->npipe > 1 ? &b->pipe[b->npipe - 2] :
				      NULL;
	double scale, need_s, need_b, left_s, per_entry;
	uint64_t avail = mem_available();

	if (!last || !last->done)
		return true;
	scale = (double)p->n / last->n;
	/* Entries made here, then every step, then a throughput run. */
	need_s = scale * (last->digest_s * (p->real_digests ? 1 : 0.05) +
			  last->issue_s + last->b2_s + last->sha_s +
			  last->verify_s + last->load_s) + b->tput_s + 30;
	left_s = b->budget_s - (now_s() - b->t_start) - 60;
	per_entry = last->mem.ok ? last->mem.kernel / last->n : 160;
	/* The file stays in tmpfs; the entries are freed before the load. */
	need_b = p->n * (sizeof(struct passgate_list_entry) +
			 (per_entry > sizeof(struct passgate_list_entry) ?
			  per_entry : sizeof(struct passgate_list_entry)));
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

/*
 * The big lists: each step timed as the issuer and the gate run it.
 * @experiments: also batch against one-by-one and the swap alone.
 */
static void big_list(struct bench *b, struct pipeline *p, bool experiments_too)
{
	struct passgate_list_entry *e;
	char path[PATH_MAX];
	struct stat st;
	int fd;

	release_held(b);
	p->real_digests = p->n <= b->real_max;
	if (!feasible(b, p)) {
		step("list of %" PRIu64 ": skipped: %s", p->n, p->skipped);
		return;
	}
	step("list of %" PRIu64 ": making the entries (%s digests)", p->n,
	     p->real_digests ? "SHA-256" : "SHA-256 for scanned ones, synthetic");
	e = make_entries(p->n, p->real_digests, &p->digest_s);
	p->issue_s = write_list(b, PASSGATE_LIST_FULL, 0, e, p->n, path,
				sizeof(path));
	if (stat(path, &st))
		die("%s: %s", path, strerror(errno));
	p->file_bytes = st.st_size;
	step("issue + sign: %.2f s (%.0f MB)", p->issue_s, p->file_bytes / 1e6);
	if (experiments_too)
		experiments(b, e, p->n, p);
	free(e);

	install(b, path, &p->verify_s, &p->load_s, &p->mem);
	step("verify %.2f s, load + swap %.2f s", p->verify_s, p->load_s);
	if (!b->b2_start_s)
		tool_start(b);
	p->b2_s = run_tool("b2sum", path) - b->b2_start_s;
	p->sha_s = run_tool("sha256sum", path) - b->sha_start_s;
	step("b2sum %.2f s, sha256sum %.2f s (net of %.3f s and %.3f s to "
	     "start them)", p->b2_s, p->sha_s, b->b2_start_s, b->sha_start_s);
	fd = active_map(b);
	map_fdinfo(fd, &p->memlock, &p->max_entries);
	close(fd);
	p->done = true;
	throughput(b, p->n, &p->tput);
}

/*
 * The latency phase, on the list of b->latency_list passengers, which
 * does not hold the latency credentials: the slow path (passgated,
 * unknown = defer, the credentials in its staff file), the peer (the
 * same credentials deferred, answered from SQLite holding the list and
 * the delta that adds them), then the delta goes into the kernel and
 * the fast path decides them.
 */
static void latencies(struct bench *b, const char *full)
{
	unsigned int total = WARMUP + b->scans, j;
	struct passgate_list_entry *e = calloc(total, sizeof(*e));
	char delta[PATH_MAX], db[PATH_MAX], log[PATH_MAX], line[128];
	char trust[PATH_MAX], lane[8], token[48];
	uint8_t digest[PASSGATE_DIGEST_SIZE];
	uint64_t base = b->generation;
	double load_s;
	pid_t peer;

	if (!e)
		die("out of memory");
	for (j = 0; j < total; j++) {
		latency_token(j, token, sizeof(token));
		passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, token,
					strlen(token), NULL, digest);
		memcpy(e[j].digest, digest, sizeof(e[j].digest));
		e[j].status = PASSGATE_STATUS_GREEN;
	}
	write_list(b, PASSGATE_LIST_DELTA, base, e, total, delta,
		   sizeof(delta));
	free(e);

	/*
	 * Each path twice: the process that answers (passgated, the peer)
	 * on the bench's CPU, then on the other one.  The bench itself
	 * stays on CPU 0.
	 */
	step("slow path: passgated decides %u scans", total);
	start_daemon(b);
	for (j = 0; j < b->places; j++) {
		pin(0, 0);
		pin(b->daemon, j);
		latency(b, j ? "slow path, passgated on CPU 1" :
			"slow path, passgated on CPU 0", false, &b->slow[j]);
	}
	stop_daemon(b);

	/* The maps replaced so far go while the peer imports. */
	release_held(b);
	pin(0, -1);
	step("peer: importing the list into SQLite");
	snprintf(trust, sizeof(trust), "%s/trust", b->dir);
	snprintf(db, sizeof(db), "%s/peer.db", b->dir);
	snprintf(log, sizeof(log), "%s/peer.log", b->dir);
	snprintf(lane, sizeof(lane), "%d", LANE);
	{
		char *argv[] = { (char *)b->peer_bin, trust, db, lane,
				 (char *)full, delta, NULL };

		peer = start(argv, log, line, sizeof(line));
	}
	if (sscanf(line, "ready %lf %" SCNu64, &b->peer_import_s,
		   &b->peer_rows) != 2)
		die("sqlite_peer did not start (see %s)", log);
	step("peer: %" PRIu64 " rows imported in %.2f s", b->peer_rows,
	     b->peer_import_s);
	for (j = 0; j < b->places; j++) {
		pin(0, 0);
		pin(peer, j);
		latency(b, j ? "peer on CPU 1" : "peer on CPU 0", false,
			&b->peer[j]);
	}
	stop(peer);
	unlink(db);

	pin(0, -1);
	install(b, delta, NULL, &load_s, NULL);
	b->delta_s = load_s;
	b->delta_n = total;
	b->latency_entries = b->peer_rows;
	step("delta of %u entries on the list: %.2f s", total, load_s);
	start_daemon(b);
	for (j = 0; j < b->places; j++) {
		pin(0, 0);
		pin(b->daemon, j);
		latency(b, j ? "fast path, passgated on CPU 1" :
			"fast path, passgated on CPU 0", true, &b->fast[j]);
	}
	stop_daemon(b);
	pin(0, -1);
}

/* ---- the report -------------------------------------------------------------- */

static const char *big(uint64_t n, char *buf, size_t len)
{
	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(buf, len, "%" PRIu64 "M", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "k", n / 1000);
	else
		snprintf(buf, len, "%" PRIu64, n);
	return buf;
}

static const char *grouped(uint64_t n, char *buf, size_t len)
{
	char tmp[32];
	int l, i, o = 0;

	l = snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
	for (i = 0; i < l && o + 2 < (int)len; i++) {
		if (i && (l - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static const char *rate(double per_s, char *buf, size_t len)
{
	if (per_s >= 1e6)
		snprintf(buf, len, "%.2f M/s", per_s / 1e6);
	else if (per_s >= 1e3)
		snprintf(buf, len, "%.1f k/s", per_s / 1e3);
	else
		snprintf(buf, len, "%.0f /s", per_s);
	return buf;
}

static const char *met(bool ok)
{
	return ok ? "**met**" : "**not met**";
}

/* The element the kernel cannot do without: htab_elem, key, value. */
static long min_element(const struct bench *b)
{
	if (b->htab_elem <= 0)
		return -1;
	return b->htab_elem + ((sizeof(struct policy_key) + 7) & ~7ul) +
	       ((sizeof(struct policy_entry) + 7) & ~7ul);
}

static void report(struct bench *b, FILE *f)
{
	char x[32], y[32], z[32];
	long minimum = min_element(b);
	const struct latency *fa = b->fast, *sl = b->slow, *pe = b->peer;
	unsigned int i;

	fprintf(f, "| # | measurement | result | target / note |\n");
	fprintf(f, "|---|---|---|---|\n");
	if (fa[0].done && sl[0].done && pe[0].done) {
		char o[3][96] = { "", "", "" };
		double r[2][4] = { { 0 } };

		for (i = 0; i < b->places; i++) {
			r[i][0] = sl[i].p50 / fa[i].p50;
			r[i][1] = sl[i].p99 / fa[i].p99;
			r[i][2] = pe[i].p50 / fa[i].p50;
			r[i][3] = pe[i].p99 / fa[i].p99;
		}
		if (b->places > 1) {
			snprintf(o[0], sizeof(o[0]), "; passgated on the other CPU: p50 %.1f µs · p99 %.1f µs",
				 fa[1].p50, fa[1].p99);
			snprintf(o[1], sizeof(o[1]), "; passgated on the other CPU: p50 %.1f µs · p99 %.1f µs",
				 sl[1].p50, sl[1].p99);
			snprintf(o[2], sizeof(o[2]), "; peer on the other CPU: p50 %.1f µs · p99 %.1f µs",
				 pe[1].p50, pe[1].p99);
		}
		fprintf(f, "| 1 | scan-to-unlock, fast path (BPF policy, in the kernel) | p50 %.1f µs · p99 %.1f µs | %s scans, list of %s; verdict alone p50 %.1f µs · p99 %.1f µs%s |\n",
			fa[0].p50, fa[0].p99, grouped(fa[0].n, x, sizeof(x)),
			grouped(b->latency_entries, y, sizeof(y)), fa[0].d50,
			fa[0].d99, o[0]);
		fprintf(f, "| 1 | scan-to-unlock, slow path (deferred to passgated) | p50 %.1f µs · p99 %.1f µs | %s scans; `unknown = defer`, credentials in `staff_file`%s |\n",
			sl[0].p50, sl[0].p99, grouped(sl[0].n, x, sizeof(x)), o[1]);
		fprintf(f, "| 1 | scan-to-unlock, peer (userspace + SQLite) | p50 %.1f µs · p99 %.1f µs | %s scans; same list, %s rows in SQLite%s |\n",
			pe[0].p50, pe[0].p99, grouped(pe[0].n, x, sizeof(x)),
			grouped(b->peer_rows, y, sizeof(y)), o[2]);
		for (unsigned int k = 0; k < 2; k++) {
			fprintf(f, "| 1 | fast path vs %s (%s ÷ fast) | p50 %.1f× · p99 %.1f× | target ≥ 20×: p50 %s, p99 %s",
				k ? "peer" : "slow path", k ? "peer" : "slow",
				r[0][2 * k], r[0][2 * k + 1],
				met(r[0][2 * k] >= 20), met(r[0][2 * k + 1] >= 20));
			if (b->places > 1)
				fprintf(f, "; with the reader on the other CPU p50 %.1f× (%s) · p99 %.1f× (%s)",
					r[1][2 * k], met(r[1][2 * k] >= 20),
					r[1][2 * k + 1],
					met(r[1][2 * k + 1] >= 20));
			fprintf(f, " |\n");
		}
		for (i = 0; i < b->places; i++)
			if (fa[i].wrong || sl[i].wrong || pe[i].wrong)
				fprintf(f, "| 1 | wrong verdicts (%s CPU) | fast %u · slow %u · peer %u | every latency scan must be an ACCEPT |\n",
					i ? "other" : "same", fa[i].wrong,
					sl[i].wrong, pe[i].wrong);
	}
	for (i = 0; i < b->ntput; i++) {
		const struct tput *t = &b->tput[i];
		char cmp[64] = "1 CPU, write() of 4 frames: digest + policy + verdict";
		char w[32];

		if (i)
			snprintf(cmp, sizeof(cmp), "%.2f× the list of %s",
				 t->rate / b->tput[0].rate,
				 big(b->tput[0].entries, z, sizeof(z)));
		fprintf(f, "| 2 | fast-path throughput, list of %s | %s scans/s | %s; %s scans in %.1f s over %s credentials%s |\n",
			big(t->entries, x, sizeof(x)),
			grouped((uint64_t)(t->rate + 0.5), y, sizeof(y)), cmp,
			grouped(t->scans, z, sizeof(z)), t->seconds,
			grouped(t->pool, w, sizeof(w)),
			t->bad ? "; SOME NOT ACCEPTED" : "");
	}
	for (i = 0; i < b->npipe; i++) {
		const struct pipeline *p = &b->pipe[i];
		const char *n = big(p->n, z, sizeof(z));
		double me = p->mem.ok ? p->mem.kernel / p->n : 0;

		if (!p->done) {
			fprintf(f, "| 3 | list of %s | not measured | %s |\n",
				n, p->skipped);
			continue;
		}
		if (p->real_digests)
			fprintf(f, "| 3 | %s: digest the credentials (SHA-256) | %.2f s · %s | userspace, libsodium; not part of the steps below |\n",
				n, p->digest_s, rate(p->n / p->digest_s, x, sizeof(x)));
		fprintf(f, "| 3 | %s: issue + sign | %.2f s · %s | sort, check, write, fsync, sign (BLAKE2b-512 + Ed25519); %.0f MB |\n",
			n, p->issue_s, rate(p->n / p->issue_s, x, sizeof(x)),
			p->file_bytes / 1e6);
		fprintf(f, "| 3 | %s: verify | %.2f s · %s | %.2f× `b2sum` (%.2f s), %.2f× `sha256sum` (%.2f s) of the same file |\n",
			n, p->verify_s, rate(p->n / p->verify_s, x, sizeof(x)),
			p->verify_s / p->b2_s, p->b2_s,
			p->verify_s / p->sha_s, p->sha_s);
		fprintf(f, "| 3 | %s: load + swap | %.2f s · %s | read and hash again, batch insert, swap |\n",
			n, p->load_s, rate(p->n / p->load_s, x, sizeof(x)));
		if (p->experiments) {
			fprintf(f, "| 3 | %s: swap alone | %.1f ms | one update of the `lists` slot; the kernel waits for an RCU grace period (`synchronize_rcu()` for map-in-map updates), so no program still sees the old list when it returns |\n",
				n, p->swap_us / 1000);
			fprintf(f, "| 3 | %s: batch insert vs one-by-one | batch %.2f s · one-by-one %.2f s | one-by-one takes %.1f× as long (`bpf_map_update_batch` of %d vs `bpf_map_update_elem`) |\n",
				n, p->batch_s, p->single_s,
				p->single_s / p->batch_s, BATCH);
		}
		fprintf(f, "| 3 | %s: kernel memory per entry | memlock %.1f B · charged %s B | ",
			n, (double)p->memlock / p->n,
			p->mem.ok ? (snprintf(x, sizeof(x), "%.1f", me), x) : "n/a");
		if (minimum > 0 && p->mem.ok)
			fprintf(f, "minimum %ld B (htab_elem %ld + key 16 + value 32): memlock %+.0f%%, charged %+.0f%% (slab %.1f B + buckets %.1f B); target within 15%%: %s |\n",
				minimum, b->htab_elem,
				100.0 * ((double)p->memlock / p->n - minimum) / minimum,
				100.0 * (me - minimum) / minimum,
				p->mem.slab / p->n, p->mem.vmalloc / p->n,
				met(fabs(me - minimum) <= 0.15 * minimum));
		else
			fprintf(f, "minimum %ld B |\n", minimum);
	}
	if (b->delta_n)
		fprintf(f, "| 3 | delta of %s entries on the list of %s | %.2f s | copy of the active map, apply, swap |\n",
			grouped(b->delta_n, x, sizeof(x)),
			big(b->latency_list, y, sizeof(y)), b->delta_s);
	if (b->peer_rows)
		fprintf(f, "| 3 | peer: the same lists into SQLite | %.2f s · %s | verify + import, %s rows |\n",
			b->peer_import_s, rate(b->peer_rows / b->peer_import_s, x, sizeof(x)),
			grouped(b->peer_rows, y, sizeof(y)));
}

static void notes(struct bench *b, FILE *f)
{
	char model[128] = "unknown", line[256], x[32];
	struct utsname u;
	FILE *c = fopen("/proc/cpuinfo", "re");
	unsigned long long memkb = 0;

	while (c && fgets(line, sizeof(line), c))
		if (sscanf(line, "model name : %127[^\n]", model) == 1)
			break;
	if (c)
		fclose(c);
	c = fopen("/proc/meminfo", "re");
	while (c && fgets(line, sizeof(line), c))
		if (sscanf(line, "MemTotal: %llu kB", &memkb) == 1)
			break;
	if (c)
		fclose(c);
	uname(&u);
	fprintf(f, "\nGuest: Linux %s, %ld vCPUs (\"%s\"), %.1f GB; "
		"bench ran %.0f s.\n", u.release, sysconf(_SC_NPROCESSORS_ONLN),
		model, memkb / 1048576.0, now_s() - b->t_start);
	fprintf(f, "\nParameters: %s latency scans per path and placement "
		"after %d warm-up scans; the bench runs on CPU 0, the process "
		"that answers (passgated, the peer) on CPU 0 as well (the "
		"result column) and then on CPU 1 (the note).  passgated runs, "
		"journaling every event, during the fast- and slow-path "
		"latency runs; the peer runs alone; nothing else runs during "
		"the throughput runs (%.0f s each after 0.5 s of warm-up).  ",
		grouped(b->scans, x, sizeof(x)), WARMUP, b->tput_s);
	if (b->real_max >= b->sizes[b->nsizes - 1])
		fprintf(f, "Every list entry is the SHA-256 digest of a "
			"credential.  ");
	else
		fprintf(f, "Lists up to %s entries carry SHA-256 digests of "
			"credentials throughout, bigger ones for the scanned "
			"credentials only (the rest random 16-byte digests).  ",
			big(b->real_max, x, sizeof(x)));
	fprintf(f, "Maps that a swap replaces are kept until the measurement "
		"that follows is over (the kernel frees them in a background "
		"worker).  `b2sum` and `sha256sum` times are net of starting "
		"the tool (%.3f s and %.3f s: the least of 5 runs on an empty "
		"file).\n",
		b->b2_start_s, b->sha_start_s);
	if (b->htab_elem > 0)
		fprintf(f, "\nFrom the running kernel's BTF: struct htab_elem "
			"%ld B, struct bucket %ld B.\n", b->htab_elem,
			b->bucket);
	if (!b->memcg)
		fprintf(f, "\nNo memory cgroup: kernel memory not measured.\n");
}

static void parse_sizes(struct bench *b, char *s)
{
	char *tok;

	b->nsizes = 0;
	for (tok = strtok(s, ","); tok && b->nsizes < MAX_SIZES;
	     tok = strtok(NULL, ","))
		b->sizes[b->nsizes++] = strtoull(tok, NULL, 10);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "passgated", required_argument, NULL, 'd' },
		{ "peer", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "sizes", required_argument, NULL, 's' },
		{ "pipeline-from", required_argument, NULL, 'P' },
		{ "latency-list", required_argument, NULL, 'L' },
		{ "real-digests-max", required_argument, NULL, 'R' },
		{ "scans", required_argument, NULL, 'n' },
		{ "tput-seconds", required_argument, NULL, 't' },
		{ "budget", required_argument, NULL, 'b' },
		{ 0 },
	};
	static struct bench bench = {
		.sizes = { 1000, 10000, 100000, 1000000, 10000000 },
		.nsizes = 5,
		.pipeline_from = 1000000,
		.latency_list = 1000000,
		.real_max = 10000000,
		.scans = 10000,
		.tput_s = 5,
		.budget_s = 1320,
	};
	struct bench *b = &bench;
	char full[PATH_MAX] = "";
	bool experiments_done = false;
	unsigned int i;
	FILE *out;
	int opt;

	b->t_start = now_s();
	progress_bench = b;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': b->passgated = optarg; break;
		case 'p': b->peer_bin = optarg; break;
		case 'o': b->out = optarg; break;
		case 's': parse_sizes(b, optarg); break;
		case 'P': b->pipeline_from = strtoull(optarg, NULL, 10); break;
		case 'L': b->latency_list = strtoull(optarg, NULL, 10); break;
		case 'R': b->real_max = strtoull(optarg, NULL, 10); break;
		case 'n': b->scans = strtoul(optarg, NULL, 10); break;
		case 't': b->tput_s = strtod(optarg, NULL); break;
		case 'b': b->budget_s = strtod(optarg, NULL); break;
		default:
			fprintf(stderr, "usage: passgate_bench --passgated BIN "
				"--peer BIN [--out FILE] [--sizes N,N,...] "
				"[--pipeline-from N] [--latency-list N] "
				"[--real-digests-max N] [--scans N] "
				"[--tput-seconds S] [--budget S]\n");
			return 2;
		}
	}
	if (!b->passgated || !b->peer_bin || !b->nsizes)
		die("--passgated and --peer are needed");

	setup(b);
	step("gate ready; lists of %s%s entries", big(b->sizes[0], full, sizeof(full)),
	     b->nsizes > 1 ? " and up" : "");
	for (i = 0; i < b->nsizes; i++) {
		uint64_t n = b->sizes[i];

		if (n < b->pipeline_from) {
			step("list of %" PRIu64 " entries", n);
			small_list(b, n);
			throughput(b, n, &b->tput[b->ntput++]);
			continue;
		}
		b->pipe[b->npipe].n = n;
		b->npipe++;
		big_list(b, &b->pipe[b->npipe - 1], !experiments_done);
		if (!b->pipe[b->npipe - 1].done)
			continue;
		experiments_done = true;
		b->tput[b->ntput++] = b->pipe[b->npipe - 1].tput;
		if (n == b->latency_list) {
			list_path(b, b->generation, full, sizeof(full));
			latencies(b, full);
		}
		/* The list file is not needed any more: tmpfs is memory. */
		list_path(b, b->generation, full, sizeof(full));
		unlink(full);
		list_path(b, b->generation - 1, full, sizeof(full));
		unlink(full);
	}
	release_held(b);
	passgate_policy_close(b->policy);
	passgate_policy_unpin(b->cfg.pin_root, b->cfg.gate);
	printf("\n");
	report(b, stdout);
	notes(b, stdout);
	if (b->out) {
		out = fopen(b->out, "w");
		if (!out)
			die("%s: %s", b->out, strerror(errno));
		report(b, out);
		notes(b, out);
		fclose(out);
	}
	for (i = 0; i < b->places; i++)
		if (b->fast[i].wrong || b->slow[i].wrong || b->peer[i].wrong)
			return 1;
	return 0;
}
