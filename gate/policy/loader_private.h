/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the loader's files share (loader.c: pins, adoption, settings,
 * the active generations; loader_hash.c: lists in hash maps;
 * loader_compact.c: health codes in the compact layout; loader_stream.c:
 * a list's entries read on a thread of their own).
 */
#ifndef PASSGATE_POLICY_LOADER_PRIVATE_H
#define PASSGATE_POLICY_LOADER_PRIVATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate/policy/loader.h"
#include "common/compactlist.h"

enum policy_pin {
	PIN_LISTS,
	PIN_CONFIG,
	PIN_LANES,
	PIN_PASSBACK,
	PIN_COUNTERS,
	PIN_TICKET_USES,
	PIN_TICKET_LOG,
	PIN_CODES,	/* compact layout only */
	PIN_MAPS,
	PIN_LINK = PIN_MAPS,
	PIN_COUNT,
};

/*
 * The list maps swapped into a slot of an outer map, each pinned as
 * the active one (active_pins in loader.c) for readers without
 * CAP_SYS_ADMIN.  ACTIVE_BASE is the health codes' map in either
 * layout: the hash map, or the compact base.
 */
enum policy_active {
	ACTIVE_BASE,
	ACTIVE_OVERLAY,	/* compact layout only */
	ACTIVE_TICKETS,
	ACTIVE_COUNT,
};

/* The active base, mapped read-only once for every delta on it. */
struct policy_base_map {
	uint32_t id;
	void *addr;
	size_t size;
	struct compact_list list;
};

struct passgate_policy {
	int fd[PIN_COUNT];
	char dir[PATH_MAX - 16];
	bool owner;	/* the daemon's: it alone mends the pins */
	enum passgate_policy_layout layout;
	struct policy_base_map base;
	uint64_t compact_at;	/* 0: the default threshold */
	char err[256];
};

/* Pins (loader.c). */
int policy_active_fd(struct passgate_policy *policy, enum policy_active which);
int policy_pin_next(const struct passgate_policy *policy,
		    enum policy_active which, int fd);
void policy_pin_swapped(const struct passgate_policy *policy,
			enum policy_active which, bool swapped);
/* Swap @fd into @which's slot, its pin following: 0 or -1. */
int policy_swap(struct passgate_policy *policy, enum policy_active which,
		int fd);
/* Empty @which's slot and drop its pin. */
int policy_slot_clear(struct passgate_policy *policy,
		      enum policy_active which);
int policy_fail(struct passgate_policy *policy, int errnum,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Hash maps (loader_hash.c): tickets always, codes in the hash layout. */
int policy_hash_load(struct passgate_policy *policy,
		     const struct passgate_list_info *info,
		     const char *station, passgate_entry_reader next,
		     void *ctx);
int policy_hash_active(struct passgate_policy *policy, unsigned int holds,
		       struct passgate_policy_active *active);

/* The compact layout (loader_compact.c). */
int policy_compact_load(struct passgate_policy *policy,
			const struct passgate_list_info *info,
			passgate_entry_reader next, void *ctx);
int policy_compact_active(struct passgate_policy *policy,
			  struct passgate_policy_active *active);
void policy_base_unmap(struct passgate_policy *policy);

/*
 * Entries read on a thread of their own (loader_stream.c), so that
 * reading and hashing a file overlaps with building from it: up to
 * STREAM_BUFS batches of @batch entries of @size bytes wait.
 */
#define STREAM_BUFS 4
#define STREAM_BATCH 8192

struct policy_stream;

struct policy_stream *policy_stream_start(passgate_entry_reader next,
					  void *ctx, size_t size);
/*
 * The next batch into *@buf: how many entries, 0 at the end, -1 with
 * the reader's errno.  Each batch is given back with
 * policy_stream_done() before the next is taken.
 */
ssize_t policy_stream_take(struct policy_stream *s, const void **buf);
void policy_stream_done(struct policy_stream *s);
/* Stop the reader wherever it is and free the stream. */
void policy_stream_stop(struct policy_stream *s);

/* CLOCK_TAI seconds of a unix time, 0 kept as no bound. */
uint32_t policy_tai_or_zero(uint32_t unix_seconds);

#endif
