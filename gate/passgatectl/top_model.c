// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgatectl top's model: events in, what the screen shows out.  Lane
 * states and the gate's fire and mode come from the nodes (top.c reads
 * them again after every batch of events); the rest only the event stream
 * tells: verdicts with their reasons and times, passages, readers falling
 * silent, lists activated and expired.
 */
#include <stdlib.h>
#include <string.h>

#include "top_model.h"

static void take_verdict(struct top_model *m, const struct passgate_event *ev)
{
	struct passgate_verdict_record rec;
	struct top_verdict *v;

	memcpy(&rec, ev->data, sizeof(rec));
	v = &m->verdict[m->verdicts++ % TOP_VERDICTS];
	v->time_ns = ev->time_ns;
	v->lane = ev->lane;
	v->verdict = ev->arg;
	v->reason = rec.reason;
	v->fast = rec.fast;
	v->latency_ns = 0;
	if (rec.actuated_ns >= rec.received_ns && rec.actuated_ns) {
		v->latency_ns = rec.actuated_ns - rec.received_ns;
		m->sample[m->samples % TOP_SAMPLES].time_ns = ev->time_ns;
		m->sample[m->samples % TOP_SAMPLES].latency_ns = v->latency_ns;
		m->samples++;
	} else if (rec.decided_ns >= rec.received_ns) {
		v->latency_ns = rec.decided_ns - rec.received_ns;
	}
}

static void take_list(struct top_model *m, const struct passgate_event *ev)
{
	struct passgate_list_claim claim;
	struct top_list *list;

	memcpy(&claim, ev->data, sizeof(claim));
	list = claim.flags & PASSGATE_CLAIM_TICKETS ? &m->tickets : &m->codes;
	if (ev->type == PASSGATE_EV_LIST_EXPIRED) {
		if (ev->value == list->generation)
			list->expired = true;
		return;
	}
	list->generation = ev->value;
	list->expires_at = (int64_t)claim.expires_at;
	list->expired = false;
}

void top_model_event(struct top_model *m, const struct passgate_event *ev)
{
	struct top_lane *lane = ev->lane < TOP_LANES_MAX ?
				&m->lane[ev->lane] : NULL;

	if (ev->type == PASSGATE_EV_LOST) {
		m->missed += ev->value;
		return;
	}
	m->events++;
	switch (ev->type) {
	case PASSGATE_EV_VERDICT:
		take_verdict(m, ev);
		break;
	case PASSGATE_EV_PASSAGE:
		m->passage[m->passages % TOP_PASSAGES].time_ns = ev->time_ns;
		m->passage[m->passages % TOP_PASSAGES].lane = ev->lane;
		m->passages++;
		break;
	case PASSGATE_EV_SCANNER_OFFLINE:
	case PASSGATE_EV_SCANNER_ONLINE:
		if (lane && ev->arg < TOP_READERS)
			lane->reader[ev->arg] =
				ev->type == PASSGATE_EV_SCANNER_ONLINE ?
				TOP_READER_ONLINE : TOP_READER_OFFLINE;
		break;
	case PASSGATE_EV_LIST_ACTIVATED:
	case PASSGATE_EV_LIST_EXPIRED:
		take_list(m, ev);
		break;
	default:
		break;
	}
}

unsigned int top_model_passages(const struct top_model *m, unsigned int lane,
				uint64_t now_ns)
{
	unsigned int i, kept, n = 0;

	kept = m->passages < TOP_PASSAGES ? m->passages : TOP_PASSAGES;
	for (i = 0; i < kept; i++)
		if (m->passage[i].lane == lane &&
		    m->passage[i].time_ns <= now_ns &&
		    now_ns - m->passage[i].time_ns < TOP_RATE_WINDOW_NS)
			n++;
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

unsigned int top_model_latency(const struct top_model *m, uint64_t now_ns,
			       unsigned int permille, uint64_t *out)
{
	static uint64_t v[TOP_SAMPLES];
	unsigned int i, kept, n = 0;
	size_t rank;

	kept = m->samples < TOP_SAMPLES ? m->samples : TOP_SAMPLES;
	for (i = 0; i < kept; i++)
		if (m->sample[i].time_ns <= now_ns &&
		    now_ns - m->sample[i].time_ns < TOP_LATENCY_WINDOW_NS)
			v[n++] = m->sample[i].latency_ns;
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	/* Nearest rank: the smallest value with @permille of them at or below. */
	rank = ((size_t)n * permille + 999) / 1000;
	*out = v[rank ? rank - 1 : 0];
	return n;
}

bool top_model_degraded(const struct top_model *m, int64_t now)
{
	if (!m->codes.generation)
		return false;
	return m->codes.expired ||
	       (m->codes.expires_at && now > m->codes.expires_at);
}
