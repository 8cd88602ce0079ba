// SPDX-License-Identifier: GPL-2.0-only
/*
 * When an active list expires the policy program already stops trusting
 * it (it checks the expiry on every scan, daemon or not); the daemon says
 * so: one LIST_EXPIRED event in the gate's stream and a log line, for the
 * health codes and, on its own, for the ticket list (the event marked
 * PASSGATE_CLAIM_TICKETS).  One timer, armed for the first expiry not yet
 * told.
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
static uint64_t active_expiry(struct daemon *d, unsigned int holds,
			      uint64_t *generation)
{
	struct passgate_policy_active active;
	int64_t offset;

	if (passgate_policy_active_list(d->policy, holds, &active))
		return 0;
	*generation = active.generation;
	offset = (int64_t)passgate_policy_tai_seconds(0);
	return active.expires_tai - offset;
}

/* The generation of @holds whose expiry was told; 0: none. */
static uint64_t *told(struct daemon *d, unsigned int holds)
{
	return holds == PASSGATE_LIST_TICKETS ? &d->expired_tickets :
	       &d->expired_generation;
}

void expiry_arm(struct daemon *d)
{
	uint64_t generation = 0, expires, next = 0;
	struct itimerspec its = { 0 };
	unsigned int holds;

	for (holds = PASSGATE_LIST_CODES; holds <= PASSGATE_LIST_TICKETS;
	     holds++) {
		expires = active_expiry(d, holds, &generation);
		if (expires && *told(d, holds) != generation &&
		    (!next || expires < next))
			next = expires;
		if (expires)
			continue;
		if (holds == PASSGATE_LIST_CODES)
			passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
					 .reason = "no list"),
					 "no list is active: degraded mode, %s",
					 degraded_name(d));
		else if (d->cfg.policy.ticket != POLICY_TICKET_OFF)
			passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
					 .reason = "no ticket list"),
					 "no ticket list is active: degraded "
					 "mode, %s", degraded_name(d));
	}
	if (!next)
		return;
	its.it_value.tv_sec = next;
	if (timerfd_settime(d->expiry_fd, TFD_TIMER_ABSTIME, &its, NULL))
		passgate_log_pri(LOG_ERR, NULL, "expiry timer: %s",
				 strerror(errno));
}

static void expiry_tell(struct daemon *d, unsigned int holds)
{
	struct passgate_list_claim claim = { .flags = PASSGATE_CLAIM_TICKETS };
	bool tickets = holds == PASSGATE_LIST_TICKETS;
	uint64_t generation = 0, expires;

	expires = active_expiry(d, holds, &generation);
	if (!expires || (uint64_t)time(NULL) < expires ||
	    *told(d, holds) == generation)
		return;
	*told(d, holds) = generation;
	passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
			 .generation = generation,
			 .reason = tickets ? "ticket list expired" :
				   "list expired"),
			 "%slist generation %" PRIu64 " expired: degraded "
			 "mode, %s", tickets ? "ticket " : "", generation,
			 degraded_name(d));
	passgate_gate_note(d->gate, PASSGATE_EV_LIST_EXPIRED, 0, generation,
			   tickets ? &claim : NULL, tickets ? sizeof(claim) : 0);
}

void expiry_handle(struct daemon *d)
{
	uint64_t ticks;

	if (read(d->expiry_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	expiry_tell(d, PASSGATE_LIST_CODES);
	expiry_tell(d, PASSGATE_LIST_TICKETS);
	expiry_arm(d);
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
