// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench: the clock, progress, the bench's credentials and list
 * files, memory cgroups, and the processes it starts (bench/bench.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "common/digest.h"
#include "gate_fixture.h"

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void die(const char *fmt, ...)
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

/* Progress lines count from the bench's start. */
void step_start(struct bench *b)
{
	progress_bench = b;
	b->t_start = now_s();
}

void step(const char *fmt, ...)
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
void write_file(const char *path, const char *text)
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
int token_of(uint64_t i, char *buf, size_t len)
{
	return snprintf(buf, len, "HC:v1:BENCH:%09" PRIu64, i);
}

int latency_token(unsigned int j, char *buf, size_t len)
{
	return snprintf(buf, len, "HC:v1:BENCH:S:%06u", j);
}

/* The size pool: on every list of the p99-against-size runs. */
int pool_token(unsigned int j, char *buf, size_t len)
{
	return snprintf(buf, len, "HC:v1:BENCH:P:%06u", j);
}

/*
 * Every list has the passengers whose index is a multiple of @stride
 * GREEN with a code alone, so a throughput run can scan them; the rest
 * are a mix (a twentieth RED, a twentieth YELLOW).  The stride is a
 * multiple of 4, so a scanned index is never 3 or 7 modulo 20.
 */
uint64_t stride_of(uint64_t n)
{
	uint64_t per = n / (4 * (uint64_t)POOL_MAX);

	return 4 * (per ? per : 1);
}

void fill_entry(struct passgate_list_entry *e, uint64_t i, bool real)
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

struct passgate_list_entry *make_entries(uint64_t n, bool real_all,
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

void list_path(struct bench *b, uint64_t gen, char *buf, size_t len)
{
	snprintf(buf, len, "%.63s/list-%06" PRIu64 ".pgl", b->dir, gen);
}

/* Sign @n entries as the next generation; returns the seconds it took. */
double write_list(struct bench *b, unsigned int kind, uint64_t base,
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

/* An entry for @token: GREEN, its code alone. */
void token_entry(struct passgate_list_entry *e, const char *token)
{
	uint8_t digest[PASSGATE_DIGEST_SIZE];

	memset(e, 0, sizeof(*e));
	passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, token, strlen(token),
				NULL, digest);
	memcpy(e->digest, digest, sizeof(e->digest));
	e->status = PASSGATE_STATUS_GREEN;
}

/* A list file and its signature: tmpfs is memory. */
void unlink_list(const char *path)
{
	char sig[PATH_MAX];

	unlink(path);
	snprintf(sig, sizeof(sig), "%s.minisig", path);
	unlink(sig);
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
bool memcg_begin(struct bench *b, char *cg, size_t len,
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

void memcg_end(const char *cg, const struct memuse *before,
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
bool memcg_available(void)
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
long kernel_struct_size(const char *name)
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

uint64_t mem_available(void)
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
 * Pin process @pid (0: this thread) to @cpu (-1: any).  Every thread of
 * it: sched_setaffinity() moves one thread, and passgated answers the
 * slow path on a thread of its own (gate/passgated/slow.c).
 */
void pin(pid_t pid, int cpu)
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

pid_t start(char *const argv[], const char *log, char *line, size_t len)
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

void stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

void start_daemon(struct bench *b)
{
	char log[PATH_MAX], line[64];
	char *argv[] = { (char *)b->passgated, "-c", b->config, NULL };

	snprintf(log, sizeof(log), "%s/passgated.log", b->dir);
	b->daemon = start(argv, log, line, sizeof(line));
	if (strncmp(line, "ready", 5))
		die("passgated did not start (see %s)", log);
}

void stop_daemon(struct bench *b)
{
	stop(b->daemon);
	b->daemon = 0;
}

double run_tool(const char *tool, const char *path)
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
void tool_start(struct bench *b)
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


/*
 * The collector's figures, measured on the host by scripts/bench.sh
 * before the guest started (scripts/station.sh's station-figures.env,
 * key=value lines); -1 when they are not there or not whole.
 */
int collector_read(const char *path, struct collector *c)
{
	static const char *const keys[] = {
		"plain_batch_rows_per_s", "plain_row_rows_per_s",
		"tls_batch_rows_per_s", "tls_row_rows_per_s",
		"plain_batch_rows_sent", "tls_batch_rows_sent",
		"collector_exactly_once",
	};
	char key[64], val[64], line[160];
	unsigned int seen = 0, k;
	FILE *f = fopen(path, "re");

	memset(c, 0, sizeof(*c));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^=]=%63s", key, val) != 2)
			continue;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (!strcmp(key, keys[k]))
				break;
		switch (k) {
		case 0: case 1: case 2: case 3:
			*(k % 2 ? &c->per_row[k / 2] : &c->batched[k / 2]) =
				strtod(val, NULL);
			break;
		case 4: case 5:
			c->rows[k - 4] = strtoull(val, NULL, 10);
			break;
		case 6:
			c->exactly_once = !strcmp(val, "yes");
			break;
		default:
			continue;
		}
		seen |= 1u << k;
	}
	fclose(f);
	if (seen != (1u << 7) - 1 || !c->per_row[0] || !c->per_row[1])
		return -1;
	c->done = true;
	return 0;
}
