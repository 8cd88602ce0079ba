// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hostile input, bounded in count and time: noise and malformed frames on
 * the board's UART, every ioctl number with random sizes and contents,
 * malformed generic-netlink messages, oversized and partial writes, and
 * opens racing unbind.  Afterwards the counters account for what was
 * rejected and a valid scan still gets the right verdict; the runner
 * fails the run on any kernel warning.  Runs last: it changes keys and
 * modes at random and restores the gate after.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "decide_test.h"
#include "decide_test.skel.h"

static uint32_t rnd_state = 0x9e3779b9;

static uint32_t rnd(void)
{
	/* xorshift32: reproducible runs, no libc state shared with others */
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}


/*
 * A valid scan still gets the verdict the program gives it.  After a
 * storm the emulated UART may still be dropping bytes (its overruns); a
 * board that hears nothing back sends again, and so does this one: three
 * times at most, each a new seq.
 */
/* Scans lane 0 deferred that are neither answered nor timed out yet. */
static long long outstanding(void)
{
	return lane_stat(0, "deferred") - lane_stat(0, "answered") -
	       lane_stat(0, "reason_timeout");
}

/*
 * Let scans deferred before this one end (each ends with a VERDICT
 * event, its deadline's TIMEOUT at the latest) and forget the board's
 * replies to them: a TIMEOUT for one of them with the same board seq
 * is not this scan's answer.  0, or -ETIMEDOUT.
 */
static int settle(int tty, int events)
{
	struct pollfd pfd = { .fd = events, .events = POLLIN };
	struct passgate_event ev;
	long long left = outstanding();

	if (left > 0)
		fprintf(stderr, "# %lld deferred scans still waiting: letting "
			"them time out first\n", left);
	while (left > 0) {
		if (poll(&pfd, 1, GATE_WAIT_MS) != 1)
			return -ETIMEDOUT;
		while (read(events, &ev, sizeof(ev)) == sizeof(ev))
			;
		left = outstanding();
	}
	return board_forget(tty);
}

static int still_decides(struct decide_test_bpf *skel, int tty, int events,
			 uint8_t seq)
{
	struct decide_test_verdict v = { .verdict = PASSGATE_VERDICT_DENY,
					 .reason = PASSGATE_REASON_RED };
	struct decide_test_key key;
	struct board_reply reply;
	long long deferred;
	__u64 decisions;
	int attempt, ret;

	ret = settle(tty, events);
	if (ret)
		return ret;
	deferred = lane_stat(0, "deferred");
	decisions = skel->bss->decisions;

	digest_token(PASSGATE_CRED_HEALTH_CODE, "HC:AFTER:STORM", key.digest);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.verdicts), &key, &v,
				BPF_ANY))
		return -1;
	for (attempt = 0; attempt < 3; attempt++, seq += 16) {
		if (board_send_scan(tty, seq, PASSGATE_CRED_HEALTH_CODE,
				    "HC:AFTER:STORM", -1))
			return -2;
		if (!board_expect(tty, PASSGATE_FRAME_INDICATE, seq, &reply))
			break;
	}
	if (attempt == 3)
		return -3;
	if (reply.payload[1] != PASSGATE_LIGHT_RED ||
	    reply.payload[3] != PASSGATE_REASON_RED) {
		fprintf(stderr, "# INDICATE for seq %u: light %u beep %u "
			"reason %u (want light %u reason %u), attempt %d; "
			"since the first attempt the program ran %llu "
			"times and the lane deferred %lld scans\n",
			seq, reply.payload[1], reply.payload[2],
			reply.payload[3], PASSGATE_LIGHT_RED,
			PASSGATE_REASON_RED, attempt,
			(unsigned long long)(skel->bss->decisions -
					     decisions),
			lane_stat(0, "deferred") - deferred);
		return -4;
	}
	return 0;
}

FIXTURE(hostile) {
	struct decide_test_bpf *skel;
	int tty;
	int events;
};

FIXTURE_SETUP(hostile)
{
	ASSERT_EQ(0, gate_restore());
	self->tty = board_open();
	ASSERT_LE(0, self->tty);
	self->events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events);
	self->skel = decide_test_bpf__open_and_load();
	ASSERT_NE(NULL, self->skel);
	ASSERT_EQ(0, decide_test_bpf__attach(self->skel));
}

FIXTURE_TEARDOWN(hostile)
{
	decide_test_bpf__destroy(self->skel);
	close(self->tty);
	close(self->events);
	gate_restore();
}

static const char *const rx_counters[] = {
	"rx_bytes", "frame_bytes", "bad_crc", "oversize", "truncated", "garbage",
};

static void rx_stats(long long *v)
{
	for (int i = 0; i < 6; i++)
		v[i] = lane_stat(0, rx_counters[i]);
}

/*
 * Noise and broken frames at line rate.  The emulated UART drops bytes
 * when the guest falls behind (the serial driver counts those overruns);
 * every byte that reached the board's driver is accounted for: in a valid
 * frame, as a rejected frame's marker, as truncated or as garbage.
 */
TEST_F(hostile, uart_noise_and_malformed_frames)
{
	long long before[6], after[6], d[6];
	static uint8_t buf[24 * 1024];
	size_t n = 0, f, noise = 0;
	int bad = 0, big = 0;

	rx_stats(before);
	ASSERT_LE(0, before[0]);
	while (n < sizeof(buf) - 2 * PASSGATE_FRAME_MAX) {
		switch (rnd() % 4) {
		case 0:		/* noise without a start marker */
			for (f = rnd() % 512; f; f--, noise++)
				buf[n++] = (rnd() % 0xa4) + 1;
			break;
		case 1:		/* a frame with a broken CRC */
			f = board_scan_frame(buf + n, sizeof(buf) - n,
					     rnd() & 0xff,
					     PASSGATE_CRED_HEALTH_CODE,
					     "HC:BROKEN", -1);
			buf[n + f - 1] ^= 0x5a;
			n += f;
			bad++;
			break;
		case 2:		/* a header announcing too much */
			memcpy(buf + n, "\xa5\x5a\xf0\xff", 4);
			n += 4;
			big++;
			break;
		default:	/* a heartbeat, valid */
			n += passgate_frame_encode(buf + n, sizeof(buf) - n,
						   PASSGATE_FRAME_HEARTBEAT,
						   rnd() & 0xff, "\x07", 1);
		}
	}
	/* At line rate: the whole storm in one go. */
	ASSERT_EQ(0, board_write(self->tty, buf, n));
	ASSERT_EQ(0, still_decides(self->skel, self->tty, self->events, 200));

	rx_stats(after);
	for (int i = 0; i < 6; i++)
		d[i] = after[i] - before[i];
	/* All of it, but for a frame's start still buffered (< one frame). */
	EXPECT_LE(d[1] + d[2] + d[3] + d[4] + d[5], d[0]);
	EXPECT_GT(d[1] + d[2] + d[3] + d[4] + d[5] + PASSGATE_FRAME_MAX, d[0]);
	EXPECT_LT(0, d[2]);
	EXPECT_GE(bad, d[2]);
	EXPECT_LT(0, d[3]);
	EXPECT_GE(big, d[3]);
	TH_LOG("sent %zu bytes (%zu noise, %d bad CRC, %d oversize); the "
	       "driver got %lld: %lld in frames, %lld bad CRC, %lld oversize, "
	       "%lld truncated, %lld garbage", n, noise, bad, big, d[0], d[1],
	       d[2], d[3], d[4], d[5]);
	/* Only what reached the driver was tested: count that, say the rest. */
	tally("UART noise and malformed frames at line rate (bytes the "
	      "driver received)", d[0],
	      "every byte the driver got accounted for; a valid scan decided "
	      "right after",
	      "%zu bytes sent, %lld received (the emulated UART dropped the "
	      "rest): %lld in frames, %lld bad CRC, %lld oversize, %lld "
	      "truncated, %lld garbage, %lld still buffered; verdict right",
	      n, d[0], d[1], d[2], d[3], d[4], d[5],
	      d[0] - (d[1] + d[2] + d[3] + d[4] + d[5]));
}

TEST_F(hostile, every_ioctl_random_sizes_and_contents)
{
	static const char *const nodes[] = {
		"/dev/passgate/gate0/gate",
		"/dev/passgate/gate0/lane0/turnstile",
		"/dev/passgate/gate0/lane1/scanboard",
		"/dev/passgate/gate1/gate",
		"/dev/passgate/gate1/lane0/scanboard",
	};
	uint8_t arg[1024];
	unsigned int calls = 0, refused = 0;
	uint32_t size;
	int fd, i, nr, k;

	for (i = 0; i < (int)(sizeof(nodes) / sizeof(nodes[0])); i++) {
		fd = open(nodes[i], O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, fd);
		for (nr = 0; nr < 0x20; nr++) {
			for (k = 0; k < 40; k++) {
				for (size_t b = 0; b < sizeof(arg); b++)
					arg[b] = rnd();
				/* Mostly near the real sizes, sometimes not. */
				size = k < 30 ? rnd() % 160 : rnd();
				memcpy(arg, &size, sizeof(size));
				if (ioctl(fd, _IO(PASSGATE_IOC_TYPE, nr), arg))
					refused++;
				calls++;
			}
			/* And with a direction and size encoded. */
			ioctl(fd, _IOWR(PASSGATE_IOC_TYPE, nr, uint64_t), arg);
		}
		close(fd);
	}
	TH_LOG("%u calls, %u refused", calls, refused);
	EXPECT_LT(0, refused);
	ASSERT_EQ(0, gate_restore());
	{
		/* The key may have been replaced at random: put ours back. */
		struct passgate_key key = { .size = sizeof(key),
					    .flags = PASSGATE_KEY_F_REPLACE };

		memcpy(key.key, "passgate-selftest-deployment-key", 32);
		fd = gate_open(0, O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ioctl(fd, PASSGATE_IOC_GATE_SET_KEY, &key));
		close(fd);
	}
	ASSERT_EQ(0, still_decides(self->skel, self->tty, self->events, 201));
	tally("every ioctl number with random sizes and contents, on every "
	      "node", calls, "refused or harmless; the gate intact",
	      "%u refused; verdict right after", refused);
}

/* The generic-netlink family's id, resolved by hand (no libnl here). */
static int genl_family(int sock)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char buf[256];
	} req = {
		.n.nlmsg_type = GENL_ID_CTRL,
		.n.nlmsg_flags = NLM_F_REQUEST,
		.g.cmd = CTRL_CMD_GETFAMILY,
		.g.version = 1,
	};
	struct nlattr *a = (void *)req.buf;
	char reply[4096];
	struct nlmsghdr *n = (void *)reply;
	ssize_t len;

	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + sizeof(PASSGATE_GENL_NAME);
	memcpy((char *)a + NLA_HDRLEN, PASSGATE_GENL_NAME,
	       sizeof(PASSGATE_GENL_NAME));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	if (send(sock, &req, req.n.nlmsg_len, 0) < 0)
		return -1;
	len = recv(sock, reply, sizeof(reply), 0);
	if (len < 0 || n->nlmsg_type == NLMSG_ERROR)
		return -1;
	a = (void *)((char *)NLMSG_DATA(n) + GENL_HDRLEN);
	while ((char *)a < reply + n->nlmsg_len) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			return *(uint16_t *)((char *)a + NLA_HDRLEN);
		a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return -1;
}

TEST_F(hostile, malformed_generic_netlink)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		uint8_t attrs[512];
	} msg;
	char reply[8192];
	unsigned int i, errors = 0;
	int sock, family;
	size_t alen;

	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	ASSERT_LE(0, sock);
	family = genl_family(sock);
	ASSERT_LT(0, family);
	for (i = 0; i < 2000; i++) {
		memset(&msg, 0, sizeof(msg));
		alen = rnd() % sizeof(msg.attrs);
		for (size_t b = 0; b < alen; b++)
			msg.attrs[b] = rnd();
		/* Plausible attribute headers now and then. */
		if (alen >= 8 && rnd() % 2) {
			uint16_t l = 4 + rnd() % 16, t = rnd() % 12;

			memcpy(msg.attrs, &l, 2);
			memcpy(msg.attrs + 2, &t, 2);
		}
		msg.n.nlmsg_type = family;
		msg.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
				    (rnd() % 4 ? 0 : NLM_F_DUMP);
		msg.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + alen;
		msg.g.cmd = rnd() % 16;
		msg.g.version = rnd() % 3;
		ASSERT_LE(0, send(sock, &msg, msg.n.nlmsg_len, 0));
		/* Read until the ack or error that ends this request. */
		for (;;) {
			ssize_t len = recv(sock, reply, sizeof(reply), 0);
			struct nlmsghdr *n = (void *)reply;
			int done = 0;

			ASSERT_LT(0, len);
			for (; NLMSG_OK(n, len); n = NLMSG_NEXT(n, len)) {
				if (n->nlmsg_type == NLMSG_ERROR) {
					struct nlmsgerr *e = NLMSG_DATA(n);

					errors += e->error != 0;
					done = 1;
				} else if (n->nlmsg_type == NLMSG_DONE) {
					done = 1;
				}
			}
			if (done)
				break;
		}
	}
	close(sock);
	TH_LOG("2000 messages, %u refused", errors);
	EXPECT_LT(1000, errors);
	ASSERT_EQ(0, gate_restore());
	ASSERT_EQ(0, still_decides(self->skel, self->tty, self->events, 202));
	tally("malformed generic-netlink messages", 2000,
	      "refused with an error, nothing changed",
	      "%u answered with an error, the rest harmless; verdict right "
	      "after", errors);
}

TEST_F(hostile, oversized_and_partial_writes)
{
	long long bad0 = lane_stat(1, "bad_writes");
	static uint8_t buf[6 * PASSGATE_FRAME_MAX];
	unsigned int refused = 0, i;
	size_t f, len;
	int fd;

	fd = lane_open(0, 1, "scanboard", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	f = board_scan_frame(buf, sizeof(buf), 1, PASSGATE_CRED_HEALTH_CODE,
			     "HC:PARTIAL", -1);
	for (i = 0; i < 500; i++) {
		/* A prefix of a valid frame, or random bytes, or too much. */
		switch (i % 3) {
		case 0:
			len = 1 + rnd() % (f - 1);
			break;
		case 1:
			len = 1 + rnd() % (2 * PASSGATE_FRAME_MAX);
			for (size_t b = f; b < len; b++)
				buf[b] = rnd();
			break;
		default:
			len = 4 * PASSGATE_FRAME_MAX + 1 +
			      rnd() % PASSGATE_FRAME_MAX;
		}
		if (write(fd, buf, len) < 0) {
			EXPECT_TRUE(errno == EBADMSG || errno == EMSGSIZE)
				TH_LOG("errno %d", errno);
			refused++;
		}
	}
	EXPECT_EQ(500, refused);
	/* Oversized writes are refused before parsing, the others counted. */
	EXPECT_LE(bad0 + 2 * 500 / 3, lane_stat(1, "bad_writes"));
	close(fd);
	ASSERT_EQ(0, still_decides(self->skel, self->tty, self->events, 203));
	tally("partial, random and oversized writes to the bridge node", 500,
	      "EBADMSG or EMSGSIZE, counted, nothing acted on",
	      "%u refused; verdict right after", refused);
}

struct churn {
	volatile int stop;
	unsigned int opens;
};

static void *open_close(void *arg)
{
	struct churn *c = arg;
	struct passgate_state st;
	int fd;

	while (!c->stop) {
		fd = lane_open(0, 1, "turnstile", O_RDWR | O_NONBLOCK);
		if (fd < 0)
			continue;
		lane_get_state(fd, &st);
		read(fd, &st, sizeof(st));
		close(fd);
		c->opens++;
	}
	return NULL;
}

TEST_F(hostile, opens_racing_unbind)
{
	struct churn c = { 0 };
	char device[64];
	pthread_t t[2];
	int i;

	ASSERT_EQ(0, lane_device_name(0, 1, device, sizeof(device)));
	ASSERT_EQ(0, pthread_create(&t[0], NULL, open_close, &c));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, open_close, &c));
	for (i = 0; i < 30; i++) {
		ASSERT_EQ(0, driver_bind("passgate-turnstile", device, false));
		ASSERT_EQ(0, driver_bind("passgate-turnstile", device, true));
	}
	c.stop = 1;
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	TH_LOG("%u opens across 30 unbinds", c.opens);
	ASSERT_EQ(0, gate_restore());
	ASSERT_EQ(0, still_decides(self->skel, self->tty, self->events, 204));
	tally("opens and closes racing turnstile unbinds", 30,
	      "ENODEV for old files, no oops",
	      "%u opens across 30 unbind/bind cycles; verdict right after",
	      c.opens);
}

TEST_HARNESS_MAIN
