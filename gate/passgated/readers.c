// SPDX-License-Identifier: GPL-2.0-only
/*
 * Whether each reader of a lane (scanner board, ID-card SAM module, QR
 * engine) is heard: the kernel says so only by SCANNER_OFFLINE and
 * SCANNER_ONLINE events, so a reader is known here once it has had one.
 * At start the journal's current stream gives each reader's last word
 * (the daemon goes on from the event after the last one journaled);
 * a new stream is a gate bound afresh, whose readers start out heard.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "daemon.h"
#include "gate/core/journal.h"

/* At most this many of the newest such rows are read at start. */
#define READERS_RESTORE_ROWS 4096

static struct daemon_reader *reader_lookup(struct daemon *d, uint32_t lane,
					   uint32_t kind, bool add)
{
	struct daemon_reader *r;
	unsigned int i;

	for (i = 0; i < d->readers; i++)
		if (d->reader[i].lane == lane && d->reader[i].kind == kind)
			return &d->reader[i];
	if (!add || d->readers == DAEMON_MAX_READERS)
		return NULL;
	r = &d->reader[d->readers++];
	*r = (struct daemon_reader){ .lane = lane, .kind = kind };
	return r;
}

void readers_restore(struct daemon *d)
{
	struct passgate_journal_filter f = {
		.flags = PASSGATE_JOURNAL_F_SEQ | PASSGATE_JOURNAL_F_TYPES |
			 PASSGATE_JOURNAL_F_NEWEST_FIRST,
		.last_seq = INT64_MAX,
		.types = 1ull << PASSGATE_EV_SCANNER_OFFLINE |
			 1ull << PASSGATE_EV_SCANNER_ONLINE,
		.limit = READERS_RESTORE_ROWS,
	};
	struct passgate_journal_cursor *c;
	struct passgate_journal_row row;
	struct daemon_reader *r;
	int ret;

	f.stream = passgate_journal_stream(d->journal);
	c = passgate_journal_query(d->journal, &f);
	if (!c) {
		passgate_log_pri(LOG_WARNING, NULL, "readers' state from the "
				 "journal: %s",
				 passgate_journal_errmsg(d->journal));
		return;
	}
	/* Newest first: a reader's first row is its last word. */
	while ((ret = passgate_journal_cursor_next(c, &row)) == 1) {
		if (reader_lookup(d, row.event.lane, row.event.arg, false))
			continue;
		r = reader_lookup(d, row.event.lane, row.event.arg, true);
		if (r)
			r->offline = row.event.type ==
				     PASSGATE_EV_SCANNER_OFFLINE;
	}
	if (ret < 0)
		passgate_log_pri(LOG_WARNING, NULL, "readers' state from the "
				 "journal: %s",
				 passgate_journal_errmsg(d->journal));
	passgate_journal_cursor_close(c);
}

void readers_observe(struct daemon *d, const struct passgate_event *ev)
{
	struct daemon_reader *r;

	if (ev->type != PASSGATE_EV_SCANNER_OFFLINE &&
	    ev->type != PASSGATE_EV_SCANNER_ONLINE)
		return;
	r = reader_lookup(d, ev->lane, ev->arg, true);
	if (!r)
		return;
	r->offline = ev->type == PASSGATE_EV_SCANNER_OFFLINE;
	r->offline_events += r->offline;
}

void readers_metrics(const struct daemon *d, FILE *f)
{
	const char *g = d->cfg.gate_name, *kind;
	const struct daemon_reader *r;
	unsigned int i;

	if (!d->readers)
		return;
	metrics_family(f, "passgate_reader_offline", "gauge",
		       "1 while a reader of a lane is silent (SCANNER_OFFLINE, "
		       "no SCANNER_ONLINE since); a reader appears once it "
		       "has had either event.");
	for (i = 0, r = d->reader; i < d->readers; i++, r++) {
		kind = passgate_reader_name(r->kind);
		if (kind)
			fprintf(f, "passgate_reader_offline{gate=\"%s\",lane="
				"\"%u\",reader=\"%s\"} %d\n", g, r->lane, kind,
				r->offline);
	}
	metrics_family(f, "passgate_reader_offline_events_total", "counter",
		       "SCANNER_OFFLINE events of a reader since passgated "
		       "started.");
	for (i = 0, r = d->reader; i < d->readers; i++, r++) {
		kind = passgate_reader_name(r->kind);
		if (kind)
			fprintf(f, "passgate_reader_offline_events_total{gate="
				"\"%s\",lane=\"%u\",reader=\"%s\"} %" PRIu64
				"\n", g, r->lane, kind, r->offline_events);
	}
}
