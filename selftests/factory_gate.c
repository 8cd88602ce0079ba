// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "factory_gate.h"
#include "gate_fixture.h"

#define FACTORY "/sys/kernel/debug/passgate-testboard-factory"
/* The chip of gate G is passgate-testboard.<1000 + G> (factory.c). */
#define FACTORY_BOARD_ID 1000

int factory_gate_new(struct factory_gate *fg, unsigned int id,
		     const char *spec)
{
	char text[256];

	fg->id = id;
	snprintf(text, sizeof(text), "gate=%u %s", id, spec);
	return write_string(FACTORY "/new", text);
}

int factory_gate_delete(struct factory_gate *fg)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", fg->id);
	return write_string(FACTORY "/delete", text);
}

/* A file of the gate's chip in debugfs: a line's number, "directions". */
static void chip_path(const struct factory_gate *fg, const char *file,
		      char *path, size_t len)
{
	snprintf(path, len,
		 "/sys/kernel/debug/passgate-testboard/passgate-testboard.%u/%s",
		 FACTORY_BOARD_ID + fg->id, file);
}

static void line_path(const struct factory_gate *fg, unsigned int line,
		      char *path, size_t len)
{
	char name[16];

	snprintf(name, sizeof(name), "%u", line);
	chip_path(fg, name, path, len);
}

int factory_gate_drive(const struct factory_gate *fg, unsigned int line,
		       int value)
{
	char path[PATH_MAX];

	line_path(fg, line, path, sizeof(path));
	return write_string(path, value ? "1" : "0");
}

int factory_gate_read(const struct factory_gate *fg, unsigned int line)
{
	char path[PATH_MAX], buf[4] = "";
	ssize_t n;
	int fd;

	line_path(fg, line, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 1)
		return n < 0 ? -errno : -EIO;
	return buf[0] == '1';
}

int factory_gate_is_output(const struct factory_gate *fg, unsigned int line)
{
	char path[PATH_MAX], dirs[80] = "";
	ssize_t n;
	int fd;

	chip_path(fg, "directions", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, dirs, sizeof(dirs) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n <= line)
		return -ERANGE;
	return dirs[line] == 'o';
}

int factory_gate_beam(const struct factory_gate *fg, int state_fd,
		      unsigned int lane, unsigned int beam, int value)
{
	unsigned int what = beam == PASSGATE_BEAM_INNER ?
			    TB_BEAM_INNER : TB_BEAM_OUTER;
	int ret;

	ret = factory_gate_drive(fg, FG_LANE_LINE(lane, what), value);
	if (ret)
		return ret;
	return lane_wait_beams(state_fd, beam, value ? beam : 0, NULL);
}
