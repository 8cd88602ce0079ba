// SPDX-License-Identifier: LGPL-2.1-or-later
/* systemd's service protocol through libsystemd (gate/core/service.h). */
#include <time.h>

#include <systemd/sd-daemon.h>

#include "gate/core/service.h"

void passgate_service_ready(void)
{
	sd_notify(0, "READY=1");
}

void passgate_service_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

uint64_t passgate_service_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void passgate_service_alive(void)
{
	static uint64_t interval, last;
	static int checked;
	struct timespec ts;
	uint64_t now;

	if (!checked) {
		interval = passgate_service_watchdog_usec();
		checked = 1;
	}
	if (!interval)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
	if (last && now - last < interval / 4)
		return;
	last = now;
	sd_notify(0, "WATCHDOG=1");
}
