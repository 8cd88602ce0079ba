// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ABI header's layout is part of the ABI: these sizes and offsets may
 * only grow at the end of a struct, never move.  Runs on the host.
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include <linux/passgate.h>

TEST(info_layout)
{
	EXPECT_EQ(40, sizeof(struct passgate_info));
	EXPECT_EQ(0, offsetof(struct passgate_info, size));
	EXPECT_EQ(4, offsetof(struct passgate_info, flags));
	EXPECT_EQ(8, offsetof(struct passgate_info, abi_version));
	EXPECT_EQ(20, offsetof(struct passgate_info, capabilities));
	EXPECT_EQ(36, offsetof(struct passgate_info, __reserved));
	EXPECT_EQ(0, sizeof(struct passgate_info) % 8);
}

TEST(state_layout)
{
	EXPECT_EQ(112, sizeof(struct passgate_state));
	EXPECT_EQ(8, offsetof(struct passgate_state, change));
	EXPECT_EQ(16, offsetof(struct passgate_state, state));
	EXPECT_EQ(28, offsetof(struct passgate_state, beams));
	EXPECT_EQ(40, offsetof(struct passgate_state, passages));
	EXPECT_EQ(72, offsetof(struct passgate_state, tailgates));
	EXPECT_EQ(80, offsetof(struct passgate_state, beam_blocked));
	EXPECT_EQ(88, offsetof(struct passgate_state, __reserved));
}

TEST(command_layouts)
{
	EXPECT_EQ(16, sizeof(struct passgate_open));
	EXPECT_EQ(8, offsetof(struct passgate_open, direction));
	EXPECT_EQ(16, sizeof(struct passgate_mode));
	EXPECT_EQ(8, offsetof(struct passgate_mode, mode));
	EXPECT_EQ(16, sizeof(struct passgate_reset));
	EXPECT_EQ(80, sizeof(struct passgate_gate_state));
	EXPECT_EQ(16, offsetof(struct passgate_gate_state, fire_alarms));
	EXPECT_EQ(24, offsetof(struct passgate_gate_state, event_first));
	EXPECT_EQ(40, offsetof(struct passgate_gate_state, event_ring_size));
	EXPECT_EQ(48, offsetof(struct passgate_gate_state, stream_id));
	EXPECT_EQ(64, offsetof(struct passgate_gate_state, __reserved));
}

TEST(event_layout)
{
	EXPECT_EQ(72, sizeof(struct passgate_event));
	EXPECT_EQ(8, offsetof(struct passgate_event, time_ns));
	EXPECT_EQ(16, offsetof(struct passgate_event, type));
	EXPECT_EQ(20, offsetof(struct passgate_event, lane));
	EXPECT_EQ(32, offsetof(struct passgate_event, value));
	EXPECT_EQ(40, offsetof(struct passgate_event, data));
}

TEST(decision_layout)
{
	EXPECT_EQ(96, sizeof(struct passgate_decision));
	EXPECT_EQ(40, offsetof(struct passgate_decision, digest));
	EXPECT_EQ(72, offsetof(struct passgate_decision, verdict));
	EXPECT_EQ(80, offsetof(struct passgate_decision, direction));
	EXPECT_EQ(84, offsetof(struct passgate_decision, card_valid_from));
	EXPECT_EQ(88, offsetof(struct passgate_decision, card_valid_until));
	EXPECT_EQ(52, offsetof(struct passgate_scan, card_valid_until));
	EXPECT_EQ(56, offsetof(struct passgate_scan, digest));
}

TEST(note_layout)
{
	/* Grown by data: callers whose struct ends at value still fit. */
	EXPECT_EQ(56, sizeof(struct passgate_note));
	EXPECT_EQ(16, offsetof(struct passgate_note, value));
	EXPECT_EQ(24, offsetof(struct passgate_note, data));
	EXPECT_EQ(32, sizeof(struct passgate_list_claim));
	EXPECT_EQ(16, offsetof(struct passgate_list_claim, flags));
	EXPECT_EQ(24, offsetof(struct passgate_list_claim, expires_at));
}

TEST(ioctl_numbers_stable)
{
	EXPECT_EQ(0xb800, PASSGATE_IOC_GET_INFO);
	EXPECT_EQ(0xb801, PASSGATE_IOC_GET_STATE);
	EXPECT_EQ(0xb802, PASSGATE_IOC_OPEN);
	EXPECT_EQ(0xb803, PASSGATE_IOC_SET_MODE);
	EXPECT_EQ(0xb804, PASSGATE_IOC_RESET_ALARMS);
	EXPECT_EQ(0xb810, PASSGATE_IOC_GATE_GET_STATE);
	EXPECT_EQ(0xb811, PASSGATE_IOC_GATE_SET_MODE);
	EXPECT_EQ(0xb812, PASSGATE_IOC_GATE_RESET_FIRE);
}

TEST_HARNESS_MAIN
