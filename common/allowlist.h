/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The signed allowlist file format, version 1 (docs/allowlist-format.md).
 * Little-endian throughout; the file is a header followed by entry_count
 * entries sorted by digest (memcmp order, no duplicates), and travels with
 * a detached minisign signature (<file>.minisig).  The header says what
 * the list holds: health codes (struct passgate_list_entry) or train
 * tickets (struct passgate_ticket_entry), each kind with its own
 * generations.  Both entries start with the digest and the status, at
 * the same offsets, so sorting and deltas treat them alike.
 */
#ifndef PASSGATE_ALLOWLIST_H
#define PASSGATE_ALLOWLIST_H

#include <linux/types.h>

#define PASSGATE_LIST_MAGIC "PGLIST\r\n"
#define PASSGATE_LIST_VERSION 1
/*
 * Digests in lists and in the kernel's maps are the first 16 bytes of the
 * 32-byte credential digest: see docs/allowlist-format.md for why.
 */
#define PASSGATE_LIST_DIGEST 16
/*
 * Lists above this size are refused before anything is read, unless a
 * gate is configured for more (max_list_bytes), up to
 * PASSGATE_LIST_LIMIT_BYTES: a province's 60 million health codes are
 * a 2.9 GB file, which only a gate PC set up for them takes.
 */
#define PASSGATE_LIST_MAX_BYTES (1ull << 30)
#define PASSGATE_LIST_LIMIT_BYTES (1ull << 33)

enum passgate_list_kind {
	PASSGATE_LIST_FULL = 1,
	PASSGATE_LIST_DELTA = 2,
};

/* struct passgate_list_header.holds */
enum passgate_list_holds {
	PASSGATE_LIST_CODES = 0,	/* health codes, as every list before */
	PASSGATE_LIST_TICKETS = 1,	/* train tickets, keyed by ID card */
};

enum passgate_list_status {
	PASSGATE_STATUS_REMOVE = 0,	/* delta only: drop this digest */
	PASSGATE_STATUS_GREEN = 1,
	PASSGATE_STATUS_YELLOW = 2,
	PASSGATE_STATUS_RED = 3,
};

/* struct passgate_list_entry.flags */
#define PASSGATE_ENTRY_TICKET (1u << 0)	/* holds a ticket for the station */

/* struct passgate_ticket_entry.status (0, PASSGATE_STATUS_REMOVE: deltas) */
#define PASSGATE_TICKET_ISSUED 1
/* struct passgate_ticket_entry.flags */
#define PASSGATE_TICKET_USED (1u << 0)	/* used, the railway's system says */

/* Printable ASCII, NUL-padded: station codes, ticket numbers, trains. */
#define PASSGATE_LIST_STATION_SIZE 16
#define PASSGATE_TICKET_NUMBER_SIZE 16
#define PASSGATE_TICKET_TRAIN_SIZE 8

struct passgate_list_header {
	__u8 magic[8];
	__u16 version;
	__u16 kind;
	__u32 header_size;
	__u8 key_id[8];
	__u64 generation;
	__u64 base_generation;
	__u64 issued_at;
	__u64 not_before;
	__u64 expires_at;
	__u64 entry_count;
	__u32 entry_size;
	__u32 digest_size;
	__u8 station[PASSGATE_LIST_STATION_SIZE];
	__u16 holds;
	__u8 reserved[30];
};

struct passgate_list_entry {
	__u8 digest[PASSGATE_LIST_DIGEST];
	__u8 status;
	__u8 flags;
	__u8 reserved[2];
	__u32 valid_from;
	__u32 valid_until;
	__u32 reserved2;
	__u8 id_digest[PASSGATE_LIST_DIGEST];
};

/*
 * One ticket of a list that holds tickets: the passenger whose ID card has
 * @digest may leave @station between @valid_from and @valid_until (unix
 * seconds; 0: no bound) on ticket @ticket of train @train.
 */
struct passgate_ticket_entry {
	__u8 digest[PASSGATE_LIST_DIGEST];
	__u8 status;
	__u8 flags;
	__u8 reserved[2];
	__u32 valid_from;
	__u32 valid_until;
	__u32 reserved2;
	__u8 station[PASSGATE_LIST_STATION_SIZE];
	__u8 ticket[PASSGATE_TICKET_NUMBER_SIZE];
	__u8 train[PASSGATE_TICKET_TRAIN_SIZE];
};

_Static_assert(sizeof(struct passgate_list_header) == 128, "list header");
_Static_assert(sizeof(struct passgate_list_entry) == 48, "list entry");
_Static_assert(sizeof(struct passgate_ticket_entry) == 72, "ticket entry");
_Static_assert(__builtin_offsetof(struct passgate_ticket_entry, status) ==
	       __builtin_offsetof(struct passgate_list_entry, status),
	       "both entries: the digest, then the status");

#endif
