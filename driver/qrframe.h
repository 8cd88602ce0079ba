/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * passgate: a QR engine's serial output, cut into codes.  One source for
 * the module and userspace (host tests, fuzzer).  An engine in serial
 * mode sends each decoded code as text: [prefix] [AIM identifier] code
 * suffix, the suffix CR, CR LF, LF, or none (then silence ends the code).
 * docs/readers.md has the engines' settings.
 */
#ifndef _PASSGATE_QRFRAME_H
#define _PASSGATE_QRFRAME_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#endif

#include <linux/passgate.h>

/*
 * enum passgate_qr_suffix: what ends a code.  AUTO fits an engine at its
 * factory settings whatever they are (none, CR, or CR LF, docs/readers.md):
 * a CR, an LF, or silence ends the code.
 */
enum passgate_qr_suffix {
	PASSGATE_QR_SUFFIX_AUTO,
	PASSGATE_QR_SUFFIX_CR,
	PASSGATE_QR_SUFFIX_CRLF,	/* ends at LF; the CR before it goes */
	PASSGATE_QR_SUFFIX_LF,
	PASSGATE_QR_SUFFIX_NONE,	/* ends when the line goes quiet */
};

#define PASSGATE_QR_PREFIX_MAX 16
/* An AIM symbology identifier: ']', the symbology, a modifier. */
#define PASSGATE_QR_AIM_LEN 3
#define PASSGATE_QR_DEFAULT_MAX 512
#define PASSGATE_QR_BUF_MAX (PASSGATE_QR_PREFIX_MAX + PASSGATE_QR_AIM_LEN + \
			     PASSGATE_TOKEN_MAX + 1)

/**
 * struct passgate_qr_config - the engine's framing, from firmware
 * @suffix: &enum passgate_qr_suffix
 * @aim: each code starts with an AIM identifier; only QR (']Q') is taken
 * @prefix_len: bytes of @prefix, 0 to %PASSGATE_QR_PREFIX_MAX
 * @prefix: what the engine sends before each code
 * @max_len: longest code taken, 1 to %PASSGATE_TOKEN_MAX
 */
struct passgate_qr_config {
	__u8 suffix;
	bool aim;
	__u8 prefix_len;
	__u8 prefix[PASSGATE_QR_PREFIX_MAX];
	__u16 max_len;
};

/**
 * struct passgate_qr_stats - what the parser saw
 * @codes: codes delivered
 * @oversize: codes longer than @max_len, dropped whole
 * @truncated: codes cut off by silence before their suffix
 * @binary: codes with a byte outside printable ASCII, or a CR LF
 *	suffix without its CR
 * @bad_prefix: codes without the configured prefix
 * @wrong_symbology: codes without an AIM identifier, or not a QR code
 */
struct passgate_qr_stats {
	__u64 codes;
	__u64 oversize;
	__u64 truncated;
	__u64 binary;
	__u64 bad_prefix;
	__u64 wrong_symbology;
};

/**
 * struct passgate_qr_parser - parser state; constant size, no allocation
 * @cfg: the framing
 * @stats: counters
 * @overlong: the code being received outgrew @max_len; dropped at its end
 * @have: bytes of @buf
 * @buf: the code being received
 */
struct passgate_qr_parser {
	struct passgate_qr_config cfg;
	struct passgate_qr_stats stats;
	bool overlong;
	size_t have;
	__u8 buf[PASSGATE_QR_BUF_MAX];
};

typedef void (*passgate_qr_cb)(void *ctx, const __u8 *code, size_t len);

int passgate_qr_parser_init(struct passgate_qr_parser *p,
			    const struct passgate_qr_config *cfg);
void passgate_qr_feed(struct passgate_qr_parser *p, const __u8 *data,
		      size_t len, passgate_qr_cb cb, void *ctx);
void passgate_qr_flush(struct passgate_qr_parser *p, passgate_qr_cb cb,
		       void *ctx);
bool passgate_qr_pending(const struct passgate_qr_parser *p);

#endif /* _PASSGATE_QRFRAME_H */
