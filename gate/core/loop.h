/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A daemon's event loop: one epoll set whose events say which source
 * (a module's number) and which of its descriptors (an index) is ready,
 * so every module registers its own descriptors and main only dispatches.
 * Error contract: <common/fail.h>.
 */
#ifndef PASSGATE_CORE_LOOP_H
#define PASSGATE_CORE_LOOP_H

#include <stdint.h>

struct passgate_loop {
	int epfd;
};

struct passgate_loop_event {
	uint32_t source;
	uint32_t index;
};

int passgate_loop_init(struct passgate_loop *loop);
void passgate_loop_close(struct passgate_loop *loop);
/* Watch @fd for input, reported as (@source, @index). */
int passgate_loop_watch(struct passgate_loop *loop, int fd, uint32_t source,
			uint32_t index);
int passgate_loop_unwatch(struct passgate_loop *loop, int fd);
/*
 * A timerfd that fires at once and then every @period_us, watched as
 * (@source, 0): its descriptor, or -1.  The handler reads its count.
 */
int passgate_loop_timer(struct passgate_loop *loop, uint64_t period_us,
			uint32_t source);
/*
 * Wait up to @timeout_ms (-1: for ever) for at most @max ready
 * descriptors: how many, 0 on timeout, -1 (EINTR included).
 */
int passgate_loop_wait(struct passgate_loop *loop,
		       struct passgate_loop_event *events, int max,
		       int timeout_ms);

#endif
