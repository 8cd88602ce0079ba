// SPDX-License-Identifier: GPL-2.0-only
/*
 * The keyboard-wedge decoder (gate/core/wedge.c) and its configuration
 * line, fed key events the way a USB scanner types them.  The test's own
 * key map is written out here, apart from the library's table, so a wrong
 * entry there shows up as a wrong character.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/input-event-codes.h>

#include "kselftest_harness.h"
#include "gate/core/wedge.h"

#define MS 1000000ull

/* US QWERTY as a scanner types it: each key without and with Shift. */
static const struct {
	unsigned short key;
	const char *chars;
} us_keys[] = {
	{ KEY_A, "aA" }, { KEY_B, "bB" }, { KEY_C, "cC" }, { KEY_D, "dD" },
	{ KEY_E, "eE" }, { KEY_F, "fF" }, { KEY_G, "gG" }, { KEY_H, "hH" },
	{ KEY_I, "iI" }, { KEY_J, "jJ" }, { KEY_K, "kK" }, { KEY_L, "lL" },
	{ KEY_M, "mM" }, { KEY_N, "nN" }, { KEY_O, "oO" }, { KEY_P, "pP" },
	{ KEY_Q, "qQ" }, { KEY_R, "rR" }, { KEY_S, "sS" }, { KEY_T, "tT" },
	{ KEY_U, "uU" }, { KEY_V, "vV" }, { KEY_W, "wW" }, { KEY_X, "xX" },
	{ KEY_Y, "yY" }, { KEY_Z, "zZ" },
	{ KEY_1, "1!" }, { KEY_2, "2@" }, { KEY_3, "3#" }, { KEY_4, "4$" },
	{ KEY_5, "5%" }, { KEY_6, "6^" }, { KEY_7, "7&" }, { KEY_8, "8*" },
	{ KEY_9, "9(" }, { KEY_0, "0)" },
	{ KEY_MINUS, "-_" }, { KEY_EQUAL, "=+" }, { KEY_LEFTBRACE, "[{" },
	{ KEY_RIGHTBRACE, "]}" }, { KEY_SEMICOLON, ";:" },
	{ KEY_APOSTROPHE, "'\"" }, { KEY_GRAVE, "`~" },
	{ KEY_BACKSLASH, "\\|" }, { KEY_COMMA, ",<" }, { KEY_DOT, ".>" },
	{ KEY_SLASH, "/?" }, { KEY_SPACE, "  " },
};

/* A decoder, a clock and what it returned. */
struct scanner {
	struct passgate_wedge_decoder dec;
	uint64_t now;
	uint64_t gap;
	unsigned int codes;
	struct passgate_wedge_code last;
	char token[PASSGATE_TOKEN_MAX + 1];
};

static struct scanner *scanner_new(const char *line)
{
	struct passgate_wedge_config cfg;
	struct scanner *s;

	if (passgate_wedge_config_parse(line, &cfg))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	passgate_wedge_decoder_init(&s->dec, &cfg);
	s->now = 1000 * MS;
	s->gap = 2 * MS;
	return s;
}

/* One event at the current time; a press moves the clock on by a gap. */
static void key(struct scanner *s, unsigned int code, int value)
{
	struct passgate_wedge_code out;

	if (passgate_wedge_decoder_key(&s->dec, code, value, s->now, &out)) {
		s->codes++;
		s->last = out;
		memcpy(s->token, out.token, out.len);
		s->token[out.len] = '\0';
	}
	if (value == 1)
		s->now += s->gap;
}

static void tap(struct scanner *s, unsigned int code)
{
	key(s, code, 1);
	key(s, code, 0);
}

static int type_char(struct scanner *s, char c)
{
	for (size_t i = 0; i < sizeof(us_keys) / sizeof(us_keys[0]); i++) {
		bool shift = us_keys[i].chars[1] == c &&
			     us_keys[i].chars[0] != c;

		if (us_keys[i].chars[0] != c && !shift)
			continue;
		if (shift)
			key(s, KEY_LEFTSHIFT, 1);
		tap(s, us_keys[i].key);
		if (shift)
			key(s, KEY_LEFTSHIFT, 0);
		return 0;
	}
	return -1;
}

static int type(struct scanner *s, const char *text)
{
	for (; *text; text++)
		if (type_char(s, *text))
			return -1;
	return 0;
}

/* A whole scan: the text, then Enter. */
static int scan(struct scanner *s, const char *text)
{
	if (type(s, text))
		return -1;
	tap(s, KEY_ENTER);
	return 0;
}

TEST(health_code_url_with_shifted_characters)
{
	static const char url[] =
		"https://hc.example.gov.cn/v1/Check?ID=AB12&t=9%2F_x-y~z.#a@b"
		"!$*()[],;'\"+{}|<>^`\\ end";
	struct scanner *s = scanner_new("\"Scanner*\" lane=1");

	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, scan(s, url));
	ASSERT_EQ(1, s->codes);
	EXPECT_STREQ(url, s->token);
	EXPECT_EQ(strlen(url), s->last.len);
	EXPECT_EQ(PASSGATE_CRED_HEALTH_CODE, s->last.kind);
	EXPECT_EQ(1, s->dec.stats.codes);

	/* Right Shift too, and Shift held across several keys. */
	key(s, KEY_RIGHTSHIFT, 1);
	tap(s, KEY_H);
	tap(s, KEY_C);
	tap(s, KEY_SEMICOLON);
	key(s, KEY_RIGHTSHIFT, 0);
	tap(s, KEY_7);
	tap(s, KEY_ENTER);
	ASSERT_EQ(2, s->codes);
	EXPECT_STREQ("HC:7", s->token);

	/* Both Shifts down, one let go: still shifted. */
	key(s, KEY_LEFTSHIFT, 1);
	key(s, KEY_RIGHTSHIFT, 1);
	key(s, KEY_LEFTSHIFT, 0);
	tap(s, KEY_Q);
	key(s, KEY_RIGHTSHIFT, 0);
	tap(s, KEY_Q);
	tap(s, KEY_ENTER);
	ASSERT_EQ(3, s->codes);
	EXPECT_STREQ("Qq", s->token);
	free(s);
}

TEST(keypad_types_digits_and_operators)
{
	struct scanner *s = scanner_new("0c2e:0b61 lane=1");

	ASSERT_NE(NULL, s);
	tap(s, KEY_KP1);
	tap(s, KEY_KP0);
	tap(s, KEY_KPDOT);
	tap(s, KEY_KP9);
	tap(s, KEY_KPMINUS);
	tap(s, KEY_KPPLUS);
	tap(s, KEY_KPASTERISK);
	tap(s, KEY_KPSLASH);
	tap(s, KEY_KPENTER);
	ASSERT_EQ(1, s->codes);
	EXPECT_STREQ("10.9-+*/", s->token);
	free(s);
}

TEST(terminators)
{
	struct scanner *s = scanner_new("scanner lane=1");

	ASSERT_NE(NULL, s);
	/* Default: Enter and keypad Enter end a code; Tab is no character. */
	ASSERT_EQ(0, scan(s, "one"));
	EXPECT_STREQ("one", s->token);
	ASSERT_EQ(0, type(s, "two"));
	tap(s, KEY_KPENTER);
	EXPECT_EQ(2, s->codes);
	EXPECT_STREQ("two", s->token);
	ASSERT_EQ(0, type(s, "th"));
	tap(s, KEY_TAB);
	ASSERT_EQ(0, scan(s, "ree"));
	EXPECT_EQ(2, s->codes);
	EXPECT_EQ(1, s->dec.stats.spoiled);
	free(s);

	s = scanner_new("scanner lane=1 terminator=tab");
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, type(s, "tabbed"));
	tap(s, KEY_TAB);
	EXPECT_EQ(1, s->codes);
	EXPECT_STREQ("tabbed", s->token);
	/* Enter is no terminator now: it spoils the code. */
	ASSERT_EQ(0, scan(s, "entered"));
	tap(s, KEY_TAB);
	EXPECT_EQ(1, s->codes);
	EXPECT_EQ(1, s->dec.stats.spoiled);
	free(s);

	s = scanner_new("scanner lane=1 terminator=any");
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, scan(s, "a1"));
	ASSERT_EQ(0, type(s, "b2"));
	tap(s, KEY_TAB);
	EXPECT_EQ(2, s->codes);
	EXPECT_STREQ("b2", s->token);
	/* A terminator alone is no code. */
	tap(s, KEY_ENTER);
	EXPECT_EQ(2, s->codes);
	EXPECT_EQ(1, s->dec.stats.empty);
	free(s);
}

TEST(capslock)
{
	struct scanner *s = scanner_new("scanner lane=1");

	ASSERT_NE(NULL, s);
	tap(s, KEY_CAPSLOCK);
	EXPECT_TRUE(passgate_wedge_decoder_capslock(&s->dec));
	/* Letters flip, Shift undoes it; digits and punctuation do not. */
	ASSERT_EQ(0, scan(s, "abC1!/"));
	EXPECT_STREQ("ABc1!/", s->token);
	tap(s, KEY_CAPSLOCK);
	EXPECT_FALSE(passgate_wedge_decoder_capslock(&s->dec));
	ASSERT_EQ(0, scan(s, "abC1"));
	EXPECT_STREQ("abC1", s->token);

	/* The state a device's light reports is where it starts. */
	passgate_wedge_decoder_set_capslock(&s->dec, true);
	ASSERT_EQ(0, scan(s, "xY"));
	EXPECT_STREQ("Xy", s->token);
	EXPECT_EQ(3, s->codes);
	free(s);
}

TEST(inter_key_timeout_drops_partial_input)
{
	struct scanner *s = scanner_new("scanner lane=1");

	ASSERT_NE(NULL, s);
	/* A person typing: 51 ms between keys is too slow. */
	ASSERT_EQ(0, type(s, "PART"));
	s->now += 51 * MS;
	ASSERT_EQ(0, scan(s, "CODE"));
	EXPECT_EQ(1, s->codes);
	EXPECT_STREQ("CODE", s->token);
	EXPECT_EQ(1, s->dec.stats.timeouts);

	/* A scan cut off: Enter comes too late, nothing is sent. */
	ASSERT_EQ(0, type(s, "cut"));
	s->now += 60 * MS;
	tap(s, KEY_ENTER);
	EXPECT_EQ(1, s->codes);
	EXPECT_EQ(2, s->dec.stats.timeouts);
	EXPECT_EQ(1, s->dec.stats.empty);

	/* Exactly the timeout is still one scan. */
	s->gap = 50 * MS;
	ASSERT_EQ(0, scan(s, "slow"));
	EXPECT_EQ(2, s->codes);
	EXPECT_STREQ("slow", s->token);
	free(s);

	/* A configured timeout. */
	s = scanner_new("scanner lane=1 timeout_ms=200");
	ASSERT_NE(NULL, s);
	s->gap = 150 * MS;
	ASSERT_EQ(0, scan(s, "ok"));
	EXPECT_EQ(1, s->codes);
	s->gap = 201 * MS;
	ASSERT_EQ(0, scan(s, "no"));
	EXPECT_EQ(1, s->codes);
	/* "n" is dropped at "o", and "o" at Enter, which ends nothing. */
	EXPECT_EQ(2, s->dec.stats.timeouts);
	EXPECT_EQ(1, s->dec.stats.empty);
	free(s);
}

TEST(clock_going_back_is_no_gap)
{
	struct scanner *s = scanner_new("scanner lane=1");

	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, type(s, "ab"));
	s->now -= 500 * MS;
	ASSERT_EQ(0, scan(s, "cd"));
	EXPECT_EQ(1, s->codes);
	EXPECT_STREQ("abcd", s->token);
	free(s);
}

TEST(overlong_input_is_dropped)
{
	struct scanner *s = scanner_new("scanner lane=1 id_prefix=ID:");
	char *text = malloc(5001);

	ASSERT_NE(NULL, s);
	ASSERT_NE(NULL, text);
	s->gap = 10000;	/* 10 us: the clock stays well inside the timeout */

	memset(text, 'x', PASSGATE_TOKEN_MAX);
	text[PASSGATE_TOKEN_MAX] = '\0';
	ASSERT_EQ(0, scan(s, text));
	ASSERT_EQ(1, s->codes);
	EXPECT_EQ(PASSGATE_TOKEN_MAX, s->last.len);

	/* One more byte is too long. */
	memset(text, 'y', PASSGATE_TOKEN_MAX + 1);
	text[PASSGATE_TOKEN_MAX + 1] = '\0';
	ASSERT_EQ(0, scan(s, text));
	EXPECT_EQ(1, s->codes);
	EXPECT_EQ(1, s->dec.stats.overlong);

	/* The limit is on the token: a stripped prefix does not count. */
	memcpy(text, "ID:", 3);
	memset(text + 3, '7', PASSGATE_TOKEN_MAX);
	text[3 + PASSGATE_TOKEN_MAX] = '\0';
	ASSERT_EQ(0, scan(s, text));
	ASSERT_EQ(2, s->codes);
	EXPECT_EQ(PASSGATE_TOKEN_MAX, s->last.len);
	EXPECT_EQ(PASSGATE_CRED_ID_CARD, s->last.kind);

	/* Far beyond the buffer: dropped once, and the next scan is whole. */
	memset(text, 'z', 5000);
	text[5000] = '\0';
	ASSERT_EQ(0, scan(s, text));
	EXPECT_EQ(2, s->dec.stats.overlong);
	ASSERT_EQ(0, scan(s, "after"));
	EXPECT_EQ(3, s->codes);
	EXPECT_STREQ("after", s->token);
	free(text);
	free(s);
}

TEST(unknown_key_spoils_the_whole_code)
{
	struct scanner *s = scanner_new("scanner lane=1");

	ASSERT_NE(NULL, s);
	/* F1 in the middle: neither half is ever sent. */
	ASSERT_EQ(0, type(s, "abc"));
	tap(s, KEY_F1);
	ASSERT_EQ(0, scan(s, "def"));
	EXPECT_EQ(0, s->codes);
	EXPECT_EQ(1, s->dec.stats.spoiled);
	EXPECT_EQ(1, s->dec.stats.unknown_keys);

	/* Ctrl+C is a command, not a 'c'. */
	ASSERT_EQ(0, type(s, "x"));
	key(s, KEY_LEFTCTRL, 1);
	tap(s, KEY_C);
	key(s, KEY_LEFTCTRL, 0);
	ASSERT_EQ(0, scan(s, "y"));
	EXPECT_EQ(0, s->codes);
	EXPECT_EQ(2, s->dec.stats.spoiled);

	/* Modifiers alone, NumLock and ScrollLock change nothing. */
	key(s, KEY_RIGHTALT, 1);
	key(s, KEY_RIGHTALT, 0);
	tap(s, KEY_NUMLOCK);
	ASSERT_EQ(0, type(s, "o"));
	tap(s, KEY_SCROLLLOCK);
	ASSERT_EQ(0, scan(s, "k"));
	EXPECT_EQ(1, s->codes);
	EXPECT_STREQ("ok", s->token);
	EXPECT_EQ(2, s->dec.stats.unknown_keys);

	/* A key code beyond any table. */
	ASSERT_EQ(0, type(s, "q"));
	tap(s, KEY_MAX);
	ASSERT_EQ(0, scan(s, "r"));
	EXPECT_EQ(1, s->codes);
	EXPECT_EQ(3, s->dec.stats.spoiled);
	free(s);
}

TEST(repeat_events_type_nothing)
{
	struct scanner *s = scanner_new("scanner lane=1");

	ASSERT_NE(NULL, s);
	key(s, KEY_A, 1);
	key(s, KEY_A, 2);
	key(s, KEY_A, 2);
	key(s, KEY_A, 0);
	key(s, KEY_ENTER, 2);
	EXPECT_EQ(0, s->codes);
	tap(s, KEY_B);
	tap(s, KEY_ENTER);
	ASSERT_EQ(1, s->codes);
	EXPECT_STREQ("ab", s->token);
	free(s);
}

TEST(prefix_rules)
{
	struct scanner *s = scanner_new(
		"scanner lane=1 id_prefix=ID: ticket_prefix=TK:");

	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, scan(s, "ID:110101199003070000"));
	EXPECT_EQ(PASSGATE_CRED_ID_CARD, s->last.kind);
	EXPECT_STREQ("110101199003070000", s->token);
	ASSERT_EQ(0, scan(s, "TK:G1234-05"));
	EXPECT_EQ(PASSGATE_CRED_TICKET, s->last.kind);
	EXPECT_STREQ("G1234-05", s->token);
	/* No prefix: the line's kind, the code untouched. */
	ASSERT_EQ(0, scan(s, "HC:GREEN:0001"));
	EXPECT_EQ(PASSGATE_CRED_HEALTH_CODE, s->last.kind);
	EXPECT_STREQ("HC:GREEN:0001", s->token);
	/* Prefixes are case-sensitive. */
	ASSERT_EQ(0, scan(s, "id:42"));
	EXPECT_EQ(PASSGATE_CRED_HEALTH_CODE, s->last.kind);
	EXPECT_STREQ("id:42", s->token);
	EXPECT_EQ(4, s->codes);
	/* A prefix alone is no token. */
	ASSERT_EQ(0, scan(s, "ID:"));
	EXPECT_EQ(4, s->codes);
	EXPECT_EQ(1, s->dec.stats.empty);
	free(s);

	/* The line's kind, and a prefix for it. */
	s = scanner_new("scanner lane=1 kind=ticket code_prefix=HC:");
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, scan(s, "T-9"));
	EXPECT_EQ(PASSGATE_CRED_TICKET, s->last.kind);
	ASSERT_EQ(0, scan(s, "HC:abc"));
	EXPECT_EQ(PASSGATE_CRED_HEALTH_CODE, s->last.kind);
	EXPECT_STREQ("abc", s->token);
	free(s);
}

TEST(reset_drops_the_rest_of_the_code)
{
	struct scanner *s = scanner_new("scanner lane=1");

	ASSERT_NE(NULL, s);
	/* Events lost mid-code: what arrives after belongs to it. */
	ASSERT_EQ(0, type(s, "abc"));
	passgate_wedge_decoder_reset(&s->dec, s->now);
	ASSERT_EQ(0, scan(s, "def"));
	EXPECT_EQ(0, s->codes);
	EXPECT_EQ(1, s->dec.stats.resets);
	EXPECT_EQ(0, s->dec.stats.spoiled + s->dec.stats.timeouts +
		     s->dec.stats.empty);
	ASSERT_EQ(0, scan(s, "whole"));
	EXPECT_EQ(1, s->codes);
	EXPECT_STREQ("whole", s->token);

	/* The rest of it may also end by a gap, silently. */
	passgate_wedge_decoder_reset(&s->dec, s->now);
	ASSERT_EQ(0, type(s, "tail"));
	s->now += 100 * MS;
	ASSERT_EQ(0, scan(s, "next"));
	EXPECT_EQ(2, s->codes);
	EXPECT_STREQ("next", s->token);
	EXPECT_EQ(2, s->dec.stats.resets);
	EXPECT_EQ(0, s->dec.stats.timeouts);

	/*
	 * The reader fell behind: the last key it saw is long ago, the
	 * drop is now, and the keys after it are the end of a code.
	 */
	s->now += 1000 * MS;
	passgate_wedge_decoder_reset(&s->dec, s->now);
	ASSERT_EQ(0, scan(s, "end"));
	EXPECT_EQ(2, s->codes);
	EXPECT_EQ(3, s->dec.stats.resets);

	/* Held keys are forgotten, then set from the device's state. */
	key(s, KEY_LEFTSHIFT, 1);
	passgate_wedge_decoder_reset(&s->dec, s->now);
	tap(s, KEY_ENTER);
	tap(s, KEY_A);
	tap(s, KEY_ENTER);
	EXPECT_EQ(3, s->codes);
	EXPECT_STREQ("a", s->token);
	passgate_wedge_decoder_hold(&s->dec, KEY_RIGHTSHIFT, true);
	passgate_wedge_decoder_hold(&s->dec, KEY_A, true);
	tap(s, KEY_A);
	tap(s, KEY_ENTER);
	EXPECT_EQ(4, s->codes);
	EXPECT_STREQ("A", s->token);
	free(s);
}

TEST(config_lines)
{
	struct passgate_wedge_config c;

	ASSERT_EQ(0, passgate_wedge_config_parse("0C2E:0b61 lane=1", &c));
	EXPECT_TRUE(c.by_id);
	EXPECT_EQ(0x0c2e, c.vendor);
	EXPECT_EQ(0x0b61, c.product);
	EXPECT_EQ(1, c.lane);
	EXPECT_EQ(PASSGATE_CRED_HEALTH_CODE, c.kind);
	EXPECT_EQ(PASSGATE_WEDGE_TERM_ENTER, c.terminators);
	EXPECT_EQ(PASSGATE_WEDGE_TIMEOUT_MS, c.timeout_ms);

	ASSERT_EQ(0, passgate_wedge_config_parse(
		"  \"SM SM-2D PRODUCT HID KBW\"  lane=0 kind=id "
		"terminator=any timeout_ms=80 layout=us ticket_prefix=TK:  ",
		&c));
	EXPECT_FALSE(c.by_id);
	EXPECT_STREQ("SM SM-2D PRODUCT HID KBW", c.name);
	EXPECT_EQ(0, c.lane);
	EXPECT_EQ(PASSGATE_CRED_ID_CARD, c.kind);
	EXPECT_EQ(PASSGATE_WEDGE_TERM_ENTER | PASSGATE_WEDGE_TERM_TAB,
		  c.terminators);
	EXPECT_EQ(80, c.timeout_ms);
	EXPECT_STREQ("TK:", c.prefix[PASSGATE_CRED_TICKET]);
	EXPECT_STREQ("", c.prefix[PASSGATE_CRED_ID_CARD]);

	ASSERT_EQ(0, passgate_wedge_config_parse("Honeywell* lane=2", &c));
	EXPECT_STREQ("Honeywell*", c.name);
	EXPECT_EQ(2, c.lane);

	static const char *const bad[] = {
		"",
		"scanner",				/* no lane */
		"lane=1",				/* no device */
		"scanner lane=",
		"scanner lane=256",
		"scanner lane=-1",
		"scanner lane=1x",
		"scanner lane=1 kind=passport",
		"scanner lane=1 terminator=space",
		"scanner lane=1 timeout_ms=0",
		"scanner lane=1 timeout_ms=10001",
		"scanner lane=1 layout=de",
		"scanner lane=1 colour=red",
		"scanner lane=1 stray",
		"scanner lane=1 id_prefix=",
		"scanner lane=1 id_prefix=0123456789abcdef",	/* 16 bytes */
		"scanner lane=1 id_prefix=ID ticket_prefix=IDX", /* ambiguous */
		"scanner lane=1 id_prefix=X ticket_prefix=X",
		"0c2e:0b6g lane=1",
		"\"unterminated lane=1",
		"\"\" lane=1",
		"\"name\"lane=1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, passgate_wedge_config_parse(bad[i], &c))
			TH_LOG("accepted: %s", bad[i]);
		EXPECT_EQ(EINVAL, errno);
	}

	EXPECT_STREQ("code", passgate_wedge_kind_name(PASSGATE_CRED_HEALTH_CODE));
	EXPECT_STREQ("id", passgate_wedge_kind_name(PASSGATE_CRED_ID_CARD));
	EXPECT_STREQ("ticket", passgate_wedge_kind_name(PASSGATE_CRED_TICKET));
	EXPECT_EQ(NULL, passgate_wedge_kind_name(0));
	EXPECT_EQ(NULL, passgate_wedge_kind_name(4));
}

TEST_HARNESS_MAIN
