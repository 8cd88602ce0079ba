// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one event format (lib/event.c, docs/events-json.md): for every
 * event type, the JSON parses, has exactly the documented keys with their
 * types; the text line says the same; a short buffer is refused whole.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "kselftest_harness.h"
#include "lib/libpassgate.h"

static const char *const base_keys[] = {
	"seq", "time_ns", "type", "lane", "arg", "value", "data",
};
static const char *const journal_keys[] = {
	"stream", "pos", "stored_ns", "hash",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct passgate_event sample(unsigned int type, unsigned int lane)
{
	struct passgate_event ev = {
		.seq = 1000 + type, .time_ns = 5123456789ull, .type = type,
		.lane = lane, .arg = 3, .value = 18446744073709551615ull,
	};

	for (size_t i = 0; i < sizeof(ev.data); i++)
		ev.data[i] = 0xa0 + i;
	return ev;
}

static int is_hex64(struct json_object *v)
{
	const char *s = json_object_get_string(v);

	if (!json_object_is_type(v, json_type_string) || strlen(s) != 64)
		return 0;
	return strspn(s, "0123456789abcdef") == 64;
}

/* Exactly the keys of @sets, in order; returns how many were right. */
static int keys_in_order(struct json_object *o, const char *const *const *sets,
			 const size_t *counts, size_t nsets)
{
	size_t want = 0, seen = 0;
	struct json_object_iterator it = json_object_iter_begin(o);
	struct json_object_iterator end = json_object_iter_end(o);

	for (size_t s = 0; s < nsets; s++)
		want += counts[s];
	for (size_t s = 0; s < nsets; s++)
		for (size_t k = 0; k < counts[s]; k++) {
			if (json_object_iter_equal(&it, &end) ||
			    strcmp(json_object_iter_peek_name(&it),
				   sets[s][k]))
				return -1;
			json_object_iter_next(&it);
			seen++;
		}
	return json_object_iter_equal(&it, &end) && seen == want ? 0 : -1;
}

TEST(every_type_json_has_the_documented_keys)
{
	const char *const *sets[] = { base_keys };
	const size_t counts[] = { N(base_keys) };
	char line[PASSGATE_EVENT_LINE_MAX];
	unsigned int type, checked = 0;

	/* Every named type, and one number without a name. */
	for (type = 0; type < 64; type++) {
		const char *name = passgate_event_type_name(type);
		struct passgate_event ev;
		struct json_object *o, *v;

		if (!name && type != 63)
			continue;
		for (int gate_wide = 0; gate_wide < 2; gate_wide++) {
			ev = sample(type, gate_wide ? PASSGATE_LANE_NONE : 2);
			ASSERT_LT(0, passgate_event_format(&ev, NULL,
							   PASSGATE_EVENT_JSON,
							   line, sizeof(line)));
			ASSERT_EQ(NULL, strchr(line, '\n'));
			o = json_tokener_parse(line);
			ASSERT_NE(NULL, o) TH_LOG("%s", line);
			EXPECT_EQ(0, keys_in_order(o, sets, counts, 1))
				TH_LOG("%s", line);
			v = json_object_object_get(o, "seq");
			EXPECT_EQ(ev.seq, json_object_get_uint64(v));
			v = json_object_object_get(o, "value");
			EXPECT_EQ(ev.value, json_object_get_uint64(v));
			v = json_object_object_get(o, "type");
			EXPECT_STREQ(name ? name : "unknown",
				     json_object_get_string(v));
			v = json_object_object_get(o, "lane");
			if (gate_wide) {
				EXPECT_EQ(NULL, v);
			} else {
				EXPECT_EQ(2, json_object_get_int(v));
			}
			EXPECT_TRUE(is_hex64(json_object_object_get(o, "data")));
			json_object_put(o);
			checked++;
		}
	}
	EXPECT_LT(40, checked);
}

TEST(journaled_rows_add_the_journal_keys)
{
	const char *const *sets[] = { base_keys, journal_keys };
	const size_t counts[] = { N(base_keys), N(journal_keys) };
	struct passgate_event_origin at = {
		.journaled = true, .stream = 2, .pos = 1234,
		.stored_ns = 1765000000123456789ll,
	};
	struct passgate_event ev = sample(PASSGATE_EV_SCAN, 1);
	char line[PASSGATE_EVENT_LINE_MAX];
	struct json_object *o;

	memset(at.hash, 0x5c, sizeof(at.hash));
	ASSERT_LT(0, passgate_event_format(&ev, &at, PASSGATE_EVENT_JSON, line,
					   sizeof(line)));
	o = json_tokener_parse(line);
	ASSERT_NE(NULL, o);
	EXPECT_EQ(0, keys_in_order(o, sets, counts, 2)) TH_LOG("%s", line);
	EXPECT_EQ(1234, json_object_get_int64(json_object_object_get(o, "pos")));
	EXPECT_TRUE(is_hex64(json_object_object_get(o, "hash")));
	json_object_put(o);
}

TEST(strings_are_escaped)
{
	struct passgate_event_origin at = { .gate_name = "a\"b\\c\n" };
	struct passgate_event ev = sample(PASSGATE_EV_SCAN, 0);
	char line[PASSGATE_EVENT_LINE_MAX];
	struct json_object *o;

	ASSERT_LT(0, passgate_event_format(&ev, &at, PASSGATE_EVENT_JSON,
					   line, sizeof(line)));
	EXPECT_EQ(NULL, strchr(line, '\n'));
	o = json_tokener_parse(line);
	ASSERT_NE(NULL, o) TH_LOG("%s", line);
	EXPECT_STREQ("a\"b\\c\n",
		     json_object_get_string(json_object_object_get(o, "gate")));
	json_object_put(o);
}

TEST(text_line_says_the_same)
{
	struct passgate_event_origin at = { .journaled = true, .stream = 7 };
	struct passgate_actor actor = { .uid = 1001, .pid = 42,
					.comm = "passgatectl", .nl_port = 9 };
	struct passgate_event ev = sample(PASSGATE_EV_SCAN, 1);
	char line[PASSGATE_EVENT_LINE_MAX];

	ASSERT_LT(0, passgate_event_format(&ev, NULL, PASSGATE_EVENT_TEXT,
					   line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, "scan")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "lane 1 ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "digest a0a1a2a3a4a5a6a7..")) TH_LOG("%s", line);
	EXPECT_EQ(0, strncmp(line, "1012 ", 5)) TH_LOG("%s", line);

	ev = sample(PASSGATE_EV_LANE_MODE, PASSGATE_LANE_NONE);
	memset(ev.data, 0, sizeof(ev.data));
	memcpy(ev.data, &actor, sizeof(actor));
	ASSERT_LT(0, passgate_event_format(&ev, &at, PASSGATE_EVENT_TEXT,
					   line, sizeof(line)));
	EXPECT_EQ(0, strncmp(line, "7    ", 5)) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "lane -")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " by uid 1001 pid 42 (passgatectl) port 9"))
		TH_LOG("%s", line);

	ev = sample(PASSGATE_EV_LOST, PASSGATE_LANE_NONE);
	ASSERT_LT(0, passgate_event_format(&ev, NULL, PASSGATE_EVENT_TEXT,
					   line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, "(events missed: see value)"));
}

TEST(short_buffer_is_refused_whole)
{
	struct passgate_event ev = sample(PASSGATE_EV_VERDICT, 0);
	char line[PASSGATE_EVENT_LINE_MAX], small[40];
	int n;

	for (int f = PASSGATE_EVENT_TEXT; f <= PASSGATE_EVENT_JSON; f++) {
		n = passgate_event_format(&ev, NULL, f, line, sizeof(line));
		ASSERT_LT(0, n);
		memset(small, 'x', sizeof(small));
		errno = 0;
		EXPECT_EQ(-1, passgate_event_format(&ev, NULL, f, small,
						    sizeof(small)));
		EXPECT_EQ(ENOSPC, errno);
		/* Exactly the line and its NUL fit. */
		EXPECT_EQ(n, passgate_event_format(&ev, NULL, f, line, n + 1));
		EXPECT_EQ(-1, passgate_event_format(&ev, NULL, f, line, n));
	}
	errno = 0;
	EXPECT_EQ(-1, passgate_event_format(&ev, NULL, 7, line, sizeof(line)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
