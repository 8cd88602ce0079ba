/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lists behind the generation the record names, kept in the state
 * folder beside the record.  The BPF maps go with every reboot and module
 * reload; the record stays, and refuses the list the gate ran because it
 * is not above itself.  With the lists kept, the daemon builds that
 * generation again at start (gate/core/restore.h).
 *
 * Why the state folder and not the spool's processed/: processed/ keeps
 * files by the name they were delivered under (a later list of the same
 * name replaces an earlier one, which a delta may still need), is the
 * spool's (an operator may empty it) and never forgets anything.  Here a
 * list is named by its generation, written before the record names it,
 * and what no longer leads to the record's generation goes.
 *
 *   STATE_DIR/gateG.list-N.pgl, STATE_DIR/gateG.list-N.pgl.minisig
 *   STATE_DIR/gateG.tickets-N.pgl, ...: the ticket lists, whose
 *   generations are another sequence
 *
 * Nothing here is trusted for being here: restoring verifies every file
 * again as a new list.  Error contract: <common/fail.h>.
 */
#ifndef PASSGATE_KEPT_H
#define PASSGATE_KEPT_H

#include <stddef.h>
#include <stdint.h>

#include "gate/core/config.h"
#include "common/listfile.h"

/* A delta chain longer than this is not kept: the next full list is. */
#define PASSGATE_KEPT_CHAIN_MAX 1024

/*
 * STATE_DIR/gateG.list-N.pgl, or gateG.tickets-N.pgl for a list that
 * holds tickets (@holds), @sig: its .minisig; -1 if it is too long.
 */
int passgate_kept_path(const struct passgate_config *cfg, unsigned int holds,
		       uint64_t generation, int sig, char *buf, size_t len);

/*
 * Keep a copy of the list at @path (and <path>.minisig), which was just
 * verified as @info: copied, synced, verified again as copied, then
 * renamed into place (the signature first).  Called before the record
 * names @info->generation, so a record never names a generation whose
 * lists were not kept, unless this failed (and said so in @err).
 */
int passgate_kept_store(const struct passgate_config *cfg, const char *path,
			const struct passgate_list_info *info, char *err,
			size_t errlen);

/*
 * The record of the lists that hold @holds names @generation now: remove
 * every kept list of that kind that is not on its chain (itself, and for
 * a delta its base, down to a full list), and copies a crash left half
 * made.  The chain is read from the files' headers unverified: this
 * decides only what to delete.
 */
void passgate_kept_prune(const struct passgate_config *cfg,
			 unsigned int holds, uint64_t generation);

#endif
