// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the scanner board's frame parser (driver/scanframe.c,
 * the source the module builds) and the SCAN payload parser.
 *
 * Input: byte 0 = n (mod 32), then n chunk bytes, then the byte stream.
 * A chunk byte c > 0 feeds the next c bytes of the stream, c = 0 flushes
 * (the line went quiet); the rest of the stream is fed at the end, then
 * flushed.
 *
 * Invariants checked (abort() on violation):
 * - the byte accounting of scanframe.h after every feed and flush:
 *   fed == delivered frame bytes + bad_crc + oversize + truncated +
 *   garbage + have;
 * - have < sizeof(buf) after a feed, and the buffer holds nothing, a lone
 *   0xA5 or the start of a frame (0xA5 0x5A); have == 0 after a flush,
 *   whose result is true exactly when it counted a truncated frame;
 * - a delivered frame is genuine: len <= PASSGATE_FRAME_PAYLOAD_MAX and
 *   the bytes around its payload are exactly what passgate_frame_encode()
 *   makes of (type, seq, payload);
 * - chunking does not matter: a second parser fed each flush-delimited
 *   segment in one piece delivers the same frames (type, seq, len,
 *   payload) and ends every segment with the same counters;
 * - passgate_frame_scan_parse() on every frame accepts exactly the
 *   payloads its comment describes, and on success token/token_len lie
 *   inside the payload, 1 <= token_len <= PASSGATE_TOKEN_MAX, flags and
 *   temperature are as sent.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanframe.h"
#include "fuzz_common.h"

struct run {
	struct passgate_frame_parser parser;
	uint64_t fed;
	uint64_t frame_bytes;
	/* FNV-1a over every delivered frame, and their number */
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

static void check_payload(const struct passgate_frame *f)
{
	struct passgate_scan_payload out;
	const uint8_t *b = f->payload;
	int valid, ret;

	memset(&out, 0xcc, sizeof(out));
	ret = passgate_frame_scan_parse(f, &out);
	valid = f->len >= PASSGATE_SCAN_HEADER + 1 &&
		f->len - PASSGATE_SCAN_HEADER <= PASSGATE_TOKEN_MAX &&
		b[0] >= PASSGATE_CRED_HEALTH_CODE && b[0] <= PASSGATE_CRED_TICKET &&
		!(b[1] & ~PASSGATE_SCAN_F_TEMPERATURE);
	CHECK(ret == 0 || ret == -EINVAL);
	CHECK((ret == 0) == valid);
	if (ret)
		return;
	CHECK(out.token >= f->payload);
	CHECK(out.token_len >= 1 && out.token_len <= PASSGATE_TOKEN_MAX);
	CHECK(out.token + out.token_len <= f->payload + f->len);
	CHECK(out.token == f->payload + PASSGATE_SCAN_HEADER);
	CHECK(out.kind == b[0] && out.flags == b[1]);
	if (out.flags & PASSGATE_SCAN_F_TEMPERATURE)
		CHECK(out.temperature == (int16_t)(b[2] | b[3] << 8));
	else
		CHECK(out.temperature == 0);
}

static void on_frame(void *ctx, const struct passgate_frame *f)
{
	static uint8_t enc[PASSGATE_FRAME_MAX];
	struct run *r = ctx;
	size_t total;

	CHECK(f->len <= PASSGATE_FRAME_PAYLOAD_MAX);
	total = PASSGATE_FRAME_HEADER + f->len + PASSGATE_FRAME_TRAILER;
	/* The frame lies inside the parser's buffer... */
	CHECK(f->payload >= r->parser.buf + PASSGATE_FRAME_HEADER);
	CHECK(f->payload + f->len + PASSGATE_FRAME_TRAILER <=
	      r->parser.buf + r->parser.have);
	/* ...and is a frame the encoder would make. */
	CHECK(passgate_frame_encode(enc, sizeof(enc), f->type, f->seq,
				    f->payload, f->len) == total);
	CHECK(!memcmp(enc, f->payload - PASSGATE_FRAME_HEADER, total));

	r->frame_bytes += total;
	r->frames++;
	r->hash = fnv(r->hash, &f->type, 1);
	r->hash = fnv(r->hash, &f->seq, 1);
	r->hash = fnv(r->hash, &f->len, 2);
	r->hash = fnv(r->hash, f->payload, f->len);
	if (r == &chunked)
		check_payload(f);
}

static void check_accounting(const struct run *r)
{
	const struct passgate_frame_stats *s = &r->parser.stats;

	CHECK(r->parser.have <= sizeof(r->parser.buf));
	CHECK(s->frames == r->frames);
	CHECK(r->fed == r->frame_bytes + s->bad_crc + s->oversize +
			s->truncated + s->garbage + r->parser.have);
}

static void feed(struct run *r, const uint8_t *data, size_t len)
{
	const struct passgate_frame_parser *p = &r->parser;

	passgate_frame_feed(&r->parser, data, len, on_frame, r);
	r->fed += len;
	check_accounting(r);
	/* After a scan: less than one frame, from a marker on. */
	CHECK(p->have < sizeof(p->buf));
	CHECK(p->have == 0 || p->buf[0] == PASSGATE_FRAME_SOF0);
	CHECK(p->have < 2 || p->buf[1] == PASSGATE_FRAME_SOF1);
}

static void flush(struct run *r)
{
	uint64_t before = r->parser.stats.truncated;
	bool dropped;

	dropped = passgate_frame_flush(&r->parser, on_frame, r);
	check_accounting(r);
	CHECK(r->parser.have == 0);
	CHECK(dropped == (r->parser.stats.truncated != before));
}

/* Both runs at a segment boundary: same frames, same counters. */
static void compare(void)
{
	CHECK(chunked.frames == whole.frames);
	CHECK(chunked.hash == whole.hash);
	CHECK(chunked.fed == whole.fed);
	CHECK(!memcmp(&chunked.parser.stats, &whole.parser.stats,
		      sizeof(chunked.parser.stats)));
}

static void init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	passgate_frame_parser_init(&r->parser);
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
			/* quiet line: flush both, after the whole segment */
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
