// SPDX-License-Identifier: GPL-2.0-only
/*
 * The turnstile state machine, driven through the test board: passages,
 * timeouts, forced passages, tailgates, wrong directions, lane and gate
 * modes, privileges, and the outputs left behind at unbind.  Each test
 * builds its own gate with the board's factory, two lanes as the
 * firmware's test gate has them, and takes it down after: no test
 * inherits another's state.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "factory_gate.h"
#include "gate_fixture.h"

#define EXIT PASSGATE_DIR_EXIT
#define ENTRY PASSGATE_DIR_ENTRY
#define INNER PASSGATE_BEAM_INNER
#define OUTER PASSGATE_BEAM_OUTER

/*
 * Lane 0: exit and entry, passage timeout 2 s, no debounce, the default
 * beam-blocked hold; lane 1: exit only, 1 s, 10 ms debounce, 500 ms hold.
 */
#define TEST_GATE 20
#define TEST_GATE_SPEC "lanes=2 entry=1 passage-timeout-ms=2000,1000 " \
	"debounce-ms=0,10 beam-blocked-ms=5000,500"

static struct factory_gate test_gate;

static int build_gate(void)
{
	return factory_gate_new(&test_gate, TEST_GATE, TEST_GATE_SPEC);
}

FIXTURE(gate) {
	int events;
	int lane[2];
};

FIXTURE_SETUP(gate)
{
	unsigned int i;

	ASSERT_EQ(0, build_gate());
	self->events = gate_open(TEST_GATE, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events);
	/* Only what this test causes. */
	ASSERT_LE(0, lseek(self->events, 0, SEEK_END));
	for (i = 0; i < 2; i++) {
		self->lane[i] = lane_open(TEST_GATE, i, "turnstile",
					  O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, self->lane[i]);
	}
}

FIXTURE_TEARDOWN(gate)
{
	close(self->events);
	close(self->lane[0]);
	close(self->lane[1]);
	factory_gate_delete(&test_gate);
}

static int output(unsigned int lane, unsigned int what)
{
	return factory_gate_read(&test_gate, FG_LANE_LINE(lane, what));
}

/* Drive a beam and wait until the lane has seen it. */
static int beam(int state_fd, unsigned int lane, unsigned int which,
		int value)
{
	return factory_gate_beam(&test_gate, state_fd, lane, which, value);
}

TEST_F(gate, starts_locked)
{
	struct passgate_state st;

	ASSERT_EQ(0, lane_get_state(self->lane[0], &st));
	EXPECT_EQ(PASSGATE_STATE_LOCKED, st.state);
	EXPECT_EQ(PASSGATE_MODE_NORMAL, st.mode);
	EXPECT_EQ(PASSGATE_OUT_RED, st.outputs);
	EXPECT_EQ(0, output(0, TB_UNLOCK_EXIT));
	EXPECT_EQ(0, output(0, TB_UNLOCK_ENTRY));
	EXPECT_EQ(1, output(0, TB_RED));
	EXPECT_EQ(0, output(0, TB_GREEN));
}

TEST_F(gate, passage_then_relock)
{
	struct passgate_state before, st;
	struct passgate_event ev;
	int fd = self->lane[0];

	ASSERT_EQ(0, lane_get_state(fd, &before));
	ASSERT_EQ(0, lane_cmd_open(fd, EXIT));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_UNLOCK, 0, &ev));
	EXPECT_EQ(EXIT, ev.arg);
	EXPECT_EQ(1, output(0, TB_UNLOCK_EXIT));
	EXPECT_EQ(0, output(0, TB_UNLOCK_ENTRY));
	EXPECT_EQ(1, output(0, TB_GREEN));
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(PASSGATE_STATE_UNLOCKED, st.state);
	EXPECT_EQ(EXIT, st.direction);
	/* A second open while unlocked is refused. */
	EXPECT_EQ(-EBUSY, lane_cmd_open(fd, EXIT));

	ASSERT_EQ(0, beam(fd, 0, INNER, 1));
	ASSERT_EQ(0, beam(fd, 0, OUTER, 1));
	ASSERT_EQ(0, beam(fd, 0, INNER, 0));
	ASSERT_EQ(0, beam(fd, 0, OUTER, 0));

	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_PASSAGE, 0, &ev));
	EXPECT_EQ(EXIT, ev.arg);
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(PASSGATE_STATE_LOCKED, st.state);
	EXPECT_EQ(before.passages[EXIT] + 1, st.passages[EXIT]);
	EXPECT_EQ(before.passages[ENTRY], st.passages[ENTRY]);
	EXPECT_EQ(before.forced, st.forced);
	EXPECT_EQ(0, st.alarms);
	EXPECT_EQ(0, output(0, TB_UNLOCK_EXIT));
	EXPECT_EQ(1, output(0, TB_RED));
}

TEST_F(gate, backing_out_is_no_passage)
{
	struct passgate_state before, st;
	int fd = self->lane[0];

	ASSERT_EQ(0, lane_get_state(fd, &before));
	ASSERT_EQ(0, lane_cmd_open(fd, ENTRY));
	ASSERT_EQ(0, beam(fd, 0, OUTER, 1));
	ASSERT_EQ(0, beam(fd, 0, OUTER, 0));
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(PASSGATE_STATE_UNLOCKED, st.state);
	EXPECT_EQ(before.passages[ENTRY], st.passages[ENTRY]);
	EXPECT_EQ(1, output(0, TB_UNLOCK_ENTRY));
}

TEST_F(gate, timeout_relocks)
{
	struct passgate_state before, st;
	struct passgate_event ev;
	int fd = self->lane[1];

	ASSERT_EQ(0, lane_get_state(fd, &before));
	ASSERT_EQ(0, lane_cmd_open(fd, EXIT));
	EXPECT_EQ(1, output(1, TB_UNLOCK_EXIT));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_TIMEOUT, 1, &ev));
	EXPECT_EQ(EXIT, ev.arg);
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(PASSGATE_STATE_LOCKED, st.state);
	EXPECT_EQ(before.timeouts + 1, st.timeouts);
	EXPECT_EQ(0, output(1, TB_UNLOCK_EXIT));
}

TEST_F(gate, timeout_waits_for_passenger_in_lane)
{
	struct passgate_event ev;
	struct passgate_state st;
	int fd = self->lane[1];

	ASSERT_EQ(0, lane_cmd_open(fd, EXIT));
	ASSERT_EQ(0, beam(fd, 1, INNER, 1));
	/* Past the 1 s timeout: still open, someone is in the lane. */
	ASSERT_EQ(-ETIMEDOUT, gate_wait_event(self->events,
					      PASSGATE_EV_TIMEOUT, 1, &ev));
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(PASSGATE_STATE_UNLOCKED, st.state);
	/* They back out: now the timeout relocks. */
	ASSERT_EQ(0, beam(fd, 1, INNER, 0));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_TIMEOUT, 1, &ev));
	EXPECT_EQ(0, output(1, TB_UNLOCK_EXIT));
}

TEST_F(gate, forced_passage_pulses_alarm)
{
	struct passgate_state before, st;
	struct passgate_event ev;
	int fd = self->lane[0];

	ASSERT_EQ(0, lane_get_state(fd, &before));
	ASSERT_EQ(0, beam(fd, 0, INNER, 1));
	ASSERT_EQ(0, beam(fd, 0, OUTER, 1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_FORCED, 0, &ev));
	EXPECT_EQ(EXIT, ev.arg);
	EXPECT_EQ(1, output(0, TB_ALARM));
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(before.forced + 1, st.forced);
	EXPECT_EQ(PASSGATE_ALARM_FORCED, st.alarms);
	EXPECT_TRUE(st.outputs & PASSGATE_OUT_ALARM);

	ASSERT_EQ(0, beam(fd, 0, INNER, 0));
	ASSERT_EQ(0, beam(fd, 0, OUTER, 0));
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(before.passages[EXIT], st.passages[EXIT]);

	/* The pulse ends after alarm-ms; the alarm stays latched. */
	do {
		ASSERT_EQ(0, lane_wait_beams(fd, 0, 0, &st));
	} while (st.outputs & PASSGATE_OUT_ALARM);
	EXPECT_EQ(0, output(0, TB_ALARM));
	EXPECT_EQ(PASSGATE_ALARM_FORCED, st.alarms);

	ASSERT_EQ(0, lane_reset_alarms(fd));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_ALARMS_RESET, 0,
				     NULL));
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(0, st.alarms);
}

TEST_F(gate, wrong_direction_is_forced)
{
	struct passgate_state st;
	struct passgate_event ev;
	int fd = self->lane[0];

	/* Lane 1 is exit-only. */
	EXPECT_EQ(-EINVAL, lane_cmd_open(self->lane[1], ENTRY));
	EXPECT_EQ(-EINVAL, lane_cmd_open(fd, 2));

	ASSERT_EQ(0, lane_cmd_open(fd, EXIT));
	ASSERT_EQ(0, beam(fd, 0, OUTER, 1));
	ASSERT_EQ(0, beam(fd, 0, INNER, 1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_FORCED, 0, &ev));
	EXPECT_EQ(ENTRY, ev.arg);
	ASSERT_EQ(0, beam(fd, 0, OUTER, 0));
	ASSERT_EQ(0, beam(fd, 0, INNER, 0));
	/* The unlock for the exit is still there for its passenger. */
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(PASSGATE_STATE_UNLOCKED, st.state);
}

TEST_F(gate, tailgate)
{
	struct passgate_state before, st;
	struct passgate_event ev;
	int fd = self->lane[0];

	ASSERT_EQ(0, lane_get_state(fd, &before));
	ASSERT_EQ(0, lane_cmd_open(fd, EXIT));
	ASSERT_EQ(0, beam(fd, 0, INNER, 1));
	ASSERT_EQ(0, beam(fd, 0, OUTER, 1));
	ASSERT_EQ(0, beam(fd, 0, INNER, 0));
	/* A second person steps in behind the first. */
	ASSERT_EQ(0, beam(fd, 0, INNER, 1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_TAILGATE, 0,
				     &ev));
	EXPECT_EQ(EXIT, ev.arg);
	EXPECT_EQ(1, output(0, TB_ALARM));
	ASSERT_EQ(0, beam(fd, 0, OUTER, 0));
	ASSERT_EQ(0, beam(fd, 0, INNER, 0));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_PASSAGE, 0, &ev));

	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(before.tailgates + 1, st.tailgates);
	EXPECT_EQ(before.passages[EXIT] + 1, st.passages[EXIT]);
	EXPECT_TRUE(st.alarms & PASSGATE_ALARM_TAILGATE);
	EXPECT_EQ(PASSGATE_STATE_LOCKED, st.state);
}

/*
 * A bag left in the inner beam after one ACCEPT, and a queue through the
 * outer beam: every further person is a tailgate, before the timeout and
 * after it, and once the hold past the timeout is over the lane raises
 * BEAM_BLOCKED with its alarm held on; it is never relocked on a person.
 * Lane 1: passage timeout 1000 ms, beam-blocked hold 500 ms.
 */
TEST_F(gate, bag_in_inner_beam_and_a_queue_through_outer)
{
	struct passgate_state before, st;
	struct passgate_event ev;
	int fd = self->lane[1], i;

	ASSERT_EQ(0, lane_get_state(fd, &before));
	ASSERT_EQ(0, lane_cmd_open(fd, EXIT));
	ASSERT_EQ(0, beam(fd, 1, INNER, 1));
	/* The passenger who scanned, then four more behind the bag. */
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, beam(fd, 1, OUTER, 1));
		ASSERT_EQ(0, beam(fd, 1, OUTER, 0));
	}
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_BEAM_BLOCKED, 1,
				     &ev));
	EXPECT_EQ(EXIT, ev.arg);
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(PASSGATE_STATE_UNLOCKED, st.state);
	EXPECT_TRUE(st.alarms & PASSGATE_ALARM_BEAM_BLOCKED);
	EXPECT_EQ(before.beam_blocked + 1, st.beam_blocked);
	EXPECT_EQ(1, output(1, TB_ALARM));
	/* Five more, long past the timeout: each one counted. */
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, beam(fd, 1, OUTER, 1));
		ASSERT_EQ(0, gate_wait_event(self->events,
					     PASSGATE_EV_TAILGATE, 1, &ev));
		ASSERT_EQ(0, beam(fd, 1, OUTER, 0));
	}
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(before.tailgates + 9, st.tailgates);
	EXPECT_EQ(PASSGATE_STATE_UNLOCKED, st.state);
	EXPECT_EQ(1, output(1, TB_ALARM));

	/*
	 * The bag is taken away: one passage, relocked, and the alarm off
	 * once the last tailgate's pulse (alarm-ms) is over.
	 */
	ASSERT_EQ(0, beam(fd, 1, INNER, 0));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_PASSAGE, 1, &ev));
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(before.passages[EXIT] + 1, st.passages[EXIT]);
	EXPECT_EQ(PASSGATE_STATE_LOCKED, st.state);
	EXPECT_EQ(0, output(1, TB_UNLOCK_EXIT));
	ASSERT_EQ(0, lane_wait_outputs(fd, PASSGATE_OUT_ALARM, 0));
	EXPECT_EQ(0, output(1, TB_ALARM));
	/* Latched until an operator resets the alarms. */
	EXPECT_TRUE(st.alarms & PASSGATE_ALARM_BEAM_BLOCKED);
}

TEST_F(gate, lane_modes)
{
	struct passgate_state before, st;
	struct passgate_event ev;
	int fd = self->lane[0];

	ASSERT_EQ(0, lane_get_state(fd, &before));
	ASSERT_EQ(0, lane_set_mode(fd, PASSGATE_MODE_FREE));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LANE_MODE, 0,
				     &ev));
	EXPECT_EQ(PASSGATE_MODE_FREE, ev.arg);
	/* The event says who: this process, through an ioctl. */
	EXPECT_EQ(0, event_actor_is_me(&ev, 0));
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(PASSGATE_STATE_FREE, st.state);
	EXPECT_EQ(1, output(0, TB_UNLOCK_EXIT));
	EXPECT_EQ(1, output(0, TB_UNLOCK_ENTRY));
	EXPECT_EQ(-EBUSY, lane_cmd_open(fd, EXIT));
	/* FREE: passages count both ways and raise nothing. */
	ASSERT_EQ(0, beam(fd, 0, OUTER, 1));
	ASSERT_EQ(0, beam(fd, 0, INNER, 1));
	ASSERT_EQ(0, beam(fd, 0, OUTER, 0));
	ASSERT_EQ(0, beam(fd, 0, INNER, 0));
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(before.passages[ENTRY] + 1, st.passages[ENTRY]);
	EXPECT_EQ(before.forced, st.forced);

	ASSERT_EQ(0, lane_set_mode(fd, PASSGATE_MODE_CLOSED));
	ASSERT_EQ(0, lane_get_state(fd, &st));
	EXPECT_EQ(PASSGATE_STATE_CLOSED, st.state);
	EXPECT_EQ(0, output(0, TB_UNLOCK_EXIT));
	EXPECT_EQ(1, output(0, TB_RED));
	EXPECT_EQ(-EBUSY, lane_cmd_open(fd, EXIT));

	EXPECT_EQ(-EINVAL, lane_set_mode(fd, 3));
	ASSERT_EQ(0, lane_set_mode(fd, PASSGATE_MODE_NORMAL));
	EXPECT_EQ(0, lane_cmd_open(fd, EXIT));
}

TEST_F(gate, gate_modes)
{
	struct passgate_state st;
	struct passgate_event ev;
	int gfd = self->events;

	ASSERT_EQ(0, lane_cmd_open(self->lane[1], EXIT));
	ASSERT_EQ(0, gate_set_mode(gfd, PASSGATE_GATE_FREE_ALL));
	ASSERT_EQ(0, gate_wait_event(gfd, PASSGATE_EV_GATE_MODE,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(PASSGATE_GATE_FREE_ALL, ev.arg);
	for (int lane = 0; lane < 2; lane++) {
		ASSERT_EQ(0, lane_get_state(self->lane[lane], &st));
		EXPECT_EQ(PASSGATE_STATE_FREE, st.state);
		EXPECT_EQ(1, output(lane, TB_UNLOCK_EXIT));
		EXPECT_EQ(1, output(lane, TB_UNLOCK_ENTRY));
	}

	ASSERT_EQ(0, gate_set_mode(gfd, PASSGATE_GATE_LOCK_ALL));
	for (int lane = 0; lane < 2; lane++) {
		ASSERT_EQ(0, lane_get_state(self->lane[lane], &st));
		EXPECT_EQ(PASSGATE_STATE_CLOSED, st.state);
		EXPECT_EQ(0, output(lane, TB_UNLOCK_EXIT));
		EXPECT_EQ(-EBUSY, lane_cmd_open(self->lane[lane], EXIT));
	}
	EXPECT_EQ(-EINVAL, gate_set_mode(gfd, 3));

	/* Back to NORMAL: the unlock from before the override is gone. */
	ASSERT_EQ(0, gate_set_mode(gfd, PASSGATE_GATE_NORMAL));
	ASSERT_EQ(0, lane_get_state(self->lane[1], &st));
	EXPECT_EQ(PASSGATE_STATE_LOCKED, st.state);
}

/*
 * The node's permissions decide at open(): a file opened read-only
 * observes and cannot act, and a file opened for writing acts without
 * any capability (uapi DOC "Access control").
 */
TEST_F(gate, acting_needs_a_file_opened_for_writing)
{
	struct passgate_note note = { .size = sizeof(note),
				      .type = PASSGATE_EV_LIST_EXPIRED };
	struct passgate_key key = { .size = sizeof(key),
				    .flags = PASSGATE_KEY_F_REPLACE };
	struct passgate_info info = { .size = sizeof(info) };
	struct passgate_gate_state gst;
	struct passgate_event ev;
	struct passgate_state st;
	int ro, gate_ro;

	ro = lane_open(TEST_GATE, 0, "turnstile", O_RDONLY | O_NONBLOCK);
	gate_ro = gate_open(TEST_GATE, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, ro);
	ASSERT_LE(0, gate_ro);
	ASSERT_LE(0, lseek(gate_ro, 0, SEEK_END));
	EXPECT_EQ(-EPERM, lane_cmd_open(ro, EXIT));
	EXPECT_EQ(-EPERM, lane_set_mode(ro, PASSGATE_MODE_FREE));
	EXPECT_EQ(-EPERM, lane_reset_alarms(ro));
	EXPECT_EQ(-EPERM, gate_set_mode(gate_ro, PASSGATE_GATE_FREE_ALL));
	EXPECT_EQ(-EPERM, gate_reset_fire(gate_ro));
	EXPECT_EQ(-1, ioctl(gate_ro, PASSGATE_IOC_GATE_NOTE, &note));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(gate_ro, PASSGATE_IOC_GATE_SET_KEY, &key));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, output(0, TB_UNLOCK_EXIT));
	EXPECT_EQ(0, gate_get_state(gate_ro, &gst));
	EXPECT_EQ(PASSGATE_GATE_NORMAL, gst.mode);
	/* Nothing of it reached the event stream. */
	EXPECT_EQ(-1, read(gate_ro, &ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);

	/* Observing works on the read-only files. */
	EXPECT_EQ(0, lane_get_state(ro, &st));
	EXPECT_EQ(PASSGATE_STATE_LOCKED, st.state);
	EXPECT_EQ(0, ioctl(ro, PASSGATE_IOC_GET_INFO, &info));
	EXPECT_EQ((ssize_t)sizeof(st), read(ro, &st, sizeof(st)));

	/* The right is the file's, not a capability's. */
	ASSERT_EQ(0, drop_cap_sys_admin());
	EXPECT_EQ(0, lane_cmd_open(self->lane[0], EXIT));
	EXPECT_EQ(1, output(0, TB_UNLOCK_EXIT));
	close(ro);
	close(gate_ro);
}

TEST_F(gate, commands_belong_to_their_node)
{
	struct passgate_mode m = { .size = sizeof(m) };

	EXPECT_EQ(-1, ioctl(self->lane[0], PASSGATE_IOC_GATE_SET_MODE, &m));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->events, PASSGATE_IOC_SET_MODE, &m));
	EXPECT_EQ(ENOTTY, errno);
}

FIXTURE(unbind) {
	char device[2][64];
	int fd[2];
};

FIXTURE_SETUP(unbind)
{
	ASSERT_EQ(0, build_gate());
	for (int lane = 0; lane < 2; lane++) {
		ASSERT_EQ(0, lane_device_name(TEST_GATE, lane,
					      self->device[lane],
					      sizeof(self->device[lane])));
		self->fd[lane] = lane_open(TEST_GATE, lane, "turnstile",
					   O_RDWR);
		ASSERT_LE(0, self->fd[lane]);
	}
}

FIXTURE_TEARDOWN(unbind)
{
	for (int lane = 0; lane < 2; lane++)
		close(self->fd[lane]);
	factory_gate_delete(&test_gate);
}

TEST_F(unbind, unlocked_lane_takes_fail_mode)
{
	struct passgate_state st;

	ASSERT_EQ(0, lane_cmd_open(self->fd[0], EXIT));
	ASSERT_EQ(0, lane_cmd_open(self->fd[1], EXIT));
	ASSERT_EQ(1, output(1, TB_UNLOCK_EXIT));

	for (int lane = 0; lane < 2; lane++)
		ASSERT_EQ(0, driver_bind("passgate-turnstile",
					 self->device[lane], false));
	/*
	 * Both lanes let people out, so both are fail-safe: open both ways
	 * (gate 1's fail-secure lane: egress_test).
	 */
	EXPECT_EQ(1, output(0, TB_UNLOCK_EXIT));
	EXPECT_EQ(1, output(0, TB_UNLOCK_ENTRY));
	EXPECT_EQ(1, output(1, TB_UNLOCK_EXIT));
	EXPECT_EQ(1, output(1, TB_UNLOCK_ENTRY));
	EXPECT_EQ(0, output(0, TB_ALARM));
	EXPECT_EQ(-ENODEV, lane_get_state(self->fd[0], &st));

	/* Bound again, the lanes start LOCKED. */
	for (int lane = 0; lane < 2; lane++)
		ASSERT_EQ(0, driver_bind("passgate-turnstile",
					 self->device[lane], true));
	EXPECT_EQ(0, output(0, TB_UNLOCK_EXIT));
	EXPECT_EQ(0, output(0, TB_UNLOCK_ENTRY));
	EXPECT_EQ(1, output(0, TB_RED));
}

TEST_HARNESS_MAIN
