// SPDX-License-Identifier: GPL-2.0-only
/*
 * A QR engine's serial output cut into codes (driver/qrframe.c), built
 * for the host: every framing the driver takes from firmware.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "qrframe.h"

struct codes {
	int n;
	char last[PASSGATE_TOKEN_MAX + 1];
};

static void take(void *ctx, const __u8 *code, size_t len)
{
	struct codes *c = ctx;

	c->n++;
	memcpy(c->last, code, len);
	c->last[len] = '\0';
}

static struct passgate_qr_parser p;

static int start(__u8 suffix, const char *prefix, bool aim, __u16 max)
{
	struct passgate_qr_config cfg = {
		.suffix = suffix, .aim = aim, .max_len = max,
		.prefix_len = strlen(prefix),
	};

	memcpy(cfg.prefix, prefix, cfg.prefix_len);
	return passgate_qr_parser_init(&p, &cfg);
}

static void feed(struct codes *c, const char *s)
{
	passgate_qr_feed(&p, (const __u8 *)s, strlen(s), take, c);
}

TEST(each_suffix_ends_a_code)
{
	static const struct {
		__u8 suffix;
		const char *input;
		int codes;
	} cases[] = {
		{ PASSGATE_QR_SUFFIX_CR, "HC:1\rHC:2\r", 2 },
		{ PASSGATE_QR_SUFFIX_CR, "HC:1\r\nHC:2\r\n", 2 },
		{ PASSGATE_QR_SUFFIX_CRLF, "HC:1\r\nHC:2\r\n", 2 },
		{ PASSGATE_QR_SUFFIX_LF, "HC:1\nHC:2\n", 2 },
		{ PASSGATE_QR_SUFFIX_AUTO, "HC:1\r\nHC:2\n", 2 },
		{ PASSGATE_QR_SUFFIX_NONE, "HC:1", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct codes c = { };

		ASSERT_EQ(0, start(cases[i].suffix, "", false, 512));
		feed(&c, cases[i].input);
		EXPECT_EQ(cases[i].codes, c.n) TH_LOG("case %zu", i);
		if (c.n)
			EXPECT_STREQ("HC:2", c.last);
		EXPECT_EQ(cases[i].suffix == PASSGATE_QR_SUFFIX_NONE,
			  passgate_qr_pending(&p)) TH_LOG("case %zu", i);
	}
}

TEST(silence_ends_a_code_without_suffix_and_cuts_one_with)
{
	struct codes c = { };

	ASSERT_EQ(0, start(PASSGATE_QR_SUFFIX_NONE, "", false, 512));
	feed(&c, "HC:QUIET");
	EXPECT_TRUE(passgate_qr_pending(&p));
	passgate_qr_flush(&p, take, &c);
	EXPECT_EQ(1, c.n);
	EXPECT_STREQ("HC:QUIET", c.last);

	ASSERT_EQ(0, start(PASSGATE_QR_SUFFIX_AUTO, "", false, 512));
	feed(&c, "HC:AUTO");
	passgate_qr_flush(&p, take, &c);
	EXPECT_EQ(2, c.n);
	EXPECT_STREQ("HC:AUTO", c.last);

	ASSERT_EQ(0, start(PASSGATE_QR_SUFFIX_CRLF, "", false, 512));
	feed(&c, "HC:CUT");
	passgate_qr_flush(&p, take, &c);
	EXPECT_EQ(2, c.n);
	EXPECT_EQ(1, p.stats.truncated);
}

TEST(prefix_and_aim_are_checked_and_stripped)
{
	struct codes c = { };

	ASSERT_EQ(0, start(PASSGATE_QR_SUFFIX_CRLF, "PG", true, 512));
	feed(&c, "PG]Q1HC:OK\r\n");
	EXPECT_EQ(1, c.n);
	EXPECT_STREQ("HC:OK", c.last);
	feed(&c, "PG]C0HC:BARCODE\r\n");
	feed(&c, "XX]Q1HC:NOPREFIX\r\n");
	feed(&c, "PG]Q\r\n");
	feed(&c, "PG]Q1\r\n");
	feed(&c, "PG]Q1HC:NOCR\n");
	EXPECT_EQ(1, c.n);
	EXPECT_EQ(2, p.stats.wrong_symbology);
	EXPECT_EQ(1, p.stats.bad_prefix);
	EXPECT_EQ(1, p.stats.truncated);
	EXPECT_EQ(1, p.stats.binary);
}

TEST(long_and_binary_codes_are_dropped_whole)
{
	static char big[700];
	struct codes c = { };

	ASSERT_EQ(0, start(PASSGATE_QR_SUFFIX_CR, "", false, 512));
	memset(big, 'A', 512);
	big[512] = '\r';
	feed(&c, big);
	EXPECT_EQ(1, c.n);
	EXPECT_EQ(512, strlen(c.last));
	memset(big, 'B', 600);
	big[600] = '\r';
	feed(&c, big);
	feed(&c, "a\001b\r");
	feed(&c, "caf\303\251\r");
	feed(&c, "HC:AFTER\r");
	EXPECT_EQ(2, c.n);
	EXPECT_STREQ("HC:AFTER", c.last);
	EXPECT_EQ(1, p.stats.oversize);
	EXPECT_EQ(2, p.stats.binary);
}

TEST(bad_framings_are_refused)
{
	struct passgate_qr_config cfg = { .max_len = 0 };

	EXPECT_EQ(-EINVAL, passgate_qr_parser_init(&p, &cfg));
	cfg.max_len = PASSGATE_TOKEN_MAX + 1;
	EXPECT_EQ(-EINVAL, passgate_qr_parser_init(&p, &cfg));
	cfg.max_len = 10;
	cfg.suffix = PASSGATE_QR_SUFFIX_NONE + 1;
	EXPECT_EQ(-EINVAL, passgate_qr_parser_init(&p, &cfg));
	cfg.suffix = PASSGATE_QR_SUFFIX_CR;
	cfg.prefix_len = 1;
	cfg.prefix[0] = '\n';
	EXPECT_EQ(-EINVAL, passgate_qr_parser_init(&p, &cfg));
}

TEST_HARNESS_MAIN
