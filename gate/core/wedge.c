// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Keyboard-wedge decoding: key events in, codes out.  No I/O; the rules
 * are in docs/wedge.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/input-event-codes.h>

#include "gate/core/wedge.h"

/* US QWERTY: each key's character without and with Shift. */
static const char wedge_layout_us[][3] = {
	[KEY_1] = "1!", [KEY_2] = "2@", [KEY_3] = "3#", [KEY_4] = "4$",
	[KEY_5] = "5%", [KEY_6] = "6^", [KEY_7] = "7&", [KEY_8] = "8*",
	[KEY_9] = "9(", [KEY_0] = "0)", [KEY_MINUS] = "-_",
	[KEY_EQUAL] = "=+",
	[KEY_Q] = "qQ", [KEY_W] = "wW", [KEY_E] = "eE", [KEY_R] = "rR",
	[KEY_T] = "tT", [KEY_Y] = "yY", [KEY_U] = "uU", [KEY_I] = "iI",
	[KEY_O] = "oO", [KEY_P] = "pP", [KEY_LEFTBRACE] = "[{",
	[KEY_RIGHTBRACE] = "]}",
	[KEY_A] = "aA", [KEY_S] = "sS", [KEY_D] = "dD", [KEY_F] = "fF",
	[KEY_G] = "gG", [KEY_H] = "hH", [KEY_J] = "jJ", [KEY_K] = "kK",
	[KEY_L] = "lL", [KEY_SEMICOLON] = ";:", [KEY_APOSTROPHE] = "'\"",
	[KEY_GRAVE] = "`~", [KEY_BACKSLASH] = "\\|",
	[KEY_Z] = "zZ", [KEY_X] = "xX", [KEY_C] = "cC", [KEY_V] = "vV",
	[KEY_B] = "bB", [KEY_N] = "nN", [KEY_M] = "mM", [KEY_COMMA] = ",<",
	[KEY_DOT] = ".>", [KEY_SLASH] = "/?", [KEY_SPACE] = "  ",
	/* The keypad as with NumLock on, which keypad-mode scanners assume. */
	[KEY_KP0] = "00", [KEY_KP1] = "11", [KEY_KP2] = "22", [KEY_KP3] = "33",
	[KEY_KP4] = "44", [KEY_KP5] = "55", [KEY_KP6] = "66", [KEY_KP7] = "77",
	[KEY_KP8] = "88", [KEY_KP9] = "99", [KEY_KPDOT] = "..",
	[KEY_KPMINUS] = "--", [KEY_KPPLUS] = "++", [KEY_KPASTERISK] = "**",
	[KEY_KPSLASH] = "//", [KEY_KPEQUAL] = "==", [KEY_KPCOMMA] = ",,",
};

static const char *const wedge_kind_names[PASSGATE_WEDGE_KINDS] = {
	[PASSGATE_CRED_HEALTH_CODE] = "code",
	[PASSGATE_CRED_ID_CARD] = "id",
	[PASSGATE_CRED_TICKET] = "ticket",
};

const char *passgate_wedge_kind_name(unsigned int kind)
{
	return kind < PASSGATE_WEDGE_KINDS ? wedge_kind_names[kind] : NULL;
}

static int wedge_kind_parse(const char *s)
{
	for (unsigned int k = 0; k < PASSGATE_WEDGE_KINDS; k++)
		if (wedge_kind_names[k] && !strcmp(s, wedge_kind_names[k]))
			return k;
	return -1;
}

/* Exactly four hex digits. */
static int wedge_hex16(const char *s, uint16_t *out)
{
	unsigned int v = 0;

	for (int i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v << 4 | (isdigit((unsigned char)s[i]) ? s[i] - '0' :
			      (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	*out = v;
	return 0;
}

static int wedge_number(const char *s, unsigned long min, unsigned long max,
			unsigned long *out)
{
	unsigned long n;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/*
 * The next whitespace-separated word of *@s into @word, advancing *@s:
 * 1, 0 at the end, -1 when it does not fit in @len bytes.
 */
static int wedge_word(const char **s, char *word, size_t len)
{
	const char *p = *s;
	size_t n = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return 0;
	while (*p && !isspace((unsigned char)*p)) {
		if (n + 1 >= len)
			return -1;
		word[n++] = *p++;
	}
	word[n] = '\0';
	*s = p;
	return 1;
}

static const char *wedge_device_parse(const char *s,
				      struct passgate_wedge_config *out)
{
	const char *end;
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '"') {
		end = strchr(s + 1, '"');
		n = end ? (size_t)(end - s - 1) : 0;
		if (!n || n >= sizeof(out->name) ||
		    (end[1] && !isspace((unsigned char)end[1])))
			return NULL;
		memcpy(out->name, s + 1, n);
		out->name[n] = '\0';
		return end + 1;
	}
	end = s;
	if (wedge_word(&end, out->name, sizeof(out->name)) != 1 ||
	    strchr(out->name, '=') || strchr(out->name, '"'))
		return NULL;
	/* vvvv:pppp is an id; a name cannot look like one. */
	if (strlen(out->name) == 9 && out->name[4] == ':') {
		if (wedge_hex16(out->name, &out->vendor) ||
		    wedge_hex16(out->name + 5, &out->product))
			return NULL;
		out->by_id = true;
		out->name[0] = '\0';
	}
	return end;
}

static bool wedge_prefix_valid(const char *p)
{
	for (; *p; p++)
		if (!isgraph((unsigned char)*p) || *p == '"')
			return false;
	return true;
}

/* One prefix must not start another: which kind would a code be? */
static bool wedge_prefixes_distinct(const struct passgate_wedge_config *c)
{
	for (int a = 0; a < PASSGATE_WEDGE_KINDS; a++)
		for (int b = 0; b < PASSGATE_WEDGE_KINDS; b++)
			if (a != b && c->prefix[a][0] && c->prefix[b][0] &&
			    !strncmp(c->prefix[a], c->prefix[b],
				     strlen(c->prefix[a])))
				return false;
	return true;
}

static int wedge_option(struct passgate_wedge_config *out, const char *key,
			const char *value, bool *have_lane)
{
	unsigned long n;
	int k;

	if (!strcmp(key, "lane")) {
		if (wedge_number(value, 0, 255, &n))
			return -1;
		out->lane = n;
		*have_lane = true;
		return 0;
	}
	if (!strcmp(key, "kind")) {
		k = wedge_kind_parse(value);
		return k < 0 ? -1 : (out->kind = k, 0);
	}
	if (!strcmp(key, "terminator")) {
		if (!strcmp(value, "enter"))
			out->terminators = PASSGATE_WEDGE_TERM_ENTER;
		else if (!strcmp(value, "tab"))
			out->terminators = PASSGATE_WEDGE_TERM_TAB;
		else if (!strcmp(value, "any"))
			out->terminators = PASSGATE_WEDGE_TERM_ENTER |
					   PASSGATE_WEDGE_TERM_TAB;
		else
			return -1;
		return 0;
	}
	if (!strcmp(key, "timeout_ms")) {
		if (wedge_number(value, 1, PASSGATE_WEDGE_TIMEOUT_MS_MAX, &n))
			return -1;
		out->timeout_ms = n;
		return 0;
	}
	if (!strcmp(key, "layout"))
		return strcmp(value, "us") ? -1 :
		       (out->layout = PASSGATE_WEDGE_LAYOUT_US, 0);
	for (k = 0; k < PASSGATE_WEDGE_KINDS; k++) {
		const char *name = wedge_kind_names[k];
		size_t len = name ? strlen(name) : 0;

		if (!name || strncmp(key, name, len) ||
		    strcmp(key + len, "_prefix"))
			continue;
		if (!*value || strlen(value) >= PASSGATE_WEDGE_PREFIX_MAX ||
		    !wedge_prefix_valid(value))
			return -1;
		strcpy(out->prefix[k], value);
		return 0;
	}
	return -1;
}

int passgate_wedge_config_parse(const char *value,
				struct passgate_wedge_config *out)
{
	char word[64], *eq;
	bool have_lane = false;
	const char *s;
	int ret;

	memset(out, 0, sizeof(*out));
	out->kind = PASSGATE_CRED_HEALTH_CODE;
	out->terminators = PASSGATE_WEDGE_TERM_ENTER;
	out->layout = PASSGATE_WEDGE_LAYOUT_US;
	out->timeout_ms = PASSGATE_WEDGE_TIMEOUT_MS;

	s = wedge_device_parse(value, out);
	if (!s)
		goto bad;
	while ((ret = wedge_word(&s, word, sizeof(word))) == 1) {
		eq = strchr(word, '=');
		if (!eq)
			goto bad;
		*eq = '\0';
		if (wedge_option(out, word, eq + 1, &have_lane))
			goto bad;
	}
	if (ret < 0)
		goto bad;
	if (!have_lane || !wedge_prefixes_distinct(out))
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

void passgate_wedge_decoder_init(struct passgate_wedge_decoder *w,
				 const struct passgate_wedge_config *cfg)
{
	memset(w, 0, sizeof(*w));
	w->cfg = *cfg;
}

/* The attempt is over, however it ended: nothing of it stays behind. */
static void wedge_end(struct passgate_wedge_decoder *w)
{
	memset(w->buf, 0, w->len);
	w->len = 0;
	w->active = false;
	w->spoiled = false;
	w->overlong = false;
	w->lost = false;
}

static unsigned int wedge_held_bit(unsigned int code)
{
	switch (code) {
	case KEY_LEFTSHIFT:
		return PASSGATE_WEDGE_HELD_SHIFT_LEFT;
	case KEY_RIGHTSHIFT:
		return PASSGATE_WEDGE_HELD_SHIFT_RIGHT;
	case KEY_LEFTCTRL:
		return PASSGATE_WEDGE_HELD_CTRL_LEFT;
	case KEY_RIGHTCTRL:
		return PASSGATE_WEDGE_HELD_CTRL_RIGHT;
	case KEY_LEFTALT:
		return PASSGATE_WEDGE_HELD_ALT_LEFT;
	case KEY_RIGHTALT:
		return PASSGATE_WEDGE_HELD_ALT_RIGHT;
	case KEY_LEFTMETA:
		return PASSGATE_WEDGE_HELD_META_LEFT;
	case KEY_RIGHTMETA:
		return PASSGATE_WEDGE_HELD_META_RIGHT;
	}
	return 0;
}

static bool wedge_is_terminator(const struct passgate_wedge_decoder *w,
				unsigned int code)
{
	if (code == KEY_ENTER || code == KEY_KPENTER)
		return w->cfg.terminators & PASSGATE_WEDGE_TERM_ENTER;
	if (code == KEY_TAB)
		return w->cfg.terminators & PASSGATE_WEDGE_TERM_TAB;
	return false;
}

/* The character @code types now, or 0 for none. */
static char wedge_char(const struct passgate_wedge_decoder *w,
		       unsigned int code)
{
	const unsigned int shift = PASSGATE_WEDGE_HELD_SHIFT_LEFT |
				   PASSGATE_WEDGE_HELD_SHIFT_RIGHT;
	const char *pair;
	bool shifted;

	if (w->held & ~shift)
		return 0;	/* Ctrl, Alt, Meta: a command, not a character */
	if (code >= sizeof(wedge_layout_us) / sizeof(wedge_layout_us[0]))
		return 0;
	pair = wedge_layout_us[code];
	if (!pair[0])
		return 0;
	shifted = w->held & shift;
	/* CapsLock shifts letters only, and Shift undoes it. */
	if (w->capslock && pair[0] >= 'a' && pair[0] <= 'z')
		shifted = !shifted;
	return pair[shifted];
}

/* The attempt's kind and token, by prefix; false for an empty token. */
static bool wedge_claim(const struct passgate_wedge_decoder *w,
			uint8_t *kind, size_t *skip)
{
	*kind = w->cfg.kind;
	*skip = 0;
	for (unsigned int k = 0; k < PASSGATE_WEDGE_KINDS; k++) {
		size_t n = strlen(w->cfg.prefix[k]);

		if (n && w->len >= n && !memcmp(w->buf, w->cfg.prefix[k], n)) {
			*kind = k;
			*skip = n;
			break;
		}
	}
	return w->len > *skip;
}

static bool wedge_terminate(struct passgate_wedge_decoder *w,
			    struct passgate_wedge_code *out)
{
	uint8_t kind;
	size_t skip;

	if (!w->active) {
		w->stats.empty++;
		return false;
	}
	if (w->lost) {
		/* counted when it was reset */
	} else if (w->spoiled) {
		w->stats.spoiled++;
	} else if (!wedge_claim(w, &kind, &skip)) {
		w->stats.empty++;
	} else if (w->overlong || w->len - skip > PASSGATE_TOKEN_MAX) {
		w->stats.overlong++;
	} else {
		out->kind = kind;
		out->len = w->len - skip;
		memcpy(out->token, w->buf + skip, out->len);
		w->stats.codes++;
		wedge_end(w);
		return true;
	}
	wedge_end(w);
	return false;
}

bool passgate_wedge_decoder_key(struct passgate_wedge_decoder *w,
				unsigned int code, int value, uint64_t time_ns,
				struct passgate_wedge_code *out)
{
	uint64_t timeout_ns = (uint64_t)w->cfg.timeout_ms * 1000000;
	unsigned int bit = wedge_held_bit(code);
	char c;

	if (value == 0) {
		w->held &= ~bit;
		return false;
	}
	if (value != 1)
		return false;

	/* A gap means a new attempt: what came before was no scan. */
	if (w->active && time_ns > w->last_press_ns &&
	    time_ns - w->last_press_ns > timeout_ns) {
		if (!w->lost)
			w->stats.timeouts++;
		wedge_end(w);
	}
	w->last_press_ns = time_ns;

	if (bit) {
		w->held |= bit;
		return false;
	}
	switch (code) {
	case KEY_CAPSLOCK:
		w->capslock = !w->capslock;
		return false;
	case KEY_NUMLOCK:
	case KEY_SCROLLLOCK:
		return false;
	}
	if (!(w->held & ~(PASSGATE_WEDGE_HELD_SHIFT_LEFT |
			  PASSGATE_WEDGE_HELD_SHIFT_RIGHT)) &&
	    wedge_is_terminator(w, code))
		return wedge_terminate(w, out);

	w->active = true;
	c = wedge_char(w, code);
	if (!c) {
		w->stats.unknown_keys++;
		w->spoiled = true;
		return false;
	}
	if (w->lost)
		return false;
	if (w->len == sizeof(w->buf))
		w->overlong = true;
	else
		w->buf[w->len++] = c;
	return false;
}

void passgate_wedge_decoder_reset(struct passgate_wedge_decoder *w,
				  uint64_t time_ns)
{
	wedge_end(w);
	w->stats.resets++;
	w->active = true;
	w->lost = true;
	w->last_press_ns = time_ns;
	w->held = 0;
}

void passgate_wedge_decoder_hold(struct passgate_wedge_decoder *w,
				 unsigned int code, bool held)
{
	unsigned int bit = wedge_held_bit(code);

	if (held)
		w->held |= bit;
	else
		w->held &= ~bit;
}

void passgate_wedge_decoder_set_capslock(struct passgate_wedge_decoder *w,
					 bool on)
{
	w->capslock = on;
}

bool passgate_wedge_decoder_capslock(const struct passgate_wedge_decoder *w)
{
	return w->capslock;
}
