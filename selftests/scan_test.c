// SPDX-License-Identifier: GPL-2.0-only
/*
 * The decision pipeline end to end: the test plays lane 0's scanner board
 * over the null-modem UART (and lane 1's bridge through write()), loads a
 * small fast-path program, and checks verdicts, the turnstile, the board's
 * INDICATE frames, the slow path, and the frame error counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include "decide_test.h"
#include "decide_test.skel.h"

static const __u8 test_key[PASSGATE_KEY_SIZE] = "passgate-selftest-deployment-key";

static int set_key(int gate_fd, const __u8 *key, __u32 flags)
{
	struct passgate_key k = { .size = sizeof(k), .flags = flags };

	memcpy(k.key, key, sizeof(k.key));
	return ioctl(gate_fd, PASSGATE_IOC_GATE_SET_KEY, &k) ? -errno : 0;
}


static int answer(int fd, __u64 scan_id, __u32 verdict, __u32 reason);

FIXTURE(scan) {
	int tty;
	int events;
	int lane[2];
	int board[2];
	struct decide_test_bpf *skel;
};

FIXTURE_SETUP(scan)
{
	int ret;

	ASSERT_EQ(0, gate_restore());
	self->tty = board_open();
	ASSERT_LE(0, self->tty);
	self->events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events);
	ASSERT_LE(0, lseek(self->events, 0, SEEK_END));
	for (int i = 0; i < 2; i++) {
		self->lane[i] = lane_open(0, i, "turnstile",
					  O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, self->lane[i]);
		self->board[i] = lane_open(0, i, "scanboard",
					   O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, self->board[i]);
	}
	ret = set_key(self->events, test_key, 0);
	ASSERT_TRUE(ret == 0 || ret == -EEXIST);

	self->skel = decide_test_bpf__open_and_load();
	ASSERT_NE(NULL, self->skel);
	ASSERT_EQ(0, decide_test_bpf__attach(self->skel));
}

/* Deny what a test left in the slow path, so it cannot time out later. */
static void drain_slow_path(int fd)
{
	struct passgate_scan scan;

	while (read(fd, &scan, sizeof(scan)) == sizeof(scan))
		answer(fd, scan.scan_id, PASSGATE_VERDICT_DENY, 0);
}

FIXTURE_TEARDOWN(scan)
{
	drain_slow_path(self->board[0]);
	drain_slow_path(self->board[1]);
	decide_test_bpf__destroy(self->skel);
	close(self->tty);
	close(self->events);
	for (int i = 0; i < 2; i++) {
		close(self->lane[i]);
		close(self->board[i]);
	}
	gate_restore();
}

static int table_put(struct decide_test_bpf *skel, const __u8 digest[32],
		     __u32 verdict, __u32 reason, const __u8 *id_digest)
{
	struct decide_test_verdict v = {
		.verdict = verdict,
		.reason = reason,
		.direction = PASSGATE_DIR_EXIT,
		.needs_id = !!id_digest,
	};
	struct decide_test_key key;

	memcpy(key.digest, digest, sizeof(key.digest));
	if (id_digest)
		memcpy(v.id_digest, id_digest, sizeof(v.id_digest));
	return bpf_map_update_elem(bpf_map__fd(skel->maps.verdicts), &key, &v,
				   BPF_ANY);
}

static int code_put(struct decide_test_bpf *skel, const char *code,
		    __u32 verdict, __u32 reason)
{
	__u8 digest[32];

	digest_token(PASSGATE_CRED_HEALTH_CODE, code, digest);
	return table_put(skel, digest, verdict, reason, NULL);
}

/* The next VERDICT event of @lane, with its record. */
static int wait_verdict(int events, unsigned int lane,
			struct passgate_event *ev,
			struct passgate_verdict_record *rec)
{
	int ret = gate_wait_event(events, PASSGATE_EV_VERDICT, lane, ev);

	if (!ret && rec)
		memcpy(rec, ev->data, sizeof(*rec));
	return ret;
}

static int read_scan(int fd, struct passgate_scan *scan)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, GATE_WAIT_MS) != 1)
		return -ETIMEDOUT;
	n = read(fd, scan, sizeof(*scan));
	return n == sizeof(*scan) ? 0 : -errno;
}

static int answer(int fd, __u64 scan_id, __u32 verdict, __u32 reason)
{
	struct passgate_verdict_cmd cmd = {
		.size = sizeof(cmd),
		.scan_id = scan_id,
		.verdict = verdict,
		.reason = reason,
		.direction = PASSGATE_DIR_EXIT,
	};

	return ioctl(fd, PASSGATE_IOC_VERDICT, &cmd) ? -errno : 0;
}

TEST_F(scan, accept_opens_and_board_sees_green)
{
	const char *code = "HC:GREEN:0001";
	struct passgate_verdict_record rec;
	struct passgate_event scan_ev, ev;
	struct board_reply reply;
	struct passgate_state st;
	__u8 digest[32];

	ASSERT_EQ(0, code_put(self->skel, code, PASSGATE_VERDICT_ACCEPT, 0));
	ASSERT_EQ(0, board_send_scan(self->tty, 7, PASSGATE_CRED_HEALTH_CODE,
				     code, 3650));

	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_ACK, 7, NULL));
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE, 7,
				  &reply));
	EXPECT_EQ(PASSGATE_LIGHT_GREEN, reply.payload[1]);
	EXPECT_EQ(PASSGATE_BEEP_SHORT, reply.payload[2]);
	EXPECT_EQ(0, reply.payload[3] | reply.payload[4]);

	/* The SCAN event carries the digest, computed as documented. */
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_SCAN, 0,
				     &scan_ev));
	digest_token(PASSGATE_CRED_HEALTH_CODE, code, digest);
	EXPECT_EQ(0, memcmp(digest, scan_ev.data, sizeof(digest)));
	EXPECT_EQ(PASSGATE_CRED_HEALTH_CODE, scan_ev.arg);

	ASSERT_EQ(0, wait_verdict(self->events, 0, &ev, &rec));
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, ev.arg);
	EXPECT_EQ(scan_ev.value, ev.value);
	EXPECT_EQ(1, rec.fast);
	EXPECT_EQ(PASSGATE_DIR_EXIT, rec.direction);
	EXPECT_LE(rec.received_ns, rec.decided_ns);
	EXPECT_LE(rec.decided_ns, rec.actuated_ns);

	EXPECT_EQ(1, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
	ASSERT_EQ(0, lane_get_state(self->lane[0], &st));
	EXPECT_EQ(PASSGATE_STATE_UNLOCKED, st.state);
}

TEST_F(scan, deny_keeps_locked_and_board_sees_red)
{
	const char *code = "HC:RED:0002";
	struct passgate_verdict_record rec;
	struct board_reply reply;
	struct passgate_event ev;

	ASSERT_EQ(0, code_put(self->skel, code, PASSGATE_VERDICT_DENY,
			      PASSGATE_REASON_RED));
	ASSERT_EQ(0, board_send_scan(self->tty, 8, PASSGATE_CRED_HEALTH_CODE,
				     code, -1));
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE, 8,
				  &reply));
	EXPECT_EQ(PASSGATE_LIGHT_RED, reply.payload[1]);
	EXPECT_EQ(PASSGATE_BEEP_LONG, reply.payload[2]);
	EXPECT_EQ(PASSGATE_REASON_RED, reply.payload[3]);
	ASSERT_EQ(0, wait_verdict(self->events, 0, &ev, &rec));
	EXPECT_EQ(PASSGATE_VERDICT_DENY, ev.arg);
	EXPECT_EQ(PASSGATE_REASON_RED, rec.reason);
	EXPECT_EQ(0, rec.actuated_ns);
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));

	/* Not on the list at all. */
	ASSERT_EQ(0, board_send_scan(self->tty, 9, PASSGATE_CRED_HEALTH_CODE,
				     "HC:NOBODY", -1));
	ASSERT_EQ(0, wait_verdict(self->events, 0, &ev, &rec));
	EXPECT_EQ(PASSGATE_REASON_UNKNOWN, rec.reason);
}

TEST_F(scan, pending_then_id_card_completes)
{
	const char *code = "HC:GREEN:BOUND", *id = "110101199003070000";
	struct passgate_verdict_record rec;
	__u8 code_digest[32], id_digest[32];
	struct board_reply reply;
	struct passgate_event ev;

	digest_token(PASSGATE_CRED_HEALTH_CODE, code, code_digest);
	digest_id(test_key, id, id_digest);
	ASSERT_EQ(0, table_put(self->skel, code_digest, 0, 0, id_digest));

	ASSERT_EQ(0, board_send_scan(self->tty, 10, PASSGATE_CRED_HEALTH_CODE,
				     code, -1));
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE, 10,
				  &reply));
	EXPECT_EQ(PASSGATE_LIGHT_AMBER, reply.payload[1]);
	EXPECT_EQ(PASSGATE_REASON_WAIT_ID, reply.payload[3]);
	ASSERT_EQ(0, wait_verdict(self->events, 0, &ev, &rec));
	EXPECT_EQ(PASSGATE_VERDICT_PENDING, ev.arg);
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));

	/* The ID card's digest is the HMAC under the gate's key. */
	ASSERT_EQ(0, board_send_scan(self->tty, 11, PASSGATE_CRED_ID_CARD, id,
				     -1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_SCAN, 0, &ev));
	EXPECT_EQ(PASSGATE_CRED_ID_CARD, ev.arg);
	EXPECT_EQ(0, memcmp(id_digest, ev.data, sizeof(id_digest)));
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE, 11,
				  &reply));
	EXPECT_EQ(PASSGATE_LIGHT_GREEN, reply.payload[1]);
	EXPECT_EQ(1, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
}

TEST_F(scan, deferred_scan_answered_by_userspace)
{
	const char *code = "HC:ASK:0003";
	struct passgate_verdict_record rec;
	struct passgate_scan scan;
	struct board_reply reply;
	struct passgate_event ev;
	__u8 digest[32];

	ASSERT_EQ(0, code_put(self->skel, code, PASSGATE_VERDICT_DEFER, 0));
	ASSERT_EQ(0, board_send_scan(self->tty, 12, PASSGATE_CRED_HEALTH_CODE,
				     code, 3710));
	ASSERT_EQ(0, read_scan(self->board[0], &scan));
	EXPECT_EQ(sizeof(scan), scan.size);
	EXPECT_EQ(0, scan.lane);
	EXPECT_EQ(PASSGATE_CRED_HEALTH_CODE, scan.kind);
	EXPECT_EQ(PASSGATE_SCAN_F_TEMPERATURE, scan.flags);
	EXPECT_EQ(3710, scan.temperature);
	ASSERT_EQ(strlen(code), scan.token_len);
	EXPECT_EQ(0, memcmp(code, scan.token, scan.token_len));
	digest_token(PASSGATE_CRED_HEALTH_CODE, code, digest);
	EXPECT_EQ(0, memcmp(digest, scan.digest, sizeof(digest)));
	EXPECT_LT(scan.time_ns, scan.deadline_ns);

	/* Nothing is decided until the answer. */
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
	ASSERT_EQ(0, answer(self->board[0], scan.scan_id,
			    PASSGATE_VERDICT_ACCEPT, 0));
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE, 12,
				  &reply));
	EXPECT_EQ(PASSGATE_LIGHT_GREEN, reply.payload[1]);
	ASSERT_EQ(0, wait_verdict(self->events, 0, &ev, &rec));
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, ev.arg);
	EXPECT_EQ(0, rec.fast);
	EXPECT_EQ(1, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));

	/* Answered once: a second answer has nothing to answer. */
	EXPECT_EQ(-ENOENT, answer(self->board[0], scan.scan_id,
				  PASSGATE_VERDICT_DENY, 0));
	EXPECT_EQ(-EINVAL, answer(self->board[0], scan.scan_id,
				  PASSGATE_VERDICT_DEFER, 0));
}

TEST_F(scan, no_answer_is_timeout_deny)
{
	const char *code = "HC:SLOW:0004";
	struct passgate_verdict_record rec;
	struct passgate_scan scan;
	struct board_reply reply;
	struct passgate_event ev;

	ASSERT_EQ(0, code_put(self->skel, code, PASSGATE_VERDICT_DEFER, 0));
	ASSERT_EQ(0, board_send_scan(self->tty, 13, PASSGATE_CRED_HEALTH_CODE,
				     code, -1));
	ASSERT_EQ(0, read_scan(self->board[0], &scan));
	ASSERT_EQ(0, wait_verdict(self->events, 0, &ev, &rec));
	EXPECT_EQ(PASSGATE_VERDICT_DENY, ev.arg);
	EXPECT_EQ(PASSGATE_REASON_TIMEOUT, rec.reason);
	EXPECT_EQ(scan.scan_id, ev.value);
	/* The decision timeout of lane 0 is 500 ms. */
	EXPECT_LE(rec.received_ns + 500000000ull, rec.decided_ns);
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE, 13,
				  &reply));
	EXPECT_EQ(PASSGATE_LIGHT_RED, reply.payload[1]);
	EXPECT_EQ(PASSGATE_REASON_TIMEOUT, reply.payload[3]);

	EXPECT_EQ(-ETIMEDOUT, answer(self->board[0], scan.scan_id,
				     PASSGATE_VERDICT_ACCEPT, 0));
	EXPECT_EQ(-ENOENT, answer(self->board[0], scan.scan_id + 1000000,
				  PASSGATE_VERDICT_ACCEPT, 0));
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
}

TEST_F(scan, no_program_means_slow_path)
{
	struct passgate_verdict_record rec;
	struct passgate_scan scan;
	struct board_reply reply;
	struct passgate_event ev;

	decide_test_bpf__destroy(self->skel);
	self->skel = NULL;
	ASSERT_EQ(0, board_send_scan(self->tty, 14, PASSGATE_CRED_TICKET,
				     "TICKET:G1234", -1));
	ASSERT_EQ(0, read_scan(self->board[0], &scan));
	EXPECT_EQ(PASSGATE_CRED_TICKET, scan.kind);
	ASSERT_EQ(0, answer(self->board[0], scan.scan_id,
			    PASSGATE_VERDICT_DENY, PASSGATE_REASON_NO_TICKET));
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE, 14,
				  &reply));
	EXPECT_EQ(PASSGATE_LIGHT_RED, reply.payload[1]);
	EXPECT_EQ(PASSGATE_REASON_NO_TICKET, reply.payload[3]);
	ASSERT_EQ(0, wait_verdict(self->events, 0, &ev, &rec));
	EXPECT_EQ(0, rec.fast);
	EXPECT_EQ(PASSGATE_REASON_NO_TICKET, rec.reason);
}

TEST_F(scan, frames_split_and_back_to_back)
{
	__u8 buf[2 * PASSGATE_FRAME_MAX];
	struct board_reply reply;
	size_t a, b;

	ASSERT_EQ(0, code_put(self->skel, "HC:SPLIT", PASSGATE_VERDICT_DENY,
			      PASSGATE_REASON_RED));
	a = board_scan_frame(buf, sizeof(buf), 20, PASSGATE_CRED_HEALTH_CODE,
			     "HC:SPLIT", -1);
	/* One frame in three writes, each drained onto the line. */
	ASSERT_EQ(0, board_write(self->tty, buf, 3));
	ASSERT_EQ(0, board_write(self->tty, buf + 3, 5));
	ASSERT_EQ(0, board_write(self->tty, buf + 8, a - 8));
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE, 20,
				  &reply));
	EXPECT_EQ(PASSGATE_LIGHT_RED, reply.payload[1]);

	/* Two frames in one write. */
	a = board_scan_frame(buf, sizeof(buf), 21, PASSGATE_CRED_HEALTH_CODE,
			     "HC:SPLIT", -1);
	b = board_scan_frame(buf + a, sizeof(buf) - a, 22,
			     PASSGATE_CRED_HEALTH_CODE, "HC:OTHER", -1);
	ASSERT_EQ(0, board_write(self->tty, buf, a + b));
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE, 21,
				  &reply));
	EXPECT_EQ(PASSGATE_REASON_RED, reply.payload[3]);
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE, 22,
				  &reply));
	EXPECT_EQ(PASSGATE_REASON_UNKNOWN, reply.payload[3]);
}

TEST_F(scan, garbage_bad_crc_and_oversize_are_counted)
{
	long long crc0 = lane_stat(0, "bad_crc");
	long long big0 = lane_stat(0, "oversize");
	long long junk0 = lane_stat(0, "garbage");
	long long frames0 = lane_stat(0, "frames");
	__u8 buf[3 * PASSGATE_FRAME_MAX];
	struct board_reply reply;
	size_t n = 0, f;

	ASSERT_LE(0, crc0);
	memcpy(buf, "noise!", 6);
	n = 6;
	f = board_scan_frame(buf + n, sizeof(buf) - n, 30,
			     PASSGATE_CRED_HEALTH_CODE, "HC:CORRUPT", -1);
	buf[n + f - 1] ^= 0xff;
	n += f;
	/* A header announcing 0xffff bytes. */
	memcpy(buf + n, "\xa5\x5a\xff\xff\x01\x1f", 6);
	n += 6;
	n += board_scan_frame(buf + n, sizeof(buf) - n, 31,
			      PASSGATE_CRED_HEALTH_CODE, "HC:AFTER", -1);
	ASSERT_EQ(0, board_write(self->tty, buf, n));

	/* The valid frame after all that is still decided. */
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_ACK, 31, &reply));
	EXPECT_EQ(crc0 + 1, lane_stat(0, "bad_crc"));
	EXPECT_EQ(big0 + 1, lane_stat(0, "oversize"));
	EXPECT_LE(junk0 + 6, lane_stat(0, "garbage"));
	EXPECT_EQ(frames0 + 1, lane_stat(0, "frames"));
}

/*
 * Whoever sees a SCAN's ACK sees the counters of every byte before it,
 * the frame's own included: they are counted before the ACK goes out,
 * not once the whole chunk the UART delivered has been decided.  Many
 * rounds, since each one races the receive path against this reader.
 */
TEST_F(scan, counters_are_current_when_the_ack_arrives)
{
	__u8 buf[8 + PASSGATE_FRAME_MAX];
	struct board_reply reply;
	size_t n;

	ASSERT_EQ(0, board_forget(self->tty));
	for (int i = 0; i < 200; i++) {
		long long junk0 = lane_stat(0, "garbage");
		long long frames0 = lane_stat(0, "frames");
		__u8 seq = 40 + i % 100;

		ASSERT_LE(0, junk0);
		memcpy(buf, "noise", 5);
		n = 5 + board_scan_frame(buf + 5, sizeof(buf) - 5, seq,
					 PASSGATE_CRED_HEALTH_CODE, "HC:ACKED",
					 -1);
		ASSERT_EQ(0, board_write(self->tty, buf, n));
		ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_ACK, seq,
					  &reply));
		ASSERT_EQ(frames0 + 1, lane_stat(0, "frames"))
			TH_LOG("round %d", i);
		ASSERT_LE(junk0 + 5, lane_stat(0, "garbage"))
			TH_LOG("round %d", i);
		ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE,
					  seq, &reply));
	}
}

TEST_F(scan, frame_behind_a_cut_off_one_is_found)
{
	long long cut0 = lane_stat(0, "truncated");
	__u8 buf[PASSGATE_FRAME_MAX];
	struct board_reply reply;
	size_t n;

	ASSERT_EQ(0, code_put(self->skel, "HC:BEHIND", PASSGATE_VERDICT_DENY,
			      PASSGATE_REASON_RED));
	/* A header whose length noise made 0x0300: the gate waits for it. */
	memcpy(buf, "\xa5\x5a\x00\x03\x01\x45", 6);
	n = 6 + board_scan_frame(buf + 6, sizeof(buf) - 6, 70,
				 PASSGATE_CRED_HEALTH_CODE, "HC:BEHIND", -1);
	ASSERT_EQ(0, board_write(self->tty, buf, n));
	/* After 200 ms of silence it gives up and finds the SCAN inside. */
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_INDICATE, 70,
				  &reply));
	EXPECT_EQ(PASSGATE_REASON_RED, reply.payload[3]);
	EXPECT_EQ(cut0 + 1, lane_stat(0, "truncated"));
}

TEST_F(scan, heartbeat_loss_and_recovery)
{
	struct passgate_event ev;

	ASSERT_EQ(0, board_send_heartbeat(self->tty, 40));
	/* Silence past heartbeat-timeout-ms (1 s): offline. */
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_SCANNER_OFFLINE,
				     0, &ev));
	ASSERT_EQ(0, board_send_heartbeat(self->tty, 41));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_SCANNER_ONLINE,
				     0, &ev));
}

TEST_F(scan, write_path_gives_the_same_verdicts)
{
	__u8 buf[2 * PASSGATE_FRAME_MAX];
	struct passgate_verdict_record rec;
	struct passgate_event ev;
	size_t n;

	ASSERT_EQ(0, code_put(self->skel, "HC:BRIDGE", PASSGATE_VERDICT_ACCEPT,
			      0));
	n = board_scan_frame(buf, sizeof(buf), 1, PASSGATE_CRED_HEALTH_CODE,
			     "HC:BRIDGE", -1);
	ASSERT_EQ(n, write(self->board[1], buf, n));
	ASSERT_EQ(0, wait_verdict(self->events, 1, &ev, &rec));
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, ev.arg);
	EXPECT_EQ(1, rec.fast);
	EXPECT_EQ(1, tb_read(TB_LANE_LINE(1, TB_UNLOCK_EXIT)));
}

TEST_F(scan, malformed_write_changes_nothing)
{
	__u8 buf[2 * PASSGATE_FRAME_MAX];
	struct passgate_gate_state before, after;
	long long bad0 = lane_stat(1, "bad_writes");
	__u8 *big;
	size_t n, m;

	n = board_scan_frame(buf, sizeof(buf), 1, PASSGATE_CRED_HEALTH_CODE,
			     "HC:FIRST", -1);
	m = board_scan_frame(buf + n, sizeof(buf) - n, 2,
			     PASSGATE_CRED_HEALTH_CODE, "HC:SECOND", -1);
	ASSERT_EQ(0, gate_get_state(self->events, &before));

	/* A valid frame, then a corrupt one: neither acts. */
	buf[n + m - 1] ^= 0x55;
	EXPECT_EQ(-1, write(self->board[1], buf, n + m));
	EXPECT_EQ(EBADMSG, errno);
	/* Cut short. */
	EXPECT_EQ(-1, write(self->board[1], buf, n - 1));
	EXPECT_EQ(EBADMSG, errno);
	/* A frame only the gate sends. */
	m = passgate_frame_encode(buf, sizeof(buf), PASSGATE_FRAME_ACK, 1,
				  "\x01", 1);
	EXPECT_EQ(-1, write(self->board[1], buf, m));
	EXPECT_EQ(EBADMSG, errno);
	big = calloc(64, PASSGATE_FRAME_MAX);
	ASSERT_NE(NULL, big);
	EXPECT_EQ(-1, write(self->board[1], big, 64 * PASSGATE_FRAME_MAX));
	EXPECT_EQ(EMSGSIZE, errno);
	free(big);

	ASSERT_EQ(0, gate_get_state(self->events, &after));
	EXPECT_EQ(before.event_next, after.event_next);
	EXPECT_EQ(bad0 + 3, lane_stat(1, "bad_writes"));
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(1, TB_UNLOCK_EXIT)));

}

/* A scanboard opened read-only can neither feed scans nor take them. */
TEST_F(scan, read_only_board_neither_feeds_nor_takes)
{
	struct passgate_gate_state before, after;
	__u8 buf[PASSGATE_FRAME_MAX];
	struct passgate_scan scan;
	int ro;
	size_t n;

	ro = lane_open(0, 1, "scanboard", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, gate_get_state(self->events, &before));
	n = board_scan_frame(buf, sizeof(buf), 1, PASSGATE_CRED_HEALTH_CODE,
			     "HC:FIRST", -1);
	EXPECT_EQ(-1, write(ro, buf, n));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, read(ro, &scan, sizeof(scan)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EPERM, answer(ro, 0, PASSGATE_VERDICT_DENY, 0));
	ASSERT_EQ(0, gate_get_state(self->events, &after));
	EXPECT_EQ(before.event_next, after.event_next);
	/* Without CAP_SYS_ADMIN, a writable one does both. */
	ASSERT_EQ(0, drop_cap_sys_admin());
	EXPECT_EQ((ssize_t)n, write(self->board[1], buf, n));
	close(ro);
}

TEST_F(scan, full_queue_is_busy_deny)
{
	__u8 buf[(PASSGATE_SLOW_QUEUE_DEPTH + 1) * 32];
	struct passgate_verdict_record rec;
	struct passgate_event ev;
	char token[16];
	size_t n = 0;
	int i;

	/* No program: everything goes to the slow path. */
	decide_test_bpf__destroy(self->skel);
	self->skel = NULL;
	for (i = 0; i <= PASSGATE_SLOW_QUEUE_DEPTH; i++) {
		snprintf(token, sizeof(token), "HC:Q%02d", i);
		n += board_scan_frame(buf + n, sizeof(buf) - n, i,
				      PASSGATE_CRED_HEALTH_CODE, token, -1);
	}
	ASSERT_EQ(n, write(self->board[1], buf, n));
	/* The first verdict is the one that found the queue full. */
	ASSERT_EQ(0, wait_verdict(self->events, 1, &ev, &rec));
	EXPECT_EQ(PASSGATE_VERDICT_DENY, ev.arg);
	EXPECT_EQ(PASSGATE_REASON_BUSY, rec.reason);
	/* The rest time out: the queue empties by itself. */
	for (i = 0; i < PASSGATE_SLOW_QUEUE_DEPTH; i++) {
		ASSERT_EQ(0, wait_verdict(self->events, 1, &ev, &rec));
		EXPECT_EQ(PASSGATE_REASON_TIMEOUT, rec.reason);
	}
}

TEST_F(scan, bad_program_verdict_is_deny)
{
	struct passgate_verdict_record rec;
	struct passgate_event ev;

	ASSERT_EQ(0, code_put(self->skel, "HC:WEIRD", 7, 0));
	ASSERT_EQ(0, board_send_scan(self->tty, 50, PASSGATE_CRED_HEALTH_CODE,
				     "HC:WEIRD", -1));
	ASSERT_EQ(0, wait_verdict(self->events, 0, &ev, &rec));
	EXPECT_EQ(PASSGATE_VERDICT_DENY, ev.arg);
	EXPECT_EQ(PASSGATE_REASON_BAD_VERDICT, rec.reason);
}

/*
 * A program that writes over its whole context: the deferred scan and the
 * verdicts still carry the module's own scan id, digest and lane.
 */
TEST_F(scan, program_scribbling_over_its_context_changes_no_input)
{
	const char *code = "HC:SCRIBBLE:1";
	struct passgate_verdict_record rec;
	struct passgate_event scan_ev, ev;
	struct passgate_scan scan;
	__u8 digest[32];

	digest_token(PASSGATE_CRED_HEALTH_CODE, code, digest);
	self->skel->bss->scribble_verdict = PASSGATE_VERDICT_DEFER;
	self->skel->bss->scribble = 1;
	ASSERT_EQ(0, board_send_scan(self->tty, 60, PASSGATE_CRED_HEALTH_CODE,
				     code, 3650));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_SCAN, 0,
				     &scan_ev));
	ASSERT_EQ(0, read_scan(self->board[0], &scan));
	EXPECT_EQ(scan_ev.value, scan.scan_id);
	EXPECT_EQ(0, scan.gate);
	EXPECT_EQ(0, scan.lane);
	EXPECT_EQ(PASSGATE_CRED_HEALTH_CODE, scan.kind);
	EXPECT_EQ(3650, scan.temperature);
	EXPECT_EQ(0, memcmp(digest, scan.digest, sizeof(digest)));
	ASSERT_EQ(0, answer(self->board[0], scan.scan_id,
			    PASSGATE_VERDICT_DENY, PASSGATE_REASON_RED));
	ASSERT_EQ(0, wait_verdict(self->events, 0, &ev, &rec));
	EXPECT_EQ(scan_ev.value, ev.value);
	EXPECT_EQ(PASSGATE_VERDICT_DENY, ev.arg);

	/* A fast ACCEPT: the lane and the scan id are still the module's. */
	self->skel->bss->scribble_verdict = PASSGATE_VERDICT_ACCEPT;
	ASSERT_EQ(0, board_send_scan(self->tty, 61, PASSGATE_CRED_HEALTH_CODE,
				     code, -1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_SCAN, 0,
				     &scan_ev));
	ASSERT_EQ(0, wait_verdict(self->events, 0, &ev, &rec));
	EXPECT_EQ(scan_ev.value, ev.value);
	EXPECT_EQ(0, ev.lane);
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, ev.arg);
	EXPECT_EQ(1, rec.fast);
	EXPECT_EQ(1, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
	self->skel->bss->scribble = 0;
}

TEST_F(scan, key_is_write_only_and_set_once)
{
	static const __u8 other[PASSGATE_KEY_SIZE] = "another-deployment-key-for-tests";
	static const __u8 zero[PASSGATE_KEY_SIZE];
	struct passgate_key k = { .size = sizeof(k) };
	struct passgate_event ev;
	__u8 digest[32];

	EXPECT_EQ(-EEXIST, set_key(self->events, other, 0));
	EXPECT_EQ(-EINVAL, set_key(self->events, zero,
				   PASSGATE_KEY_F_REPLACE));
	EXPECT_EQ(-EINVAL, set_key(self->events, other, 1u << 7));

	/* The kernel writes nothing back into the argument. */
	memcpy(k.key, other, sizeof(k.key));
	k.flags = PASSGATE_KEY_F_REPLACE;
	ASSERT_EQ(0, ioctl(self->events, PASSGATE_IOC_GATE_SET_KEY, &k));
	EXPECT_EQ(0, memcmp(k.key, other, sizeof(k.key)));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_KEY_SET,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(1, ev.arg);
	EXPECT_EQ(0, memcmp(ev.data, zero, sizeof(ev.data)));
	/* No command reads a key. */
	EXPECT_EQ(-1, ioctl(self->events, _IO(PASSGATE_IOC_TYPE, 0x15), &k));
	EXPECT_EQ(ENOTTY, errno);

	/* ID digests follow the new key, then the old one again. */
	ASSERT_EQ(0, board_send_scan(self->tty, 60, PASSGATE_CRED_ID_CARD,
				     "110101199003070000", -1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_SCAN, 0, &ev));
	digest_id(other, "110101199003070000", digest);
	EXPECT_EQ(0, memcmp(digest, ev.data, sizeof(digest)));
	ASSERT_EQ(0, set_key(self->events, test_key, PASSGATE_KEY_F_REPLACE));
}

TEST_HARNESS_MAIN
