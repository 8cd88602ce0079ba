/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One line a message on stderr, "IDENT: message", which systemd's journal
 * takes as the program's log.  Whole lines: safe from several threads.
 */
#ifndef PASSGATE_CORE_LOG_H
#define PASSGATE_CORE_LOG_H

/* The program's name before every line (kept, not copied). */
void passgate_log_open(const char *ident);
void passgate_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
