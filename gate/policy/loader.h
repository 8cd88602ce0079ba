/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The gate policy's BPF state: loaded once, pinned under bpffs so that it
 * keeps deciding while no daemon runs, adopted again by whoever opens it.
 * Error contract: <common/fail.h>.
 */
#ifndef PASSGATE_POLICY_LIB_H
#define PASSGATE_POLICY_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "gate/policy/policy_maps.h"
#include "common/allowlist.h"
#include "common/listfile.h"

#define PASSGATE_PIN_ROOT "/sys/fs/bpf/passgate"

struct passgate_policy;

/*
 * How the health codes are held (docs/list-layout.md): compact, what
 * passgate runs, or a hash map per generation, as before, kept loadable
 * as the baseline the bench measures against.
 */
enum passgate_policy_layout {
	PASSGATE_LAYOUT_COMPACT = 0,
	PASSGATE_LAYOUT_HASH = 1,
};

/* An active generation, from its own entry in its list map. */
struct passgate_policy_active {
	uint64_t generation;
	uint32_t not_before_tai;
	uint32_t expires_tai;
	uint64_t entries;
};

/*
 * Adopt the policy pinned for @gate under @pin_root, or load, attach and
 * pin a new one with @cfg (then *@adopted is false).  An adopted policy
 * keeps its settings; passgate_policy_set_config() changes them.
 */
struct passgate_policy *passgate_policy_open(const char *pin_root,
					     unsigned int gate,
					     const struct policy_config *cfg,
					     bool *adopted);
/*
 * The same in @layout: a policy pinned in the other one is replaced as
 * another version's would be.
 */
struct passgate_policy *
passgate_policy_open_layout(const char *pin_root, unsigned int gate,
			    const struct policy_config *cfg,
			    enum passgate_policy_layout layout, bool *adopted);
/*
 * Adopt only, in whichever layout it is pinned: ENOENT when no complete
 * policy is pinned for @gate.
 */
struct passgate_policy *passgate_policy_adopt(const char *pin_root,
					      unsigned int gate);
void passgate_policy_close(struct passgate_policy *policy);
/* Detach the pinned policy of @gate and remove its pins. */
int passgate_policy_unpin(const char *pin_root, unsigned int gate);

int passgate_policy_get_config(struct passgate_policy *policy,
			       struct policy_config *cfg);
int passgate_policy_set_config(struct passgate_policy *policy,
			       const struct policy_config *cfg);
/*
 * The active generation of the list that holds @holds (&enum
 * passgate_list_holds).  ENOENT: none loaded yet.
 */
int passgate_policy_active_list(struct passgate_policy *policy,
				unsigned int holds,
				struct passgate_policy_active *active);
/* The same for the health codes. */
int passgate_policy_active(struct passgate_policy *policy,
			   struct passgate_policy_active *active);
int passgate_policy_counters(struct passgate_policy *policy,
			     uint64_t counters[POLICY_COUNTERS]);

/*
 * Fills @buf with up to @max entries of the type the list holds
 * (passgate_list_entry_size()); 0 at the end, -1 on error.
 */
typedef ssize_t (*passgate_entry_reader)(void *ctx, void *buf, size_t max);

/*
 * Build the generation described by @info in a new map, with the entries
 * @next reads, and swap it in.  Health codes (compact layout): a full
 * list becomes a new base, read on a thread of its own while this one
 * builds; a delta becomes a new overlay over the active base, or, once
 * the overlay would grow past its threshold, a new base folded from
 * base, overlay and delta.  Tickets, and codes in the hash layout: a
 * full list replaces the active map, a delta is applied to a copy.
 * Nothing is swapped unless @next reached its end without error: no scan
 * ever sees a half-built or unverified map.  The caller has checked
 * generation and base (passgate_install_list()).  @station is this
 * gate's: a ticket for it is marked POLICY_TICKET_HERE.  On failure,
 * passgate_policy_error() may say more than errno.
 */
int passgate_policy_load(struct passgate_policy *policy,
			 const struct passgate_list_info *info,
			 const char *station, passgate_entry_reader next,
			 void *ctx);
/* Why the last passgate_policy_load() failed, or "" when errno says. */
const char *passgate_policy_error(const struct passgate_policy *policy);
/*
 * Fold the overlay into a new base once a delta would make it hold more
 * than @entries (0: the default, COMPACT_OVERLAY_MAX or an eighth of the
 * base, at least 4096).  For tests.
 */
void passgate_policy_set_compact_threshold(struct passgate_policy *policy,
					   uint64_t entries);
/* One list entry of a list that holds @holds, as the program needs it. */
void passgate_policy_entry(unsigned int holds, const void *entry,
			   const char *station, struct policy_key *key,
			   struct policy_entry *val);

/*
 * Tickets used at this gate (docs/policy.md): add one unless it is
 * already there (0 either way); every one there, in a malloc'd array in
 * *@out (how many, or -1); the ring buffer on which the program reports
 * each new use as a struct policy_ticket_record.
 */
int passgate_policy_ticket_use_add(struct passgate_policy *policy,
				   const struct policy_ticket_record *rec);
ssize_t passgate_policy_ticket_uses(struct passgate_policy *policy,
				    struct policy_ticket_record **out);
int passgate_policy_ticket_log_fd(const struct passgate_policy *policy);

/* CLOCK_TAI seconds for a CLOCK_REALTIME (Unix) time in seconds. */
uint32_t passgate_policy_tai_seconds(uint64_t unix_seconds);

#endif
