// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gate/core/deferred.h"

enum passgate_verdict
passgate_deferred_verdict(const struct passgate_scan *scan, bool staff,
			  uint32_t slow_reason, uint64_t now, uint32_t *reason)
{
	/* Until 0: a long-term card, which does not expire. */
	if ((scan->flags & PASSGATE_SCAN_F_CARD_DATES) &&
	    scan->card_valid_until && now >= scan->card_valid_until) {
		*reason = PASSGATE_REASON_ID_EXPIRED;
		return PASSGATE_VERDICT_DENY;
	}
	if (staff) {
		*reason = PASSGATE_REASON_NONE;
		return PASSGATE_VERDICT_ACCEPT;
	}
	*reason = slow_reason;
	return PASSGATE_VERDICT_DENY;
}
