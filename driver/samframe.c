// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the ID-card security module's frames (samframe.h).  One
 * source for the module and for userspace.  No allocation, no recursion,
 * constant-size state; bytes that leave the buffer are wiped.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#define passgate_sam_wipe(p, n) memzero_explicit(p, n)
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#define passgate_sam_wipe(p, n) explicit_bzero(p, n)
#endif

#include "samframe.h"

static const __u8 passgate_sam_preamble[PASSGATE_SAM_PREAMBLE_LEN] = {
	0xaa, 0xaa, 0xaa, 0x96, 0x69,
};

/* Seconds east of UTC of the dates printed on a card (China Standard Time). */
#define PASSGATE_SAM_CARD_UTC_OFFSET (8 * 3600)
#define PASSGATE_SAM_DAY 86400

static __u8 passgate_sam_xor(const __u8 *p, size_t n)
{
	__u8 x = 0;

	while (n--)
		x ^= *p++;
	return x;
}

/**
 * passgate_sam_parser_init() - start a parser with nothing buffered
 * @p: the parser
 */
void passgate_sam_parser_init(struct passgate_sam_parser *p)
{
	memset(&p->stats, 0, sizeof(p->stats));
	p->have = 0;
}

/* Forget the first @n buffered bytes, wiping what they leave behind. */
static void passgate_sam_drop(struct passgate_sam_parser *p, size_t n)
{
	memmove(p->buf, p->buf + n, p->have - n);
	passgate_sam_wipe(p->buf + p->have - n, n);
	p->have -= n;
}

/* Deliver every complete frame in the buffer; keep a frame's start. */
static void passgate_sam_process(struct passgate_sam_parser *p,
				 passgate_sam_cb cb, void *ctx)
{
	struct passgate_sam_frame f;
	size_t pos, n, len;

	for (;;) {
		for (pos = 0; pos < p->have; pos++) {
			n = p->have - pos;
			if (n > PASSGATE_SAM_PREAMBLE_LEN)
				n = PASSGATE_SAM_PREAMBLE_LEN;
			if (!memcmp(p->buf + pos, passgate_sam_preamble, n))
				break;
		}
		p->stats.garbage += pos;
		passgate_sam_drop(p, pos);
		if (p->have < PASSGATE_SAM_HEADER)
			return;

		len = p->buf[5] << 8 | p->buf[6];
		if (len < PASSGATE_SAM_LEN_MIN || len > PASSGATE_SAM_LEN_MAX) {
			p->stats.oversize++;
			passgate_sam_drop(p, 1);
			continue;
		}
		if (p->have < PASSGATE_SAM_HEADER + len)
			return;
		/* The XOR runs from the length to the byte before it. */
		if (passgate_sam_xor(p->buf + PASSGATE_SAM_PREAMBLE_LEN, len + 1) !=
		    p->buf[PASSGATE_SAM_HEADER + len - 1]) {
			p->stats.bad_checksum++;
			passgate_sam_drop(p, 1);
			continue;
		}
		f.body = p->buf + PASSGATE_SAM_HEADER;
		f.len = len - 1;
		p->stats.frames++;
		cb(ctx, &f);
		passgate_sam_drop(p, PASSGATE_SAM_HEADER + len);
	}
}

/**
 * passgate_sam_feed() - parse bytes from the module
 * @p: the parser
 * @data: bytes received
 * @len: how many
 * @cb: called for each valid frame, in order
 * @ctx: passed to @cb
 */
void passgate_sam_feed(struct passgate_sam_parser *p, const __u8 *data,
		       size_t len, passgate_sam_cb cb, void *ctx)
{
	size_t n;

	while (len) {
		/* Room is always left: a frame never outgrows the buffer. */
		n = sizeof(p->buf) - p->have;
		if (n > len)
			n = len;
		memcpy(p->buf + p->have, data, n);
		p->have += n;
		data += n;
		len -= n;
		passgate_sam_process(p, cb, ctx);
	}
}

/**
 * passgate_sam_flush() - the line went quiet: give up what is buffered
 * @p: the parser
 *
 * A started frame (its whole preamble came) counts one @truncated and the
 * rest @garbage; a partial preamble is @garbage.
 *
 * Return: true if a started frame was dropped.
 */
bool passgate_sam_flush(struct passgate_sam_parser *p)
{
	bool started = p->have >= PASSGATE_SAM_PREAMBLE_LEN;

	if (started) {
		p->stats.truncated++;
		p->stats.garbage += p->have - 1;
	} else {
		p->stats.garbage += p->have;
	}
	passgate_sam_drop(p, p->have);
	return started;
}

static size_t passgate_sam_encode(__u8 *out, size_t out_size,
				  const __u8 *body, size_t body_len,
				  const __u8 *data, size_t data_len)
{
	size_t len = body_len + data_len + 1;

	if (len > PASSGATE_SAM_LEN_MAX || PASSGATE_SAM_HEADER + len > out_size)
		return 0;
	memcpy(out, passgate_sam_preamble, PASSGATE_SAM_PREAMBLE_LEN);
	out[5] = len >> 8;
	out[6] = len & 0xff;
	memcpy(out + PASSGATE_SAM_HEADER, body, body_len);
	if (data_len)
		memcpy(out + PASSGATE_SAM_HEADER + body_len, data, data_len);
	out[PASSGATE_SAM_HEADER + len - 1] =
		passgate_sam_xor(out + PASSGATE_SAM_PREAMBLE_LEN, len + 1);
	return PASSGATE_SAM_HEADER + len;
}

/**
 * passgate_sam_encode_command() - a host-to-module command frame
 * @out: buffer
 * @out_size: its size
 * @cmd: %PASSGATE_SAM_CMD_*: command and parameter byte
 *
 * Return: the frame's length, or 0 if @out is too small.
 */
size_t passgate_sam_encode_command(__u8 *out, size_t out_size, __u16 cmd)
{
	const __u8 body[2] = { cmd >> 8, cmd & 0xff };

	return passgate_sam_encode(out, out_size, body, sizeof(body), NULL, 0);
}

/**
 * passgate_sam_encode_answer() - a module-to-host frame (for simulators)
 * @out: buffer
 * @out_size: its size
 * @sw3: status byte (SW1 and SW2 are 0)
 * @data: data after the status, or NULL
 * @data_len: its length
 *
 * Return: the frame's length, or 0 if it does not fit.
 */
size_t passgate_sam_encode_answer(__u8 *out, size_t out_size, __u8 sw3,
				  const __u8 *data, __u16 data_len)
{
	const __u8 body[3] = { 0, 0, sw3 };

	return passgate_sam_encode(out, out_size, body, sizeof(body), data,
				   data_len);
}

/**
 * passgate_id_number_valid() - an ID number's form and check character
 * @number: 18 characters: 17 digits, then a digit or 'X' (ISO 7064
 *	MOD 11-2, as GB 11643 defines it)
 *
 * Return: true if it is a well-formed number.
 */
bool passgate_id_number_valid(const char number[PASSGATE_SAM_ID_CHARS])
{
	static const char check[] = "10X98765432";
	unsigned int i, sum = 0, weight = 1;

	/* Weights 2^(17-i) mod 11, built from the last digit backwards. */
	for (i = PASSGATE_SAM_ID_CHARS - 1; i-- > 0;) {
		if (number[i] < '0' || number[i] > '9')
			return false;
		weight = weight * 2 % 11;
		sum += (number[i] - '0') * weight;
	}
	return number[PASSGATE_SAM_ID_CHARS - 1] == check[sum % 11];
}

/* Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's method). */
static long passgate_sam_days(unsigned int y, unsigned int m, unsigned int d)
{
	unsigned int era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (long)era * 146097 + doe - 719468;
}

/*
 * Eight UCS-2 digits YYYYMMDD: the unix second of that day's start in
 * China Standard Time, plus @days_after days; -EINVAL if not a date.
 */
static int passgate_sam_date(const __u8 *p, unsigned int days_after,
			     __u32 *out)
{
	static const __u8 mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	unsigned int i, v[PASSGATE_SAM_DATE_CHARS], y, m, d;
	long long s;

	for (i = 0; i < PASSGATE_SAM_DATE_CHARS; i++) {
		if (p[2 * i + 1] || p[2 * i] < '0' || p[2 * i] > '9')
			return -EINVAL;
		v[i] = p[2 * i] - '0';
	}
	y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
	m = v[4] * 10 + v[5];
	d = v[6] * 10 + v[7];
	if (y < 1970 || y > 2099 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] ||
	    (m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
		return -EINVAL;
	s = (long long)(passgate_sam_days(y, m, d) + days_after) *
	    PASSGATE_SAM_DAY - PASSGATE_SAM_CARD_UTC_OFFSET;
	if (s <= 0)
		return -EINVAL;
	*out = s;
	return 0;
}

/* "长期" (long-term), then spaces: a card that does not expire. */
static bool passgate_sam_long_term(const __u8 *p)
{
	static const __u8 word[4] = { 0x7f, 0x95, 0x1f, 0x67 };
	unsigned int i;

	if (memcmp(p, word, sizeof(word)))
		return false;
	for (i = 2; i < PASSGATE_SAM_DATE_CHARS; i++)
		if (p[2 * i] != ' ' || p[2 * i + 1])
			return false;
	return true;
}

/**
 * passgate_sam_base_info() - take the ID number and dates from a card
 * @data: the data of the module's answer to READ_BASE (after its status)
 * @len: its length
 * @card: filled on success; left alone otherwise
 *
 * The data is the text's length and the photo's (big-endian), then the
 * 256-byte text and the photo.  Only the ID number and the validity
 * dates are read; the caller wipes the rest with the frame.
 *
 * Return: 0, or -EINVAL for an answer that is not a well-formed card.
 */
int passgate_sam_base_info(const __u8 *data, size_t len,
			   struct passgate_id_card *card)
{
	const __u8 *text;
	struct passgate_id_card c;
	unsigned int i, text_len, photo_len;

	if (len < 4)
		return -EINVAL;
	text_len = data[0] << 8 | data[1];
	photo_len = data[2] << 8 | data[3];
	if (text_len != PASSGATE_SAM_TEXT_LEN ||
	    photo_len > PASSGATE_SAM_PHOTO_LEN ||
	    len != 4 + text_len + photo_len)
		return -EINVAL;
	text = data + 4;

	for (i = 0; i < PASSGATE_SAM_ID_CHARS; i++) {
		if (text[PASSGATE_SAM_ID_OFFSET + 2 * i + 1])
			return -EINVAL;
		c.number[i] = text[PASSGATE_SAM_ID_OFFSET + 2 * i];
	}
	if (!passgate_id_number_valid(c.number) ||
	    passgate_sam_date(text + PASSGATE_SAM_FROM_OFFSET, 0,
			      &c.valid_from))
		goto invalid;
	if (passgate_sam_long_term(text + PASSGATE_SAM_UNTIL_OFFSET))
		c.valid_until = 0;
	else if (passgate_sam_date(text + PASSGATE_SAM_UNTIL_OFFSET, 1,
				   &c.valid_until) ||
		 c.valid_until <= c.valid_from)
		goto invalid;
	*card = c;
	passgate_sam_wipe(&c, sizeof(c));
	return 0;
invalid:
	passgate_sam_wipe(&c, sizeof(c));
	return -EINVAL;
}
