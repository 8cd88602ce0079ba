// SPDX-License-Identifier: GPL-2.0-only
/*
 * The scanner-board frame parser (driver/scanframe.c), built for the host:
 * the same source the module runs.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "scanframe.h"

#define FRAMES_KEPT 16

struct seen_frame {
	__u8 type;
	__u8 seq;
	__u16 len;
	__u8 payload[PASSGATE_FRAME_PAYLOAD_MAX];
};

/* Copies what the callback was given, for the test to check afterwards. */
struct collector {
	struct passgate_frame_parser parser;
	size_t count;
	size_t max_have;
	struct seen_frame frames[FRAMES_KEPT];
};

static void collect(void *ctx, const struct passgate_frame *frame)
{
	struct collector *c = ctx;
	struct seen_frame *f;

	if (c->parser.have > c->max_have)
		c->max_have = c->parser.have;
	if (c->count < FRAMES_KEPT) {
		f = &c->frames[c->count];
		f->type = frame->type;
		f->seq = frame->seq;
		f->len = frame->len;
		memcpy(f->payload, frame->payload, frame->len);
	}
	c->count++;
}

static struct collector *collector_new(void)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (c)
		passgate_frame_parser_init(&c->parser);
	return c;
}

static void feed(struct collector *c, const void *data, size_t len)
{
	passgate_frame_feed(&c->parser, data, len, collect, c);
	if (c->parser.have > c->max_have)
		c->max_have = c->parser.have;
}

static int seen_is(const struct seen_frame *f, __u8 type, __u8 seq,
		   const void *payload, __u16 len)
{
	return f->type == type && f->seq == seq && f->len == len &&
	       !memcmp(f->payload, payload, len);
}

static size_t encode(__u8 *out, __u8 type, __u8 seq, const void *payload,
		     __u16 len)
{
	return passgate_frame_encode(out, PASSGATE_FRAME_MAX, type, seq,
				     payload, len);
}

TEST(crc_check_value)
{
	EXPECT_EQ(0x29B1, passgate_frame_crc16((const __u8 *)"123456789", 9));
	EXPECT_EQ(0xFFFF, passgate_frame_crc16(NULL, 0));
}

TEST(encode_layout_and_round_trip)
{
	static const __u8 payload[] = { 0x01, 0x00, 0x00, 0x00, 'A', 'B', 'C' };
	struct collector *c = collector_new();
	__u8 out[PASSGATE_FRAME_MAX];
	size_t n;

	ASSERT_NE(NULL, c);
	n = encode(out, PASSGATE_FRAME_SCAN, 7, payload, sizeof(payload));
	ASSERT_EQ(PASSGATE_FRAME_HEADER + sizeof(payload) +
		  PASSGATE_FRAME_TRAILER, n);
	EXPECT_EQ(0xA5, out[0]);
	EXPECT_EQ(0x5A, out[1]);
	EXPECT_EQ(sizeof(payload), out[2]);
	EXPECT_EQ(0, out[3]);
	EXPECT_EQ(PASSGATE_FRAME_SCAN, out[4]);
	EXPECT_EQ(7, out[5]);
	EXPECT_EQ(0, memcmp(out + 6, payload, sizeof(payload)));
	EXPECT_EQ(passgate_frame_crc16(out + 2, 4 + sizeof(payload)),
		  out[n - 2] | out[n - 1] << 8);

	feed(c, out, n);
	ASSERT_EQ(1, c->count);
	EXPECT_TRUE(seen_is(&c->frames[0], PASSGATE_FRAME_SCAN, 7, payload,
			    sizeof(payload)));
	EXPECT_EQ(1, c->parser.stats.frames);
	EXPECT_EQ(0, c->parser.stats.garbage);
	EXPECT_EQ(0, c->parser.have);
	free(c);
}

TEST(every_split_point)
{
	static const __u8 payload[] = "split anywhere";
	__u8 stream[2 * PASSGATE_FRAME_MAX];
	struct collector *c;
	size_t n, total, i;

	n = encode(stream, PASSGATE_FRAME_HEARTBEAT, 1, payload,
		   sizeof(payload));
	total = n + encode(stream + n, PASSGATE_FRAME_SCAN, 2, payload, 3);

	for (i = 0; i <= total; i++) {
		c = collector_new();
		ASSERT_NE(NULL, c);
		feed(c, stream, i);
		feed(c, stream + i, total - i);
		ASSERT_EQ(2, c->count) TH_LOG("split at %zu", i);
		EXPECT_TRUE(seen_is(&c->frames[0], PASSGATE_FRAME_HEARTBEAT, 1,
				    payload, sizeof(payload)));
		EXPECT_TRUE(seen_is(&c->frames[1], PASSGATE_FRAME_SCAN, 2,
				    payload, 3));
		EXPECT_EQ(0, c->parser.have);
		EXPECT_EQ(0, c->parser.stats.garbage);
		free(c);
	}

	c = collector_new();
	ASSERT_NE(NULL, c);
	for (i = 0; i < total; i++) {
		feed(c, stream + i, 1);
		EXPECT_EQ(i < n - 1 ? 0 : i < total - 1 ? 1 : 2, c->count);
	}
	EXPECT_EQ(2, c->parser.stats.frames);
	EXPECT_EQ(0, c->parser.have);
	free(c);
}

TEST(back_to_back_frames_in_one_feed)
{
	__u8 stream[5 * 16];
	struct collector *c = collector_new();
	size_t n = 0;
	__u8 i;

	ASSERT_NE(NULL, c);
	for (i = 0; i < 5; i++)
		n += encode(stream + n, PASSGATE_FRAME_HEARTBEAT, i, &i, 1);
	feed(c, stream, n);
	ASSERT_EQ(5, c->count);
	for (i = 0; i < 5; i++)
		EXPECT_TRUE(seen_is(&c->frames[i], PASSGATE_FRAME_HEARTBEAT, i,
				    &i, 1));
	EXPECT_EQ(5, c->parser.stats.frames);
	EXPECT_EQ(0, c->parser.have);
	free(c);
}

TEST(garbage_prefix_skipped_and_counted)
{
	/* A 0xA5 not followed by 0x5A, and one right before the marker. */
	static const __u8 prefix[] = { 'n', 'o', 'i', 's', 'e', 0xA5, 0x00,
				       0x5A, 0xA5 };
	static const __u8 status = PASSGATE_BOARD_IMAGER_OK;
	struct collector *c = collector_new();
	__u8 stream[64];
	size_t n;

	ASSERT_NE(NULL, c);
	memcpy(stream, prefix, sizeof(prefix));
	n = sizeof(prefix) + encode(stream + sizeof(prefix),
				    PASSGATE_FRAME_HEARTBEAT, 9, &status, 1);
	feed(c, stream, n);
	ASSERT_EQ(1, c->count);
	EXPECT_TRUE(seen_is(&c->frames[0], PASSGATE_FRAME_HEARTBEAT, 9,
			    &status, 1));
	EXPECT_EQ(sizeof(prefix), c->parser.stats.garbage);
	EXPECT_EQ(0, c->parser.stats.bad_crc);
	EXPECT_EQ(0, c->parser.stats.oversize);
	free(c);
}

TEST(bad_crc_then_good_frame)
{
	struct collector *c = collector_new();
	__u8 stream[64];
	size_t bad, n;

	ASSERT_NE(NULL, c);
	bad = encode(stream, PASSGATE_FRAME_SCAN, 1, "\x01\x00\x00\x00xyz", 7);
	stream[8] ^= 0x01;
	n = bad + encode(stream + bad, PASSGATE_FRAME_SCAN, 2,
			 "\x01\x00\x00\x00xyz", 7);
	feed(c, stream, n);
	ASSERT_EQ(1, c->count);
	EXPECT_EQ(2, c->frames[0].seq);
	EXPECT_EQ(1, c->parser.stats.bad_crc);
	EXPECT_EQ(1, c->parser.stats.frames);
	/* The rejected frame's 0xA5 is its bad_crc; the rest is garbage. */
	EXPECT_EQ(bad - 1, c->parser.stats.garbage);
	EXPECT_EQ(0, c->parser.have);
	free(c);
}

TEST(frame_inside_corrupt_frame_is_found)
{
	struct collector *c = collector_new();
	__u8 inner[16], stream[64];
	size_t in, n;

	ASSERT_NE(NULL, c);
	in = encode(inner, PASSGATE_FRAME_HEARTBEAT, 5, "\x07", 1);

	/* Wholly inside: an outer frame whose payload holds it, CRC broken. */
	encode(stream, PASSGATE_FRAME_SCAN, 4, NULL, 0);
	memcpy(stream + PASSGATE_FRAME_HEADER, "ab", 2);
	memcpy(stream + PASSGATE_FRAME_HEADER + 2, inner, in);
	memcpy(stream + PASSGATE_FRAME_HEADER + 2 + in, "cd", 2);
	stream[2] = 4 + in;
	n = PASSGATE_FRAME_HEADER + 4 + in + PASSGATE_FRAME_TRAILER;
	stream[n - 2] = 0;
	stream[n - 1] = 0;
	feed(c, stream, n);
	ASSERT_EQ(1, c->count);
	EXPECT_TRUE(seen_is(&c->frames[0], PASSGATE_FRAME_HEARTBEAT, 5,
			    "\x07", 1));
	EXPECT_EQ(1, c->parser.stats.bad_crc);
	EXPECT_EQ(n - 1 - in, c->parser.stats.garbage);
	EXPECT_EQ(0, c->parser.have);
	free(c);

	/* Starting inside, ending after: its bytes complete the outer one. */
	c = collector_new();
	ASSERT_NE(NULL, c);
	memcpy(stream, "\xA5\x5A\x03\x00\x01\x04", 6);
	memcpy(stream + 6, inner, in);
	feed(c, stream, 6 + in);
	ASSERT_EQ(1, c->count);
	EXPECT_EQ(5, c->frames[0].seq);
	EXPECT_EQ(1, c->parser.stats.bad_crc);
	EXPECT_EQ(5, c->parser.stats.garbage);
	free(c);
}

TEST(oversize_header_counted_then_resync)
{
	static const __u8 oversize[] = { 0xA5, 0x5A, 0xFD, 0x03 };
	struct collector *c = collector_new();
	__u8 stream[64];
	size_t n;

	ASSERT_NE(NULL, c);
	/* Rejected as soon as len is in, without waiting for more. */
	feed(c, oversize, sizeof(oversize));
	EXPECT_EQ(1, c->parser.stats.oversize);
	EXPECT_EQ(3, c->parser.stats.garbage);
	EXPECT_EQ(0, c->parser.have);

	/* A marker whose len bytes are the next frame's marker (0x5AA5). */
	memcpy(stream, "\xA5\x5A", 2);
	n = 2 + encode(stream + 2, PASSGATE_FRAME_HEARTBEAT, 3, "\x01", 1);
	feed(c, stream, n);
	ASSERT_EQ(1, c->count);
	EXPECT_EQ(3, c->frames[0].seq);
	EXPECT_EQ(2, c->parser.stats.oversize);
	EXPECT_EQ(4, c->parser.stats.garbage);
	EXPECT_EQ(0, c->parser.stats.bad_crc);
	free(c);
}

static bool flush(struct collector *c)
{
	return passgate_frame_flush(&c->parser, collect, c);
}

TEST(flush_counts_started_frames_once)
{
	struct collector *c = collector_new();
	__u8 frame[16];
	size_t n;

	ASSERT_NE(NULL, c);
	/* Payload 0x03: no byte of this frame but the first is 0xA5. */
	n = encode(frame, PASSGATE_FRAME_HEARTBEAT, 1, "\x03", 1);
	for (size_t i = 1; i < n; i++)
		ASSERT_NE(PASSGATE_FRAME_SOF0, frame[i]);

	EXPECT_FALSE(flush(c));

	/* Cut off: its marker counts as truncated, the rest as garbage. */
	feed(c, frame, n - 1);
	EXPECT_TRUE(flush(c));
	EXPECT_FALSE(flush(c));
	EXPECT_EQ(1, c->parser.stats.truncated);
	EXPECT_EQ(n - 2, c->parser.stats.garbage);
	EXPECT_EQ(0, c->parser.have);

	/* The marker alone has started a frame. */
	feed(c, frame, 2);
	EXPECT_TRUE(flush(c));
	EXPECT_EQ(2, c->parser.stats.truncated);
	EXPECT_EQ(n - 1, c->parser.stats.garbage);

	/* A lone 0xA5 has not; it is garbage. */
	feed(c, frame, 1);
	EXPECT_FALSE(flush(c));
	EXPECT_EQ(2, c->parser.stats.truncated);
	EXPECT_EQ(n, c->parser.stats.garbage);

	/* Nothing stale: after a flush the next whole frame is delivered. */
	feed(c, frame, 3);
	EXPECT_TRUE(flush(c));
	feed(c, frame, n);
	EXPECT_EQ(1, c->count);
	EXPECT_FALSE(flush(c));
	EXPECT_EQ(3, c->parser.stats.truncated);
	free(c);
}

TEST(flush_finds_frame_behind_corrupt_length)
{
	struct collector *c = collector_new();
	__u8 stream[64];
	size_t n;

	ASSERT_NE(NULL, c);
	/* A header whose length was hit by noise: 0x0300 bytes to wait for. */
	memcpy(stream, "\xA5\x5A\x00\x03\x02\x09", 6);
	n = 6 + encode(stream + 6, PASSGATE_FRAME_HEARTBEAT, 4, "\x01", 1);
	feed(c, stream, n);
	/* The parser waits for the long frame; the short one is inside it. */
	EXPECT_EQ(0, c->count);

	/* Silence: the long frame is given up and the short one found. */
	EXPECT_TRUE(flush(c));
	ASSERT_EQ(1, c->count);
	EXPECT_TRUE(seen_is(&c->frames[0], PASSGATE_FRAME_HEARTBEAT, 4,
			    "\x01", 1));
	EXPECT_EQ(1, c->parser.stats.truncated);
	EXPECT_EQ(5, c->parser.stats.garbage);
	EXPECT_EQ(0, c->parser.have);
	free(c);
}

TEST(zero_and_max_length_payloads)
{
	static __u8 payload[PASSGATE_FRAME_PAYLOAD_MAX];
	struct collector *c = collector_new();
	__u8 stream[PASSGATE_FRAME_MAX + 8];
	size_t n, i;

	ASSERT_NE(NULL, c);
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = i * 7 + (i >> 8);

	n = encode(stream, PASSGATE_FRAME_ACK, 0, NULL, 0);
	ASSERT_EQ(PASSGATE_FRAME_HEADER + PASSGATE_FRAME_TRAILER, n);
	feed(c, stream, n);
	ASSERT_EQ(1, c->count);
	EXPECT_EQ(0, c->frames[0].len);

	n = encode(stream, PASSGATE_FRAME_SCAN, 0xff, payload, sizeof(payload));
	ASSERT_EQ(PASSGATE_FRAME_MAX, n);
	feed(c, stream, n);
	ASSERT_EQ(2, c->count);
	EXPECT_TRUE(seen_is(&c->frames[1], PASSGATE_FRAME_SCAN, 0xff, payload,
			    sizeof(payload)));

	/* Byte by byte, with a zero-length frame right behind it. */
	n += encode(stream + n, PASSGATE_FRAME_ACK, 1, NULL, 0);
	for (i = 0; i < n; i++)
		feed(c, stream + i, 1);
	ASSERT_EQ(4, c->count);
	EXPECT_TRUE(seen_is(&c->frames[2], PASSGATE_FRAME_SCAN, 0xff, payload,
			    sizeof(payload)));
	EXPECT_TRUE(seen_is(&c->frames[3], PASSGATE_FRAME_ACK, 1, "", 0));
	EXPECT_GE(sizeof(c->parser.buf), c->max_have);
	EXPECT_EQ(0, c->parser.stats.garbage);
	free(c);
}

TEST(encode_refuses_too_long_or_too_small)
{
	static __u8 payload[PASSGATE_FRAME_PAYLOAD_MAX + 1];
	__u8 out[PASSGATE_FRAME_MAX + 16];
	size_t i;

	memset(out, 0xEE, sizeof(out));
	EXPECT_EQ(0, passgate_frame_encode(out, sizeof(out), 1, 0, payload,
					   PASSGATE_FRAME_PAYLOAD_MAX + 1));
	EXPECT_EQ(0, passgate_frame_encode(out, 10, 1, 0, payload, 3));
	EXPECT_EQ(0, passgate_frame_encode(out, 0, 1, 0, NULL, 0));
	for (i = 0; i < sizeof(out); i++)
		ASSERT_EQ(0xEE, out[i]);

	EXPECT_EQ(11, passgate_frame_encode(out, 11, 1, 0, payload, 3));
	EXPECT_EQ(PASSGATE_FRAME_MAX,
		  passgate_frame_encode(out, PASSGATE_FRAME_MAX, 1, 0, payload,
					PASSGATE_FRAME_PAYLOAD_MAX));
}

static int parse(const void *payload, __u16 len,
		 struct passgate_scan_payload *out)
{
	struct passgate_frame frame = {
		.type = PASSGATE_FRAME_SCAN, .len = len, .payload = payload,
	};

	return passgate_frame_scan_parse(&frame, out);
}

TEST(scan_payload_valid)
{
	static __u8 big[PASSGATE_FRAME_PAYLOAD_MAX] = { PASSGATE_CRED_TICKET };
	struct passgate_scan_payload scan;
	const __u8 plain[] = { PASSGATE_CRED_HEALTH_CODE, 0, 0x34, 0x12, 'Q',
			       'R' };
	const __u8 warm[] = { PASSGATE_CRED_ID_CARD, PASSGATE_SCAN_F_TEMPERATURE,
			      0x42, 0x0E, '1' };
	const __u8 cold[] = { PASSGATE_CRED_TICKET, PASSGATE_SCAN_F_TEMPERATURE,
			      0x0C, 0xFE, 'T' };

	ASSERT_EQ(0, parse(plain, sizeof(plain), &scan));
	EXPECT_EQ(PASSGATE_CRED_HEALTH_CODE, scan.kind);
	EXPECT_EQ(0, scan.flags);
	EXPECT_EQ(0, scan.temperature);
	EXPECT_TRUE(scan.token == plain + 4);
	EXPECT_EQ(2, scan.token_len);

	ASSERT_EQ(0, parse(warm, sizeof(warm), &scan));
	EXPECT_EQ(PASSGATE_CRED_ID_CARD, scan.kind);
	EXPECT_EQ(PASSGATE_SCAN_F_TEMPERATURE, scan.flags);
	EXPECT_EQ(3650, scan.temperature);
	EXPECT_EQ(1, scan.token_len);

	ASSERT_EQ(0, parse(cold, sizeof(cold), &scan));
	EXPECT_EQ(-500, scan.temperature);

	ASSERT_EQ(0, parse(big, sizeof(big), &scan));
	EXPECT_EQ(PASSGATE_TOKEN_MAX, scan.token_len);
}

TEST(scan_payload_rejects)
{
	static __u8 huge[PASSGATE_SCAN_HEADER + PASSGATE_TOKEN_MAX + 1] = {
		PASSGATE_CRED_TICKET
	};
	struct passgate_scan_payload scan;
	const __u8 no_token[] = { PASSGATE_CRED_TICKET, 0, 0, 0 };
	const __u8 kind0[] = { 0, 0, 0, 0, 'x' };
	const __u8 kind4[] = { 4, 0, 0, 0, 'x' };
	const __u8 kind_ff[] = { 0xff, 0, 0, 0, 'x' };
	const __u8 flag1[] = { PASSGATE_CRED_TICKET, 1 << 1, 0, 0, 'x' };
	const __u8 flag7[] = { PASSGATE_CRED_TICKET, 0x81, 0, 0, 'x' };

	EXPECT_EQ(-EINVAL, parse(no_token, 0, &scan));
	EXPECT_EQ(-EINVAL, parse(no_token, sizeof(no_token), &scan));
	EXPECT_EQ(-EINVAL, parse(kind0, sizeof(kind0), &scan));
	EXPECT_EQ(-EINVAL, parse(kind4, sizeof(kind4), &scan));
	EXPECT_EQ(-EINVAL, parse(kind_ff, sizeof(kind_ff), &scan));
	EXPECT_EQ(-EINVAL, parse(flag1, sizeof(flag1), &scan));
	EXPECT_EQ(-EINVAL, parse(flag7, sizeof(flag7), &scan));
	/* Only a hand-made frame gets here: the parser caps len first. */
	EXPECT_EQ(-EINVAL, parse(huge, sizeof(huge), &scan));
	EXPECT_EQ(0, parse(huge, sizeof(huge) - 1, &scan));
}

static void parse_in_callback(void *ctx, const struct passgate_frame *frame)
{
	struct passgate_scan_payload scan;
	int *result = ctx;

	*result = passgate_frame_scan_parse(frame, &scan);
	if (!*result && (scan.token_len != 3 || memcmp(scan.token, "abc", 3)))
		*result = -1;
}

TEST(scan_payload_from_the_stream)
{
	static const __u8 payload[] = { PASSGATE_CRED_ID_CARD,
					PASSGATE_SCAN_F_TEMPERATURE, 0x42, 0x0e,
					'a', 'b', 'c' };
	struct passgate_frame_parser p;
	__u8 stream[32];
	int result = 1;
	size_t n;

	passgate_frame_parser_init(&p);
	n = encode(stream, PASSGATE_FRAME_SCAN, 0, payload, sizeof(payload));
	passgate_frame_feed(&p, stream, n, parse_in_callback, &result);
	EXPECT_EQ(0, result);
}

/* xorshift32: the same stream on every run. */
static __u32 rnd(__u32 *state)
{
	__u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

#define STRESS_FRAMES 10000
#define STRESS_STREAM (STRESS_FRAMES * 128 + 4 * PASSGATE_FRAME_MAX)

struct expected_frame {
	__u8 type;
	__u8 seq;
	__u16 len;
	size_t payload;	/* offset in the stream */
};

struct stress {
	struct passgate_frame_parser parser;
	__u8 stream[STRESS_STREAM];
	struct expected_frame want[STRESS_FRAMES];
	size_t wanted;
	size_t delivered;
	size_t mismatches;
	__u64 delivered_bytes;
	size_t max_have;
};

static void stress_check(void *ctx, const struct passgate_frame *frame)
{
	struct stress *s = ctx;
	struct expected_frame *w;

	if (s->delivered >= s->wanted) {
		s->mismatches++;
	} else {
		w = &s->want[s->delivered];
		if (w->type != frame->type || w->seq != frame->seq ||
		    w->len != frame->len ||
		    memcmp(s->stream + w->payload, frame->payload, frame->len))
			s->mismatches++;
	}
	s->delivered++;
	s->delivered_bytes += PASSGATE_FRAME_HEADER + frame->len +
			      PASSGATE_FRAME_TRAILER;
	if (s->parser.have > s->max_have)
		s->max_have = s->parser.have;
}

static size_t stress_frame(struct stress *s, size_t n, __u32 *seed)
{
	struct expected_frame *w = &s->want[s->wanted++];
	__u8 *payload = s->stream + n + PASSGATE_FRAME_HEADER;
	size_t i;

	w->type = rnd(seed);
	w->seq = rnd(seed);
	/* Mostly short, like SCANs and heartbeats; now and then the longest. */
	w->len = rnd(seed) % 64;
	if (!(rnd(seed) % 500))
		w->len = PASSGATE_FRAME_PAYLOAD_MAX;
	w->payload = n + PASSGATE_FRAME_HEADER;
	for (i = 0; i < w->len; i++)
		payload[i] = rnd(seed);
	return passgate_frame_encode(s->stream + n, sizeof(s->stream) - n,
				     w->type, w->seq, payload, w->len);
}

/* Feeds the stream in random chunks; returns false if accounting broke. */
static bool stress_feed(struct stress *s, size_t n, __u32 *seed)
{
	struct passgate_frame_stats *st = &s->parser.stats;
	size_t off = 0, chunk;

	while (off < n) {
		chunk = 1 + rnd(seed) % 300;
		if (chunk > n - off)
			chunk = n - off;
		passgate_frame_feed(&s->parser, s->stream + off, chunk,
				    stress_check, s);
		off += chunk;
		if (s->parser.have > s->max_have)
			s->max_have = s->parser.have;
		if (off != s->delivered_bytes + st->bad_crc + st->oversize +
			   st->garbage + s->parser.have)
			return false;
	}
	return true;
}

TEST(stress_frames_between_garbage)
{
	struct stress *s = calloc(1, sizeof(*s));
	__u32 seed = 0x5ca9f4a3;
	size_t n = 0, garbage = 0, g, i;

	ASSERT_NE(NULL, s);
	passgate_frame_parser_init(&s->parser);
	for (i = 0; i < STRESS_FRAMES; i++) {
		/* Garbage without 0xA5 can never start a frame. */
		for (g = rnd(&seed) % 24; g; g--, garbage++) {
			s->stream[n] = rnd(&seed);
			if (s->stream[n] == PASSGATE_FRAME_SOF0)
				s->stream[n] = 0;
			n++;
		}
		n += stress_frame(s, n, &seed);
	}

	ASSERT_TRUE(stress_feed(s, n, &seed));
	EXPECT_EQ(STRESS_FRAMES, s->delivered);
	EXPECT_EQ(0, s->mismatches);
	EXPECT_EQ(STRESS_FRAMES, s->parser.stats.frames);
	EXPECT_EQ(garbage, s->parser.stats.garbage);
	EXPECT_EQ(0, s->parser.stats.bad_crc);
	EXPECT_EQ(0, s->parser.stats.oversize);
	EXPECT_EQ(0, s->parser.have);
	EXPECT_FALSE(passgate_frame_flush(&s->parser, NULL, NULL));
	EXPECT_GE(sizeof(s->parser.buf), s->max_have);
	free(s);
}

TEST(stress_hostile_stream)
{
	struct stress *s = calloc(1, sizeof(*s));
	__u32 seed = 0x2718281;
	size_t n = 0, i, g, f;
	__u8 *bad;

	ASSERT_NE(NULL, s);
	passgate_frame_parser_init(&s->parser);
	for (i = 0; i < STRESS_FRAMES; i++) {
		switch (rnd(&seed) % 4) {
		case 0:	/* any bytes, markers included */
			for (g = rnd(&seed) % 24; g; g--)
				s->stream[n++] = rnd(&seed);
			break;
		case 1:	/* a frame with one bit flipped */
			bad = s->stream + n;
			f = stress_frame(s, n, &seed);
			s->wanted--;
			bad[rnd(&seed) % f] ^= 1 << rnd(&seed) % 8;
			n += f;
			break;
		case 2:	/* a header announcing too much */
			memcpy(s->stream + n, "\xA5\x5A\xFF\xFF", 4);
			n += 4;
			break;
		}
		n += stress_frame(s, n, &seed);
	}
	/* Lets a stalled corrupt header complete, so nothing waits behind it. */
	memset(s->stream + n, 0, 2 * PASSGATE_FRAME_MAX);
	n += 2 * PASSGATE_FRAME_MAX;

	ASSERT_TRUE(stress_feed(s, n, &seed));
	EXPECT_EQ(s->wanted, s->delivered);
	EXPECT_EQ(0, s->mismatches);
	EXPECT_EQ(0, s->parser.have);
	EXPECT_LT(0, s->parser.stats.bad_crc);
	EXPECT_LT(0, s->parser.stats.oversize);
	EXPECT_LT(0, s->parser.stats.garbage);
	EXPECT_GE(sizeof(s->parser.buf), s->max_have);
	free(s);
}

TEST_HARNESS_MAIN
