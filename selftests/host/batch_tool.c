// SPDX-License-Identifier: GPL-2.0-only
/*
 * A gate's journal and its sealed batches for the station tests
 * (selftests/host/collector_test.sh), made with the gate's own code:
 *
 *   batch_tool key SEED_HEX                 print the public key
 *   batch_tool append DB GATE SEED_HEX N PER
 *                  N more SCAN events, committed PER at a time, sealed
 *   batch_tool export DB AFTER MAX OUT      the batch after AFTER into OUT;
 *                                           print "FIRST LAST" (none: "-")
 *   batch_tool head DB POS                  print "POS HASH" as confirmed
 *   batch_tool events DB GATE SEED_HEX EVENT...
 *                  these events, committed together, sealed; each EVENT
 *                  one word (LANE "-": the gate's own):
 *                    verdict:LANE:VERDICT:REASON:LATENCY_US
 *                    list-activated:GENERATION:EXPIRES_AT[:tickets]
 *                    list-expired:GENERATION[:tickets]
 *                    TYPE:LANE:ARG    any other type lib/names.c names
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/batch.h"
#include "gate/core/journal.h"
#include "lib/libpassgate.h"

static const uint8_t stream_id[PASSGATE_JOURNAL_STREAM_ID_SIZE] = { 0x5e };

static int keypair(const char *hex, uint8_t *pk, uint8_t *sk)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	size_t got;

	if (sodium_hex2bin(seed, sizeof(seed), hex, strlen(hex), NULL, &got,
			   NULL) || got != sizeof(seed)) {
		fprintf(stderr, "batch_tool: a seed is 64 hex digits\n");
		return -1;
	}
	crypto_sign_seed_keypair(pk, sk, seed);
	return 0;
}

static int append(char **argv)
{
	uint8_t pk[32], sk[64];
	struct passgate_journal *j;
	uint64_t n = strtoull(argv[4], NULL, 10);
	uint64_t per = strtoull(argv[5], NULL, 10);
	uint64_t seq;
	char err[256];

	if (keypair(argv[3], pk, sk) || !per)
		return 2;
	j = passgate_journal_open(argv[1], strtoul(argv[2], NULL, 10),
				  PASSGATE_JOURNAL_CREATE, err, sizeof(err));
	if (!j) {
		fprintf(stderr, "batch_tool: %s\n", err);
		return 1;
	}
	if (passgate_journal_set_seal_key(j, sk) ||
	    passgate_journal_begin_stream(j, stream_id))
		goto fail;
	seq = passgate_journal_last_seq(j) + 1;
	for (uint64_t i = 0; i < n; i++, seq++) {
		struct passgate_event ev = {
			.seq = seq, .time_ns = 1000000 + seq,
			.type = PASSGATE_EV_SCAN, .lane = seq % 2,
			.arg = PASSGATE_CRED_HEALTH_CODE, .value = seq,
		};

		memset(ev.data, seq & 0xff, sizeof(ev.data));
		if (passgate_journal_append(j, &ev) ||
		    ((i + 1) % per == 0 && passgate_journal_flush(j)))
			goto fail;
	}
	if (passgate_journal_flush(j))
		goto fail;
	passgate_journal_close(j);
	return 0;
fail:
	fprintf(stderr, "batch_tool: %s\n", passgate_journal_errmsg(j));
	passgate_journal_close(j);
	return 1;
}

static int number(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || end == s || s[0] == '-' ? -1 : 0;
}

/* One EVENT word (see the top) into @ev, at @seq; -1 if malformed. */
static int parse_event(char *word, uint64_t seq, struct passgate_event *ev)
{
	char *field[6] = { NULL };
	uint64_t v[5] = { 0 };
	int n = 0, t;
	struct timespec now;
	const char *name;

	for (char *p = strtok(word, ":"); p && n < 6; p = strtok(NULL, ":"))
		field[n++] = p;
	for (t = 0; t < 64; t++) {
		name = passgate_event_type_name(t);
		if (name && n && !strcmp(name, field[0]))
			break;
	}
	if (t == 64)
		return -1;
	clock_gettime(CLOCK_BOOTTIME, &now);
	*ev = (struct passgate_event){
		.seq = seq, .type = t, .lane = PASSGATE_LANE_NONE,
		.time_ns = now.tv_sec * 1000000000ULL + now.tv_nsec,
	};
	for (int i = 1; i < n; i++)
		if (strcmp(field[i], "-") && strcmp(field[i], "tickets") &&
		    number(field[i], &v[i - 1]))
			return -1;
	if (t == PASSGATE_EV_VERDICT) {
		struct passgate_verdict_record rec = {
			.received_ns = ev->time_ns - v[3] * 1000,
			.decided_ns = ev->time_ns, .reason = v[2],
			.fast = 1,
		};

		if (n != 5)
			return -1;
		ev->lane = v[0];
		ev->arg = v[1];
		ev->value = seq;
		memcpy(ev->data, &rec, sizeof(rec));
	} else if (t == PASSGATE_EV_LIST_ACTIVATED ||
		   t == PASSGATE_EV_LIST_EXPIRED) {
		struct passgate_list_claim claim = { .station = "st1" };
		int tickets = !strcmp(field[n - 1], "tickets");

		if (n - tickets != (t == PASSGATE_EV_LIST_EXPIRED ? 2 : 3))
			return -1;
		ev->arg = 1;	/* a full list */
		ev->value = v[0];
		if (t == PASSGATE_EV_LIST_ACTIVATED)
			claim.expires_at = v[1];
		if (tickets)
			claim.flags = PASSGATE_CLAIM_TICKETS;
		if (t == PASSGATE_EV_LIST_ACTIVATED || tickets)
			memcpy(ev->data, &claim, sizeof(claim));
	} else {
		if (n != 3)
			return -1;
		if (strcmp(field[1], "-"))
			ev->lane = v[0];
		ev->arg = v[1];
	}
	return 0;
}

static int events(int argc, char **argv)
{
	uint8_t pk[32], sk[64];
	struct passgate_journal *j;
	struct passgate_event ev;
	uint64_t seq;
	char err[256];

	if (keypair(argv[2], pk, sk))
		return 2;
	j = passgate_journal_open(argv[0], strtoul(argv[1], NULL, 10),
				  PASSGATE_JOURNAL_CREATE, err, sizeof(err));
	if (!j) {
		fprintf(stderr, "batch_tool: %s\n", err);
		return 1;
	}
	if (passgate_journal_set_seal_key(j, sk) ||
	    passgate_journal_begin_stream(j, stream_id))
		goto fail;
	seq = passgate_journal_last_seq(j) + 1;
	for (int i = 3; i < argc; i++, seq++) {
		if (parse_event(argv[i], seq, &ev)) {
			fprintf(stderr, "batch_tool: not an event: %s\n",
				argv[i]);
			passgate_journal_close(j);
			return 2;
		}
		if (passgate_journal_append(j, &ev))
			goto fail;
	}
	if (passgate_journal_flush(j))
		goto fail;
	passgate_journal_close(j);
	return 0;
fail:
	fprintf(stderr, "batch_tool: %s\n", passgate_journal_errmsg(j));
	passgate_journal_close(j);
	return 1;
}

static struct passgate_journal *reader(const char *path)
{
	struct passgate_journal *j;
	char err[256];

	j = passgate_journal_open(path, PASSGATE_JOURNAL_ANY_GATE,
				  PASSGATE_JOURNAL_RDONLY, err, sizeof(err));
	if (!j)
		fprintf(stderr, "batch_tool: %s\n", err);
	return j;
}

static int export(char **argv)
{
	struct passgate_journal *j = reader(argv[1]);
	uint64_t after = strtoull(argv[2], NULL, 10), last;
	uint8_t *buf = malloc(PASSGATE_BATCH_SIZE_MAX);
	FILE *f;
	long n;

	if (!j || !buf)
		return 1;
	n = passgate_journal_export(j, after, strtoul(argv[3], NULL, 10), buf,
				    &last);
	if (n < 0) {
		fprintf(stderr, "batch_tool: %s\n", passgate_journal_errmsg(j));
		return 1;
	}
	if (!n) {
		printf("-\n");
		return 0;
	}
	f = fopen(argv[4], "we");
	if (!f || fwrite(buf, 1, n, f) != (size_t)n || fclose(f)) {
		perror(argv[4]);
		return 1;
	}
	printf("%" PRIu64 " %" PRIu64 "\n", after + 1, last);
	passgate_journal_close(j);
	free(buf);
	return 0;
}

static int head(char **argv)
{
	struct passgate_journal *j = reader(argv[1]);
	uint8_t hash[PASSGATE_JOURNAL_HASH_SIZE];
	char hex[2 * sizeof(hash) + 1];
	uint64_t pos = strtoull(argv[2], NULL, 10);

	if (!j || passgate_journal_row_hash(j, pos, hash))
		return 1;
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	printf("%" PRIu64 " %s\n", pos, hex);
	passgate_journal_close(j);
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t pk[32], sk[64];
	char hex[65];

	if (sodium_init() < 0)
		return 1;
	if (argc == 3 && !strcmp(argv[1], "key")) {
		if (keypair(argv[2], pk, sk))
			return 2;
		sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
		printf("%s\n", hex);
		return 0;
	}
	if (argc == 7 && !strcmp(argv[1], "append"))
		return append(argv + 1);
	if (argc == 6 && !strcmp(argv[1], "export"))
		return export(argv + 1);
	if (argc == 4 && !strcmp(argv[1], "head"))
		return head(argv + 1);
	if (argc >= 6 && !strcmp(argv[1], "events"))
		return events(argc - 2, argv + 2);
	fprintf(stderr, "usage: batch_tool key SEED | append DB GATE SEED N PER"
		" | export DB AFTER MAX OUT | head DB POS"
		" | events DB GATE SEED EVENT...\n");
	return 2;
}
