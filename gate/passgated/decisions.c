// SPDX-License-Identifier: GPL-2.0-only
/*
 * How long decisions take: every VERDICT event the daemon reads (audit.c
 * reads the whole stream for the journal) goes into a Prometheus
 * histogram of its record's decided_ns - received_ns, fast path and slow
 * path apart, counted since the daemon started.  Buckets from 10 us (the
 * fast path in the kernel) to 2 s (the gate's norm, scan to unlock); 1 s
 * is a bound of its own, where the p99 alert is.
 */
#include <inttypes.h>
#include <string.h>

#include "daemon.h"

static const struct {
	uint64_t ns;
	const char *le;
} decision_bounds[DECISION_BUCKETS] = {
	{ 10000, "1e-05" }, { 25000, "2.5e-05" }, { 50000, "5e-05" },
	{ 100000, "0.0001" }, { 250000, "0.00025" }, { 500000, "0.0005" },
	{ 1000000, "0.001" }, { 2500000, "0.0025" }, { 5000000, "0.005" },
	{ 10000000, "0.01" }, { 25000000, "0.025" }, { 50000000, "0.05" },
	{ 100000000, "0.1" }, { 250000000, "0.25" }, { 500000000, "0.5" },
	{ 1000000000, "1" }, { 2000000000, "2" },
};

static const char *const decision_paths[] = { "slow", "fast" };

void decisions_observe(struct daemon *d, const struct passgate_event *ev)
{
	struct passgate_verdict_record rec;
	struct decision_histogram *h;
	unsigned int i = 0;
	uint64_t ns = 0;

	if (ev->type != PASSGATE_EV_VERDICT)
		return;
	memcpy(&rec, ev->data, sizeof(rec));
	if (rec.decided_ns > rec.received_ns)
		ns = rec.decided_ns - rec.received_ns;
	/* A bucket holds what is at most its bound ("le"). */
	while (i < DECISION_BUCKETS && ns > decision_bounds[i].ns)
		i++;
	h = &d->decided[rec.fast ? 1 : 0];
	h->bucket[i]++;
	h->count++;
	h->sum_ns += ns;
}

void decisions_metrics(const struct daemon *d, FILE *f)
{
	const char *g = d->cfg.gate_name;
	const struct decision_histogram *h;
	uint64_t below;
	unsigned int p, i;

	metrics_family(f, "passgate_decision_duration_seconds", "histogram",
		       "From a scan's frame to its verdict (the VERDICT "
		       "events' records) since passgated started, by the "
		       "path that decided: fast (the policy program) or slow "
		       "(passgated, or the decision timeout).");
	for (p = 0; p < 2; p++) {
		h = &d->decided[p];
		below = 0;
		for (i = 0; i < DECISION_BUCKETS; i++) {
			below += h->bucket[i];
			fprintf(f, "passgate_decision_duration_seconds_bucket{"
				"gate=\"%s\",path=\"%s\",le=\"%s\"} %" PRIu64
				"\n", g, decision_paths[p],
				decision_bounds[i].le, below);
		}
		fprintf(f, "passgate_decision_duration_seconds_bucket{gate="
			"\"%s\",path=\"%s\",le=\"+Inf\"} %" PRIu64 "\n"
			"passgate_decision_duration_seconds_sum{gate=\"%s\","
			"path=\"%s\"} %.9f\n"
			"passgate_decision_duration_seconds_count{gate=\"%s\","
			"path=\"%s\"} %" PRIu64 "\n", g, decision_paths[p],
			h->count, g, decision_paths[p], h->sum_ns * 1e-9, g,
			decision_paths[p], h->count);
	}
}
