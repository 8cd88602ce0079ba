/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Install a signed list on a gate: every check, then the swap, then the
 * durable record.  The daemon's spool and `passgatectl list load` both
 * come here, so both refuse the same things the same way.
 */
#ifndef PASSGATE_INSTALL_H
#define PASSGATE_INSTALL_H

#include <stddef.h>

#include "gate/core/config.h"
#include "common/listfile.h"
#include "gate/policy/loader.h"
#include "lib/libpassgate.h"

/* Why a list was refused: PASSGATE_EV_LIST_REFUSED's arg. */
enum passgate_refusal {
	PASSGATE_REFUSED_NONE = 0,
	PASSGATE_REFUSED_UNVERIFIED = 1,	/* signature, key, format, size */
	PASSGATE_REFUSED_EXPIRED = 2,
	PASSGATE_REFUSED_NOT_YET_VALID = 3,
	PASSGATE_REFUSED_ROLLBACK = 4,		/* generation not above the last */
	PASSGATE_REFUSED_BASE = 5,		/* delta for another generation */
	PASSGATE_REFUSED_LOAD = 6,		/* the kernel did not take it */
	PASSGATE_REFUSED_STATION = 7,		/* a list for another station */
	PASSGATE_REFUSED_NO_RECORD = 8,		/* the generation record lost */
	PASSGATE_REFUSED_NOT_KEPT = 9,		/* restore: no kept list chain */
};

/*
 * A list that names a station must name this gate's (cfg->station); one
 * that names none is for every station.  PASSGATE_REFUSED_NONE, or
 * PASSGATE_REFUSED_STATION with the reason in @err.  Used for a new list
 * and for each kept list a restore builds on.
 */
enum passgate_refusal
passgate_install_check_station(const struct passgate_config *cfg,
			       const struct passgate_list_info *info,
			       char *err, size_t errlen);

/*
 * Verify @path (with <path>.minisig) against cfg->trust_dir and install
 * it into @policy.  On refusal returns -1, leaves the active generation
 * and the record untouched, says why in @err and sets *@refusal.  With
 * a @gate, the outcome also goes into the gate's event stream
 * (LIST_ACTIVATED / LIST_REFUSED).  Installed, the list is also kept in
 * the state folder for a restart (gate/core/kept.h); @err is then empty,
 * or says why it could not be kept.
 */
int passgate_install_list(const struct passgate_config *cfg,
			  struct passgate_policy *policy,
			  struct passgate_gate *gate,
			  const char *path, struct passgate_list_info *info,
			  enum passgate_refusal *refusal, char *err,
			  size_t errlen);

#endif
