// SPDX-License-Identifier: GPL-2.0-only
/*
 * Gates the firmware's test gate cannot express, each built for its test
 * by the test board's factory: eight lanes, a lane without beams, a gate
 * without a fire input, a fire on one gate of several, and the
 * configurations the driver must refuse.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "factory_gate.h"
#include "gate_fixture.h"

#define UNLOCK_EXIT_BIT PASSGATE_OUT_UNLOCK_EXIT

FIXTURE(factory) {
	struct factory_gate gate[2];
	int built[2];
};

FIXTURE_SETUP(factory)
{
}

FIXTURE_TEARDOWN(factory)
{
	for (int i = 0; i < 2; i++)
		if (self->built[i])
			factory_gate_delete(&self->gate[i]);
}

static int build(FIXTURE_DATA(factory) *self, int i, unsigned int id,
		 const char *spec)
{
	int ret = factory_gate_new(&self->gate[i], id, spec);

	self->built[i] = !ret;
	return ret;
}

static int node_exists(unsigned int gate, unsigned int lane)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/passgate/gate%u/lane%u/turnstile",
		 gate, lane);
	return !stat(path, &st);
}

/* Kernel log lines since @fd was opened at the end: has one @text? */
static int kmsg_has(int fd, const char *text)
{
	char rec[1024];
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (strstr(rec, text))
			return 1;
	}
	return 0;
}

/* Open lane @lane for exit and walk one passenger through it. */
static int one_passage(const struct factory_gate *fg, int events,
		       unsigned int lane)
{
	struct passgate_event ev;
	int fd, ret;

	fd = lane_open(fg->id, lane, "turnstile", O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ret = lane_cmd_open(fd, PASSGATE_DIR_EXIT);
	if (!ret)
		ret = lane_wait_outputs(fd, UNLOCK_EXIT_BIT, UNLOCK_EXIT_BIT);
	if (!ret && factory_gate_read(fg, FG_LANE_LINE(lane,
						       TB_UNLOCK_EXIT)) != 1)
		ret = -EIO;
	if (!ret)
		ret = factory_gate_beam(fg, fd, lane, PASSGATE_BEAM_INNER, 1);
	if (!ret)
		ret = factory_gate_beam(fg, fd, lane, PASSGATE_BEAM_OUTER, 1);
	if (!ret)
		ret = factory_gate_beam(fg, fd, lane, PASSGATE_BEAM_INNER, 0);
	if (!ret)
		ret = factory_gate_beam(fg, fd, lane, PASSGATE_BEAM_OUTER, 0);
	if (!ret)
		ret = gate_wait_event(events, PASSGATE_EV_PASSAGE, lane, &ev);
	if (!ret && ev.arg != PASSGATE_DIR_EXIT)
		ret = -EIO;
	if (!ret)
		ret = lane_wait_outputs(fd, UNLOCK_EXIT_BIT, 0);
	close(fd);
	return ret;
}

TEST_F(factory, eight_lanes_each_its_own)
{
	const struct factory_gate *fg = &self->gate[0];
	unsigned int lane, other, passages = 0;
	struct passgate_gate_state gs;
	int events;

	ASSERT_EQ(0, build(self, 0, 10, "lanes=8"));
	events = gate_open(10, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, events);
	ASSERT_EQ(0, gate_get_state(events, &gs));
	EXPECT_EQ(8, gs.lanes);
	for (lane = 0; lane < 8; lane++) {
		struct passgate_info info = { .size = sizeof(info) };
		int fd = lane_open(10, lane, "turnstile", O_RDWR);

		ASSERT_LE(0, fd) TH_LOG("lane %u", lane);
		ASSERT_EQ(0, ioctl(fd, PASSGATE_IOC_GET_INFO, &info));
		close(fd);
		EXPECT_EQ(10, info.gate);
		EXPECT_EQ(lane, info.lane);
		EXPECT_EQ(PASSGATE_CAP_UNLOCK_EXIT | PASSGATE_CAP_UNLOCK_ENTRY |
			  PASSGATE_CAP_BEAMS | PASSGATE_CAP_ALARM |
			  PASSGATE_CAP_INDICATOR | PASSGATE_CAP_FAIL_SAFE,
			  info.capabilities);
	}
	/* Each lane's unlock drives its own line and no other lane's. */
	for (lane = 0; lane < 8; lane++) {
		ASSERT_EQ(0, one_passage(fg, events, lane))
			TH_LOG("lane %u", lane);
		passages++;
		for (other = 0; other < 8; other++)
			EXPECT_EQ(0, factory_gate_read(fg,
				FG_LANE_LINE(other, TB_UNLOCK_EXIT)));
	}
	close(events);
	tally("factory gate with 8 lanes, a passenger through each", passages,
	      "each lane unlocks its own line, sees its passage, relocks",
	      "%u of 8 passages counted on their own lane", passages);

	ASSERT_EQ(0, factory_gate_delete(&self->gate[0]));
	self->built[0] = 0;
	EXPECT_FALSE(node_exists(10, 0));
}

TEST_F(factory, lane_without_beams_ends_each_unlock_at_its_timeout)
{
	const struct factory_gate *fg = &self->gate[0];
	struct passgate_info info = { .size = sizeof(info) };
	struct passgate_state state;
	struct passgate_event ev;
	int events, fd;

	/* Lane 0 with beams, lane 1 without. */
	ASSERT_EQ(0, build(self, 0, 11,
			   "lanes=2 beams=1 passage-timeout-ms=300"));
	events = gate_open(11, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, events);
	fd = lane_open(11, 1, "turnstile", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, PASSGATE_IOC_GET_INFO, &info));
	EXPECT_EQ(0, info.capabilities & PASSGATE_CAP_BEAMS);

	ASSERT_EQ(0, lane_cmd_open(fd, PASSGATE_DIR_EXIT));
	ASSERT_EQ(0, lane_wait_outputs(fd, UNLOCK_EXIT_BIT, UNLOCK_EXIT_BIT));
	EXPECT_EQ(1, factory_gate_read(fg, FG_LANE_LINE(1, TB_UNLOCK_EXIT)));
	/* No beam to see the passenger: the unlock ends at its timeout. */
	ASSERT_EQ(0, gate_wait_event(events, PASSGATE_EV_TIMEOUT, 1, &ev));
	ASSERT_EQ(0, lane_wait_outputs(fd, UNLOCK_EXIT_BIT, 0));
	EXPECT_EQ(0, factory_gate_read(fg, FG_LANE_LINE(1, TB_UNLOCK_EXIT)));
	ASSERT_EQ(0, lane_get_state(fd, &state));
	EXPECT_EQ(PASSGATE_STATE_LOCKED, state.state);
	EXPECT_EQ(0, state.beams);
	EXPECT_EQ(0, state.alarms);
	close(fd);

	/* Lane 0, with its beams, counts a passage as before. */
	EXPECT_EQ(0, one_passage(fg, events, 0));
	close(events);
}

TEST_F(factory, gate_without_fire_input_runs_its_lanes)
{
	struct passgate_gate_state gs;
	int events;

	ASSERT_EQ(0, build(self, 0, 12, "lanes=1 fire=none"));
	events = gate_open(12, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, events);
	ASSERT_EQ(0, gate_get_state(events, &gs));
	EXPECT_EQ(0, gs.fire);
	EXPECT_EQ(1, gs.lanes);
	/* Nothing to reset, nothing refused. */
	EXPECT_EQ(0, gate_reset_fire(events));
	EXPECT_EQ(0, one_passage(&self->gate[0], events, 0));
	close(events);
}

TEST_F(factory, fire_frees_its_own_gate_only)
{
	const struct factory_gate *a = &self->gate[0], *b = &self->gate[1];
	struct passgate_event ev;
	int events, fd;

	/* Lane 1 of gate 13 fail-secure with the interlock. */
	ASSERT_EQ(0, build(self, 0, 13, "lanes=2 fail-secure=2"));
	ASSERT_EQ(0, build(self, 1, 14, "lanes=1"));
	events = gate_open(13, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, events);
	ASSERT_EQ(0, factory_gate_drive(a, FG_FIRE_ALARM, 1));
	ASSERT_EQ(0, gate_wait_event(events, PASSGATE_EV_FIRE_ALARM,
				     PASSGATE_LANE_NONE, &ev));
	for (unsigned int lane = 0; lane < 2; lane++) {
		fd = lane_open(13, lane, "turnstile", O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, lane_wait_outputs(fd, UNLOCK_EXIT_BIT,
					       UNLOCK_EXIT_BIT));
		close(fd);
		EXPECT_EQ(1, factory_gate_read(a,
				FG_LANE_LINE(lane, TB_UNLOCK_EXIT)));
	}
	/* Gate 14 and the firmware's gate 0 stay locked. */
	EXPECT_EQ(0, factory_gate_read(b, FG_LANE_LINE(0, TB_UNLOCK_EXIT)));
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
	ASSERT_EQ(0, factory_gate_drive(a, FG_FIRE_ALARM, 0));
	ASSERT_EQ(0, gate_wait_event(events, PASSGATE_EV_FIRE_CLEAR,
				     PASSGATE_LANE_NONE, &ev));
	close(events);
}

TEST_F(factory, refused_configurations_build_nothing_unsafe)
{
	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	ASSERT_LE(0, kmsg);
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
	/* One beam cannot tell a direction: that lane is refused. */
	ASSERT_EQ(0, build(self, 0, 15, "lanes=2 one-beam=2"));
	EXPECT_TRUE(node_exists(15, 0));
	EXPECT_FALSE(node_exists(15, 1));
	EXPECT_TRUE(kmsg_has(kmsg, "both or neither"));
	/* A fail-secure exit without the interlock: refused, never driven. */
	ASSERT_EQ(0, build(self, 1, 16, "lanes=1 no-interlock=1"));
	EXPECT_FALSE(node_exists(16, 0));
	EXPECT_TRUE(kmsg_has(kmsg, "fire-interlock"));
	EXPECT_EQ(0, factory_gate_is_output(&self->gate[1],
					    FG_LANE_LINE(0, TB_UNLOCK_EXIT)));
	close(kmsg);

	/* Words the factory does not take build nothing. */
	struct factory_gate bad;

	EXPECT_EQ(-EINVAL, factory_gate_new(&bad, 17, "lanes=9"));
	EXPECT_EQ(-EINVAL, factory_gate_new(&bad, 17, "lanes=0"));
	EXPECT_EQ(-EINVAL, factory_gate_new(&bad, 17, "lanes=1 colour=red"));
	EXPECT_EQ(-EINVAL, factory_gate_new(&bad, 1, "lanes=1"));
	EXPECT_EQ(-EEXIST, factory_gate_new(&bad, 15, "lanes=1"));
	EXPECT_FALSE(node_exists(17, 0));
}

TEST_HARNESS_MAIN
