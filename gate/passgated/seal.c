// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gate's seal key (docs/station.md, "Sealed batches"): an Ed25519 key
 * of the gate's own, made on the daemon's first start and kept in its
 * state folder.  Every journal commit is sealed with it; the station's
 * collector checks the seals with the public half, which the operator
 * enrolls in its gate registry.
 *
 *   STATE_DIR/seal-gateN.key  the 32-byte seed in hex, mode 0600
 *   STATE_DIR/seal-gateN.pub  the public key in hex, mode 0644
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"
#include "common/batch.h"
#include "common/file.h"
#include "common/seed.h"
#include "gate/core/journal.h"

#define SEED_SIZE PASSGATE_SEED_SIZE

static int seal_paths(const struct daemon *d, char *key, char *pub)
{
	int a, b;

	a = snprintf(key, PATH_MAX, "%s/seal-gate%u.key", d->cfg.state_dir,
		     d->cfg.gate);
	b = snprintf(pub, PATH_MAX, "%s/seal-gate%u.pub", d->cfg.state_dir,
		     d->cfg.gate);
	return a < 0 || a >= PATH_MAX || b < 0 || b >= PATH_MAX ? -1 : 0;
}

int seal_open(struct daemon *d)
{
	uint8_t seed[SEED_SIZE], pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	char key[PATH_MAX], pub[PATH_MAX], hex[2 * sizeof(pk) + 2];
	bool created;
	int ret = -1;

	if (seal_paths(d, key, pub)) {
		passgate_log_pri(LOG_ERR, NULL, "seal key: state_dir too long");
		return -1;
	}
	/*
	 * A sealed journal without its key: a new key would seal the rows
	 * to come under a key the station does not know, and the rows
	 * sealed before could never reach it.  The operator decides.
	 */
	if (access(key, F_OK) && passgate_journal_last_seal(d->journal)) {
		passgate_log_pri(LOG_ERR, NULL,
				 "seal key %s is gone, and the journal %s is "
				 "sealed with it: restore the key, or move the "
				 "journal aside and enroll the gate again with "
				 "a new one (docs/station.md, \"Enrolling a "
				 "gate\")", key, d->cfg.journal);
		return -1;
	}
	/* A new key is written before anything is sealed with it. */
	created = access(key, F_OK) != 0;
	if (created ? passgate_seed_create(key, seed) :
		      passgate_seed_read(key, seed)) {
		passgate_log_pri(LOG_ERR, NULL, "seal key %s: %s", key,
				 errno == EBADMSG ? "not 64 hex digits" :
				 passgate_file_strerror(errno));
		goto out;
	}
	/* The operator enrolls its public half at the station. */
	if (created)
		passgate_log_pri(LOG_NOTICE, NULL, "seal key %s: created", key);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
	/* The public half, for the operator to enroll at the station. */
	strcat(hex, "\n");
	if (passgate_file_replace(pub, hex, strlen(hex), 0644)) {
		passgate_log_pri(LOG_ERR, NULL, "seal key %s: %s", pub,
				 strerror(errno));
		goto out;
	}
	if (passgate_journal_set_seal_key(d->journal, sk)) {
		passgate_log_pri(LOG_ERR, NULL, "journal seals: %s",
				 passgate_journal_errmsg(d->journal));
		goto out;
	}
	hex[strlen(hex) - 1] = '\0';
	passgate_log("journal sealed with key %s", hex);
	ret = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return ret;
}
