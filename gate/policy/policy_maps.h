/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gate policy's maps and settings, shared by policy.bpf.c and the
 * userspace that loads, pins and configures it (docs/policy.md).
 */
#ifndef PASSGATE_POLICY_H
#define PASSGATE_POLICY_H

#include <linux/types.h>

#define POLICY_DIGEST 16
#define POLICY_TICKET_NUMBER 16
#define POLICY_LANES 128
#define POLICY_PASSBACK_ENTRIES 65536
/* Tickets used at this gate: the most recent ones (an LRU map). */
#define POLICY_TICKET_USES 65536
/* Uses on their way to the daemon's log: about 1300 records. */
#define POLICY_TICKET_LOG_BYTES (64 * 1024)

/*
 * The slots of the "lists" array of maps: one per kind of list, by
 * &enum passgate_list_holds, each swapped on its own.  Health codes are
 * in slot 0 only in the hash layout (POLICY_LAYOUT_HASH, the baseline
 * the bench compares with); in the compact layout they are in "codes".
 */
#define POLICY_SLOT_CODES 0
#define POLICY_SLOT_TICKETS 1
#define POLICY_LIST_SLOTS 2

/*
 * The slots of "codes" (compact layout, docs/list-layout.md): the base,
 * a full generation, and the overlay of deltas over it.
 */
#define POLICY_CODES_BASE 0
#define POLICY_CODES_OVERLAY 1
#define POLICY_CODES_SLOTS 2

/* The list's own entry: a key no credential digest takes in practice. */
#define POLICY_META_BYTE 0xff
#define POLICY_STATUS_META 0xff

struct policy_key {
	__u8 digest[POLICY_DIGEST];
};

/* A ticket's flags in its policy_entry, set by userspace at install. */
#define POLICY_TICKET_HERE (1u << 0)	/* for this gate's station */
#define POLICY_TICKET_USED (1u << 1)	/* the railway's system says: used */

/*
 * One list entry, times in CLOCK_TAI seconds (0: no bound).  A health
 * code's (slot 0): status, flags and validity from its list entry, and
 * the ID card bound to it.  A ticket's (slot 1, keyed by the ID card's
 * digest): status PASSGATE_TICKET_ISSUED, POLICY_TICKET_* flags, the
 * window in which its passenger may leave, and its number.
 *
 * The entry under the all-0xff key describes the list itself: status
 * POLICY_STATUS_META, flags = the &enum passgate_list_holds of the slot
 * it belongs in, valid_from = not-before and valid_until = expiry, the
 * generation in the first 8 bytes of id_digest and the entry count in
 * the next 8 (little-endian).  It is in the same map as the entries, so
 * one swap changes both.
 */
struct policy_entry {
	__u8 status;
	__u8 flags;
	__u8 reserved[2];
	__u32 valid_from;
	__u32 valid_until;
	union {
		__u8 id_digest[POLICY_DIGEST];
		__u8 ticket[POLICY_TICKET_NUMBER];
	};
};

/* A ticket used at this gate (map "ticket_uses"): whose, which. */
struct policy_ticket_key {
	__u8 id_digest[POLICY_DIGEST];
	__u8 ticket[POLICY_TICKET_NUMBER];
};

/*
 * When it was used and until when its window runs (CLOCK_TAI seconds;
 * 0: no end), so that a kept copy can forget what no longer matters.
 */
struct policy_ticket_use {
	__u32 used_at;
	__u32 valid_until;
};

/* One use, as the program reports it on "ticket_log" (a ring buffer). */
struct policy_ticket_record {
	struct policy_ticket_key key;
	struct policy_ticket_use use;
};

/* What to do without a usable list, or with an unknown credential. */
enum policy_fallback {
	POLICY_FALLBACK_DENY = 0,	/* DENY, send to the manual check */
	POLICY_FALLBACK_DEFER = 1,	/* ask the slow path */
};

/* What an exit needs besides the health code and its ID card. */
enum policy_ticket {
	POLICY_TICKET_OFF = 0,		/* nothing */
	POLICY_TICKET_ID_CARD = 1,	/* the ID card's ticket, used once */
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
 * @ticket: &enum policy_ticket
 * @tai_offset_s: CLOCK_TAI minus CLOCK_REALTIME in seconds, for times a
 *	scan carries in unix seconds (an ID card's dates); the loader sets
 *	it whenever it writes the settings
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
	__u32 ticket;
	__u32 tai_offset_s;
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
