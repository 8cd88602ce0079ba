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

/* A published row waiting for its PUBACK. */
struct uplink_flight {
	int mid;
	uint64_t pos;
	bool acked;
};

struct uplink {
	struct passgate_config cfg;
	struct mosquitto *mosq;
	struct passgate_journal *journal;
	bool journal_waiting;
	char events_topic[160];
	char status_topic[160];
	char lists_topic[160];
	char outbox_path[PATH_MAX + 64];

	pthread_mutex_t lock;
	pthread_cond_t moved;
	bool connected;
	bool stop;
	/* Rows published and not yet acknowledged, in pos order. */
	struct uplink_flight *flight;
	unsigned int nflight;
	/* Every row up to @delivered has its PUBACK (0: none yet). */
	uint64_t delivered;
	uint64_t saved;
	/* The highest pos published in this connection. */
	uint64_t sent;
	uint64_t published, acks, connects;
	uint64_t head;		/* the journal's last committed pos seen */
	uint64_t lists_spooled;	/* a metric only: never what the gate has */

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

/* outbox.c: journal rows up at QoS 1, delivered only when acknowledged */
int outbox_open(struct uplink *u);
/* Publish what the broker can take now; 0, or -1 if the journal failed. */
int outbox_pump(struct uplink *u);
void outbox_on_connect(struct uplink *u);
void outbox_on_publish(struct uplink *u, int mid);
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
