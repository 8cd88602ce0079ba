// SPDX-License-Identifier: GPL-2.0-only
/*
 * The audit journal for the operator and the auditor:
 *   log [--lane N] [--type NAME] [--limit N]   newest first
 *   log-verify                                 walk the hash chain
 *   stats                                      latency percentiles
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <sodium.h>

#include "ctl.h"
#include "gate/core/journal.h"

static struct passgate_journal *open_journal(const struct options *o)
{
	struct passgate_journal *j;
	char err[256];

	j = passgate_journal_open(o->config.journal, PASSGATE_JOURNAL_ANY_GATE,
				  PASSGATE_JOURNAL_RDONLY, err, sizeof(err));
	if (!j)
		fprintf(stderr, "passgatectl: journal: %s\n", err);
	return j;
}

static int parse_type(const char *name)
{
	for (unsigned int t = 0; t < 64; t++) {
		const char *n = passgate_event_type_name(t);

		if (n && !strcmp(n, name))
			return t;
	}
	return -1;
}

int cmd_log(const struct options *o, int argc, char **argv)
{
	struct passgate_journal_filter f = {
		.flags = PASSGATE_JOURNAL_F_NEWEST_FIRST,
		.limit = 50,
	};
	struct passgate_journal_cursor *c;
	struct passgate_journal_row row;
	struct passgate_journal *j;
	struct passgate_event_origin at = { .journaled = true };
	int i, t, ret;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--lane")) {
			f.flags |= PASSGATE_JOURNAL_F_LANE;
			f.lane = strtoul(argv[i + 1], NULL, 10);
		} else if (!strcmp(argv[i], "--type")) {
			t = parse_type(argv[i + 1]);
			if (t < 0) {
				fprintf(stderr, "passgatectl: no event type %s\n",
					argv[i + 1]);
				return 2;
			}
			f.flags |= PASSGATE_JOURNAL_F_TYPES;
			f.types |= 1ull << t;
		} else if (!strcmp(argv[i], "--limit")) {
			f.limit = strtoul(argv[i + 1], NULL, 10);
		} else {
			return 2;
		}
	}
	if (i != argc)
		return 2;
	j = open_journal(o);
	if (!j)
		return 1;
	c = passgate_journal_query(j, &f);
	if (!c) {
		fprintf(stderr, "passgatectl: log: %s\n",
			passgate_journal_errmsg(j));
		passgate_journal_close(j);
		return 1;
	}
	/* JSON Lines, as events and monitor print them. */
	while ((ret = passgate_journal_cursor_next(c, &row)) == 1) {
		at.stream = row.stream;
		at.pos = row.pos;
		at.stored_ns = row.stored_ns;
		memcpy(at.hash, row.hash, sizeof(at.hash));
		print_event(&row.event, &at, o->json);
	}
	passgate_journal_cursor_close(c);
	passgate_journal_close(j);
	return ret < 0 ? fail("log") : 0;
}

int cmd_log_verify(const struct options *o, int argc, char **argv)
{
	struct passgate_journal_report r;
	struct passgate_journal *j;
	char head[2 * PASSGATE_JOURNAL_HASH_SIZE + 1];
	int ret;

	(void)argc;
	(void)argv;
	j = open_journal(o);
	if (!j)
		return 1;
	ret = passgate_journal_verify(j, &r);
	passgate_journal_close(j);
	sodium_bin2hex(head, sizeof(head), r.head_hash, sizeof(r.head_hash));
	if (o->json) {
		struct json_object *v = json_object_new_object();

		json_object_object_add(v, "ok", json_object_new_boolean(!ret));
		json_object_object_add(v, "records",
				       json_object_new_uint64(r.records));
		json_object_object_add(v, "events",
				       json_object_new_uint64(r.events));
		json_object_object_add(v, "rotated",
				       json_object_new_uint64(r.rotated));
		json_object_object_add(v, "head", json_object_new_string(head));
		if (ret) {
			json_object_object_add(v, "stream",
					       json_object_new_uint64(r.stream));
			json_object_object_add(v, "seq",
					       json_object_new_uint64(r.seq));
			/* Free text: json-c escapes it. */
			json_object_object_add(v, "why",
					       json_object_new_string(r.why));
		}
		puts(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		json_object_put(v);
	} else if (ret) {
		printf("journal BROKEN at stream %u event %" PRIu64 ": %s\n",
		       r.stream, r.seq, r.why);
	} else {
		printf("journal intact: %" PRIu64 " events in %" PRIu64
		       " records, %" PRIu64 " rotated out; head %s\n",
		       r.events, r.records, r.rotated, head);
	}
	return ret ? 1 : 0;
}

int cmd_stats(const struct options *o, int argc, char **argv)
{
	static const char *const names[] = {
		"fast decide", "fast unlock", "slow decide", "slow unlock",
	};
	struct passgate_journal_filter f = { 0 };
	struct passgate_journal_latency l;
	const struct passgate_journal_percentiles *p[4];
	struct passgate_journal *j;
	int i, ret;

	(void)argc;
	(void)argv;
	j = open_journal(o);
	if (!j)
		return 1;
	ret = passgate_journal_latency(j, &f, &l);
	passgate_journal_close(j);
	if (ret)
		return fail("stats");
	p[0] = &l.fast_decide;
	p[1] = &l.fast_actuate;
	p[2] = &l.slow_decide;
	p[3] = &l.slow_actuate;
	if (o->json)
		printf("{");
	for (i = 0; i < 4; i++) {
		if (o->json)
			printf("%s\"%s\":{\"count\":%" PRIu64 ",\"p50_ns\":%"
			       PRIu64 ",\"p99_ns\":%" PRIu64 "}", i ? "," : "",
			       names[i], (uint64_t)p[i]->count,
			       (uint64_t)p[i]->p50_ns, (uint64_t)p[i]->p99_ns);
		else
			printf("%-12s %8" PRIu64 " scans  p50 %10.1f us  p99 %10.1f us\n",
			       names[i], (uint64_t)p[i]->count,
			       p[i]->p50_ns / 1000.0, p[i]->p99_ns / 1000.0);
	}
	if (o->json)
		printf("}\n");
	return 0;
}
