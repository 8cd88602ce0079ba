// SPDX-License-Identifier: GPL-2.0-only
/*
 * The burst: the verified batches of one read from the broker, stored
 * in one transaction (docs/station.md, "Collector").
 *
 * A gate publishes its journal as small sealed batches (one per journal
 * commit, often a few rows), many gates at once; a transaction per batch
 * would spend the server's time on transactions and round trips rather
 * than rows.  So main.c queues every batch it has verified here while
 * the broker's socket still has more to read, and then stores them all
 * at once: one COPY of their rows, the gates' heads and the seals, one
 * COMMIT; only then is each gate confirmed.  Nothing is confirmed that
 * is not committed, and nothing waits for more to come: a lone batch is
 * stored as soon as it is read.
 *
 * A batch is checked against its gate's queued head (the batches before
 * it in the burst count as stored), so a gate's batches in a burst
 * follow each other.  If the transaction fails for the rows' sake (a
 * refused batch, a gate's head moved under it), each batch is stored
 * again in a transaction of its own, in order: the bad one is refused
 * alone, and the batches after it from the same gate, which no longer
 * follow the head, are asked for again.
 */
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "gate/core/log.h"

int burst_init(struct burst *bu, size_t max_items)
{
	size_t rows = BURST_ROWS + PASSGATE_BATCH_ROWS_MAX;

	memset(bu, 0, sizeof(*bu));
	bu->max_items = max_items;
	bu->item = calloc(max_items, sizeof(*bu->item));
	bu->rows = calloc(rows, sizeof(*bu->rows));
	/* A parsed batch is its header and its rows, nothing else. */
	bu->bytes = malloc(max_items * PASSGATE_BATCH_HEADER_SIZE +
			   rows * PASSGATE_ROW_SIZE_MAX);
	if (!bu->item || !bu->rows || !bu->bytes) {
		burst_free(bu);
		return -1;
	}
	return 0;
}

void burst_free(struct burst *bu)
{
	free(bu->item);
	free(bu->rows);
	free(bu->bytes);
	memset(bu, 0, sizeof(*bu));
}

bool burst_room(const struct burst *bu)
{
	return bu->count < bu->max_items && bu->nrows < BURST_ROWS;
}

struct passgate_chain_row *burst_rows(struct burst *bu)
{
	return bu->rows + bu->nrows;
}

void burst_add(struct burst *bu, struct registry_gate *g,
	       const struct passgate_batch *b, uint32_t from,
	       const void *payload, size_t len)
{
	struct store_item *it = &bu->item[bu->count++];
	uint8_t *copy = bu->bytes + bu->nbytes;
	uint32_t k;

	it->gate = g;
	it->batch = *b;
	it->from = from;
	/*
	 * Parsed at burst_rows(), but a head read since may have stored
	 * the burst (burst_read_head()): then the rows move to the start.
	 */
	it->batch.rows = burst_rows(bu);
	memmove(it->batch.rows, b->rows, b->count * sizeof(*b->rows));
	bu->nrows += b->count;
	/* libmosquitto frees the message when its callback returns. */
	memcpy(copy, payload, len);
	bu->nbytes += len;
	for (k = 0; k < b->count; k++)
		it->batch.rows[k].enc = copy + (it->batch.rows[k].enc -
						(const uint8_t *)payload);
	g->queued_pos = b->last;
	memcpy(g->queued_hash, it->batch.rows[b->count - 1].hash,
	       sizeof(g->queued_hash));
}

/* What a batch's transaction came to, said to its gate and counted. */
static void settle(struct mosquitto *mosq, struct collector *c,
		   const struct store_item *it, enum store_result r,
		   const char *why)
{
	struct registry_gate *g = it->gate;

	switch (r) {
	case STORE_INSERTED:
		c->inserted += it->batch.count - it->from;
		c->batches++;
		answer_stored(mosq, c, g);
		break;
	case STORE_CONFLICT:
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
				 .has_gate = true, .gate = g->number,
				 .reason = why), "%s", why);
		break;
	case STORE_REFUSED:
		answer_refused(c, g, g->name, strlen(g->name), why);
		break;
	case STORE_STOPPED:
		/* Not confirmed: the gate sends it again. */
		mosquitto_disconnect(mosq);
		break;
	}
}

/* One batch in a transaction of its own; false once stopped. */
static bool store_alone(struct mosquitto *mosq, struct collector *c,
			const struct store_item *it)
{
	struct registry_gate *g = it->gate;
	enum store_result r;
	char why[256];

	/* A conflict made its head unknown: what it holds is read again. */
	if (!g->head_known)
		return true;
	/* A batch before it from its gate was not stored. */
	if (g->head_pos != it->batch.first + it->from - 1) {
		c->gaps++;
		answer_resend(mosq, c, g, false);
		return true;
	}
	r = store_items(c->store, it, 1, why, sizeof(why));
	settle(mosq, c, it, r, why);
	return r != STORE_STOPPED;
}

/* Nothing waits any more: every gate's queued head is its head again. */
static void unqueue(struct burst *bu)
{
	size_t i;

	for (i = 0; i < bu->count; i++) {
		struct registry_gate *g = bu->item[i].gate;

		g->queued_pos = g->head_pos;
		memcpy(g->queued_hash, g->head_hash, sizeof(g->queued_hash));
	}
}

void burst_flush(struct mosquitto *mosq, struct collector *c)
{
	struct burst *bu = &c->burst;
	enum store_result r;
	char why[256];
	size_t i;

	if (!bu->count)
		return;
	r = store_items(c->store, bu->item, bu->count, why, sizeof(why));
	if (r == STORE_INSERTED) {
		for (i = 0; i < bu->count; i++) {
			c->inserted += bu->item[i].batch.count -
				       bu->item[i].from;
			c->batches++;
			/* After the COMMIT, once per gate: its new head. */
			if (store_last_of_gate(bu->item, bu->count, i))
				answer_stored(mosq, c, bu->item[i].gate);
		}
	} else if (r == STORE_STOPPED || bu->count == 1) {
		settle(mosq, c, &bu->item[0], r, why);
	} else {
		if (r == STORE_CONFLICT)
			passgate_log_pri(LOG_WARNING, NULL, "%s", why);
		unqueue(bu);
		for (i = 0; i < bu->count; i++)
			if (!store_alone(mosq, c, &bu->item[i]))
				break;
	}
	unqueue(bu);
	bu->count = 0;
	bu->nrows = 0;
	bu->nbytes = 0;
	bu->flushes++;
	if (c->once && c->inserted >= c->once) {
		*c->stop = 1;
		mosquitto_disconnect(mosq);
	}
}

int burst_read_head(struct mosquitto *mosq, struct collector *c,
		    struct registry_gate *g)
{
	/*
	 * Stored first: a head read with batches of the gate still queued
	 * would let them be queued a second time.
	 */
	burst_flush(mosq, c);
	if (store_head(c->store, g))
		return -1;
	g->queued_pos = g->head_pos;
	memcpy(g->queued_hash, g->head_hash, sizeof(g->queued_hash));
	return 0;
}
