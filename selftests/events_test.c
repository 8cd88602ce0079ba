// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gate's event stream: sequence numbers, timestamps, reading by
 * sequence number, blocking and poll, and the exact gap of an overrun.
 * Each test on a gate of its own, built by the test board's factory.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "factory_gate.h"
#include "gate_fixture.h"

#define TEST_GATE 21

static struct factory_gate test_gate;

FIXTURE(events) {
	int gate;
	int lane;
};

FIXTURE_SETUP(events)
{
	ASSERT_EQ(0, factory_gate_new(&test_gate, TEST_GATE,
				      "lanes=2 event-ring-size=256"));
	self->gate = gate_open(TEST_GATE, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->gate);
	self->lane = lane_open(TEST_GATE, 0, "turnstile", O_RDWR);
	ASSERT_LE(0, self->lane);
}

FIXTURE_TEARDOWN(events)
{
	close(self->gate);
	close(self->lane);
	factory_gate_delete(&test_gate);
}

static unsigned long long boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

TEST_F(events, numbered_and_stamped)
{
	struct passgate_gate_state gst;
	struct passgate_event ev[3];
	unsigned long long t0, t1;
	off_t next;

	ASSERT_EQ(0, gate_get_state(self->gate, &gst));
	next = lseek(self->gate, 0, SEEK_END);
	EXPECT_EQ(gst.event_next, next);
	EXPECT_EQ(256, gst.event_ring_size);
	EXPECT_EQ(2, gst.lanes);

	t0 = boottime_ns();
	ASSERT_EQ(0, lane_set_mode(self->lane, PASSGATE_MODE_FREE));
	ASSERT_EQ(0, lane_set_mode(self->lane, PASSGATE_MODE_CLOSED));
	ASSERT_EQ(0, lane_set_mode(self->lane, PASSGATE_MODE_NORMAL));
	t1 = boottime_ns();

	ASSERT_EQ(sizeof(ev), read(self->gate, ev, sizeof(ev)));
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(next + i, ev[i].seq);
		EXPECT_EQ(PASSGATE_EV_LANE_MODE, ev[i].type);
		EXPECT_EQ(0, ev[i].lane);
		EXPECT_LE(t0, ev[i].time_ns);
		EXPECT_GE(t1, ev[i].time_ns);
	}
	EXPECT_EQ(PASSGATE_MODE_FREE, ev[0].arg);
	EXPECT_EQ(PASSGATE_MODE_NORMAL, ev[2].arg);
	EXPECT_LE(ev[0].time_ns, ev[1].time_ns);
	EXPECT_EQ(next + 3, lseek(self->gate, 0, SEEK_CUR));

	/* Nothing more: EAGAIN, and poll says so. */
	EXPECT_EQ(-1, read(self->gate, ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);

	/* Any event again, by its sequence number. */
	ASSERT_EQ(next + 1, lseek(self->gate, next + 1, SEEK_SET));
	ASSERT_EQ(sizeof(ev[0]), read(self->gate, ev, sizeof(ev[0])));
	EXPECT_EQ(next + 1, ev[0].seq);
	EXPECT_EQ(PASSGATE_MODE_CLOSED, ev[0].arg);
}

TEST_F(events, short_buffer_einval)
{
	struct passgate_event ev;

	ASSERT_EQ(0, lseek(self->gate, 0, SEEK_SET));
	EXPECT_EQ(-1, read(self->gate, &ev, sizeof(ev) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->gate, -1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(events, poll_wakes_on_event)
{
	struct pollfd pfd = { .fd = self->gate, .events = POLLIN };
	struct passgate_event ev;

	ASSERT_LE(0, lseek(self->gate, 0, SEEK_END));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, lane_set_mode(self->lane, PASSGATE_MODE_NORMAL));
	ASSERT_EQ(1, poll(&pfd, 1, GATE_WAIT_MS));
	EXPECT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(sizeof(ev), read(self->gate, &ev, sizeof(ev)));
	EXPECT_EQ(PASSGATE_EV_LANE_MODE, ev.type);
}

TEST_F(events, overrun_reports_exact_gap)
{
	struct passgate_gate_state gst;
	struct passgate_event ev[2];
	off_t start;
	int i;

	start = lseek(self->gate, 0, SEEK_END);
	ASSERT_LE(0, start);
	/* One more than the ring holds, plus some. */
	for (i = 0; i < 256 + 44; i++)
		ASSERT_EQ(0, lane_set_mode(self->lane, PASSGATE_MODE_NORMAL));
	ASSERT_EQ(0, gate_get_state(self->gate, &gst));
	EXPECT_EQ(start + 300, gst.event_next);
	EXPECT_EQ(gst.event_next - 256, gst.event_first);

	ASSERT_EQ(sizeof(ev), read(self->gate, ev, sizeof(ev)));
	EXPECT_EQ(PASSGATE_EV_LOST, ev[0].type);
	EXPECT_EQ(start, ev[0].seq);
	EXPECT_EQ(gst.event_first - start, ev[0].value);
	EXPECT_EQ(44, ev[0].value);
	EXPECT_EQ(gst.event_first, ev[1].seq);
	EXPECT_EQ(PASSGATE_EV_LANE_MODE, ev[1].type);
	tally("event ring overrun: 300 events into a 256-slot ring, unread",
	      300, "a LOST record of exactly the overwritten events, then the "
	      "oldest kept one",
	      "LOST %llu from seq %llu, then seq %llu", (unsigned long long)
	      ev[0].value, (unsigned long long)ev[0].seq,
	      (unsigned long long)ev[1].seq);
}

TEST_F(events, unbound_gate_gives_enodev)
{
	char lane_dev[2][64], gate_dev[64];
	struct passgate_gate_state gst;
	struct passgate_event ev;

	for (int lane = 0; lane < 2; lane++)
		ASSERT_EQ(0, lane_device_name(TEST_GATE, lane, lane_dev[lane],
					      sizeof(lane_dev[lane])));
	ASSERT_EQ(0, gate_device_name(TEST_GATE, gate_dev, sizeof(gate_dev)));

	/* The lanes go with their gate (device link) and come back after. */
	ASSERT_EQ(0, driver_bind("passgate-gate", gate_dev, false));
	EXPECT_EQ(-ENODEV, gate_get_state(self->gate, &gst));
	EXPECT_EQ(-1, read(self->gate, &ev, sizeof(ev)));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, lseek(self->gate, 0, SEEK_END));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, lseek(self->gate, 0, SEEK_SET));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-ENODEV, lane_set_mode(self->lane, PASSGATE_MODE_NORMAL));
	EXPECT_EQ(-1, lane_open(TEST_GATE, 0, "turnstile", O_RDWR));

	ASSERT_EQ(0, driver_bind("passgate-gate", gate_dev, true));
	for (int lane = 0; lane < 2; lane++)
		ASSERT_EQ(0, driver_bind("passgate-turnstile", lane_dev[lane],
					 true));
	close(self->gate);
	self->gate = gate_open(TEST_GATE, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->gate);
	ASSERT_EQ(0, gate_get_state(self->gate, &gst));
	EXPECT_EQ(2, gst.lanes);
}

TEST_HARNESS_MAIN
