/* SPDX-License-Identifier: GPL-2.0-only */
/* The events table in PostgreSQL (libpq). */
#ifndef PASSGATE_COLLECTOR_STORE_H
#define PASSGATE_COLLECTOR_STORE_H

#include <signal.h>

#include "row.h"

struct store;

/*
 * Connect with @conninfo and create the table if absent, retrying while
 * the server is unreachable until *@stop is set (then NULL).
 */
struct store *store_open(const char *conninfo, volatile sig_atomic_t *stop);
void store_close(struct store *s);

enum store_result {
	STORE_INSERTED,		/* committed */
	STORE_DUPLICATE,	/* (gate, pos) already stored, same hash */
	STORE_CONFLICT,		/* already stored with another hash: kept */
	STORE_REFUSED,		/* the server refused this row's data */
	STORE_STOPPED,		/* *stop was set before it was committed */
};

/*
 * Insert @row and commit it.  While the server is down or failing, waits
 * and reconnects, for as long as it takes or until *stop is set: see
 * docs/station.md, "What acknowledged means".  @why gets the reason for
 * STORE_REFUSED and STORE_CONFLICT.
 */
enum store_result store_row(struct store *s, const struct row *row,
			    char *why, size_t whylen);

#endif
