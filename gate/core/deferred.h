/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's answer to a scan the fast path deferred (the slow path,
 * gate/passgated/slow.c), decided apart from its descriptors so that a
 * host test holds it to the fast path's rules: it never accepts what the
 * policy program refuses on the scan alone.
 */
#ifndef PASSGATE_DEFERRED_H
#define PASSGATE_DEFERRED_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/passgate.h>

/*
 * The verdict for @scan at @now (unix seconds), its reason in *@reason:
 * an ID card read with its dates (PASSGATE_SCAN_F_CARD_DATES) and past
 * its last day is DENY(ID_EXPIRED), as on the fast path; else a staff
 * credential (@staff: found in the staff file) is ACCEPT; everything
 * else DENY(@slow_reason).
 */
enum passgate_verdict
passgate_deferred_verdict(const struct passgate_scan *scan, bool staff,
			  uint32_t slow_reason, uint64_t now, uint32_t *reason);

#endif
