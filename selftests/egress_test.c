// SPDX-License-Identifier: GPL-2.0-only
/*
 * Egress in a fire whatever state the driver is in (docs/turnstile.md):
 * a lane unbound while its gate stays bound, a lane unbound during an
 * alarm, the module unloaded during an alarm, lanes whose probe waits for
 * their gate, and an alarm whose edge the driver never heard.  (Power-off
 * with the alarms raised: selftests/shutdown.sh.)  Gate 0's lanes are fail-safe; gate 1's lane is
 * fail-secure and declares the hardware fire interlock, so it is the one
 * that shows the driver opening a lane it let go of while it still holds
 * the lane's GPIOs.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"

/* From the folder the tests run in, as qemu/guest-gate.sh loads it. */
#define MODULE_FILE "passgate.ko"

FIXTURE(egress) {
	int events[TEST_GATES];
};

FIXTURE_SETUP(egress)
{
	ASSERT_EQ(0, gate_restore());
	for (int g = 0; g < TEST_GATES; g++) {
		self->events[g] = gate_open(g, O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, self->events[g]);
		ASSERT_LE(0, lseek(self->events[g], 0, SEEK_END));
	}
}

FIXTURE_TEARDOWN(egress)
{
	for (int g = 0; g < TEST_GATES; g++)
		close(self->events[g]);
	tb_drive(TB_FIRE_ALARM, 0);
	tb_drive(TB_GATE1_FIRE_ALARM, TB_GATE1_FIRE_QUIET);
	gate_restore();
}

/* Both unlock outputs of gate @g's lane @lane (1: open, 0: locked). */
static int unlock_outputs(unsigned int g, unsigned int lane)
{
	int exit = tb_read(TB_GATE_LANE_LINE(g, lane, TB_UNLOCK_EXIT));
	int entry = tb_read(TB_GATE_LANE_LINE(g, lane, TB_UNLOCK_ENTRY));

	if (exit < 0 || entry < 0)
		return -EIO;
	return exit && entry ? 1 : !exit && !entry ? 0 : -EINVAL;
}

/* Gate @g's fire alarm (gate 1's is wired normally closed). */
static int raise_fire(FIXTURE_DATA(egress) *self, unsigned int g)
{
	int ret = g ? tb_drive(TB_GATE1_FIRE_ALARM, TB_GATE1_FIRE_ALARMED) :
		  tb_drive(TB_FIRE_ALARM, 1);

	return ret ?: gate_wait_event(self->events[g], PASSGATE_EV_FIRE_ALARM,
				      PASSGATE_LANE_NONE, NULL);
}

/* The reported case: lane 1 unbound, gate 0 bound, then the alarm. */
TEST_F(egress, fire_opens_unbound_lane)
{
	char device[64];

	ASSERT_EQ(0, lane_device_name(0, 1, device, sizeof(device)));
	ASSERT_EQ(0, driver_bind("passgate-turnstile", device, false));
	/* An exit lane is fail-safe without the hardware interlock. */
	EXPECT_EQ(1, unlock_outputs(0, 1));
	ASSERT_EQ(0, raise_fire(self, 0));
	EXPECT_EQ(1, unlock_outputs(0, 0));
	EXPECT_EQ(1, unlock_outputs(0, 1));
}

/*
 * The fail-secure lane let go of during an alarm stays open: the driver
 * still holds its GPIOs while it unbinds, and the board keeps the lines
 * as they were left once they are released.
 */
TEST_F(egress, fire_during_unbind_keeps_lane_open)
{
	char device[64];

	ASSERT_EQ(0, lane_device_name(1, 0, device, sizeof(device)));
	ASSERT_EQ(0, raise_fire(self, 1));
	ASSERT_EQ(1, unlock_outputs(1, 0));
	ASSERT_EQ(0, driver_bind("passgate-turnstile", device, false));
	EXPECT_EQ(1, unlock_outputs(1, 0));
}

/* The module unloaded during gate 1's alarm: its lane stays open. */
TEST_F(egress, fire_during_module_unload_keeps_lane_open)
{
	int fd, g;

	ASSERT_LE(0, access(MODULE_FILE, R_OK)) TH_LOG("no ./%s", MODULE_FILE);
	ASSERT_EQ(0, raise_fire(self, 1));
	for (g = 0; g < TEST_GATES; g++) {
		close(self->events[g]);
		self->events[g] = -1;
	}
	ASSERT_EQ(0, syscall(SYS_delete_module, "passgate", O_NONBLOCK))
		TH_LOG("unload: %s", strerror(errno));
	EXPECT_EQ(1, unlock_outputs(1, 0));
	EXPECT_EQ(1, unlock_outputs(0, 0));
	EXPECT_EQ(1, unlock_outputs(0, 1));

	fd = open(MODULE_FILE, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, syscall(SYS_finit_module, fd, "", 0))
		TH_LOG("load: %s", strerror(errno));
	close(fd);
	for (g = 0; g < TEST_GATES; g++) {
		self->events[g] = gate_open(g, O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, self->events[g]);
	}
}

/* Without an alarm the same lane takes its fail mode: locked. */
TEST_F(egress, unbind_without_fire_takes_fail_mode)
{
	char device[64];

	ASSERT_EQ(0, lane_device_name(1, 0, device, sizeof(device)));
	ASSERT_EQ(0, lane_device_name(0, 1, device + 32, 32));
	ASSERT_EQ(0, driver_bind("passgate-turnstile", device, false));
	ASSERT_EQ(0, driver_bind("passgate-turnstile", device + 32, false));
	EXPECT_EQ(0, unlock_outputs(1, 0));
	EXPECT_EQ(1, unlock_outputs(0, 1));
}

/*
 * Gate 0 unbound: its lanes go with it and their probes wait for it.
 * The alarm then has no driver at all; the lanes are open by their fail
 * mode, and once the gate is back the lanes bind straight into FREE.
 */
TEST_F(egress, fire_while_lanes_wait_for_their_gate)
{
	struct passgate_state st;
	char device[64];
	int fd;

	ASSERT_EQ(0, gate_device_name(0, device, sizeof(device)));
	close(self->events[0]);
	self->events[0] = -1;
	ASSERT_EQ(0, driver_bind("passgate-gate", device, false));
	ASSERT_EQ(0, tb_drive(TB_FIRE_ALARM, 1));
	EXPECT_EQ(1, unlock_outputs(0, 0));
	EXPECT_EQ(1, unlock_outputs(0, 1));

	ASSERT_EQ(0, gate_bind_all());
	for (int lane = 0; lane < 2; lane++) {
		fd = lane_open(0, lane, "turnstile", O_RDWR);
		ASSERT_LE(0, fd) TH_LOG("lane %d", lane);
		ASSERT_EQ(0, lane_get_state(fd, &st));
		close(fd);
		EXPECT_EQ(PASSGATE_STATE_FREE, st.state) TH_LOG("lane %d", lane);
		EXPECT_EQ(1, unlock_outputs(0, lane)) TH_LOG("lane %d", lane);
	}
	self->events[0] = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events[0]);
}

/*
 * Gate 1's alarm contact is normally closed: the wire cut (the line no
 * longer held high) is an alarm, and the lane opens.
 */
TEST_F(egress, cut_fire_wire_is_an_alarm)
{
	struct passgate_event ev;

	ASSERT_EQ(0, unlock_outputs(1, 0));
	ASSERT_EQ(0, tb_drive(TB_GATE1_FIRE_ALARM, 0));
	ASSERT_EQ(0, gate_wait_event(self->events[1], PASSGATE_EV_FIRE_ALARM,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(PASSGATE_FIRE_ALARM | PASSGATE_FIRE_LATCHED, ev.arg);
	EXPECT_EQ(1, unlock_outputs(1, 0));
}

/* An alarm whose edge was lost is found by the re-sampling. */
TEST_F(egress, missed_edge_is_found)
{
	struct passgate_gate_state gst;

	ASSERT_EQ(0, tb_drive_quiet(TB_FIRE_ALARM, 1));
	ASSERT_EQ(0, gate_wait_event(self->events[0], PASSGATE_EV_FIRE_ALARM,
				     PASSGATE_LANE_NONE, NULL));
	EXPECT_EQ(1, unlock_outputs(0, 0));
	EXPECT_EQ(1, unlock_outputs(0, 1));
	ASSERT_EQ(0, tb_drive_quiet(TB_FIRE_ALARM, 0));
	ASSERT_EQ(0, gate_wait_event(self->events[0], PASSGATE_EV_FIRE_CLEAR,
				     PASSGATE_LANE_NONE, NULL));
	ASSERT_EQ(0, gate_get_state(self->events[0], &gst));
	EXPECT_EQ(PASSGATE_FIRE_LATCHED, gst.fire);
}

TEST_HARNESS_MAIN
