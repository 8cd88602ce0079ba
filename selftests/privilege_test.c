// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gate PC's privilege model (docs/operations.md, "Privileges") on a
 * machine made as the packages make it (qemu/guest-privileges.sh: the
 * users of dist/passgate.sysusers, the folders of dist/passgate.tmpfiles,
 * udev with dist/60-passgate.rules):
 *
 * - the nodes are the passgate group's; the monitor group reads state and
 *   events and can neither act nor take deferred scans;
 * - passgated runs as its user with CAP_BPF and CAP_PERFMON, and keeps
 *   CAP_BPF alone effective once it decides (CAP_PERFMON permitted);
 *   with either missing it cannot start (that is how the two were found
 *   to be needed);
 * - the uplink's user opens no node, reaches no BPF object and writes
 *   nothing of the gate's but the spool inbox;
 * - both write their textfiles into node_exporter's folder, each only
 *   its own files there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "common/caps.h"
#include "gate/core/state.h"
#include "gate/policy/loader.h"

#define SPOOL GATEPC_ROOT "/var/spool/passgate/gate0"
#define STATE GATEPC_ROOT "/var/lib/passgate"
#define PINS "/sys/fs/bpf/passgate"
#define TEXTFILES GATEPC_ROOT "/var/lib/prometheus/node-exporter"
#define CONFIG "/tmp/privilege-gate0.conf"
#define LOG "/tmp/privilege-passgated.log"

FIXTURE(priv) {
	uid_t daemon_uid, uplink_uid;
	gid_t daemon_gid, uplink_gid, monitor_gid;
	pid_t daemon;
};

FIXTURE_SETUP(priv)
{
	const struct passwd *pw;
	const struct group *gr;
	char text[1024];

	self->daemon = -1;
	ASSERT_EQ(0, gate_restore());
	if (!gatepc_ready())
		SKIP(return, "not a gate PC: no passgate users or udev rule "
		     "(qemu/guest-privileges.sh said why)");
	ASSERT_EQ(0, gatepc_settle());
	pw = getpwnam("passgate");
	ASSERT_NE(NULL, pw);
	self->daemon_uid = pw->pw_uid;
	self->daemon_gid = pw->pw_gid;
	pw = getpwnam("passgate-uplink");
	ASSERT_NE(NULL, pw);
	self->uplink_uid = pw->pw_uid;
	self->uplink_gid = pw->pw_gid;
	gr = getgrnam("passgate-monitor");
	ASSERT_NE(NULL, gr);
	self->monitor_gid = gr->gr_gid;

	snprintf(text, sizeof(text),
		 "gate = 0\ntrust_dir = /tmp\nspool_dir = " SPOOL "\n"
		 "state_dir = " STATE "\npin_root = " PINS "\n"
		 "id_key_file = /nonexistent\n"
		 "metrics_file = " TEXTFILES "/passgate-gate0.prom\n");
	ASSERT_EQ(0, file_write(CONFIG, text, strlen(text)));
	ASSERT_EQ(0, chmod(CONFIG, 0644));
	unlink(LOG);
	passgate_policy_unpin(PINS, 0);
	/* The gate's spool and inbox, as passgated@0.service makes them. */
	ASSERT_EQ(0, system("install -d -o passgate -g passgate-uplink "
			    "-m 0710 " SPOOL " && install -d -o passgate "
			    "-g passgate-uplink -m 1770 " SPOOL "/inbox"));
}

FIXTURE_TEARDOWN(priv)
{
	if (!_metadata->passed && system("sed 's/^/# passgated: /' " LOG))
		TH_LOG("no daemon log");
	if (self->daemon > 0)
		process_stop(self->daemon, SIGTERM);
	passgate_policy_unpin(PINS, 0);
	unlink(CONFIG);
	if (system("rm -f " TEXTFILES "/*.prom"))
		TH_LOG("textfiles left");
}

/*
 * Run @fn in a child as @uid/@gid with the one supplementary group
 * @group (or none when 0) and no capability: its exit status, or -1.
 */
static int as_user(uid_t uid, gid_t gid, gid_t group,
		   int (*fn)(const void *arg), const void *arg)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		if (setgroups(group ? 1 : 0, &group) ||
		    setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
			_exit(100);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* 0 when open(@path, @flags) succeeds, else its errno. */
static int try_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

#define LANE0 "/dev/passgate/gate0/lane0/"
#define GATE0 "/dev/passgate/gate0/gate"

static int group_acts(const void *arg)
{
	(void)arg;
	if (try_open(LANE0 "turnstile", O_RDWR))
		return 1;
	if (try_open(LANE0 "scanboard", O_RDWR))
		return 2;
	if (try_open(GATE0, O_RDWR))
		return 3;
	return 0;
}

TEST_F(priv, nodes_are_the_gate_groups)
{
	static const char *const nodes[] = {
		LANE0 "turnstile", LANE0 "scanboard", GATE0,
	};
	struct stat st;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, stat(nodes[i], &st));
		EXPECT_EQ(self->daemon_gid, st.st_gid) TH_LOG("%s", nodes[i]);
		EXPECT_EQ(0660, st.st_mode & 0777) TH_LOG("%s", nodes[i]);
	}
	/* What the mode says, the ACL grants: the group may act. */
	EXPECT_EQ(0, as_user(65534, 65534, self->daemon_gid, group_acts,
			     NULL));
}

static int monitor_checks(const void *arg)
{
	struct passgate_state st = { .size = sizeof(st) };
	int fd;

	(void)arg;
	/* Bit by bit: which check failed shows in the exit status. */
	fd = open(LANE0 "turnstile", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, PASSGATE_IOC_GET_STATE, &st))
		return 1;
	close(fd);
	if (try_open(GATE0, O_RDONLY))
		return 2;
	if (try_open(LANE0 "turnstile", O_RDWR) != EACCES)
		return 3;
	if (try_open(GATE0, O_RDWR) != EACCES)
		return 4;
	if (try_open(LANE0 "scanboard", O_RDONLY) != EACCES)
		return 5;
	return 0;
}

TEST_F(priv, monitor_group_reads_and_cannot_act)
{
	EXPECT_EQ(0, as_user(65534, 65534, self->monitor_gid, monitor_checks,
			     NULL));
	/* Without the group, nothing. */
	EXPECT_EQ(1, as_user(65534, 65534, 0, monitor_checks, NULL));
}

static int start_daemon(FIXTURE_DATA(priv) *self, const char *caps)
{
	self->daemon = passgated_start_as(CONFIG, LOG, "passgate", caps);
	return self->daemon > 0 ? 0 : -1;
}


/* The capabilities line @name of /proc/@pid/status. */
static unsigned long long proc_caps(pid_t pid, const char *name)
{
	unsigned long long caps = ~0ull;
	char path[64], line[256];
	size_t n = strlen(name);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':')
			caps = strtoull(line + n + 1, NULL, 16);
	if (f)
		fclose(f);
	return caps;
}

static bool log_has(const char *what)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "grep -q '%s' " LOG, what);
	return !system(cmd);
}

TEST_F(priv, daemon_needs_cap_bpf_and_cap_perfmon_and_keeps_cap_bpf)
{
	/* Seeded by root, as an operator's passgatectl does. */
	ASSERT_EQ(0, passgate_record_seed(STATE, 0, 0));
	/* Loading the program is refused without either. */
	EXPECT_EQ(-1, start_daemon(self, "+bpf"));
	EXPECT_TRUE(log_has("policy: Operation not permitted"));
	unlink(LOG);
	EXPECT_EQ(-1, start_daemon(self, "+perfmon"));
	EXPECT_TRUE(log_has("policy: Operation not permitted"));
	passgate_policy_unpin(PINS, 0);

	/*
	 * With both it decides, and keeps CAP_BPF alone effective;
	 * CAP_PERFMON only permitted, raised around the creation of a
	 * compact list array (docs/operations.md, "Privileges").
	 */
	ASSERT_EQ(0, start_daemon(self, "+bpf,+perfmon"));
	EXPECT_EQ(PASSGATE_CAP(CAP_BPF), proc_caps(self->daemon, "CapEff"));
	EXPECT_EQ(PASSGATE_CAP(CAP_BPF) | PASSGATE_CAP(CAP_PERFMON),
		  proc_caps(self->daemon, "CapPrm"));
	EXPECT_EQ(0, proc_caps(self->daemon, "CapAmb"));
	EXPECT_EQ(0, proc_caps(self->daemon, "CapInh"));
}

/*
 * Root without capabilities writes only where the folders' modes let it:
 * on the passgate user's folders a root daemon stops at start, saying
 * why, not at its first list.
 */
TEST_F(priv, root_daemon_on_the_users_folders_says_so_at_start)
{
	ASSERT_EQ(0, passgate_record_seed(STATE, 0, 0));
	/* Kept, so that one that does start is stopped by the teardown. */
	self->daemon = passgated_start(CONFIG, LOG);
	EXPECT_EQ(-1, self->daemon);
	EXPECT_TRUE(log_has("once its capabilities are dropped"));
}

static int write_file(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/privilege-test.pgl", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return errno;
	close(fd);
	unlink(path);
	return 0;
}

static int uplink_checks(const void *arg)
{
	char path[PATH_MAX];
	int fd;

	(void)arg;
	if (try_open(LANE0 "turnstile", O_RDONLY) != EACCES)
		return 1;
	if (try_open(LANE0 "scanboard", O_RDWR) != EACCES)
		return 2;
	if (try_open(GATE0, O_RDONLY) != EACCES)
		return 3;
	/*
	 * No BPF object: the pins' folder is closed to it (its modes, not
	 * only the bpf() sysctl), and it may make no map of its own.
	 */
	fd = open(PINS "/gate0", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES)
		return 4;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (fd >= 0 || errno != EPERM)
		return 5;
	/* The spool's inbox, nothing else of the gate's. */
	if (write_file(SPOOL) != EACCES)
		return 6;
	if (write_file(SPOOL "/processed") != EACCES)
		return 7;
	if (write_file(STATE) != EACCES)
		return 8;
	if (write_file(SPOOL "/inbox"))
		return 9;
	/* The inbox is not its own to open wider or close. */
	if (!chmod(SPOOL "/inbox", 0777) || errno != EPERM)
		return 11;
	/* It reads the journal it publishes. */
	snprintf(path, sizeof(path), STATE "/journal-gate0.db");
	if (try_open(path, O_RDONLY))
		return 10;
	/* It may read the seal key's public half, never the key. */
	if (try_open(STATE "/seal-gate0.key", O_RDONLY) != EACCES)
		return 12;
	if (try_open(STATE "/seal-gate0.pub", O_RDONLY))
		return 13;
	return 0;
}

/*
 * The uplink's user: no node, no BPF object, nothing of the gate's but
 * its inbox and the journal it publishes, and not the seal key.
 */
TEST_F(priv, uplink_user_reaches_nothing_but_its_inbox)
{
	/* Seeded by root, as an operator's passgatectl does. */
	ASSERT_EQ(0, passgate_record_seed(STATE, 0, 0));
	/* The daemon made its pins, spool folders and journal. */
	ASSERT_EQ(0, start_daemon(self, "+bpf,+perfmon"));
	EXPECT_EQ(0, as_user(self->uplink_uid, self->uplink_gid, 0,
			     uplink_checks, NULL));
}

/*
 * Write @name in node_exporter's folder as node_exporter's textfiles are
 * written (beside it, then renamed over it): 0 or the errno.
 */
static int textfile_replace(const char *name)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), TEXTFILES "/%s", name);
	snprintf(tmp, sizeof(tmp), TEXTFILES "/.%s.new", name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	if (rename(tmp, path)) {
		unlink(tmp);
		return errno;
	}
	return 0;
}

/* @arg: NULL before the uplink wrote its file, anything after. */
static int daemon_textfiles(const void *arg)
{
	if (!arg)
		return textfile_replace("passgate-gate9.prom") ? 1 : 0;
	if (textfile_replace("passgate-gate9.prom"))
		return 2;
	/* Sticky: neither another collector's file nor the uplink's. */
	if (textfile_replace("other.prom") != EPERM)
		return 3;
	if (!unlink(TEXTFILES "/other.prom") || errno != EPERM)
		return 4;
	if (!unlink(TEXTFILES "/passgate-uplink-gate9.prom") ||
	    errno != EPERM)
		return 5;
	return 0;
}

static int uplink_textfiles(const void *arg)
{
	(void)arg;
	if (textfile_replace("passgate-uplink-gate9.prom"))
		return 1;
	if (textfile_replace("passgate-gate9.prom") != EPERM)
		return 2;
	if (textfile_replace("other.prom") != EPERM)
		return 3;
	return 0;
}

static int stranger_textfiles(const void *arg)
{
	(void)arg;
	return textfile_replace("stranger.prom") == EACCES ? 0 : 1;
}

/*
 * dist/passgate.tmpfiles on node_exporter's folder: the daemon's and the
 * uplink's groups add their textfiles, each replaces only its own (the
 * sticky bit), anyone else adds nothing; and passgated, as its unit runs
 * it, writes metrics_file there (node_exporter, as user prometheus, reads
 * it: 0644).
 */
TEST_F(priv, textfiles_where_node_exporter_reads_them)
{
	long long end;
	struct stat st;

	ASSERT_EQ(0, file_write(TEXTFILES "/other.prom", "", 0));
	ASSERT_EQ(0, chmod(TEXTFILES "/other.prom", 0644));
	EXPECT_EQ(0, as_user(self->daemon_uid, self->daemon_gid, 0,
			     daemon_textfiles, NULL));
	EXPECT_EQ(0, as_user(self->uplink_uid, self->uplink_gid, 0,
			     uplink_textfiles, NULL));
	EXPECT_EQ(0, as_user(self->daemon_uid, self->daemon_gid, 0,
			     daemon_textfiles, self));
	EXPECT_EQ(0, as_user(65534, 65534, 0, stranger_textfiles, NULL));

	ASSERT_EQ(0, passgate_record_seed(STATE, 0, 0));
	ASSERT_EQ(0, start_daemon(self, "+bpf,+perfmon"));
	/* Its first write follows "ready"; a bounded wait for it. */
	end = time(NULL) + 10;
	while (stat(TEXTFILES "/passgate-gate0.prom", &st) && time(NULL) < end)
		poll(NULL, 0, 50);
	ASSERT_EQ(0, stat(TEXTFILES "/passgate-gate0.prom", &st));
	EXPECT_EQ(self->daemon_uid, st.st_uid);
	EXPECT_EQ(0644, st.st_mode & 07777);
}

TEST_HARNESS_MAIN
