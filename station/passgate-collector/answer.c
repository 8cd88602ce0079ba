// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the collector tells a gate, signed with its confirmation key so
 * that nobody else (not the broker) can move a gate's delivered mark
 * (docs/station.md, "Delivery"): "stored" once rows are committed,
 * "resend" when rows are missing.  A refused batch is told nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "collector.h"
#include "gate/core/log.h"

/* Ask a gate for the same resend at most this often. */
#define RESEND_EVERY_MS 1000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void publish(struct mosquitto *mosq, const struct collector *c,
		    const struct registry_gate *g, const char *what,
		    const char *text, bool retain)
{
	char topic[128];
	int rc;

	snprintf(topic, sizeof(topic), "passgate/%s/gates/%s/%s", c->station,
		 g->name, what);
	rc = mosquitto_publish(mosq, NULL, topic, strlen(text), text, 1,
			       retain);
	if (rc)
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
				 .has_gate = true, .gate = g->number),
				 "publish %s: %s", topic,
				 mosquitto_strerror(rc));
}

/* " SIG": the collector's signature in hex, at @out. */
static void append_sig(const struct collector *c, const struct registry_gate *g,
		       enum passgate_confirm_kind kind, uint64_t pos,
		       const uint8_t *hash, char *out, size_t size)
{
	uint8_t sig[PASSGATE_SEAL_SIZE];

	passgate_confirm_sign(c->sk, kind, c->station, g->name, pos, hash, sig);
	out[0] = ' ';
	sodium_bin2hex(out + 1, size - 1, sig, sizeof(sig));
}

/*
 * The confirmation a gate moves its delivered mark on: "POS HASH SIG".
 * @g's head is only ever what a COMMIT returned for (store.c), so no
 * confirmation can precede its commit.
 */
void answer_stored(struct mosquitto *mosq, const struct collector *c,
		   const struct registry_gate *g)
{
	char text[24 + 65 + 130];
	int n;

	if (!g->head_pos)
		return;
	n = snprintf(text, sizeof(text), "%" PRIu64 " ", g->head_pos);
	sodium_bin2hex(text + n, sizeof(text) - n, g->head_hash,
		       sizeof(g->head_hash));
	n = strlen(text);
	append_sig(c, g, PASSGATE_CONFIRM_STORED, g->head_pos, g->head_hash,
		   text + n, sizeof(text) - n);
	publish(mosq, c, g, "stored", text, true);
}

/*
 * From the queued head: what waits in the burst is verified and will be
 * stored (or, if its transaction fails, asked for again from the head).
 */
void answer_resend(struct mosquitto *mosq, struct collector *c,
		   struct registry_gate *g, bool force)
{
	uint64_t from = g->queued_pos + 1;
	char text[24 + 130];
	int n;

	if (!force && g->asked_pos == from &&
	    now_ms() - g->asked_ms < RESEND_EVERY_MS)
		return;
	g->asked_pos = from;
	g->asked_ms = now_ms();
	n = snprintf(text, sizeof(text), "%" PRIu64, from);
	append_sig(c, g, PASSGATE_CONFIRM_RESEND, from, NULL, text + n,
		   sizeof(text) - n);
	publish(mosq, c, g, "resend", text, false);
}

/* @g: the gate as enrolled, NULL for a name the registry does not hold. */
void answer_refused(struct collector *c, const struct registry_gate *g,
		    const char *gate, size_t len, const char *why)
{
	c->refused++;
	passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
			 .has_gate = g != NULL, .gate = g ? g->number : 0,
			 .reason = why),
			 "REFUSED a batch (refused %lu) from gate.%s.%.*s: %s",
			 c->refused, c->station, (int)len, gate, why);
}
