// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a gate keeps of tickets, on the host: the ticket lists' rollback
 * record and kept copies apart from the health codes' (one kind never
 * rolls the other back), the log of tickets used here that a reboot
 * reads back (gate/core/ticketlog.h), and the slow path's answer to an
 * expired ID card (gate/core/deferred.h), which must be the fast path's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "common/allowlist.h"
#include "gate/core/config.h"
#include "gate/core/deferred.h"
#include "gate/core/kept.h"
#include "gate/core/state.h"
#include "gate/core/ticketlog.h"

FIXTURE(state) {
	char dir[64];
	struct passgate_config cfg;
};

FIXTURE_SETUP(state)
{
	strcpy(self->dir, "/tmp/passgate-ticket-state.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	passgate_config_defaults(&self->cfg);
	snprintf(self->cfg.state_dir, sizeof(self->cfg.state_dir), "%s",
		 self->dir);
	self->cfg.gate = 3;
}

FIXTURE_TEARDOWN(state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
}

/* The two records are two files: writing one leaves the other alone. */
TEST_F(state, a_record_per_kind)
{
	struct passgate_record rec = { .generation = 40 }, got;

	ASSERT_EQ(0, passgate_record_seed(self->dir, 3, 7));
	/* No ticket record yet: missing, never the codes' generation. */
	EXPECT_EQ(-1, passgate_record_read_list(self->dir, 3,
						PASSGATE_LIST_TICKETS, &got));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, passgate_record_seed_list(self->dir, 3,
					       PASSGATE_LIST_TICKETS, 2));
	ASSERT_EQ(0, passgate_record_read_list(self->dir, 3,
					       PASSGATE_LIST_TICKETS, &got));
	EXPECT_EQ(2, got.generation);
	ASSERT_EQ(0, passgate_record_read(self->dir, 3, &got));
	EXPECT_EQ(7, got.generation);

	ASSERT_EQ(0, passgate_record_write_list(self->dir, 3,
						PASSGATE_LIST_TICKETS, &rec));
	ASSERT_EQ(0, passgate_record_read(self->dir, 3, &got));
	EXPECT_EQ(7, got.generation);
	ASSERT_EQ(0, passgate_record_write(self->dir, 3, &rec));
	ASSERT_EQ(0, passgate_record_read_list(self->dir, 3,
					       PASSGATE_LIST_TICKETS, &got));
	EXPECT_EQ(40, got.generation);
	EXPECT_EQ(-1, passgate_record_read_list(self->dir, 3, 2, &got));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(state, kept_lists_are_named_by_kind)
{
	char codes[PATH_MAX], tickets[PATH_MAX], want[PATH_MAX + 32];

	ASSERT_EQ(0, passgate_kept_path(&self->cfg, PASSGATE_LIST_CODES, 5, 0,
					codes, sizeof(codes)));
	ASSERT_EQ(0, passgate_kept_path(&self->cfg, PASSGATE_LIST_TICKETS, 5,
					1, tickets, sizeof(tickets)));
	snprintf(want, sizeof(want), "%s/gate3.list-5.pgl", self->dir);
	EXPECT_STREQ(want, codes);
	snprintf(want, sizeof(want), "%s/gate3.tickets-5.pgl.minisig",
		 self->dir);
	EXPECT_STREQ(want, tickets);
}

/* Pruning one kind's chain leaves the other kind's files. */
TEST_F(state, pruning_tickets_keeps_the_codes)
{
	char path[PATH_MAX];
	int fd;

	ASSERT_EQ(0, passgate_kept_path(&self->cfg, PASSGATE_LIST_CODES, 9, 0,
					path, sizeof(path)));
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	passgate_kept_prune(&self->cfg, PASSGATE_LIST_TICKETS, 1);
	EXPECT_EQ(0, access(path, F_OK));
	passgate_kept_prune(&self->cfg, PASSGATE_LIST_CODES, 1);
	EXPECT_EQ(-1, access(path, F_OK));
}

static struct policy_ticket_record use(unsigned char id, const char *ticket,
				       uint32_t until)
{
	struct policy_ticket_record rec;

	memset(&rec, 0, sizeof(rec));
	memset(rec.key.id_digest, id, sizeof(rec.key.id_digest));
	memcpy(rec.key.ticket, ticket, strlen(ticket));
	rec.use.used_at = 1000;
	rec.use.valid_until = until;
	return rec;
}

/*
 * Written and read back; a use whose window is over is not; a torn last
 * line (a power cut mid-append) is skipped, the lines before it kept.
 */
TEST_F(state, the_ticket_log_reads_back)
{
	struct policy_ticket_record recs[3], more, *got;
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	recs[0] = use(0xa1, "E123456789ABCDEF", 5000);
	recs[1] = use(0x07, "E2", 0);		/* no end */
	recs[2] = use(0x33, "E3", 1500);	/* over by 2000 */
	ASSERT_EQ(0, passgate_ticket_log_path(&self->cfg, path, sizeof(path)));
	EXPECT_NE(NULL, strstr(path, "/gate3.tickets-used"));
	/* No log yet: nothing used. */
	EXPECT_EQ(0, passgate_ticket_log_read(path, 2000, &got));
	free(got);

	ASSERT_EQ(0, passgate_ticket_log_write(path, recs, 2));
	fd = open(path, O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, passgate_ticket_log_append(fd, &recs[2], 1));
	more = use(0x44, "E4", 0);
	ASSERT_EQ(0, passgate_ticket_log_append(fd, &more, 1));
	/* A torn line: half of a use, no newline. */
	ASSERT_EQ(20, write(fd, "a1a1a1a1a1a1a1a1a1a1", 20));
	close(fd);

	n = passgate_ticket_log_read(path, 2000, &got);
	ASSERT_EQ(3, n);
	EXPECT_EQ(0, memcmp(&recs[0], &got[0], sizeof(recs[0])));
	EXPECT_EQ(0, memcmp(&recs[1], &got[1], sizeof(recs[1])));
	EXPECT_EQ(0, memcmp(&more, &got[2], sizeof(more)));
	free(got);
	/* Before 1500 the third one's window was still open. */
	n = passgate_ticket_log_read(path, 1499, &got);
	EXPECT_EQ(4, n);
	free(got);
}

static struct passgate_scan card(uint32_t flags, uint32_t until)
{
	struct passgate_scan s = {
		.size = sizeof(s),
		.kind = PASSGATE_CRED_ID_CARD,
		.flags = flags,
		.card_valid_until = until,
	};

	return s;
}

/* The slow path refuses an expired ID card as the fast path does. */
TEST(deferred_expired_card)
{
	struct passgate_scan s;
	uint32_t reason;

	s = card(PASSGATE_SCAN_F_CARD_DATES, 1700000000);
	EXPECT_EQ(PASSGATE_VERDICT_DENY,
		  passgate_deferred_verdict(&s, false,
					    PASSGATE_REASON_MANUAL_CHECK,
					    1700000000, &reason));
	EXPECT_EQ(PASSGATE_REASON_ID_EXPIRED, reason);
	/* Never accepted, whatever else would accept it. */
	EXPECT_EQ(PASSGATE_VERDICT_DENY,
		  passgate_deferred_verdict(&s, true,
					    PASSGATE_REASON_MANUAL_CHECK,
					    1800000000, &reason));
	EXPECT_EQ(PASSGATE_REASON_ID_EXPIRED, reason);
	/* The day before it expires: the slow path's usual answer. */
	EXPECT_EQ(PASSGATE_VERDICT_DENY,
		  passgate_deferred_verdict(&s, false, PASSGATE_REASON_UNKNOWN,
					    1699999999, &reason));
	EXPECT_EQ(PASSGATE_REASON_UNKNOWN, reason);
	/* A long-term card (until 0), and dates not flagged: no expiry. */
	s = card(PASSGATE_SCAN_F_CARD_DATES, 0);
	passgate_deferred_verdict(&s, false, PASSGATE_REASON_MANUAL_CHECK,
				  1800000000, &reason);
	EXPECT_EQ(PASSGATE_REASON_MANUAL_CHECK, reason);
	s = card(0, 1700000000);
	passgate_deferred_verdict(&s, false, PASSGATE_REASON_MANUAL_CHECK,
				  1800000000, &reason);
	EXPECT_EQ(PASSGATE_REASON_MANUAL_CHECK, reason);
	/* A staff card is still let through. */
	s = card(0, 0);
	s.kind = PASSGATE_CRED_HEALTH_CODE;
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT,
		  passgate_deferred_verdict(&s, true,
					    PASSGATE_REASON_MANUAL_CHECK,
					    1800000000, &reason));
	EXPECT_EQ(PASSGATE_REASON_NONE, reason);
}

TEST_HARNESS_MAIN
