// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-issuer: build, a signed full list from a CSV file: health
 * codes, or with --tickets the railway's tickets (the ID card is the
 * ticket), a list with generations of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "issuer.h"
#include "common/digest.h"
#include "common/minisign.h"

void print_written(const char *path, const struct passgate_list_info *info)
{
	char id[PASSGATE_KEY_ID_HEX];

	passgate_key_id_format(info->key_id, id);
	printf("%s: %s %slist, generation %" PRIu64 ", base %" PRIu64 ", %"
	       PRIu64 " entries, key id %s\n%s.minisig: signature\n", path,
	       passgate_list_kind_name(info->kind),
	       info->holds == PASSGATE_LIST_TICKETS ? "ticket " : "",
	       info->generation, info->base_generation, info->entry_count, id,
	       path);
}

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ "id-key", required_argument, NULL, 'k' },
		{ "csv", required_argument, NULL, 'c' },
		{ "generation", required_argument, NULL, 'g' },
		{ "expires", required_argument, NULL, 'e' },
		{ "not-before", required_argument, NULL, 'n' },
		{ "station", required_argument, NULL, 't' },
		{ "tickets", no_argument, NULL, 'T' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *sec_path = NULL, *key_path = NULL, *csv_path = NULL;
	const char *out = NULL, *expires = NULL, *not_before = NULL;
	const char *generation = NULL, *station = "";
	struct passgate_list_info info = { .kind = PASSGATE_LIST_FULL };
	void *entries;
	uint8_t id_key[PASSGATE_KEY_SIZE];
	struct passgate_seckey *sec;
	uint64_t now = time(NULL);
	char err[ERR_MAX];
	ssize_t count;
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sec_path = optarg; break;
		case 'k': key_path = optarg; break;
		case 'c': csv_path = optarg; break;
		case 'g': generation = optarg; break;
		case 'e': expires = optarg; break;
		case 'n': not_before = optarg; break;
		case 't': station = optarg; break;
		case 'T': info.holds = PASSGATE_LIST_TICKETS; break;
		case 'o': out = optarg; break;
		case 'h':
			usage_text(stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (!sec_path || !csv_path || !generation || !expires || !out ||
	    optind != argc)
		return usage("build needs --secret, --csv, --generation, --expires and -o");
	/* Tickets are keyed by the ID card's digest: always keyed. */
	if (info.holds == PASSGATE_LIST_TICKETS && !key_path)
		return usage("build --tickets needs --id-key");
	if (parse_u64(generation, UINT64_MAX, &info.generation) ||
	    !info.generation)
		return usage("--generation: a whole number from 1");
	if (parse_time(expires, now, &info.expires_at))
		return usage("--expires: unix seconds or +N[dhms]");
	info.not_before = now;
	if (not_before && parse_time(not_before, now, &info.not_before))
		return usage("--not-before: unix seconds or +N[dhms]");
	if (strlen(station) > PASSGATE_LIST_STATION || strpbrk(station, " \t"))
		return usage("--station: at most %zu characters, no blanks",
			     PASSGATE_LIST_STATION);
	strcpy(info.station, station);
	info.issued_at = now;
	if (info.not_before > info.expires_at)
		return refuse("build: --not-before is after --expires");
	if (info.expires_at <= now)
		fprintf(stderr, "%s: warning: the list expires in the past\n", prog);

	if (key_path && passgate_digest_key_load(key_path, id_key, err, sizeof(err)))
		return refuse("build: %s", err);
	sec = passgate_seckey_load(sec_path, err, sizeof(err));
	if (!sec) {
		ret = refuse("build: %s", err);
		goto out_wipe;
	}
	count = read_csv(csv_path, key_path ? id_key : NULL, info.holds,
			 &entries);
	if (count < 0) {
		ret = EXIT_REFUSED;
		goto out_free_key;
	}
	if (passgate_listfile_write_entries(out, &info, entries, count, sec,
					    err, sizeof(err))) {
		ret = refuse("build: %s", err);
	} else {
		print_written(out, &info);
		ret = 0;
	}
	free(entries);
out_free_key:
	passgate_seckey_free(sec);
out_wipe:
	sodium_memzero(id_key, sizeof(id_key));
	return ret;
}
