/* SPDX-License-Identifier: GPL-2.0-only */
/* The events, chain and seals tables in PostgreSQL (libpq). */
#ifndef PASSGATE_COLLECTOR_STORE_H
#define PASSGATE_COLLECTOR_STORE_H

#include <signal.h>
#include <stdbool.h>

#include "common/batch.h"
#include "registry.h"

struct store;

/*
 * How a transaction's rows reach the events table.  Both store the same
 * rows with the same result; make station measures one against the
 * other (docs/station.md, "Collector").
 */
enum store_mode {
	STORE_MODE_BATCH,	/* one COPY and one INSERT ... SELECT */
	STORE_MODE_ROW,		/* one INSERT per row: the baseline only */
};

/*
 * Connect with @conninfo and create the table if absent, retrying while
 * the server is unreachable until *@stop is set (then NULL).
 */
struct store *store_open(const char *conninfo, enum store_mode mode,
			 volatile sig_atomic_t *stop);
void store_close(struct store *s);
/* How many times it has connected: a change means heads may be stale. */
unsigned long store_connections(const struct store *s);

enum store_result {
	STORE_INSERTED,		/* committed */
	STORE_CONFLICT,		/* the database's head moved: not stored */
	STORE_REFUSED,		/* the server refused this batch's data */
	STORE_STOPPED,		/* *stop was set before it was committed */
};

/**
 * struct store_item - one verified batch for store_items()
 * @gate: its gate
 * @batch: the batch, its rows decoded and hashed
 * @from: its first row past the head it was verified against
 */
struct store_item {
	struct registry_gate *gate;
	struct passgate_batch batch;
	uint32_t from;
};

/*
 * Read @g's verified head from the database (the genesis when it has
 * none) into @g.  Waits out a server outage; -1 only when stopped or on
 * a malformed row.
 */
int store_head(struct store *s, struct registry_gate *g);

/*
 * Store the new rows of @n verified batches, every gate's new head and
 * every batch's seal in one transaction, all or nothing, if each gate's
 * head in the database is still the one in its registry_gate.  A gate's
 * batches come in chain order, each following the one before.  While
 * the server is down or failing, waits and reconnects, for as long as it
 * takes or until *stop is set.  @why gets the reason for STORE_REFUSED
 * and STORE_CONFLICT; on STORE_CONFLICT the gate whose head moved is no
 * longer head_known.  On STORE_INSERTED every gate's head is its last
 * batch's last row.  STORE_MODE_ROW stores one batch at a time: @n is 1.
 */
enum store_result store_items(struct store *s, const struct store_item *item,
			      size_t n, char *why, size_t whylen);
/* @item[@i] is the last of @n with its gate. */
bool store_last_of_gate(const struct store_item *item, size_t n, size_t i);

#endif
