// SPDX-License-Identifier: GPL-2.0-only
/*
 * At start, when the kernel has no list generation (a reboot or a module
 * upgrade left the daemon a fresh policy), the generation the record
 * names comes back from the lists kept in the state folder
 * (gate/core/restore.h), verified again as any list: the health codes'
 * and, on their own record, the tickets'.  When nothing verifiable is
 * kept the gate stays degraded until the station's next list, and the
 * log and the journal say so.
 */
#include <inttypes.h>

#include "daemon.h"
#include "gate/core/restore.h"

static void restore_one(struct daemon *d, unsigned int holds)
{
	const char *what = holds == PASSGATE_LIST_TICKETS ?
			   "ticket generation" : "generation";
	struct passgate_list_info info;
	enum passgate_refusal refusal;
	char err[512] = "";
	int ret;

	ret = passgate_restore_list(&d->cfg, d->policy, d->gate, holds, &info,
				    &refusal, err, sizeof(err));
	if (ret > 0)
		return;
	if (ret) {
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
				 .generation = info.generation, .reason = err),
				 "%s %" PRIu64 " of the record not restored: "
				 "%s; degraded until the station's next list",
				 what, info.generation, err);
		return;
	}
	passgate_log_pri(LOG_NOTICE, PASSGATE_LOG_FIELDS(
			 .generation = info.generation),
			 "%s %" PRIu64 " restored from the lists kept in %s: "
			 "active again", what, info.generation,
			 d->cfg.state_dir);
}

void restore_run(struct daemon *d)
{
	restore_one(d, PASSGATE_LIST_CODES);
	restore_one(d, PASSGATE_LIST_TICKETS);
}
