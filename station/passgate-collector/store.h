/* SPDX-License-Identifier: GPL-2.0-only */
/* The events, chain and seals tables in PostgreSQL (libpq). */
#ifndef PASSGATE_COLLECTOR_STORE_H
#define PASSGATE_COLLECTOR_STORE_H

#include <signal.h>

#include "common/batch.h"
#include "registry.h"

struct store;

/*
 * Connect with @conninfo and create the table if absent, retrying while
 * the server is unreachable until *@stop is set (then NULL).
 */
struct store *store_open(const char *conninfo, volatile sig_atomic_t *stop);
void store_close(struct store *s);
/* How many times it has connected: a change means heads may be stale. */
unsigned long store_connections(const struct store *s);

enum store_result {
	STORE_INSERTED,		/* committed */
	STORE_CONFLICT,		/* the database's head moved: not stored */
	STORE_REFUSED,		/* the server refused this batch's data */
	STORE_STOPPED,		/* *stop was set before it was committed */
};

/*
 * Read @g's verified head from the database (the genesis when it has
 * none) into @g.  Waits out a server outage; -1 only when stopped or on
 * a malformed row.
 */
int store_head(struct store *s, struct registry_gate *g);

/*
 * Store rows @from.. of the verified batch @b, the new head and the seal
 * in one transaction, if the database's head is still @g's.  While the
 * server is down or failing, waits and reconnects, for as long as it
 * takes or until *stop is set.  @why gets the reason for STORE_REFUSED
 * and STORE_CONFLICT.  On STORE_INSERTED @g's head is the batch's last
 * row.
 */
enum store_result store_batch(struct store *s, struct registry_gate *g,
			      const struct passgate_batch *b, uint32_t from,
			      char *why, size_t whylen);

#endif
