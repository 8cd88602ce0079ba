/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The burst: verified batches that wait for the one transaction that
 * stores them all (burst.c, docs/station.md "Collector").
 */
#ifndef PASSGATE_COLLECTOR_BURST_H
#define PASSGATE_COLLECTOR_BURST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mosquitto.h>

#include "common/batch.h"
#include "store.h"

/* A burst is stored once it holds this many rows, or this many batches. */
#define BURST_ROWS (2 * PASSGATE_BATCH_ROWS_MAX)
#define BURST_ITEMS 256

struct collector;

/**
 * struct burst - verified batches waiting for their transaction
 * @item: the batches, in the order they came; @count of them
 * @max_items: BURST_ITEMS, or 1 for a transaction per batch
 * @rows: every batch's rows back to back; @nrows of them
 * @bytes: the batches as they came, which the rows' encodings point
 *	into; @nbytes of them
 * @flushes: how many times it was stored (or given up)
 */
struct burst {
	struct store_item *item;
	size_t count;
	size_t max_items;
	struct passgate_chain_row *rows;
	size_t nrows;
	uint8_t *bytes;
	size_t nbytes;
	unsigned long flushes;
};

/* 0, or -1 (ENOMEM). */
int burst_init(struct burst *bu, size_t max_items);
void burst_free(struct burst *bu);
/* Room for one more batch, of any size. */
bool burst_room(const struct burst *bu);
/* Where the next batch's rows are parsed: room for PASSGATE_BATCH_ROWS_MAX. */
struct passgate_chain_row *burst_rows(struct burst *bu);
/*
 * Queue @b, parsed at burst_rows() from the @len bytes at @payload (they
 * are copied), from its row @from on; @g's queued head moves to its end.
 */
void burst_add(struct burst *bu, struct registry_gate *g,
	       const struct passgate_batch *b, uint32_t from,
	       const void *payload, size_t len);

/*
 * Store every queued batch in one transaction and only then confirm
 * each gate's new head.  If that transaction is refused, each batch
 * again in its own, so that one bad batch costs only itself and what
 * follows it from its gate.  Empties the burst, whatever happened.
 */
void burst_flush(struct mosquitto *mosq, struct collector *c);
/* @g's head from the database, after storing the burst; 0 or -1. */
int burst_read_head(struct mosquitto *mosq, struct collector *c,
		    struct registry_gate *g);

#endif
