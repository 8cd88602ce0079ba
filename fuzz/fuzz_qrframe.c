// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: a QR engine's output cut into codes
 * (driver/qrframe.c, the source the module builds).
 *
 * Input: byte 0 picks the framing (suffix = b0 % 5, AIM = b0 & 8,
 * prefix "PG" = b0 & 16), byte 1 the maximum length (1 to 1016), byte 2
 * n (mod 32), then n chunk bytes (c > 0 feeds c bytes, 0 is silence),
 * then the stream.
 *
 * Invariants checked (abort() on violation):
 * - every delivered code is 1..max_len bytes of printable ASCII;
 * - codes + oversize + truncated + binary + bad_prefix + wrong_symbology
 *   never decreases and grows by one per code delivered;
 * - nothing is pending after a silence;
 * - chunking does not matter between silences: a second parser fed each
 *   segment whole delivers the same codes and counters.
 */
#include <stdint.h>
#include <string.h>

#include "qrframe.h"
#include "fuzz_common.h"

struct run {
	struct passgate_qr_parser p;
	uint64_t hash;
	uint64_t codes;
};

static struct run chunked, whole;

static void on_code(void *ctx, const __u8 *code, size_t len)
{
	struct run *r = ctx;
	size_t i;

	CHECK(len >= 1 && len <= r->p.cfg.max_len);
	for (i = 0; i < len; i++) {
		CHECK(code[i] >= 0x20 && code[i] <= 0x7e);
		r->hash = (r->hash ^ code[i]) * 0x100000001b3ull;
	}
	r->hash = (r->hash ^ 0x100) * 0x100000001b3ull;
	r->codes++;
}

static void feed(struct run *r, const uint8_t *d, size_t n)
{
	passgate_qr_feed(&r->p, d, n, on_code, r);
	CHECK(r->p.stats.codes == r->codes);
	CHECK(r->p.have <= sizeof(r->p.buf));
}

static void quiet(struct run *r)
{
	passgate_qr_flush(&r->p, on_code, r);
	CHECK(!passgate_qr_pending(&r->p));
	CHECK(r->p.stats.codes == r->codes);
}

static void compare(void)
{
	CHECK(chunked.hash == whole.hash);
	CHECK(!memcmp(&chunked.p.stats, &whole.p.stats,
		      sizeof(chunked.p.stats)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct passgate_qr_config cfg = { 0 };
	const uint8_t *cuts, *stream;
	size_t ncuts, left, pos = 0, seg = 0, i, n;

	if (size < 3)
		return 0;
	cfg.suffix = data[0] % 5;
	cfg.aim = data[0] & 8;
	if (data[0] & 16) {
		cfg.prefix_len = 2;
		memcpy(cfg.prefix, "PG", 2);
	}
	cfg.max_len = 1 + data[1] * (PASSGATE_TOKEN_MAX - 1) / 255;
	ncuts = data[2] % 32;
	if (ncuts > size - 3)
		ncuts = size - 3;
	cuts = data + 3;
	stream = cuts + ncuts;
	left = size - 3 - ncuts;

	memset(&chunked, 0, sizeof(chunked));
	memset(&whole, 0, sizeof(whole));
	CHECK(!passgate_qr_parser_init(&chunked.p, &cfg));
	CHECK(!passgate_qr_parser_init(&whole.p, &cfg));
	for (i = 0; i < ncuts; i++) {
		if (!cuts[i]) {
			quiet(&chunked);
			feed(&whole, stream + seg, pos - seg);
			quiet(&whole);
			compare();
			seg = pos;
			continue;
		}
		n = cuts[i] < left - pos ? cuts[i] : left - pos;
		feed(&chunked, stream + pos, n);
		pos += n;
	}
	feed(&chunked, stream + pos, left - pos);
	quiet(&chunked);
	feed(&whole, stream + seg, left - seg);
	quiet(&whole);
	compare();
	return 0;
}
