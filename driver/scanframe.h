/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * passgate: the scanner board's frame parser, built unchanged into the
 * module and into userspace (host tests, fuzzer).
 *
 * Every byte fed ends up in exactly one place:
 *
 * - in a delivered frame (@frames counts the frames);
 * - as the 0xA5 of a rejected frame: one byte per @bad_crc or @oversize;
 * - as the 0xA5 of a frame cut off, dropped by passgate_frame_flush():
 *   one byte per @truncated;
 * - in @garbage: skipped while looking for a start marker, including what
 *   follows that 0xA5 up to the next marker when a rejected or cut-off
 *   frame's bytes are rescanned, and a lone 0xA5 dropped by a flush;
 * - still in the buffer (@have).
 *
 * So always: bytes fed == bytes of delivered frames + @bad_crc +
 * @oversize + @truncated + @garbage + @have.
 */
#ifndef _PASSGATE_SCANFRAME_H
#define _PASSGATE_SCANFRAME_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#endif

#include <linux/passgate.h>

/**
 * struct passgate_frame - one valid frame
 * @type: &enum passgate_frame_type (unknown types are delivered too)
 * @seq: the sender's sequence number
 * @len: bytes of @payload
 * @payload: points into the parser; valid only during the callback
 */
struct passgate_frame {
	__u8 type;
	__u8 seq;
	__u16 len;
	const __u8 *payload;
};

/**
 * struct passgate_frame_stats - what the parser saw
 * @frames: valid frames delivered
 * @bad_crc: complete frames whose CRC did not match
 * @oversize: headers announcing len > %PASSGATE_FRAME_PAYLOAD_MAX
 * @truncated: started frames dropped by passgate_frame_flush()
 * @garbage: bytes skipped while looking for a start marker
 */
struct passgate_frame_stats {
	__u64 frames;
	__u64 bad_crc;
	__u64 oversize;
	__u64 truncated;
	__u64 garbage;
};

/**
 * struct passgate_frame_parser - parser state; constant size, no allocation
 * @stats: counters, see the top of this file
 * @have: bytes buffered in @buf: none, a lone 0xA5, or the start of a frame
 * @buf: the frame being received
 */
struct passgate_frame_parser {
	struct passgate_frame_stats stats;
	size_t have;
	__u8 buf[PASSGATE_FRAME_MAX];
};

typedef void (*passgate_frame_cb)(void *ctx, const struct passgate_frame *frame);

void passgate_frame_parser_init(struct passgate_frame_parser *p);
void passgate_frame_feed(struct passgate_frame_parser *p, const __u8 *data,
			 size_t len, passgate_frame_cb cb, void *ctx);
bool passgate_frame_flush(struct passgate_frame_parser *p,
			  passgate_frame_cb cb, void *ctx);
__u16 passgate_frame_crc16(const __u8 *data, size_t len);
size_t passgate_frame_encode(__u8 *out, size_t out_size, __u8 type, __u8 seq,
			     const void *payload, __u16 len);

/**
 * struct passgate_scan_payload - a SCAN frame's payload
 * @kind: &enum passgate_credential
 * @flags: %PASSGATE_SCAN_F_*
 * @temperature: 0.01 °C; 0 unless @flags has %PASSGATE_SCAN_F_TEMPERATURE
 * @token: points into the frame's payload
 * @token_len: 1 to %PASSGATE_TOKEN_MAX
 */
struct passgate_scan_payload {
	__u8 kind;
	__u8 flags;
	__s16 temperature;
	const __u8 *token;
	__u16 token_len;
};

int passgate_frame_scan_parse(const struct passgate_frame *frame,
			      struct passgate_scan_payload *out);

#endif /* _PASSGATE_SCANFRAME_H */
