/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the collector's files share: its state (main.c), what it says to
 * a gate (answer.c) and the batches that wait for their transaction
 * (burst.c).
 */
#ifndef PASSGATE_COLLECTOR_COLLECTOR_H
#define PASSGATE_COLLECTOR_COLLECTOR_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <mosquitto.h>

#include "burst.h"
#include "registry.h"
#include "store.h"

struct collector {
	struct store *store;
	volatile sig_atomic_t *stop;
	uint8_t sk[64];		/* signs what it tells the gates */
	unsigned long db_connections;
	struct registry registry;
	struct passgate_batch batch;	/* the one being checked */
	struct burst burst;
	char station[40];
	char topic[128];
	unsigned long once;	/* stop after this many new rows; 0: never */
	unsigned long inserted, batches, duplicates, gaps, refused;
};

/* "stored": verified and committed up to @g's head (none before a row). */
void answer_stored(struct mosquitto *mosq, const struct collector *c,
		   const struct registry_gate *g);
/* "resend": everything after @g's queued head again (at most once a second). */
void answer_resend(struct mosquitto *mosq, struct collector *c,
		   struct registry_gate *g, bool force);
/* A refused batch gets no answer: logged, with the sender, and counted. */
void answer_refused(struct collector *c, const struct registry_gate *g,
		    const char *gate, size_t len, const char *why);

#endif
