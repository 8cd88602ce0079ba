// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-issuer: verify, a list checked as a gate checks it.
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

#include <json-c/json.h>

/* One object on one line: what a script needs of the verdict. */
static void print_json(const char *path, const struct passgate_list_info *info,
		       const char *id_or_error)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "list", json_object_new_string(path));
	json_object_object_add(o, "accepted",
			       json_object_new_boolean(info != NULL));
	if (!info) {
		json_object_object_add(o, "error",
				       json_object_new_string(id_or_error));
	} else {
		json_object_object_add(o, "kind", json_object_new_string(
				passgate_list_kind_name(info->kind)));
		json_object_object_add(o, "generation",
				       json_object_new_uint64(info->generation));
		json_object_object_add(o, "base_generation",
				       json_object_new_uint64(info->base_generation));
		json_object_object_add(o, "issued_at",
				       json_object_new_uint64(info->issued_at));
		json_object_object_add(o, "not_before",
				       json_object_new_uint64(info->not_before));
		json_object_object_add(o, "expires_at",
				       json_object_new_uint64(info->expires_at));
		json_object_object_add(o, "entries",
				       json_object_new_uint64(info->entry_count));
		json_object_object_add(o, "station",
				       json_object_new_string(info->station));
		json_object_object_add(o, "key_id",
				       json_object_new_string(id_or_error));
		json_object_object_add(o, "bytes",
				       json_object_new_uint64(info->file_size));
		json_object_object_add(o, "holds", json_object_new_string(
				passgate_list_holds_name(info->holds)));
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char err[ERR_MAX], id[PASSGATE_KEY_ID_HEX];
	char issued[32], not_before[32], expires[32];
	const char *trust_dir = NULL, *path;
	struct passgate_list_info info;
	struct passgate_trust *trust;
	int c, json = 0, bad;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'T': trust_dir = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			usage_text(stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (!trust_dir || optind != argc - 1)
		return usage("verify needs --trust DIR and one LIST");
	path = argv[optind];

	trust = passgate_trust_open(trust_dir, err, sizeof(err));
	bad = !trust || passgate_listfile_check(path, NULL, trust, 0, &info,
						err, sizeof(err));
	passgate_trust_free(trust);
	/* Valid now, as a gate would take it: the same words it uses. */
	if (!bad && passgate_listfile_window(&info, time(NULL), err,
					     sizeof(err)) !=
		    PASSGATE_LIST_IN_WINDOW)
		bad = 1;
	if (bad) {
		if (json)
			print_json(path, NULL, err);
		return refuse("%s: refused: %s", path, err);
	}
	passgate_key_id_format(info.key_id, id);
	if (json) {
		print_json(path, &info, id);
		return 0;
	}
	format_time(info.issued_at, issued, sizeof(issued));
	format_time(info.not_before, not_before, sizeof(not_before));
	format_time(info.expires_at, expires, sizeof(expires));
	printf("%s: accepted\n"
	       "kind:            %s\n"
	       "holds:           %s\n"
	       "generation:      %" PRIu64 "\n"
	       "base generation: %" PRIu64 "\n"
	       "issued at:       %" PRIu64 " (%s)\n"
	       "not before:      %" PRIu64 " (%s)\n"
	       "expires at:      %" PRIu64 " (%s)\n"
	       "entries:         %" PRIu64 "\n"
	       "station:         %s\n"
	       "key id:          %s\n",
	       path, passgate_list_kind_name(info.kind),
	       passgate_list_holds_name(info.holds), info.generation,
	       info.base_generation, info.issued_at, issued, info.not_before,
	       not_before, info.expires_at, expires, info.entry_count,
	       *info.station ? info.station : "(any)", id);
	return 0;
}
