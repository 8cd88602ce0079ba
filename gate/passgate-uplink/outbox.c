// SPDX-License-Identifier: GPL-2.0-only
/*
 * The outbox is the journal: rows go up in chain order at QoS 1, and a row
 * counts as delivered only once the broker's PUBACK for it and for every
 * row before it has come.  The delivered mark is kept in a file of its own
 * (written atomically), so after a restart or an outage publishing starts
 * again right after it; rows published but not acknowledged go again, and
 * the collector stores each (gate, pos) once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>

#include "uplink.h"
#include "common/file.h"
#include "gate/core/journal.h"
#include "lib/libpassgate.h"


/* The row as the station stores it: the one event schema, with the
 * journal's fields and the gate's name (docs/events-json.md). */
static int row_json(const struct uplink *u, const struct passgate_journal_row *r,
		    char *buf, size_t size)
{
	struct passgate_event_origin at = {
		.gate_name = u->cfg.gate_name,
		.journaled = true,
		.stream = r->stream,
		.pos = r->pos,
		.stored_ns = r->stored_ns,
	};

	memcpy(at.hash, r->hash, sizeof(at.hash));
	return passgate_event_format(&r->event, &at, PASSGATE_EVENT_JSON, buf,
				     size);
}

int outbox_open(struct uplink *u)
{
	char err[256], line[64];
	FILE *f;

	u->journal = passgate_journal_open(u->cfg.journal, u->cfg.gate,
					   PASSGATE_JOURNAL_RDONLY, err,
					   sizeof(err));
	if (!u->journal) {
		/* Said once: this is retried every poll until it exists. */
		if (!u->journal_waiting)
			passgate_log("journal %s: %s (waiting for passgated)",
				     u->cfg.journal, err);
		u->journal_waiting = true;
		return -1;
	}
	u->journal_waiting = false;
	f = fopen(u->outbox_path, "re");
	if (f) {
		if (fgets(line, sizeof(line), f))
			u->delivered = strtoull(line, NULL, 10);
		fclose(f);
	}
	u->saved = u->delivered;
	u->sent = u->delivered;
	passgate_log("outbox: delivered through pos %" PRIu64, u->delivered);
	return 0;
}

/* The journal's newest committed position (0: empty). */
static uint64_t journal_head(struct uplink *u)
{
	struct passgate_journal_filter f = {
		.flags = PASSGATE_JOURNAL_F_NEWEST_FIRST, .limit = 1,
	};
	struct passgate_journal_cursor *c;
	struct passgate_journal_row r;
	uint64_t head = 0;

	c = passgate_journal_query(u->journal, &f);
	if (c && passgate_journal_cursor_next(c, &r) == 1)
		head = r.pos;
	passgate_journal_cursor_close(c);
	return head;
}

int outbox_pump(struct uplink *u)
{
	struct passgate_journal_filter f = {
		.flags = PASSGATE_JOURNAL_F_AFTER_POS,
	};
	struct passgate_journal_cursor *c;
	struct passgate_journal_row r;
	char json[PASSGATE_EVENT_LINE_MAX];
	int ret, n, mid, rc;

	if (!u->journal)
		return 0;
	u->head = journal_head(u);
	pthread_mutex_lock(&u->lock);
	if (!u->connected || u->nflight >= u->cfg.mqtt_inflight) {
		pthread_mutex_unlock(&u->lock);
		return 0;
	}
	f.after_pos = u->sent;
	f.limit = u->cfg.mqtt_inflight - u->nflight;
	pthread_mutex_unlock(&u->lock);

	c = passgate_journal_query(u->journal, &f);
	if (!c)
		return -1;
	while ((ret = passgate_journal_cursor_next(c, &r)) == 1) {
		n = row_json(u, &r, json, sizeof(json));
		if (n < 0)
			continue;
		/*
		 * Held across the publish so that its PUBACK, handled on
		 * libmosquitto's thread, finds the row recorded.
		 */
		pthread_mutex_lock(&u->lock);
		if (!u->connected) {
			pthread_mutex_unlock(&u->lock);
			break;
		}
		rc = mosquitto_publish(u->mosq, &mid, u->events_topic, n, json,
				       1, false);
		if (rc == MOSQ_ERR_SUCCESS) {
			u->flight[u->nflight++] = (struct uplink_flight) {
				.mid = mid, .pos = r.pos,
			};
			u->sent = r.pos;
			u->published++;
		}
		pthread_mutex_unlock(&u->lock);
		if (rc != MOSQ_ERR_SUCCESS)
			break;
	}
	passgate_journal_cursor_close(c);
	return ret < 0 ? -1 : 0;
}

/* A new connection: whatever was in flight goes again. */
void outbox_on_connect(struct uplink *u)
{
	pthread_mutex_lock(&u->lock);
	u->connected = true;
	u->connects++;
	u->nflight = 0;
	u->sent = u->delivered;
	pthread_cond_broadcast(&u->moved);
	pthread_mutex_unlock(&u->lock);
}

void outbox_on_publish(struct uplink *u, int mid)
{
	unsigned int i, done = 0;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < u->nflight; i++)
		if (u->flight[i].mid == mid)
			u->flight[i].acked = true;
	while (done < u->nflight && u->flight[done].acked)
		u->delivered = u->flight[done++].pos;
	memmove(u->flight, u->flight + done,
		(u->nflight - done) * sizeof(*u->flight));
	u->nflight -= done;
	u->acks++;
	pthread_cond_broadcast(&u->moved);
	pthread_mutex_unlock(&u->lock);
}

void outbox_save(struct uplink *u)
{
	char text[32];
	uint64_t delivered;
	int n;

	pthread_mutex_lock(&u->lock);
	delivered = u->delivered;
	pthread_mutex_unlock(&u->lock);
	if (delivered == u->saved)
		return;
	n = snprintf(text, sizeof(text), "%" PRIu64 "\n", delivered);
	if (passgate_file_replace(u->outbox_path, text, n, 0600)) {
		passgate_log("outbox %s: %s", u->outbox_path, strerror(errno));
		return;
	}
	u->saved = delivered;
}

void outbox_close(struct uplink *u)
{
	outbox_save(u);
	passgate_journal_close(u->journal);
	u->journal = NULL;
}
