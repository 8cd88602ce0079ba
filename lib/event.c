// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One event, one line: the text people read and the JSON of the one
 * schema (docs/events-json.md), for every program that prints events.
 * JSON is built with json-c, so every string is escaped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "libpassgate.h"

#define HEX_DIGEST_SHOWN 8

static void hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Copy @text into @buf whole, or fail with ENOSPC. */
static int put(const char *text, size_t n, char *buf, size_t len)
{
	if (n >= len) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(buf, text, n + 1);
	return n;
}

static int add(struct json_object *o, const char *key,
	       struct json_object *value)
{
	/* A NULL value is JSON's null; json-c takes it as that. */
	return json_object_object_add(o, key, value);
}

static struct json_object *event_json(const struct passgate_event *ev,
				      const struct passgate_event_origin *at)
{
	const char *type = passgate_event_type_name(ev->type);
	char data[2 * sizeof(ev->data) + 1], hash[2 * sizeof(at->hash) + 1];
	struct json_object *o = json_object_new_object();
	int ret;

	if (!o)
		return NULL;
	hex(ev->data, sizeof(ev->data), data);
	ret = add(o, "seq", json_object_new_uint64(ev->seq)) ||
	      add(o, "time_ns", json_object_new_uint64(ev->time_ns)) ||
	      add(o, "type", json_object_new_string(type ? type : "unknown")) ||
	      add(o, "lane", ev->lane == PASSGATE_LANE_NONE ? NULL :
		  json_object_new_uint64(ev->lane)) ||
	      add(o, "arg", json_object_new_uint64(ev->arg)) ||
	      add(o, "value", json_object_new_uint64(ev->value)) ||
	      add(o, "data", json_object_new_string(data));
	if (!ret && at && at->journaled) {
		hex(at->hash, sizeof(at->hash), hash);
		ret = add(o, "stream", json_object_new_uint64(at->stream)) ||
		      add(o, "pos", json_object_new_uint64(at->pos)) ||
		      add(o, "stored_ns", json_object_new_int64(at->stored_ns)) ||
		      add(o, "hash", json_object_new_string(hash));
	}
	if (!ret && at && at->gate_name)
		ret = add(o, "gate", json_object_new_string(at->gate_name)) ||
		      add(o, "kind", json_object_new_string("event"));
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int format_json(const struct passgate_event *ev,
		       const struct passgate_event_origin *at, char *buf,
		       size_t len)
{
	struct json_object *o = event_json(ev, at);
	const char *text;
	size_t n;
	int ret;

	if (!o) {
		errno = ENOMEM;
		return -1;
	}
	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE,
						 &n);
	ret = text ? put(text, n, buf, len) : -1;
	if (!text)
		errno = ENOMEM;
	json_object_put(o);
	return ret;
}

static int format_text(const struct passgate_event *ev,
		       const struct passgate_event_origin *at, char *buf,
		       size_t len)
{
	const char *type = passgate_event_type_name(ev->type);
	char line[512], stream[16] = "", lane[16] = "-", digest[32] = "";
	char actor[96];
	int n;

	if (at && at->journaled)
		snprintf(stream, sizeof(stream), "%-4u ", at->stream);
	if (ev->lane != PASSGATE_LANE_NONE)
		snprintf(lane, sizeof(lane), "%u", ev->lane);
	if (ev->type == PASSGATE_EV_SCAN) {
		memcpy(digest, " digest ", 8);
		hex(ev->data, HEX_DIGEST_SHOWN, digest + 8);
		strcat(digest, "..");
	}
	passgate_event_actor_text(ev, actor, sizeof(actor));
	n = snprintf(line, sizeof(line),
		     "%s%-8llu %14.6f  %-16s lane %-3s arg %-3u value %llu%s%s%s",
		     stream, (unsigned long long)ev->seq, ev->time_ns / 1e9,
		     type ? type : "unknown", lane, ev->arg,
		     (unsigned long long)ev->value, digest, actor,
		     ev->type == PASSGATE_EV_LOST ?
		     " (events missed: see value)" : "");
	return put(line, n, buf, len);
}

int passgate_event_format(const struct passgate_event *ev,
			  const struct passgate_event_origin *origin,
			  enum passgate_event_format format, char *buf,
			  size_t len)
{
	switch (format) {
	case PASSGATE_EVENT_TEXT:
		return format_text(ev, origin, buf, len);
	case PASSGATE_EVENT_JSON:
		return format_json(ev, origin, buf, len);
	}
	errno = EINVAL;
	return -1;
}

void passgate_event_actor_text(const struct passgate_event *ev, char *buf,
			       size_t len)
{
	struct passgate_actor a;
	char port[24] = "";

	buf[0] = '\0';
	switch (ev->type) {
	case PASSGATE_EV_LANE_MODE:
	case PASSGATE_EV_GATE_MODE:
	case PASSGATE_EV_ALARMS_RESET:
	case PASSGATE_EV_FIRE_RESET:
		break;
	default:
		return;
	}
	memcpy(&a, ev->data, sizeof(a));
	a.comm[sizeof(a.comm) - 1] = '\0';
	if (a.nl_port)
		snprintf(port, sizeof(port), " port %u", a.nl_port);
	snprintf(buf, len, " by uid %u pid %u (%s)%s", a.uid, a.pid, a.comm,
		 port);
}
