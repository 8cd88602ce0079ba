// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: credential digests.  Codes and tickets: SHA-256 over the
 * domain "passgate/v1", the kind byte and the token.  ID cards: HMAC-
 * SHA-256 of the same message under the gate's key, since ID numbers are
 * few enough to be found from a plain hash by trying them all.
 */
#include <crypto/sha2.h>
#include <linux/string.h>

#include "passgate_private.h"

#define PASSGATE_DOMAIN "passgate/v1"
#define PASSGATE_HMAC_BLOCK SHA256_BLOCK_SIZE

static void passgate_digest_message(struct sha256_state *sctx, u8 kind,
				    const u8 *token, size_t len)
{
	sha256_update(sctx, PASSGATE_DOMAIN, sizeof(PASSGATE_DOMAIN) - 1);
	sha256_update(sctx, &kind, 1);
	sha256_update(sctx, token, len);
}

/* Keyed with a 32-byte key, which fits HMAC's block without hashing. */
static void passgate_hmac(const u8 *key, u8 kind, const u8 *token,
			  size_t len, u8 *out)
{
	u8 pad[PASSGATE_HMAC_BLOCK];
	u8 inner[SHA256_DIGEST_SIZE];
	struct sha256_state sctx;
	int i;

	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, PASSGATE_KEY_SIZE);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	sha256_init(&sctx);
	sha256_update(&sctx, pad, sizeof(pad));
	passgate_digest_message(&sctx, kind, token, len);
	sha256_final(&sctx, inner);

	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	sha256_init(&sctx);
	sha256_update(&sctx, pad, sizeof(pad));
	sha256_update(&sctx, inner, sizeof(inner));
	sha256_final(&sctx, out);

	memzero_explicit(pad, sizeof(pad));
	memzero_explicit(inner, sizeof(inner));
}

void passgate_digest(u8 kind, const u8 *token, size_t len, const u8 *key,
		     u8 *out)
{
	struct sha256_state sctx;

	if (key) {
		passgate_hmac(key, kind, token, len, out);
		return;
	}
	sha256_init(&sctx);
	passgate_digest_message(&sctx, kind, token, len);
	sha256_final(&sctx, out);
}
