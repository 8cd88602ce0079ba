/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The error contract of everything under common/ and gate/core/, stated
 * here once: a function that fails returns -1 (or NULL) with errno set,
 * and, when its caller passed a buffer @err of @errlen bytes, a one-line
 * reason in it that starts with what was refused.  Nothing it was asked
 * to change has changed.
 */
#ifndef PASSGATE_COMMON_FAIL_H
#define PASSGATE_COMMON_FAIL_H

#include <stddef.h>

/* Say why in @err (when given), set errno to @errnum; returns -1. */
int passgate_fail(char *err, size_t errlen, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
