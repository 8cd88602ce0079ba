// SPDX-License-Identifier: GPL-2.0-only
/*
 * The audit journal on the host (gate/core/journal_*.c): round trips,
 * grouped commits, sequence rules, the hash chain against every kind of
 * tampering done with raw SQL on the file, rotation, queries, latency
 * percentiles, and commit failures made real: an fsync that fails (a VFS
 * shim under SQLite) and a file that cannot grow (RLIMIT_FSIZE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <sqlite3.h>

#include "kselftest_harness.h"
#include "gate/core/journal.h"

#define GATE 7
#define NONE PASSGATE_JOURNAL_SEQ_NONE
#define US 1000ull
#define MS 1000000ull

static const uint8_t id1[PASSGATE_JOURNAL_STREAM_ID_SIZE] = { 1, 1, 1 };
static const uint8_t id2[PASSGATE_JOURNAL_STREAM_ID_SIZE] = { 2, 2, 2 };

static struct passgate_event event(uint64_t seq, uint32_t type, uint32_t lane,
				   uint32_t arg, uint64_t value)
{
	struct passgate_event ev = {
		.seq = seq,
		.time_ns = 5000000000ull + seq * 1000,
		.type = type,
		.lane = lane,
		.arg = arg,
		.value = value,
	};

	if (type == PASSGATE_EV_SCAN)
		for (size_t i = 0; i < sizeof(ev.data); i++)
			ev.data[i] = seq * 7 + i;
	return ev;
}

static struct passgate_event verdict(uint64_t seq, uint32_t lane, int fast,
				     uint64_t decide_ns, uint64_t actuate_ns)
{
	struct passgate_event ev = event(seq, PASSGATE_EV_VERDICT, lane,
					 actuate_ns ? PASSGATE_VERDICT_ACCEPT :
					 PASSGATE_VERDICT_DENY, 100 + seq);
	struct passgate_verdict_record vr = {
		.received_ns = 9000000000ull + seq,
		.decided_ns = 9000000000ull + seq + decide_ns,
		.actuated_ns = actuate_ns ? 9000000000ull + seq + actuate_ns : 0,
		.reason = actuate_ns ? PASSGATE_REASON_NONE :
			  PASSGATE_REASON_UNKNOWN,
		.direction = PASSGATE_DIR_EXIT,
		.fast = fast,
	};

	memcpy(ev.data, &vr, sizeof(vr));
	return ev;
}

/*
 * The journal most tests start from: stream 1 (pos 1), seq 0 to 11 at pos
 * 2 to 12, seq 7 a LOST row for 7 and 8 (so seq 9 is at pos 10).
 */
static int append_standard(struct passgate_journal *j)
{
	const struct passgate_event evs[] = {
		event(0, PASSGATE_EV_GATE_MODE, PASSGATE_LANE_NONE, 0, 0),
		event(1, PASSGATE_EV_SCAN, 0, PASSGATE_CRED_HEALTH_CODE, 1),
		event(2, PASSGATE_EV_UNLOCK, 0, PASSGATE_DIR_EXIT, 0),
		event(3, PASSGATE_EV_PASSAGE, 0, PASSGATE_DIR_EXIT, 0),
		event(4, PASSGATE_EV_SCAN, 1, PASSGATE_CRED_TICKET, 2),
		verdict(5, 1, 1, 3 * US, 9 * US),
		event(6, PASSGATE_EV_UNLOCK, 1, PASSGATE_DIR_EXIT, 0),
	};
	const struct passgate_event tail[] = {
		event(9, PASSGATE_EV_PASSAGE, 1, PASSGATE_DIR_EXIT, 0),
		event(10, PASSGATE_EV_TIMEOUT, 0, PASSGATE_DIR_EXIT, 0),
		event(11, PASSGATE_EV_PASSAGE, 0, PASSGATE_DIR_EXIT, 0),
	};

	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (passgate_journal_append(j, &evs[i]))
			return -1;
	if (passgate_journal_append_gap(j, 7, 2))
		return -1;
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		if (passgate_journal_append(j, &tail[i]))
			return -1;
	return passgate_journal_flush(j);
}

/* SQL on the file behind the library's back. */
static int raw_exec(const char *path, const char *sql)
{
	char *msg = NULL;
	sqlite3 *db;
	int rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL)) {
		sqlite3_close(db);
		return -1;
	}
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc)
		fprintf(stderr, "# raw sql: %s\n", msg);
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc ? -1 : 0;
}

/* One integer from @sql on a connection of its own; -1 on error. */
static long long raw_int(const char *path, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)) {
		sqlite3_close(db);
		return -1;
	}
	if (!sqlite3_prepare_v2(db, sql, -1, &s, NULL)) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static long long stored_rows(const char *path)
{
	return raw_int(path, "SELECT count(*) FROM event");
}

/* Rows a filter selects, into @rows (at most @max); -1 on error. */
static int collect(struct passgate_journal *j,
		   const struct passgate_journal_filter *f,
		   struct passgate_journal_row *rows, int max)
{
	struct passgate_journal_cursor *c = passgate_journal_query(j, f);
	struct passgate_journal_row spare;
	int n = 0, rc;

	if (!c)
		return -1;
	while ((rc = passgate_journal_cursor_next(c, n < max ? &rows[n] :
						  &spare)) > 0)
		n++;
	passgate_journal_cursor_close(c);
	return rc < 0 ? -1 : n;
}

static int64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

FIXTURE(journal) {
	char dir[64];
	char path[128];
	char err[256];
	struct passgate_journal *j;
};

/* Teardown does not run when setup fails: setup cleans up itself. */
static void remove_dir(const char *dir)
{
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

FIXTURE_SETUP(journal)
{
	strcpy(self->dir, "/tmp/passgate-journal-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/gate7.journal",
		 self->dir);
	self->j = passgate_journal_open(self->path, GATE,
					PASSGATE_JOURNAL_CREATE, self->err,
					sizeof(self->err));
	if (!self->j || passgate_journal_begin_stream(self->j, id1)) {
		TH_LOG("%s", self->j ? passgate_journal_errmsg(self->j) :
		       self->err);
		passgate_journal_close(self->j);
		remove_dir(self->dir);
		ASSERT_TRUE(false);
	}
}

FIXTURE_TEARDOWN(journal)
{
	passgate_journal_close(self->j);
	remove_dir(self->dir);
}

static struct passgate_journal *reopen(const char *path, unsigned int flags)
{
	return passgate_journal_open(path, GATE, flags, NULL, 0);
}

TEST_F(journal, round_trip)
{
	const struct passgate_event evs[] = {
		event(0, PASSGATE_EV_GATE_MODE, PASSGATE_LANE_NONE,
		      PASSGATE_GATE_FREE_ALL, 0),
		event(1, PASSGATE_EV_SCAN, 2, PASSGATE_CRED_ID_CARD, 41),
		verdict(2, 2, 1, 4 * US, 11 * US),
		verdict(3, 2, 0, 40 * MS, 0),
		event(4, PASSGATE_EV_LIST_ACTIVATED, PASSGATE_LANE_NONE, 1,
		      1ull << 63),
	};
	struct passgate_journal_row rows[8];
	struct passgate_verdict_record vr;
	int64_t before, after;
	int n;

	before = now_ns(CLOCK_REALTIME);
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, passgate_journal_append(self->j, &evs[i]));
	after = now_ns(CLOCK_REALTIME);
	ASSERT_EQ(0, passgate_journal_flush(self->j));
	passgate_journal_close(self->j);

	self->j = reopen(self->path, PASSGATE_JOURNAL_RDONLY);
	ASSERT_NE(NULL, self->j);
	EXPECT_EQ(GATE, passgate_journal_gate(self->j));
	EXPECT_EQ(1, passgate_journal_stream(self->j));
	EXPECT_EQ(4, passgate_journal_last_seq(self->j));
	n = collect(self->j, NULL, rows, 8);
	ASSERT_EQ(5, n);
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(i + 2, rows[i].pos);	/* pos 1: the stream */
		EXPECT_EQ(1, rows[i].stream);
		EXPECT_LE(before, rows[i].stored_ns);
		EXPECT_GE(after, rows[i].stored_ns);
		EXPECT_EQ(0, memcmp(&evs[i], &rows[i].event, sizeof(evs[i])))
			TH_LOG("row %d differs", i);
		if (evs[i].type == PASSGATE_EV_VERDICT) {
			memcpy(&vr, evs[i].data, sizeof(vr));
			EXPECT_EQ(0, memcmp(&vr, &rows[i].verdict, sizeof(vr)));
		}
	}
	/* The verdict record's parts have columns of their own. */
	EXPECT_EQ(11 * US, raw_int(self->path, "SELECT actuated_ns -"
				   " received_ns FROM event WHERE seq = 2"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT fast FROM event"
			     " WHERE seq = 2"));
	EXPECT_EQ(PASSGATE_REASON_UNKNOWN,
		  raw_int(self->path, "SELECT reason FROM event WHERE seq = 3"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM event WHERE"
			     " seq = 0 AND lane IS NULL"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM event WHERE"
			     " seq = 1 AND reason IS NULL"));
	/* Durable settings. */
	EXPECT_EQ(PASSGATE_JOURNAL_SCHEMA,
		  raw_int(self->path, "PRAGMA user_version"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM"
			     " pragma_journal_mode WHERE journal_mode = 'wal'"));
}

TEST_F(journal, grouped_commit)
{
	struct passgate_event ev;

	ASSERT_EQ(0, passgate_journal_set_batch(self->j, 100, 10000));
	for (int i = 0; i < 5; i++) {
		ev = event(i, PASSGATE_EV_PASSAGE, 0, 0, 0);
		ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	}
	EXPECT_EQ(0, stored_rows(self->path));
	EXPECT_EQ(4, passgate_journal_last_seq(self->j));
	EXPECT_EQ(NONE, passgate_journal_last_committed_seq(self->j));

	ASSERT_EQ(0, passgate_journal_flush(self->j));
	EXPECT_EQ(5, stored_rows(self->path));
	EXPECT_EQ(4, passgate_journal_last_committed_seq(self->j));
	/* One transaction: one WAL commit frame for all five. */
	EXPECT_EQ(0, passgate_journal_flush(self->j));
	EXPECT_EQ(5, stored_rows(self->path));
}

TEST_F(journal, full_batch_commits_by_itself)
{
	struct passgate_event ev;

	ASSERT_EQ(0, passgate_journal_set_batch(self->j, 4, 10000));
	for (int i = 0; i < 3; i++) {
		ev = event(i, PASSGATE_EV_PASSAGE, 0, 0, 0);
		ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	}
	EXPECT_EQ(0, stored_rows(self->path));
	ev = event(3, PASSGATE_EV_PASSAGE, 0, 0, 0);
	ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	EXPECT_EQ(4, stored_rows(self->path));
	EXPECT_EQ(3, passgate_journal_last_committed_seq(self->j));

	EXPECT_EQ(-1, passgate_journal_set_batch(self->j, 0, 100));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, passgate_journal_set_batch(self->j, 10, 0));
	EXPECT_EQ(EINVAL, errno);
}

/* The daemon's wiring: a timerfd armed at the deadline, then flush_due. */
TEST_F(journal, flush_deadline_drives_a_timerfd)
{
	const int64_t batch = 50 * MS;
	struct itimerspec its;
	struct passgate_event ev = event(0, PASSGATE_EV_PASSAGE, 0, 0, 0);
	struct timespec due;
	struct pollfd pfd;
	int64_t t0, t1, deadline, before;
	uint64_t ticks;

	ASSERT_EQ(0, passgate_journal_set_batch(self->j, 64, batch / MS));
	passgate_journal_flush_deadline(self->j, &due);
	EXPECT_EQ(0, due.tv_sec);
	EXPECT_EQ(0, due.tv_nsec);

	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	t1 = now_ns(CLOCK_MONOTONIC);
	passgate_journal_flush_deadline(self->j, &due);
	deadline = due.tv_sec * 1000000000LL + due.tv_nsec;
	EXPECT_LE(t0 + batch, deadline);
	EXPECT_GE(t1 + batch, deadline);

	before = now_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(0, passgate_journal_flush_due(self->j));
	if (before < deadline)
		EXPECT_EQ(0, stored_rows(self->path));

	memset(&its, 0, sizeof(its));
	pfd.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ASSERT_LE(0, pfd.fd);
	pfd.events = POLLIN;
	its.it_value = due;
	ASSERT_EQ(0, timerfd_settime(pfd.fd, TFD_TIMER_ABSTIME, &its, NULL));
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(sizeof(ticks), read(pfd.fd, &ticks, sizeof(ticks)));
	close(pfd.fd);

	ASSERT_EQ(0, passgate_journal_flush_due(self->j));
	EXPECT_EQ(1, stored_rows(self->path));
	EXPECT_EQ(0, passgate_journal_last_committed_seq(self->j));
	passgate_journal_flush_deadline(self->j, &due);
	EXPECT_EQ(0, due.tv_sec);
	EXPECT_EQ(0, due.tv_nsec);
}

TEST_F(journal, last_seq_after_reopen)
{
	struct passgate_event ev;

	for (int i = 0; i < 10; i++) {
		ev = event(i, PASSGATE_EV_PASSAGE, 0, 0, 0);
		ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	}
	ASSERT_EQ(0, passgate_journal_flush(self->j));
	passgate_journal_close(self->j);

	self->j = reopen(self->path, 0);
	ASSERT_NE(NULL, self->j);
	EXPECT_EQ(9, passgate_journal_last_seq(self->j));
	EXPECT_EQ(9, passgate_journal_last_committed_seq(self->j));
	/* Appending needs the stream named again. */
	ev = event(10, PASSGATE_EV_PASSAGE, 0, 0, 0);
	EXPECT_EQ(-1, passgate_journal_append(self->j, &ev));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id1));
	EXPECT_EQ(1, passgate_journal_stream(self->j));
	EXPECT_EQ(9, passgate_journal_last_seq(self->j));
	ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	EXPECT_EQ(10, passgate_journal_last_seq(self->j));
	EXPECT_EQ(9, passgate_journal_last_committed_seq(self->j));

	/* Closed unflushed: never acknowledged, not there. */
	passgate_journal_close(self->j);
	self->j = reopen(self->path, 0);
	ASSERT_NE(NULL, self->j);
	EXPECT_EQ(9, passgate_journal_last_seq(self->j));
	EXPECT_EQ(10, stored_rows(self->path));
}

TEST_F(journal, duplicate_refused_and_unchanged)
{
	struct passgate_journal_filter f = {
		.flags = PASSGATE_JOURNAL_F_SEQ, .stream = 1,
		.first_seq = 2, .last_seq = 2,
	};
	struct passgate_journal_report report;
	struct passgate_journal_row row;
	struct passgate_event ev, orig;

	for (int i = 0; i < 5; i++) {
		ev = event(i, PASSGATE_EV_UNLOCK, 0, 0, 0);
		ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	}
	ASSERT_EQ(0, passgate_journal_flush(self->j));
	orig = event(2, PASSGATE_EV_UNLOCK, 0, 0, 0);

	ev = event(2, PASSGATE_EV_FORCED, 1, 1, 0);
	EXPECT_EQ(-1, passgate_journal_append(self->j, &ev));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(4, passgate_journal_last_seq(self->j));
	/* A buffered one counts as well. */
	ev = event(5, PASSGATE_EV_UNLOCK, 0, 0, 0);
	ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	EXPECT_EQ(-1, passgate_journal_append(self->j, &ev));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, passgate_journal_append_gap(self->j, 3, 2));
	EXPECT_EQ(EEXIST, errno);
	ASSERT_EQ(0, passgate_journal_flush(self->j));

	EXPECT_EQ(6, stored_rows(self->path));
	ASSERT_EQ(1, collect(self->j, &f, &row, 1));
	EXPECT_EQ(0, memcmp(&orig, &row.event, sizeof(orig)));
	EXPECT_EQ(0, passgate_journal_verify(self->j, &report))
		TH_LOG("%s", report.why);

	/* Reserved bits are refused too. */
	ev = event(6, PASSGATE_EV_UNLOCK, 0, 0, 0);
	ev.__reserved = 1;
	EXPECT_EQ(-1, passgate_journal_append(self->j, &ev));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(5, passgate_journal_last_seq(self->j));
}

TEST_F(journal, gap_row)
{
	struct passgate_journal_filter f = {
		.flags = PASSGATE_JOURNAL_F_TYPES,
		.types = 1ull << PASSGATE_EV_LOST,
	};
	struct passgate_journal_report report;
	struct passgate_journal_row rows[4];
	struct passgate_event ev, lost = {
		.seq = 6, .type = PASSGATE_EV_LOST,
		.lane = PASSGATE_LANE_NONE, .value = 10,
	};

	for (int i = 0; i < 3; i++) {
		ev = event(i, PASSGATE_EV_UNLOCK, 0, 0, 0);
		ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	}
	ev = event(5, PASSGATE_EV_UNLOCK, 0, 0, 0);
	EXPECT_EQ(-1, passgate_journal_append(self->j, &ev));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_EQ(-1, passgate_journal_append_gap(self->j, 4, 1));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_EQ(-1, passgate_journal_append_gap(self->j, 3, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(2, passgate_journal_last_seq(self->j));

	ASSERT_EQ(0, passgate_journal_append_gap(self->j, 3, 2));
	EXPECT_EQ(4, passgate_journal_last_seq(self->j));
	ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	/* The kernel's own LOST record, as read() gives it. */
	ASSERT_EQ(0, passgate_journal_append(self->j, &lost));
	EXPECT_EQ(15, passgate_journal_last_seq(self->j));
	ASSERT_EQ(0, passgate_journal_flush(self->j));

	ASSERT_EQ(2, collect(self->j, &f, rows, 4));
	EXPECT_EQ(3, rows[0].event.seq);
	EXPECT_EQ(2, rows[0].event.value);
	EXPECT_EQ(PASSGATE_LANE_NONE, rows[0].event.lane);
	EXPECT_EQ(6, rows[1].event.seq);
	EXPECT_EQ(10, rows[1].event.value);
	EXPECT_EQ(0, passgate_journal_verify(self->j, &report))
		TH_LOG("%s", report.why);
	EXPECT_EQ(6, report.events);

	passgate_journal_close(self->j);
	self->j = reopen(self->path, 0);
	ASSERT_NE(NULL, self->j);
	EXPECT_EQ(15, passgate_journal_last_seq(self->j));
}

/* The kernel numbers from 0 again after a reboot: a new stream. */
TEST_F(journal, new_stream_after_kernel_restart)
{
	struct passgate_journal_report report;
	struct passgate_journal_row rows[16];
	struct passgate_event ev;

	for (int i = 0; i < 5; i++) {
		ev = event(i, PASSGATE_EV_UNLOCK, 0, 0, 0);
		ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	}
	ev = event(0, PASSGATE_EV_UNLOCK, 0, 0, 0);
	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id2));
	EXPECT_EQ(5, stored_rows(self->path));	/* flushed first */
	EXPECT_EQ(2, passgate_journal_stream(self->j));
	EXPECT_EQ(NONE, passgate_journal_last_seq(self->j));
	ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	ASSERT_EQ(0, passgate_journal_flush(self->j));
	EXPECT_EQ(0, passgate_journal_verify(self->j, &report))
		TH_LOG("%s", report.why);
	EXPECT_EQ(8, report.records);
	passgate_journal_close(self->j);

	self->j = reopen(self->path, 0);
	ASSERT_NE(NULL, self->j);
	EXPECT_EQ(2, passgate_journal_stream(self->j));
	EXPECT_EQ(0, passgate_journal_last_seq(self->j));
	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id2));
	EXPECT_EQ(2, passgate_journal_stream(self->j));
	ASSERT_EQ(6, collect(self->j, NULL, rows, 16));
	EXPECT_EQ(1, rows[4].stream);
	EXPECT_EQ(4, rows[4].event.seq);
	EXPECT_EQ(2, rows[5].stream);
	EXPECT_EQ(0, rows[5].event.seq);

	/* Rotating every row of stream 1 away keeps stream 2 whole. */
	ASSERT_EQ(0, passgate_journal_rotate(self->j, 2, 0, NULL));
	ASSERT_EQ(1, collect(self->j, NULL, rows, 16));
	EXPECT_EQ(0, passgate_journal_verify(self->j, &report))
		TH_LOG("%s", report.why);
	EXPECT_EQ(5, report.rotated);
	EXPECT_EQ(2, report.rotated_stream);
	EXPECT_EQ(0, report.rotated_before_seq);
}

TEST_F(journal, verify_clean)
{
	struct passgate_journal_filter last = {
		.flags = PASSGATE_JOURNAL_F_NEWEST_FIRST, .limit = 1,
	};
	struct passgate_journal_report report;
	struct passgate_journal_row row;

	ASSERT_EQ(0, append_standard(self->j));
	ASSERT_EQ(0, passgate_journal_verify(self->j, &report))
		TH_LOG("%s", report.why);
	EXPECT_EQ(PASSGATE_JOURNAL_INTACT, report.fault);
	EXPECT_EQ(12, report.records);
	EXPECT_EQ(11, report.events);
	EXPECT_EQ(12, report.head_pos);
	EXPECT_EQ(0, report.rotated);
	ASSERT_EQ(1, collect(self->j, &last, &row, 1));
	EXPECT_EQ(11, row.event.seq);
	EXPECT_EQ(0, memcmp(row.hash, report.head_hash, sizeof(row.hash)));
}

FIXTURE(tamper) {
	char dir[64];
	char path[128];
};

FIXTURE_VARIANT(tamper) {
	uint64_t rotate_before;	/* 0: no rotation */
	const char *sql;
	enum passgate_journal_fault fault;
	unsigned int kind;
	uint64_t seq;
};

FIXTURE_SETUP(tamper)
{
	struct passgate_journal *j;
	char err[256] = "";
	int ret = -1;

	strcpy(self->dir, "/tmp/passgate-journal-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/gate7.journal",
		 self->dir);
	j = passgate_journal_open(self->path, GATE, PASSGATE_JOURNAL_CREATE,
				  err, sizeof(err));
	if (j && !passgate_journal_begin_stream(j, id1) && !append_standard(j))
		ret = variant->rotate_before ?
		      passgate_journal_rotate(j, 1, variant->rotate_before,
					      NULL) : 0;
	if (ret) {
		TH_LOG("%s", j ? passgate_journal_errmsg(j) : err);
		passgate_journal_close(j);
		remove_dir(self->dir);
		ASSERT_TRUE(false);
	}
	passgate_journal_close(j);
}

FIXTURE_TEARDOWN(tamper)
{
	remove_dir(self->dir);
}

#define EV PASSGATE_JOURNAL_REC_EVENT
#define SM PASSGATE_JOURNAL_REC_STREAM
#define CK PASSGATE_JOURNAL_REC_CHECKPOINT

FIXTURE_VARIANT_ADD(tamper, untouched) {
	.fault = PASSGATE_JOURNAL_INTACT, .seq = NONE,
};

FIXTURE_VARIANT_ADD(tamper, edited_arg) {
	.sql = "UPDATE event SET arg = arg + 1 WHERE seq = 3",
	.fault = PASSGATE_JOURNAL_HASH, .kind = EV, .seq = 3,
};

FIXTURE_VARIANT_ADD(tamper, edited_digest) {
	.sql = "UPDATE event SET data = zeroblob(32) WHERE seq = 4",
	.fault = PASSGATE_JOURNAL_HASH, .kind = EV, .seq = 4,
};

FIXTURE_VARIANT_ADD(tamper, edited_verdict_column) {
	.sql = "UPDATE event SET decided_ns = decided_ns - 1 WHERE seq = 5",
	.fault = PASSGATE_JOURNAL_FIELD, .kind = EV, .seq = 5,
};

FIXTURE_VARIANT_ADD(tamper, edited_stored_time) {
	.sql = "UPDATE event SET stored_ns = stored_ns - 1000000000"
	       " WHERE seq = 6",
	.fault = PASSGATE_JOURNAL_HASH, .kind = EV, .seq = 6,
};

FIXTURE_VARIANT_ADD(tamper, edited_lane_to_gate_wide) {
	.sql = "UPDATE event SET lane = NULL WHERE seq = 2",
	.fault = PASSGATE_JOURNAL_HASH, .kind = EV, .seq = 2,
};

FIXTURE_VARIANT_ADD(tamper, edited_lost_count) {
	.sql = "UPDATE event SET value = 1 WHERE seq = 7",
	.fault = PASSGATE_JOURNAL_HASH, .kind = EV, .seq = 7,
};

FIXTURE_VARIANT_ADD(tamper, edited_stream_mark) {
	.sql = "UPDATE mark SET stream_id = zeroblob(16) WHERE kind = 2",
	.fault = PASSGATE_JOURNAL_HASH, .kind = SM, .seq = NONE,
};

FIXTURE_VARIANT_ADD(tamper, edited_gate) {
	.sql = "UPDATE info SET gate = 8",
	.fault = PASSGATE_JOURNAL_HASH, .kind = SM, .seq = NONE,
};

FIXTURE_VARIANT_ADD(tamper, deleted_row) {
	.sql = "DELETE FROM event WHERE seq = 3",
	.fault = PASSGATE_JOURNAL_MISSING, .kind = EV, .seq = 4,
};

FIXTURE_VARIANT_ADD(tamper, deleted_lost_row) {
	.sql = "DELETE FROM event WHERE seq = 7",
	.fault = PASSGATE_JOURNAL_MISSING, .kind = EV, .seq = 9,
};

/* Room made at seq 4 by renumbering what follows, a forged row put in. */
FIXTURE_VARIANT_ADD(tamper, inserted_row) {
	.sql = "UPDATE event SET pos = pos + 1000000, seq = seq + 1000000"
	       " WHERE seq >= 4;"
	       "UPDATE event SET pos = pos - 999999, seq = seq - 999999"
	       " WHERE seq >= 1000000;"
	       "INSERT INTO event (pos, stream, seq, gate, time_ns, stored_ns,"
	       " type, lane, arg, value, data, hash) SELECT pos + 1, stream,"
	       " seq + 1, gate, time_ns, stored_ns, type, lane, arg, value,"
	       " data, hash FROM event WHERE seq = 3",
	.fault = PASSGATE_JOURNAL_HASH, .kind = EV, .seq = 4,
};

FIXTURE_VARIANT_ADD(tamper, appended_row) {
	.sql = "INSERT INTO event (pos, stream, seq, gate, time_ns, stored_ns,"
	       " type, lane, arg, value, data, hash) SELECT pos + 1, stream,"
	       " seq + 1, gate, time_ns, stored_ns, type, lane, arg, value,"
	       " data, hash FROM event WHERE seq = 11",
	.fault = PASSGATE_JOURNAL_HASH, .kind = EV, .seq = 12,
};

FIXTURE_VARIANT_ADD(tamper, swapped_rows) {
	.sql = "UPDATE event SET pos = 1000000 WHERE seq = 2;"
	       "UPDATE event SET pos = pos - 1 WHERE seq = 3;"
	       "UPDATE event SET pos = (SELECT pos FROM event WHERE seq = 3)"
	       " + 1 WHERE seq = 2",
	.fault = PASSGATE_JOURNAL_SEQUENCE, .kind = EV, .seq = 3,
};

/* Rotated before seq 5: pos 1 to 6 gone, the checkpoint at pos 13. */
FIXTURE_VARIANT_ADD(tamper, rotated_untouched) {
	.rotate_before = 5,
	.fault = PASSGATE_JOURNAL_INTACT, .seq = NONE,
};

FIXTURE_VARIANT_ADD(tamper, edited_checkpoint_count) {
	.rotate_before = 5,
	.sql = "UPDATE mark SET removed = 1, removed_total = 1 WHERE kind = 3",
	.fault = PASSGATE_JOURNAL_HASH, .kind = CK, .seq = NONE,
};

FIXTURE_VARIANT_ADD(tamper, edited_checkpoint_hash) {
	.rotate_before = 5,
	.sql = "UPDATE mark SET prev_hash = zeroblob(32) WHERE kind = 3",
	.fault = PASSGATE_JOURNAL_HASH, .kind = EV, .seq = 5,
};

FIXTURE_VARIANT_ADD(tamper, edited_checkpoint_seq) {
	.rotate_before = 5,
	.sql = "UPDATE mark SET next_seq = 4 WHERE kind = 3",
	.fault = PASSGATE_JOURNAL_SEQUENCE, .kind = EV, .seq = 5,
};

FIXTURE_VARIANT_ADD(tamper, deleted_checkpoint) {
	.rotate_before = 5,
	.sql = "DELETE FROM mark WHERE kind = 3",
	.fault = PASSGATE_JOURNAL_MISSING, .kind = EV, .seq = 5,
};

FIXTURE_VARIANT_ADD(tamper, deleted_row_after_rotation) {
	.rotate_before = 5,
	.sql = "DELETE FROM event WHERE seq = 9",
	.fault = PASSGATE_JOURNAL_MISSING, .kind = EV, .seq = 10,
};

FIXTURE_VARIANT_ADD(tamper, row_put_back_before_checkpoint) {
	.rotate_before = 5,
	.sql = "INSERT INTO event (pos, stream, seq, gate, time_ns, stored_ns,"
	       " type, lane, arg, value, data, hash) SELECT pos - 2, stream,"
	       " seq - 2, gate, time_ns, stored_ns, type, lane, arg, value,"
	       " data, hash FROM event WHERE seq = 6",
	.fault = PASSGATE_JOURNAL_EXTRA, .kind = EV, .seq = 4,
};

TEST_F(tamper, verify)
{
	struct passgate_journal_report report;
	struct passgate_journal *j;
	int ret, err;

	if (variant->sql)
		ASSERT_EQ(0, raw_exec(self->path, variant->sql));
	j = passgate_journal_open(self->path, PASSGATE_JOURNAL_ANY_GATE,
				  PASSGATE_JOURNAL_RDONLY, NULL, 0);
	ASSERT_NE(NULL, j);
	ret = passgate_journal_verify(j, &report);
	err = errno;
	TH_LOG("pos %llu: %s", (unsigned long long)report.pos, report.why);
	passgate_journal_close(j);

	EXPECT_EQ(variant->fault, report.fault);
	if (variant->fault == PASSGATE_JOURNAL_INTACT) {
		EXPECT_EQ(0, ret);
		EXPECT_EQ(variant->rotate_before, report.rotated);
		EXPECT_EQ(variant->rotate_before ? 1 : 0,
			  report.rotated_stream);
		EXPECT_EQ(variant->rotate_before, report.rotated_before_seq);
		return;
	}
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBADMSG, err);
	EXPECT_EQ(variant->kind, report.kind);
	EXPECT_EQ(variant->seq, report.seq);
	EXPECT_NE(0, report.why[0]);
}

TEST_F(journal, rotation)
{
	struct passgate_journal_report report;
	struct passgate_journal_row rows[16];
	struct passgate_event ev;
	uint64_t removed;

	for (int i = 0; i < 10; i++) {
		ev = event(i, PASSGATE_EV_PASSAGE, 0, 0, 0);
		ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	}
	/* Buffered rows are flushed first; 0 to 3 go. */
	ASSERT_EQ(0, passgate_journal_rotate(self->j, 1, 4, &removed));
	EXPECT_EQ(4, removed);
	EXPECT_EQ(6, stored_rows(self->path));
	ASSERT_EQ(0, passgate_journal_verify(self->j, &report))
		TH_LOG("%s", report.why);
	EXPECT_EQ(4, report.rotated);
	EXPECT_EQ(1, report.rotated_stream);
	EXPECT_EQ(4, report.rotated_before_seq);

	/* Nothing before seq 4 is left: no new checkpoint. */
	ASSERT_EQ(0, passgate_journal_rotate(self->j, 1, 2, &removed));
	EXPECT_EQ(0, removed);
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM mark"));

	for (int i = 10; i < 15; i++) {
		ev = event(i, PASSGATE_EV_PASSAGE, 0, 0, 0);
		ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	}
	ASSERT_EQ(0, passgate_journal_rotate(self->j, 1, 12, &removed));
	EXPECT_EQ(8, removed);
	ASSERT_EQ(0, passgate_journal_verify(self->j, &report))
		TH_LOG("%s", report.why);
	EXPECT_EQ(12, report.rotated);
	EXPECT_EQ(12, report.rotated_before_seq);
	ASSERT_EQ(3, collect(self->j, NULL, rows, 16));
	EXPECT_EQ(12, rows[0].event.seq);
	/* The first checkpoint and the stream mark went with their rows. */
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM mark"));
	passgate_journal_close(self->j);

	/* The stream is known from the checkpoint alone now. */
	self->j = reopen(self->path, 0);
	ASSERT_NE(NULL, self->j);
	EXPECT_EQ(14, passgate_journal_last_seq(self->j));
	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id1));
	EXPECT_EQ(1, passgate_journal_stream(self->j));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM mark"));

	/* Everything, then carry on. */
	ASSERT_EQ(0, passgate_journal_rotate(self->j, 1, 1000, &removed));
	EXPECT_EQ(3, removed);
	EXPECT_EQ(0, stored_rows(self->path));
	passgate_journal_close(self->j);
	self->j = reopen(self->path, 0);
	ASSERT_NE(NULL, self->j);
	EXPECT_EQ(14, passgate_journal_last_seq(self->j));
	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id1));
	ev = event(15, PASSGATE_EV_PASSAGE, 0, 0, 0);
	ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	ASSERT_EQ(0, passgate_journal_flush(self->j));
	ASSERT_EQ(0, passgate_journal_verify(self->j, &report))
		TH_LOG("%s", report.why);
	EXPECT_EQ(15, report.rotated);
	EXPECT_EQ(15, report.rotated_before_seq);
	EXPECT_EQ(2, report.records);
}

TEST_F(journal, queries)
{
	struct passgate_journal_filter f = { 0 };
	struct passgate_journal_row rows[32];
	struct passgate_event ev;
	int64_t first_late;
	int n;

	ASSERT_EQ(0, append_standard(self->j));

	f.flags = PASSGATE_JOURNAL_F_LANE;
	f.lane = 1;
	ASSERT_EQ(4, collect(self->j, &f, rows, 32));
	EXPECT_EQ(4, rows[0].event.seq);
	EXPECT_EQ(5, rows[1].event.seq);
	EXPECT_EQ(6, rows[2].event.seq);
	EXPECT_EQ(9, rows[3].event.seq);

	f.lane = PASSGATE_LANE_NONE;
	ASSERT_EQ(2, collect(self->j, &f, rows, 32));
	EXPECT_EQ(0, rows[0].event.seq);
	EXPECT_EQ(7, rows[1].event.seq);

	f.flags = PASSGATE_JOURNAL_F_TYPES;
	f.types = 1ull << PASSGATE_EV_SCAN | 1ull << PASSGATE_EV_VERDICT;
	ASSERT_EQ(3, collect(self->j, &f, rows, 32));
	EXPECT_EQ(1, rows[0].event.seq);
	EXPECT_EQ(4, rows[1].event.seq);
	EXPECT_EQ(5, rows[2].event.seq);
	EXPECT_EQ(3 * US, rows[2].verdict.decided_ns -
		  rows[2].verdict.received_ns);

	f.flags |= PASSGATE_JOURNAL_F_LANE;
	f.lane = 0;
	ASSERT_EQ(1, collect(self->j, &f, rows, 32));
	EXPECT_EQ(1, rows[0].event.seq);

	f.flags = PASSGATE_JOURNAL_F_NEWEST_FIRST;
	f.limit = 2;
	ASSERT_EQ(2, collect(self->j, &f, rows, 32));
	EXPECT_EQ(11, rows[0].event.seq);
	EXPECT_EQ(10, rows[1].event.seq);

	f.flags = PASSGATE_JOURNAL_F_SEQ;
	f.limit = 0;
	f.stream = 1;
	f.first_seq = 3;
	f.last_seq = 6;
	ASSERT_EQ(4, collect(self->j, &f, rows, 32));
	EXPECT_EQ(3, rows[0].event.seq);

	/* By wall clock: a second batch strictly after the first's times. */
	f = (struct passgate_journal_filter) {
		.flags = PASSGATE_JOURNAL_F_NEWEST_FIRST, .limit = 1,
	};
	ASSERT_EQ(1, collect(self->j, &f, rows, 32));
	first_late = rows[0].stored_ns + 1;
	while (now_ns(CLOCK_REALTIME) < first_late)
		;	/* at most a nanosecond: the clock's resolution */
	for (int i = 12; i < 15; i++) {
		ev = event(i, PASSGATE_EV_PASSAGE, 1, 0, 0);
		ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
	}
	ASSERT_EQ(0, passgate_journal_flush(self->j));

	f = (struct passgate_journal_filter) {
		.flags = PASSGATE_JOURNAL_F_TIME, .from_ns = first_late,
		.until_ns = INT64_MAX,
	};
	n = collect(self->j, &f, rows, 32);
	ASSERT_EQ(3, n);
	EXPECT_EQ(12, rows[0].event.seq);
	f.from_ns = 0;
	f.until_ns = first_late;
	ASSERT_EQ(11, collect(self->j, &f, rows, 32));
	EXPECT_EQ(11, rows[10].event.seq);
	f.flags |= PASSGATE_JOURNAL_F_LANE;
	f.lane = 1;
	f.from_ns = first_late;
	f.until_ns = INT64_MAX;
	ASSERT_EQ(3, collect(self->j, &f, rows, 32));

	f.flags = 1u << 9;
	EXPECT_EQ(NULL, passgate_journal_query(self->j, &f));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(journal, latency_percentiles)
{
	struct passgate_journal_filter f = { 0 };
	struct passgate_journal_latency lat;
	struct passgate_event ev;
	uint64_t seq = 0;
	int k;

	/*
	 * Fast: decided k us after receipt (k = 1..100, shuffled), actuated
	 * 500 ns later.  Slow: k ms (k = 1..10), the even ones actuated 2 ms
	 * after deciding.  Nearest rank: p50 of n is the ceil(n/2)-th
	 * smallest, p99 the ceil(0.99 n)-th.
	 */
	for (int i = 0; i < 110; i++) {
		if (i % 11 == 10) {
			k = i / 11 + 1;
			ev = verdict(seq, 0, 0, k * MS,
				     k % 2 ? 0 : k * MS + 2 * MS);
		} else {
			k = (i - i / 11) * 37 % 100 + 1;
			ev = verdict(seq, 1, 1, k * US, k * US + 500);
		}
		ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
		seq++;
		ev = event(seq, PASSGATE_EV_PASSAGE, 0, 0, 0);
		ASSERT_EQ(0, passgate_journal_append(self->j, &ev));
		seq++;
	}
	ASSERT_EQ(0, passgate_journal_flush(self->j));

	ASSERT_EQ(0, passgate_journal_latency(self->j, NULL, &lat));
	EXPECT_EQ(100, lat.fast_decide.count);
	EXPECT_EQ(50 * US, lat.fast_decide.p50_ns);
	EXPECT_EQ(99 * US, lat.fast_decide.p99_ns);
	EXPECT_EQ(100, lat.fast_actuate.count);
	EXPECT_EQ(50 * US + 500, lat.fast_actuate.p50_ns);
	EXPECT_EQ(99 * US + 500, lat.fast_actuate.p99_ns);
	EXPECT_EQ(10, lat.slow_decide.count);
	EXPECT_EQ(5 * MS, lat.slow_decide.p50_ns);
	EXPECT_EQ(10 * MS, lat.slow_decide.p99_ns);
	EXPECT_EQ(5, lat.slow_actuate.count);
	EXPECT_EQ(8 * MS, lat.slow_actuate.p50_ns);
	EXPECT_EQ(12 * MS, lat.slow_actuate.p99_ns);

	/* The first 22 rows: verdicts 0..10, the slow one k = 1. */
	f.flags = PASSGATE_JOURNAL_F_SEQ;
	f.stream = 1;
	f.first_seq = 0;
	f.last_seq = 21;
	ASSERT_EQ(0, passgate_journal_latency(self->j, &f, &lat));
	EXPECT_EQ(10, lat.fast_decide.count);
	EXPECT_EQ(1, lat.slow_decide.count);
	EXPECT_EQ(1 * MS, lat.slow_decide.p50_ns);
	EXPECT_EQ(1 * MS, lat.slow_decide.p99_ns);
	EXPECT_EQ(0, lat.slow_actuate.count);

	/* Lane 0 holds only the slow ones. */
	f.flags = PASSGATE_JOURNAL_F_LANE;
	f.lane = 0;
	ASSERT_EQ(0, passgate_journal_latency(self->j, &f, &lat));
	EXPECT_EQ(0, lat.fast_decide.count);
	EXPECT_EQ(0, lat.fast_decide.p50_ns);
	EXPECT_EQ(10, lat.slow_decide.count);

	f.flags = PASSGATE_JOURNAL_F_TYPES;
	EXPECT_EQ(-1, passgate_journal_latency(self->j, &f, &lat));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * A VFS under SQLite whose fsync fails on demand: the stock one, with
 * xSync replaced in each method table it hands out (the unix VFS has one
 * for the database, another for its WAL).
 */
#define FAULTY_TABLES 4
static sqlite3_vfs faulty_vfs;
static struct {
	const sqlite3_io_methods *real;
	sqlite3_io_methods patched;
} faulty[FAULTY_TABLES];
static int fsync_fails, fsyncs_failed;

static int faulty_sync(sqlite3_file *file, int flags)
{
	int i;

	for (i = 0; i < FAULTY_TABLES; i++)
		if (file->pMethods == &faulty[i].patched)
			break;
	if (i == FAULTY_TABLES)
		return SQLITE_IOERR_FSYNC;
	if (fsync_fails) {
		fsyncs_failed++;
		return SQLITE_IOERR_FSYNC;
	}
	return faulty[i].real->xSync(file, flags);
}

static int faulty_open(sqlite3_vfs *vfs, sqlite3_filename name,
		       sqlite3_file *file, int flags, int *out_flags)
{
	sqlite3_vfs *real = vfs->pAppData;
	int rc = real->xOpen(real, name, file, flags, out_flags);

	if (rc != SQLITE_OK || !file->pMethods)
		return rc;
	for (int i = 0; i < FAULTY_TABLES; i++) {
		if (!faulty[i].real) {
			faulty[i].real = file->pMethods;
			faulty[i].patched = *file->pMethods;
			faulty[i].patched.xSync = faulty_sync;
		}
		if (faulty[i].real == file->pMethods) {
			file->pMethods = &faulty[i].patched;
			return rc;
		}
	}
	file->pMethods->xClose(file);
	file->pMethods = NULL;
	return SQLITE_CANTOPEN;
}

static int faulty_register(void)
{
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);

	if (!real)
		return -1;
	faulty_vfs = *real;
	faulty_vfs.zName = "passgate-faulty-fsync";
	faulty_vfs.pAppData = real;
	faulty_vfs.xOpen = faulty_open;
	return sqlite3_vfs_register(&faulty_vfs, 1) == SQLITE_OK ? 0 : -1;
}

static int append_range(struct passgate_journal *j, uint64_t first,
			uint64_t count)
{
	struct passgate_event ev;

	for (uint64_t seq = first; seq < first + count; seq++) {
		ev = event(seq, PASSGATE_EV_PASSAGE, 0, 0, 0);
		if (passgate_journal_append(j, &ev))
			return -1;
	}
	return 0;
}

static void check_after_failure(struct __test_metadata *_metadata,
				struct passgate_journal *j, int err,
				uint64_t committed)
{
	struct passgate_event ev = event(999, PASSGATE_EV_PASSAGE, 0, 0, 0);

	EXPECT_EQ(committed, passgate_journal_last_committed_seq(j));
	/* Dead from now on, loudly, with the same errno. */
	EXPECT_EQ(-1, passgate_journal_append(j, &ev));
	EXPECT_EQ(err, errno);
	EXPECT_EQ(-1, passgate_journal_flush(j));
	EXPECT_EQ(err, errno);
	EXPECT_EQ(-1, passgate_journal_flush_due(j));
	EXPECT_EQ(err, errno);
	EXPECT_EQ(-1, passgate_journal_rotate(j, 1, 0, NULL));
	EXPECT_EQ(err, errno);
}

TEST_F(journal, fsync_failure_is_fatal)
{
	struct passgate_journal_report report;
	struct stat st;
	long long rows;
	char wal[160];

	/* The fixture's handle was opened on the stock VFS. */
	passgate_journal_close(self->j);
	ASSERT_EQ(0, faulty_register());
	self->j = reopen(self->path, 0);
	ASSERT_NE(NULL, self->j);
	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id1));
	ASSERT_EQ(0, append_range(self->j, 0, 3));
	ASSERT_EQ(0, passgate_journal_flush(self->j));

	fsync_fails = 1;
	ASSERT_EQ(0, append_range(self->j, 3, 2));
	EXPECT_EQ(-1, passgate_journal_flush(self->j));
	EXPECT_EQ(EIO, errno);
	EXPECT_LT(0, fsyncs_failed);
	TH_LOG("%s", passgate_journal_errmsg(self->j));
	EXPECT_NE(NULL, strstr(passgate_journal_errmsg(self->j), "COMMIT"));
	check_after_failure(_metadata, self->j, EIO, 2);
	passgate_journal_close(self->j);

	/*
	 * SQLite wrote the frames before their fsync failed, so the rows
	 * may be in the file although never acknowledged: after a failed
	 * fsync the file's state is uncertain (hence exit, not retry).
	 * What holds: the acknowledged rows are there, and whatever is
	 * there chains.
	 */
	fsync_fails = 0;
	snprintf(wal, sizeof(wal), "%s-wal", self->path);
	ASSERT_EQ(0, stat(wal, &st));
	EXPECT_LT(0, st.st_size);
	self->j = reopen(self->path, 0);
	ASSERT_NE(NULL, self->j);
	/* The new writer wrote the WAL into the database, synced. */
	ASSERT_EQ(0, stat(wal, &st));
	EXPECT_EQ(0, st.st_size);
	rows = stored_rows(self->path);
	TH_LOG("%lld rows after reopening", rows);
	EXPECT_TRUE(rows == 3 || rows == 5);
	EXPECT_EQ(rows - 1, passgate_journal_last_seq(self->j));
	EXPECT_EQ(0, passgate_journal_verify(self->j, &report))
		TH_LOG("%s", report.why);
}

TEST_F(journal, full_disk_is_fatal)
{
	struct passgate_journal_report report;
	struct rlimit limit;
	char wal[160];
	struct stat st;

	ASSERT_EQ(0, append_range(self->j, 0, 3));
	ASSERT_EQ(0, passgate_journal_flush(self->j));
	snprintf(wal, sizeof(wal), "%s-wal", self->path);
	ASSERT_EQ(0, stat(wal, &st));

	/*
	 * The WAL may not grow: the next commit's write gets EFBIG, which
	 * SQLite reports as an I/O error (a full disk is ENOSPC).
	 */
	ASSERT_NE(SIG_ERR, signal(SIGXFSZ, SIG_IGN));
	ASSERT_EQ(0, getrlimit(RLIMIT_FSIZE, &limit));
	limit.rlim_cur = st.st_size;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &limit));
	ASSERT_EQ(0, passgate_journal_set_batch(self->j, 4096, 10000));
	ASSERT_EQ(0, append_range(self->j, 3, 200));
	EXPECT_EQ(-1, passgate_journal_flush(self->j));
	EXPECT_EQ(EIO, errno);
	TH_LOG("%s", passgate_journal_errmsg(self->j));
	EXPECT_NE(NULL, strstr(passgate_journal_errmsg(self->j), "COMMIT"));
	check_after_failure(_metadata, self->j, EIO, 2);
	limit.rlim_cur = limit.rlim_max;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &limit));
	passgate_journal_close(self->j);

	self->j = reopen(self->path, 0);
	ASSERT_NE(NULL, self->j);
	EXPECT_EQ(2, passgate_journal_last_seq(self->j));
	EXPECT_EQ(3, stored_rows(self->path));
	EXPECT_EQ(0, passgate_journal_verify(self->j, &report))
		TH_LOG("%s", report.why);
}

TEST_F(journal, second_writer_detected)
{
	struct passgate_journal *other;

	other = reopen(self->path, 0);
	ASSERT_NE(NULL, other);
	ASSERT_EQ(0, passgate_journal_begin_stream(other, id1));
	ASSERT_EQ(0, append_range(self->j, 0, 2));
	ASSERT_EQ(0, passgate_journal_flush(self->j));

	ASSERT_EQ(0, append_range(other, 0, 1));
	EXPECT_EQ(-1, passgate_journal_flush(other));
	EXPECT_EQ(EBUSY, errno);
	passgate_journal_close(other);
	EXPECT_EQ(2, stored_rows(self->path));
}

TEST_F(journal, read_only_handle_refuses_writes)
{
	struct passgate_journal *reader;
	struct passgate_event ev = event(0, PASSGATE_EV_PASSAGE, 0, 0, 0);

	reader = reopen(self->path, PASSGATE_JOURNAL_RDONLY);
	ASSERT_NE(NULL, reader);
	EXPECT_EQ(-1, passgate_journal_begin_stream(reader, id1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, passgate_journal_append(reader, &ev));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, passgate_journal_flush(reader));
	EXPECT_EQ(EBADF, errno);
	passgate_journal_close(reader);
}

TEST_F(journal, schema_version_mismatch_refused)
{
	char err[256] = "";

	passgate_journal_close(self->j);
	self->j = NULL;
	ASSERT_EQ(0, raw_exec(self->path, "PRAGMA user_version = 3"));
	EXPECT_EQ(NULL, passgate_journal_open(self->path, GATE, 0, err,
					      sizeof(err)));
	EXPECT_EQ(ENOTSUP, errno);
	EXPECT_NE(NULL, strstr(err, "version 3")) TH_LOG("%s", err);
	EXPECT_EQ(NULL, passgate_journal_open(self->path, GATE,
					      PASSGATE_JOURNAL_RDONLY, err,
					      sizeof(err)));
	EXPECT_EQ(ENOTSUP, errno);

	/* Back to 2, it opens again: the refusal was the version's. */
	ASSERT_EQ(0, raw_exec(self->path, "PRAGMA user_version = 2"));
	self->j = reopen(self->path, 0);
	ASSERT_NE(NULL, self->j);
}

TEST_F(journal, foreign_files_refused)
{
	char other[160], err[256] = "";
	sqlite3 *db;
	FILE *f;

	/* Another gate's journal. */
	EXPECT_EQ(NULL, passgate_journal_open(self->path, GATE + 1, 0, err,
					      sizeof(err)));
	EXPECT_EQ(EBADMSG, errno);
	EXPECT_NE(NULL, strstr(err, "gate 7")) TH_LOG("%s", err);

	/* A database of something else: refused and left as it was. */
	snprintf(other, sizeof(other), "%s/other.db", self->dir);
	ASSERT_EQ(SQLITE_OK, sqlite3_open(other, &db));
	ASSERT_EQ(SQLITE_OK, sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL,
					  NULL));
	sqlite3_close(db);
	EXPECT_EQ(NULL, passgate_journal_open(other, GATE, 0, err,
					      sizeof(err)));
	EXPECT_EQ(EBADMSG, errno);
	EXPECT_EQ(1, raw_int(other, "SELECT count(*) FROM sqlite_schema"));

	/* Not a database at all. */
	f = fopen(other, "w");
	ASSERT_NE(NULL, f);
	fputs("certainly not SQLite, but long enough to have a header......"
	      "................................................\n", f);
	fclose(f);
	EXPECT_EQ(NULL, passgate_journal_open(other, GATE, 0, err,
					      sizeof(err)));
	EXPECT_EQ(EBADMSG, errno);

	/* Absent, and not asked to create. */
	snprintf(other, sizeof(other), "%s/absent.journal", self->dir);
	EXPECT_EQ(NULL, passgate_journal_open(other, GATE, 0, err,
					      sizeof(err)));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(NULL, passgate_journal_open(other, GATE,
					      PASSGATE_JOURNAL_RDONLY, err,
					      sizeof(err)));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_NE(0, access(other, F_OK));
}

TEST_HARNESS_MAIN
