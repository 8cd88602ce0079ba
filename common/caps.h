/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capabilities a long-running program keeps after start-up.  Error
 * contract: <common/fail.h> (these set errno only).
 */
#ifndef PASSGATE_COMMON_CAPS_H
#define PASSGATE_COMMON_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#define PASSGATE_CAP(cap) (UINT64_C(1) << (cap))

/*
 * Keep only the capabilities in @keep (PASSGATE_CAP(CAP_BPF) | ...):
 * everything else leaves the effective, permitted and inheritable sets,
 * the ambient set is cleared, and, where the process may (CAP_SETPCAP),
 * the bounding set too, so nothing exec'd later gets them back.  A
 * capability in @keep that the process does not hold stays absent.
 */
int passgate_caps_limit(uint64_t keep);
/*
 * The same, keeping @keep permitted and only @effective of them in the
 * effective set: the rest are raised for a moment when needed
 * (passgate_caps_raise()).
 */
int passgate_caps_keep(uint64_t keep, uint64_t effective);

/*
 * Raise @cap into the calling thread's effective set, if it is
 * permitted; *@raised: whether this call did (it was not effective
 * before), so that passgate_caps_lower() puts back only what was
 * raised.  Capabilities are per thread: raise and lower on the thread
 * that needs it.
 */
int passgate_caps_raise(int cap, bool *raised);
int passgate_caps_lower(int cap);

/* The effective set, as a mask of PASSGATE_CAP() bits. */
int passgate_caps_effective(uint64_t *caps);

#endif
