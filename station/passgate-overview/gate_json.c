// SPDX-License-Identifier: GPL-2.0-only
/*
 * A gate's snapshot as JSON (gate_view.h), built with json-c: every
 * string is escaped by it, so no name or value from a row can break out
 * of its place.  docs/station.md, "The overview page", lists the fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "gate_view.h"

static void add_string(struct json_object *o, const char *key,
		       const char *value)
{
	json_object_object_add(o, key, value ? json_object_new_string(value) :
			       NULL);
}

static void add_int(struct json_object *o, const char *key, int64_t value)
{
	json_object_object_add(o, key, json_object_new_int64(value));
}

/* A name lib/names.c gives, else the number. */
static void add_name(struct json_object *o, const char *key,
		     const char *name, unsigned int value)
{
	char num[16];

	if (!name) {
		snprintf(num, sizeof(num), "%u", value);
		name = num;
	}
	add_string(o, key, name);
}

static const char *const status_names[] = {
	[GATE_STATUS_UNKNOWN] = "unknown",
	[GATE_STATUS_ONLINE] = "online",
	[GATE_STATUS_OFFLINE] = "offline",
};

static const char *const fire_names[] = {
	[FIRE_NONE] = "none",
	[FIRE_ALARM] = "alarm",
	[FIRE_CLEARED] = "cleared",
};

static const char *const reader_names[] = {
	[PASSGATE_READER_BOARD] = "board",
	[PASSGATE_READER_ID_SAM] = "id-sam",
	[PASSGATE_READER_QR_ENGINE] = "qr-engine",
};

/* Expired: its LIST_EXPIRED came, or its expiry passed on this clock. */
static bool list_expired(const struct list_view *l, int64_t now)
{
	return l->generation && (l->expired || (l->expires_at &&
		(int64_t)l->expires_at <= now / NS_PER_S));
}

static struct json_object *list_json(const struct list_view *l, int64_t now)
{
	struct json_object *o;

	if (!l->generation)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "generation",
			       json_object_new_uint64(l->generation));
	if (l->expires_at)
		add_int(o, "expires_at", l->expires_at);
	else
		json_object_object_add(o, "expires_at", NULL);
	json_object_object_add(o, "expired",
			       json_object_new_boolean(list_expired(l, now)));
	json_object_object_add(o, "restored", json_object_new_boolean(
			       l->flags & PASSGATE_CLAIM_RESTORED));
	return o;
}

static struct json_object *lane_json(const struct lane_view *l)
{
	struct json_object *o = json_object_new_object();
	struct json_object *alarms = json_object_new_array();
	struct json_object *offline = json_object_new_array();

	add_int(o, "lane", l->lane);
	if (l->mode >= 0)
		add_name(o, "mode", passgate_lane_mode_name(l->mode), l->mode);
	else
		json_object_object_add(o, "mode", NULL);
	if (l->alarms & PASSGATE_ALARM_FORCED)
		json_object_array_add(alarms, json_object_new_string("forced"));
	if (l->alarms & PASSGATE_ALARM_TAILGATE)
		json_object_array_add(alarms,
				      json_object_new_string("tailgate"));
	if (l->alarms & PASSGATE_ALARM_BEAM_BLOCKED)
		json_object_array_add(alarms,
				      json_object_new_string("beam-blocked"));
	json_object_object_add(o, "alarms", alarms);
	if (l->alarms)
		add_int(o, "alarm_at", l->alarm_ns / NS_PER_S);
	for (unsigned int r = 0; r < 32; r++) {
		char num[16];

		if (!(l->offline & 1u << r))
			continue;
		snprintf(num, sizeof(num), "%u", r);
		json_object_array_add(offline, json_object_new_string(
			r < sizeof(reader_names) / sizeof(reader_names[0]) ?
			reader_names[r] : num));
	}
	json_object_object_add(o, "readers_offline", offline);
	return o;
}

static int by_latency(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Drop the samples older than the window. */
static void prune(struct gate_view *g, int64_t from)
{
	while (g->count && g->ring[g->first].stored_ns < from) {
		g->first = (g->first + 1) % GATE_VERDICTS_MAX;
		g->count--;
	}
}

/*
 * The window's verdicts: a total per minute (oldest first), the count of
 * each verdict and reason, and the p99 of scan to verdict.  The minutes
 * are the gate's clock's (stored_ns): a gate's verdicts count when they
 * happened, not when its backlog arrived.
 */
static struct json_object *verdicts_json(struct gate_view *g,
					 unsigned int window_min, int64_t now)
{
	static uint32_t counts[VERDICTS_NAMED + 1][REASON_UNNAMED + 1];
	static uint32_t latency[GATE_VERDICTS_MAX];
	struct json_object *o = json_object_new_object();
	struct json_object *minutes = json_object_new_array();
	struct json_object *reasons = json_object_new_array();
	unsigned int per_minute[60] = { 0 };
	int64_t from = now - (int64_t)window_min * NS_PER_MIN, age;
	size_t i, n = 0, total = 0;

	/* In the gate's order; a clock stepped back leaves older ones. */
	prune(g, from);
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < g->count; i++) {
		const struct verdict_sample *s =
			&g->ring[(g->first + i) % GATE_VERDICTS_MAX];

		if (s->stored_ns < from)
			continue;
		age = (now - s->stored_ns) / NS_PER_MIN;
		if (age < 0)
			age = 0;	/* the gate's clock is ahead */
		if (age >= window_min)
			age = window_min - 1;
		per_minute[window_min - 1 - age]++;
		total++;
		counts[s->verdict][s->reason]++;
		if (s->latency_us != LATENCY_NONE)
			latency[n++] = s->latency_us;
	}
	add_int(o, "window_s", window_min * 60);
	add_int(o, "total", total);
	for (i = 0; i < window_min; i++)
		json_object_array_add(minutes,
				      json_object_new_int(per_minute[i]));
	json_object_object_add(o, "per_minute", minutes);
	for (unsigned int v = 0; v <= VERDICTS_NAMED; v++)
		for (unsigned int r = 0; r <= REASON_UNNAMED; r++) {
			struct json_object *c;
			const char *name;

			if (!counts[v][r])
				continue;
			c = json_object_new_object();
			name = v < VERDICTS_NAMED ? passgate_verdict_name(v) :
			       NULL;
			add_string(c, "verdict", name ? name : "?");
			name = r < REASON_UNNAMED ? passgate_reason_name(r) :
			       NULL;
			add_string(c, "reason", name ? name : "?");
			add_int(c, "count", counts[v][r]);
			json_object_array_add(reasons, c);
		}
	json_object_object_add(o, "by_reason", reasons);
	if (n) {
		/* nearest rank: the smallest value at or above 99% of them */
		qsort(latency, n, sizeof(latency[0]), by_latency);
		add_int(o, "p99_us", latency[(n * 99 + 99) / 100 - 1]);
	} else {
		json_object_object_add(o, "p99_us", NULL);
	}
	add_int(o, "latency_samples", n);
	return o;
}

char *gate_view_json(struct gate_view *g, unsigned int window_min,
		     int64_t now)
{
	struct json_object *o = json_object_new_object();
	struct json_object *lists = json_object_new_object();
	struct json_object *lanes = json_object_new_array();
	bool degraded = false;
	char *text;

	add_string(o, "gate", g->name);
	add_string(o, "status", status_names[g->status]);
	json_object_object_add(o, "in_database",
			       json_object_new_boolean(g->in_db));
	add_int(o, "verified_pos", g->pos);
	if (g->in_db && g->verified_at)
		add_int(o, "verified_at", g->verified_at);
	else
		json_object_object_add(o, "verified_at", NULL);
	json_object_object_add(lists, "codes",
			       list_json(&g->lists[LIST_CODES], now));
	json_object_object_add(lists, "tickets",
			       list_json(&g->lists[LIST_TICKETS], now));
	json_object_object_add(o, "lists", lists);
	for (int k = 0; k < LIST_KINDS; k++)
		degraded |= list_expired(&g->lists[k], now);
	json_object_object_add(o, "degraded",
			       json_object_new_boolean(degraded));
	add_string(o, "fire", fire_names[g->fire]);
	if (g->fire != FIRE_NONE)
		add_int(o, "fire_at", g->fire_ns / NS_PER_S);
	if (g->gate_mode >= 0)
		add_name(o, "gate_mode", passgate_gate_mode_name(g->gate_mode),
			 g->gate_mode);
	else
		json_object_object_add(o, "gate_mode", NULL);
	for (size_t i = 0; i < g->nlanes; i++)
		json_object_array_add(lanes, lane_json(&g->lanes[i]));
	json_object_object_add(o, "lanes", lanes);
	json_object_object_add(o, "verdicts",
			       verdicts_json(g, window_min, now));
	text = strdup(json_object_to_json_string_ext(o,
		      JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}
