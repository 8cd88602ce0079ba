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

enum uplink_metric {
	UPLINK_CONNECTED,
	UPLINK_BACKLOG,
	UPLINK_DELIVERED,
	UPLINK_PUBLISHED,
	UPLINK_BATCHES,
	UPLINK_CONFIRMED,
	UPLINK_RESENDS,
	UPLINK_STALLS,
	UPLINK_FORGED,
	UPLINK_CONNECTS,
	UPLINK_SPOOLED,
	UPLINK_METRICS
};

static const struct {
	const char *name, *type, *help;
} uplink_metrics[UPLINK_METRICS] = {
	[UPLINK_CONNECTED] = { "passgate_broker_connected", "gauge",
		"1 while the uplink is connected to the broker." },
	[UPLINK_BACKLOG] = { "passgate_journal_backlog_rows", "gauge",
		"Journal rows the collector has not yet confirmed." },
	[UPLINK_DELIVERED] = { "passgate_journal_delivered_position", "gauge",
		"The delivered mark: the collector has verified and stored "
		"every journal row up to this position (a row number)." },
	[UPLINK_PUBLISHED] = { "passgate_uplink_published_rows_total",
		"counter", "Journal rows published, resent ones included." },
	[UPLINK_BATCHES] = { "passgate_uplink_batches_total", "counter",
		"Sealed batches published." },
	[UPLINK_CONFIRMED] = { "passgate_uplink_confirmations_total",
		"counter", "Confirmations from the collector that moved the "
		"delivered mark." },
	[UPLINK_RESENDS] = { "passgate_uplink_resend_requests_total",
		"counter", "Resend requests from the collector." },
	[UPLINK_STALLS] = { "passgate_uplink_stalls_total", "counter",
		"Times nothing was confirmed for 5 s and the uplink published "
		"again." },
	[UPLINK_FORGED] = { "passgate_uplink_forged_reports_total", "counter",
		"Confirmations and resend requests not signed by the "
		"collector's key, ignored." },
	[UPLINK_CONNECTS] = { "passgate_uplink_connections_total", "counter",
		"Connections to the broker." },
	[UPLINK_SPOOLED] = { "passgate_lists_spooled_generation", "gauge",
		"The newest list generation put in the spool (a hint, not what "
		"the gate has)." },
};

void metrics_write(struct uplink *u)
{
	static time_t last;
	const char *g = u->cfg.gate_name;
	uint64_t value[UPLINK_METRICS];
	time_t now = time(NULL);
	int64_t delivered_ns;
	char *text = NULL;
	size_t len = 0;
	unsigned int i;
	FILE *f;
	int ret, e;

	if (!u->cfg.uplink_metrics_file[0] || now == last)
		return;
	last = now;
	pthread_mutex_lock(&u->lock);
	value[UPLINK_CONNECTED] = u->connected;
	value[UPLINK_BACKLOG] = u->head > u->delivered ?
				u->head - u->delivered : 0;
	value[UPLINK_DELIVERED] = u->delivered;
	value[UPLINK_PUBLISHED] = u->published;
	value[UPLINK_BATCHES] = u->batches;
	value[UPLINK_CONFIRMED] = u->confirmed;
	value[UPLINK_RESENDS] = u->resends;
	value[UPLINK_STALLS] = u->stalls;
	value[UPLINK_FORGED] = u->forged;
	value[UPLINK_CONNECTS] = u->connects;
	value[UPLINK_SPOOLED] = u->lists_spooled;
	delivered_ns = u->delivered_ns;
	pthread_mutex_unlock(&u->lock);

	f = open_memstream(&text, &len);
	if (!f) {
		passgate_log_pri(LOG_WARNING, NULL, "metrics: %s",
				 strerror(errno));
		return;
	}
	for (i = 0; i < UPLINK_METRICS; i++)
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s{gate=\"%s\"} %"
			PRIu64 "\n", uplink_metrics[i].name,
			uplink_metrics[i].help, uplink_metrics[i].name,
			uplink_metrics[i].type, uplink_metrics[i].name, g,
			value[i]);
	/* Known once the journal is open (the mark is read with it). */
	if (delivered_ns)
		fprintf(f, "# HELP passgate_journal_delivered_timestamp_seconds"
			" When the delivered mark last moved on (Unix time; at "
			"start, when the mark was saved).\n"
			"# TYPE passgate_journal_delivered_timestamp_seconds "
			"gauge\n"
			"passgate_journal_delivered_timestamp_seconds{gate="
			"\"%s\"} %.3f\n", g, delivered_ns * 1e-9);
	/* Whole or not at all: a scraper never reads half a file. */
	ret = fclose(f);
	if (!ret)
		ret = passgate_file_replace(u->cfg.uplink_metrics_file, text,
					    len, 0644);
	e = errno;
	free(text);
	/* Said once, not every second; and once more when it works again. */
	if (ret && !u->metrics_failing)
		passgate_log_pri(LOG_WARNING, NULL, "metrics %s: %s",
				 u->cfg.uplink_metrics_file, strerror(e));
	else if (!ret && u->metrics_failing)
		passgate_log("metrics %s written again",
			     u->cfg.uplink_metrics_file);
	u->metrics_failing = ret != 0;
}
