// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench: the tables, every figure from this run (bench/bench.h).
 * First the goals of docs/list-layout.md, each a ratio against its
 * baseline measured in the same run, met or missed by how much; then
 * every measurement.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

/* The list size most goals are stated for. */
#define TEN_M 10000000

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

/* The largest list measured in @layout. */
static const struct pipeline *largest(const struct bench *b,
				      enum passgate_policy_layout layout)
{
	const struct pipeline *best = NULL;

	for (unsigned int i = 0; i < b->npipe[layout]; i++)
		if (b->pipe[layout][i].done &&
		    (!best || b->pipe[layout][i].n > best->n))
			best = &b->pipe[layout][i];
	return best;
}

/* Kernel memory charged per entry (the size pool counts). */
static double per_entry(const struct pipeline *p)
{
	return p->mem.ok ? p->mem.kernel / (p->n + SIZE_POOL) : NAN;
}

/*
 * The verdict on one goal: "**met**", or "**missed**" and by how much,
 * for a figure that must stay at most (@most) or at least @goal.
 */
static const char *judge(double v, double goal, bool most, const char *unit,
			 char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "**not measured**");
	else if (most ? v <= goal : v >= goal)
		snprintf(buf, len, "**met**");
	else if (most)
		snprintf(buf, len, "**missed** by %.2f%s (%.0f%% over)",
			 v - goal, unit, 100 * (v - goal) / goal);
	else
		snprintf(buf, len, "**missed** by %.2f%s (%.0f%% short)",
			 goal - v, unit, 100 * (goal - v) / goal);
	return buf;
}

#define WHY "[why](list-layout.md#what-the-bench-measures)"

static void goal_memory(const struct bench *b, FILE *f)
{
	const struct pipeline *h = measured(b, PASSGATE_LAYOUT_HASH, TEN_M);
	const struct pipeline *c10 = measured(b, PASSGATE_LAYOUT_COMPACT, TEN_M);
	const struct pipeline *cl = largest(b, PASSGATE_LAYOUT_COMPACT);
	double worst = NAN;
	char x[64], y[16], z[16];

	if (c10)
		worst = per_entry(c10);
	if (cl && (isnan(worst) || per_entry(cl) > worst))
		worst = per_entry(cl);
	fprintf(f, "| kernel memory per entry (cgroup charge) | hash, 10M: %s B | ",
		h ? (snprintf(z, sizeof(z), "%.1f", per_entry(h)), z) : "n/a");
	if (c10)
		fprintf(f, "10M: %.1f B", per_entry(c10));
	if (cl && cl != c10)
		fprintf(f, "%s%s: %.1f B (%.2f GB in all)", c10 ? "; " : "",
			big(cl->n, y, sizeof(y)), per_entry(cl),
			cl->mem.kernel / 1e9);
	fprintf(f, " | ≤ 32 B | %s%s |\n",
		judge(worst, 32, true, " B", x, sizeof(x)),
		cl && cl->n < 60000000 ? "; 60M not measured (see the results)" : "");
}

static void goal_load(const struct bench *b, FILE *f)
{
	const struct pipeline *h = measured(b, PASSGATE_LAYOUT_HASH, TEN_M);
	const struct pipeline *c = measured(b, PASSGATE_LAYOUT_COMPACT, TEN_M);
	const struct pipeline *cl = largest(b, PASSGATE_LAYOUT_COMPACT);
	double r = c ? c->load_s / c->verify_s : NAN;
	char x[64], y[16];

	fprintf(f, "| load + swap ÷ verify of the same file | hash, 10M: ");
	if (h)
		fprintf(f, "%.2f× (%.2f s ÷ %.2f s)", h->load_s / h->verify_s,
			h->load_s, h->verify_s);
	else
		fprintf(f, "n/a");
	fprintf(f, " | 10M: ");
	if (c)
		fprintf(f, "%.2f× (%.2f s ÷ %.2f s)", r, c->load_s,
			c->verify_s);
	if (cl && cl != c) {
		fprintf(f, "; %s: %.2f× (%.2f s ÷ %.2f s)",
			big(cl->n, y, sizeof(y)), cl->load_s / cl->verify_s,
			cl->load_s, cl->verify_s);
		if (isnan(r) || cl->load_s / cl->verify_s > r)
			r = cl->load_s / cl->verify_s;
	}
	fprintf(f, " | ≤ 1.5× | %s |\n", judge(r, 1.5, true, "×", x, sizeof(x)));
}

static void goal_delta(const struct bench *b, FILE *f)
{
	const struct pipeline *p;
	double lo = NAN, hi = NAN, at10 = NAN;
	char x[64], y[16];
	unsigned int i;
	bool first = true;

	fprintf(f, "| delta of %s entries on a list of 10M, load + swap | hash: ",
		grouped(DELTA_ENTRIES, y, sizeof(y)));
	for (i = 0; i < b->npipe[PASSGATE_LAYOUT_HASH]; i++) {
		p = &b->pipe[PASSGATE_LAYOUT_HASH][i];
		if (!p->done || !p->delta_n)
			continue;
		fprintf(f, "%s%s: %.2f s", first ? "" : "; ",
			big(p->n, y, sizeof(y)), p->delta_s);
		first = false;
	}
	fprintf(f, " | ");
	first = true;
	for (i = 0; i < b->npipe[PASSGATE_LAYOUT_COMPACT]; i++) {
		p = &b->pipe[PASSGATE_LAYOUT_COMPACT][i];
		if (!p->done || !p->delta_n)
			continue;
		fprintf(f, "%s%s: %.1f ms", first ? "" : "; ",
			big(p->n, y, sizeof(y)), p->delta_s * 1e3);
		first = false;
		if (p->n == TEN_M)
			at10 = p->delta_s;
		if (isnan(lo) || p->delta_s < lo)
			lo = p->delta_s;
		if (isnan(hi) || p->delta_s > hi)
			hi = p->delta_s;
	}
	if (!isnan(hi))
		fprintf(f, "; largest list's ÷ smallest's %.2f×",
			hi / lo);
	/* Within 100 ms on every size: independent of it, as bounded. */
	fprintf(f, " | ≤ 100 ms, on every size | 10M: %s; every size: %s |\n",
		judge(at10 * 1e3, 100, true, " ms", x, sizeof(x)),
		judge(hi * 1e3, 100, true, " ms", (char[64]){ 0 }, 64));
}

static void goal_tput(const struct bench *b, FILE *f)
{
	const struct pipeline *h = measured(b, PASSGATE_LAYOUT_HASH, TEN_M);
	const struct pipeline *c = measured(b, PASSGATE_LAYOUT_COMPACT, TEN_M);
	double r = h && c && h->tput_done && c->tput_done ?
		   c->tput.rate / h->tput.rate : NAN;
	char x[64], y[32], z[32];

	fprintf(f, "| fast-path throughput, list of 10M, compact ÷ hash | hash: %s scans/s | %s scans/s: %.2f× | ≥ 0.9× | %s |\n",
		h ? grouped(h->tput.rate + 0.5, y, sizeof(y)) : "n/a",
		c ? grouped(c->tput.rate + 0.5, z, sizeof(z)) : "n/a", r,
		judge(r, 0.9, false, "×", x, sizeof(x)));
}

/*
 * With passgated on the other CPU where there is one: what differs is
 * the lookup in a list of that size, not how often the daemon's own
 * work on the bench's CPU lands in a scan (the results show both).
 */
static void goal_size(const struct bench *b, FILE *f)
{
	unsigned int at = b->places > 1;
	const struct latency *s = &b->size_small[at], *l = &b->size_big[at];
	double r = s->done && l->done ? l->p99 / s->p99 : NAN;
	char x[64], y[16], z[16];

	fprintf(f, "| fast-path p99 scan-to-unlock, largest list ÷ list of %s (passgated on %s CPU) | %s: p99 %.1f µs | %s: p99 %.1f µs: %.2f× | ≤ 1.5× | %s%s |\n",
		big(b->size_small_n, y, sizeof(y)), at ? "the other" : "the same",
		y, s->p99, big(b->size_big_n, z, sizeof(z)), l->p99, r,
		judge(r, 1.5, true, "×", x, sizeof(x)),
		b->size_big_n && b->size_big_n < 60000000 ?
		"; largest list below 60M" : "");
}

static void goal_slow(const struct bench *b, FILE *f)
{
	const struct latency *fa = &b->fast[0], *sl = &b->slow[0];
	double r50 = fa->done && sl->done ? sl->p50 / fa->p50 : NAN;
	double r99 = fa->done && sl->done ? sl->p99 / fa->p99 : NAN;
	char x[64], y[64];

	fprintf(f, "| slow ÷ fast, p50 and p99, journal on | — | p50 %.1f× (%.1f ÷ %.1f µs) · p99 %.1f× (%.1f ÷ %.1f µs) | ≥ 20× at both | p50 %s, p99 %s |\n",
		r50, sl->p50, fa->p50, r99, sl->p99, fa->p99,
		judge(r50, 20, false, "×", x, sizeof(x)),
		judge(r99, 20, false, "×", y, sizeof(y)));
}

static void goal_collector(const struct bench *b, FILE *f)
{
	static const char *const how[] = { "plain TCP", "TLS" };
	const struct collector *c = &b->collector;
	double r[2], low;
	char x[64], y[32], z[32];
	unsigned int t;

	if (!c->done) {
		fprintf(f, "| collector rows/s into PostgreSQL, batched ÷ one INSERT per row | not measured | not measured | ≥ 10×, exactly once | **not measured** |\n");
		return;
	}
	for (t = 0; t < 2; t++)
		r[t] = c->batched[t] / c->per_row[t];
	low = r[0] < r[1] ? r[0] : r[1];
	fprintf(f, "| collector rows/s into PostgreSQL, batched ÷ one INSERT per row (the lower of plain TCP and TLS) | ");
	for (t = 0; t < 2; t++)
		fprintf(f, "%s%s: %s /s", t ? "; " : "", how[t],
			grouped(c->per_row[t] + 0.5, y, sizeof(y)));
	fprintf(f, " | ");
	for (t = 0; t < 2; t++)
		fprintf(f, "%s%s: %s /s, %.1f×", t ? "; " : "", how[t],
			grouped(c->batched[t] + 0.5, z, sizeof(z)), r[t]);
	fprintf(f, " | ≥ 10×, exactly once | %s; %s rows a run, %s |\n",
		judge(low, 10, false, "×", x, sizeof(x)),
		grouped(c->rows[1], y, sizeof(y)),
		c->exactly_once ? "each stored exactly once" :
		"**NOT exactly once**");
}

static void goals(const struct bench *b, FILE *f)
{
	fprintf(f, "## Goals\n\nEach goal of docs/list-layout.md against its baseline, measured in this run; " WHY " each is where it is.\n\n");
	fprintf(f, "| goal | baseline (same run) | passgate | goal | verdict |\n");
	fprintf(f, "|---|---|---|---|---|\n");
	goal_memory(b, f);
	goal_load(b, f);
	goal_delta(b, f);
	goal_tput(b, f);
	goal_size(b, f);
	goal_slow(b, f);
	goal_collector(b, f);
	fprintf(f, "\n## Results\n\n");
}

static void latency_rows(const struct bench *b, FILE *f)
{
	const struct latency *fa = b->fast, *sl = b->slow, *pe = b->peer;
	char o[3][96] = { "", "", "" }, x[32], y[32];
	unsigned int i, k;

	if (!fa[0].done || !sl[0].done || !pe[0].done)
		return;
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
	for (k = 0; k < 2; k++) {
		const struct latency *o2 = k ? pe : sl;

		fprintf(f, "| 1 | %s ÷ fast | p50 %.1f× · p99 %.1f×",
			k ? "peer" : "slow path", o2[0].p50 / fa[0].p50,
			o2[0].p99 / fa[0].p99);
		if (b->places > 1)
			fprintf(f, " | with the reader on the other CPU p50 %.1f× · p99 %.1f× |\n",
				o2[1].p50 / fa[1].p50, o2[1].p99 / fa[1].p99);
		else
			fprintf(f, " | |\n");
	}
	for (i = 0; i < 2; i++) {
		const struct latency *l = i ? b->size_big : b->size_small;
		uint64_t n = i ? b->size_big_n : b->size_small_n;

		if (!l[0].done)
			continue;
		fprintf(f, "| 1 | scan-to-unlock, fast path, list of %s | p50 %.1f µs · p99 %.1f µs | %s scans of %d credentials on the list, each scanned again and again; passgated on the same CPU",
			big(n, x, sizeof(x)), l[0].p50, l[0].p99,
			grouped(l[0].n, y, sizeof(y)), SIZE_POOL);
		if (l[1].done)
			fprintf(f, "; on the other CPU: p50 %.1f µs · p99 %.1f µs",
				l[1].p50, l[1].p99);
		fprintf(f, " |\n");
	}
	for (i = 0; i < b->places; i++)
		if (fa[i].wrong || sl[i].wrong || pe[i].wrong)
			fprintf(f, "| 1 | wrong verdicts (%s CPU) | fast %u · slow %u · peer %u | every latency scan must be an ACCEPT |\n",
				i ? "other" : "same", fa[i].wrong, sl[i].wrong,
				pe[i].wrong);
	for (i = 0; i < b->places; i++)
		if (b->size_small[i].wrong || b->size_big[i].wrong)
			fprintf(f, "| 1 | wrong verdicts (list sizes, %s CPU) | %u · %u | every latency scan must be an ACCEPT |\n",
				i ? "other" : "same", b->size_small[i].wrong,
				b->size_big[i].wrong);
}

static void tput_rows(const struct bench *b, FILE *f)
{
	char cmp[64], x[32], y[32], z[32], w[32];
	unsigned int i;

	for (i = 0; i < b->ntput; i++) {
		const struct tput *t = &b->tput[i];

		snprintf(cmp, sizeof(cmp), "1 CPU, write() of 4 frames: digest + policy + verdict");
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
}

static void pipeline_rows(const struct bench *b, FILE *f,
			  enum passgate_policy_layout layout)
{
	const char *name = layout == PASSGATE_LAYOUT_HASH ? "hash" : "compact";
	char x[32], y[32];
	unsigned int i;

	for (i = 0; i < b->npipe[layout]; i++) {
		const struct pipeline *p = &b->pipe[layout][i];
		const char *n = big(p->n, y, sizeof(y));

		if (!p->done) {
			fprintf(f, "| 3 | %s, list of %s | not measured | %s |\n",
				name, n, p->skipped);
			continue;
		}
		if (layout == PASSGATE_LAYOUT_COMPACT ||
		    !measured(b, !layout, p->n)) {
			if (p->real_digests)
				fprintf(f, "| 3 | %s: digest the credentials (SHA-256) | %.2f s · %s | userspace, libsodium; not part of the steps below |\n",
					n, p->digest_s, rate(p->n / p->digest_s, x, sizeof(x)));
			fprintf(f, "| 3 | %s: issue + sign | %.2f s · %s | sort, check, write, fsync, sign (BLAKE2b-512 + Ed25519); %.0f MB |\n",
				n, p->issue_s, rate(p->n / p->issue_s, x, sizeof(x)),
				p->file_bytes / 1e6);
		}
		fprintf(f, "| 3 | %s, %s: verify | %.2f s · %s | %.2f× `b2sum` (%.2f s), %.2f× `sha256sum` (%.2f s) of the same file |\n",
			name, n, p->verify_s, rate(p->n / p->verify_s, x, sizeof(x)),
			p->verify_s / p->b2_s, p->b2_s,
			p->verify_s / p->sha_s, p->sha_s);
		fprintf(f, "| 3 | %s, %s: load + swap | %.2f s · %s | %.2f× the verification; %s |\n",
			name, n, p->load_s, rate(p->n / p->load_s, x, sizeof(x)),
			p->load_s / p->verify_s,
			layout == PASSGATE_LAYOUT_HASH ?
			"read and hash again, batch insert into a new hash map, swap" :
			"read and hash again on one CPU while the other builds the array through mmap(), freeze, swap");
		fprintf(f, "| 3 | %s, %s: kernel memory per entry | charged %s B · memlock %.1f B | ",
			name, n,
			p->mem.ok ? (snprintf(x, sizeof(x), "%.1f", per_entry(p)), x) : "n/a",
			(double)p->memlock / (p->n + SIZE_POOL));
		if (p->mem.ok)
			fprintf(f, "slab %.1f B + vmalloc %.1f B; the map's own max_entries %s |\n",
				p->mem.slab / (p->n + SIZE_POOL),
				p->mem.vmalloc / (p->n + SIZE_POOL),
				grouped(p->max_entries, x, sizeof(x)));
		else
			fprintf(f, "no memory cgroup |\n");
		if (p->delta_n)
			fprintf(f, "| 3 | %s, %s: delta of %s entries | load + swap %.1f ms · verify %.1f ms | %s |\n",
				name, n, grouped(p->delta_n, x, sizeof(x)),
				p->delta_s * 1e3, p->delta_verify_s * 1e3,
				layout == PASSGATE_LAYOUT_HASH ?
				"copy of the active map, apply, swap" :
				"the overlay rebuilt with the delta, swap; the base untouched");
	}
}

void report(struct bench *b, FILE *f)
{
	char x[32], y[32];

	goals(b, f);
	fprintf(f, "| # | measurement | result | note |\n");
	fprintf(f, "|---|---|---|---|\n");
	latency_rows(b, f);
	tput_rows(b, f);
	pipeline_rows(b, f, PASSGATE_LAYOUT_HASH);
	pipeline_rows(b, f, PASSGATE_LAYOUT_COMPACT);
	if (b->delta_n)
		fprintf(f, "| 3 | compact, delta of the %s latency credentials on the list of %s | %.1f ms | load + swap, after the delta above |\n",
			grouped(b->delta_n, x, sizeof(x)),
			big(b->latency_list, y, sizeof(y)), b->delta_s * 1e3);
	if (b->peer_rows)
		fprintf(f, "| 3 | peer: the same lists into SQLite | %.2f s · %s | verify + import, %s rows |\n",
			b->peer_import_s, rate(b->peer_rows / b->peer_import_s, x, sizeof(x)),
			grouped(b->peer_rows, y, sizeof(y)));
}

void notes(struct bench *b, FILE *f)
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
	fprintf(f, "Every big list also holds the %d credentials of the "
		"size pool.  Maps that a swap replaces are kept until the "
		"measurement that follows is over (the kernel frees them in a "
		"background worker).  `b2sum` and `sha256sum` times are net of "
		"starting the tool (%.3f s and %.3f s: the least of 5 runs on "
		"an empty file).\n", SIZE_POOL, b->b2_start_s, b->sha_start_s);
	if (b->htab_elem > 0)
		fprintf(f, "\nFrom the running kernel's BTF: struct htab_elem "
			"%ld B, struct bucket %ld B.\n", b->htab_elem,
			b->bucket);
	if (!b->memcg)
		fprintf(f, "\nNo memory cgroup: kernel memory not measured.\n");
}
