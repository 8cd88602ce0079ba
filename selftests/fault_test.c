// SPDX-License-Identifier: GPL-2.0-only
/*
 * Faults: the daemon killed in the middle of a list load, and the disk
 * under the journal full.  The gate keeps deciding through both, the
 * active generation stays whole, nothing is left behind, and the metrics
 * say what happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include "common/digest.h"
#include "common/listfile.h"
#include "common/minisign.h"
#include "gate/core/state.h"
#include "gate/policy/loader.h"

#define PIN_ROOT "/sys/fs/bpf/passgate-fault-test"

FIXTURE(fault) {
	char dir[64];
	char config[PATH_MAX];
	char bin[PATH_MAX];
	struct passgate_seckey *sec;
	int events;
	int bridge;
	pid_t pid;
};

static pid_t start(FIXTURE_DATA(fault) *self)
{
	char log[PATH_MAX + 16];

	snprintf(log, sizeof(log), "%s/passgated.log", self->dir);
	return passgated_start(self->config, log);
}

static void kill_daemon(FIXTURE_DATA(fault) *self)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	self->pid = -1;
}

/* A signed full list of @n GREEN codes "HC:F:<gen>:<i>". */
static int make_list(FIXTURE_DATA(fault) *self, const char *path,
		     uint64_t gen, size_t n)
{
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL, .generation = gen,
		.not_before = time(NULL) - 60, .expires_at = time(NULL) + 3600,
	};
	struct passgate_list_entry *e = calloc(n, sizeof(*e));
	uint8_t digest[PASSGATE_DIGEST_SIZE];
	char token[48], err[256];
	size_t i;
	int ret;

	if (!e)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(token, sizeof(token), "HC:F:%llu:%zu",
			 (unsigned long long)gen, i);
		passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, token,
					strlen(token), NULL, digest);
		memcpy(e[i].digest, digest, sizeof(e[i].digest));
		e[i].status = PASSGATE_STATUS_GREEN;
	}
	ret = passgate_listfile_write(path, &info, e, n, self->sec, err,
				      sizeof(err));
	free(e);
	return ret;
}

static void write_config(FIXTURE_DATA(fault) *self, const char *journal)
{
	FILE *f = fopen(self->config, "w");

	fprintf(f, "trust_dir = %s/trust\nspool_dir = %s/spool\n"
		"state_dir = %s/state\njournal = %s\npin_root = %s\n"
		"metrics_file = %s/metrics.prom\n",
		self->dir, self->dir, self->dir, journal, PIN_ROOT, self->dir);
	fclose(f);
}

/* A new gate's rollback record, as its install seeds it. */
static int seed(FIXTURE_DATA(fault) *self)
{
	char state[PATH_MAX + 8];

	snprintf(state, sizeof(state), "%s/state", self->dir);
	return passgate_record_seed(state, 0, 0);
}

FIXTURE_SETUP(fault)
{
	char path[PATH_MAX], pub[PATH_MAX], err[256];
	ssize_t n;

	ASSERT_EQ(0, gate_restore());
	n = readlink("/proc/self/exe", self->bin, sizeof(self->bin) - 1);
	ASSERT_LT(0, n);
	self->bin[n] = '\0';
	*strrchr(self->bin, '/') = '\0';
	strcpy(strrchr(self->bin, '/'), "/bin");
	snprintf(self->dir, sizeof(self->dir), "/tmp/fault-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(path, sizeof(path), "%s/trust", self->dir);
	ASSERT_EQ(0, mkdir(path, 0700));
	snprintf(path, sizeof(path), "%s/spool", self->dir);
	ASSERT_EQ(0, mkdir(path, 0700));
	snprintf(pub, sizeof(pub), "%s/trust/issuer.pub", self->dir);
	snprintf(path, sizeof(path), "%s/issuer.key", self->dir);
	ASSERT_EQ(0, passgate_seckey_generate(pub, path, err, sizeof(err)));
	self->sec = passgate_seckey_load(path, err, sizeof(err));
	ASSERT_NE(NULL, self->sec);
	snprintf(self->config, sizeof(self->config), "%s/passgated.conf",
		 self->dir);
	snprintf(path, sizeof(path), "%s/state/journal.db", self->dir);
	write_config(self, path);
	ASSERT_EQ(0, seed(self));
	passgate_policy_unpin(PIN_ROOT, 0);
	self->events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events);
	ASSERT_LE(0, lseek(self->events, 0, SEEK_END));
	self->bridge = lane_open(0, 1, "scanboard", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->bridge);
	self->pid = -1;
}

FIXTURE_TEARDOWN(fault)
{
	char cmd[256];

	kill_daemon(self);
	passgate_policy_unpin(PIN_ROOT, 0);
	passgate_seckey_free(self->sec);
	close(self->events);
	close(self->bridge);
	snprintf(cmd, sizeof(cmd), "umount %s/tiny 2>/dev/null; rm -rf %s",
		 self->dir, self->dir);
	system(cmd);
	gate_restore();
}

static int scan(FIXTURE_DATA(fault) *self, const char *code)
{
	__u8 frame[PASSGATE_FRAME_MAX];
	struct passgate_event ev;
	size_t n;

	n = board_scan_frame(frame, sizeof(frame), 1, PASSGATE_CRED_HEALTH_CODE,
			     code, -1);
	if (write(self->bridge, frame, n) != (ssize_t)n ||
	    gate_wait_event(self->events, PASSGATE_EV_VERDICT, 1, &ev))
		return -1;
	/* Relock after an ACCEPT so the next can open the lane. */
	return lane_relock(1) ? -1 : (int)ev.arg;
}

/*
 * How many list maps exist in the kernel (the active one, or more):
 * hash maps, and compact arrays (a base, an overlay).
 */
static int list_maps(void)
{
	struct bpf_map_info info;
	__u32 id = 0, len;
	int fd, n = 0;

	while (!bpf_map_get_next_id(id, &id)) {
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (!strcmp(info.name, "passgate_list") ||
		     !strcmp(info.name, "passgate_codes")))
			n++;
		close(fd);
	}
	return n;
}

TEST_F(fault, daemon_killed_during_a_list_load)
{
	struct passgate_policy_active active;
	struct passgate_policy *policy;
	char path[PATH_MAX + 16], spooled[PATH_MAX + 16];
	int tries, maps;

	/* Generation 1 active, then a big generation 2 into the spool. */
	snprintf(path, sizeof(path), "%s/spool/list-000001.pgl", self->dir);
	ASSERT_EQ(0, make_list(self, path, 1, 10));
	self->pid = start(self);
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(PASSGATE_VERDICT_ACCEPT, scan(self, "HC:F:1:3"));

	snprintf(path, sizeof(path), "%s/big.pgl", self->dir);
	ASSERT_EQ(0, make_list(self, path, 2, 300000));
	snprintf(spooled, sizeof(spooled), "%s/spool/list-000002.pgl.minisig",
		 self->dir);
	snprintf(path, sizeof(path), "%s/big.pgl.minisig", self->dir);
	ASSERT_EQ(0, rename(path, spooled));
	snprintf(spooled, sizeof(spooled), "%s/spool/list-000002.pgl",
		 self->dir);
	snprintf(path, sizeof(path), "%s/big.pgl", self->dir);
	ASSERT_EQ(0, rename(path, spooled));

	/* Wait for the half-built map to exist, then kill the loader. */
	for (tries = 0; tries < 100000 && list_maps() < 2; tries++)
		;
	ASSERT_LE(2, list_maps()) TH_LOG("the load was not caught");
	kill_daemon(self);

	/* Generation 1 decides on; the half-built map is gone with it. */
	ASSERT_EQ(PASSGATE_VERDICT_ACCEPT, scan(self, "HC:F:1:4"));
	policy = passgate_policy_adopt(PIN_ROOT, 0);
	ASSERT_NE(NULL, policy);
	ASSERT_EQ(0, passgate_policy_active(policy, &active));
	EXPECT_EQ(1, active.generation);
	for (tries = 0; tries < 100000 && (maps = list_maps()) > 1; tries++)
		;
	EXPECT_EQ(1, maps);

	/* The next start takes the list again and finishes it. */
	self->pid = start(self);
	ASSERT_LT(0, self->pid);
	{
		struct passgate_event ev;

		ASSERT_EQ(0, gate_wait_event(self->events,
					     PASSGATE_EV_LIST_ACTIVATED,
					     PASSGATE_LANE_NONE, &ev));
		EXPECT_EQ(2, ev.value);
	}
	ASSERT_EQ(0, passgate_policy_active(policy, &active));
	EXPECT_EQ(2, active.generation);
	EXPECT_EQ(300000, active.entries);
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, scan(self, "HC:F:2:299999"));
	EXPECT_EQ(PASSGATE_VERDICT_DENY, scan(self, "HC:F:1:4"));
	passgate_policy_close(policy);
	tally("daemon SIGKILLed during a 300,000-entry list load", 1,
	      "the active generation intact, the half-built map gone, the "
	      "next start finishes the load",
	      "generation 1 decided through it; %d list map left; the restart "
	      "activated generation 2 (%u entries)", maps,
	      (unsigned int)active.entries);
}

/* The value of @series in the daemon's textfile, or -1. */
static long long metric(FIXTURE_DATA(fault) *self, const char *series)
{
	char path[PATH_MAX + 16], line[512];
	size_t n = strlen(series);
	long long value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/metrics.prom", self->dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, series, n) && line[n] == ' ')
			value = strtoll(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return value;
}

/*
 * Until the textfile (rewritten every 2 s) says @series is at least
 * @least, within GATE_WAIT_MS: its value then, or the last one seen.
 */
static long long metric_reaches(FIXTURE_DATA(fault) *self,
				const char *series, long long least)
{
	long long value, waited;

	for (waited = 0;; waited += 100) {
		value = metric(self, series);
		if (value >= least || waited >= GATE_WAIT_MS)
			return value;
		poll(NULL, 0, 100);
	}
}

#define FAST_DECISIONS "passgate_decision_duration_seconds_count{gate=" \
	"\"gate0\",path=\"fast\"}"

TEST_F(fault, journal_disk_full)
{
	char tiny[PATH_MAX], journal[PATH_MAX + 16], log[PATH_MAX + 16];
	char path[PATH_MAX + 32], text[8192] = "";
	long long decided;
	bool said, up;
	int i, fd;

	/* The journal on a 600 KiB file system: room for a few hundred rows. */
	snprintf(tiny, sizeof(tiny), "%s/tiny", self->dir);
	ASSERT_EQ(0, mkdir(tiny, 0700));
	ASSERT_EQ(0, mount("tmpfs", tiny, "tmpfs", 0, "size=600k"));
	snprintf(journal, sizeof(journal), "%s/journal.db", tiny);
	write_config(self, journal);
	snprintf(path, sizeof(path), "%s/spool/list-000001.pgl", self->dir);
	ASSERT_EQ(0, make_list(self, path, 1, 10));
	self->pid = start(self);
	ASSERT_LT(0, self->pid);

	/* Scans until the journal cannot grow; every one still decided. */
	snprintf(log, sizeof(log), "%s/passgated.log", self->dir);
	for (i = 0; i < 3000 && !strstr(text, "JOURNAL FAILED"); i++) {
		ASSERT_EQ(PASSGATE_VERDICT_ACCEPT, scan(self, "HC:F:1:7"));
		if (i % 50)
			continue;
		fd = open(log, O_RDONLY);
		ASSERT_LE(0, fd);
		text[read(fd, text, sizeof(text) - 1)] = '\0';
		close(fd);
	}
	said = strstr(text, "JOURNAL FAILED") != NULL;
	EXPECT_TRUE(said) TH_LOG("%s", text);
	/* Said loudly, and the gate and the daemon carry on. */
	ASSERT_EQ(PASSGATE_VERDICT_ACCEPT, scan(self, "HC:F:1:8"));
	up = kill(self->pid, 0) == 0;
	EXPECT_TRUE(up);
	/*
	 * The metrics say so too, and the daemon still reads every event
	 * for them: the decisions after the failure are counted.
	 */
	EXPECT_EQ(1, metric_reaches(self, "passgate_journal_failures_total{"
				    "gate=\"gate0\"}", 1));
	decided = metric_reaches(self, FAST_DECISIONS, 1);
	ASSERT_LT(0, decided);
	for (int k = 0; k < 5; k++)
		ASSERT_EQ(PASSGATE_VERDICT_ACCEPT, scan(self, "HC:F:1:9"));
	EXPECT_LE(decided + 5, metric_reaches(self, FAST_DECISIONS,
					      decided + 5));
	TH_LOG("journal full after %d scans", i);
	tally("the journal's disk full", i + 1,
	      "the daemon says so loudly and stays up; every scan decided",
	      "JOURNAL FAILED %s after %d scans; all %d decided; daemon %s",
	      said ? "logged" : "NOT logged", i, i + 1,
	      up ? "up" : "GONE");
}

TEST_HARNESS_MAIN
