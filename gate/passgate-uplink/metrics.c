// SPDX-License-Identifier: GPL-2.0-only
/*
 * Metrics in Prometheus text format, as a node_exporter textfile
 * (metrics_file; written whole, then renamed, so a scrape never sees half
 * a file).  A textfile, not an HTTP endpoint: the gate PC runs
 * node_exporter anyway, and the gate opens no listening port of its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uplink.h"
#include "common/file.h"
#include "gate/core/journal.h"
#include "lib/libpassgate.h"
#include "gate/policy/loader.h"

#define NS 1e-9
#define LATENCY_WINDOW_S 300

/* The gate itself: lanes, verdicts, the list, the latency. */
static void gate_metrics(struct uplink *u, FILE *f)
{
	static struct passgate_policy *policy;
	const char *g = u->cfg.gate_name;
	struct passgate_policy_active active;
	struct passgate_journal_filter window = {
		.flags = PASSGATE_JOURNAL_F_TIME,
	};
	struct passgate_journal_latency lat;
	struct passgate_gate_state gst = { .size = sizeof(gst) };
	uint64_t counters[POLICY_COUNTERS];
	struct passgate_gate *gate;
	unsigned int l, v, r;

	gate = passgate_gate_open(u->cfg.gate, 0);
	if (gate && !passgate_gate_get_state(gate, &gst)) {
		fprintf(f, "# TYPE passgate_fire_alarms_total counter\n"
			"passgate_fire_alarms_total{gate=\"%s\"} %llu\n"
			"# TYPE passgate_events_total counter\n"
			"passgate_events_total{gate=\"%s\"} %llu\n"
			"# TYPE passgate_lane_passages_total counter\n"
			"# TYPE passgate_lane_forced_total counter\n"
			"# TYPE passgate_lane_tailgates_total counter\n",
			g, (unsigned long long)gst.fire_alarms, g,
			(unsigned long long)gst.event_next);
		for (l = 0; l < gst.lanes; l++) {
			struct passgate_lane *lane;
			struct passgate_state st = { .size = sizeof(st) };

			lane = passgate_lane_open(u->cfg.gate, l, 0);
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
	passgate_gate_close(gate);

	if (!policy)
		policy = passgate_policy_adopt(u->cfg.pin_root, u->cfg.gate);
	if (policy && !passgate_policy_counters(policy, counters)) {
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
	if (policy && !passgate_policy_active(policy, &active))
		fprintf(f, "# TYPE passgate_list_generation gauge\n"
			"passgate_list_generation{gate=\"%s\"} %llu\n"
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

	window.from_ns = (int64_t)(time(NULL) - LATENCY_WINDOW_S) * 1000000000;
	window.until_ns = INT64_MAX;
	if (u->journal && !passgate_journal_latency(u->journal, &window, &lat))
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

void metrics_write(struct uplink *u)
{
	static time_t last;
	uint64_t delivered, published, acks, connects, head;
	const char *g = u->cfg.gate_name;
	bool connected;
	time_t now = time(NULL);
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!u->cfg.metrics_file[0] || now == last)
		return;
	last = now;
	pthread_mutex_lock(&u->lock);
	connected = u->connected;
	delivered = u->delivered;
	published = u->published;
	acks = u->acks;
	connects = u->connects;
	head = u->head;
	pthread_mutex_unlock(&u->lock);

	f = open_memstream(&text, &len);
	if (!f) {
		passgate_log("metrics: %s", strerror(errno));
		return;
	}
	fprintf(f,
		"# HELP passgate_broker_connected 1 while the uplink is connected to the broker.\n"
		"# TYPE passgate_broker_connected gauge\n"
		"passgate_broker_connected{gate=\"%s\"} %d\n"
		"# HELP passgate_journal_backlog_rows Journal rows not yet acknowledged by the broker.\n"
		"# TYPE passgate_journal_backlog_rows gauge\n"
		"passgate_journal_backlog_rows{gate=\"%s\"} %" PRIu64 "\n"
		"# HELP passgate_journal_delivered_pos Every journal row up to this position is acknowledged.\n"
		"# TYPE passgate_journal_delivered_pos gauge\n"
		"passgate_journal_delivered_pos{gate=\"%s\"} %" PRIu64 "\n"
		"# TYPE passgate_uplink_published_total counter\n"
		"passgate_uplink_published_total{gate=\"%s\"} %" PRIu64 "\n"
		"# TYPE passgate_uplink_acks_total counter\n"
		"passgate_uplink_acks_total{gate=\"%s\"} %" PRIu64 "\n"
		"# TYPE passgate_uplink_connects_total counter\n"
		"passgate_uplink_connects_total{gate=\"%s\"} %" PRIu64 "\n"
		"# TYPE passgate_lists_spooled_generation gauge\n"
		"passgate_lists_spooled_generation{gate=\"%s\"} %" PRIu64 "\n",
		g, connected, g, head > delivered ? head - delivered : 0, g,
		delivered, g, published, g, acks, g, connects, g,
		u->lists_spooled);
	gate_metrics(u, f);
	/* Whole or not at all: a scraper never reads half a file. */
	if (fclose(f) ||
	    passgate_file_replace(u->cfg.metrics_file, text, len, 0644))
		passgate_log("metrics %s: %s", u->cfg.metrics_file,
			     strerror(errno));
	free(text);
}
