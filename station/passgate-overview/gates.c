// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gates of the station (gates.h): one lock over all of them, and
 * every changed snapshot pushed to the feed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "gate_view.h"

struct gates {
	pthread_mutex_t lock;
	struct feed feed;
	char station[33];
	unsigned int window_min;
	bool broker, database;
	char *station_json;
	struct gate_view *gate[GATES_MAX];	/* sorted by name */
	size_t count;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* "event: NAME\ndata: JSON\n\n" to the feed. */
static void push(struct gates *gs, const char *event, const char *json)
{
	static const char format[] = "event: %s\ndata: %s\n\n";
	size_t len = sizeof(format) + strlen(event) + strlen(json);
	char *text = malloc(len);

	if (!text)
		return;
	len = snprintf(text, len, format, event, json);
	feed_push(&gs->feed, text, len);
}

/* The gate's snapshot anew; pushed when it changed. */
static void publish_gate(struct gates *gs, struct gate_view *g, int64_t now)
{
	char *json = gate_view_json(g, gs->window_min, now);

	if (!json || (g->json && !strcmp(json, g->json))) {
		free(json);
		return;
	}
	free(g->json);
	g->json = json;
	push(gs, "gate", json);
}

static void publish_station(struct gates *gs)
{
	struct json_object *o = json_object_new_object();
	char *json;

	json_object_object_add(o, "station",
			       json_object_new_string(gs->station));
	json_object_object_add(o, "broker",
			       json_object_new_boolean(gs->broker));
	json_object_object_add(o, "database",
			       json_object_new_boolean(gs->database));
	json_object_object_add(o, "window_s",
			       json_object_new_int(gs->window_min * 60));
	json = strdup(json_object_to_json_string_ext(o,
		      JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	if (!json || (gs->station_json && !strcmp(json, gs->station_json))) {
		free(json);
		return;
	}
	free(gs->station_json);
	gs->station_json = json;
	push(gs, "station", json);
}

/* -------------------------------------------------------------------------
 * The gates
 */

struct gates *gates_new(const char *station, unsigned int window_min)
{
	struct gates *gs = calloc(1, sizeof(*gs));

	if (!gs)
		return NULL;
	if (pthread_mutex_init(&gs->lock, NULL))
		goto free_gates;
	if (feed_init(&gs->feed))
		goto destroy_lock;
	snprintf(gs->station, sizeof(gs->station), "%s", station);
	gs->window_min = window_min;
	publish_station(gs);
	return gs;
destroy_lock:
	pthread_mutex_destroy(&gs->lock);
free_gates:
	free(gs);
	return NULL;
}

void gates_free(struct gates *gs)
{
	if (!gs)
		return;
	for (size_t i = 0; i < gs->count; i++) {
		free(gs->gate[i]->json);
		free(gs->gate[i]);
	}
	free(gs->station_json);
	feed_destroy(&gs->feed);
	pthread_mutex_destroy(&gs->lock);
	free(gs);
}

struct feed *gates_feed(struct gates *gs)
{
	return &gs->feed;
}

/* @name's gate, made when @create and there is room; lock held. */
static struct gate_view *find(struct gates *gs, const char *name, bool create)
{
	size_t lo = 0, hi = gs->count, mid;
	struct gate_view *g;
	int cmp;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		cmp = strcmp(gs->gate[mid]->name, name);
		if (!cmp)
			return gs->gate[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!create || gs->count == GATES_MAX || strlen(name) >= 33)
		return NULL;
	g = malloc(sizeof(*g));
	if (!g)
		return NULL;
	gate_view_init(g, name);
	memmove(&gs->gate[lo + 1], &gs->gate[lo],
		(gs->count - lo) * sizeof(gs->gate[0]));
	gs->gate[lo] = g;
	gs->count++;
	return g;
}

void gates_set_status(struct gates *gs, const char *name,
		      enum gate_status status)
{
	struct gate_view *g;

	pthread_mutex_lock(&gs->lock);
	g = find(gs, name, status != GATE_STATUS_UNKNOWN);
	if (g) {
		g->status = status;
		publish_gate(gs, g, now_ns());
	}
	pthread_mutex_unlock(&gs->lock);
}

void gates_set_broker(struct gates *gs, bool connected)
{
	pthread_mutex_lock(&gs->lock);
	gs->broker = connected;
	publish_station(gs);
	/* Away from the broker, no status is known. */
	for (size_t i = 0; !connected && i < gs->count; i++) {
		gs->gate[i]->status = GATE_STATUS_UNKNOWN;
		publish_gate(gs, gs->gate[i], now_ns());
	}
	pthread_mutex_unlock(&gs->lock);
}

void gates_set_database(struct gates *gs, bool connected)
{
	pthread_mutex_lock(&gs->lock);
	gs->database = connected;
	publish_station(gs);
	pthread_mutex_unlock(&gs->lock);
}

bool gates_pos(struct gates *gs, const char *name, uint64_t *pos)
{
	struct gate_view *g;
	bool known;

	pthread_mutex_lock(&gs->lock);
	g = find(gs, name, false);
	known = g && g->in_db;
	*pos = known ? g->pos : 0;
	pthread_mutex_unlock(&gs->lock);
	return known;
}

int gates_fold(struct gates *gs, const char *name, bool fresh, uint64_t head,
	       int64_t verified_at, const struct overview_row *rows,
	       size_t count)
{
	struct gate_view *g;

	pthread_mutex_lock(&gs->lock);
	g = find(gs, name, true);
	if (!g) {
		pthread_mutex_unlock(&gs->lock);
		return -1;
	}
	if (fresh)
		gate_view_forget(g);
	for (size_t i = 0; i < count; i++)
		gate_view_fold(g, &rows[i]);
	g->in_db = true;
	g->pos = head;
	g->verified_at = verified_at;
	publish_gate(gs, g, now_ns());
	pthread_mutex_unlock(&gs->lock);
	return 0;
}

void gates_tick(struct gates *gs)
{
	int64_t now = now_ns();

	pthread_mutex_lock(&gs->lock);
	for (size_t i = 0; i < gs->count; i++)
		publish_gate(gs, gs->gate[i], now);
	pthread_mutex_unlock(&gs->lock);
}

char *gates_state(struct gates *gs, uint64_t *seq, size_t *len)
{
	size_t size = 64, n;
	char *text, *p;

	pthread_mutex_lock(&gs->lock);
	size += strlen(gs->station_json);
	for (size_t i = 0; i < gs->count; i++)
		size += (gs->gate[i]->json ? strlen(gs->gate[i]->json) : 4) + 1;
	text = malloc(size);
	if (text) {
		p = text;
		p += sprintf(p, "{\"station\":%s,\"gates\":[", gs->station_json);
		for (size_t i = 0; i < gs->count; i++) {
			const char *json = gs->gate[i]->json;

			if (!json)
				continue;
			n = strlen(json);
			if (p[-1] != '[')
				*p++ = ',';
			memcpy(p, json, n);
			p += n;
		}
		p += sprintf(p, "]}");
		*len = p - text;
		/* every push happens under this lock: none is missed */
		*seq = feed_seq(&gs->feed);
	}
	pthread_mutex_unlock(&gs->lock);
	return text;
}
