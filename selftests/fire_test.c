// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fire alarm: every lane FREE both ways from the interrupt path, held
 * until the inputs are quiet and an operator resets; the supervised line.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"

FIXTURE(fire) {
	int events;
	int lane[2];
};

FIXTURE_SETUP(fire)
{
	ASSERT_EQ(0, gate_restore());
	self->events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events);
	ASSERT_LE(0, lseek(self->events, 0, SEEK_END));
	for (int i = 0; i < 2; i++) {
		self->lane[i] = lane_open(0, i, "turnstile",
					  O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, self->lane[i]);
	}
}

FIXTURE_TEARDOWN(fire)
{
	close(self->events);
	close(self->lane[0]);
	close(self->lane[1]);
	gate_restore();
}

/* Every unlock output of both lanes is set. */
static bool all_open(void)
{
	for (int lane = 0; lane < 2; lane++)
		if (tb_read(TB_LANE_LINE(lane, TB_UNLOCK_EXIT)) != 1 ||
		    tb_read(TB_LANE_LINE(lane, TB_UNLOCK_ENTRY)) != 1)
			return false;
	return true;
}

static void expect_all_state(struct __test_metadata *_metadata,
			     int *lanes, unsigned int state)
{
	struct passgate_state st;

	for (int lane = 0; lane < 2; lane++) {
		ASSERT_EQ(0, lane_get_state(lanes[lane], &st));
		EXPECT_EQ(state, st.state) TH_LOG("lane %d", lane);
	}
}

static void alarm_and_reset(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fire) *self, unsigned int line,
			    unsigned int bit)
{
	struct passgate_gate_state gst, before;
	struct passgate_event ev;

	ASSERT_EQ(0, gate_get_state(self->events, &before));
	ASSERT_EQ(0, tb_drive(line, 1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_FIRE_ALARM,
				     PASSGATE_LANE_NONE, &ev));
	/* By the time the event is out, every lane is open both ways. */
	EXPECT_TRUE(all_open());
	EXPECT_EQ(bit | PASSGATE_FIRE_LATCHED, ev.arg);
	expect_all_state(_metadata, self->lane, PASSGATE_STATE_FREE);
	ASSERT_EQ(0, gate_get_state(self->events, &gst));
	EXPECT_EQ(before.fire_alarms + 1, gst.fire_alarms);

	/* Neither an open nor a reset while the alarm is on. */
	EXPECT_EQ(-EBUSY, lane_cmd_open(self->lane[0], PASSGATE_DIR_EXIT));
	EXPECT_EQ(-EBUSY, gate_reset_fire(self->events));

	ASSERT_EQ(0, tb_drive(line, 0));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_FIRE_CLEAR,
				     PASSGATE_LANE_NONE, &ev));
	/* Quiet inputs alone do not relock: an operator must reset. */
	EXPECT_TRUE(all_open());
	ASSERT_EQ(0, gate_get_state(self->events, &gst));
	EXPECT_EQ(PASSGATE_FIRE_LATCHED, gst.fire);

	ASSERT_EQ(0, gate_reset_fire(self->events));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_FIRE_RESET,
				     PASSGATE_LANE_NONE, &ev));
	/* Who reset it: this process, through an ioctl. */
	EXPECT_EQ(0, event_actor_is_me(&ev, 0));
	expect_all_state(_metadata, self->lane, PASSGATE_STATE_LOCKED);
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(1, TB_UNLOCK_EXIT)));
}

TEST_F(fire, alarm_while_locked)
{
	expect_all_state(_metadata, self->lane, PASSGATE_STATE_LOCKED);
	alarm_and_reset(_metadata, self, TB_FIRE_ALARM, PASSGATE_FIRE_ALARM);
}

TEST_F(fire, alarm_while_unlocked)
{
	ASSERT_EQ(0, lane_cmd_open(self->lane[0], PASSGATE_DIR_EXIT));
	ASSERT_EQ(0, lane_cmd_open(self->lane[1], PASSGATE_DIR_EXIT));
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_ENTRY)));
	alarm_and_reset(_metadata, self, TB_FIRE_ALARM, PASSGATE_FIRE_ALARM);
}

TEST_F(fire, alarm_overrides_lock_all)
{
	ASSERT_EQ(0, gate_set_mode(self->events, PASSGATE_GATE_LOCK_ALL));
	expect_all_state(_metadata, self->lane, PASSGATE_STATE_CLOSED);
	ASSERT_EQ(0, tb_drive(TB_FIRE_ALARM, 1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_FIRE_ALARM,
				     PASSGATE_LANE_NONE, NULL));
	EXPECT_TRUE(all_open());
	ASSERT_EQ(0, tb_drive(TB_FIRE_ALARM, 0));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_FIRE_CLEAR,
				     PASSGATE_LANE_NONE, NULL));
	ASSERT_EQ(0, gate_reset_fire(self->events));
	/* After the reset the operator's LOCK_ALL holds again. */
	expect_all_state(_metadata, self->lane, PASSGATE_STATE_CLOSED);
}

TEST_F(fire, supervision_fault_is_an_alarm)
{
	alarm_and_reset(_metadata, self, TB_FIRE_FAULT, PASSGATE_FIRE_FAULT);
}

TEST_F(fire, reset_without_alarm_changes_nothing)
{
	struct passgate_gate_state before, after;

	ASSERT_EQ(0, gate_get_state(self->events, &before));
	ASSERT_EQ(0, gate_reset_fire(self->events));
	ASSERT_EQ(0, gate_get_state(self->events, &after));
	EXPECT_EQ(before.event_next, after.event_next);
	EXPECT_EQ(0, after.fire);
}

TEST_HARNESS_MAIN
