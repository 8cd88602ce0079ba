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
 *     reads the deferred scans, looks the digest up in SQLite); and the
 *     fast path's p99 on the smallest list against the largest.
 *  2. Fast-path decision throughput through write() on one CPU, against
 *     the size of the active list.
 *  3. The list pipeline for the big lists: issue + sign, verify, load and
 *     swap, kernel memory per entry, a delta of DELTA_ENTRIES; the same
 *     files loaded first in the hash layout (the baseline, each of its
 *     generations a BPF hash map) and then in the compact layout
 *     passgated uses (docs/list-layout.md).
 *  4. The goals of docs/list-layout.md's issue, each a ratio from this
 *     run, with the collector's figures that scripts/bench.sh measured on
 *     the host just before.
 *
 *   passgate_bench --passgated BIN --peer BIN [--out FILE] [options]
 *
 * Prints the tables (Markdown) and writes them, with notes on the method,
 * to --out.  Waits on the gate's event stream, never on time; the only
 * clock-bounded loops are the throughput runs, which last a set time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "gate_fixture.h"
#include "common/digest.h"
#include "gate/core/state.h"

static void setup(struct bench *b)
{
	char path[PATH_MAX], pub[PATH_MAX], text[4096], err[256];
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
	b->events = gate_open(0, O_RDWR | O_NONBLOCK);
	b->bridge = lane_open(0, LANE, "scanboard", O_RDWR | O_NONBLOCK);
	b->turnstile = lane_open(0, LANE, "turnstile", O_RDWR | O_NONBLOCK);
	if (b->events < 0 || b->bridge < 0 || b->turnstile < 0)
		die("gate nodes: %s", strerror(errno));

	b->htab_elem = kernel_struct_size("htab_elem");
	b->bucket = kernel_struct_size("bucket");
	b->memcg = memcg_available();
	b->places = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
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
	uint64_t base = active_generation(b);
	double load_s;
	pid_t peer;

	if (!e)
		die("out of memory");
	for (j = 0; j < total; j++) {
		latency_token(j, token, sizeof(token));
		token_entry(&e[j], token);
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
			"slow path, passgated on CPU 0", false, 0, &b->slow[j]);
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
		latency(b, j ? "peer on CPU 1" : "peer on CPU 0", false, 0,
			&b->peer[j]);
	}
	stop(peer);
	unlink(db);

	pin(0, -1);
	install(b, delta, NULL, &load_s, NULL);
	unlink_list(delta);
	b->delta_s = load_s;
	b->delta_n = total;
	b->latency_entries = b->peer_rows;
	step("delta of %u entries on the list: %.2f s", total, load_s);
	start_daemon(b);
	for (j = 0; j < b->places; j++) {
		pin(0, 0);
		pin(b->daemon, j);
		latency(b, j ? "fast path, passgated on CPU 1" :
			"fast path, passgated on CPU 0", true, 0, &b->fast[j]);
	}
	stop_daemon(b);
	pin(0, -1);
}

/*
 * The fast path's p99 against the list's size: the size pool's
 * credentials on the active list, scanned with passgated running and
 * journaling on the bench's CPU, then on the other one.
 */
static void size_latency(struct bench *b, struct latency *l, uint64_t n)
{
	char name[96];
	unsigned int j;

	start_daemon(b);
	for (j = 0; j < b->places; j++) {
		snprintf(name, sizeof(name), "fast path, list of %" PRIu64
			 ", passgated on CPU %u", n, j);
		pin(0, 0);
		pin(b->daemon, j);
		latency(b, name, true, SIZE_POOL, &l[j]);
	}
	stop_daemon(b);
	pin(0, -1);
}

static bool in(const uint64_t *set, unsigned int n, uint64_t v)
{
	for (unsigned int i = 0; i < n; i++)
		if (set[i] == v)
			return true;
	return false;
}

/*
 * The baseline: the hash layout (each generation a BPF hash map, deltas
 * applied to a copy) with the sizes of --baseline, the same files the
 * compact layout loads next.
 */
static void baseline(struct bench *b)
{
	struct pipeline *p;
	unsigned int i;

	policy_open(b, PASSGATE_LAYOUT_HASH);
	step("baseline: the hash layout");
	for (i = 0; i < b->nsizes; i++) {
		if (!in(b->baseline, b->nbaseline, b->sizes[i]) ||
		    b->sizes[i] < b->pipeline_from)
			continue;
		p = &b->pipe[PASSGATE_LAYOUT_HASH][b->npipe[PASSGATE_LAYOUT_HASH]++];
		p->n = b->sizes[i];
		big_list(b, p, b->files[i]);
		if (!p->done)
			continue;
		throughput(b, p->n, &p->tput);
		p->tput_done = true;
		delta_on(b, p);
	}
	policy_close(b);
}

/* The compact layout, every size: what passgated runs. */
static void compact(struct bench *b)
{
	struct pipeline *p;
	unsigned int i;
	uint64_t n;

	policy_open(b, PASSGATE_LAYOUT_COMPACT);
	step("the compact layout");
	step("list of %u: the size pool alone", SIZE_POOL);
	small_list(b, SIZE_POOL, true);
	size_latency(b, b->size_small, SIZE_POOL);
	b->size_small_n = SIZE_POOL;
	for (i = 0; i < b->nsizes; i++) {
		n = b->sizes[i];
		if (n < b->pipeline_from) {
			step("list of %" PRIu64 " entries", n);
			small_list(b, n, false);
			throughput(b, n, &b->tput[b->ntput++]);
			continue;
		}
		p = &b->pipe[PASSGATE_LAYOUT_COMPACT][b->npipe[PASSGATE_LAYOUT_COMPACT]++];
		p->n = n;
		big_list(b, p, b->files[i]);
		if (!p->done)
			continue;
		throughput(b, n, &p->tput);
		p->tput_done = true;
		b->tput[b->ntput++] = p->tput;
		/* The largest list's p99, on its base alone. */
		if (i == b->nsizes - 1) {
			size_latency(b, b->size_big, n);
			b->size_big_n = n;
		}
		delta_on(b, p);
		if (n == b->latency_list)
			latencies(b, b->files[i]);
		/* Nothing loads this file again: tmpfs is memory. */
		unlink_list(b->files[i]);
		b->files[i][0] = '\0';
	}
	policy_close(b);
}

static void parse_sizes(uint64_t *sizes, unsigned int *n, char *s)
{
	char *tok;

	*n = 0;
	for (tok = strtok(s, ","); tok && *n < MAX_SIZES;
	     tok = strtok(NULL, ","))
		sizes[(*n)++] = strtoull(tok, NULL, 10);
}

static void usage(void)
{
	fprintf(stderr, "usage: passgate_bench --passgated BIN --peer BIN "
		"[--out FILE] [--sizes N,N,...] [--baseline N,N,...] "
		"[--pipeline-from N] [--latency-list N] "
		"[--real-digests-max N] [--scans N] [--tput-seconds S] "
		"[--budget S] [--collector FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "passgated", required_argument, NULL, 'd' },
		{ "peer", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "sizes", required_argument, NULL, 's' },
		{ "baseline", required_argument, NULL, 'B' },
		{ "pipeline-from", required_argument, NULL, 'P' },
		{ "latency-list", required_argument, NULL, 'L' },
		{ "real-digests-max", required_argument, NULL, 'R' },
		{ "scans", required_argument, NULL, 'n' },
		{ "tput-seconds", required_argument, NULL, 't' },
		{ "budget", required_argument, NULL, 'b' },
		{ "collector", required_argument, NULL, 'c' },
		{ 0 },
	};
	static struct bench bench = {
		.sizes = { 1000, 10000, 100000, 1000000, 10000000, 60000000 },
		.nsizes = 6,
		.baseline = { 1000000, 10000000 },
		.nbaseline = 2,
		.pipeline_from = 1000000,
		.latency_list = 1000000,
		.real_max = 10000000,
		.scans = 10000,
		.tput_s = 5,
		.budget_s = 4200,
		/* 60 million entries are a file of 2.9 GB: up to the hard limit. */
		.max_list_bytes = PASSGATE_LIST_LIMIT_BYTES,
	};
	struct bench *b = &bench;
	FILE *out;
	int opt;

	step_start(b);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': b->passgated = optarg; break;
		case 'p': b->peer_bin = optarg; break;
		case 'o': b->out = optarg; break;
		case 's': parse_sizes(b->sizes, &b->nsizes, optarg); break;
		case 'B': parse_sizes(b->baseline, &b->nbaseline, optarg); break;
		case 'P': b->pipeline_from = strtoull(optarg, NULL, 10); break;
		case 'L': b->latency_list = strtoull(optarg, NULL, 10); break;
		case 'R': b->real_max = strtoull(optarg, NULL, 10); break;
		case 'n': b->scans = strtoul(optarg, NULL, 10); break;
		case 't': b->tput_s = strtod(optarg, NULL); break;
		case 'b': b->budget_s = strtod(optarg, NULL); break;
		case 'c': b->collector_file = optarg; break;
		default: usage();
		}
	}
	if (!b->passgated || !b->peer_bin || !b->nsizes)
		usage();
	if (b->collector_file &&
	    collector_read(b->collector_file, &b->collector))
		step("collector: no whole figures in %s", b->collector_file);

	setup(b);
	baseline(b);
	compact(b);
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
	for (unsigned int i = 0; i < b->places; i++)
		if (b->fast[i].wrong || b->slow[i].wrong || b->peer[i].wrong)
			return 1;
	for (unsigned int i = 0; i < b->places; i++)
		if (b->size_small[i].wrong || b->size_big[i].wrong)
			return 1;
	return 0;
}
