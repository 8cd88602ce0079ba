// SPDX-License-Identifier: GPL-2.0-only
/*
 * The slow path: scans the fast path deferred (unknown credentials or a
 * degraded gate, by configuration), read from each lane's scanboard node
 * and answered before their deadline.  The gate PC's own source of truth
 * is the staff file: credentials that are not the health authority's
 * business (staff and maintenance cards), accepted here; an expired ID
 * card is refused as the fast path refuses it; every other deferred scan
 * is denied with slow_reason (gate/core/deferred.h).
 *
 * It runs on a thread of its own with a loop of its own: the daemon's
 * loop commits the journal (SQLite, fsync), installs lists and writes the
 * metrics, and a deferred scan must not wait for any of it
 * (docs/architecture.md, "The slow path's thread").  What the two threads
 * share, and who owns it, is written at struct slow_path (daemon.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/passgate.h>

#include "daemon.h"
#include "common/digest.h"
#include "gate/core/deferred.h"

/* What an event of the slow thread's loop is about. */
enum slow_source {
	SLOW_BOARD,	/* a lane's scanboard node; the index is the board's */
	SLOW_STOP,
	SLOW_PING,
};

static int digest_cmp(const void *a, const void *b)
{
	return memcmp(a, b, PASSGATE_DIGEST_SIZE);
}

/* One token per line (health-code kind); blank lines and # comments. */
static int staff_load(struct slow_path *sp, const char *path)
{
	char line[PASSGATE_TOKEN_MAX + 2];
	size_t len, cap = 0;
	uint8_t *grown;
	FILE *f;

	if (!path[0])
		return 0;
	f = fopen(path, "re");
	if (!f) {
		passgate_log_pri(LOG_ERR, NULL, "staff file %s: %s", path,
				 strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (!len || line[0] == '#')
			continue;
		if (sp->staff_count == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(sp->staff, cap * PASSGATE_DIGEST_SIZE);
			if (!grown) {
				fclose(f);
				return -1;
			}
			sp->staff = grown;
		}
		passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, line, len,
					NULL, sp->staff + sp->staff_count *
					PASSGATE_DIGEST_SIZE);
		sp->staff_count++;
	}
	fclose(f);
	qsort(sp->staff, sp->staff_count, PASSGATE_DIGEST_SIZE, digest_cmp);
	passgate_log("slow path: %zu staff credentials", sp->staff_count);
	return 0;
}

/* The nodes, the staff file and the thread's loop; the thread comes later. */
int slow_open(struct daemon *d)
{
	struct slow_path *sp = &d->slow;
	char pattern[64];
	struct passgate_scanboard *sb;
	unsigned int lane;
	glob_t g;
	size_t i;

	sp->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sp->ping_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sp->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sp->stop_fd < 0 || sp->ping_fd < 0 || sp->done_fd < 0 ||
	    passgate_loop_init(&sp->loop) ||
	    passgate_loop_watch(&sp->loop, sp->stop_fd, SLOW_STOP, 0) ||
	    passgate_loop_watch(&sp->loop, sp->ping_fd, SLOW_PING, 0) ||
	    passgate_loop_watch(&d->loop, sp->done_fd, SOURCE_SLOW, 0)) {
		passgate_log_pri(LOG_ERR, NULL, "slow path: %s",
				 strerror(errno));
		return -1;
	}
	if (staff_load(sp, d->cfg.staff_file))
		return -1;
	slow_configure(d);
	snprintf(pattern, sizeof(pattern), "/dev/passgate/gate%u/lane*/scanboard",
		 d->cfg.gate);
	if (glob(pattern, 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc && sp->boards < DAEMON_MAX_BOARDS; i++) {
		if (sscanf(g.gl_pathv[i], "/dev/passgate/gate%*u/lane%u/",
			   &lane) != 1)
			continue;
		sb = passgate_scanboard_open(d->cfg.gate, lane,
					     O_RDWR | O_NONBLOCK);
		if (!sb || passgate_loop_watch(&sp->loop,
					       passgate_scanboard_fd(sb),
					       SLOW_BOARD, sp->boards)) {
			passgate_log_pri(LOG_WARNING, PASSGATE_LOG_LANE(lane),
					 "%s: %s", g.gl_pathv[i],
					 strerror(errno));
			passgate_scanboard_close(sb);
			continue;
		}
		sp->board[sp->boards++] = (struct slow_board) {
			.node = sb, .lane = lane,
		};
	}
	globfree(&g);
	return 0;
}

/* Main thread: the settings a deferred scan's answer takes, now. */
void slow_configure(struct daemon *d)
{
	struct slow_path *sp = &d->slow;

	pthread_mutex_lock(&sp->lock);
	sp->reason = d->cfg.slow_reason;
	sp->direction = d->cfg.policy.direction;
	pthread_mutex_unlock(&sp->lock);
}

static bool slow_is_staff(const struct slow_path *sp,
			  const struct passgate_scan *s)
{
	return s->kind == PASSGATE_CRED_HEALTH_CODE && sp->staff_count &&
	       bsearch(s->digest, sp->staff, sp->staff_count,
		       PASSGATE_DIGEST_SIZE, digest_cmp);
}

/* Slow thread: every scan waiting on board @index, answered. */
static void slow_answer(struct slow_path *sp, unsigned int index)
{
	const struct slow_board *b = &sp->board[index];
	enum passgate_verdict verdict;
	struct passgate_scan scan;
	uint32_t reason, slow_reason, direction;
	char err[128];
	int ret;

	while ((ret = passgate_scanboard_read_scan(b->node, &scan)) == 1) {
		pthread_mutex_lock(&sp->lock);
		slow_reason = sp->reason;
		direction = sp->direction;
		pthread_mutex_unlock(&sp->lock);
		verdict = passgate_deferred_verdict(&scan,
						    slow_is_staff(sp, &scan),
						    slow_reason, time(NULL),
						    &reason);
		if (passgate_scanboard_answer(b->node, scan.scan_id, verdict, reason,
					      verdict == PASSGATE_VERDICT_ACCEPT ?
					      direction : 0))
			passgate_log_pri(LOG_WARNING,
					 PASSGATE_LOG_LANE(scan.lane),
					 "lane %u scan %" PRIu64 ": %s",
					 scan.lane, (uint64_t)scan.scan_id,
					 strerror_r(errno, err, sizeof(err)));
		/* The token must not linger in memory. */
		memset(&scan, 0, sizeof(scan));
	}
	/*
	 * A node whose lane went away (unbound) stays readable for ever:
	 * stop watching it rather than spin.  A restart finds the lane again.
	 */
	if (ret < 0 && errno == ENODEV) {
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_LANE(b->lane),
				 "lane %u: its scanboard node is gone; its "
				 "deferred scans time out until passgated "
				 "restarts", b->lane);
		passgate_loop_unwatch(&sp->loop, passgate_scanboard_fd(b->node));
	}
}

/* Slow thread: count the watchdog's pings, for slow_alive(). */
static void slow_pong(struct slow_path *sp)
{
	eventfd_t n;

	if (eventfd_read(sp->ping_fd, &n))
		return;
	pthread_mutex_lock(&sp->lock);
	sp->pongs += n;
	pthread_mutex_unlock(&sp->lock);
}

static void *slow_run(void *arg)
{
	struct slow_path *sp = arg;
	struct passgate_loop_event ev[16];
	char err[128];
	int n, i;

	for (;;) {
		n = passgate_loop_wait(&sp->loop, ev, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			passgate_log_pri(LOG_ERR, NULL,
					 "slow path stopped: %s; passgated "
					 "stops too",
					 strerror_r(errno, err, sizeof(err)));
			break;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].source == SLOW_STOP)
				goto out;
			if (ev[i].source == SLOW_PING)
				slow_pong(sp);
			else
				slow_answer(sp, ev[i].index);
		}
	}
out:
	eventfd_write(sp->done_fd, 1);
	return NULL;
}

/*
 * After the capabilities are dropped (capabilities are a thread's own:
 * a thread made before would keep them) and after setup_signals(): the
 * thread inherits the blocked signals, so they all go to the signalfd.
 */
int slow_start(struct daemon *d)
{
	struct slow_path *sp = &d->slow;
	int err;

	err = pthread_create(&sp->thread, NULL, slow_run, sp);
	if (err) {
		passgate_log_pri(LOG_ERR, NULL, "slow path: %s", strerror(err));
		return -1;
	}
	pthread_setname_np(sp->thread, "passgated-slow");
	sp->running = true;
	return 0;
}

bool slow_alive(struct daemon *d)
{
	struct slow_path *sp = &d->slow;
	bool alive;

	if (!sp->running)
		return true;
	pthread_mutex_lock(&sp->lock);
	alive = sp->pongs == sp->pings;
	pthread_mutex_unlock(&sp->lock);
	/* Asked again only once answered: a stuck thread stays unanswered. */
	if (alive && !eventfd_write(sp->ping_fd, 1))
		sp->pings++;
	return alive;
}

void slow_close(struct daemon *d)
{
	struct slow_path *sp = &d->slow;

	if (sp->running) {
		eventfd_write(sp->stop_fd, 1);
		pthread_join(sp->thread, NULL);
		sp->running = false;
	}
	for (unsigned int i = 0; i < sp->boards; i++)
		passgate_scanboard_close(sp->board[i].node);
	sp->boards = 0;
	if (sp->stop_fd >= 0)
		close(sp->stop_fd);
	if (sp->ping_fd >= 0)
		close(sp->ping_fd);
	if (sp->done_fd >= 0)
		close(sp->done_fd);
	passgate_loop_close(&sp->loop);
	free(sp->staff);
	sp->staff = NULL;
}
