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
	uint64_t delivered, published, acks, connects, head;
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
	/* Whole or not at all: a scraper never reads half a file. */
	if (fclose(f) ||
	    passgate_file_replace(u->cfg.uplink_metrics_file, text, len, 0644))
		passgate_log("metrics %s: %s", u->cfg.uplink_metrics_file,
			     strerror(errno));
	free(text);
}
