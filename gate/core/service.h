/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd's service protocol (sd_notify(3), libsystemd) for passgate's
 * long-running programs: READY=1 once they do their job, WATCHDOG=1 from
 * their main loop while a watchdog is set (WatchdogSec=), STOPPING=1 on
 * the way out.  Nothing happens when not started by systemd (no
 * NOTIFY_SOCKET), so tests and a shell start them the same way.
 */
#ifndef PASSGATE_SERVICE_H
#define PASSGATE_SERVICE_H

#include <stdint.h>

void passgate_service_ready(void);
void passgate_service_stopping(void);
/*
 * The watchdog's interval in microseconds, 0 when none is set; the
 * caller pings at least twice per interval.
 */
uint64_t passgate_service_watchdog_usec(void);
/* WATCHDOG=1, at most once per quarter interval however often called. */
void passgate_service_alive(void);

#endif
