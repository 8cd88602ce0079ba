// SPDX-License-Identifier: GPL-2.0-only
/*
 * The uplink's metrics in Prometheus text format, as a node_exporter
 * textfile (uplink_metrics_file; written whole, then renamed, so a scrape
 * never sees half a file).  A textfile, not an HTTP endpoint: the gate PC
 * runs node_exporter anyway, and the gate opens no listening port of its
 * own.  The gate's own metrics (lanes, verdicts, list, latency) come from
 * passgated, which holds what they are made of; the uplink holds none of
 * it (docs/operations.md, "Privileges").
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


void metrics_write(struct uplink *u)
{
	static time_t last;
	uint64_t delivered, published, batches, confirmed, resends, stalls;
	uint64_t connects, head, forged;
	const char *g = u->cfg.gate_name;
	bool connected;
	time_t now = time(NULL);
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!u->cfg.uplink_metrics_file[0] || now == last)
		return;
	last = now;
	pthread_mutex_lock(&u->lock);
	connected = u->connected;
	delivered = u->delivered;
	published = u->published;
	batches = u->batches;
	confirmed = u->confirmed;
	resends = u->resends;
	stalls = u->stalls;
	forged = u->forged;
	connects = u->connects;
	head = u->head;
	pthread_mutex_unlock(&u->lock);

	f = open_memstream(&text, &len);
	if (!f) {
		passgate_log_pri(LOG_WARNING, NULL, "metrics: %s",
				 strerror(errno));
		return;
	}
	fprintf(f,
		"# HELP passgate_broker_connected 1 while the uplink is connected to the broker.\n"
		"# TYPE passgate_broker_connected gauge\n"
		"passgate_broker_connected{gate=\"%s\"} %d\n"
		"# HELP passgate_journal_backlog_rows Journal rows the collector has not yet confirmed.\n"
		"# TYPE passgate_journal_backlog_rows gauge\n"
		"passgate_journal_backlog_rows{gate=\"%s\"} %" PRIu64 "\n"
		"# HELP passgate_journal_delivered_pos The collector has verified and stored every journal row up to this position.\n"
		"# TYPE passgate_journal_delivered_pos gauge\n"
		"passgate_journal_delivered_pos{gate=\"%s\"} %" PRIu64 "\n"
		"# HELP passgate_uplink_published_total Journal rows published, resent ones included.\n"
		"# TYPE passgate_uplink_published_total counter\n"
		"passgate_uplink_published_total{gate=\"%s\"} %" PRIu64 "\n"
		"# HELP passgate_uplink_batches_total Sealed batches published.\n"
		"# TYPE passgate_uplink_batches_total counter\n"
		"passgate_uplink_batches_total{gate=\"%s\"} %" PRIu64 "\n"
		"# HELP passgate_uplink_confirmed_total Confirmations from the collector that moved the delivered mark.\n"
		"# TYPE passgate_uplink_confirmed_total counter\n"
		"passgate_uplink_confirmed_total{gate=\"%s\"} %" PRIu64 "\n"
		"# HELP passgate_uplink_resends_total Resend requests from the collector.\n"
		"# TYPE passgate_uplink_resends_total counter\n"
		"passgate_uplink_resends_total{gate=\"%s\"} %" PRIu64 "\n"
		"# HELP passgate_uplink_stalls_total Times nothing was confirmed for 5 s and the uplink published again.\n"
		"# TYPE passgate_uplink_stalls_total counter\n"
		"passgate_uplink_stalls_total{gate=\"%s\"} %" PRIu64 "\n"
		"# HELP passgate_uplink_forged_reports_total Confirmations and resend requests not signed by the collector's key, ignored.\n"
		"# TYPE passgate_uplink_forged_reports_total counter\n"
		"passgate_uplink_forged_reports_total{gate=\"%s\"} %" PRIu64 "\n"
		"# HELP passgate_uplink_connects_total Connections to the broker.\n"
		"# TYPE passgate_uplink_connects_total counter\n"
		"passgate_uplink_connects_total{gate=\"%s\"} %" PRIu64 "\n"
		"# HELP passgate_lists_spooled_generation The newest list generation put in the spool (a hint, not what the gate has).\n"
		"# TYPE passgate_lists_spooled_generation gauge\n"
		"passgate_lists_spooled_generation{gate=\"%s\"} %" PRIu64 "\n",
		g, connected, g, head > delivered ? head - delivered : 0, g,
		delivered, g, published, g, batches, g, confirmed, g, resends,
		g, stalls, g, forged, g, connects, g,
		u->lists_spooled);
	/* Whole or not at all: a scraper never reads half a file. */
	if (fclose(f) ||
	    passgate_file_replace(u->cfg.uplink_metrics_file, text, len, 0644))
		passgate_log_pri(LOG_WARNING, NULL, "metrics %s: %s",
				 u->cfg.uplink_metrics_file, strerror(errno));
	free(text);
}
