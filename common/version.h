/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * passgate's one version number: the top folder's VERSION file, which the
 * Makefile hands to every compile as PASSGATE_VERSION.  Every program
 * answers --version with "PROGRAM (passgate) VERSION".
 */
#ifndef PASSGATE_COMMON_VERSION_H
#define PASSGATE_COMMON_VERSION_H

#include <stdio.h>

#ifndef PASSGATE_VERSION
#error "PASSGATE_VERSION comes from the VERSION file (Makefile)"
#endif

static inline int passgate_print_version(const char *prog)
{
	printf("%s (passgate) %s\n", prog, PASSGATE_VERSION);
	return 0;
}

#endif
