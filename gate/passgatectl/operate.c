// SPDX-License-Identifier: GPL-2.0-only
/*
 * The operator's lane commands, for one lane or all of them:
 *   open LANE|all [exit|entry]   one passage
 *   free LANE|all                both ways open (all: the gate's FREE_ALL)
 *   close LANE|all               out of service (all: LOCK_ALL)
 *   normal LANE|all              back to normal (all: the gate's NORMAL)
 *   reset LANE|all               reset the lane's alarm latches
 * and `status`, the gate at a glance.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "gate/policy/loader.h"

enum lane_op { OP_OPEN, OP_FREE, OP_CLOSE, OP_NORMAL, OP_RESET };

static int lane_apply(const struct options *o, unsigned int lane,
		      enum lane_op op, int dir)
{
	struct passgate_lane *l = passgate_lane_open(o->gate, lane, O_RDWR);
	char what[32];
	int ret;

	snprintf(what, sizeof(what), "lane %u", lane);
	if (!l)
		return fail(what);
	switch (op) {
	case OP_OPEN:
		ret = passgate_lane_unlock(l, dir);
		break;
	case OP_FREE:
		ret = passgate_lane_set_mode(l, PASSGATE_MODE_FREE);
		break;
	case OP_CLOSE:
		ret = passgate_lane_set_mode(l, PASSGATE_MODE_CLOSED);
		break;
	case OP_NORMAL:
		ret = passgate_lane_set_mode(l, PASSGATE_MODE_NORMAL);
		break;
	default:
		ret = passgate_lane_reset_alarms(l);
	}
	passgate_lane_close(l);
	return ret ? fail(what) : 0;
}

/* The lanes of the gate, by number. */
static int lanes_of(const struct options *o, unsigned int *lanes, int max)
{
	char pattern[64];
	int n = 0;
	size_t i;
	glob_t g;

	snprintf(pattern, sizeof(pattern), "/dev/passgate/gate%u/lane*",
		 o->gate);
	if (glob(pattern, 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc && n < max; i++)
		if (sscanf(strrchr(g.gl_pathv[i], '/'), "/lane%u",
			   &lanes[n]) == 1)
			n++;
	globfree(&g);
	return n;
}

static int gate_apply(const struct options *o, unsigned int mode)
{
	struct passgate_gate *gate = passgate_gate_open(o->gate, O_RDWR);
	int ret;

	if (!gate)
		return fail("gate");
	ret = passgate_gate_set_mode(gate, mode);
	passgate_gate_close(gate);
	return ret ? fail("gate mode") : 0;
}

static int run_op(const struct options *o, int argc, char **argv,
		  enum lane_op op)
{
	static const unsigned int gate_modes[] = {
		[OP_FREE] = PASSGATE_GATE_FREE_ALL,
		[OP_CLOSE] = PASSGATE_GATE_LOCK_ALL,
		[OP_NORMAL] = PASSGATE_GATE_NORMAL,
	};
	unsigned int lanes[128], lane;
	int dir = PASSGATE_DIR_EXIT, n, i, status = 0;
	char *end;

	if (argc == 3) {
		if (op != OP_OPEN)
			return 2;
		dir = passgate_direction_parse(argv[2]);
		if (dir < 0) {
			fprintf(stderr, "passgatectl: not a direction (exit or"
				" entry): %s\n", argv[2]);
			return 2;
		}
	}
	if (strcmp(argv[1], "all")) {
		errno = 0;
		lane = strtoul(argv[1], &end, 10);
		if (errno || *end || !*argv[1]) {
			fprintf(stderr, "passgatectl: not a lane: %s\n", argv[1]);
			return 2;
		}
		return lane_apply(o, lane, op, dir);
	}
	/* The gate's own modes are one explicit, logged command. */
	if (op == OP_FREE || op == OP_CLOSE || op == OP_NORMAL)
		return gate_apply(o, gate_modes[op]);
	n = lanes_of(o, lanes, 128);
	for (i = 0; i < n; i++)
		status |= lane_apply(o, lanes[i], op, dir);
	return status;
}

int cmd_open(const struct options *o, int argc, char **argv)
{
	return run_op(o, argc, argv, OP_OPEN);
}

int cmd_free(const struct options *o, int argc, char **argv)
{
	return run_op(o, argc, argv, OP_FREE);
}

int cmd_close(const struct options *o, int argc, char **argv)
{
	return run_op(o, argc, argv, OP_CLOSE);
}

int cmd_normal(const struct options *o, int argc, char **argv)
{
	return run_op(o, argc, argv, OP_NORMAL);
}

int cmd_reset(const struct options *o, int argc, char **argv)
{
	return run_op(o, argc, argv, OP_RESET);
}
