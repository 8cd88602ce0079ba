// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gate's and its lanes' part of the metrics: modes, lane states and
 * latched alarms as one 0/1 gauge per value (so that an alert names the
 * value it wants), the fire alarm, and the kernel's counters, which run
 * from the gate's or lane's binding.  Read through read-only nodes:
 * observing is all this needs.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

struct lane_seen {
	unsigned int lane;
	struct passgate_state st;
};

static const struct {
	unsigned int bit;
	const char *name;
} lane_alarms[] = {
	{ PASSGATE_ALARM_FORCED, "forced" },
	{ PASSGATE_ALARM_TAILGATE, "tailgate" },
	{ PASSGATE_ALARM_BEAM_BLOCKED, "beam-blocked" },
};

static const struct {
	const char *name, *help;
	size_t offset;
} lane_counters[] = {
	{ "passgate_lane_forced_total", "Forced passages (FORCED): without "
	  "an unlock, or against it.",
	  offsetof(struct passgate_state, forced) },
	{ "passgate_lane_tailgates_total", "Tailgates (TAILGATE): every "
	  "further person inside one unlock.",
	  offsetof(struct passgate_state, tailgates) },
	{ "passgate_lane_beam_blocked_total", "Passages that outlived their "
	  "timeout with a beam still broken (BEAM_BLOCKED).",
	  offsetof(struct passgate_state, beam_blocked) },
	{ "passgate_lane_unlock_timeouts_total", "Unlocks that relocked with "
	  "no passage (TIMEOUT).", offsetof(struct passgate_state, timeouts) },
};

/* name{gate,lane,@label=V} 1 for the value @value has, 0 for the rest. */
static void lane_one_of(FILE *f, const char *g, const struct lane_seen *l,
			const char *name, const char *label, unsigned int value,
			unsigned int count,
			const char *(*name_of)(unsigned int))
{
	unsigned int v;

	for (v = 0; v < count; v++)
		if (name_of(v))
			fprintf(f, "%s{gate=\"%s\",lane=\"%u\",%s=\"%s\"} %d\n",
				name, g, l->lane, label, name_of(v),
				v == value);
}

static void gate_metrics(struct daemon *d, FILE *f,
			 const struct passgate_gate_state *gst)
{
	const char *g = d->cfg.gate_name;
	unsigned int m;

	metrics_family(f, "passgate_gate_mode", "gauge", "The gate's mode "
		       "(passgatectl gate-mode): 1 for the one it is in.");
	for (m = PASSGATE_GATE_NORMAL; m <= PASSGATE_GATE_LOCK_ALL; m++)
		fprintf(f, "passgate_gate_mode{gate=\"%s\",mode=\"%s\"} %d\n",
			g, passgate_gate_mode_name(m), gst->mode == m);
	metrics_family(f, "passgate_fire_alarm_active", "gauge", "1 while "
		       "the fire-alarm input or its supervision line is "
		       "active: every lane FREE.");
	fprintf(f, "passgate_fire_alarm_active{gate=\"%s\"} %d\n", g,
		!!(gst->fire & (PASSGATE_FIRE_ALARM | PASSGATE_FIRE_FAULT)));
	metrics_family(f, "passgate_fire_alarm_latched", "gauge", "1 from a "
		       "fire alarm until an operator resets it (passgatectl "
		       "fire-reset): the lanes stay FREE.");
	fprintf(f, "passgate_fire_alarm_latched{gate=\"%s\"} %d\n", g,
		!!(gst->fire & PASSGATE_FIRE_LATCHED));
	metrics_family(f, "passgate_fire_alarms_total", "counter", "Fire "
		       "alarms and supervision faults since the gate bound.");
	fprintf(f, "passgate_fire_alarms_total{gate=\"%s\"} %llu\n", g,
		(unsigned long long)gst->fire_alarms);
	metrics_family(f, "passgate_events_total", "counter", "Events in "
		       "the gate's stream since it bound.");
	fprintf(f, "passgate_events_total{gate=\"%s\"} %llu\n", g,
		(unsigned long long)gst->event_next);
}

static void lane_state_metrics(struct daemon *d, FILE *f,
			       const struct lane_seen *lanes, unsigned int n)
{
	const char *g = d->cfg.gate_name;
	unsigned int i, a;

	metrics_family(f, "passgate_lane_state", "gauge", "What the lane's "
		       "mechanism does, the gate's mode and fire alarm "
		       "applied: 1 for its state.");
	for (i = 0; i < n; i++)
		lane_one_of(f, g, &lanes[i], "passgate_lane_state", "state",
			    lanes[i].st.state, PASSGATE_STATE_CLOSED + 1,
			    passgate_lane_state_name);
	metrics_family(f, "passgate_lane_mode", "gauge", "The lane's own "
		       "mode (passgatectl mode): 1 for the one it is in.");
	for (i = 0; i < n; i++)
		lane_one_of(f, g, &lanes[i], "passgate_lane_mode", "mode",
			    lanes[i].st.mode, PASSGATE_MODE_CLOSED + 1,
			    passgate_lane_mode_name);
	metrics_family(f, "passgate_lane_alarm", "gauge", "1 while the "
		       "lane's alarm of this kind is latched (until "
		       "passgatectl reset).");
	for (i = 0; i < n; i++)
		for (a = 0; a < sizeof(lane_alarms) / sizeof(*lane_alarms); a++)
			fprintf(f, "passgate_lane_alarm{gate=\"%s\",lane="
				"\"%u\",alarm=\"%s\"} %d\n", g,
				lanes[i].lane, lane_alarms[a].name,
				!!(lanes[i].st.alarms & lane_alarms[a].bit));
}

static void lane_counter_metrics(struct daemon *d, FILE *f,
				 const struct lane_seen *lanes, unsigned int n)
{
	const char *g = d->cfg.gate_name;
	unsigned int i, c, dir;
	uint64_t v;

	metrics_family(f, "passgate_lane_passages_total", "counter",
		       "Completed passages by direction, since the lane "
		       "bound.");
	for (i = 0; i < n; i++)
		for (dir = PASSGATE_DIR_EXIT; dir <= PASSGATE_DIR_ENTRY; dir++)
			fprintf(f, "passgate_lane_passages_total{gate=\"%s\","
				"lane=\"%u\",direction=\"%s\"} %llu\n", g,
				lanes[i].lane, passgate_direction_name(dir),
				(unsigned long long)lanes[i].st.passages[dir]);
	for (c = 0; c < sizeof(lane_counters) / sizeof(*lane_counters); c++) {
		metrics_family(f, lane_counters[c].name, "counter",
			       lane_counters[c].help);
		for (i = 0; i < n; i++) {
			memcpy(&v, (const char *)&lanes[i].st +
			       lane_counters[c].offset, sizeof(v));
			fprintf(f, "%s{gate=\"%s\",lane=\"%u\"} %" PRIu64 "\n",
				lane_counters[c].name, g, lanes[i].lane, v);
		}
	}
}

void metrics_lanes(struct daemon *d, FILE *f)
{
	struct passgate_gate_state gst = { .size = sizeof(gst) };
	struct passgate_lane *lane;
	struct lane_seen *lanes;
	unsigned int l, n = 0;

	if (passgate_gate_get_state(d->gate, &gst))
		return;
	gate_metrics(d, f, &gst);
	lanes = calloc(gst.lanes ? gst.lanes : 1, sizeof(*lanes));
	if (!lanes)
		return;
	for (l = 0; l < gst.lanes; l++) {
		lane = passgate_lane_open(d->cfg.gate, l, O_RDONLY);
		lanes[n].lane = l;
		lanes[n].st.size = sizeof(lanes[n].st);
		if (lane && !passgate_lane_get_state(lane, &lanes[n].st))
			n++;
		passgate_lane_close(lane);
	}
	/* Each family whole, every lane in it: the text format wants that. */
	if (n) {
		lane_state_metrics(d, f, lanes, n);
		lane_counter_metrics(d, f, lanes, n);
	}
	free(lanes);
}
