/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * passgate-uplink: one per gate, beside passgated.  It publishes the gate's
 * journal to the station's MQTT broker (the journal is the outbox) and
 * takes list generations from it into the daemon's spool folder
 * (docs/station.md).  A process of its own, so that no network library
 * and no broker outage ever touches the process that decides.
 */
#ifndef PASSGATE_UPLINK_H
#define PASSGATE_UPLINK_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "gate/core/config.h"
#include "gate/core/log.h"

struct mosquitto;
struct passgate_journal;

#define UPLINK_SEEN_MAX 64

/* A full generation as announced, waiting for the fetch thread. */
struct uplink_fetch {
	uint64_t generation;
	uint64_t size;
	char sha256[65];
	char url[900];
};

/* Nothing confirmed for this long: publish again from the delivered mark. */
#define UPLINK_STALL_MS 5000
#define UPLINK_STALL_MAX_MS 60000

struct uplink {
	struct passgate_config cfg;
	struct mosquitto *mosq;
	struct passgate_journal *journal;
	bool journal_waiting;
	char rows_topic[160];
	char stored_topic[160];
	char resend_topic[160];
	char status_topic[160];
	char lists_topic[160];
	char outbox_path[PATH_MAX + 64];

	pthread_t net_thread;
	pthread_mutex_t lock;
	pthread_cond_t moved;
	bool connected;
	bool stop;
	/* Last positions of the batches published, not yet confirmed. */
	uint64_t *flight;
	unsigned int nflight;
	/* The collector has verified and stored every row up to here. */
	uint64_t delivered;
	/* When it last moved on (CLOCK_REALTIME; at start, the mark file's). */
	int64_t delivered_ns;
	uint64_t saved;
	/* The highest pos published since the last rewind. */
	uint64_t sent;
	uint64_t progress_ms;	/* CLOCK_MONOTONIC of the last progress */
	uint64_t stall_ms;	/* the wait for it, doubled on each stall */
	bool probing;		/* after a stall: one batch until confirmed */
	/* The collector's reports, taken by the main thread. */
	bool stored_new;
	uint64_t stored_pos;
	uint8_t stored_hash[32];
	uint64_t resend_from;
	uint64_t mismatch_pos;
	int export_errno;
	uint8_t *batch;		/* PASSGATE_BATCH_SIZE_MAX */
	uint64_t published, batches, confirmed, resends, stalls, connects;
	uint64_t forged;	/* confirmations not signed by the collector */
	uint64_t head;		/* the journal's last committed pos seen */
	uint64_t lists_spooled;	/* a metric only: never what the gate has */
	bool metrics_failing;	/* the last write failed, and was logged */

	/* lists.c: its own lock, for the MQTT and the fetch thread */
	pthread_mutex_t lists_lock;
	pthread_cond_t fetch_cond;
	pthread_t fetch_thread;
	bool fetching;
	volatile int lists_stop;
	bool fetch_pending;
	struct uplink_fetch fetch;
	unsigned char seen[UPLINK_SEEN_MAX][32];
	unsigned int nseen;
};

/* outbox.c: sealed batches up, delivered when the collector confirms */
int outbox_open(struct uplink *u);
/* Publish what the window allows now; 0, or -1 if the journal failed. */
int outbox_pump(struct uplink *u);
void outbox_on_connect(struct uplink *u);
/* The collector's "stored" and "resend" topics: true if it was one. */
bool outbox_on_message(struct uplink *u, const char *topic,
		       const void *payload, int len);
/* Write the delivered mark if it moved. */
void outbox_save(struct uplink *u);
void outbox_close(struct uplink *u);

/* lists.c: generations from the broker into the spool's inbox */
int lists_start(struct uplink *u);
void lists_on_message(struct uplink *u, const char *topic,
		      const void *payload, int len);
void lists_stop(struct uplink *u);

/* metrics.c: the Prometheus textfile */
void metrics_write(struct uplink *u);


#endif
