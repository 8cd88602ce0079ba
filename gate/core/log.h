/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The programs' log (docs/operations.md, "Logs").  Under systemd, when
 * stderr is the journal's stream (JOURNAL_STREAM names stderr's device and
 * inode, systemd.exec(5)), every message goes to journald itself, with its
 * priority, SYSLOG_IDENTIFIER= and the fields of what it is about:
 * PASSGATE_GATE=, PASSGATE_LANE=, GENERATION=, REASON=.  Anywhere else one
 * line on stderr, "IDENT: message", as a terminal or a test reads it.
 * Whole messages: safe from several threads.
 */
#ifndef PASSGATE_CORE_LOG_H
#define PASSGATE_CORE_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>		/* LOG_ERR, LOG_WARNING, LOG_NOTICE... */

/*
 * What a message is about, each a journal field; what is left 0 is not.
 * @has_gate: PASSGATE_GATE=@gate, rather than the program's own gate
 * @has_lane: PASSGATE_LANE=@lane
 * @generation: GENERATION=, a list's (generations start at 1)
 * @reason: REASON=, in words: why refused, ignored, dropped or decided
 */
struct passgate_log_fields {
	bool has_gate;
	unsigned int gate;
	bool has_lane;
	unsigned int lane;
	uint64_t generation;
	const char *reason;
};

/* passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(.reason = err), ...) */
#define PASSGATE_LOG_FIELDS(...) \
	(&(const struct passgate_log_fields){ __VA_ARGS__ })
/* A message about lane @l and nothing else. */
#define PASSGATE_LOG_LANE(l) PASSGATE_LOG_FIELDS(.has_lane = true, .lane = (l))

/*
 * The program's name (kept, not copied): before every line on stderr,
 * SYSLOG_IDENTIFIER= in the journal.  It also looks at stderr: call it
 * first, before any thread starts.
 */
void passgate_log_open(const char *ident);
/* PASSGATE_GATE= of every message from now on: the configuration's gate. */
void passgate_log_gate(unsigned int gate);
/* @priority: LOG_ERR ... LOG_DEBUG; @f may be NULL. */
void passgate_log_pri(int priority, const struct passgate_log_fields *f,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Routine news: LOG_INFO, no field but the program's gate. */
void passgate_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
