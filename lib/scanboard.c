// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A lane's scanboard node: the slow path's end of the decision pipeline
 * (read the scans the fast path deferred, answer each) and a bridge's way
 * in (frames written whole).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libpassgate.h"

struct passgate_scanboard {
	int fd;
};

struct passgate_scanboard *passgate_scanboard_open(unsigned int gate,
						   unsigned int lane,
						   int flags)
{
	struct passgate_scanboard *sb;
	char path[64];

	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return NULL;
	snprintf(path, sizeof(path), "/dev/passgate/gate%u/lane%u/scanboard",
		 gate, lane);
	sb->fd = open(path, flags | O_CLOEXEC);
	if (sb->fd < 0) {
		free(sb);
		return NULL;
	}
	return sb;
}

void passgate_scanboard_close(struct passgate_scanboard *sb)
{
	if (!sb)
		return;
	close(sb->fd);
	free(sb);
}

int passgate_scanboard_fd(struct passgate_scanboard *sb)
{
	return sb->fd;
}

int passgate_scanboard_read_scan(struct passgate_scanboard *sb,
				 struct passgate_scan *scan)
{
	ssize_t n = read(sb->fd, scan, sizeof(*scan));

	if (n == sizeof(*scan))
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n >= 0)
		errno = EIO;
	return -1;
}

int passgate_scanboard_answer(struct passgate_scanboard *sb, uint64_t scan_id,
			      unsigned int verdict, unsigned int reason,
			      unsigned int direction)
{
	struct passgate_verdict_cmd cmd = {
		.size = sizeof(cmd),
		.scan_id = scan_id,
		.verdict = verdict,
		.reason = reason,
		.direction = direction,
	};

	return ioctl(sb->fd, PASSGATE_IOC_VERDICT, &cmd) ? -1 : 0;
}
