/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gate policy's maps and settings, shared by policy.bpf.c and the
 * userspace that loads, pins and configures it (docs/policy.md).
 */
#ifndef PASSGATE_POLICY_H
#define PASSGATE_POLICY_H

#include <linux/types.h>

#define POLICY_DIGEST 16
#define POLICY_LANES 128
#define POLICY_PASSBACK_ENTRIES 65536

/* The list's own entry: a key no credential digest takes in practice. */
#define POLICY_META_BYTE 0xff
#define POLICY_STATUS_META 0xff

struct policy_key {
	__u8 digest[POLICY_DIGEST];
};

/*
 * One list entry.  The entry under the all-0xff key describes the list
 * itself: status POLICY_STATUS_META, valid_from = not-before and
 * valid_until = expiry, both in CLOCK_TAI seconds, and the generation in
 * the first 8 bytes of id_digest (little-endian).  It is in the same map
 * as the entries, so one swap changes both.
 */
struct policy_entry {
	__u8 status;
	__u8 flags;
	__u8 reserved[2];
	__u32 valid_from;
	__u32 valid_until;
	__u8 id_digest[POLICY_DIGEST];
};

/* What to do without a usable list, or with an unknown credential. */
enum policy_fallback {
	POLICY_FALLBACK_DENY = 0,	/* DENY, send to the manual check */
	POLICY_FALLBACK_DEFER = 1,	/* ask the slow path */
};

/**
 * struct policy_config - the policy's settings (map "config", key 0)
 * @gate: the gate this program decides for; other gates' scans are left
 * @direction: the direction an ACCEPT opens
 * @unknown: &enum policy_fallback for a credential not on the list
 * @degraded: &enum policy_fallback with no list, an expired list or one
 *	not yet valid
 * @require_ticket: GREEN codes also need the ticket flag
 * @fever_centi_c: DENY(FEVER) at or above this temperature; 0 = off
 * @no_temperature: &enum policy_fallback for a scan with no temperature
 *	while fever screening is on: DENY(NO_TEMPERATURE) or DEFER
 * @pair_window_ns: code and ID must come within this of each other
 * @passback_ns: a code accepted less than this ago is DENY(PASSBACK);
 *	0 = off
 */
struct policy_config {
	__u32 gate;
	__u32 direction;
	__u32 unknown;
	__u32 degraded;
	__u32 require_ticket;
	__s32 fever_centi_c;
	__u64 pair_window_ns;
	__u64 passback_ns;
	__u32 no_temperature;
	__u32 __pad;
};

/* Per lane: the credential waiting for its other half. */
struct policy_lane {
	__u64 code_ns;
	__u64 id_ns;
	__u8 code_digest[POLICY_DIGEST];
	__u8 want_id[POLICY_DIGEST];
	__u8 id_digest[POLICY_DIGEST];
};

/* Counters (map "counters"): index verdict * POLICY_REASONS + reason. */
#define POLICY_REASONS 32
#define POLICY_COUNTERS (4 * POLICY_REASONS)

#endif
