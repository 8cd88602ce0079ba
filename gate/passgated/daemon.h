/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef PASSGATED_H
#define PASSGATED_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gate/core/config.h"
#include "gate/core/log.h"
#include "gate/core/loop.h"
#include "lib/libpassgate.h"
#include "gate/policy/loader.h"

#define DAEMON_MAX_BOARDS 64

/* What an epoll event is about: the top 32 bits of its data. */
enum daemon_source {
	SOURCE_SIGNAL,
	SOURCE_SPOOL,
	SOURCE_EXPIRY,
	SOURCE_SLOW,
	SOURCE_EVENTS,
	SOURCE_FLUSH,
	SOURCE_WEDGE,
	SOURCE_METRICS,
	SOURCE_WATCHDOG,
	SOURCE_TICKETS,
};

struct passgate_journal;
struct ring_buffer;

/*
 * Scan-to-verdict times of one path, as a Prometheus histogram
 * (decisions.c): each bucket's own count, the last one above every bound.
 */
#define DECISION_BUCKETS 17
struct decision_histogram {
	uint64_t bucket[DECISION_BUCKETS + 1];
	uint64_t count;
	uint64_t sum_ns;
};

/*
 * The slow path (slow.c): a thread of its own reads the lanes' scanboard
 * nodes and answers the scans the fast path deferred, so that an answer
 * never waits for what the daemon's loop does meanwhile (a journal commit
 * and its fsync, a list verified and installed, the metrics written).
 * It sees this struct only, never the rest of struct daemon.
 *
 * Who owns what:
 * - @board, @boards, @loop and @staff, @staff_count: made by the main
 *   thread in slow_open(), then the slow thread's alone from slow_start()
 *   to the join in slow_close() (@staff is never written again; the main
 *   thread frees it after the join).
 * - @thread, @running, @pings: the main thread's.
 * - @lock guards @reason, @direction (the main thread writes them at
 *   start and on SIGHUP, the slow thread reads them for every scan) and
 *   @pongs (the slow thread counts the watchdog's pings it answered).
 * - the eventfds carry the hand-offs between the two: @stop_fd and
 *   @ping_fd from the main thread to the slow one, @done_fd back (the
 *   slow thread ended; the main loop watches it as SOURCE_SLOW).
 */
struct slow_board {
	struct passgate_scanboard *node;
	unsigned int lane;
};

struct slow_path {
	struct slow_board board[DAEMON_MAX_BOARDS];
	unsigned int boards;
	struct passgate_loop loop;
	uint8_t *staff;		/* sorted digests of the staff file */
	size_t staff_count;

	pthread_t thread;
	bool running;
	uint64_t pings;

	pthread_mutex_t lock;
	uint32_t reason;	/* a DENY's reason: the configuration's */
	uint32_t direction;	/* an ACCEPT's: the policy's */
	uint64_t pongs;

	int stop_fd;
	int ping_fd;
	int done_fd;
};

/* A reader of a lane, as its SCANNER_OFFLINE and _ONLINE events say. */
struct daemon_reader {
	uint32_t lane;
	uint32_t kind;		/* enum passgate_reader */
	bool offline;
	uint64_t offline_events;	/* read since the daemon started */
};
#define DAEMON_MAX_READERS 64

struct daemon {
	const char *config_path;
	struct passgate_config cfg;
	struct passgate_gate *gate;
	struct passgate_policy *policy;
	struct passgate_loop loop;
	int sigfd;
	int spool_fd;
	int spool_lock;		/* the spool folder, flock()ed: ours alone */
	int expiry_fd;
	uint64_t expired_generation;
	uint64_t expired_tickets;	/* the ticket generation told expired */
	struct slow_path slow;
	struct passgate_journal *journal;
	int flush_fd;
	uint64_t journaled;
	struct wedge_bridge *wedge;
	int metrics_fd;
	bool metrics_failing;	/* the last write failed, and was logged */
	/* What the metrics learn from the events audit.c reads. */
	struct decision_histogram decided[2];	/* slow path, fast path */
	struct daemon_reader reader[DAEMON_MAX_READERS];
	unsigned int readers;
	uint64_t journal_failures;
	uint64_t journal_committed;	/* the last committed seq seen */
	int64_t journal_commit_ns;	/* CLOCK_REALTIME of it; 0: unknown */
	int watchdog_fd;	/* systemd's watchdog, when set */
	/* Tickets used here, reported by the policy, kept in a log. */
	struct ring_buffer *tickets_ring;
	int tickets_fd;
	struct policy_ticket_record *tickets_batch;
	size_t tickets_batched;
};

/*
 * Every module logs with passgate_log_pri(), or passgate_log() for routine
 * news (gate/core/log.h), and watches its own descriptors in @loop
 * (gate/core/loop.h): none calls back into main.c.
 */

/* spool.c: signed lists dropped into the spool folder */
int spool_claim(struct daemon *d);
int spool_open(struct daemon *d);
void spool_handle(struct daemon *d);
void spool_close(struct daemon *d);

/* restore.c: the records' generations again, when the kernel has none */
void restore_run(struct daemon *d);

/* tickets.c: tickets used here, kept across a reboot */
int tickets_open(struct daemon *d);
void tickets_handle(struct daemon *d);
void tickets_close(struct daemon *d);

/* expiry.c: an active list's expiry puts the gate in degraded mode */
int expiry_open(struct daemon *d);
void expiry_arm(struct daemon *d);
void expiry_handle(struct daemon *d);
void expiry_close(struct daemon *d);

/*
 * audit.c: every gate event into the journal, and to the metrics below;
 * a failed journal stops journaling, never the reading
 */
int audit_open(struct daemon *d);
/* seal.c: the journal's seal key, made on first start. */
int seal_open(struct daemon *d);
void audit_handle(struct daemon *d);
void audit_flush(struct daemon *d);
void audit_close(struct daemon *d);

/*
 * slow.c: scans the fast path deferred, answered on a thread of its own.
 * slow_open() opens the nodes and reads the staff file; slow_start() runs
 * the thread, once the process has dropped its capabilities (a thread
 * keeps the capabilities it was made with); slow_configure() hands it the
 * settings again after a reload; slow_alive() is the watchdog's question
 * (the thread answered the last ping; asks again); slow_close() stops
 * and joins it, then closes what it used.
 */
int slow_open(struct daemon *d);
int slow_start(struct daemon *d);
void slow_configure(struct daemon *d);
bool slow_alive(struct daemon *d);
void slow_close(struct daemon *d);

/* metrics.c: the gate's Prometheus textfile, every few seconds */
int metrics_open(struct daemon *d);
void metrics_handle(struct daemon *d);
void metrics_close(struct daemon *d);
/* A family's HELP and TYPE lines, before its samples. */
void metrics_family(FILE *f, const char *name, const char *type,
		    const char *help);

/* metrics_lanes.c: the gate's and its lanes' state and counters */
void metrics_lanes(struct daemon *d, FILE *f);

/* decisions.c: VERDICT events into a histogram per path, since start */
void decisions_observe(struct daemon *d, const struct passgate_event *ev);
void decisions_metrics(const struct daemon *d, FILE *f);

/*
 * readers.c: each reader's online state from SCANNER_OFFLINE/ONLINE, as
 * the journal's current stream left it, then as the events come
 */
void readers_restore(struct daemon *d);
void readers_observe(struct daemon *d, const struct passgate_event *ev);
void readers_metrics(const struct daemon *d, FILE *f);

/* wedge.c: USB keyboard-wedge scanners, grabbed and forwarded to lanes */
int wedge_open(struct daemon *d);
void wedge_handle(struct daemon *d, unsigned int index);
void wedge_rescan(struct daemon *d);
void wedge_close(struct daemon *d);

#endif
