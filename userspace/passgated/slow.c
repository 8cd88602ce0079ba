// SPDX-License-Identifier: GPL-2.0-only
/*
 * The slow path: scans the fast path deferred (unknown credentials or a
 * degraded gate, by configuration), read from each lane's scanboard node
 * and answered before their deadline.  Without a richer source of truth
 * the daemon sends them to the manual check (slow_reason).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/passgate.h>

#include "daemon.h"

int slow_open(struct daemon *d)
{
	char pattern[64];
	glob_t g;
	size_t i;
	int fd;

	snprintf(pattern, sizeof(pattern), "/dev/passgate/gate%u/lane*/scanboard",
		 d->cfg.gate);
	if (glob(pattern, 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc && d->boards < DAEMON_MAX_BOARDS; i++) {
		fd = open(g.gl_pathv[i], O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || daemon_watch(d, fd, SOURCE_SLOW, d->boards)) {
			daemon_log("%s: %s", g.gl_pathv[i], strerror(errno));
			if (fd >= 0)
				close(fd);
			continue;
		}
		d->board_fd[d->boards++] = fd;
	}
	globfree(&g);
	return 0;
}

void slow_handle(struct daemon *d, unsigned int index)
{
	struct passgate_verdict_cmd cmd = { .size = sizeof(cmd) };
	struct passgate_scan scan;
	int fd = d->board_fd[index];

	while (read(fd, &scan, sizeof(scan)) == sizeof(scan)) {
		cmd.scan_id = scan.scan_id;
		cmd.verdict = PASSGATE_VERDICT_DENY;
		cmd.reason = d->cfg.slow_reason;
		if (ioctl(fd, PASSGATE_IOC_VERDICT, &cmd))
			daemon_log("lane %u scan %" PRIu64 ": %s", scan.lane,
				   (uint64_t)scan.scan_id, strerror(errno));
		memset(&scan, 0, sizeof(scan));
	}
}

void slow_close(struct daemon *d)
{
	for (unsigned int i = 0; i < d->boards; i++)
		close(d->board_fd[i]);
}
