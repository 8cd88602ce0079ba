// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: a QR engine's serial output, cut into codes (qrframe.h).  One
 * source for the module and for userspace.  No allocation, constant-size
 * state, every byte looked at once.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#define passgate_qr_wipe(p, n) memzero_explicit(p, n)
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#define passgate_qr_wipe(p, n) explicit_bzero(p, n)
#endif

#include "qrframe.h"

/**
 * passgate_qr_parser_init() - start a parser with a framing
 * @p: the parser
 * @cfg: the framing; checked
 *
 * Return: 0, or -EINVAL for a framing outside its limits.
 */
int passgate_qr_parser_init(struct passgate_qr_parser *p,
			    const struct passgate_qr_config *cfg)
{
	unsigned int i;

	if (cfg->suffix > PASSGATE_QR_SUFFIX_NONE ||
	    cfg->prefix_len > PASSGATE_QR_PREFIX_MAX ||
	    !cfg->max_len || cfg->max_len > PASSGATE_TOKEN_MAX)
		return -EINVAL;
	for (i = 0; i < cfg->prefix_len; i++)
		if (cfg->prefix[i] < 0x20 || cfg->prefix[i] > 0x7e)
			return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	return 0;
}

/* Prefix, AIM identifier and code: the most a code may buffer. */
static size_t passgate_qr_cap(const struct passgate_qr_parser *p)
{
	return p->cfg.prefix_len + (p->cfg.aim ? PASSGATE_QR_AIM_LEN : 0) +
	       p->cfg.max_len;
}

static void passgate_qr_reset(struct passgate_qr_parser *p)
{
	passgate_qr_wipe(p->buf, p->have);
	p->have = 0;
	p->overlong = false;
}

/* A code has ended: check it, deliver it or count why not. */
static void passgate_qr_end(struct passgate_qr_parser *p, passgate_qr_cb cb,
			    void *ctx)
{
	const __u8 *code = p->buf;
	size_t len = p->have, i;

	if (p->overlong) {
		p->stats.oversize++;
		goto out;
	}
	if (!len)
		goto out;
	if (len < p->cfg.prefix_len ||
	    memcmp(code, p->cfg.prefix, p->cfg.prefix_len)) {
		p->stats.bad_prefix++;
		goto out;
	}
	code += p->cfg.prefix_len;
	len -= p->cfg.prefix_len;
	if (p->cfg.aim) {
		if (len < PASSGATE_QR_AIM_LEN || code[0] != ']' ||
		    code[1] != 'Q') {
			p->stats.wrong_symbology++;
			goto out;
		}
		code += PASSGATE_QR_AIM_LEN;
		len -= PASSGATE_QR_AIM_LEN;
	}
	if (!len) {
		p->stats.truncated++;
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (code[i] < 0x20 || code[i] > 0x7e) {
			p->stats.binary++;
			goto out;
		}
	}
	p->stats.codes++;
	cb(ctx, code, len);
out:
	passgate_qr_reset(p);
}

static bool passgate_qr_is_suffix(const struct passgate_qr_parser *p, __u8 b)
{
	switch (p->cfg.suffix) {
	case PASSGATE_QR_SUFFIX_AUTO:
		return b == '\r' || b == '\n';
	case PASSGATE_QR_SUFFIX_CR:
		return b == '\r';
	case PASSGATE_QR_SUFFIX_CRLF:
	case PASSGATE_QR_SUFFIX_LF:
		return b == '\n';
	default:
		return false;
	}
}

/**
 * passgate_qr_feed() - parse bytes from the engine
 * @p: the parser
 * @data: bytes received
 * @len: how many
 * @cb: called with each valid code, in order
 * @ctx: passed to @cb
 */
void passgate_qr_feed(struct passgate_qr_parser *p, const __u8 *data,
		      size_t len, passgate_qr_cb cb, void *ctx)
{
	size_t i;
	__u8 b;

	for (i = 0; i < len; i++) {
		b = data[i];
		if (passgate_qr_is_suffix(p, b)) {
			if (p->cfg.suffix == PASSGATE_QR_SUFFIX_CRLF &&
			    !p->overlong) {
				if (!p->have || p->buf[p->have - 1] != '\r') {
					p->stats.binary++;
					passgate_qr_reset(p);
					continue;
				}
				p->have--;
			}
			passgate_qr_end(p, cb, ctx);
			continue;
		}
		/* A line end left over from an engine set to send more. */
		if (!p->have && !p->overlong && (b == '\r' || b == '\n'))
			continue;
		if (p->overlong)
			continue;
		/* Room for a CR LF suffix's CR beyond the cap. */
		if (p->have >= passgate_qr_cap(p) +
		    (p->cfg.suffix == PASSGATE_QR_SUFFIX_CRLF)) {
			p->overlong = true;
			passgate_qr_wipe(p->buf, p->have);
			p->have = 0;
			continue;
		}
		p->buf[p->have++] = b;
	}
}

/**
 * passgate_qr_flush() - the line went quiet
 * @p: the parser
 * @cb: called with the code, when silence is the suffix
 * @ctx: passed to @cb
 *
 * Without a suffix (none, auto), silence ends the code; with one, a code
 * still unfinished is cut off and counted.
 */
void passgate_qr_flush(struct passgate_qr_parser *p, passgate_qr_cb cb,
		       void *ctx)
{
	if (p->cfg.suffix == PASSGATE_QR_SUFFIX_NONE ||
	    p->cfg.suffix == PASSGATE_QR_SUFFIX_AUTO) {
		passgate_qr_end(p, cb, ctx);
		return;
	}
	if (p->overlong)
		p->stats.oversize++;
	else if (p->have)
		p->stats.truncated++;
	passgate_qr_reset(p);
}

/**
 * passgate_qr_pending() - a code has started and not ended
 * @p: the parser
 *
 * Return: true if passgate_qr_flush() has something to end.
 */
bool passgate_qr_pending(const struct passgate_qr_parser *p)
{
	return p->have || p->overlong;
}
