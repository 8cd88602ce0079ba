// SPDX-License-Identifier: GPL-2.0-only
/*
 * The audit trail: every event of the gate, in sequence, into the
 * hash-chained journal.  The source is the gate's event ring, read by
 * sequence number, so a restarted daemon resumes exactly after the last
 * event it committed and a gap the ring no longer holds arrives as a LOST
 * record and is journaled as such.  Commits are grouped; the flush timer
 * is a timerfd.  A failed commit ends journaling loudly (never a silent
 * retry) while the gate keeps deciding, and the events are still read:
 * the metrics learn from each one (decisions.c, readers.c), and a ring
 * left unread would wake the loop for ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "gate/core/journal.h"

static void audit_fail(struct daemon *d, const char *what)
{
	passgate_log_pri(LOG_ERR, NULL,
			 "JOURNAL FAILED (%s): %s; events are no longer "
			 "journaled until passgated restarts; the gate keeps "
			 "deciding", what, passgate_journal_errmsg(d->journal));
	passgate_journal_close(d->journal);
	d->journal = NULL;
	d->journal_failures++;
}

static int64_t realtime_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* The metrics' time of the last commit: whenever the committed seq moves. */
static void audit_committed(struct daemon *d)
{
	uint64_t seq;

	if (!d->journal)
		return;
	seq = passgate_journal_last_committed_seq(d->journal);
	if (seq != d->journal_committed) {
		d->journal_committed = seq;
		d->journal_commit_ns = realtime_ns();
	}
}

/* At start: the newest row's time stands for the last commit. */
static void audit_last_row(struct daemon *d)
{
	struct passgate_journal_filter f = {
		.flags = PASSGATE_JOURNAL_F_NEWEST_FIRST, .limit = 1,
	};
	struct passgate_journal_cursor *c;
	struct passgate_journal_row row;

	d->journal_committed = passgate_journal_last_committed_seq(d->journal);
	c = passgate_journal_query(d->journal, &f);
	if (c && passgate_journal_cursor_next(c, &row) == 1)
		d->journal_commit_ns = row.stored_ns;
	passgate_journal_cursor_close(c);
}

static void audit_arm(struct daemon *d)
{
	struct itimerspec its = { 0 };

	if (!d->journal)
		return;
	passgate_journal_flush_deadline(d->journal, &its.it_value);
	timerfd_settime(d->flush_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int audit_append(struct daemon *d, const struct passgate_event *ev)
{
	uint64_t last = passgate_journal_last_seq(d->journal);

	if (!passgate_journal_append(d->journal, ev))
		return 0;
	if (errno == EEXIST)
		return 0;	/* journaled before a restart */
	if (errno == ERANGE && last != PASSGATE_JOURNAL_SEQ_NONE &&
	    ev->seq > last + 1 &&
	    !passgate_journal_append_gap(d->journal, last + 1,
					 ev->seq - last - 1) &&
	    !passgate_journal_append(d->journal, ev))
		return 0;
	audit_fail(d, "append");
	return -1;
}

/* Journal what the ring holds from the file position on. */
void audit_handle(struct daemon *d)
{
	struct passgate_event ev[64];
	ssize_t n, i;

	while ((n = passgate_gate_read_events(d->gate, ev, 64)) > 0)
		for (i = 0; i < n; i++) {
			decisions_observe(d, &ev[i]);
			readers_observe(d, &ev[i]);
			if (d->journal && !audit_append(d, &ev[i]))
				d->journaled++;
		}
	if (d->journal && passgate_journal_flush_due(d->journal))
		audit_fail(d, "commit");
	audit_committed(d);
	audit_arm(d);
}

void audit_flush(struct daemon *d)
{
	uint64_t ticks;

	if (read(d->flush_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	if (d->journal && passgate_journal_flush_due(d->journal))
		audit_fail(d, "commit");
	audit_committed(d);
	audit_arm(d);
}

int audit_open(struct daemon *d)
{
	struct passgate_gate_state st;
	uint64_t last, from;
	char err[256];

	if (!d->cfg.journal[0])
		return 0;
	d->journal = passgate_journal_open(d->cfg.journal, d->cfg.gate,
					   PASSGATE_JOURNAL_CREATE, err,
					   sizeof(err));
	if (!d->journal) {
		passgate_log_pri(LOG_ERR, NULL, "journal %s: %s",
				 d->cfg.journal, err);
		return -1;
	}
	if (seal_open(d))
		return -1;
	if (passgate_gate_get_state(d->gate, &st)) {
		passgate_log_pri(LOG_ERR, NULL, "gate state: %s",
				 strerror(errno));
		return -1;
	}
	/* One stream per run of the gate's sequence numbers. */
	if (passgate_journal_begin_stream(d->journal, st.stream_id)) {
		passgate_log_pri(LOG_ERR, NULL, "journal stream: %s",
				 passgate_journal_errmsg(d->journal));
		return -1;
	}
	audit_last_row(d);
	readers_restore(d);
	last = passgate_journal_last_seq(d->journal);
	from = last == PASSGATE_JOURNAL_SEQ_NONE ? 0 : last + 1;
	if (passgate_gate_seek_events(d->gate, from)) {
		passgate_log_pri(LOG_ERR, NULL, "gate events: %s",
				 strerror(errno));
		return -1;
	}
	d->flush_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->flush_fd < 0 ||
	    passgate_loop_watch(&d->loop, passgate_gate_fd(d->gate), SOURCE_EVENTS, 0) ||
	    passgate_loop_watch(&d->loop, d->flush_fd, SOURCE_FLUSH, 0)) {
		passgate_log_pri(LOG_ERR, NULL, "journal: %s", strerror(errno));
		return -1;
	}
	passgate_log("journal %s: resuming at event %" PRIu64 " (ring holds %"
		     PRIu64 "..%" PRIu64 ")", d->cfg.journal, from,
		     (uint64_t)st.event_first, (uint64_t)st.event_next);
	audit_handle(d);
	return 0;
}

/* Stopping: what was read is committed before the daemon goes. */
void audit_close(struct daemon *d)
{
	if (d->journal) {
		audit_handle(d);
		if (passgate_journal_flush(d->journal))
			audit_fail(d, "final commit");
		passgate_journal_close(d->journal);
	}
	if (d->flush_fd > 0)
		close(d->flush_fd);
}
