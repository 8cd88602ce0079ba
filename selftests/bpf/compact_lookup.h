/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by compact_lookup.bpf.c and whatever runs it. */
#ifndef PASSGATE_COMPACT_LOOKUP_H
#define PASSGATE_COMPACT_LOOKUP_H

#include <linux/types.h>

#include "common/compactlist.h"

/*
 * The program's context (BPF_PROG_TEST_RUN): a digest in, and out
 * @found (1 found, 0 not, -1 no list in slot 0, -2 not a compact list)
 * with the entry at full width.
 */
struct compact_lookup_args {
	__u8 digest[PASSGATE_LIST_DIGEST];
	__s32 found;
	__u32 reserved;
	struct compact_view view;
};

#endif
