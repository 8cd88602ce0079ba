// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gate's metrics in Prometheus text format, as a node_exporter
 * textfile (metrics_file; written whole, then renamed, so a scrape never
 * sees half a file): the gate and its lanes (metrics_lanes.c), its
 * readers (readers.c), the fast path's verdicts and the active lists
 * (the policy's maps), decision times (decisions.c) and the journal's
 * health.  The daemon writes them because it alone holds what they come
 * from; the uplink, which holds none of it, writes its own file
 * (uplink_metrics_file).  A file and not a port: docs/operations.md,
 * "Metrics and alerts".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "common/file.h"
#include "common/listfile.h"
#include "common/version.h"

#define METRICS_PERIOD_S 2

void metrics_family(FILE *f, const char *name, const char *type,
		    const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void verdict_metrics(struct daemon *d, FILE *f)
{
	const char *g = d->cfg.gate_name;
	uint64_t counters[POLICY_COUNTERS], n;
	unsigned int v, r;

	if (passgate_policy_counters(d->policy, counters))
		return;
	metrics_family(f, "passgate_verdicts_total", "counter", "The fast "
		       "path's verdicts (the policy program's counters, "
		       "since it was loaded) by verdict and reason; a scan "
		       "it deferred counts as defer.");
	for (v = 0; v < 4; v++)
		for (r = 0; r < POLICY_REASONS; r++) {
			n = counters[v * POLICY_REASONS + r];
			if (!n || !passgate_reason_name(r))
				continue;
			fprintf(f, "passgate_verdicts_total{gate=\"%s\","
				"verdict=\"%s\",reason=\"%s\"} %" PRIu64
				"\n", g, passgate_verdict_name(v),
				passgate_reason_name(r), n);
		}
}

/*
 * The lists the policy holds: generation, entries and expiry of each
 * active one, and whether the policy is degraded by it (it checks the
 * same window on every scan, in CLOCK_TAI seconds).
 */
static void list_metrics(struct daemon *d, FILE *f)
{
	const char *g = d->cfg.gate_name;
	struct passgate_policy_active active[2];
	bool have[2], degraded;
	uint32_t now_tai = passgate_policy_tai_seconds(time(NULL));
	int64_t tai_offset = passgate_policy_tai_seconds(0);
	unsigned int h;

	for (h = PASSGATE_LIST_CODES; h <= PASSGATE_LIST_TICKETS; h++)
		have[h] = !passgate_policy_active_list(d->policy, h,
						       &active[h]);
	metrics_family(f, "passgate_degraded", "gauge", "1 while the policy "
		       "runs degraded for want of this list (none, expired or "
		       "not yet valid): scans get the degraded fallback; "
		       "tickets only with ticket = id-card.");
	for (h = PASSGATE_LIST_CODES; h <= PASSGATE_LIST_TICKETS; h++) {
		if (h == PASSGATE_LIST_TICKETS &&
		    d->cfg.policy.ticket == POLICY_TICKET_OFF)
			continue;
		degraded = !have[h] || now_tai < active[h].not_before_tai ||
			   now_tai >= active[h].expires_tai;
		fprintf(f, "passgate_degraded{gate=\"%s\",list=\"%s\"} %d\n",
			g, passgate_list_holds_name(h), degraded);
	}
	if (!have[PASSGATE_LIST_CODES] && !have[PASSGATE_LIST_TICKETS])
		return;
	metrics_family(f, "passgate_list_generation", "gauge", "The active "
		       "list's generation.");
	for (h = PASSGATE_LIST_CODES; h <= PASSGATE_LIST_TICKETS; h++)
		if (have[h])
			fprintf(f, "passgate_list_generation{gate=\"%s\",list="
				"\"%s\"} %" PRIu64 "\n", g,
				passgate_list_holds_name(h),
				active[h].generation);
	metrics_family(f, "passgate_list_entries", "gauge", "Entries of the "
		       "active list.");
	for (h = PASSGATE_LIST_CODES; h <= PASSGATE_LIST_TICKETS; h++)
		if (have[h])
			fprintf(f, "passgate_list_entries{gate=\"%s\",list="
				"\"%s\"} %" PRIu64 "\n", g,
				passgate_list_holds_name(h), active[h].entries);
	metrics_family(f, "passgate_list_expiry_timestamp_seconds", "gauge",
		       "When the active list expires (Unix time): degraded "
		       "mode from then on.");
	for (h = PASSGATE_LIST_CODES; h <= PASSGATE_LIST_TICKETS; h++)
		if (have[h])
			fprintf(f, "passgate_list_expiry_timestamp_seconds{"
				"gate=\"%s\",list=\"%s\"} %" PRId64 "\n", g,
				passgate_list_holds_name(h),
				(int64_t)active[h].expires_tai - tai_offset);
}

static void journal_metrics(struct daemon *d, FILE *f)
{
	const char *g = d->cfg.gate_name;

	metrics_family(f, "passgate_journal_events_total", "counter",
		       "Events journaled since passgated started.");
	fprintf(f, "passgate_journal_events_total{gate=\"%s\"} %" PRIu64 "\n",
		g, d->journaled);
	metrics_family(f, "passgate_journal_failures_total", "counter",
		       "Journal writes that failed since passgated started; "
		       "the first stops journaling until it restarts (the "
		       "gate decides on).");
	fprintf(f, "passgate_journal_failures_total{gate=\"%s\"} %" PRIu64
		"\n", g, d->journal_failures);
	if (!d->journal_commit_ns)
		return;
	metrics_family(f, "passgate_journal_last_commit_timestamp_seconds",
		       "gauge", "When the journal last committed events (Unix "
		       "time; at start, its newest row's).");
	fprintf(f, "passgate_journal_last_commit_timestamp_seconds{gate="
		"\"%s\"} %.3f\n", g, d->journal_commit_ns * 1e-9);
}

static void metrics_write(struct daemon *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret, e;

	f = open_memstream(&text, &len);
	if (!f) {
		passgate_log_pri(LOG_WARNING, NULL, "metrics: %s",
				 strerror(errno));
		return;
	}
	metrics_family(f, "passgate_build_info", "gauge", "passgated's "
		       "version, as its label.");
	fprintf(f, "passgate_build_info{gate=\"%s\",version=\"%s\"} 1\n",
		d->cfg.gate_name, PASSGATE_VERSION);
	metrics_lanes(d, f);
	readers_metrics(d, f);
	verdict_metrics(d, f);
	decisions_metrics(d, f);
	list_metrics(d, f);
	journal_metrics(d, f);
	/* Whole or not at all: a scraper never reads half a file. */
	ret = fclose(f);
	if (!ret)
		ret = passgate_file_replace(d->cfg.metrics_file, text, len,
					    0644);
	e = errno;
	free(text);
	/* Said once, not every period; and once more when it works again. */
	if (ret && !d->metrics_failing)
		passgate_log_pri(LOG_WARNING, NULL, "metrics %s: %s",
				 d->cfg.metrics_file, strerror(e));
	else if (!ret && d->metrics_failing)
		passgate_log("metrics %s written again", d->cfg.metrics_file);
	d->metrics_failing = ret != 0;
}

int metrics_open(struct daemon *d)
{
	/* Always armed: a reload may name a file where there was none. */
	d->metrics_fd = passgate_loop_timer(&d->loop,
					    METRICS_PERIOD_S * 1000000ULL,
					    SOURCE_METRICS);
	if (d->metrics_fd < 0) {
		passgate_log_pri(LOG_ERR, NULL, "metrics: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void metrics_handle(struct daemon *d)
{
	uint64_t ticks;

	if (read(d->metrics_fd, &ticks, sizeof(ticks)) == sizeof(ticks) &&
	    d->cfg.metrics_file[0])
		metrics_write(d);
}

void metrics_close(struct daemon *d)
{
	if (d->metrics_fd >= 0)
		close(d->metrics_fd);
}
