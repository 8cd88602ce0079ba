// SPDX-License-Identifier: GPL-2.0-only
/*
 * Gate 0's lane 1 without a scanner board: an ID-card SAM module and a
 * QR engine on the gate PC's UARTs (driver/samreader.c, qrengine.c),
 * played at the far ends of their cables by selftests/readersim.c.  The
 * policy is the real one, pinned for gate 0 (policy_env).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "board.h"
#include "gate_fixture.h"
#include "policy_env.h"
#include "readersim.h"
#include "samframe.h"

#define LANE 1
#define CODE "HC:SAM:GREEN:0001"
#define NAME "张三丰"
#define ADDRESS "浙江省杭州市上城区东站路一号"

FIXTURE(readers) {
	struct policy_env env;
	struct sam_sim sam;
	int qr;
	char id[19];
};

static int install_list(struct policy_env *env, const char *id)
{
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL,
		.generation = 1,
		.issued_at = time(NULL),
		.not_before = time(NULL) - 60,
		.expires_at = time(NULL) + 3600,
	};
	struct passgate_list_entry e = { .status = PASSGATE_STATUS_GREEN };

	policy_env_code_digest(CODE, e.digest, sizeof(e.digest));
	policy_env_id_digest(id, e.id_digest, sizeof(e.id_digest));
	return policy_env_install(env, &info, &e, 1);
}

FIXTURE_SETUP(readers)
{
	ASSERT_EQ(0, gate_restore());
	ASSERT_EQ(0, policy_env_setup_on(&self->env, "readers",
					 "pair_window_ms = 60000\n", 0));
	sam_id_number(self->id, "11010519491231002");
	ASSERT_EQ(0, install_list(&self->env, self->id));
	ASSERT_EQ(0, sam_sim_start(&self->sam, SAM_FAR_TTY));
	self->qr = qr_open(QR_FAR_TTY);
	ASSERT_LE(0, self->qr);
	/* Whatever the gate polled before the simulator listened is gone. */
	ASSERT_EQ(0, sam_sim_wait(&self->sam,
				  offsetof(struct sam_counts, absent), 1));
}

FIXTURE_TEARDOWN(readers)
{
	sam_sim_stop(&self->sam);
	close(self->qr);
	policy_env_teardown(&self->env);
	gate_restore();
}

/* The next event of @type on lane 1; its arg, or -ETIMEDOUT. */
static int next_event(FIXTURE_DATA(readers) *self, unsigned int type,
		      struct passgate_event *ev)
{
	if (gate_wait_event(self->env.events, type, LANE, ev))
		return -ETIMEDOUT;
	return ev->arg;
}

/* The next verdict on lane 1 and its reason; the verdict or -ETIMEDOUT. */
static int next_verdict(FIXTURE_DATA(readers) *self, unsigned int *reason)
{
	struct passgate_verdict_record rec;
	struct passgate_event ev;
	int ret;

	ret = next_event(self, PASSGATE_EV_VERDICT, &ev);
	if (ret < 0)
		return ret;
	memcpy(&rec, ev.data, sizeof(rec));
	*reason = rec.reason;
	return ret;
}

/* Lane 1's counters only grow, over every test: compare with before. */
#define STAT(name) lane_stat(LANE, name)

static void card(struct sam_card *c, const char *id, const char *until)
{
	sam_card_make(c, id, "20200101", until, NAME, ADDRESS);
}

/* Until the lane counter @name reaches @at_least: 0 or -ETIMEDOUT. */
static int stat_reaches(const char *name, long long at_least)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (lane_stat(LANE, name) >= at_least)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 > GATE_WAIT_MS)
			return -ETIMEDOUT;
		/* A counter has no event to wait on: poll it. */
		usleep(10000);
	}
}

TEST_F(readers, code_on_the_engine_and_card_on_the_reader_open_the_lane)
{
	long long cards = STAT("sam_cards"), codes = STAT("qr_codes");
	unsigned int reason = ~0u;
	struct sam_card c;

	ASSERT_EQ(0, qr_send(self->qr, NULL, CODE, 0));
	EXPECT_EQ(PASSGATE_VERDICT_PENDING, next_verdict(self, &reason));
	EXPECT_EQ(PASSGATE_REASON_WAIT_ID, reason);

	card(&c, self->id, "20991231");
	sam_sim_place(&self->sam, &c);
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, next_verdict(self, &reason));
	EXPECT_EQ(0, lane_wait_outputs(self->env.turnstile,
				       PASSGATE_OUT_UNLOCK_EXIT,
				       PASSGATE_OUT_UNLOCK_EXIT));
	EXPECT_EQ(cards + 1, STAT("sam_cards"));
	EXPECT_EQ(codes + 1, STAT("qr_codes"));
}

TEST_F(readers, the_card_is_digested_like_a_boards_id_scan)
{
	struct passgate_event ev;
	struct sam_card c;
	__u8 want[PASSGATE_DIGEST_SIZE];

	card(&c, self->id, "");
	sam_sim_place(&self->sam, &c);
	ASSERT_EQ(PASSGATE_CRED_ID_CARD,
		  next_event(self, PASSGATE_EV_SCAN, &ev));
	digest_id((const __u8 *)POLICY_ENV_ID_KEY, self->id, want);
	EXPECT_EQ(0, memcmp(want, ev.data, sizeof(want)));
}

/* 00:00 China Standard Time of a date, in unix seconds. */
static __u32 cst_midnight(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d };

	return timegm(&tm) - 8 * 3600;
}

TEST_F(readers, the_cards_dates_reach_the_slow_path)
{
	struct passgate_scan scan;
	struct sam_card c;
	char other[19];
	struct pollfd pfd = { .fd = self->env.board, .events = POLLIN };

	/* No program: every scan goes to the slow path, dates and all. */
	passgate_policy_close(self->env.policy);
	self->env.policy = NULL;
	passgate_policy_unpin(self->env.cfg.pin_root, 0);

	card(&c, self->id, "20301231");
	sam_sim_place(&self->sam, &c);
	ASSERT_EQ(1, poll(&pfd, 1, GATE_WAIT_MS));
	ASSERT_EQ(sizeof(scan), read(self->env.board, &scan, sizeof(scan)));
	EXPECT_EQ(PASSGATE_CRED_ID_CARD, scan.kind);
	EXPECT_EQ(PASSGATE_SCAN_F_CARD_DATES,
		  scan.flags & PASSGATE_SCAN_F_CARD_DATES);
	/* Expired from the day after the last, 00:00 in Beijing. */
	EXPECT_EQ(cst_midnight(2031, 1, 1), scan.card_valid_until);
	EXPECT_EQ(18, scan.token_len);
	EXPECT_EQ(0, memcmp(self->id, scan.token, 18));

	/* A long-term card: the flag, and no expiry. */
	sam_sim_remove(&self->sam);
	sam_id_number(other, "33010219800101123");
	card(&c, other, "");
	sam_sim_place(&self->sam, &c);
	ASSERT_EQ(1, poll(&pfd, 1, GATE_WAIT_MS));
	ASSERT_EQ(sizeof(scan), read(self->env.board, &scan, sizeof(scan)));
	EXPECT_EQ(0, memcmp(other, scan.token, 18));
	EXPECT_EQ(PASSGATE_SCAN_F_CARD_DATES,
		  scan.flags & PASSGATE_SCAN_F_CARD_DATES);
	EXPECT_EQ(0, scan.card_valid_until);
}

TEST_F(readers, a_card_left_on_the_reader_is_decided_once)
{
	long long cards = STAT("sam_cards");
	long long repeats = STAT("sam_cards_repeated");
	struct passgate_event ev;
	struct sam_card c, next;
	struct sam_counts n;
	char other[19];
	__u8 want[PASSGATE_DIGEST_SIZE];

	card(&c, self->id, "20991231");
	sam_sim_place(&self->sam, &c);
	ASSERT_EQ(PASSGATE_CRED_ID_CARD,
		  next_event(self, PASSGATE_EV_SCAN, &ev));
	/* The gate reads it again and again while it lies there... */
	EXPECT_EQ(0, stat_reaches("sam_cards_repeated", repeats + 3));
	EXPECT_EQ(cards + 1, STAT("sam_cards"));

	/*
	 * ...and decides nothing more: the next scan of lane 1 is another
	 * card's, placed after the first was taken away.
	 */
	sam_sim_remove(&self->sam);
	n = sam_sim_counts(&self->sam);
	ASSERT_EQ(0, sam_sim_wait(&self->sam,
				  offsetof(struct sam_counts, absent),
				  n.absent + 1));
	sam_id_number(other, "44030519900307001");
	card(&next, other, "20991231");
	sam_sim_place(&self->sam, &next);
	ASSERT_EQ(PASSGATE_CRED_ID_CARD,
		  next_event(self, PASSGATE_EV_SCAN, &ev));
	digest_id((const __u8 *)POLICY_ENV_ID_KEY, other, want);
	EXPECT_EQ(0, memcmp(want, ev.data, sizeof(want)));

	/* Taken away and put back: a new presentation, decided again. */
	sam_sim_remove(&self->sam);
	n = sam_sim_counts(&self->sam);
	ASSERT_EQ(0, sam_sim_wait(&self->sam,
				  offsetof(struct sam_counts, absent),
				  n.absent + 1));
	sam_sim_place(&self->sam, &c);
	ASSERT_EQ(PASSGATE_CRED_ID_CARD,
		  next_event(self, PASSGATE_EV_SCAN, &ev));
	digest_id((const __u8 *)POLICY_ENV_ID_KEY, self->id, want);
	EXPECT_EQ(0, memcmp(want, ev.data, sizeof(want)));
	EXPECT_EQ(cards + 3, STAT("sam_cards"));
}

TEST_F(readers, module_faults_are_counted_and_never_wedge_the_lane)
{
	static const struct {
		enum sam_mode mode;
		const char *counter;
	} faults[] = {
		{ SAM_GARBAGE, "sam_garbage" },
		{ SAM_BAD_CHECKSUM, "sam_bad_checksum" },
		{ SAM_FAULT, "sam_faults" },
		{ SAM_SILENT, "sam_timeouts" },
	};
	long long cards = STAT("sam_cards");
	unsigned int reason = ~0u;
	struct passgate_event ev;
	struct sam_card c;
	size_t i;

	card(&c, self->id, "20991231");
	sam_sim_set_mode(&self->sam, faults[0].mode);
	sam_sim_place(&self->sam, &c);
	for (i = 0; i < ARRAY_SIZE(faults); i++) {
		long long before = lane_stat(LANE, faults[i].counter);

		sam_sim_set_mode(&self->sam, faults[i].mode);
		EXPECT_EQ(0, stat_reaches(faults[i].counter, before + 2))
			TH_LOG("%s", faults[i].counter);
	}
	/* No fault ever reads the card on the reader. */
	EXPECT_EQ(cards, STAT("sam_cards"));

	/* Silent past the heartbeat timeout: offline, then heard again. */
	EXPECT_EQ(PASSGATE_READER_ID_SAM,
		  next_event(self, PASSGATE_EV_SCANNER_OFFLINE, &ev));
	sam_sim_set_mode(&self->sam, SAM_NORMAL);
	EXPECT_EQ(PASSGATE_READER_ID_SAM,
		  next_event(self, PASSGATE_EV_SCANNER_ONLINE, &ev));

	/*
	 * A slow module: the gate stops waiting at its response timeout
	 * (1500 ms here) and polls again.  GA 467 frames carry no sequence
	 * number, so a late answer may be taken for the next command's;
	 * each command checks its own status, so that never reads a card.
	 */
	sam_sim_remove(&self->sam);
	i = lane_stat(LANE, "sam_timeouts");
	sam_sim_set_delay(&self->sam, 2000);
	EXPECT_EQ(0, stat_reaches("sam_timeouts", i + 2));
	sam_sim_set_delay(&self->sam, 0);

	/* And the lane still decides the passenger who comes next. */
	ASSERT_EQ(0, qr_send(self->qr, NULL, CODE, 0));
	EXPECT_EQ(PASSGATE_VERDICT_PENDING, next_verdict(self, &reason));
	sam_sim_place(&self->sam, &c);
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, next_verdict(self, &reason));
}

/* @needle (length @n) anywhere in @len bytes of @hay. */
static bool contains(const void *hay, size_t len, const void *needle,
		     size_t n)
{
	return len >= n && memmem(hay, len, needle, n);
}

/* What must never leave the module: the card's number, name, address,
 * photo, in the encodings they could take.  Count of needles found. */
struct secrets {
	const void *needle[8];
	size_t len[8];
	const char *what[8];
	int n;
};

static void secret(struct secrets *s, const char *what, const void *p,
		   size_t len)
{
	s->needle[s->n] = p;
	s->len[s->n] = len;
	s->what[s->n++] = what;
}

static int leaks(const struct secrets *s, const char *where, const void *buf,
		 size_t len)
{
	int i, found = 0;

	for (i = 0; i < s->n; i++) {
		if (contains(buf, len, s->needle[i], s->len[i])) {
			fprintf(stderr, "# %s holds the card's %s\n", where,
				s->what[i]);
			found++;
		}
	}
	return found;
}

static size_t slurp(const char *path, char *buf, size_t size)
{
	ssize_t n;
	size_t have = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK);

	if (fd < 0)
		return 0;
	while (have < size && (n = read(fd, buf + have, size - have)) > 0)
		have += n;
	close(fd);
	return have;
}

TEST_F(readers, nothing_of_the_card_is_kept_logged_traced_or_shown)
{
	static char buf[1 << 20];
	uint8_t text[256];
	char path[PATH_MAX], log[PATH_MAX], cmd[PATH_MAX + 64];
	unsigned int reason;
	struct secrets s = { };
	struct sam_card c;
	size_t n;
	pid_t daemon;
	int found = 0;

	card(&c, self->id, "20991231");
	sam_card_text(&c, text);
	secret(&s, "number", c.number, 18);
	secret(&s, "number (UCS-2)", text + PASSGATE_SAM_ID_OFFSET, 36);
	secret(&s, "name", NAME, strlen(NAME));
	secret(&s, "name (UCS-2)", text, 6);
	secret(&s, "address", ADDRESS, strlen(ADDRESS));
	secret(&s, "address (UCS-2)", text + 52, 16);
	secret(&s, "photo", c.photo + 100, 24);

	/* The daemon journals the gate's events as it runs. */
	snprintf(log, sizeof(log), "%s/passgated.log", self->env.dir);
	snprintf(path, sizeof(path), "%s/passgated.conf", self->env.dir);
	daemon = passgated_start(path, log);
	ASSERT_LT(0, daemon);
	ASSERT_EQ(0, write_string("/sys/kernel/tracing/events/passgate/enable",
				  "1"));

	ASSERT_EQ(0, qr_send(self->qr, NULL, CODE, 0));
	EXPECT_EQ(PASSGATE_VERDICT_PENDING, next_verdict(self, &reason));
	sam_sim_place(&self->sam, &c);
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, next_verdict(self, &reason));
	EXPECT_EQ(0, process_stop(daemon, SIGTERM));
	write_string("/sys/kernel/tracing/events/passgate/enable", "0");

	n = slurp("/sys/kernel/tracing/trace", buf, sizeof(buf));
	EXPECT_NE(NULL, memmem(buf, n, "passgate_verdict", 16));
	found += leaks(&s, "tracefs", buf, n);
	n = klogctl(3, buf, sizeof(buf));
	EXPECT_LT(0, (int)n);
	found += leaks(&s, "dmesg", buf, n);
	snprintf(cmd, sizeof(cmd), "cat /sys/kernel/debug/passgate/* > %s/dbg",
		 self->env.dir);
	ASSERT_EQ(0, system(cmd));
	snprintf(path, sizeof(path), "%s/dbg", self->env.dir);
	n = slurp(path, buf, sizeof(buf));
	EXPECT_NE(NULL, memmem(buf, n, "sam_cards ", 10));
	found += leaks(&s, "debugfs", buf, n);
	/* The event stream from its start, as any reader of the node gets it. */
	ASSERT_EQ(0, lseek(self->env.events, 0, SEEK_SET));
	n = 0;
	for (ssize_t r; n < sizeof(buf) &&
	     (r = read(self->env.events, buf + n, sizeof(buf) - n)) > 0;)
		n += r;
	found += leaks(&s, "the event stream", buf, n);
	/* The journal (it holds the scan) holds nothing of the card. */
	n = slurp(self->env.cfg.journal, buf, sizeof(buf));
	EXPECT_LT(0, (long)n);
	found += leaks(&s, "the journal", buf, n);
	n = slurp(log, buf, sizeof(buf));
	found += leaks(&s, "the daemon's log", buf, n);
	EXPECT_EQ(0, found);
}

TEST_F(readers, the_engines_codes_are_scans_and_its_garbage_is_not)
{
	static char longer[700];
	__u8 want[PASSGATE_DIGEST_SIZE];
	static const __u8 binary[] = { 'P', 'G', ']', 'Q', '1', 'a', 0x01,
				       0xff, 'b', '\r', '\n' };
	long long oversize = STAT("qr_oversize"), bin = STAT("qr_binary");
	long long codes = STAT("qr_codes"), cut = STAT("qr_truncated");
	long long symbology = STAT("qr_wrong_symbology");
	long long prefix = STAT("qr_bad_prefix");
	struct passgate_event ev;

	/* Too long, then binary: dropped, counted, never a scan... */
	memset(longer, 'A', sizeof(longer) - 1);
	ASSERT_EQ(0, qr_send(self->qr, NULL, longer, 0));
	ASSERT_EQ(0, line_write(self->qr, binary + (*qr_test_gate_framing.prefix ?
						    0 : 5),
				 sizeof(binary) - (*qr_test_gate_framing.prefix ?
						   0 : 5), 0));
	ASSERT_EQ(0, qr_send(self->qr, NULL, CODE, 0));
	/* ...so the next scan of the lane is the good code's. */
	ASSERT_EQ(PASSGATE_CRED_HEALTH_CODE,
		  next_event(self, PASSGATE_EV_SCAN, &ev));
	digest_token(PASSGATE_CRED_HEALTH_CODE, CODE, want);
	EXPECT_EQ(0, memcmp(want, ev.data, sizeof(want)));
	EXPECT_EQ(oversize + 1, STAT("qr_oversize"));
	EXPECT_EQ(bin + 1, STAT("qr_binary"));
	EXPECT_EQ(codes + 1, STAT("qr_codes"));

	if (*qr_test_gate_framing.aim) {
		/* A barcode that is not a QR code, and a missing prefix. */
		ASSERT_EQ(0, line_write(self->qr, "PG]C0123456\r\n", 13, 0));
		ASSERT_EQ(0, line_write(self->qr, "XX]Q1HC:SAM\r\n", 13, 0));
		/* A code cut off: the rest never comes. */
		ASSERT_EQ(0, line_write(self->qr, "PG]Q1HC:CUT", 11, 0));
		EXPECT_EQ(0, stat_reaches("qr_truncated", cut + 1));
		EXPECT_EQ(symbology + 1, STAT("qr_wrong_symbology"));
		EXPECT_EQ(prefix + 1, STAT("qr_bad_prefix"));
	} else {
		/* Factory framing: silence alone ends a code. */
		ASSERT_EQ(0, line_write(self->qr, "HC:QUIET", 8, 0));
		ASSERT_EQ(PASSGATE_CRED_HEALTH_CODE,
			  next_event(self, PASSGATE_EV_SCAN, &ev));
		digest_token(PASSGATE_CRED_HEALTH_CODE, "HC:QUIET", want);
		EXPECT_EQ(0, memcmp(want, ev.data, sizeof(want)));
	}
	ASSERT_EQ(0, qr_send(self->qr, NULL, "HC:LAST", 0));
	ASSERT_EQ(PASSGATE_CRED_HEALTH_CODE,
		  next_event(self, PASSGATE_EV_SCAN, &ev));
	digest_token(PASSGATE_CRED_HEALTH_CODE, "HC:LAST", want);
	EXPECT_EQ(0, memcmp(want, ev.data, sizeof(want)));
}

TEST_HARNESS_MAIN
