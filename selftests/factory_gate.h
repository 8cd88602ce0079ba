/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Gates a test builds for itself with the test board's factory
 * (selftests/testboard/factory.c, docs/testboard.md): exactly the lanes,
 * beams, fire inputs and fail modes it needs, on a chip of its own, gone
 * when the test is done.  Nothing to restore, nothing shared.
 */
#ifndef PASSGATE_FACTORY_GATE_H
#define PASSGATE_FACTORY_GATE_H

/* A factory gate's chip: its fire inputs, then 7 lines a lane. */
#define FG_FIRE_ALARM 0
#define FG_FIRE_FAULT 1
#define FG_LANE_LINE(lane, what) (2 + (lane) * 7 + (what))

struct factory_gate {
	unsigned int id;
};

/*
 * Build gate @id as the words of @spec say ("lanes=8 fire=none ...");
 * 0, or -errno (EINVAL: the factory refused the words, EEXIST: built).
 */
int factory_gate_new(struct factory_gate *fg, unsigned int id,
		     const char *spec);
/* Take it down, lanes first; 0 or -errno. */
int factory_gate_delete(struct factory_gate *fg);
/* Drive (0 or 1) or read a line of its chip; 0/value, or -errno. */
int factory_gate_drive(const struct factory_gate *fg, unsigned int line,
		       int value);
int factory_gate_read(const struct factory_gate *fg, unsigned int line);
/* Whether the driver ever made @line an output: 1, 0, or -errno. */
int factory_gate_is_output(const struct factory_gate *fg, unsigned int line);
/*
 * Drive beam @beam (PASSGATE_BEAM_*) of lane @lane and wait until the
 * lane, read through @state_fd (O_NONBLOCK), has seen it.
 */
int factory_gate_beam(const struct factory_gate *fg, int state_fd,
		      unsigned int lane, unsigned int beam, int value);

#endif
