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
	EXPECT_EQ(56, sizeof(struct passgate_state));
	EXPECT_EQ(8, offsetof(struct passgate_state, change));
	EXPECT_EQ(16, offsetof(struct passgate_state, beams));
	EXPECT_EQ(24, offsetof(struct passgate_state, __reserved));
	EXPECT_EQ(0, sizeof(struct passgate_state) % 8);
}

TEST(ioctl_numbers_stable)
{
	EXPECT_EQ(0xb800, PASSGATE_IOC_GET_INFO);
	EXPECT_EQ(0xb801, PASSGATE_IOC_GET_STATE);
}

TEST_HARNESS_MAIN
