/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Credential digests, exactly as the kernel module computes them
 * (<linux/passgate.h>, "Scans and verdicts"):
 *
 *   health code, ticket: SHA-256("passgate/v1" || kind || token)
 *   ID card:             HMAC-SHA-256(id_key, "passgate/v1" || kind || token)
 *
 * with kind one byte, &enum passgate_credential.  Lists and the kernel's
 * maps keep the first PASSGATE_LIST_DIGEST bytes (<common/allowlist.h>).
 *
 * Error contract: <common/fail.h>.
 */
#ifndef PASSGATE_DIGEST_H
#define PASSGATE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include <linux/passgate.h>

#define PASSGATE_DIGEST_DOMAIN "passgate/v1"

/*
 * The PASSGATE_DIGEST_SIZE-byte digest of @token for @kind.  An ID card
 * needs @id_key (PASSGATE_KEY_SIZE bytes); other kinds ignore it.  EINVAL
 * for an unknown kind or an ID card without a key; EMSGSIZE for a token
 * longer than a scan can carry (PASSGATE_TOKEN_MAX).
 */
int passgate_digest_compute(unsigned int kind, const void *token, size_t len,
			    const uint8_t *id_key, uint8_t *out);

/*
 * Read the deployment's ID-card key: a file of exactly PASSGATE_KEY_SIZE
 * raw bytes, or of 2 * PASSGATE_KEY_SIZE hex digits and an optional
 * newline.
 */
int passgate_digest_key_load(const char *path, uint8_t *id_key, char *err,
			     size_t errlen);

#endif
