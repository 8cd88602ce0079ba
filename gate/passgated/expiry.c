// SPDX-License-Identifier: GPL-2.0-only
/*
 * When the active list expires the policy program already stops trusting
 * it (it checks the expiry on every scan, daemon or not); the daemon says
 * so: one LIST_EXPIRED event in the gate's stream and a log line.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "gate/core/install.h"

static const char *degraded_name(const struct daemon *d)
{
	return d->cfg.policy.degraded == POLICY_FALLBACK_DEFER ?
	       "scans go to the slow path" : "scans are denied";
}

/* The active generation's expiry as Unix time, or 0 without a list. */
static uint64_t active_expiry(struct daemon *d, uint64_t *generation)
{
	struct passgate_policy_active active;
	int64_t offset;

	if (passgate_policy_active(d->policy, &active))
		return 0;
	*generation = active.generation;
	offset = (int64_t)passgate_policy_tai_seconds(0);
	return active.expires_tai - offset;
}

void expiry_arm(struct daemon *d)
{
	struct itimerspec its = { 0 };
	uint64_t generation = 0, expires;

	expires = active_expiry(d, &generation);
	if (!expires) {
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
				 .reason = "no list"),
				 "no list is active: degraded mode, %s",
				 degraded_name(d));
		return;
	}
	its.it_value.tv_sec = expires;
	if (timerfd_settime(d->expiry_fd, TFD_TIMER_ABSTIME, &its, NULL))
		passgate_log_pri(LOG_ERR, NULL, "expiry timer: %s",
				 strerror(errno));
}

void expiry_handle(struct daemon *d)
{
	uint64_t ticks, generation = 0, expires;

	if (read(d->expiry_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	expires = active_expiry(d, &generation);
	if (!expires || (uint64_t)time(NULL) < expires) {
		expiry_arm(d);
		return;
	}
	if (d->expired_generation == generation)
		return;
	d->expired_generation = generation;
	passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
			 .generation = generation, .reason = "list expired"),
			 "list generation %" PRIu64 " expired: degraded mode, "
			 "%s", generation, degraded_name(d));
	passgate_gate_note(d->gate, PASSGATE_EV_LIST_EXPIRED, 0, generation,
			   NULL, 0);
}

int expiry_open(struct daemon *d)
{
	d->expiry_fd = timerfd_create(CLOCK_REALTIME,
				      TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->expiry_fd < 0 ||
	    passgate_loop_watch(&d->loop, d->expiry_fd, SOURCE_EXPIRY, 0)) {
		passgate_log_pri(LOG_ERR, NULL, "expiry timer: %s",
				 strerror(errno));
		return -1;
	}
	expiry_arm(d);
	return 0;
}

void expiry_close(struct daemon *d)
{
	if (d->expiry_fd > 0)
		close(d->expiry_fd);
}
