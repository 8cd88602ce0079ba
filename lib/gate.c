// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libpassgate.h"

struct passgate_gate {
	int fd;
};

struct passgate_gate *passgate_gate_open(unsigned int gate, int flags)
{
	struct passgate_gate *g;
	char path[64];

	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	snprintf(path, sizeof(path), "/dev/passgate/gate%u/gate", gate);
	g->fd = open(path, flags | O_CLOEXEC);
	if (g->fd < 0) {
		free(g);
		return NULL;
	}
	return g;
}

void passgate_gate_close(struct passgate_gate *gate)
{
	if (!gate)
		return;
	close(gate->fd);
	free(gate);
}

int passgate_gate_fd(struct passgate_gate *gate)
{
	return gate->fd;
}

int passgate_gate_get_state(struct passgate_gate *gate,
			    struct passgate_gate_state *state)
{
	memset(state, 0, sizeof(*state));
	state->size = sizeof(*state);
	return ioctl(gate->fd, PASSGATE_IOC_GATE_GET_STATE, state) ? -1 : 0;
}

int passgate_gate_set_mode(struct passgate_gate *gate, unsigned int mode)
{
	struct passgate_mode m = { .size = sizeof(m), .mode = mode };

	return ioctl(gate->fd, PASSGATE_IOC_GATE_SET_MODE, &m) ? -1 : 0;
}

int passgate_gate_reset_fire(struct passgate_gate *gate)
{
	struct passgate_reset r = { .size = sizeof(r) };

	return ioctl(gate->fd, PASSGATE_IOC_GATE_RESET_FIRE, &r) ? -1 : 0;
}

int passgate_gate_seek_events(struct passgate_gate *gate, uint64_t seq)
{
	off_t ret;

	if (seq == UINT64_MAX)
		ret = lseek(gate->fd, 0, SEEK_END);
	else
		ret = lseek(gate->fd, (off_t)seq, SEEK_SET);
	return ret < 0 ? -1 : 0;
}

ssize_t passgate_gate_read_events(struct passgate_gate *gate,
				  struct passgate_event *events, size_t max)
{
	ssize_t n = read(gate->fd, events, max * sizeof(*events));

	return n < 0 ? -1 : n / (ssize_t)sizeof(*events);
}

int passgate_gate_set_key(struct passgate_gate *gate, const uint8_t *key,
			  size_t len)
{
	struct passgate_key k = { .size = sizeof(k) };
	int ret;

	if (len != sizeof(k.key)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(k.key, key, len);
	ret = ioctl(gate->fd, PASSGATE_IOC_GATE_SET_KEY, &k) ? -1 : 0;
	/* The key must not linger in memory. */
	explicit_bzero(k.key, sizeof(k.key));
	return ret;
}

int passgate_gate_note(struct passgate_gate *gate, unsigned int type,
		       unsigned int arg, uint64_t value, const void *data,
		       size_t len)
{
	struct passgate_note note = {
		.size = sizeof(note),
		.type = type,
		.arg = arg,
		.value = value,
	};

	if (len > sizeof(note.data)) {
		errno = EINVAL;
		return -1;
	}
	if (len)
		memcpy(note.data, data, len);

	return ioctl(gate->fd, PASSGATE_IOC_GATE_NOTE, &note) ? -1 : 0;
}
