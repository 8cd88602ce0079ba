// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libpassgate.h"

struct passgate_lane {
	int fd;
};

struct passgate_lane *passgate_lane_open(unsigned int gate, unsigned int lane,
					 int flags)
{
	struct passgate_lane *l;
	char path[64];

	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	snprintf(path, sizeof(path), "/dev/passgate/gate%u/lane%u/turnstile",
		 gate, lane);
	l->fd = open(path, flags | O_CLOEXEC);
	if (l->fd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void passgate_lane_close(struct passgate_lane *lane)
{
	if (!lane)
		return;
	close(lane->fd);
	free(lane);
}

int passgate_lane_fd(struct passgate_lane *lane)
{
	return lane->fd;
}

int passgate_lane_get_info(struct passgate_lane *lane,
			   struct passgate_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(lane->fd, PASSGATE_IOC_GET_INFO, info) ? -1 : 0;
}

int passgate_lane_get_state(struct passgate_lane *lane,
			    struct passgate_state *state)
{
	memset(state, 0, sizeof(*state));
	state->size = sizeof(*state);
	return ioctl(lane->fd, PASSGATE_IOC_GET_STATE, state) ? -1 : 0;
}

int passgate_lane_unlock(struct passgate_lane *lane, unsigned int direction)
{
	struct passgate_open o = { .size = sizeof(o), .direction = direction };

	return ioctl(lane->fd, PASSGATE_IOC_OPEN, &o) ? -1 : 0;
}

int passgate_lane_set_mode(struct passgate_lane *lane, unsigned int mode)
{
	struct passgate_mode m = { .size = sizeof(m), .mode = mode };

	return ioctl(lane->fd, PASSGATE_IOC_SET_MODE, &m) ? -1 : 0;
}

int passgate_lane_reset_alarms(struct passgate_lane *lane)
{
	struct passgate_reset r = { .size = sizeof(r) };

	return ioctl(lane->fd, PASSGATE_IOC_RESET_ALARMS, &r) ? -1 : 0;
}
