// SPDX-License-Identifier: GPL-2.0-only
/*
 * A gate's rows folded into its state (gate_view.h).  Only the latest
 * row of each kind counts: a list's activation and expiry, the fire
 * alarm's three events, the modes, a reader going offline or online,
 * and a lane's alarms against its last reset.  So the rows db.c reads
 * for a gate read whole (the latest of each kind, its recent rows, its
 * verdicts of the window), folded in position order, give the state its
 * whole history would.
 */
#include <stdio.h>
#include <string.h>

#include "gate/core/log.h"
#include "gate_view.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static struct lane_view *lane_of(struct gate_view *g, int64_t lane)
{
	size_t i;

	if (lane < 0 || lane > UINT32_MAX)
		return NULL;
	for (i = 0; i < g->nlanes && g->lanes[i].lane < lane; i++)
		;
	if (i < g->nlanes && g->lanes[i].lane == lane)
		return &g->lanes[i];
	if (g->nlanes == GATE_LANES_MAX) {
		if (!g->lanes_full)
			passgate_log_pri(LOG_WARNING, NULL, "%s: more than %d"
					 " lanes, lane %lld not shown",
					 g->name, GATE_LANES_MAX,
					 (long long)lane);
		g->lanes_full = true;
		return NULL;
	}
	memmove(&g->lanes[i + 1], &g->lanes[i],
		(g->nlanes - i) * sizeof(g->lanes[0]));
	g->nlanes++;
	g->lanes[i] = (struct lane_view){ .lane = lane, .mode = -1 };
	return &g->lanes[i];
}

static void add_verdict(struct gate_view *g, const struct overview_row *r)
{
	struct verdict_sample *s;
	uint64_t received, decided;
	uint8_t reason;

	if (g->count == GATE_VERDICTS_MAX) {
		g->first = (g->first + 1) % GATE_VERDICTS_MAX;
		g->count--;
	}
	s = &g->ring[(g->first + g->count++) % GATE_VERDICTS_MAX];
	s->stored_ns = r->stored_ns;
	s->verdict = r->arg < VERDICTS_NAMED ? r->arg : VERDICTS_NAMED;
	s->latency_us = LATENCY_NONE;
	s->reason = REASON_UNNAMED;
	if (!r->has_data)
		return;
	/* struct passgate_verdict_record, little-endian */
	received = le64(r->data);
	decided = le64(r->data + 8);
	reason = r->data[24];
	if (reason < PASSGATE_REASON_COUNT)
		s->reason = reason;
	if (received && decided >= received &&
	    (decided - received) / 1000 < LATENCY_NONE)
		s->latency_us = (decided - received) / 1000;
}

void gate_view_fold(struct gate_view *g, const struct overview_row *r)
{
	struct lane_view *l = r->lane >= 0 ? lane_of(g, r->lane) : NULL;
	struct list_view *list;
	uint32_t flags;

	switch (r->type) {
	case PASSGATE_EV_LIST_ACTIVATED:
	case PASSGATE_EV_LIST_EXPIRED:
		/* struct passgate_list_claim; none: a code list's expiry */
		flags = r->has_data ? le32(r->data + 16) : 0;
		list = &g->lists[flags & PASSGATE_CLAIM_TICKETS ?
				 LIST_TICKETS : LIST_CODES];
		if (r->type == PASSGATE_EV_LIST_ACTIVATED) {
			list->generation = r->value;
			list->flags = flags;
			list->expires_at = r->has_data ? le64(r->data + 24) : 0;
			list->expired = false;
		} else if (list->generation == r->value) {
			list->expired = true;
		}
		break;
	case PASSGATE_EV_FIRE_ALARM:
		g->fire = FIRE_ALARM;
		g->fire_bits = r->arg;
		g->fire_ns = r->stored_ns;
		break;
	case PASSGATE_EV_FIRE_CLEAR:
		if (g->fire == FIRE_ALARM) {
			g->fire = FIRE_CLEARED;
			g->fire_ns = r->stored_ns;
		}
		break;
	case PASSGATE_EV_FIRE_RESET:
		g->fire = FIRE_NONE;
		g->fire_bits = 0;
		g->fire_ns = r->stored_ns;
		break;
	case PASSGATE_EV_GATE_MODE:
		g->gate_mode = r->arg;
		break;
	case PASSGATE_EV_LANE_MODE:
		if (l)
			l->mode = r->arg;
		break;
	case PASSGATE_EV_FORCED:
	case PASSGATE_EV_TAILGATE:
	case PASSGATE_EV_BEAM_BLOCKED:
		if (!l)
			break;
		l->alarms |= r->type == PASSGATE_EV_FORCED ?
			     PASSGATE_ALARM_FORCED :
			     r->type == PASSGATE_EV_TAILGATE ?
			     PASSGATE_ALARM_TAILGATE :
			     PASSGATE_ALARM_BEAM_BLOCKED;
		l->alarm_ns = r->stored_ns;
		break;
	case PASSGATE_EV_ALARMS_RESET:
		if (l)
			l->alarms = 0;
		break;
	case PASSGATE_EV_SCANNER_OFFLINE:
	case PASSGATE_EV_SCANNER_ONLINE:
		if (!l || r->arg >= 32)
			break;
		if (r->type == PASSGATE_EV_SCANNER_OFFLINE)
			l->offline |= 1u << r->arg;
		else
			l->offline &= ~(1u << r->arg);
		break;
	case PASSGATE_EV_VERDICT:
		add_verdict(g, r);
		break;
	}
}

void gate_view_forget(struct gate_view *g)
{
	memset(g->lists, 0, sizeof(g->lists));
	g->fire = FIRE_NONE;
	g->fire_bits = 0;
	g->fire_ns = 0;
	g->gate_mode = -1;
	g->nlanes = 0;
	g->first = g->count = 0;
}

void gate_view_init(struct gate_view *g, const char *name)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->gate_mode = -1;
}
