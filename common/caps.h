/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capabilities a long-running program keeps after start-up.  Error
 * contract: <common/fail.h> (these set errno only).
 */
#ifndef PASSGATE_COMMON_CAPS_H
#define PASSGATE_COMMON_CAPS_H

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

/* The effective set, as a mask of PASSGATE_CAP() bits. */
int passgate_caps_effective(uint64_t *caps);

#endif
