// SPDX-License-Identifier: GPL-2.0-only
/* The place a message is logged from is its caller's, not this file's. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "gate/core/log.h"

#define LOG_MESSAGE_MAX 1024

static const char *log_ident = "passgate";
static bool log_journal;
static bool log_gate_set;
static unsigned int log_gate;

/*
 * systemd's own test (systemd.exec(5), $JOURNAL_STREAM): the variable
 * holds "DEVICE:INODE" of the stream it connected, and stderr is that
 * stream only when its own device and inode are those.  A shell's
 * "2>file" in a unit, or a child that inherited the variable, is not.
 */
static bool stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	if (!v || sscanf(v, "%llu:%llu%n", &dev, &ino, &end) != 2 || v[end])
		return false;
	if (fstat(STDERR_FILENO, &st))
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void passgate_log_open(const char *ident)
{
	log_ident = ident;
	log_journal = stderr_is_journal();
}

void passgate_log_gate(unsigned int gate)
{
	log_gate = gate;
	log_gate_set = true;
}

/* "IDENT: message\n" in one write: lines from two threads never mix. */
static void log_stderr(const char *msg)
{
	char line[LOG_MESSAGE_MAX + 64];
	int n;

	n = snprintf(line, sizeof(line) - 1, "%s: %s", log_ident, msg);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

/* One "NAME=value" field into @buf and the next iovec. */
static void __attribute__((format(printf, 5, 6)))
field(struct iovec *iov, unsigned int *n, char *buf, size_t size,
      const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	iov[*n].iov_base = buf;
	iov[*n].iov_len = (size_t)len < size ? (size_t)len : size - 1;
	(*n)++;
}

/* One datagram to journald (sd_journal_sendv(3)): 0, or -errno. */
static int log_journald(int priority, const struct passgate_log_fields *f,
			const char *msg)
{
	char message[LOG_MESSAGE_MAX + 16], pri[16], ident[80];
	char gate[32], lane[32], generation[48], reason[512];
	struct iovec iov[7];
	unsigned int n = 0;

	field(iov, &n, message, sizeof(message), "MESSAGE=%s", msg);
	field(iov, &n, pri, sizeof(pri), "PRIORITY=%d", priority & LOG_PRIMASK);
	field(iov, &n, ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_ident);
	if ((f && f->has_gate) || log_gate_set)
		field(iov, &n, gate, sizeof(gate), "PASSGATE_GATE=%u",
		      f && f->has_gate ? f->gate : log_gate);
	if (f && f->has_lane)
		field(iov, &n, lane, sizeof(lane), "PASSGATE_LANE=%u", f->lane);
	if (f && f->generation)
		field(iov, &n, generation, sizeof(generation),
		      "GENERATION=%" PRIu64, f->generation);
	if (f && f->reason)
		field(iov, &n, reason, sizeof(reason), "REASON=%s", f->reason);
	return sd_journal_sendv(iov, n);
}

static void log_message(int priority, const struct passgate_log_fields *f,
			const char *fmt, va_list ap)
{
	char msg[LOG_MESSAGE_MAX];

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	/* journald gone: its stream may still take the line. */
	if (!log_journal || log_journald(priority, f, msg) < 0)
		log_stderr(msg);
}

void passgate_log_pri(int priority, const struct passgate_log_fields *f,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_message(priority, f, fmt, ap);
	va_end(ap);
}

void passgate_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_message(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}
