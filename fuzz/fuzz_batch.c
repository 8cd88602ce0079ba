// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the sealed-batch parser the station's collector runs
 * on everything published under a gate's rows topic (common/batch.c).
 *
 * Input: byte 0 is the mode, the rest the batch.  Mode bit 0x01: before
 * checking, seal the batch's last row with the fixed test key (as a gate
 * would), so that the seal path is reached; bits 0x02..0x80 pick the
 * byte that is then flipped, to check that a sealed batch changed
 * anywhere is refused.
 *
 * Invariants checked (abort() on violation):
 * - an accepted batch is exactly what common/batch.h describes, judged
 *   here from the bytes: the magic, 1..4096 rows, each of a known kind
 *   and its size, positions first.. without a hole, the header's gate,
 *   nothing after the last row;
 * - every accepted row's hash is SHA-256(previous hash || its bytes),
 *   computed here, from the header's previous hash on;
 * - a batch is never verified under the key that did not seal it; one
 *   sealed with the test key is; with any one byte flipped it is either
 *   refused by the parser or not verified.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz_common.h"
#include "common/batch.h"

static struct passgate_chain_row rows[PASSGATE_BATCH_ROWS_MAX];
static uint8_t pk[32], sk[64], other_pk[32];
static uint8_t buf[PASSGATE_BATCH_SIZE_MAX + 1];

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static size_t size_of(uint8_t kind)
{
	return kind == 1 ? 93 : kind == 2 ? 41 : kind == 3 ? 105 : 0;
}

/* The format, judged from the bytes alone: 1 when well-formed. */
static int well_formed(const uint8_t *p, size_t len)
{
	uint64_t first, count, i;
	size_t off = PASSGATE_BATCH_HEADER_SIZE, n;

	if (len < off || memcmp(p, "PGB1", 4))
		return 0;
	first = le(p + 8, 8);
	count = le(p + 16, 4);
	if (!count || count > PASSGATE_BATCH_ROWS_MAX || !first ||
	    first > (uint64_t)INT64_MAX - count)
		return 0;
	for (i = 0; i < count; i++) {
		n = off < len ? size_of(p[off]) : 0;
		if (!n || len - off < n || le(p + off + 1, 8) != first + i ||
		    le(p + off + 9, 4) != le(p + 4, 4))
			return 0;
		off += n;
	}
	return off == len;
}

static void check(const uint8_t *p, size_t len, const uint8_t *key,
		  int expect_verified)
{
	struct passgate_batch b = { .rows = rows };
	uint8_t h[32];
	const uint8_t *prev;
	char why[128];
	int ok;

	ok = !passgate_batch_parse(p, len, &b, why, sizeof(why));
	CHECK(ok == well_formed(p, len));
	if (!ok)
		return;
	prev = p + 20;
	for (uint32_t i = 0; i < b.count; i++) {
		crypto_hash_sha256_state st;

		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, prev, 32);
		crypto_hash_sha256_update(&st, rows[i].enc, rows[i].len);
		crypto_hash_sha256_final(&st, h);
		CHECK(!memcmp(h, rows[i].hash, 32));
		CHECK(rows[i].pos == b.first + i);
		prev = rows[i].hash;
	}
	CHECK(b.last == b.first + b.count - 1);
	CHECK(passgate_batch_verify(&b, other_pk) != 0);
	if (expect_verified >= 0)
		CHECK((passgate_batch_verify(&b, key) == 0) == expect_verified);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct passgate_batch b = { .rows = rows };
	uint8_t seed[32] = { 7 }, seal[64], other_sk[64];
	char why[128];
	size_t len, at;

	if (!ready) {
		CHECK(sodium_init() >= 0);
		crypto_sign_seed_keypair(pk, sk, seed);
		seed[0] = 8;
		crypto_sign_seed_keypair(other_pk, other_sk, seed);
		ready = 1;
	}
	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	len = size - 1;
	memcpy(buf, data + 1, len);
	if (!(data[0] & 1)) {
		check(buf, len, pk, -1);
		return 0;
	}
	/* Sealed as a gate seals it: verified; one byte flipped: not. */
	if (passgate_batch_parse(buf, len, &b, why, sizeof(why)))
		return 0;
	CHECK(!passgate_seal_sign(sk, b.gate, b.last,
				  rows[b.count - 1].hash, seal));
	memcpy(buf + 52, seal, sizeof(seal));
	check(buf, len, pk, 1);
	at = (data[0] >> 1) * len / 128;
	buf[at] ^= 0x01;
	check(buf, len, pk, 0);
	return 0;
}
