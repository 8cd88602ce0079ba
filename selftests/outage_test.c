// SPDX-License-Identifier: GPL-2.0-only
/*
 * Outages: the scanner's serial link cut in the middle of a frame and
 * restored, and the module unloaded and loaded again while the board keeps
 * sending scans.  What was cut off is counted, the board's loss and return
 * are events, scans pending at unload die with the module without a
 * warning, and the reloaded gate starts a new event stream and decides.
 * Needs passgate.ko in the working directory (qemu/guest-gate.sh runs
 * from the repository).  PASSGATE_RELOADS: how many reloads (default 3).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "decide_test.h"
#include "decide_test.skel.h"

#define MODULE_FILE "passgate.ko"
#define RELOADS_MAX 100

static const char *const rx_counters[] = {
	"rx_bytes", "frame_bytes", "bad_crc", "oversize", "truncated", "garbage",
};

static void rx_stats(long long v[6])
{
	for (int i = 0; i < 6; i++)
		v[i] = lane_stat(0, rx_counters[i]);
}

/* A scan on lane 0's UART gets the verdict a fresh test program gives. */
static int uart_decides(int tty, __u8 seq)
{
	struct decide_test_verdict v = { .verdict = PASSGATE_VERDICT_DENY,
					 .reason = PASSGATE_REASON_RED };
	struct decide_test_bpf *skel = decide_test_bpf__open_and_load();
	struct decide_test_key key;
	struct board_reply reply;
	int ret = -1;

	if (!skel)
		return -1;
	digest_token(PASSGATE_CRED_HEALTH_CODE, "HC:AFTER:OUTAGE", key.digest);
	if (decide_test_bpf__attach(skel) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.verdicts), &key, &v,
				BPF_ANY))
		goto out;
	if (board_send_scan(tty, seq, PASSGATE_CRED_HEALTH_CODE,
			    "HC:AFTER:OUTAGE", -1) ||
	    board_expect(tty, PASSGATE_FRAME_INDICATE, seq, &reply))
		goto out;
	if (reply.payload[1] == PASSGATE_LIGHT_RED &&
	    reply.payload[3] == PASSGATE_REASON_RED)
		ret = 0;
out:
	decide_test_bpf__destroy(skel);
	return ret;
}

FIXTURE(outage) {
	int tty;
};

FIXTURE_SETUP(outage)
{
	ASSERT_EQ(0, gate_restore());
	self->tty = board_open();
	ASSERT_LE(0, self->tty);
}

FIXTURE_TEARDOWN(outage)
{
	close(self->tty);
	gate_restore();
}

TEST_F(outage, scanner_link_cut_mid_frame_and_restored)
{
	long long before[6], after[6], d[6];
	__u8 frame[PASSGATE_FRAME_MAX];
	struct passgate_event ev;
	size_t n;
	int events;

	events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, events);
	ASSERT_LE(0, lseek(events, 0, SEEK_END));
	/*
	 * Heard (the gate's ACK says this scan went through the board's
	 * receiver, so the counters below start after it), then cut off
	 * after the first bytes of the next scan.
	 */
	ASSERT_EQ(0, board_send_scan(self->tty, 1, PASSGATE_CRED_HEALTH_CODE,
				     "HC:BEFORE:CUT", -1));
	ASSERT_EQ(0, board_expect(self->tty, PASSGATE_FRAME_ACK, 1, NULL));
	rx_stats(before);
	n = board_scan_frame(frame, sizeof(frame), 2, PASSGATE_CRED_HEALTH_CODE,
			     "HC:CUT:OFF", -1);
	ASSERT_EQ(0, board_write(self->tty, frame, n / 2));
	ASSERT_EQ(0, close(self->tty));
	self->tty = -1;

	/* The board's silence is an event; the half frame was dropped. */
	ASSERT_EQ(0, gate_wait_event(events, PASSGATE_EV_SCANNER_OFFLINE, 0,
				     &ev));
	rx_stats(after);
	for (int i = 0; i < 6; i++)
		d[i] = after[i] - before[i];
	EXPECT_EQ((long long)(n / 2), d[0]);
	EXPECT_EQ(0, d[1]);
	EXPECT_EQ(1, d[4]);
	EXPECT_EQ(d[0], d[1] + d[2] + d[3] + d[4] + d[5]);

	/* Plugged back in: heard again, and deciding. */
	self->tty = board_open();
	ASSERT_LE(0, self->tty);
	ASSERT_EQ(0, board_send_heartbeat(self->tty, 3));
	ASSERT_EQ(0, gate_wait_event(events, PASSGATE_EV_SCANNER_ONLINE, 0,
				     &ev));
	ASSERT_EQ(0, uart_decides(self->tty, 4));
	close(events);
	tally("scanner link cut mid-frame (far end closed), then restored", 1,
	      "the half frame counted and dropped, OFFLINE then ONLINE, the "
	      "next scan decided",
	      "%lld of %lld bytes accounted (%lld truncated, %lld garbage); "
	      "OFFLINE, ONLINE, verdict right", d[1] + d[2] + d[3] + d[4] +
	      d[5], d[0], d[4], d[5]);
}

struct scan_load {
	int tty;
	atomic_bool stop;
	unsigned long long sent;
	int error;
};

/* The board keeps scanning and ignores what the gate answers. */
static void *scan_load(void *arg)
{
	struct scan_load *l = arg;
	char junk[512];
	__u8 seq = 0;

	while (!atomic_load(&l->stop)) {
		l->error = board_send_scan(l->tty, seq++,
					   PASSGATE_CRED_HEALTH_CODE,
					   "HC:UNDER:LOAD", -1);
		if (l->error)
			break;
		l->sent++;
		while (read(l->tty, junk, sizeof(junk)) > 0)
			;
	}
	return NULL;
}

/* The next SCAN of lane 0 from the load, and the gate's stream id. */
static int load_reaches_gate(__u8 stream_id[16])
{
	struct passgate_gate_state st;
	struct passgate_event ev;
	int fd = gate_open(0, O_RDWR | O_NONBLOCK);
	int ret;

	if (fd < 0)
		return fd;
	ret = lseek(fd, 0, SEEK_END) < 0 ? -errno : 0;
	if (!ret)
		ret = gate_wait_event(fd, PASSGATE_EV_SCAN, 0, &ev);
	if (!ret)
		ret = gate_get_state(fd, &st);
	if (!ret)
		memcpy(stream_id, st.stream_id, 16);
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(outage, module_reloaded_under_scan_load, 300)
{
	const char *env = getenv("PASSGATE_RELOADS");
	int reloads = env ? atoi(env) : 3;
	__u8 id[RELOADS_MAX + 1][16];
	struct scan_load load = { .tty = self->tty };
	pthread_t thread;
	int i, j, fd, fresh = 0;

	ASSERT_TRUE(reloads > 0 && reloads <= RELOADS_MAX);
	ASSERT_LE(0, access(MODULE_FILE, R_OK)) TH_LOG("no ./%s", MODULE_FILE);
	ASSERT_EQ(0, pthread_create(&thread, NULL, scan_load, &load));
	ASSERT_EQ(0, load_reaches_gate(id[0]));
	for (i = 1; i <= reloads; i++) {
		/* Nothing of ours holds the module: no file, no program. */
		ASSERT_EQ(0, syscall(SYS_delete_module, "passgate", O_NONBLOCK))
			TH_LOG("unload %d: %s", i, strerror(errno));
		fd = open(MODULE_FILE, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, syscall(SYS_finit_module, fd, "", 0))
			TH_LOG("load %d: %s", i, strerror(errno));
		close(fd);
		ASSERT_EQ(0, load_reaches_gate(id[i]));
		for (j = 0; j < i && memcmp(id[i], id[j], 16); j++)
			;
		EXPECT_EQ(i, j) TH_LOG("reload %d: the stream id of %d", i, j);
		fresh += i == j;
	}
	atomic_store(&load.stop, true);
	pthread_join(thread, NULL);
	ASSERT_EQ(0, load.error);

	/* The load stopped; what it left in the line is read and dropped. */
	ASSERT_EQ(0, gate_restore());
	ASSERT_EQ(0, tcflush(self->tty, TCIOFLUSH));
	ASSERT_EQ(0, uart_decides(self->tty, 200));
	tally("module unloaded and reloaded while the board sends scans",
	      reloads, "unload succeeds, no warning, a new event stream, "
	      "scans reach the reloaded gate and are decided",
	      "%d reloads under %llu scans; %d new stream ids; verdict right",
	      reloads, load.sent, fresh);
}

TEST_HARNESS_MAIN
