/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Keyboard-wedge scanners (docs/wedge.md): a USB barcode/QR scanner that
 * types each code as key presses and a terminator key.  Here: one
 * scanner's configuration line and the decoder that turns its key events
 * into codes.  Pure: no I/O, no allocation, constant-size state, so the
 * host tests and a fuzzer drive it directly.  The daemon side (matching,
 * grabbing, forwarding) is passgated/wedge.c.
 *
 * Error contract: <common/fail.h>.
 */
#ifndef PASSGATE_WEDGE_H
#define PASSGATE_WEDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/passgate.h>

/* wedge lines a configuration holds */
#define PASSGATE_WEDGE_MAX 8
/* a device name to match, with its NUL (the kernel's HID names fit) */
#define PASSGATE_WEDGE_NAME_MAX 128
/* a kind prefix, with its NUL */
#define PASSGATE_WEDGE_PREFIX_MAX 16
#define PASSGATE_WEDGE_TIMEOUT_MS 50
#define PASSGATE_WEDGE_TIMEOUT_MS_MAX 10000
/* prefix[] is indexed by &enum passgate_credential */
#define PASSGATE_WEDGE_KINDS (PASSGATE_CRED_TICKET + 1)

/* Bits of &struct passgate_wedge_config.terminators. */
enum passgate_wedge_terminator {
	PASSGATE_WEDGE_TERM_ENTER = 1 << 0,	/* Enter and keypad Enter */
	PASSGATE_WEDGE_TERM_TAB = 1 << 1,
};

enum passgate_wedge_layout {
	PASSGATE_WEDGE_LAYOUT_US = 0,
};

/**
 * struct passgate_wedge_config - one ``wedge =`` line
 * @name: device name to match, a glob (fnmatch(3)); "" when @by_id
 * @by_id: match @vendor and @product instead of @name
 * @vendor: USB vendor id
 * @product: USB product id
 * @lane: the lane whose scanboard node gets the codes
 * @kind: &enum passgate_credential of a code no prefix claims
 * @terminators: bitmask of &enum passgate_wedge_terminator
 * @layout: &enum passgate_wedge_layout
 * @timeout_ms: longest gap between two key presses inside one code
 * @prefix: by kind: a code starting with @prefix[kind] is of that kind,
 *	with the prefix stripped; "" for none
 */
struct passgate_wedge_config {
	char name[PASSGATE_WEDGE_NAME_MAX];
	bool by_id;
	uint16_t vendor;
	uint16_t product;
	unsigned int lane;
	uint8_t kind;
	unsigned int terminators;
	unsigned int layout;
	uint32_t timeout_ms;
	char prefix[PASSGATE_WEDGE_KINDS][PASSGATE_WEDGE_PREFIX_MAX];
};

/*
 * Parse the value of a ``wedge =`` line (docs/wedge.md):
 *
 *   DEVICE lane=N [kind=code|id|ticket] [terminator=enter|tab|any]
 *          [timeout_ms=N] [layout=us] [code_prefix=TEXT] [id_prefix=TEXT]
 *          [ticket_prefix=TEXT]
 *
 * DEVICE is vvvv:pppp (hex USB ids), "a name" (double quotes, a glob) or
 * a name without spaces.  -1 with errno EINVAL on anything else; @out is
 * then unspecified.
 */
int passgate_wedge_config_parse(const char *value,
				struct passgate_wedge_config *out);

/**
 * struct passgate_wedge_stats - how each code attempt ended
 * @codes: complete codes returned
 * @timeouts: input dropped because the next key press came more than
 *	timeout_ms later (a person typing, or a scan cut off)
 * @overlong: dropped at the terminator: token longer than
 *	%PASSGATE_TOKEN_MAX
 * @spoiled: dropped at the terminator: a key with no character (or with
 *	Ctrl, Alt or Meta held) was pressed inside the code
 * @empty: terminators with no token before them (or only a prefix)
 * @resets: passgate_wedge_decoder_reset() calls: events were lost, and
 *	what was being read then is dropped up to its end
 * @unknown_keys: presses of keys with no character, one per press
 *
 * An attempt starts with the press of a key that is not a modifier or
 * a terminator, and ends in exactly one of @codes, @timeouts, @overlong,
 * @spoiled or @empty, or is one that a reset began; a terminator with no
 * attempt before it counts in @empty too.
 */
struct passgate_wedge_stats {
	uint64_t codes;
	uint64_t timeouts;
	uint64_t overlong;
	uint64_t spoiled;
	uint64_t empty;
	uint64_t resets;
	uint64_t unknown_keys;
};

/**
 * struct passgate_wedge_code - a complete code
 * @kind: &enum passgate_credential
 * @len: bytes of @token, 1 to %PASSGATE_TOKEN_MAX
 * @token: the code as typed, any prefix stripped; not NUL-terminated
 */
struct passgate_wedge_code {
	uint8_t kind;
	uint16_t len;
	uint8_t token[PASSGATE_TOKEN_MAX];
};

/* Held-key bits of &struct passgate_wedge_decoder.held. */
enum passgate_wedge_held {
	PASSGATE_WEDGE_HELD_SHIFT_LEFT = 1 << 0,
	PASSGATE_WEDGE_HELD_SHIFT_RIGHT = 1 << 1,
	PASSGATE_WEDGE_HELD_CTRL_LEFT = 1 << 2,
	PASSGATE_WEDGE_HELD_CTRL_RIGHT = 1 << 3,
	PASSGATE_WEDGE_HELD_ALT_LEFT = 1 << 4,
	PASSGATE_WEDGE_HELD_ALT_RIGHT = 1 << 5,
	PASSGATE_WEDGE_HELD_META_LEFT = 1 << 6,
	PASSGATE_WEDGE_HELD_META_RIGHT = 1 << 7,
};

/**
 * struct passgate_wedge_decoder - decoder state; constant size
 * @cfg: the scanner's configuration, copied at init
 * @stats: see &struct passgate_wedge_stats
 * @held: bitmask of &enum passgate_wedge_held
 * @capslock: CapsLock is on
 * @active: an attempt is in progress
 * @spoiled: an unknown key was pressed in this attempt
 * @overlong: this attempt outgrew @buf
 * @lost: this attempt began before events were lost: drop it whole
 * @last_press_ns: time of the last key press
 * @len: bytes in @buf
 * @buf: the attempt as typed, prefix included
 */
struct passgate_wedge_decoder {
	struct passgate_wedge_config cfg;
	struct passgate_wedge_stats stats;
	unsigned int held;
	bool capslock;
	bool active;
	bool spoiled;
	bool overlong;
	bool lost;
	uint64_t last_press_ns;
	size_t len;
	uint8_t buf[PASSGATE_TOKEN_MAX + PASSGATE_WEDGE_PREFIX_MAX];
};

void passgate_wedge_decoder_init(struct passgate_wedge_decoder *w,
				 const struct passgate_wedge_config *cfg);
/*
 * Feed one EV_KEY event: @code a KEY_* code, @value 0 release, 1 press,
 * 2 autorepeat (ignored: a scanner never holds a key), @time_ns its
 * timestamp on a monotonic clock.  Returns true when it completed a code,
 * which is then in @out.
 */
bool passgate_wedge_decoder_key(struct passgate_wedge_decoder *w,
				unsigned int code, int value, uint64_t time_ns,
				struct passgate_wedge_code *out);
/*
 * Events were lost (SYN_DROPPED, stamped @time_ns): the code being read
 * is dropped, and so are the keys that follow up to the next terminator
 * or gap, since they may be the rest of a code whose start is gone.
 * Counted in resets.  Held keys are forgotten; CapsLock is kept.
 */
void passgate_wedge_decoder_reset(struct passgate_wedge_decoder *w,
				  uint64_t time_ns);
/*
 * Set whether a key is held without typing it: for the key state a
 * device reports after a reset.  Only Shift, Ctrl, Alt and Meta matter.
 */
void passgate_wedge_decoder_hold(struct passgate_wedge_decoder *w,
				 unsigned int code, bool held);
void passgate_wedge_decoder_set_capslock(struct passgate_wedge_decoder *w,
					 bool on);
bool passgate_wedge_decoder_capslock(const struct passgate_wedge_decoder *w);

/* "code", "id", "ticket" for &enum passgate_credential; NULL when unknown. */
const char *passgate_wedge_kind_name(unsigned int kind);

#endif
