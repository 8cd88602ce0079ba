// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgated end to end: a UART scan to an ACCEPT to a journal row; the
 * daemon killed under a stream of scans, the gate deciding on, and the
 * journal holding every sequence number once after the restart; a row
 * tampered with and found; the CLI's --json parsed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sqlite3.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include "common/digest.h"
#include "gate/core/journal.h"
#include "common/listfile.h"
#include "gate/core/state.h"
#include "gate/policy/loader.h"
#include "common/minisign.h"

#define ID_KEY "passgate-selftest-deployment-key"

FIXTURE(daemon) {
	char dir[64];
	char config[PATH_MAX];
	char journal[PATH_MAX];
	char bin[PATH_MAX];
	struct passgate_seckey *sec;
	int events;
	pid_t pid;
};

static void run_path(FIXTURE_DATA(daemon) *self, char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", self->dir, name);
}

static pid_t start(FIXTURE_DATA(daemon) *self)
{
	char log[PATH_MAX];

	run_path(self, log, "passgated.log");
	return passgated_start(self->config, log);
}

FIXTURE_SETUP(daemon)
{
	static const char *const codes[] = { "HC:D:1", "HC:D:2", "HC:D:3" };
	struct passgate_list_entry e[3] = { 0 };
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL, .generation = 1,
		.not_before = time(NULL) - 60, .expires_at = time(NULL) + 3600,
	};
	char path[PATH_MAX], pub[PATH_MAX], text[5 * PATH_MAX], err[256];
	uint8_t digest[PASSGATE_DIGEST_SIZE];
	ssize_t n;
	int i;

	ASSERT_EQ(0, gate_restore());
	n = readlink("/proc/self/exe", self->bin, sizeof(self->bin) - 1);
	ASSERT_LT(0, n);
	self->bin[n] = '\0';
	*strrchr(self->bin, '/') = '\0';
	strcpy(strrchr(self->bin, '/'), "/bin");

	snprintf(self->dir, sizeof(self->dir), "/tmp/daemon-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	run_path(self, path, "trust");
	ASSERT_EQ(0, mkdir(path, 0700));
	run_path(self, pub, "trust/issuer.pub");
	run_path(self, path, "issuer.key");
	ASSERT_EQ(0, passgate_seckey_generate(pub, path, err, sizeof(err)));
	self->sec = passgate_seckey_load(path, err, sizeof(err));
	ASSERT_NE(NULL, self->sec);
	run_path(self, self->journal, "journal.db");
	snprintf(text, sizeof(text),
		 "trust_dir = %s/trust\nspool_dir = %s/spool\n"
		 "state_dir = %s/state\njournal = %s\n"
		 "pin_root = /sys/fs/bpf/passgate-daemon-test\n",
		 self->dir, self->dir, self->dir, self->journal);
	run_path(self, self->config, "passgated.conf");
	{
		FILE *f = fopen(self->config, "w");

		ASSERT_NE(NULL, f);
		fputs(text, f);
		fclose(f);
	}
	{
		char state[PATH_MAX];

		/* A new gate's rollback record, as its install seeds it. */
		run_path(self, state, "state");
		ASSERT_EQ(0, passgate_record_seed(state, 0, 0));
	}
	/* Generation 1 with three GREEN codes, straight into the spool. */
	run_path(self, path, "spool");
	ASSERT_EQ(0, mkdir(path, 0700));
	for (i = 0; i < 3; i++) {
		passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, codes[i],
					strlen(codes[i]), NULL, digest);
		memcpy(e[i].digest, digest, sizeof(e[i].digest));
		e[i].status = PASSGATE_STATUS_GREEN;
	}
	run_path(self, path, "spool/list-000001.pgl");
	ASSERT_EQ(0, passgate_listfile_write(path, &info, e, 3, self->sec,
					     err, sizeof(err))) TH_LOG("%s", err);

	self->events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events);
	ASSERT_LE(0, lseek(self->events, 0, SEEK_END));
	self->pid = start(self);
	ASSERT_LT(0, self->pid);
}

FIXTURE_TEARDOWN(daemon)
{
	char cmd[128];

	if (self->pid > 0)
		process_stop(self->pid, SIGKILL);
	passgate_policy_unpin("/sys/fs/bpf/passgate-daemon-test", 0);
	passgate_seckey_free(self->sec);
	close(self->events);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
	gate_restore();
}

/* Scan on lane 1's bridge; returns the VERDICT event. */
static int bridge_scan(int fd, int events, const char *code,
		       struct passgate_event *ev)
{
	__u8 frame[PASSGATE_FRAME_MAX];
	size_t n;

	n = board_scan_frame(frame, sizeof(frame), 1,
			     PASSGATE_CRED_HEALTH_CODE, code, -1);
	if (write(fd, frame, n) != (ssize_t)n)
		return -errno;
	return gate_wait_event(events, PASSGATE_EV_VERDICT, 1, ev);
}

/* Run passgatectl --json with the fixture's config; its stdout in @out. */
static int ctl_json(FIXTURE_DATA(daemon) *self, const char *args, char *out,
		    size_t len)
{
	char cmd[3 * PATH_MAX + 64];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/passgatectl --json --config %s %s",
		 self->bin, self->config, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return pclose(p);
}

TEST_F(daemon, uart_scan_to_accept_to_journal_row)
{
	struct passgate_event ev, scan;
	char out[8192], want[64];
	uint8_t digest[PASSGATE_DIGEST_SIZE];
	char hexd[2 * PASSGATE_DIGEST_SIZE + 1];
	int tty, i;

	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	tty = board_open();
	ASSERT_LE(0, tty);
	ASSERT_EQ(0, board_send_scan(tty, 3, PASSGATE_CRED_HEALTH_CODE,
				     "HC:D:1", -1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_SCAN, 0, &scan));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_VERDICT, 0, &ev));
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, ev.arg);
	close(tty);

	/* SIGTERM: the daemon commits what it read before it goes. */
	EXPECT_EQ(0, process_stop(self->pid, SIGTERM));
	self->pid = -1;

	/* The journal has the scan (digest, never the token) and verdict. */
	ASSERT_EQ(0, ctl_json(self, "log --lane 0 --limit 20", out,
			      sizeof(out)));
	passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, "HC:D:1", 6, NULL,
				digest);
	for (i = 0; i < PASSGATE_DIGEST_SIZE; i++)
		sprintf(hexd + 2 * i, "%02x", digest[i]);
	EXPECT_NE(NULL, strstr(out, hexd)) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "HC:D:1"));
	snprintf(want, sizeof(want), "\"seq\":%llu,", ev.seq);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"type\":\"verdict\""));

	ASSERT_EQ(0, ctl_json(self, "log-verify", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"ok\":true")) TH_LOG("%s", out);
}

/*
 * A stream of scans on lane 1.  It pauses at @pause_at until @resumed:
 * while the daemon is dead the ring (256 events on the test gate) must
 * keep what happens, so the outage is bounded in events, not in time.
 */
struct stream {
	int fd;
	int events;
	pthread_mutex_t lock;
	pthread_cond_t moved;
	unsigned int scans;
	unsigned int accepted;
	unsigned int pause_at;
	unsigned int total;
	int resumed;
	int failed;
};

static void *scan_stream(void *arg)
{
	struct stream *s = arg;
	struct passgate_event ev;
	int fd = lane_open(0, 1, "turnstile", O_RDWR);

	/* FREE: every ACCEPT stands without a relock. */
	lane_set_mode(fd, PASSGATE_MODE_FREE);
	for (;;) {
		pthread_mutex_lock(&s->lock);
		while (s->scans >= s->pause_at && !s->resumed)
			pthread_cond_wait(&s->moved, &s->lock);
		pthread_mutex_unlock(&s->lock);
		if (s->scans >= s->total)
			break;
		if (bridge_scan(s->fd, s->events, "HC:D:2", &ev)) {
			s->failed = 1;
			break;
		}
		pthread_mutex_lock(&s->lock);
		s->scans++;
		s->accepted += ev.arg == PASSGATE_VERDICT_ACCEPT;
		pthread_cond_broadcast(&s->moved);
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_lock(&s->lock);
	s->pause_at = s->total = s->scans;
	pthread_cond_broadcast(&s->moved);
	pthread_mutex_unlock(&s->lock);
	close(fd);
	return NULL;
}

static void stream_wait(struct stream *s, unsigned int scans)
{
	pthread_mutex_lock(&s->lock);
	while (s->scans < scans && s->scans < s->total)
		pthread_cond_wait(&s->moved, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

TEST_F(daemon, killed_under_load_journal_complete_after_restart)
{
	struct passgate_gate_state gst;
	struct stream s = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.moved = PTHREAD_COND_INITIALIZER,
		.pause_at = 80,
		.total = 200,
	};
	struct passgate_journal_filter f = { .flags = PASSGATE_JOURNAL_F_SEQ };
	struct passgate_journal_cursor *c;
	struct passgate_journal_row row;
	struct passgate_journal_report report;
	struct passgate_journal *j;
	struct passgate_event ev;
	uint64_t first, expect_seq;
	unsigned long long rows, out_of_order, lost, missing;
	pthread_t t;
	char err[256];
	int ret;

	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	first = ev.seq;
	s.fd = lane_open(0, 1, "scanboard", O_RDWR | O_NONBLOCK);
	s.events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, s.fd);
	ASSERT_LE(0, lseek(s.events, 0, SEEK_END));
	ASSERT_EQ(0, pthread_create(&t, NULL, scan_stream, &s));

	/* Killed mid-stream; the fast path decides on without it. */
	stream_wait(&s, 20);
	process_stop(self->pid, SIGKILL);
	stream_wait(&s, 80);
	self->pid = start(self);
	ASSERT_LT(0, self->pid);
	pthread_mutex_lock(&s.lock);
	s.resumed = 1;
	pthread_cond_broadcast(&s.moved);
	pthread_mutex_unlock(&s.lock);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, s.failed);
	EXPECT_EQ(200, s.scans);
	EXPECT_EQ(s.scans, s.accepted);
	ASSERT_EQ(0, lane_relock(1));
	ASSERT_EQ(0, gate_get_state(self->events, &gst));
	EXPECT_EQ(0, process_stop(self->pid, SIGTERM));
	self->pid = -1;

	/* Every event from the list's activation on, once, in order. */
	j = passgate_journal_open(self->journal, 0, PASSGATE_JOURNAL_RDONLY,
				  err, sizeof(err));
	ASSERT_NE(NULL, j) TH_LOG("%s", err);
	ASSERT_EQ(0, passgate_journal_verify(j, &report)) TH_LOG("%s",
								 report.why);
	f.stream = 1;
	f.first_seq = first;
	f.last_seq = gst.event_next - 1;
	c = passgate_journal_query(j, &f);
	ASSERT_NE(NULL, c);
	expect_seq = first;
	rows = out_of_order = lost = 0;
	while ((ret = passgate_journal_cursor_next(c, &row)) == 1) {
		EXPECT_EQ(expect_seq, row.event.seq);
		EXPECT_NE(PASSGATE_EV_LOST, row.event.type);
		out_of_order += row.event.seq != expect_seq;
		lost += row.event.type == PASSGATE_EV_LOST;
		expect_seq = row.event.seq + 1;
		rows++;
	}
	EXPECT_EQ(0, ret);
	EXPECT_EQ(gst.event_next, expect_seq);
	/* Events the kernel emitted that no row holds. */
	missing = gst.event_next - first - (rows - out_of_order);
	TH_LOG("%u scans, %llu events, %llu rows", s.scans,
	       (unsigned long long)(gst.event_next - first), rows);
	tally("passgated SIGKILLed under a stream of scans, then restarted", 1,
	      "every scan decided; every event journaled exactly once",
	      "%u of 200 scans accepted; %llu events emitted, %llu rows "
	      "journaled: %llu out of sequence, %llu LOST records, %llu "
	      "missing", s.accepted,
	      (unsigned long long)(gst.event_next - first), rows,
	      out_of_order, lost, missing);
	passgate_journal_cursor_close(c);
	passgate_journal_close(j);
	close(s.fd);
	close(s.events);
}

TEST_F(daemon, tampered_row_is_found)
{
	struct passgate_event ev;
	char out[4096];
	sqlite3 *db;

	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	ASSERT_EQ(0, bridge_scan(lane_open(0, 1, "scanboard", O_RDWR),
				 self->events, "HC:D:3", &ev));
	EXPECT_EQ(0, process_stop(self->pid, SIGTERM));
	self->pid = -1;
	ASSERT_EQ(0, ctl_json(self, "log-verify", out, sizeof(out)));

	/* Someone turns a DENY into an ACCEPT, or any row into another. */
	ASSERT_EQ(SQLITE_OK, sqlite3_open(self->journal, &db));
	ASSERT_EQ(SQLITE_OK, sqlite3_exec(db, "UPDATE event SET arg = arg + 1 "
					  "WHERE seq = (SELECT MAX(seq) FROM event)",
					  NULL, NULL, NULL))
		TH_LOG("%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	EXPECT_NE(0, ctl_json(self, "log-verify", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"ok\":false")) TH_LOG("%s", out);
	tally("a journal row edited behind the daemon's back", 1,
	      "passgatectl log-verify finds it", "%s",
	      strstr(out, "\"ok\":false") ? "found" : "NOT found");
}

TEST_F(daemon, status_json)
{
	struct passgate_event ev;
	char out[8192];

	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	ASSERT_EQ(0, ctl_json(self, "status", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"generation\":1,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"policy\":true"));
	EXPECT_NE(NULL, strstr(out, "\"lane\":1,"));
	EXPECT_NE(NULL, strstr(out, "\"mode\":\"normal\""));
}

/*
 * As passgated@.service runs it (Type=notify, WatchdogSec=): READY=1 once
 * it decides, WATCHDOG=1 from its loop, STOPPING=1 on SIGTERM, on a
 * datagram socket standing in for systemd's.
 */
static int notify_wait(int fd, const char *what, int count)
{
	char buf[256];
	int seen = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (seen < count && poll(&p, 1, 10000) == 1) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n <= 0)
			return -1;
		buf[n] = '\0';
		if (strstr(buf, what))
			seen++;
	}
	return seen == count ? 0 : -1;
}

TEST_F(daemon, systemd_notify_ready_watchdog_stopping)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	process_stop(self->pid, SIGTERM);
	self->pid = -1;
	ASSERT_GT(sizeof(a.sun_path),
		  (size_t)snprintf(a.sun_path, sizeof(a.sun_path),
				   "%s/notify.sock", self->dir));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	setenv("NOTIFY_SOCKET", a.sun_path, 1);
	setenv("WATCHDOG_USEC", "400000", 1);
	self->pid = start(self);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	ASSERT_LT(0, self->pid);
	EXPECT_EQ(0, notify_wait(fd, "READY=1", 1));
	EXPECT_EQ(0, notify_wait(fd, "WATCHDOG=1", 3));
	process_stop(self->pid, SIGTERM);
	self->pid = -1;
	EXPECT_EQ(0, notify_wait(fd, "STOPPING=1", 1));
	close(fd);
}

/* passgatectl monitor (generic netlink) shows events as they happen. */
TEST_F(daemon, monitor_json_over_netlink)
{
	char exe[PATH_MAX + 16], buf[4096] = "";
	struct pollfd pfd;
	int out[2], fd, tries;
	size_t have = 0;
	ssize_t n;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/passgatectl", self->bin);
	ASSERT_EQ(0, pipe(out));
	pid = fork();
	if (!pid) {
		dup2(out[1], STDOUT_FILENO);
		execl(exe, "passgatectl", "--json", "--config", self->config,
		      "monitor", NULL);
		_exit(127);
	}
	close(out[1]);
	fd = lane_open(0, 0, "turnstile", O_RDWR);
	ASSERT_LE(0, fd);
	pfd = (struct pollfd){ .fd = out[0], .events = POLLIN };
	/* It shows what happens once it is subscribed: keep causing events. */
	for (tries = 0; tries < 100 && !strstr(buf, "\"lane-mode\""); tries++) {
		ASSERT_EQ(0, lane_set_mode(fd, PASSGATE_MODE_NORMAL));
		if (poll(&pfd, 1, 100) == 1) {
			n = read(out[0], buf + have, sizeof(buf) - 1 - have);
			ASSERT_LT(0, n);
			have += n;
		}
		buf[have] = '\0';
	}
	EXPECT_NE(NULL, strstr(buf, "\"type\":\"lane-mode\",\"lane\":0"))
		TH_LOG("%s", buf);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(out[0]);
	close(fd);
}

TEST_HARNESS_MAIN
