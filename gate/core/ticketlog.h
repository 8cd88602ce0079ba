/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tickets used at a gate, kept in the state folder.  The policy
 * remembers them in a pinned map (a second exit on a ticket is
 * TICKET_USED), which a daemon restart keeps and a reboot or module
 * upgrade loses; the daemon writes every use the program reports into
 * this file and puts it back into the map at start (docs/policy.md,
 * "Used tickets").
 *
 *   STATE_DIR/gateG.tickets-used: one use a line,
 *   <ID digest, 32 hex digits> <ticket number> <used at> <valid until>
 *
 * times in CLOCK_TAI seconds as the program keeps them (valid until 0: no
 * end).  Appended and synced as the uses arrive, rewritten whole at the
 * daemon's start.  A line that does not parse (the torn last one of a
 * power cut mid-append) is skipped.  Error contract: <common/fail.h>.
 */
#ifndef PASSGATE_TICKETLOG_H
#define PASSGATE_TICKETLOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gate/core/config.h"

/* STATE_DIR/gateG.tickets-used; -1 (ENAMETOOLONG) if it does not fit. */
int passgate_ticket_log_path(const struct passgate_config *cfg, char *buf,
			     size_t len);
/*
 * The uses in @path whose window has not ended at @now_tai, in a
 * malloc'd array in *@out; how many (0 when there is no file), or -1.
 */
ssize_t passgate_ticket_log_read(const char *path, uint32_t now_tai,
				 struct policy_ticket_record **out);
/* Replace @path with @n uses (written whole, synced, renamed). */
int passgate_ticket_log_write(const char *path,
			      const struct policy_ticket_record *recs,
			      size_t n);
/* Append @n uses to @fd (open O_APPEND) and sync them. */
int passgate_ticket_log_append(int fd, const struct policy_ticket_record *recs,
			       size_t n);

#endif
