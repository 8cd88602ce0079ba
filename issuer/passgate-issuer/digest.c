// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-issuer: digest, a credential's digest as the gate computes it.
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

int cmd_digest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "id-key", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *kind_name = NULL, *key_path = NULL, *token;
	uint8_t id_key[PASSGATE_KEY_SIZE], digest[PASSGATE_DIGEST_SIZE];
	char err[ERR_MAX], hex[2 * PASSGATE_DIGEST_SIZE + 1];
	unsigned int kind;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kind_name = optarg; break;
		case 'i': key_path = optarg; break;
		case 'h':
			usage_text(stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (!kind_name || optind != argc - 1)
		return usage("digest needs --kind and one TOKEN");
	token = argv[optind];
	if (!strcmp(kind_name, "code"))
		kind = PASSGATE_CRED_HEALTH_CODE;
	else if (!strcmp(kind_name, "id"))
		kind = PASSGATE_CRED_ID_CARD;
	else if (!strcmp(kind_name, "ticket"))
		kind = PASSGATE_CRED_TICKET;
	else
		return usage("--kind: code, id or ticket");
	if (kind == PASSGATE_CRED_ID_CARD && !key_path)
		return usage("--kind id needs --id-key FILE");
	if (key_path && kind != PASSGATE_CRED_ID_CARD)
		return usage("--id-key is only for --kind id");
	if (key_path && passgate_digest_key_load(key_path, id_key, err, sizeof(err)))
		return refuse("digest: %s", err);
	if (passgate_digest_compute(kind, token, strlen(token),
				    key_path ? id_key : NULL, digest)) {
		sodium_memzero(id_key, sizeof(id_key));
		return refuse("digest: %s", strerror(errno));
	}
	sodium_memzero(id_key, sizeof(id_key));
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	printf("%s\n", hex);
	return 0;
}
