// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-issuer: keygen, a new issuer key pair.
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

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public", required_argument, NULL, 'p' },
		{ "secret", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *pub_path = NULL, *sec_path = NULL;
	char err[ERR_MAX], id[PASSGATE_KEY_ID_HEX];
	struct passgate_seckey *sec;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pub_path = optarg;
			break;
		case 's':
			sec_path = optarg;
			break;
		case 'h':
			usage_text(stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (!pub_path || !sec_path || optind != argc)
		return usage("keygen needs --public FILE and --secret FILE, nothing else");
	if (passgate_seckey_generate(pub_path, sec_path, err, sizeof(err)))
		return refuse("keygen: %s", err);
	sec = passgate_seckey_load(sec_path, err, sizeof(err));
	if (!sec)
		return refuse("keygen: %s", err);
	passgate_key_id_format(passgate_seckey_id(sec), id);
	passgate_seckey_free(sec);
	printf("key id %s\npublic key: %s\nsecret key: %s (unencrypted: keep it secret)\n",
	       id, pub_path, sec_path);
	return 0;
}
