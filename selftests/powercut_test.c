// SPDX-License-Identifier: GPL-2.0-only
/*
 * The power cut, in two boots of the same disk (selftests/powercut.sh runs
 * them; the disk is the guest's /dev/vda, ext4).
 *
 * PASSGATE_POWERCUT=stream: passgated journals onto the disk while scans
 * stream through lane 1; the test prints "POWERCUT-ACKED <seq>" each time a
 * reader sees more events committed, and keeps scanning until the host
 * kills QEMU.  Those lines reach the host's log before the cut, so they are
 * what was acknowledged.
 *
 * PASSGATE_POWERCUT=verify, PASSGATE_POWERCUT_ACKED=<seq>: after the
 * reboot, the journal's chain is intact and its first stream holds every
 * event up to at least <seq>; the restarted daemon begins a new stream
 * right after it (the boundary that records where the old boot's events
 * stopped) and journals on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include "gate/core/journal.h"
#include "gate/core/state.h"
#include "gate/policy/loader.h"

#define DISK "/dev/vda"
#define MNT "/tmp/powercut"
#define JOURNAL MNT "/journal.db"
#define CONFIG "/tmp/powercut.conf"
#define LOG "/tmp/passgated.log"
#define PIN_ROOT "/sys/fs/bpf/passgate-powercut"
#define SCANS_MAX 100000

static int setup_disk(void)
{
	static const char *const dirs[] = { MNT, MNT "/state", MNT "/spool",
					    MNT "/trust" };
	FILE *f;
	size_t i;

	if (mkdir(MNT, 0700) && errno != EEXIST)
		return -1;
	if (mount(DISK, MNT, "ext4", 0, ""))
		return -1;
	for (i = 1; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], 0700) && errno != EEXIST)
			return -1;
	f = fopen(CONFIG, "w");
	if (!f)
		return -1;
	fprintf(f, "gate = 0\ntrust_dir = %s\nspool_dir = %s\nstate_dir = %s\n"
		"journal = %s\npin_root = %s\n", dirs[3], dirs[2], dirs[1],
		JOURNAL, PIN_ROOT);
	if (fclose(f))
		return -1;
	/* Seeded once, by the first boot; the second finds it on disk. */
	if (!access(MNT "/state/gate0.generation", F_OK))
		return 0;
	return passgate_record_seed(dirs[1], 0, 0);
}

/* passgated, and lane 1's bridge and the gate's events from now on. */
static pid_t start(int *bridge, int *events)
{
	pid_t pid = passgated_start(CONFIG, LOG);

	*bridge = lane_open(0, 1, "scanboard", O_RDWR | O_NONBLOCK);
	*events = gate_open(0, O_RDWR | O_NONBLOCK);
	if (pid <= 0 || *bridge < 0 || *events < 0 ||
	    lseek(*events, 0, SEEK_END) < 0)
		return -1;
	return pid;
}

/* One scan through lane 1's bridge; its VERDICT event goes to @ev. */
static int scan(int bridge, int events, unsigned int i,
		struct passgate_event *ev)
{
	__u8 frame[PASSGATE_FRAME_MAX];
	char code[32];
	size_t n;

	snprintf(code, sizeof(code), "HC:POWERCUT:%u", i);
	n = board_scan_frame(frame, sizeof(frame), i & 0xff,
			     PASSGATE_CRED_HEALTH_CODE, code, -1);
	if (write(bridge, frame, n) != (ssize_t)n)
		return -1;
	return gate_wait_event(events, PASSGATE_EV_VERDICT, 1, ev);
}

/* The current stream and its last committed seq, as a reader sees them. */
static int journal_head(uint32_t *stream, uint64_t *last,
			struct passgate_journal_report *report)
{
	struct passgate_journal *j;
	char err[256];
	int ret = 0;

	j = passgate_journal_open(JOURNAL, 0, PASSGATE_JOURNAL_RDONLY, err,
				  sizeof(err));
	if (!j) {
		fprintf(stderr, "# journal: %s\n", err);
		return -1;
	}
	*stream = passgate_journal_stream(j);
	*last = passgate_journal_last_seq(j);
	if (report && passgate_journal_verify(j, report))
		ret = -1;
	passgate_journal_close(j);
	return ret;
}

static void stream(struct __test_metadata *_metadata)
{
	uint64_t last, shown = PASSGATE_JOURNAL_SEQ_NONE;
	struct passgate_event ev;
	uint32_t stream;
	int bridge, events;
	unsigned int i;
	pid_t pid;

	pid = start(&bridge, &events);
	ASSERT_LT(0, pid);
	for (i = 0; i < SCANS_MAX; i++) {
		ASSERT_EQ(0, scan(bridge, events, i, &ev));
		if (i % 16)
			continue;
		ASSERT_EQ(0, journal_head(&stream, &last, NULL));
		if (last != PASSGATE_JOURNAL_SEQ_NONE && last != shown) {
			printf("POWERCUT-ACKED %llu\n", (unsigned long long)last);
			fflush(stdout);
			shown = last;
		}
	}
	ASSERT_TRUE(false) TH_LOG("%u scans and no power cut", i);
}

static void verify(struct __test_metadata *_metadata, uint64_t acked)
{
	struct passgate_journal_filter f = { .flags = PASSGATE_JOURNAL_F_SEQ };
	struct passgate_journal_report report;
	struct passgate_journal_cursor *c;
	struct passgate_journal_row row;
	struct passgate_journal *j;
	struct passgate_event ev;
	uint64_t last1, last2, next, rows = 0, lost = 0;
	uint32_t stream;
	int bridge, events, status, ret;
	char err[256];
	pid_t pid;

	/* As the cut left it: intact, every acknowledged event there. */
	ASSERT_EQ(0, journal_head(&stream, &last1, &report))
		TH_LOG("%s", report.why);
	EXPECT_EQ(1, stream);
	ASSERT_NE(PASSGATE_JOURNAL_SEQ_NONE, last1);
	EXPECT_LE(acked, last1);

	/* The next boot's daemon: a new stream, journaled on. */
	pid = start(&bridge, &events);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, scan(bridge, events, 1, &ev));
	/* Stopping commits whatever the ring holds: this VERDICT included. */
	ASSERT_EQ(0, kill(pid, SIGTERM));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(bridge);
	close(events);

	ASSERT_EQ(0, journal_head(&stream, &last2, &report))
		TH_LOG("%s", report.why);
	EXPECT_EQ(2, stream);
	EXPECT_LE(ev.seq, last2);

	/* Stream 1 is whole from seq 0 and ends where the cut left it. */
	j = passgate_journal_open(JOURNAL, 0, PASSGATE_JOURNAL_RDONLY, err,
				  sizeof(err));
	ASSERT_NE(NULL, j) TH_LOG("%s", err);
	f.stream = 1;
	f.first_seq = 0;
	f.last_seq = UINT64_MAX >> 1;
	c = passgate_journal_query(j, &f);
	ASSERT_NE(NULL, c);
	next = 0;
	while ((ret = passgate_journal_cursor_next(c, &row)) == 1) {
		EXPECT_EQ(next, row.event.seq);
		next = row.event.seq + 1;
		/* The kernel's own record of what its ring overwrote before
		 * the daemon first read it. */
		if (row.event.type == PASSGATE_EV_LOST) {
			next = row.event.seq + row.event.value;
			lost += row.event.value;
		}
		rows++;
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(last1 + 1, next);
	passgate_journal_cursor_close(c);
	passgate_journal_close(j);

	tally("power cut (QEMU killed) during a stream of journaled events, "
	      "then a reboot on the same disk", 1,
	      "chain intact; every acknowledged event present; the new boot "
	      "a new stream right after the last one journaled",
	      "seq 0..%llu acknowledged before the cut, 0..%llu journaled "
	      "(%llu rows; %llu events before the daemon's start recorded "
	      "LOST by the kernel); chain of %llu rows intact; stream %u begun",
	      (unsigned long long)acked, (unsigned long long)last1,
	      (unsigned long long)rows, (unsigned long long)lost,
	      (unsigned long long)report.records, stream);
}

FIXTURE(power) {
	int unused;
};

FIXTURE_SETUP(power)
{
}

FIXTURE_TEARDOWN(power)
{
}

TEST_F_TIMEOUT(power, cut, 600)
{
	const char *phase = getenv("PASSGATE_POWERCUT");
	const char *acked = getenv("PASSGATE_POWERCUT_ACKED");

	if (!phase)
		SKIP(return, "selftests/powercut.sh runs this, in two boots");
	ASSERT_EQ(0, gate_restore());
	ASSERT_EQ(0, setup_disk()) TH_LOG("%s: %s", DISK, strerror(errno));
	passgate_policy_unpin(PIN_ROOT, 0);
	if (!strcmp(phase, "stream")) {
		stream(_metadata);
	} else {
		ASSERT_STREQ("verify", phase);
		ASSERT_NE(NULL, acked);
		verify(_metadata, strtoull(acked, NULL, 10));
		passgate_policy_unpin(PIN_ROOT, 0);
		ASSERT_EQ(0, umount(MNT));
	}
}

TEST_HARNESS_MAIN
