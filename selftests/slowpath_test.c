// SPDX-License-Identifier: GPL-2.0-only
/*
 * The slow path never waits for a journal commit (docs/architecture.md,
 * "The slow path's thread").  The journal lives on a file system of its
 * own (ext2 on a loop device, mounted by the ext4 driver), and the test
 * freezes it (FIFREEZE, as fsfreeze(8) does): a burst of events makes
 * passgated commit, and the commit's first write then blocks in the
 * kernel until the thaw, however long that is.  No timing decides the outcome: while the daemon's loop
 * is seen blocked in that write, deferred scans must still be answered
 * by passgated (a staff code ACCEPTed, a visitor DENY(UNKNOWN)), each
 * within its deadline by the kernel's own stamps, where a daemon whose
 * loop also answers the slow path leaves them to the deadline,
 * DENY(TIMEOUT).  Thawed, every event reaches the journal, in order, and
 * a SIGTERM stops the daemon cleanly with the chain intact.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>
#include <linux/loop.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include "gate/core/journal.h"
#include "gate/core/state.h"
#include "gate/policy/loader.h"

#define PIN_ROOT "/sys/fs/bpf/passgate-slowpath-test"
#define STAFF_CODE "HC:SLOWPATH:STAFF"
#define VISITOR_CODE "HC:SLOWPATH:VISITOR"
/* decision-timeout-ms of gate 0's lanes in selftests/testgate.asl */
#define DEADLINE_NS (500 * 1000000ull)
/* Lane mode changes on lane 0: more events than one commit's batch. */
#define BURST_TOGGLES (PASSGATE_JOURNAL_BATCH_EVENTS + 16)
/* Deferred scans on lane 1 while the commit is held. */
#define HELD_SCANS 6

FIXTURE(slowpath) {
	char dir[64];
	char mnt[PATH_MAX];
	char journal[PATH_MAX + 16];
	char config[PATH_MAX];
	char log[PATH_MAX];
	bool mounted;
	int frozen;		/* the mount's folder, while frozen; else -1 */
	int events;
	pid_t pid;
};

static void run_path(FIXTURE_DATA(slowpath) *self, char *buf,
		     const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", self->dir, name);
}

/*
 * mke2fs @image: ext2, the one format both guests' mke2fs make (the arm64
 * root has busybox's, which takes no -t), mounted by the ext4 driver.
 * 0 or -1.
 */
static int make_fs(const char *image)
{
	char *argv[] = { "mke2fs", "-F", (char *)image, NULL };
	int status, null;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

/*
 * @image on a free loop device, mounted at @mnt.  The device clears
 * itself (LO_FLAGS_AUTOCLEAR) once unmounted.
 */
static int mount_image(const char *image, const char *mnt)
{
	struct loop_config lc = { .info.lo_flags = LO_FLAGS_AUTOCLEAR };
	char dev[32];
	int ctl, n, backing, loop, ret = -1;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -1;
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (n < 0)
		return -1;
	snprintf(dev, sizeof(dev), "/dev/loop%d", n);
	backing = open(image, O_RDWR | O_CLOEXEC);
	if (backing < 0)
		return -1;
	lc.fd = backing;
	loop = open(dev, O_RDWR | O_CLOEXEC);
	if (loop >= 0 && !ioctl(loop, LOOP_CONFIGURE, &lc) &&
	    !mount(dev, mnt, "ext4", 0, NULL))
		ret = 0;
	/* Closed after the mount: closed before, AUTOCLEAR would detach it. */
	if (loop >= 0)
		close(loop);
	close(backing);
	return ret;
}

FIXTURE_SETUP(slowpath)
{
	char path[PATH_MAX], text[6 * PATH_MAX];
	FILE *f;

	self->frozen = -1;
	self->events = -1;
	ASSERT_EQ(0, gate_restore());
	passgate_policy_unpin(PIN_ROOT, 0);
	snprintf(self->dir, sizeof(self->dir), "/tmp/slowpath-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));

	/* The journal's own file system; the rest stays on /tmp. */
	run_path(self, path, "journal.img");
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, ftruncate(fileno(f), 32 << 20));
	ASSERT_EQ(0, fclose(f));
	ASSERT_EQ(0, make_fs(path));
	run_path(self, self->mnt, "journal");
	ASSERT_EQ(0, mkdir(self->mnt, 0700));
	ASSERT_EQ(0, mount_image(path, self->mnt))
		TH_LOG("mounting %s: %s", path, strerror(errno));
	self->mounted = true;
	snprintf(self->journal, sizeof(self->journal), "%s/journal.db",
		 self->mnt);

	run_path(self, path, "staff.txt");
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "# the slow path accepts these\n%s\n", STAFF_CODE);
	ASSERT_EQ(0, fclose(f));
	/* No list: every scan goes to the slow path (degraded = defer). */
	snprintf(text, sizeof(text),
		 "gate = 0\ntrust_dir = %s/trust\nspool_dir = %s/spool\n"
		 "state_dir = %s/state\njournal = %s\nstaff_file = %s\n"
		 "unknown = defer\ndegraded = defer\nslow_reason = unknown\n"
		 "pin_root = " PIN_ROOT "\n",
		 self->dir, self->dir, self->dir, self->journal, path);
	run_path(self, path, "trust");
	ASSERT_EQ(0, mkdir(path, 0700));
	run_path(self, path, "spool");
	ASSERT_EQ(0, mkdir(path, 0700));
	run_path(self, path, "state");
	ASSERT_EQ(0, passgate_record_seed(path, 0, 0));
	run_path(self, self->config, "passgated.conf");
	ASSERT_EQ(0, file_write(self->config, text, strlen(text)));

	self->events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events);
	ASSERT_LE(0, lseek(self->events, 0, SEEK_END));
	run_path(self, self->log, "passgated.log");
	self->pid = passgated_start(self->config, self->log);
	ASSERT_LT(0, self->pid);
}

FIXTURE_TEARDOWN(slowpath)
{
	char cmd[128];

	/* First: a thread blocked on the frozen file system cannot die. */
	if (self->frozen >= 0) {
		ioctl(self->frozen, FITHAW, 0);
		close(self->frozen);
	}
	if (self->pid > 0)
		process_stop(self->pid, SIGKILL);
	if (self->mounted)
		umount(self->mnt);
	passgate_policy_unpin(PIN_ROOT, 0);
	if (self->events >= 0)
		close(self->events);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
	gate_restore();
}

/*
 * Whether thread @tid of @pid sleeps uninterruptibly in a file system
 * freeze: state D, waiting in the superblock's percpu rw-semaphore (a
 * write, or a write fault on the WAL index, waits there for the thaw).
 * @wchan gets where it waits, for the log.
 */
static bool thread_frozen(pid_t pid, pid_t tid, char *wchan, size_t len)
{
	char path[64], stat[512], *end;
	ssize_t n;
	int fd;

	wchan[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return false;
	stat[n] = '\0';
	/* "tid (comm) S ...": the comm may hold anything, so from the last ')' */
	end = strrchr(stat, ')');
	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, wchan, len - 1);
		wchan[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	return end && end[1] == ' ' && end[2] == 'D' &&
	       strstr(wchan, "percpu_rwsem");
}

/*
 * Until the daemon's loop (its main thread, which commits the journal)
 * is blocked by the freeze: 0, or -1 after GATE_WAIT_MS.  The kernel
 * tells no one when a thread goes to sleep, so this looks every
 * millisecond; the condition, once true, holds until the thaw.
 */
static int wait_loop_frozen(pid_t pid, char *wchan, size_t len)
{
	struct timespec ms = { .tv_nsec = 1000000 };

	for (int i = 0; i < GATE_WAIT_MS; i++) {
		if (thread_frozen(pid, pid, wchan, len))
			return 0;
		nanosleep(&ms, NULL);
	}
	return -1;
}

/* One scan of @code on lane 1's bridge; its VERDICT in @ev. */
static int deferred_scan(int bridge, int events, const char *code,
			 unsigned int tag, struct passgate_event *ev)
{
	__u8 frame[PASSGATE_FRAME_MAX];
	size_t n;

	n = board_scan_frame(frame, sizeof(frame), tag,
			     PASSGATE_CRED_HEALTH_CODE, code, -1);
	if (write(bridge, frame, n) != (ssize_t)n)
		return -errno;
	return gate_wait_event(events, PASSGATE_EV_VERDICT, 1, ev);
}

/* The journal's last committed seq, as a new reader sees it. */
static uint64_t journal_committed(const char *path)
{
	struct passgate_journal *j;
	char err[256];
	uint64_t last;

	j = passgate_journal_open(path, 0, PASSGATE_JOURNAL_RDONLY, err,
				  sizeof(err));
	if (!j)
		return PASSGATE_JOURNAL_SEQ_NONE;
	last = passgate_journal_last_committed_seq(j);
	passgate_journal_close(j);
	return last;
}

/*
 * Until the journal at @path in folder @dir holds @seq: 0, or -1 after
 * GATE_WAIT_MS.  Woken by the folder's changes (every commit writes the
 * WAL), not by time.
 */
static int wait_journaled(const char *path, const char *dir, uint64_t seq)
{
	struct timespec start, now;
	struct pollfd p = { .events = POLLIN };
	char buf[4096];
	uint64_t last;
	int waited, ret = -1;

	p.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (p.fd < 0)
		return -1;
	if (inotify_add_watch(p.fd, dir, IN_MODIFY | IN_CREATE |
			      IN_CLOSE_WRITE | IN_MOVED_TO) < 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		last = journal_committed(path);
		if (last != PASSGATE_JOURNAL_SEQ_NONE && last >= seq) {
			ret = 0;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (now.tv_sec - start.tv_sec) * 1000 +
			 (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= GATE_WAIT_MS ||
		    poll(&p, 1, GATE_WAIT_MS - waited) <= 0)
			break;
		while (read(p.fd, buf, sizeof(buf)) > 0)
			;
	}
out:
	close(p.fd);
	return ret;
}

TEST_F_TIMEOUT(slowpath, deferred_scans_answered_while_commit_blocked, 120)
{
	struct passgate_journal_filter f = { .flags = PASSGATE_JOURNAL_F_SEQ };
	struct passgate_verdict_record vr;
	struct passgate_journal_report report;
	struct passgate_journal_cursor *c;
	struct passgate_journal_row row;
	struct passgate_journal *j;
	struct passgate_event ev, verdict[HELD_SCANS];
	uint64_t first_seq = 0, next, worst_ns = 0;
	unsigned int i, rows = 0, found = 0;
	int lane0, bridge, status, ret;
	char wchan[64], err[256];

	lane0 = lane_open(0, 0, "turnstile", O_RDWR);
	ASSERT_LE(0, lane0);
	bridge = lane_open(0, 1, "scanboard", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, bridge);

	/* Nothing is held yet: a deferred scan is answered as always. */
	ASSERT_EQ(0, deferred_scan(bridge, self->events, VISITOR_CODE, 1,
				   &ev));
	ASSERT_EQ(PASSGATE_VERDICT_DENY, ev.arg);
	memcpy(&vr, ev.data, sizeof(vr));
	ASSERT_EQ(PASSGATE_REASON_UNKNOWN, vr.reason)
		TH_LOG("passgated did not answer (reason %u)", vr.reason);

	/* Freeze the journal's file system, then make the daemon commit. */
	self->frozen = open(self->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, self->frozen);
	ASSERT_EQ(0, ioctl(self->frozen, FIFREEZE, 0)) TH_LOG("%s",
							     strerror(errno));
	for (i = 0; i < BURST_TOGGLES; i++) {
		ASSERT_EQ(0, lane_set_mode(lane0, i % 2 ? PASSGATE_MODE_NORMAL :
					   PASSGATE_MODE_FREE));
		if (!i) {
			ASSERT_EQ(0, gate_wait_event(self->events,
						     PASSGATE_EV_LANE_MODE, 0,
						     &ev));
			first_seq = ev.seq;
		}
	}
	ASSERT_EQ(0, wait_loop_frozen(self->pid, wchan, sizeof(wchan)))
		TH_LOG("passgated's loop never blocked in its commit (wchan "
		       "%s)", wchan);

	/* The commit is held: deferred scans are answered all the same. */
	for (i = 0; i < HELD_SCANS; i++) {
		bool staff = i % 2 == 0;

		ASSERT_EQ(0, deferred_scan(bridge, self->events,
					   staff ? STAFF_CODE : VISITOR_CODE,
					   2 + i, &verdict[i]));
		memcpy(&vr, verdict[i].data, sizeof(vr));
		ASSERT_EQ(0, vr.fast);
		if (staff) {
			ASSERT_EQ(PASSGATE_VERDICT_ACCEPT, verdict[i].arg)
				TH_LOG("scan %u: verdict %u reason %u: not "
				       "answered while the commit was held",
				       i, (unsigned int)verdict[i].arg,
				       vr.reason);
			ASSERT_NE(0, vr.actuated_ns);
			ASSERT_LT(vr.actuated_ns - vr.received_ns, DEADLINE_NS);
			if (vr.actuated_ns - vr.received_ns > worst_ns)
				worst_ns = vr.actuated_ns - vr.received_ns;
			ASSERT_EQ(0, lane_relock(1));
		} else {
			ASSERT_EQ(PASSGATE_VERDICT_DENY, verdict[i].arg);
			ASSERT_EQ(PASSGATE_REASON_UNKNOWN, vr.reason)
				TH_LOG("scan %u: reason %u: not answered while "
				       "the commit was held", i, vr.reason);
			ASSERT_LT(vr.decided_ns - vr.received_ns, DEADLINE_NS);
		}
	}
	/* ... and the commit was held all along. */
	ASSERT_TRUE(thread_frozen(self->pid, self->pid, wchan, sizeof(wchan)))
		TH_LOG("passgated's loop no longer blocked (wchan %s)", wchan);
	printf("# %u deferred scans answered while the journal's commit was "
	       "held (loop waiting in %s); slowest unlock %llu us after its "
	       "frame\n", HELD_SCANS, wchan,
	       (unsigned long long)(worst_ns / 1000));

	/* Thawed, the commit goes through and the rest follows. */
	ASSERT_EQ(0, ioctl(self->frozen, FITHAW, 0));
	close(self->frozen);
	self->frozen = -1;
	ASSERT_EQ(0, wait_journaled(self->journal, self->mnt,
				    verdict[HELD_SCANS - 1].seq));
	ASSERT_EQ(0, kill(self->pid, SIGTERM));
	ASSERT_EQ(self->pid, waitpid(self->pid, &status, 0));
	self->pid = -1;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* In order, nothing lost, the verdicts as the lanes saw them. */
	j = passgate_journal_open(self->journal, 0, PASSGATE_JOURNAL_RDONLY,
				  err, sizeof(err));
	ASSERT_NE(NULL, j) TH_LOG("%s", err);
	ASSERT_EQ(0, passgate_journal_verify(j, &report))
		TH_LOG("%s", report.why);
	f.stream = passgate_journal_stream(j);
	f.first_seq = first_seq;
	f.last_seq = verdict[HELD_SCANS - 1].seq;
	c = passgate_journal_query(j, &f);
	ASSERT_NE(NULL, c);
	next = first_seq;
	while ((ret = passgate_journal_cursor_next(c, &row)) == 1) {
		EXPECT_EQ(next, row.event.seq);
		EXPECT_NE(PASSGATE_EV_LOST, row.event.type);
		next = row.event.seq + 1;
		rows++;
		for (i = 0; i < HELD_SCANS; i++)
			if (row.event.seq == verdict[i].seq) {
				EXPECT_EQ(PASSGATE_EV_VERDICT, row.event.type);
				EXPECT_EQ(verdict[i].arg, row.event.arg);
				EXPECT_EQ(0, row.verdict.fast);
				found++;
			}
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(verdict[HELD_SCANS - 1].seq + 1, next);
	EXPECT_EQ(HELD_SCANS, found);
	passgate_journal_cursor_close(c);
	passgate_journal_close(j);
	close(bridge);
	close(lane0);
	tally("deferred scans while passgated's journal commit is held "
	      "(its file system frozen)", HELD_SCANS,
	      "each answered by passgated within its deadline; every event "
	      "journaled in order after the thaw",
	      "%u answered, slowest unlock %llu us after its frame; seq "
	      "%llu..%llu journaled (%u rows), chain intact", HELD_SCANS,
	      (unsigned long long)(worst_ns / 1000),
	      (unsigned long long)first_seq,
	      (unsigned long long)verdict[HELD_SCANS - 1].seq, rows);
}

TEST_HARNESS_MAIN
