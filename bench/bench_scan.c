// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench: scans on lane 1's bridge (write() on its scanboard node):
 * fast-path throughput, and scan-to-unlock latency from the kernel's own
 * stamps in each VERDICT event (bench/bench.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/passgate.h>

#include "bench.h"
#include "board.h"
#include "gate_fixture.h"

void set_mode(struct bench *b, unsigned int mode)
{
	int ret = lane_set_mode(b->turnstile, mode);

	if (ret)
		die("lane %d mode %u: %s", LANE, mode, strerror(-ret));
}

/* Pin @pid (0: the bench) to @cpu, or let it run anywhere (-1). */

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
void throughput(struct bench *b, uint64_t n, struct tput *t)
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
 * each VERDICT on the gate's event stream: WARMUP + b->scans of them, or,
 * with @pool, the first @pool of the size pool over and over
 * (anti-passback is off).
 * After each ACCEPT the lane is closed and reopened (CLOSED ends the
 * unlock), so the next scan finds it LOCKED and its unlock output is set
 * again.
 */
void latency(struct bench *b, const char *name, bool fast, unsigned int pool,
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
		if (pool)
			pool_token(j % pool, token, sizeof(token));
		else
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
	step("latency, %s: p50 %.1f us, p90 %.1f us, p99 %.1f us, "
	     "p99.9 %.1f us, most %.1f us (%u scans, %u wrong)",
	     name, l->p50, pct_us(unlock, k, 90), l->p99,
	     k ? unlock[(k - 1) * 999 / 1000] / 1000.0 : 0,
	     k ? unlock[k - 1] / 1000.0 : 0, l->n, l->wrong);
	free(unlock);
	free(decide);
}

