// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench, item 4: the audit journal's durable events per second with
 * grouped commits (as passgated runs it: 64 events or 100 ms) against one
 * commit per event, and the worst delay from an event's append to the
 * commit that made it durable.  Runs on the host's disk, where a gate's
 * journal lives (the guest keeps its files in tmpfs).
 *
 * usage: journal_bench DIR EVENTS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/passgate.h>

#include "gate/core/journal.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Events at full speed; returns events/s, *worst gets the worst delay. */
static double run(const char *dir, unsigned int events, unsigned int batch,
		  double *worst)
{
	static const uint8_t stream[16] = "journal-bench-01";
	struct passgate_event ev = { .type = PASSGATE_EV_VERDICT, .lane = 1 };
	double *appended = calloc(events, sizeof(double));
	char path[512], err[256];
	struct passgate_journal *j;
	uint64_t committed, done = 0;
	double t0, t;
	unsigned int i;

	snprintf(path, sizeof(path), "%s/bench-%u.db", dir, batch);
	unlink(path);
	j = passgate_journal_open(path, 0, PASSGATE_JOURNAL_CREATE, err,
				  sizeof(err));
	if (!j || !appended || passgate_journal_begin_stream(j, stream) ||
	    passgate_journal_set_batch(j, batch, 100)) {
		fprintf(stderr, "journal_bench: %s\n", j ? passgate_journal_errmsg(j) : err);
		exit(1);
	}
	*worst = 0;
	t0 = now_s();
	for (i = 0; i < events; i++) {
		ev.seq = i;
		ev.time_ns = i;
		appended[i] = now_s();
		if (passgate_journal_append(j, &ev) ||
		    passgate_journal_flush_due(j)) {
			fprintf(stderr, "journal_bench: %s\n",
				passgate_journal_errmsg(j));
			exit(1);
		}
		/* What became durable now: its delay since its append. */
		committed = passgate_journal_last_committed_seq(j);
		if (committed != PASSGATE_JOURNAL_SEQ_NONE) {
			t = now_s();
			for (; done <= committed; done++)
				if (t - appended[done] > *worst)
					*worst = t - appended[done];
		}
	}
	if (passgate_journal_flush(j))
		exit(1);
	t = now_s();
	for (; done < events; done++)
		if (t - appended[done] > *worst)
			*worst = t - appended[done];
	passgate_journal_close(j);
	unlink(path);
	free(appended);
	return events / (t - t0);
}

int main(int argc, char **argv)
{
	unsigned int events = argc > 2 ? strtoul(argv[2], NULL, 10) : 5000;
	double grouped, single, wg, ws;

	if (argc < 2) {
		fprintf(stderr, "usage: journal_bench DIR [EVENTS]\n");
		return 2;
	}
	grouped = run(argv[1], events, 64, &wg);
	single = run(argv[1], events / 10, 1, &ws);
	printf("| 4 | journal: durable events/s, grouped commits (64 events or 100 ms) | %.0f events/s | %u events; worst append-to-durable delay %.1f ms |\n",
	       grouped, events, wg * 1000);
	printf("| 4 | journal: durable events/s, one commit per event | %.0f events/s | %u events; worst delay %.1f ms; grouped is %.1f× faster |\n",
	       single, events / 10, ws * 1000, grouped / single);
	return 0;
}
