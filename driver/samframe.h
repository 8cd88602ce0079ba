/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * passgate: the ID-card security module's (SAM, GA 467) frames, parsed
 * and encoded by one source built into the module and into userspace
 * (host tests, fuzzer, the module simulator).  docs/readers.md has the
 * protocol and its sources.
 *
 * A frame: the preamble AA AA AA 96 69, a big-endian length of what
 * follows, then (host to module) a command and a parameter byte, or
 * (module to host) the status SW1 SW2 SW3 and data, and an XOR of every
 * byte from the length on.  The length counts the checksum byte.
 *
 * The parser buffers at most one frame.  Every byte fed ends in exactly
 * one place: in a delivered frame; one byte (the preamble's first) per
 * @bad_checksum, @oversize or @truncated; in @garbage; or still in the
 * buffer (@have).  So always: bytes fed == bytes of delivered frames +
 * @bad_checksum + @oversize + @truncated + @garbage + @have.  Whatever
 * leaves the buffer is wiped: a card's name, address and photo pass
 * through it.
 */
#ifndef _PASSGATE_SAMFRAME_H
#define _PASSGATE_SAMFRAME_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#endif

#define PASSGATE_SAM_PREAMBLE_LEN 5
/* Preamble and length. */
#define PASSGATE_SAM_HEADER 7
/* The shortest frame: a command and its parameter, and the checksum. */
#define PASSGATE_SAM_LEN_MIN 3
/* An answer's status: SW1 SW2 SW3. */
#define PASSGATE_SAM_STATUS_LEN 3
/*
 * The longest answer taken: base information with a fingerprint (30 10),
 * 3 + 2 + 2 + 2 + 256 + 1024 + 1024 + 1.  Anything longer is not a frame.
 */
#define PASSGATE_SAM_LEN_MAX 2314
#define PASSGATE_SAM_FRAME_MAX (PASSGATE_SAM_HEADER + PASSGATE_SAM_LEN_MAX)

/* Commands: the two bytes after the length. */
#define PASSGATE_SAM_CMD_FIND 0x2001
#define PASSGATE_SAM_CMD_SELECT 0x2002
#define PASSGATE_SAM_CMD_READ_BASE 0x3001

/* SW3, the status byte that matters (SW1 SW2 are 00 00). */
#define PASSGATE_SAM_OK 0x90
#define PASSGATE_SAM_FOUND 0x9f
#define PASSGATE_SAM_NO_CARD 0x80
#define PASSGATE_SAM_SELECT_FAILED 0x81

/* The base information's text: UCS-2 little-endian, fixed fields. */
#define PASSGATE_SAM_TEXT_LEN 256
#define PASSGATE_SAM_PHOTO_LEN 1024
/* After name 30, sex 2, nation 4, birth date 16, address 70 bytes. */
#define PASSGATE_SAM_ID_OFFSET 122
#define PASSGATE_SAM_ID_CHARS 18
/* After the ID number 36 and the issuing authority 30 bytes. */
#define PASSGATE_SAM_FROM_OFFSET 188
#define PASSGATE_SAM_UNTIL_OFFSET 204
#define PASSGATE_SAM_DATE_CHARS 8

/**
 * struct passgate_sam_frame - one frame, either way
 * @len: bytes of @body: between the length and the checksum
 * @body: a command and its parameter (and data), or an answer's status
 *	SW1 SW2 SW3 and data; points into the parser, valid only during the
 *	callback
 */
struct passgate_sam_frame {
	__u16 len;
	const __u8 *body;
};

/**
 * struct passgate_sam_stats - what the parser saw
 * @frames: valid frames delivered
 * @bad_checksum: complete frames whose XOR did not match
 * @oversize: lengths outside %PASSGATE_SAM_LEN_MIN..%PASSGATE_SAM_LEN_MAX
 * @truncated: started frames dropped by passgate_sam_flush()
 * @garbage: bytes skipped while looking for a preamble
 */
struct passgate_sam_stats {
	__u64 frames;
	__u64 bad_checksum;
	__u64 oversize;
	__u64 truncated;
	__u64 garbage;
};

/**
 * struct passgate_sam_parser - parser state; constant size, no allocation
 * @stats: counters, see the top of this file
 * @have: bytes buffered in @buf: a preamble's start, or a frame's
 * @buf: the frame being received
 */
struct passgate_sam_parser {
	struct passgate_sam_stats stats;
	size_t have;
	__u8 buf[PASSGATE_SAM_FRAME_MAX];
};

typedef void (*passgate_sam_cb)(void *ctx, const struct passgate_sam_frame *f);

void passgate_sam_parser_init(struct passgate_sam_parser *p);
void passgate_sam_feed(struct passgate_sam_parser *p, const __u8 *data,
		       size_t len, passgate_sam_cb cb, void *ctx);
bool passgate_sam_flush(struct passgate_sam_parser *p);
size_t passgate_sam_encode_command(__u8 *out, size_t out_size, __u16 cmd);
size_t passgate_sam_encode_answer(__u8 *out, size_t out_size, __u8 sw3,
				  const __u8 *data, __u16 data_len);

/**
 * struct passgate_id_card - what passgate takes from a card: nothing else
 * @number: the 18-character ID number, ASCII ('0'-'9', a final 'X')
 * @valid_from: unix seconds of the first valid day, 00:00 UTC+8
 * @valid_until: unix seconds of the day after the last, 00:00 UTC+8;
 *	0: long-term card
 */
struct passgate_id_card {
	char number[PASSGATE_SAM_ID_CHARS];
	__u32 valid_from;
	__u32 valid_until;
};

int passgate_sam_base_info(const __u8 *data, size_t len,
			   struct passgate_id_card *card);
bool passgate_id_number_valid(const char number[PASSGATE_SAM_ID_CHARS]);

#endif /* _PASSGATE_SAMFRAME_H */
