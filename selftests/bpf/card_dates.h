/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by card_dates.bpf.c and selftests/card_reader.h. */
#ifndef PASSGATE_CARD_DATES_H
#define PASSGATE_CARD_DATES_H

#include <linux/types.h>

#define CARD_DATES_CARDS 64

/* An ID card, by the full digest the module computes for its scan. */
struct card_dates_key {
	__u8 digest[32];
};

/* Its validity dates, unix seconds, as a SAM reader reads them. */
struct card_dates {
	__u32 valid_from;
	__u32 valid_until;
};

#endif
