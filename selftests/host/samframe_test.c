// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ID-card SAM module's frames (driver/samframe.c), built for the
 * host: the source the module runs.  Frames as the vendors' documents
 * give them (docs/readers.md), cards as selftests/readersim.c makes them.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "readersim.h"
#include "samframe.h"

struct seen {
	struct passgate_sam_parser p;
	int frames;
	__u8 body[PASSGATE_SAM_LEN_MAX];
	__u16 len;
};

static void keep(void *ctx, const struct passgate_sam_frame *f)
{
	struct seen *s = ctx;

	s->frames++;
	s->len = f->len;
	memcpy(s->body, f->body, f->len);
}

static struct seen seen;

TEST(commands_are_the_documented_bytes)
{
	static const __u8 find[] = { 0xaa, 0xaa, 0xaa, 0x96, 0x69, 0x00, 0x03,
				     0x20, 0x01, 0x22 };
	static const __u8 select[] = { 0xaa, 0xaa, 0xaa, 0x96, 0x69, 0x00,
				       0x03, 0x20, 0x02, 0x21 };
	static const __u8 read[] = { 0xaa, 0xaa, 0xaa, 0x96, 0x69, 0x00, 0x03,
				     0x30, 0x01, 0x32 };
	__u8 out[16];

	ASSERT_EQ(sizeof(find), passgate_sam_encode_command(out, sizeof(out),
						PASSGATE_SAM_CMD_FIND));
	EXPECT_EQ(0, memcmp(find, out, sizeof(find)));
	ASSERT_EQ(sizeof(select), passgate_sam_encode_command(out, sizeof(out),
						PASSGATE_SAM_CMD_SELECT));
	EXPECT_EQ(0, memcmp(select, out, sizeof(select)));
	ASSERT_EQ(sizeof(read), passgate_sam_encode_command(out, sizeof(out),
						PASSGATE_SAM_CMD_READ_BASE));
	EXPECT_EQ(0, memcmp(read, out, sizeof(read)));
	EXPECT_EQ(0, passgate_sam_encode_command(out, 9,
						 PASSGATE_SAM_CMD_FIND));
}

TEST(answers_parse_through_noise_and_bad_checksums)
{
	/* "Card found" and "no card", as modules send them. */
	static const __u8 stream[] = {
		0x00, 0x13, 0xaa,					/* noise */
		0xaa, 0xaa, 0xaa, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9f,
		0x00, 0x00, 0x00, 0x00, 0x97,
		0xaa, 0xaa, 0xaa, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x80,
		0x85,							/* bad */
		0xaa, 0xaa, 0xaa, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x80,
		0x84,
		0xaa, 0xaa, 0xaa, 0x96, 0x69, 0xff, 0xff,		/* too long */
		0xaa, 0xaa, 0xaa, 0x96,					/* cut */
	};
	size_t i;

	/* Byte by byte and whole: the same frames and counts. */
	for (int whole = 0; whole < 2; whole++) {
		memset(&seen, 0, sizeof(seen));
		passgate_sam_parser_init(&seen.p);
		if (whole)
			passgate_sam_feed(&seen.p, stream, sizeof(stream), keep,
					  &seen);
		else
			for (i = 0; i < sizeof(stream); i++)
				passgate_sam_feed(&seen.p, stream + i, 1, keep,
						  &seen);
		EXPECT_EQ(2, seen.frames);
		EXPECT_EQ(3, seen.len);
		EXPECT_EQ(0x80, seen.body[2]);
		EXPECT_EQ(1, seen.p.stats.bad_checksum);
		EXPECT_EQ(1, seen.p.stats.oversize);
		EXPECT_EQ(4, seen.p.have);
		EXPECT_FALSE(passgate_sam_flush(&seen.p));
		EXPECT_EQ(0, seen.p.have);
		/* Every byte accounted for: frames 15 + 11, the rest. */
		EXPECT_EQ(sizeof(stream), 15 + 11 + seen.p.stats.bad_checksum +
			  seen.p.stats.oversize + seen.p.stats.truncated +
			  seen.p.stats.garbage);
	}
}

/* A READ_BASE answer for @c, its data part in @data. */
static size_t base_info(const struct sam_card *c, __u8 *data)
{
	data[0] = 1;
	data[1] = 0;
	data[2] = 4;
	data[3] = 0;
	sam_card_text(c, data + 4);
	memcpy(data + 4 + 256, c->photo, 1024);
	return 4 + 256 + 1024;
}

TEST(a_card_gives_its_number_and_dates_and_the_buffer_forgets_it)
{
	static __u8 data[1284], frame[PASSGATE_SAM_FRAME_MAX];
	struct passgate_id_card id;
	struct sam_card c;
	size_t n, len;

	sam_card_make(&c, "11010519491231002X", "20160301", "20360301",
		      "李四", "北京市东城区");
	len = base_info(&c, data);
	n = passgate_sam_encode_answer(frame, sizeof(frame), PASSGATE_SAM_OK,
				       data, len);
	ASSERT_EQ(1295, n);
	memset(&seen, 0, sizeof(seen));
	passgate_sam_parser_init(&seen.p);
	passgate_sam_feed(&seen.p, frame, n, keep, &seen);
	ASSERT_EQ(1, seen.frames);
	ASSERT_EQ(3 + len, seen.len);
	ASSERT_EQ(0, passgate_sam_base_info(seen.body + 3, seen.len - 3, &id));
	EXPECT_EQ(0, memcmp("11010519491231002X", id.number, 18));
	/* 2016-03-01 and 2036-03-02 00:00 +08:00 (date -u -d "... 16:00" +%s) */
	EXPECT_EQ(1456761600u, id.valid_from);
	EXPECT_EQ(2088000000u, id.valid_until);
	/* Nothing of the frame is left in the parser's buffer. */
	for (size_t i = 0; i < sizeof(seen.p.buf); i++)
		ASSERT_EQ(0, seen.p.buf[i]);

	/* Long-term: no expiry. */
	sam_card_make(&c, "11010519491231002X", "20160301", "", "李四", "x");
	len = base_info(&c, data);
	ASSERT_EQ(0, passgate_sam_base_info(data, len, &id));
	EXPECT_EQ(0, id.valid_until);
}

TEST(malformed_cards_are_refused)
{
	static __u8 data[1284];
	struct passgate_id_card id = { .valid_from = 7 };
	struct sam_card c;
	size_t len;

	/* A wrong check character. */
	sam_card_make(&c, "110105194912310021", "20160301", "20360301", "a",
		      "b");
	len = base_info(&c, data);
	EXPECT_EQ(-EINVAL, passgate_sam_base_info(data, len, &id));
	/* No such date; until before from; a letter in the number. */
	sam_card_make(&c, "11010519491231002X", "20160230", "20360301", "a",
		      "b");
	len = base_info(&c, data);
	EXPECT_EQ(-EINVAL, passgate_sam_base_info(data, len, &id));
	sam_card_make(&c, "11010519491231002X", "20360301", "20160301", "a",
		      "b");
	len = base_info(&c, data);
	EXPECT_EQ(-EINVAL, passgate_sam_base_info(data, len, &id));
	sam_card_make(&c, "11010519491231A02X", "20160301", "20360301", "a",
		      "b");
	len = base_info(&c, data);
	EXPECT_EQ(-EINVAL, passgate_sam_base_info(data, len, &id));
	/* Lengths that do not add up. */
	sam_card_make(&c, "11010519491231002X", "20160301", "20360301", "a",
		      "b");
	len = base_info(&c, data);
	EXPECT_EQ(-EINVAL, passgate_sam_base_info(data, len - 1, &id));
	data[1] = 1;
	EXPECT_EQ(-EINVAL, passgate_sam_base_info(data, len, &id));
	EXPECT_EQ(-EINVAL, passgate_sam_base_info(data, 3, &id));
	/* A refusal leaves the card untouched. */
	EXPECT_EQ(7, id.valid_from);
}

TEST(id_number_check_characters)
{
	EXPECT_TRUE(passgate_id_number_valid("11010519491231002X"));
	EXPECT_TRUE(passgate_id_number_valid("440524188001010014"));
	EXPECT_FALSE(passgate_id_number_valid("440524188001010015"));
	EXPECT_FALSE(passgate_id_number_valid("11010519491231002x"));
}

TEST_HARNESS_MAIN
