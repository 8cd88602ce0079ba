// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gate's metrics in Prometheus text format, as a node_exporter
 * textfile (metrics_file; written whole, then renamed, so a scrape never
 * sees half a file): lanes, fast-path verdicts, the active list and the
 * decision latency.  The daemon writes them because it alone holds what
 * they come from (the nodes, the policy's maps, the journal); the uplink,
 * which holds none of it, writes its own file (uplink_metrics_file).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "common/file.h"
#include "gate/core/journal.h"

#define NS 1e-9
#define LATENCY_WINDOW_S 300
#define METRICS_PERIOD_S 2

static void lane_metrics(struct daemon *d, FILE *f)
{
	const char *g = d->cfg.gate_name;
	struct passgate_gate_state gst = { .size = sizeof(gst) };
	unsigned int l;

	if (passgate_gate_get_state(d->gate, &gst))
		return;
	fprintf(f, "# HELP passgate_fire_alarms_total Fire alarms raised.\n"
		"# TYPE passgate_fire_alarms_total counter\n"
		"passgate_fire_alarms_total{gate=\"%s\"} %llu\n"
		"# HELP passgate_events_total Events in the gate's stream.\n"
		"# TYPE passgate_events_total counter\n"
		"passgate_events_total{gate=\"%s\"} %llu\n"
		"# HELP passgate_lane_passages_total Passages by direction.\n"
		"# TYPE passgate_lane_passages_total counter\n"
		"# HELP passgate_lane_forced_total Forced entries.\n"
		"# TYPE passgate_lane_forced_total counter\n"
		"# HELP passgate_lane_tailgates_total Tailgates.\n"
		"# TYPE passgate_lane_tailgates_total counter\n",
		g, (unsigned long long)gst.fire_alarms, g,
		(unsigned long long)gst.event_next);
	for (l = 0; l < gst.lanes; l++) {
		struct passgate_state st = { .size = sizeof(st) };
		struct passgate_lane *lane;

		/* Read-only: observing is all this needs. */
		lane = passgate_lane_open(d->cfg.gate, l, O_RDONLY);
		if (!lane || passgate_lane_get_state(lane, &st)) {
			passgate_lane_close(lane);
			continue;
		}
		fprintf(f, "passgate_lane_passages_total{gate=\"%s\","
			"lane=\"%u\",direction=\"exit\"} %llu\n"
			"passgate_lane_passages_total{gate=\"%s\","
			"lane=\"%u\",direction=\"entry\"} %llu\n"
			"passgate_lane_forced_total{gate=\"%s\","
			"lane=\"%u\"} %llu\n"
			"passgate_lane_tailgates_total{gate=\"%s\","
			"lane=\"%u\"} %llu\n", g, l,
			(unsigned long long)st.passages[PASSGATE_DIR_EXIT],
			g, l,
			(unsigned long long)st.passages[PASSGATE_DIR_ENTRY],
			g, l, (unsigned long long)st.forced, g, l,
			(unsigned long long)st.tailgates);
		passgate_lane_close(lane);
	}
}

static void policy_metrics(struct daemon *d, FILE *f)
{
	const char *g = d->cfg.gate_name;
	struct passgate_policy_active active;
	uint64_t counters[POLICY_COUNTERS];
	unsigned int v, r;

	if (!passgate_policy_counters(d->policy, counters)) {
		fprintf(f, "# HELP passgate_verdicts_total Fast-path verdicts "
			"by verdict and reason.\n"
			"# TYPE passgate_verdicts_total counter\n");
		for (v = 0; v < 4; v++)
			for (r = 0; r < POLICY_REASONS; r++)
				if (counters[v * POLICY_REASONS + r] &&
				    passgate_reason_name(r))
					fprintf(f, "passgate_verdicts_total{gate="
						"\"%s\",verdict=\"%s\",reason="
						"\"%s\"} %llu\n", g,
						passgate_verdict_name(v),
						passgate_reason_name(r),
						(unsigned long long)
						counters[v * POLICY_REASONS + r]);
	}
	if (!passgate_policy_active(d->policy, &active))
		fprintf(f, "# HELP passgate_list_generation The active list's "
			"generation.\n"
			"# TYPE passgate_list_generation gauge\n"
			"passgate_list_generation{gate=\"%s\"} %llu\n"
			"# HELP passgate_list_entries Entries of the active list.\n"
			"# TYPE passgate_list_entries gauge\n"
			"passgate_list_entries{gate=\"%s\"} %llu\n"
			"# HELP passgate_list_expires_in_seconds Until the "
			"active list expires (degraded mode then).\n"
			"# TYPE passgate_list_expires_in_seconds gauge\n"
			"passgate_list_expires_in_seconds{gate=\"%s\"} %lld\n",
			g, (unsigned long long)active.generation, g,
			(unsigned long long)active.entries, g,
			(long long)active.expires_tai -
			passgate_policy_tai_seconds(time(NULL)));
	if (passgate_policy_active_list(d->policy, PASSGATE_LIST_TICKETS,
					&active))
		return;
	fprintf(f, "# HELP passgate_ticket_list_generation The active ticket "
		"list's generation.\n"
		"# TYPE passgate_ticket_list_generation gauge\n"
		"passgate_ticket_list_generation{gate=\"%s\"} %llu\n"
		"# HELP passgate_ticket_list_entries Tickets in the active "
		"ticket list.\n"
		"# TYPE passgate_ticket_list_entries gauge\n"
		"passgate_ticket_list_entries{gate=\"%s\"} %llu\n"
		"# HELP passgate_ticket_list_expires_in_seconds Until the "
		"active ticket list expires (degraded mode then, with ticket "
		"checking on).\n"
		"# TYPE passgate_ticket_list_expires_in_seconds gauge\n"
		"passgate_ticket_list_expires_in_seconds{gate=\"%s\"} %lld\n",
		g, (unsigned long long)active.generation, g,
		(unsigned long long)active.entries, g,
		(long long)active.expires_tai -
		passgate_policy_tai_seconds(time(NULL)));
}

static void latency_metrics(struct daemon *d, FILE *f)
{
	const char *g = d->cfg.gate_name;
	struct passgate_journal_filter window = {
		.flags = PASSGATE_JOURNAL_F_TIME,
	};
	struct passgate_journal_latency lat;

	window.from_ns = (int64_t)(time(NULL) - LATENCY_WINDOW_S) * 1000000000;
	window.until_ns = INT64_MAX;
	if (!d->journal || passgate_journal_latency(d->journal, &window, &lat))
		return;
	fprintf(f, "# HELP passgate_decision_seconds Scan to verdict, "
		"the last %d s of journaled verdicts.\n"
		"# TYPE passgate_decision_seconds summary\n"
		"passgate_decision_seconds{gate=\"%s\",path=\"fast\","
		"quantile=\"0.5\"} %.9f\n"
		"passgate_decision_seconds{gate=\"%s\",path=\"fast\","
		"quantile=\"0.99\"} %.9f\n"
		"passgate_decision_seconds_count{gate=\"%s\","
		"path=\"fast\"} %llu\n"
		"passgate_decision_seconds{gate=\"%s\",path=\"slow\","
		"quantile=\"0.5\"} %.9f\n"
		"passgate_decision_seconds{gate=\"%s\",path=\"slow\","
		"quantile=\"0.99\"} %.9f\n"
		"passgate_decision_seconds_count{gate=\"%s\","
		"path=\"slow\"} %llu\n", LATENCY_WINDOW_S,
		g, lat.fast_decide.p50_ns * NS, g,
		lat.fast_decide.p99_ns * NS, g,
		(unsigned long long)lat.fast_decide.count,
		g, lat.slow_decide.p50_ns * NS, g,
		lat.slow_decide.p99_ns * NS, g,
		(unsigned long long)lat.slow_decide.count);
}

static void metrics_write(struct daemon *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f) {
		passgate_log_pri(LOG_WARNING, NULL, "metrics: %s",
				 strerror(errno));
		return;
	}
	lane_metrics(d, f);
	policy_metrics(d, f);
	latency_metrics(d, f);
	/* Whole or not at all: a scraper never reads half a file. */
	if (fclose(f) ||
	    passgate_file_replace(d->cfg.metrics_file, text, len, 0644))
		passgate_log_pri(LOG_WARNING, NULL, "metrics %s: %s",
				 d->cfg.metrics_file, strerror(errno));
	free(text);
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
