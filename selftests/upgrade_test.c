// SPDX-License-Identifier: GPL-2.0-only
/*
 * A module upgrade as docs/operations.md ("Upgrading the module") does it:
 * passgated stopped, the pins removed, passgate.ko unloaded and loaded
 * again, passgated started.  The lanes while the module is out, the time
 * the gate does not decide, and the list: the generation the gate ran
 * before (a full list and a delta on it) decides again with no list
 * delivered, and a list not above it is still refused.  A restart on an
 * empty bpffs (a reboot) is the same path without the module reload.
 * Needs passgate.ko in the working directory (qemu/guest-gate.sh runs
 * from the repository).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include "common/digest.h"
#include "common/file.h"
#include "common/listfile.h"
#include "gate/core/journal.h"
#include "gate/core/state.h"
#include "gate/policy/loader.h"
#include "policy_env.h"

#define MODULE_FILE "passgate.ko"
#define PIN_ROOT "/sys/fs/bpf/passgate-upgrade-test"
#define LANE 1

FIXTURE(upgrade) {
	char dir[64];
	char config[PATH_MAX];
	char journal[PATH_MAX];
	struct passgate_seckey *sec;
	int events;
	pid_t pid;
};

static void dir_path(FIXTURE_DATA(upgrade) *self, char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", self->dir, name);
}

static pid_t start(FIXTURE_DATA(upgrade) *self)
{
	char log[PATH_MAX];

	dir_path(self, log, "passgated.log");
	return passgated_start(self->config, log);
}

static void entry(struct passgate_list_entry *e, const char *code,
		  unsigned int status)
{
	uint8_t digest[PASSGATE_DIGEST_SIZE];

	memset(e, 0, sizeof(*e));
	passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, code, strlen(code),
				NULL, digest);
	memcpy(e->digest, digest, sizeof(e->digest));
	e->status = status;
}

/*
 * A signed list into the spool (the signature first, as the uplink and
 * passgatectl load deliver them): @kind on @base, valid from a minute ago
 * for @valid_s seconds.
 */
static int spool_list(FIXTURE_DATA(upgrade) *self, const char *name,
		      unsigned int kind, uint64_t generation, uint64_t base,
		      struct passgate_list_entry *e, size_t n)
{
	struct passgate_list_info info = {
		.kind = kind, .generation = generation,
		.base_generation = base, .not_before = time(NULL) - 60,
		.expires_at = time(NULL) + 3600,
	};
	char tmp[PATH_MAX], path[PATH_MAX], err[256];
	char tsig[PATH_MAX + 8], sig[PATH_MAX + 8];

	/* Written beside the spool, moved in whole. */
	dir_path(self, tmp, name);
	snprintf(path, sizeof(path), "%s/spool/%s", self->dir, name);
	if (passgate_listfile_write(tmp, &info, e, n, self->sec, err,
				    sizeof(err))) {
		fprintf(stderr, "# %s: %s\n", name, err);
		return -1;
	}
	snprintf(tsig, sizeof(tsig), "%s.minisig", tmp);
	snprintf(sig, sizeof(sig), "%s.minisig", path);
	return rename(tsig, sig) || rename(tmp, path) ? -1 : 0;
}

FIXTURE_SETUP(upgrade)
{
	char path[PATH_MAX], pub[PATH_MAX], text[5 * PATH_MAX], err[256];
	struct passgate_list_entry e[2];
	FILE *f;

	ASSERT_EQ(0, gate_restore());
	snprintf(self->dir, sizeof(self->dir), "/tmp/upgrade-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	dir_path(self, path, "trust");
	ASSERT_EQ(0, mkdir(path, 0700));
	dir_path(self, path, "spool");
	ASSERT_EQ(0, mkdir(path, 0700));
	dir_path(self, pub, "trust/issuer.pub");
	dir_path(self, path, "issuer.key");
	ASSERT_EQ(0, passgate_seckey_generate(pub, path, err, sizeof(err)));
	self->sec = passgate_seckey_load(path, err, sizeof(err));
	ASSERT_NE(NULL, self->sec);
	dir_path(self, self->journal, "journal.db");
	snprintf(text, sizeof(text),
		 "trust_dir = %s/trust\nspool_dir = %s/spool\n"
		 "state_dir = %s/state\njournal = %s\npin_root = %s\n",
		 self->dir, self->dir, self->dir, self->journal, PIN_ROOT);
	dir_path(self, self->config, "passgated.conf");
	f = fopen(self->config, "w");
	ASSERT_NE(NULL, f);
	fputs(text, f);
	ASSERT_EQ(0, fclose(f));
	/* A new gate's rollback record, as its install seeds it. */
	dir_path(self, path, "state");
	ASSERT_EQ(0, passgate_record_seed(path, 0, 0));
	passgate_policy_unpin(PIN_ROOT, 0);

	/*
	 * Generation 1, full: U:1 and U:2; generation 2, a delta on it: U:2
	 * removed, U:3 added.  The gate runs generation 2.
	 */
	entry(&e[0], "HC:U:1", PASSGATE_STATUS_GREEN);
	entry(&e[1], "HC:U:2", PASSGATE_STATUS_GREEN);
	ASSERT_EQ(0, spool_list(self, "list-000001.pgl", PASSGATE_LIST_FULL,
				1, 0, e, 2));
	entry(&e[0], "HC:U:2", PASSGATE_STATUS_REMOVE);
	entry(&e[1], "HC:U:3", PASSGATE_STATUS_GREEN);
	ASSERT_EQ(0, spool_list(self, "list-000002.pgl", PASSGATE_LIST_DELTA,
				2, 1, e, 2));
	self->events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events);
	ASSERT_LE(0, lseek(self->events, 0, SEEK_END));
	self->pid = start(self);
	ASSERT_LT(0, self->pid);
}

FIXTURE_TEARDOWN(upgrade)
{
	char cmd[128];

	if (self->pid > 0)
		process_stop(self->pid, SIGKILL);
	passgate_policy_unpin(PIN_ROOT, 0);
	passgate_seckey_free(self->sec);
	if (self->events >= 0)
		close(self->events);
	tb_drive(TB_FIRE_ALARM, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
	gate_restore();
}

/* A scan of @code on lane 1's bridge: its verdict, or -errno. */
static int scan(const char *code)
{
	unsigned int reason;
	int board, events, ret;

	board = lane_open(0, LANE, "scanboard", O_RDWR | O_NONBLOCK);
	events = gate_open(0, O_RDWR | O_NONBLOCK);
	if (board < 0 || events < 0 || lseek(events, 0, SEEK_END) < 0)
		ret = -errno;
	else
		ret = lane_scan(board, events, LANE, PASSGATE_CRED_HEALTH_CODE,
				code, -1, &reason);
	if (board >= 0)
		close(board);
	if (events >= 0)
		close(events);
	/* An ACCEPT leaves the lane open: relocked for the next one. */
	if (ret == PASSGATE_VERDICT_ACCEPT && lane_relock(LANE))
		ret = -EIO;
	return ret;
}

/* Both unlock outputs of gate 0's lane @lane (1: open, 0: locked). */
static int unlock_outputs(unsigned int lane)
{
	int exit = tb_read(TB_LANE_LINE(lane, TB_UNLOCK_EXIT));
	int entry = tb_read(TB_LANE_LINE(lane, TB_UNLOCK_ENTRY));

	if (exit < 0 || entry < 0)
		return -EIO;
	return exit && entry ? 1 : !exit && !entry ? 0 : -EINVAL;
}

static uint32_t claim_flags(const struct passgate_event *ev)
{
	struct passgate_list_claim claim;

	memcpy(&claim, ev->data, sizeof(claim));
	return claim.flags;
}

static double since_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The newest LIST_ACTIVATED row of the journal, once the daemon stopped. */
static int journal_newest_activation(const char *path,
				     struct passgate_journal_row *row)
{
	struct passgate_journal_filter f = {
		.flags = PASSGATE_JOURNAL_F_TYPES |
			 PASSGATE_JOURNAL_F_NEWEST_FIRST,
		.types = 1ull << PASSGATE_EV_LIST_ACTIVATED,
		.limit = 1,
	};
	struct passgate_journal_cursor *c;
	struct passgate_journal *j;
	char err[256];
	int ret = -1;

	j = passgate_journal_open(path, 0, PASSGATE_JOURNAL_RDONLY, err,
				  sizeof(err));
	if (!j)
		return -1;
	c = passgate_journal_query(j, &f);
	if (c && passgate_journal_cursor_next(c, row) == 1)
		ret = 0;
	passgate_journal_cursor_close(c);
	passgate_journal_close(j);
	return ret;
}

TEST_F_TIMEOUT(upgrade, module_reloaded_list_comes_back, 120)
{
	struct passgate_journal_row row;
	struct passgate_list_entry e;
	struct passgate_event ev;
	struct timespec t0;
	double out_ms, in_ms, ready_ms, gap_ms;
	int fd;

	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	ASSERT_EQ(2, ev.value);
	ASSERT_EQ(PASSGATE_VERDICT_ACCEPT, scan("HC:U:1"));

	/* The upgrade: daemon stopped, pins removed, module out and in. */
	ASSERT_EQ(0, process_stop(self->pid, SIGTERM));
	self->pid = -1;
	close(self->events);
	self->events = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, passgate_policy_unpin(PIN_ROOT, 0));
	ASSERT_EQ(0, syscall(SYS_delete_module, "passgate", O_NONBLOCK))
		TH_LOG("unload: %s", strerror(errno));
	out_ms = since_ms(&t0);

	/*
	 * Out: gate 0's lanes are fail-safe, so their locks are released,
	 * and a fire alarm now has no driver to hear it and needs none.
	 * (An alarm standing while the module goes: egress_test,
	 * fire_during_module_unload_keeps_lane_open.)
	 */
	EXPECT_EQ(1, unlock_outputs(0));
	EXPECT_EQ(1, unlock_outputs(1));
	ASSERT_EQ(0, tb_drive(TB_FIRE_ALARM, 1));
	EXPECT_EQ(1, unlock_outputs(0));
	EXPECT_EQ(1, unlock_outputs(1));

	fd = open(MODULE_FILE, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("no ./%s", MODULE_FILE);
	ASSERT_EQ(0, syscall(SYS_finit_module, fd, "", 0))
		TH_LOG("load: %s", strerror(errno));
	close(fd);
	in_ms = since_ms(&t0);
	/* The new module binds into the standing alarm: lanes FREE. */
	for (int lane = 0; lane < 2; lane++) {
		struct passgate_state st;

		fd = lane_open(0, lane, "turnstile", O_RDONLY);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, lane_get_state(fd, &st));
		close(fd);
		EXPECT_EQ(PASSGATE_STATE_FREE, st.state) TH_LOG("lane %d", lane);
	}
	/* The alarm over, reset as an operator does. */
	ASSERT_EQ(0, tb_drive(TB_FIRE_ALARM, 0));
	ASSERT_EQ(0, gate_restore());

	self->events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events);
	ASSERT_LE(0, lseek(self->events, 0, SEEK_END));
	self->pid = start(self);
	ASSERT_LT(0, self->pid);
	ready_ms = since_ms(&t0);

	/* No list delivered: generation 2 decides again, delta and all. */
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, scan("HC:U:1"));
	gap_ms = since_ms(&t0);
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, scan("HC:U:3"));
	EXPECT_EQ(PASSGATE_VERDICT_DENY, scan("HC:U:2"));

	/* The journal's word for it: generation 2, restored. */
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(2, ev.value);
	EXPECT_EQ(PASSGATE_CLAIM_RESTORED, claim_flags(&ev));

	/* The rollback record still holds: generation 1 again is refused. */
	entry(&e, "HC:U:2", PASSGATE_STATUS_GREEN);
	ASSERT_EQ(0, spool_list(self, "list-replay.pgl", PASSGATE_LIST_FULL,
				1, 0, &e, 1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_REFUSED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(4, ev.arg);	/* PASSGATE_REFUSED_ROLLBACK */
	EXPECT_EQ(1, ev.value);
	EXPECT_EQ(PASSGATE_VERDICT_DENY, scan("HC:U:2"));

	/* The journal shows generation 2 active in the new module's stream. */
	ASSERT_EQ(0, process_stop(self->pid, SIGTERM));
	self->pid = -1;
	ASSERT_EQ(0, journal_newest_activation(self->journal, &row));
	EXPECT_EQ(2, row.event.value);
	EXPECT_EQ(2, row.stream);

	TH_LOG("from the unpin: module out %.1f ms, in %.1f ms, daemon ready "
	       "%.1f ms, first decided scan %.1f ms", out_ms, in_ms, ready_ms,
	       gap_ms);
	tally("module upgrade: passgated stopped, pins removed, rmmod, "
	      "insmod, passgated started", 1,
	      "fail-safe lanes open while out; the last generation (full + "
	      "delta) decides again with no list delivered; an older list "
	      "refused",
	      "unpin to the first decided scan %.0f ms (daemon ready at "
	      "%.0f ms)", gap_ms, ready_ms);
}

/* Flip one bit of the file @name of the fixture's folder. */
static int flip_bit(FIXTURE_DATA(upgrade) *self, const char *name)
{
	char path[PATH_MAX];
	unsigned char c;
	int fd, ret = -1;

	dir_path(self, path, name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pread(fd, &c, 1, 200) == 1) {
		c ^= 1;
		ret = pwrite(fd, &c, 1, 200) == 1 ? 0 : -1;
	}
	close(fd);
	return ret;
}

static bool file_has(FIXTURE_DATA(upgrade) *self, const char *name,
		     const char *text)
{
	char path[PATH_MAX], buf[16384];
	ssize_t n;

	dir_path(self, path, name);
	n = passgate_file_read_small(path, buf, sizeof(buf));
	return n > 0 && strstr(buf, text);
}

static bool kept(FIXTURE_DATA(upgrade) *self, unsigned int generation)
{
	char name[64], path[PATH_MAX];

	snprintf(name, sizeof(name), "state/gate0.list-%u.pgl", generation);
	dir_path(self, path, name);
	return !access(path, F_OK);
}

/*
 * A restart on an empty bpffs, as after a reboot: a kept list that no
 * longer verifies is not restored (the gate stays degraded and says
 * so); intact, it is; a new full list leaves only itself kept.
 */
TEST_F_TIMEOUT(upgrade, restart_on_empty_bpffs, 120)
{
	struct passgate_list_entry e;
	struct passgate_event ev;

	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	ASSERT_EQ(2, ev.value);
	EXPECT_TRUE(kept(self, 1));
	EXPECT_TRUE(kept(self, 2));

	/* The base of the chain altered on disk: refused, degraded. */
	ASSERT_EQ(0, process_stop(self->pid, SIGTERM));
	ASSERT_EQ(0, passgate_policy_unpin(PIN_ROOT, 0));
	ASSERT_EQ(0, flip_bit(self, "state/gate0.list-1.pgl"));
	self->pid = start(self);
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_REFUSED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(2, ev.value);
	EXPECT_EQ(1, ev.arg);	/* PASSGATE_REFUSED_UNVERIFIED */
	EXPECT_EQ(PASSGATE_CLAIM_RESTORED | PASSGATE_CLAIM_UNVERIFIED,
		  claim_flags(&ev));
	EXPECT_EQ(PASSGATE_VERDICT_DENY, scan("HC:U:1"));
	EXPECT_TRUE(file_has(self, "passgated.log",
			     "generation 2 of the record not restored"));

	/* Mended: the next start (the policy adopted, still empty) has it. */
	ASSERT_EQ(0, process_stop(self->pid, SIGTERM));
	ASSERT_EQ(0, flip_bit(self, "state/gate0.list-1.pgl"));
	self->pid = start(self);
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(2, ev.value);
	EXPECT_EQ(PASSGATE_CLAIM_RESTORED, claim_flags(&ev));
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, scan("HC:U:3"));

	/* A full list delivered: the old chain is no longer kept. */
	entry(&e, "HC:U:4", PASSGATE_STATUS_GREEN);
	ASSERT_EQ(0, spool_list(self, "list-000003.pgl", PASSGATE_LIST_FULL,
				3, 0, &e, 1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(3, ev.value);
	EXPECT_EQ(0, claim_flags(&ev));
	EXPECT_TRUE(kept(self, 3));
	EXPECT_FALSE(kept(self, 2));
	EXPECT_FALSE(kept(self, 1));
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, scan("HC:U:4"));
}

TEST_HARNESS_MAIN
