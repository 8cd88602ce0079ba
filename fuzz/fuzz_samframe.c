// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the ID-card SAM module's frame parser and the base
 * information reader (driver/samframe.c, the source the module builds).
 *
 * Input: byte 0 = n (mod 32), then n chunk bytes, then the byte stream,
 * fed as fuzz_scanframe.c feeds its own (a chunk byte c > 0 feeds the
 * next c bytes, 0 flushes; the rest is fed at the end, then flushed).
 *
 * Invariants checked (abort() on violation):
 * - the byte accounting of samframe.h after every feed and flush;
 * - have < sizeof(buf) after a feed, and the buffer starts with a
 *   preamble's prefix; nothing is left after a flush; the buffer beyond
 *   have is all zero (what left it was wiped);
 * - a delivered frame is genuine: re-encoding its body gives its bytes;
 * - chunking does not matter: a second parser fed each flush-delimited
 *   segment whole delivers the same frames and counters;
 * - passgate_sam_base_info() on every frame's data (as an answer)
 *   returns 0 or -EINVAL; on 0 the number is well-formed and the dates
 *   ordered; on -EINVAL the card it was given is untouched.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samframe.h"
#include "fuzz_common.h"

static const uint8_t preamble[] = { 0xaa, 0xaa, 0xaa, 0x96, 0x69 };

struct run {
	struct passgate_sam_parser parser;
	uint64_t fed;
	uint64_t frame_bytes;
	uint64_t hash;
	uint64_t frames;
};

static struct run chunked, whole;

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static void check_card(const struct passgate_sam_frame *f)
{
	struct passgate_id_card card, before;
	int ret;

	if (f->len < 3)
		return;
	memset(&card, 0xcc, sizeof(card));
	before = card;
	ret = passgate_sam_base_info(f->body + 3, f->len - 3, &card);
	CHECK(ret == 0 || ret == -EINVAL);
	if (ret) {
		CHECK(!memcmp(&card, &before, sizeof(card)));
		return;
	}
	CHECK(passgate_id_number_valid(card.number));
	CHECK(card.valid_from > 0);
	CHECK(!card.valid_until || card.valid_until > card.valid_from);
}

static void on_frame(void *ctx, const struct passgate_sam_frame *f)
{
	static uint8_t enc[PASSGATE_SAM_FRAME_MAX];
	struct run *r = ctx;
	size_t total = PASSGATE_SAM_HEADER + f->len + 1;
	uint8_t x = 0;
	size_t i;

	CHECK(f->len >= 2 && f->len < PASSGATE_SAM_LEN_MAX);
	CHECK(f->body == r->parser.buf + PASSGATE_SAM_HEADER);
	CHECK(total <= r->parser.have);
	/* The frame as an encoder makes it: preamble, length, XOR. */
	memcpy(enc, preamble, sizeof(preamble));
	enc[5] = (f->len + 1) >> 8;
	enc[6] = (f->len + 1) & 0xff;
	memcpy(enc + PASSGATE_SAM_HEADER, f->body, f->len);
	for (i = 5; i < PASSGATE_SAM_HEADER + f->len; i++)
		x ^= enc[i];
	enc[PASSGATE_SAM_HEADER + f->len] = x;
	CHECK(!memcmp(enc, r->parser.buf, total));

	r->frame_bytes += total;
	r->frames++;
	r->hash = fnv(r->hash, &f->len, sizeof(f->len));
	r->hash = fnv(r->hash, f->body, f->len);
	if (r == &chunked)
		check_card(f);
}

static void check_accounting(const struct run *r)
{
	const struct passgate_sam_stats *s = &r->parser.stats;
	size_t i, n;

	CHECK(s->frames == r->frames);
	CHECK(r->fed == r->frame_bytes + s->bad_checksum + s->oversize +
			s->truncated + s->garbage + r->parser.have);
	n = r->parser.have < sizeof(preamble) ? r->parser.have :
						 sizeof(preamble);
	CHECK(!memcmp(r->parser.buf, preamble, n));
	for (i = r->parser.have; i < sizeof(r->parser.buf); i++)
		CHECK(!r->parser.buf[i]);
}

static void feed(struct run *r, const uint8_t *data, size_t len)
{
	passgate_sam_feed(&r->parser, data, len, on_frame, r);
	r->fed += len;
	CHECK(r->parser.have < sizeof(r->parser.buf));
	check_accounting(r);
}

static void flush(struct run *r)
{
	uint64_t before = r->parser.stats.truncated;
	bool dropped = passgate_sam_flush(&r->parser);

	CHECK(r->parser.have == 0);
	CHECK(dropped == (r->parser.stats.truncated != before));
	check_accounting(r);
}

static void compare(void)
{
	CHECK(chunked.frames == whole.frames);
	CHECK(chunked.hash == whole.hash);
	CHECK(!memcmp(&chunked.parser.stats, &whole.parser.stats,
		      sizeof(chunked.parser.stats)));
}

static void init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	passgate_sam_parser_init(&r->parser);
	r->hash = 0xcbf29ce484222325ull;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *cuts, *stream;
	size_t ncuts, left, pos = 0, seg = 0, i, n;

	if (!size)
		return 0;
	ncuts = data[0] % 32;
	if (ncuts > size - 1)
		ncuts = size - 1;
	cuts = data + 1;
	stream = cuts + ncuts;
	left = size - 1 - ncuts;

	init(&chunked);
	init(&whole);
	for (i = 0; i < ncuts; i++) {
		if (!cuts[i]) {
			flush(&chunked);
			feed(&whole, stream + seg, pos - seg);
			flush(&whole);
			compare();
			seg = pos;
			continue;
		}
		n = cuts[i] < left - pos ? cuts[i] : left - pos;
		feed(&chunked, stream + pos, n);
		pos += n;
	}
	feed(&chunked, stream + pos, left - pos);
	flush(&chunked);
	feed(&whole, stream + seg, left - seg);
	flush(&whole);
	compare();
	return 0;
}
