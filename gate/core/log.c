// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "gate/core/log.h"

static const char *log_ident = "passgate";

void passgate_log_open(const char *ident)
{
	log_ident = ident;
}

void passgate_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof(line), "%s: ", log_ident);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n += m < 0 ? 0 : m;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: lines from two threads never interleave. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
