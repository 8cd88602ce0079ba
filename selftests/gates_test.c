// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two gates on one machine (selftests/testgate.asl: gate 0 with lanes 0
 * and 1, gate 1 with lane 0): both bind with their lanes, nodes, minors
 * and debugfs files; each gate's events go to its own ring and to netlink
 * under its own number; a fire alarm on gate 1 frees gate 1's lane and
 * leaves gate 0's alone; two passgated, one per gate (sharing state_dir
 * and pin_root, each with its own spool), decide and journal their own
 * gate's scans, and a third that would share a spool is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include "common/digest.h"
#include "gate/core/journal.h"
#include "common/listfile.h"
#include "common/minisign.h"
#include "gate/core/state.h"
#include "gate/policy/loader.h"

#define ID_KEY "passgate-selftest-deployment-key"
#define PIN_ROOT "/sys/fs/bpf/passgate-gates-test"

FIXTURE(gates) {
	int events[TEST_GATES];	/* O_NONBLOCK, at the ring's end */
};

FIXTURE_SETUP(gates)
{
	unsigned int g;

	ASSERT_EQ(0, gate_restore());
	for (g = 0; g < TEST_GATES; g++) {
		self->events[g] = gate_open(g, O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, self->events[g]) TH_LOG("gate %u", g);
		ASSERT_LE(0, lseek(self->events[g], 0, SEEK_END));
	}
}

FIXTURE_TEARDOWN(gates)
{
	for (unsigned int g = 0; g < TEST_GATES; g++)
		close(self->events[g]);
	gate_restore();
}

static int get_info(int fd, struct passgate_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, PASSGATE_IOC_GET_INFO, info) ? -errno : 0;
}

/* The next sequence number of gate @fd's ring. */
static unsigned long long ring_next(int fd)
{
	struct passgate_gate_state st;

	if (gate_get_state(fd, &st))
		return 0;
	return st.event_next;
}

TEST_F(gates, both_bind_with_their_lanes_and_nodes)
{
	static const char *const nodes[] = { "turnstile", "scanboard" };
	struct passgate_gate_state st[TEST_GATES];
	char path[PATH_MAX], dev[TEST_GATES][128];
	dev_t rdev[16];
	unsigned int g, l, n = 0, i, j;
	struct passgate_info info;
	struct stat sb;
	int fd;

	for (g = 0; g < TEST_GATES; g++) {
		ASSERT_EQ(0, gate_get_state(self->events[g], &st[g]));
		EXPECT_EQ(TEST_GATE_LANES(g), st[g].lanes) TH_LOG("gate %u", g);
		EXPECT_EQ(256, st[g].event_ring_size);
		ASSERT_EQ(0, gate_device_name(g, dev[g], sizeof(dev[g])));

		snprintf(path, sizeof(path), "/dev/passgate/gate%u/gate", g);
		ASSERT_EQ(0, stat(path, &sb)) TH_LOG("%s", path);
		rdev[n++] = sb.st_rdev;
		for (l = 0; l < TEST_GATE_LANES(g); l++) {
			for (i = 0; i < 2; i++) {
				snprintf(path, sizeof(path),
					 "/dev/passgate/gate%u/lane%u/%s", g, l,
					 nodes[i]);
				ASSERT_EQ(0, stat(path, &sb)) TH_LOG("%s", path);
				ASSERT_TRUE(S_ISCHR(sb.st_mode));
				rdev[n++] = sb.st_rdev;
			}
			fd = lane_open(g, l, "turnstile", O_RDWR);
			ASSERT_LE(0, fd);
			ASSERT_EQ(0, get_info(fd, &info));
			EXPECT_EQ(g, info.gate);
			EXPECT_EQ(l, info.lane);
			close(fd);
			/* debugfs: gateG-laneL */
			EXPECT_LE(0, gate_lane_stat(g, l, "frames"))
				TH_LOG("gate%u-lane%u", g, l);
		}
	}
	/* Gate 1 has no lane 1; each gate is its own stream. */
	EXPECT_GT(0, lane_open(1, 1, "turnstile", O_RDWR));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_NE(0, strcmp(dev[0], dev[1]));
	EXPECT_NE(0, memcmp(st[0].stream_id, st[1].stream_id,
			    sizeof(st[0].stream_id)));
	/* One major, every node its own minor. */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			EXPECT_EQ(major(rdev[i]), major(rdev[j]));
			EXPECT_NE(rdev[i], rdev[j]) TH_LOG("nodes %u, %u", i, j);
		}
}

/* A lane-mode event on lane @lane of gate @gate, seen in its ring. */
static int lane_mode_event(int events, unsigned int gate, unsigned int lane,
			   struct passgate_event *ev)
{
	int fd = lane_open(gate, lane, "turnstile", O_RDWR), ret;

	if (fd < 0)
		return -errno;
	ret = lane_set_mode(fd, PASSGATE_MODE_NORMAL);
	close(fd);
	return ret ? ret : gate_wait_event(events, PASSGATE_EV_LANE_MODE, lane,
					    ev);
}

TEST_F(gates, events_go_to_their_own_gate)
{
	unsigned long long next0, next1;
	struct passgate_event ev;
	int fd;

	/* A passage on gate 1's lane: gate 1's ring only. */
	next0 = ring_next(self->events[0]);
	fd = lane_open(1, 0, "turnstile", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lane_cmd_open(fd, PASSGATE_DIR_EXIT));
	ASSERT_EQ(0, gate_wait_event(self->events[1], PASSGATE_EV_UNLOCK, 0,
				     &ev));
	ASSERT_EQ(0, gate_lane_beam(fd, 1, 0, PASSGATE_BEAM_INNER, 1));
	ASSERT_EQ(0, gate_lane_beam(fd, 1, 0, PASSGATE_BEAM_OUTER, 1));
	ASSERT_EQ(0, gate_lane_beam(fd, 1, 0, PASSGATE_BEAM_INNER, 0));
	ASSERT_EQ(0, gate_lane_beam(fd, 1, 0, PASSGATE_BEAM_OUTER, 0));
	ASSERT_EQ(0, gate_wait_event(self->events[1], PASSGATE_EV_PASSAGE, 0,
				     &ev));
	EXPECT_EQ(PASSGATE_DIR_EXIT, ev.arg);
	close(fd);
	/* Gate 0's lanes saw nothing: their beams are other lines. */
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
	EXPECT_EQ(next0, ring_next(self->events[0]));

	/* And an event of gate 0's lane 0 is not gate 1's. */
	next1 = ring_next(self->events[1]);
	ASSERT_EQ(0, lane_mode_event(self->events[0], 0, 0, &ev));
	EXPECT_EQ(next1, ring_next(self->events[1]));
	/* A gate-wide event too. */
	ASSERT_EQ(0, gate_set_mode(self->events[0], PASSGATE_GATE_NORMAL));
	ASSERT_EQ(0, gate_wait_event(self->events[0], PASSGATE_EV_GATE_MODE,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(next1, ring_next(self->events[1]));
}

TEST_F(gates, fire_on_gate1_frees_gate1_only)
{
	struct passgate_gate_state g0, g1;
	struct passgate_state st;
	struct passgate_event ev;
	unsigned long long next0 = ring_next(self->events[0]);
	int lanes[3], l;

	lanes[0] = lane_open(0, 0, "turnstile", O_RDWR);
	lanes[1] = lane_open(0, 1, "turnstile", O_RDWR);
	lanes[2] = lane_open(1, 0, "turnstile", O_RDWR);
	for (l = 0; l < 3; l++)
		ASSERT_LE(0, lanes[l]);

	ASSERT_EQ(0, tb_drive(TB_GATE1_FIRE_ALARM, TB_GATE1_FIRE_ALARMED));
	ASSERT_EQ(0, gate_wait_event(self->events[1], PASSGATE_EV_FIRE_ALARM,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(PASSGATE_FIRE_ALARM | PASSGATE_FIRE_LATCHED, ev.arg);
	/* Gate 1's lane is open both ways... */
	EXPECT_EQ(1, tb_read(TB_GATE1_LANE_LINE(0, TB_UNLOCK_EXIT)));
	EXPECT_EQ(1, tb_read(TB_GATE1_LANE_LINE(0, TB_UNLOCK_ENTRY)));
	ASSERT_EQ(0, lane_get_state(lanes[2], &st));
	EXPECT_EQ(PASSGATE_STATE_FREE, st.state);
	ASSERT_EQ(0, gate_get_state(self->events[1], &g1));
	EXPECT_EQ(PASSGATE_FIRE_ALARM | PASSGATE_FIRE_LATCHED, g1.fire);
	EXPECT_EQ(-EBUSY, lane_cmd_open(lanes[2], PASSGATE_DIR_EXIT));

	/* ...and gate 0 is as it was: no fire, lanes locked, no event. */
	ASSERT_EQ(0, gate_get_state(self->events[0], &g0));
	EXPECT_EQ(0, g0.fire);
	EXPECT_EQ(next0, g0.event_next);
	for (l = 0; l < 2; l++) {
		ASSERT_EQ(0, lane_get_state(lanes[l], &st));
		EXPECT_EQ(PASSGATE_STATE_LOCKED, st.state) TH_LOG("lane %d", l);
		EXPECT_EQ(0, tb_read(TB_LANE_LINE(l, TB_UNLOCK_EXIT)));
		EXPECT_EQ(0, tb_read(TB_LANE_LINE(l, TB_UNLOCK_ENTRY)));
	}
	/* Gate 0's lanes still work during gate 1's alarm. */
	ASSERT_EQ(0, lane_cmd_open(lanes[0], PASSGATE_DIR_EXIT));
	EXPECT_EQ(1, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
	ASSERT_EQ(0, lane_relock(0));
	/* Gate 0's reset does not reset gate 1's latch. */
	ASSERT_EQ(0, gate_reset_fire(self->events[0]));

	ASSERT_EQ(0, tb_drive(TB_GATE1_FIRE_ALARM, TB_GATE1_FIRE_QUIET));
	ASSERT_EQ(0, gate_wait_event(self->events[1], PASSGATE_EV_FIRE_CLEAR,
				     PASSGATE_LANE_NONE, NULL));
	ASSERT_EQ(0, gate_get_state(self->events[1], &g1));
	EXPECT_EQ(PASSGATE_FIRE_LATCHED, g1.fire);
	EXPECT_EQ(1, tb_read(TB_GATE1_LANE_LINE(0, TB_UNLOCK_EXIT)));
	ASSERT_EQ(0, gate_reset_fire(self->events[1]));
	ASSERT_EQ(0, gate_wait_event(self->events[1], PASSGATE_EV_FIRE_RESET,
				     PASSGATE_LANE_NONE, NULL));
	ASSERT_EQ(0, lane_get_state(lanes[2], &st));
	EXPECT_EQ(PASSGATE_STATE_LOCKED, st.state);
	EXPECT_EQ(0, tb_read(TB_GATE1_LANE_LINE(0, TB_UNLOCK_EXIT)));
	for (l = 0; l < 3; l++)
		close(lanes[l]);
}

/* --- two daemons, one per gate ------------------------------------- */

FIXTURE(daemons) {
	char dir[64];
	char config[TEST_GATES][PATH_MAX];
	char bin[PATH_MAX];
	struct passgate_seckey *sec;
	int events[TEST_GATES];
	pid_t pid[TEST_GATES];
};

static const char *const gate_code[TEST_GATES] = { "HC:G0:1", "HC:G1:1" };
/* The lane each gate's scans come through (the write() bridge). */
static const unsigned int scan_lane[TEST_GATES] = { 1, 0 };

/* Write gate @g's config (spool @spool) to @path. */
static int write_config(FIXTURE_DATA(daemons) *self, const char *path,
			unsigned int g, const char *spool)
{
	char text[4 * PATH_MAX];

	/* state_dir and pin_root shared: the gate number keeps them apart. */
	snprintf(text, sizeof(text),
		 "gate = %u\ntrust_dir = %s/trust\nspool_dir = %s\n"
		 "state_dir = %s/state\nid_key_file = %s/id.key\n"
		 "pin_root = " PIN_ROOT "\n",
		 g, self->dir, spool, self->dir, self->dir);
	return file_write(path, text, strlen(text));
}

FIXTURE_SETUP(daemons)
{
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL, .generation = 1,
		.not_before = time(NULL) - 60, .expires_at = time(NULL) + 3600,
	};
	char path[2 * PATH_MAX], pub[PATH_MAX], spool[PATH_MAX], err[256];
	struct passgate_list_entry e = { 0 };
	uint8_t digest[PASSGATE_DIGEST_SIZE];
	unsigned int g;

	for (g = 0; g < TEST_GATES; g++)
		self->events[g] = self->pid[g] = -1;
	ASSERT_EQ(0, gate_restore());
	ASSERT_EQ(0, build_bin_dir(self->bin, sizeof(self->bin)));
	snprintf(self->dir, sizeof(self->dir), "/tmp/gates-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(path, sizeof(path), "%s/trust", self->dir);
	ASSERT_EQ(0, mkdir(path, 0700));
	snprintf(pub, sizeof(pub), "%s/trust/issuer.pub", self->dir);
	snprintf(path, sizeof(path), "%s/issuer.key", self->dir);
	ASSERT_EQ(0, passgate_seckey_generate(pub, path, err, sizeof(err)));
	self->sec = passgate_seckey_load(path, err, sizeof(err));
	ASSERT_NE(NULL, self->sec);
	snprintf(path, sizeof(path), "%s/id.key", self->dir);
	ASSERT_EQ(0, file_write(path, ID_KEY, strlen(ID_KEY)));

	for (g = 0; g < TEST_GATES; g++) {
		/* Each gate's list passes its own code only. */
		snprintf(spool, sizeof(spool), "%s/spool%u", self->dir, g);
		ASSERT_EQ(0, mkdir(spool, 0700));
		snprintf(self->config[g], PATH_MAX, "%s/gate%u.conf",
			 self->dir, g);
		ASSERT_EQ(0, write_config(self, self->config[g], g, spool));
		snprintf(path, sizeof(path), "%s/state", self->dir);
		ASSERT_EQ(0, passgate_record_seed(path, g, 0));
		passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE,
					gate_code[g], strlen(gate_code[g]),
					NULL, digest);
		memcpy(e.digest, digest, sizeof(e.digest));
		e.status = PASSGATE_STATUS_GREEN;
		snprintf(path, sizeof(path), "%s/list-000001.pgl", spool);
		ASSERT_EQ(0, passgate_listfile_write(path, &info, &e, 1,
						     self->sec, err,
						     sizeof(err)))
			TH_LOG("%s", err);

		self->events[g] = gate_open(g, O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, self->events[g]);
		ASSERT_LE(0, lseek(self->events[g], 0, SEEK_END));
	}
	for (g = 0; g < TEST_GATES; g++) {
		snprintf(path, sizeof(path), "%s/passgated%u.log", self->dir, g);
		self->pid[g] = passgated_start(self->config[g], path);
		ASSERT_LT(0, self->pid[g]) TH_LOG("gate %u", g);
	}
}

FIXTURE_TEARDOWN(daemons)
{
	char cmd[128];

	for (unsigned int g = 0; g < TEST_GATES; g++) {
		if (self->pid[g] > 0)
			process_stop(self->pid[g], SIGKILL);
		passgate_policy_unpin(PIN_ROOT, g);
		if (self->events[g] >= 0)
			close(self->events[g]);
	}
	rmdir(PIN_ROOT);
	passgate_seckey_free(self->sec);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
	gate_restore();
}

/* A scan through gate @g's bridge lane; the VERDICT event in @ev. */
static int scan(FIXTURE_DATA(daemons) *self, unsigned int g, const char *code,
		struct passgate_event *ev)
{
	__u8 frame[PASSGATE_FRAME_MAX];
	int fd = lane_open(g, scan_lane[g], "scanboard", O_RDWR), ret = 0;
	size_t n;

	if (fd < 0)
		return -errno;
	n = board_scan_frame(frame, sizeof(frame), 1,
			     PASSGATE_CRED_HEALTH_CODE, code, -1);
	if (write(fd, frame, n) != (ssize_t)n)
		ret = -errno;
	close(fd);
	return ret ? ret : gate_wait_event(self->events[g],
					   PASSGATE_EV_VERDICT, scan_lane[g],
					   ev);
}

TEST_F(daemons, each_decides_and_journals_its_own_gate)
{
	struct passgate_event deny[TEST_GATES], accept[TEST_GATES], ev;
	struct passgate_journal_row row;
	struct passgate_journal_cursor *c;
	struct passgate_journal *j;
	char path[PATH_MAX], log[PATH_MAX + 16], err[256];
	unsigned int g, found, verdicts, other_lane;
	unsigned int all_found = 0, all_verdicts = 0, all_other = 0;
	pid_t third;
	int ret;

	for (g = 0; g < TEST_GATES; g++)
		ASSERT_EQ(0, gate_wait_event(self->events[g],
					     PASSGATE_EV_LIST_ACTIVATED,
					     PASSGATE_LANE_NONE, &ev))
			TH_LOG("gate %u", g);

	/* The other gate's passenger is unknown here; our own passes. */
	for (g = 0; g < TEST_GATES; g++) {
		ASSERT_EQ(0, scan(self, g, gate_code[!g], &deny[g]));
		EXPECT_EQ(PASSGATE_VERDICT_DENY, deny[g].arg) TH_LOG("gate %u", g);
		ASSERT_EQ(0, scan(self, g, gate_code[g], &accept[g]));
		EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, accept[g].arg)
			TH_LOG("gate %u", g);
		EXPECT_EQ(1, tb_read(TB_GATE_LANE_LINE(g, scan_lane[g],
						       TB_UNLOCK_EXIT)));
	}

	/* A third daemon on gate 0's spool would steal its lists. */
	snprintf(path, sizeof(path), "%s/third.conf", self->dir);
	snprintf(log, sizeof(log), "%s/spool0", self->dir);
	ASSERT_EQ(0, write_config(self, path, 1, log));
	snprintf(log, sizeof(log), "%s/third.log", self->dir);
	third = passgated_start(path, log);
	EXPECT_GT(0, third);
	if (third > 0)
		process_stop(third, SIGKILL);

	/* SIGTERM: each commits what it read. */
	for (g = 0; g < TEST_GATES; g++) {
		EXPECT_EQ(0, process_stop(self->pid[g], SIGTERM));
		self->pid[g] = -1;
	}

	for (g = 0; g < TEST_GATES; g++) {
		/* The default journal: state_dir/journal-gate<g>.db */
		snprintf(path, sizeof(path), "%s/state/journal-gate%u.db",
			 self->dir, g);
		j = passgate_journal_open(path, g, PASSGATE_JOURNAL_RDONLY,
					  err, sizeof(err));
		ASSERT_NE(NULL, j) TH_LOG("gate %u: %s", g, err);
		EXPECT_EQ(g, passgate_journal_gate(j));
		c = passgate_journal_query(j, NULL);
		ASSERT_NE(NULL, c);
		found = verdicts = other_lane = 0;
		while ((ret = passgate_journal_cursor_next(c, &row)) == 1) {
			if (row.event.lane != PASSGATE_LANE_NONE &&
			    row.event.lane >= TEST_GATE_LANES(g))
				other_lane++;
			if (row.event.type != PASSGATE_EV_VERDICT ||
			    row.event.seq < deny[g].seq)
				continue;
			verdicts++;
			if ((row.event.seq == deny[g].seq &&
			     row.event.arg == PASSGATE_VERDICT_DENY) ||
			    (row.event.seq == accept[g].seq &&
			     row.event.arg == PASSGATE_VERDICT_ACCEPT))
				found++;
			EXPECT_EQ(scan_lane[g], row.event.lane);
		}
		EXPECT_EQ(0, ret);
		/* Its gate's two verdicts, and nothing of the other gate. */
		EXPECT_EQ(2, found) TH_LOG("gate %u", g);
		EXPECT_EQ(2, verdicts) TH_LOG("gate %u", g);
		EXPECT_EQ(0, other_lane) TH_LOG("gate %u", g);
		all_found += found;
		all_verdicts += verdicts;
		all_other += other_lane;
		passgate_journal_cursor_close(c);
		passgate_journal_close(j);
	}
	tally("two passgated on one machine, one per gate", TEST_GATES,
	      "each decides and journals its own gate's scans only; a third "
	      "on a taken spool refused",
	      "%u of %u verdicts journaled by their own gate's daemon "
	      "(%u verdict rows), %u rows of another gate's lanes; the third "
	      "daemon %s", all_found, 2 * TEST_GATES, all_verdicts, all_other,
	      third < 0 ? "refused" : "STARTED");
}

/* passgatectl monitor of gate 1 shows gate 1's events, not gate 0's. */
TEST_F(daemons, monitor_shows_its_own_gate)
{
	char exe[PATH_MAX + 16], buf[8192] = "";
	struct pollfd pfd;
	int out[2], fd0, fd1, tries;
	size_t have = 0;
	ssize_t n;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/passgatectl", self->bin);
	ASSERT_EQ(0, pipe(out));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		dup2(out[1], STDOUT_FILENO);
		execl(exe, "passgatectl", "--json", "--config", self->config[1],
		      "monitor", NULL);
		_exit(127);
	}
	close(out[1]);
	fd0 = gate_open(0, O_RDWR);
	fd1 = lane_open(1, 0, "turnstile", O_RDWR);
	ASSERT_LE(0, fd0);
	ASSERT_LE(0, fd1);
	pfd = (struct pollfd){ .fd = out[0], .events = POLLIN };
	/* Gate-mode events on gate 0, lane-mode events on gate 1. */
	for (tries = 0; tries < 100 && !strstr(buf, "\"lane-mode\""); tries++) {
		ASSERT_EQ(0, gate_set_mode(fd0, PASSGATE_GATE_NORMAL));
		ASSERT_EQ(0, lane_set_mode(fd1, PASSGATE_MODE_NORMAL));
		while (poll(&pfd, 1, 100) == 1 && have < sizeof(buf) - 1) {
			n = read(out[0], buf + have, sizeof(buf) - 1 - have);
			if (n <= 0)
				break;
			have += n;
		}
		buf[have] = '\0';
	}
	/* One more round: a gate-0 event right after would show by now. */
	ASSERT_EQ(0, gate_set_mode(fd0, PASSGATE_GATE_NORMAL));
	ASSERT_EQ(0, lane_set_mode(fd1, PASSGATE_MODE_NORMAL));
	while (poll(&pfd, 1, 200) == 1 && have < sizeof(buf) - 1) {
		n = read(out[0], buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += n;
	}
	buf[have] = '\0';
	EXPECT_NE(NULL, strstr(buf, "\"type\":\"lane-mode\",\"lane\":0"))
		TH_LOG("%s", buf);
	EXPECT_EQ(NULL, strstr(buf, "\"gate-mode\"")) TH_LOG("%s", buf);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(out[0]);
	close(fd0);
	close(fd1);
}

TEST_HARNESS_MAIN
