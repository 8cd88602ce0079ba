// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the scanner board's frame parser.  One source for the module
 * and for userspace, so the host tests and the fuzzer run the code the
 * kernel runs.  No allocation, no recursion, constant-size state; each
 * byte costs at most one CRC over a frame, whatever the input.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#endif

#include "scanframe.h"

/* Bytes covered by the CRC before the payload: len, type, seq. */
#define PASSGATE_FRAME_CRC_HEADER (PASSGATE_FRAME_HEADER - 2)

static __u16 passgate_frame_get_le16(const __u8 *p)
{
	return p[0] | p[1] << 8;
}

static void passgate_frame_put_le16(__u8 *p, __u16 v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

/**
 * passgate_frame_parser_init() - start a parser with nothing buffered
 * @p: the parser
 */
void passgate_frame_parser_init(struct passgate_frame_parser *p)
{
	memset(p, 0, sizeof(*p));
}

/**
 * passgate_frame_crc16() - CRC-16/CCITT-FALSE
 * @data: the bytes
 * @len: how many
 *
 * Poly 0x1021, init 0xFFFF, no reflection, no final xor; "123456789"
 * gives 0x29B1.
 *
 * Return: the CRC.
 */
__u16 passgate_frame_crc16(const __u8 *data, size_t len)
{
	__u16 crc = 0xffff;

	/* The polynomial applied a byte at a time, without a table. */
	while (len--) {
		crc = crc >> 8 | crc << 8;
		crc ^= *data++;
		crc ^= (crc & 0xff) >> 4;
		crc ^= crc << 12;
		crc ^= (crc & 0xff) << 5;
	}
	return crc;
}

/**
 * passgate_frame_encode() - build one frame
 * @out: where to put it; @payload may already sit at
 *	@out + %PASSGATE_FRAME_HEADER
 * @out_size: bytes available at @out
 * @type: &enum passgate_frame_type
 * @seq: the sender's sequence number
 * @payload: @len bytes
 * @len: at most %PASSGATE_FRAME_PAYLOAD_MAX
 *
 * Return: the frame's length, or 0 when @len is too long or @out too small.
 */
size_t passgate_frame_encode(__u8 *out, size_t out_size, __u8 type, __u8 seq,
			     const void *payload, __u16 len)
{
	size_t total = PASSGATE_FRAME_HEADER + len + PASSGATE_FRAME_TRAILER;

	if (len > PASSGATE_FRAME_PAYLOAD_MAX || out_size < total)
		return 0;

	if (len)
		memmove(out + PASSGATE_FRAME_HEADER, payload, len);
	out[0] = PASSGATE_FRAME_SOF0;
	out[1] = PASSGATE_FRAME_SOF1;
	passgate_frame_put_le16(out + 2, len);
	out[4] = type;
	out[5] = seq;
	passgate_frame_put_le16(out + PASSGATE_FRAME_HEADER + len,
				passgate_frame_crc16(out + 2,
						     PASSGATE_FRAME_CRC_HEADER + len));
	return total;
}

/*
 * Returns the offset of the next start marker at or after @off, or of a
 * 0xA5 that ends the buffer (the marker's second byte may be next to come).
 */
static size_t passgate_frame_sync(struct passgate_frame_parser *p, size_t off)
{
	while (off < p->have) {
		if (p->buf[off] == PASSGATE_FRAME_SOF0 &&
		    (off + 1 == p->have || p->buf[off + 1] == PASSGATE_FRAME_SOF1))
			break;
		p->stats.garbage++;
		off++;
	}
	return off;
}

/*
 * Delivers every frame complete in the buffer, then keeps only what may
 * still become one.  A rejected frame loses just its first byte, because a
 * real frame may start anywhere after it.
 */
static void passgate_frame_scan(struct passgate_frame_parser *p,
				passgate_frame_cb cb, void *ctx)
{
	struct passgate_frame frame;
	size_t off = 0, avail, total;
	const __u8 *start;
	__u16 len;

	for (;;) {
		off = passgate_frame_sync(p, off);
		start = p->buf + off;
		avail = p->have - off;
		if (avail < 4)
			break;

		len = passgate_frame_get_le16(start + 2);
		if (len > PASSGATE_FRAME_PAYLOAD_MAX) {
			p->stats.oversize++;
			off++;
			continue;
		}

		total = PASSGATE_FRAME_HEADER + len + PASSGATE_FRAME_TRAILER;
		if (avail < total)
			break;

		if (passgate_frame_crc16(start + 2,
					 PASSGATE_FRAME_CRC_HEADER + len) !=
		    passgate_frame_get_le16(start + PASSGATE_FRAME_HEADER + len)) {
			p->stats.bad_crc++;
			off++;
			continue;
		}

		frame.type = start[4];
		frame.seq = start[5];
		frame.len = len;
		frame.payload = start + PASSGATE_FRAME_HEADER;
		p->stats.frames++;
		cb(ctx, &frame);
		off += total;
	}

	p->have -= off;
	memmove(p->buf, p->buf + off, p->have);
}

/**
 * passgate_frame_feed() - parse the next chunk of the byte stream
 * @p: the parser
 * @data: the bytes
 * @len: how many; any chunking of a stream gives the same frames
 * @cb: called for each valid frame, in order; it must not feed or flush @p
 * @ctx: passed to @cb
 *
 * The frame handed to @cb points into @p and is valid only during the call.
 */
void passgate_frame_feed(struct passgate_frame_parser *p, const __u8 *data,
			 size_t len, passgate_frame_cb cb, void *ctx)
{
	size_t room, n;

	/*
	 * After a scan the buffer holds less than one frame, so there is
	 * always room and every round consumes input.
	 */
	while (len) {
		room = sizeof(p->buf) - p->have;
		n = len < room ? len : room;
		memcpy(p->buf + p->have, data, n);
		p->have += n;
		data += n;
		len -= n;
		passgate_frame_scan(p, cb, ctx);
	}
}

/**
 * passgate_frame_flush() - the stream went quiet: nothing more will come
 * @p: the parser
 * @cb: called for each valid frame still found, as for a feed
 * @ctx: passed to @cb
 *
 * A frame waiting for more bytes will not get them: it loses its first
 * byte and counts as truncated, and what was buffered behind it is scanned
 * again, so a whole frame after a corrupted length is still delivered.
 * Afterwards the parser is empty.
 *
 * Return: true if a started frame was dropped.
 */
bool passgate_frame_flush(struct passgate_frame_parser *p,
			  passgate_frame_cb cb, void *ctx)
{
	bool dropped = false;

	while (p->have) {
		/* After a scan the buffer starts at a marker or a lone 0xA5. */
		if (p->have >= 2) {
			p->stats.truncated++;
			dropped = true;
		} else {
			p->stats.garbage++;
		}
		p->have--;
		memmove(p->buf, p->buf + 1, p->have);
		passgate_frame_scan(p, cb, ctx);
	}
	return dropped;
}

/**
 * passgate_frame_scan_parse() - check and split a SCAN frame's payload
 * @frame: a %PASSGATE_FRAME_SCAN frame
 * @out: filled in on success; @out->token points into @frame's payload
 *
 * Return: 0, or -EINVAL when the payload is shorter than
 * %PASSGATE_SCAN_HEADER + 1, the kind is not an &enum passgate_credential,
 * a flag other than %PASSGATE_SCAN_F_TEMPERATURE is set, or the token is
 * longer than %PASSGATE_TOKEN_MAX.
 */
int passgate_frame_scan_parse(const struct passgate_frame *frame,
			      struct passgate_scan_payload *out)
{
	const __u8 *b = frame->payload;
	__u16 token_len;

	if (frame->len < PASSGATE_SCAN_HEADER + 1)
		return -EINVAL;
	token_len = frame->len - PASSGATE_SCAN_HEADER;
	if (token_len > PASSGATE_TOKEN_MAX)
		return -EINVAL;

	switch (b[0]) {
	case PASSGATE_CRED_HEALTH_CODE:
	case PASSGATE_CRED_ID_CARD:
	case PASSGATE_CRED_TICKET:
		break;
	default:
		return -EINVAL;
	}
	if (b[1] & ~PASSGATE_SCAN_F_TEMPERATURE)
		return -EINVAL;

	out->kind = b[0];
	out->flags = b[1];
	out->temperature = 0;
	if (b[1] & PASSGATE_SCAN_F_TEMPERATURE)
		out->temperature = (__s16)passgate_frame_get_le16(b + 2);
	out->token = b + PASSGATE_SCAN_HEADER;
	out->token_len = token_len;
	return 0;
}
