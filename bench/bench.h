/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * make bench (bench/passgate_bench.c): what the gate costs, measured on
 * the test gate in QEMU.  The pieces: bench_util.c (clock, progress,
 * credentials, list files, memory cgroups, processes), bench_lists.c
 * (lists installed the daemon's way, deltas, list maps), bench_scan.c
 * (throughput and latency on lane 1), bench_report.c (the tables).
 */
#ifndef PASSGATE_BENCH_H
#define PASSGATE_BENCH_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "gate/core/config.h"
#include "gate/policy/loader.h"
#include "common/listfile.h"
#include "common/minisign.h"

#define LANE 1			/* the bridge lane: no UART in the way */
#define POOL_MAX 65536		/* distinct credentials a throughput run uses */
#define FRAMES_PER_WRITE 4	/* the most one write() takes */
#define WARMUP 100		/* latency scans not counted, per path */
#define CGROUP_ROOT "/sys/fs/cgroup"
#define MAX_SIZES 8
#define DELTA_ENTRIES 10000	/* the delta measured on every big list */
/* Credentials the p99-against-size runs scan, each one several times. */
#define SIZE_POOL 1000

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

/* One big list in one layout: each step as the issuer and the gate run it. */
struct pipeline {
	uint64_t n;
	bool done, real_digests;
	char skipped[256];
	double digest_s, issue_s, b2_s, sha_s, verify_s, load_s;
	double file_bytes;
	struct memuse mem;
	uint64_t memlock;
	uint32_t max_entries;
	struct tput tput;
	bool tput_done;
	/* A delta of DELTA_ENTRIES on it: verify, load + swap. */
	double delta_verify_s, delta_s;
	unsigned int delta_n;
};

/*
 * The station's collector, measured on the host before the guest ran
 * (scripts/station.sh): on plain TCP [0] and on TLS [1], batched and
 * with one INSERT per row (the baseline), rows per second into
 * PostgreSQL and whether each run stored every row exactly once.
 */
struct collector {
	bool done;
	double batched[2], per_row[2];
	uint64_t rows[2];
	bool exactly_once;
};

struct bench {
	/* options */
	const char *passgated, *peer_bin, *out, *collector_file;
	uint64_t sizes[MAX_SIZES];
	unsigned int nsizes;
	uint64_t baseline[MAX_SIZES];	/* sizes also run in the hash layout */
	unsigned int nbaseline;
	uint64_t pipeline_from, latency_list, real_max;
	unsigned int scans;
	double tput_s, budget_s;
	size_t max_list_bytes;

	/* the gate */
	char dir[64], config[PATH_MAX];
	struct passgate_config cfg;
	struct passgate_seckey *sec;
	struct passgate_trust *trust;
	struct passgate_policy *policy;
	enum passgate_policy_layout layout;
	int events, bridge, turnstile;
	uint64_t generation;
	pid_t daemon;
	double t_start;
	bool memcg;
	int cgroups;
	int held[16];		/* maps kept from being freed meanwhile */
	unsigned int nheld;
	double b2_start_s, sha_start_s;
	char files[MAX_SIZES][PATH_MAX];	/* big lists kept for both layouts */

	/* results: [PASSGATE_LAYOUT_*] where both layouts run */
	struct tput tput[MAX_SIZES];
	unsigned int ntput;
	struct pipeline pipe[2][MAX_SIZES];
	unsigned int npipe[2];
	/* [0]: the reader on the bench's CPU; [1]: on the other one. */
	struct latency fast[2], slow[2], peer[2];
	unsigned int places;
	uint64_t latency_entries, peer_rows;
	double peer_import_s, delta_s;
	unsigned int delta_n;
	/*
	 * p99 against the list's size: the smallest and the largest list,
	 * passgated on the bench's CPU [0] and on the other one [1]
	 */
	struct latency size_small[2], size_big[2];
	uint64_t size_small_n, size_big_n;
	struct collector collector;
	long htab_elem, bucket;	/* from the kernel's BTF; -1 if unknown */
};

/* bench_util.c */
double now_s(void);
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void step_start(struct bench *b);
void step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void write_file(const char *path, const char *text);
int token_of(uint64_t i, char *buf, size_t len);
int latency_token(unsigned int j, char *buf, size_t len);
int pool_token(unsigned int j, char *buf, size_t len);
uint64_t stride_of(uint64_t n);
void fill_entry(struct passgate_list_entry *e, uint64_t i, bool real);
struct passgate_list_entry *make_entries(uint64_t n, bool real_all,
					 double *seconds);
void token_entry(struct passgate_list_entry *e, const char *token);
void list_path(struct bench *b, uint64_t gen, char *buf, size_t len);
double write_list(struct bench *b, unsigned int kind, uint64_t base,
		  struct passgate_list_entry *e, size_t n, char *path,
		  size_t len);
void unlink_list(const char *path);
bool memcg_begin(struct bench *b, char *cg, size_t len,
		 struct memuse *before);
void memcg_end(const char *cg, const struct memuse *before,
	       struct memuse *delta);
bool memcg_available(void);
long kernel_struct_size(const char *name);
uint64_t mem_available(void);
void pin(pid_t pid, int cpu);
pid_t start(char *const argv[], const char *log, char *line, size_t len);
void stop(pid_t pid);
void start_daemon(struct bench *b);
void stop_daemon(struct bench *b);
double run_tool(const char *tool, const char *path);
void tool_start(struct bench *b);
int collector_read(const char *path, struct collector *c);

/* bench_lists.c */
void policy_open(struct bench *b, enum passgate_policy_layout layout);
void policy_close(struct bench *b);
void hold_active(struct bench *b);
void release_held(struct bench *b);
void active_memlock(struct bench *b, uint64_t *memlock, uint32_t *max_entries);
void install(struct bench *b, const char *path, double *verify_s,
	     double *load_s, struct memuse *mem);
void small_list(struct bench *b, uint64_t n, bool pool_only);
void big_list(struct bench *b, struct pipeline *p, char *file);
void delta_on(struct bench *b, struct pipeline *p);
uint64_t active_generation(struct bench *b);
const struct pipeline *measured(const struct bench *b,
				enum passgate_policy_layout layout, uint64_t n);

/* bench_scan.c */
void set_mode(struct bench *b, unsigned int mode);
void throughput(struct bench *b, uint64_t n, struct tput *t);
void latency(struct bench *b, const char *name, bool fast, unsigned int pool,
	     struct latency *l);

/* bench_report.c */
void report(struct bench *b, FILE *f);
void notes(struct bench *b, FILE *f);

#endif
