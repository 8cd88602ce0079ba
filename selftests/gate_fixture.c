// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gate_fixture.h"

#define TB_DEBUGFS "/sys/kernel/debug/passgate-testboard"

static int tb_line_path(unsigned int line, char *path, size_t len)
{
	struct dirent *de;
	DIR *dir;
	int ret = -ENOENT;

	dir = opendir(TB_DEBUGFS);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, len, TB_DEBUGFS "/%s/%u", de->d_name, line);
		ret = 0;
		break;
	}
	closedir(dir);
	return ret;
}

static int write_string(const char *path, const char *s)
{
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int tb_drive(unsigned int line, int value)
{
	char path[PATH_MAX];
	int ret;

	ret = tb_line_path(line, path, sizeof(path));
	if (ret)
		return ret;
	return write_string(path, value ? "1" : "0");
}

int tb_read(unsigned int line)
{
	char path[PATH_MAX], buf[8] = "";
	ssize_t n;
	int fd, ret;

	ret = tb_line_path(line, path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	return buf[0] == '1';
}

int lane_open(unsigned int gate, unsigned int lane, const char *node,
	      int flags)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/passgate/gate%u/lane%u/%s",
		 gate, lane, node);
	return open(path, flags | O_CLOEXEC);
}

int lane_device_name(unsigned int gate, unsigned int lane, char *buf,
		     size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path),
		 "/sys/class/passgate/passgate!gate%u!lane%u!turnstile/device",
		 gate, lane);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
	return 0;
}

int driver_bind(const char *driver, const char *device, bool bind)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/platform/drivers/%s/%s",
		 driver, bind ? "bind" : "unbind");
	return write_string(path, device);
}

int lane_wait_beams(int fd, unsigned int beams_mask, unsigned int beams,
		    struct passgate_state *out)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct passgate_state state;
	ssize_t n;
	int ret;

	for (;;) {
		ret = poll(&pfd, 1, GATE_WAIT_MS);
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
		n = read(fd, &state, sizeof(state));
		if (n < 0)
			return errno == EAGAIN ? -EAGAIN : -errno;
		if ((state.beams & beams_mask) == beams) {
			if (out)
				*out = state;
			return 0;
		}
	}
}
