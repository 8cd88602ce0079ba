// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the keyboard-wedge decoder (gate/core/wedge.c,
 * passgate_wedge_decoder_*), against a model of docs/wedge.md kept here,
 * with its own US key map.
 *
 * Input: byte 0 picks one of the configuration lines below, then records
 * of 4 bytes: key code (u16 LE), op, dt.  The clock advances by
 * dt << (4 * (op >> 5)) ns before each record (0 to about 68 s).  op & 3
 * is the event value 0 release, 1 press, 2 autorepeat; op & 3 == 3 is a
 * call: (op >> 2) & 3 = 0 reset, 1 hold(code, op & 0x10), 2
 * set_capslock(op & 0x10), 3 compare capslock().
 *
 * Invariants checked (abort() on violation):
 * - a code is returned only on the press of a configured terminator key
 *   with no Ctrl, Alt or Meta held, exactly when the model says one
 *   completes (not lost to a reset, not spoiled by a key without a
 *   character, not empty, not over PASSGATE_TOKEN_MAX, typed without a
 *   gap over timeout_ms);
 * - a returned code has 1 <= len <= PASSGATE_TOKEN_MAX, only characters
 *   of the US layout (printable ASCII), and is what was typed since the
 *   attempt began, its kind's prefix stripped;
 * - the counters: codes, resets and unknown_keys as counted here, and
 *   every attempt ending in exactly one of codes, timeouts, overlong,
 *   spoiled or empty (wedge.h) unless a reset began it or swallowed it;
 * - the decoder's buffer: len <= sizeof(buf), empty when no attempt.
 */
#include <stdint.h>

#include <linux/input-event-codes.h>

#include "fuzz_common.h"

static const char *const configs[] = {
	"0c2e:0b61 lane=1",
	"\"SM SM-2D PRODUCT HID KBW\" lane=1 id_prefix=ID: ticket_prefix=TK:",
	"scanner lane=2 kind=ticket terminator=tab timeout_ms=1",
	"\"Honeywell*\" lane=3 kind=id terminator=any timeout_ms=10000 code_prefix=HC ticket_prefix=T",
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

/* The model's key map: the US rows, unshifted and shifted. */
static const struct {
	unsigned int first;
	const char *plain, *shifted;
} rows[] = {
	{ KEY_1, "1234567890-=", "!@#$%^&*()_+" },
	{ KEY_Q, "qwertyuiop[]", "QWERTYUIOP{}" },
	{ KEY_A, "asdfghjkl;'`", "ASDFGHJKL:\"~" },
	{ KEY_BACKSLASH, "\\zxcvbnm,./", "|ZXCVBNM<>?" },
	{ KEY_SPACE, " ", " " },
	{ KEY_KP7, "789-456+1230.", "789-456+1230." },
	{ KEY_KPASTERISK, "*", "*" },
	{ KEY_KPSLASH, "/", "/" },
	{ KEY_KPEQUAL, "=", "=" },
	{ KEY_KPCOMMA, ",", "," },
};

#define M_SHIFT (1u << 0)
#define M_OTHER (1u << 1)	/* Ctrl, Alt or Meta */

struct model {
	unsigned int shift, other;	/* held: bit per left/right key */
	bool capslock;
	bool active, lost, spoiled;
	uint64_t last_press;
	size_t len;		/* characters typed in this attempt */
	char typed[PASSGATE_TOKEN_MAX + PASSGATE_WEDGE_PREFIX_MAX + 1];
	uint64_t started, bare_terms, swallowed, unknown, codes, resets;
};

static char model_char(const struct model *m, unsigned int code)
{
	bool shifted = m->shift;
	size_t i, n;
	char c;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = strlen(rows[i].plain);
		if (code < rows[i].first || code >= rows[i].first + n)
			continue;
		c = rows[i].plain[code - rows[i].first];
		if (m->capslock && c >= 'a' && c <= 'z')
			shifted = !shifted;
		return (shifted ? rows[i].shifted : rows[i].plain)[code - rows[i].first];
	}
	return 0;
}

/* Which held-key bit @code is, in which mask; false if no modifier. */
static bool modifier(unsigned int code, unsigned int **mask, unsigned int *bit,
		     struct model *m)
{
	switch (code) {
	case KEY_LEFTSHIFT: *mask = &m->shift; *bit = 1; return true;
	case KEY_RIGHTSHIFT: *mask = &m->shift; *bit = 2; return true;
	case KEY_LEFTCTRL: *mask = &m->other; *bit = 1; return true;
	case KEY_RIGHTCTRL: *mask = &m->other; *bit = 2; return true;
	case KEY_LEFTALT: *mask = &m->other; *bit = 4; return true;
	case KEY_RIGHTALT: *mask = &m->other; *bit = 8; return true;
	case KEY_LEFTMETA: *mask = &m->other; *bit = 16; return true;
	case KEY_RIGHTMETA: *mask = &m->other; *bit = 32; return true;
	}
	return false;
}

static void model_end(struct model *m)
{
	m->active = m->lost = m->spoiled = false;
	m->len = 0;
}

/*
 * A press, as docs/wedge.md tells it.  Returns whether a code completes;
 * its kind, where the token starts in m->typed and its length then in
 * *kind, *skip, *tlen.
 */
static bool model_press(struct model *m, const struct passgate_wedge_config *cfg,
			unsigned int code, uint64_t now, uint8_t *kind, size_t *skip,
			size_t *tlen)
{
	unsigned int *mask, bit;
	bool term, done;
	size_t k, n;
	char c;

	if (m->active && now > m->last_press &&
	    now - m->last_press > (uint64_t)cfg->timeout_ms * 1000000)
		model_end(m);
	m->last_press = now;
	if (modifier(code, &mask, &bit, m)) {
		*mask |= bit;
		return false;
	}
	if (code == KEY_CAPSLOCK) {
		m->capslock = !m->capslock;
		return false;
	}
	if (code == KEY_NUMLOCK || code == KEY_SCROLLLOCK)
		return false;
	term = ((code == KEY_ENTER || code == KEY_KPENTER) &&
		(cfg->terminators & PASSGATE_WEDGE_TERM_ENTER)) ||
	       (code == KEY_TAB && (cfg->terminators & PASSGATE_WEDGE_TERM_TAB));
	if (term && !m->other) {
		if (!m->active)
			m->bare_terms++;
		done = m->active && !m->lost && !m->spoiled;
		*kind = cfg->kind;
		*skip = 0;
		for (k = 1; done && k < PASSGATE_WEDGE_KINDS; k++) {
			n = strlen(cfg->prefix[k]);
			if (n && m->len >= n && !memcmp(m->typed, cfg->prefix[k], n)) {
				*kind = k;
				*skip = n;
			}
		}
		done = done && m->len > *skip && m->len - *skip <= PASSGATE_TOKEN_MAX;
		*tlen = m->len - *skip;
		model_end(m);
		return done;
	}
	if (!m->active) {
		m->started++;
		m->active = true;
	}
	c = m->other ? 0 : model_char(m, code);
	if (!c) {
		m->unknown++;
		m->spoiled = true;
		return false;
	}
	if (m->lost)
		return false;
	/* past the longest possible code: remember only that it is */
	if (m->len < sizeof(m->typed))
		m->typed[m->len] = c;
	m->len++;
	if (m->len > sizeof(m->typed))
		m->len = sizeof(m->typed);
	return false;
}

static void check_state(const struct passgate_wedge_decoder *w,
			const struct model *m)
{
	const struct passgate_wedge_stats *s = &w->stats;
	uint64_t ended = s->codes + s->timeouts + s->overlong + s->spoiled +
			 s->empty;

	CHECK(w->len <= sizeof(w->buf));
	CHECK(w->active || w->len == 0);
	CHECK(w->capslock == m->capslock);
	CHECK(s->codes == m->codes);
	CHECK(s->resets == m->resets);
	CHECK(s->unknown_keys == m->unknown);
	CHECK(ended == m->started - m->swallowed -
		       (m->active && !m->lost) + m->bare_terms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct passgate_wedge_decoder w;
	static struct passgate_wedge_code out;
	static struct model m;
	struct passgate_wedge_config cfg;
	unsigned int code, op, *mask, bit;
	uint64_t now = 1000000000ull;
	size_t i, skip = 0, tlen = 0;
	uint8_t kind = 0;
	bool want, got;

	if (size < 1)
		return 0;
	CHECK(passgate_wedge_config_parse(configs[data[0] % NCONFIGS], &cfg) == 0);
	passgate_wedge_decoder_init(&w, &cfg);
	memset(&m, 0, sizeof(m));

	for (i = 1; i + 4 <= size; i += 4) {
		code = data[i] | data[i + 1] << 8;
		op = data[i + 2];
		now += (uint64_t)data[i + 3] << (4 * (op >> 5));

		if ((op & 3) == 3) {
			switch ((op >> 2) & 3) {
			case 0:
				passgate_wedge_decoder_reset(&w, now);
				if (m.active && !m.lost)
					m.swallowed++;
				model_end(&m);
				m.active = m.lost = true;
				m.last_press = now;
				m.shift = m.other = 0;
				m.resets++;
				break;
			case 1:
				passgate_wedge_decoder_hold(&w, code, op & 0x10);
				if (modifier(code, &mask, &bit, &m)) {
					if (op & 0x10)
						*mask |= bit;
					else
						*mask &= ~bit;
				}
				break;
			case 2:
				passgate_wedge_decoder_set_capslock(&w, op & 0x10);
				m.capslock = op & 0x10;
				break;
			case 3:
				CHECK(passgate_wedge_decoder_capslock(&w) == m.capslock);
				break;
			}
			check_state(&w, &m);
			continue;
		}

		memset(&out, 0x00, sizeof(out));
		got = passgate_wedge_decoder_key(&w, code, op & 3, now, &out);
		want = false;
		if ((op & 3) == 0) {
			if (modifier(code, &mask, &bit, &m))
				*mask &= ~bit;
		} else if ((op & 3) == 1) {
			/* m.typed survives model_end(): only len is reset */
			want = model_press(&m, &cfg, code, now, &kind, &skip, &tlen);
		}
		CHECK(got == want);
		if (got) {
			m.codes++;
			CHECK(code == KEY_ENTER || code == KEY_KPENTER ||
			      code == KEY_TAB);
			CHECK(out.len >= 1 && out.len <= PASSGATE_TOKEN_MAX);
			CHECK(out.len == tlen);
			for (size_t j = 0; j < out.len; j++)
				CHECK(out.token[j] >= 0x20 && out.token[j] <= 0x7e);
			CHECK(out.kind == kind);
			CHECK(out.kind >= PASSGATE_CRED_HEALTH_CODE &&
			      out.kind <= PASSGATE_CRED_TICKET);
			CHECK(!memcmp(out.token, m.typed + skip, out.len));
		}
		check_state(&w, &m);
	}
	return 0;
}
