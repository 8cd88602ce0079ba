/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by decide_test.bpf.c and the tests that load it. */
#ifndef PASSGATE_DECIDE_TEST_H
#define PASSGATE_DECIDE_TEST_H

#include <linux/types.h>

#define DECIDE_TEST_LANES 8

struct decide_test_key {
	__u8 digest[32];
};

/*
 * What the test program answers for a digest.  With @needs_id it answers
 * PENDING and remembers @id_digest for the lane; the ID card with that
 * digest on the same lane is then ACCEPTed.
 */
struct decide_test_verdict {
	__u32 verdict;
	__u32 reason;
	__u32 direction;
	__u32 needs_id;
	__u8 id_digest[32];
};

struct decide_test_pending {
	__u8 id_digest[32];
	__u32 set;
	__u32 direction;
};

#endif
