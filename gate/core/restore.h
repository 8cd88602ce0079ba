/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The generation the record names, built again when the kernel has none:
 * after a reboot or a module upgrade the daemon loads a fresh policy with
 * an empty list map, and the record refuses that generation through the
 * normal path (it is not above itself).  Only that generation, never one
 * below or above it, from the lists kept in the state folder
 * (gate/core/kept.h), each verified again as a new list is.
 */
#ifndef PASSGATE_RESTORE_H
#define PASSGATE_RESTORE_H

#include <stddef.h>

#include "gate/core/install.h"

/*
 * Restore into @policy the generation of the record of cfg->gate for the
 * lists that hold @holds (health codes and tickets each have theirs): its
 * kept full list and the deltas on it, in order, each one's signature
 * verified against cfg->trust_dir and its generation, kind, base and
 * station checked; the generation's own list (@info) must also be in its
 * validity window and signed by the key the record names.  The result
 * is swapped in once, whole: no scan sees a generation below the record.
 *
 * Returns 1 when there is nothing to restore (a generation is active,
 * the record is 0, or missing or unreadable: the next list says so),
 * 0 when restored, -1 when not (*@refusal, @err; the gate stays as it
 * was, degraded, until the station's next list).  With a @gate the
 * outcome goes into its event stream (LIST_ACTIVATED or LIST_REFUSED,
 * marked PASSGATE_CLAIM_RESTORED).
 */
int passgate_restore_list(const struct passgate_config *cfg,
			  struct passgate_policy *policy,
			  struct passgate_gate *gate, unsigned int holds,
			  struct passgate_list_info *info,
			  enum passgate_refusal *refusal, char *err,
			  size_t errlen);

#endif
