// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "gate/core/loop.h"

#define LOOP_BATCH 16

int passgate_loop_init(struct passgate_loop *loop)
{
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop->epfd < 0 ? -1 : 0;
}

void passgate_loop_close(struct passgate_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}

int passgate_loop_watch(struct passgate_loop *loop, int fd, uint32_t source,
			uint32_t index)
{
	struct epoll_event ev = {
		.events = EPOLLIN,
		.data.u64 = (uint64_t)source << 32 | index,
	};

	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int passgate_loop_timer(struct passgate_loop *loop, uint64_t period_us,
			uint32_t source)
{
	struct itimerspec its = {
		.it_value.tv_nsec = 1,
		.it_interval.tv_sec = period_us / 1000000,
		.it_interval.tv_nsec = period_us % 1000000 * 1000,
	};
	int fd, e;

	if (!period_us) {
		errno = EINVAL;
		return -1;
	}
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (timerfd_settime(fd, 0, &its, NULL) ||
	    passgate_loop_watch(loop, fd, source, 0)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int passgate_loop_unwatch(struct passgate_loop *loop, int fd)
{
	return epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
}

int passgate_loop_wait(struct passgate_loop *loop,
		       struct passgate_loop_event *events, int max,
		       int timeout_ms)
{
	struct epoll_event ev[LOOP_BATCH];
	int n;

	if (max > LOOP_BATCH)
		max = LOOP_BATCH;
	if (max <= 0) {
		errno = EINVAL;
		return -1;
	}
	n = epoll_wait(loop->epfd, ev, max, timeout_ms);
	for (int i = 0; i < n; i++) {
		events[i].source = ev[i].data.u64 >> 32;
		events[i].index = (uint32_t)ev[i].data.u64;
	}
	return n;
}
