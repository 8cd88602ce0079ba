// SPDX-License-Identifier: GPL-2.0-only
/*
 * Signed lists on the gate and the "1+1-1" policy: the policy program
 * pinned, lists verified and swapped in by the same code passgated and
 * passgatectl use, every refusal leaving the active generation deciding,
 * an atomic swap under load, expiry, and the daemon killed and restarted.
 * Scans come through lane 1's write() path (and lane 0's UART once).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include "policy_env.h"
#include "common/digest.h"
#include "gate/core/install.h"
#include "gate/core/state.h"
#include "common/listfile.h"
#include "common/minisign.h"

#define ID_KEY "passgate-selftest-deployment-key"
#define LANE 1

struct list_row {
	const char *code;
	unsigned int status;
	const char *id;
	unsigned int flags;
	uint32_t valid_until;
};

FIXTURE(policy) {
	char dir[64];
	char config[PATH_MAX];
	struct passgate_config cfg;
	struct passgate_seckey *sec;
	struct passgate_policy *policy;
	struct passgate_gate *gate;
	int events;
	int board;
	pid_t daemon;
};

static void path_in(FIXTURE_DATA(policy) *self, char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", self->dir, name);
}

FIXTURE_SETUP(policy)
{
	char path[PATH_MAX], pub[PATH_MAX], text[2048], err[256];
	struct passgate_key k = { .size = sizeof(k) };
	bool adopted;

	ASSERT_EQ(0, gate_restore());
	snprintf(self->dir, sizeof(self->dir), "/tmp/policy-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	path_in(self, path, "trust");
	ASSERT_EQ(0, mkdir(path, 0700));
	path_in(self, pub, "trust/issuer.pub");
	path_in(self, path, "issuer.key");
	ASSERT_EQ(0, passgate_seckey_generate(pub, path, err, sizeof(err)))
		TH_LOG("%s", err);
	self->sec = passgate_seckey_load(path, err, sizeof(err));
	ASSERT_NE(NULL, self->sec);
	path_in(self, path, "id.key");
	ASSERT_EQ(0, file_write(path, ID_KEY, 32));

	snprintf(text, sizeof(text),
		 "# written by policy_test\n"
		 "gate = 0\n"
		 "trust_dir = %s/trust\nspool_dir = %s/spool\n"
		 "state_dir = %s/state\nid_key_file = %s/id.key\n"
		 "pin_root = /sys/fs/bpf/passgate-test\n"
		 "pair_window_ms = 60000\n",
		 self->dir, self->dir, self->dir, self->dir);
	path_in(self, self->config, "passgated.conf");
	ASSERT_EQ(0, file_write(self->config, text, strlen(text)));
	passgate_config_defaults(&self->cfg);
	ASSERT_EQ(0, passgate_config_load(self->config, &self->cfg, err,
					  sizeof(err))) TH_LOG("%s", err);
	/* A new gate's rollback record, as its install seeds it. */
	ASSERT_EQ(0, passgate_record_seed(self->cfg.state_dir, 0, 0));

	self->events = gate_open(0, O_RDWR | O_NONBLOCK);
	self->gate = passgate_gate_open(0, O_RDWR);
	ASSERT_NE(NULL, self->gate);
	ASSERT_LE(0, self->events);
	ASSERT_LE(0, lseek(self->events, 0, SEEK_END));
	memcpy(k.key, ID_KEY, sizeof(k.key));
	if (ioctl(self->events, PASSGATE_IOC_GATE_SET_KEY, &k))
		ASSERT_EQ(EEXIST, errno);
	self->board = lane_open(0, LANE, "scanboard", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->board);

	passgate_policy_unpin(self->cfg.pin_root, 0);
	self->policy = passgate_policy_open(self->cfg.pin_root, 0,
					    &self->cfg.policy, &adopted);
	ASSERT_NE(NULL, self->policy);
	EXPECT_FALSE(adopted);
	self->daemon = -1;
}

FIXTURE_TEARDOWN(policy)
{
	char cmd[128];

	if (self->daemon > 0) {
		kill(self->daemon, SIGKILL);
		waitpid(self->daemon, NULL, 0);
	}
	passgate_policy_close(self->policy);
	passgate_policy_unpin(self->cfg.pin_root, 0);
	passgate_seckey_free(self->sec);
	close(self->events);
	passgate_gate_close(self->gate);
	close(self->board);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
	gate_restore();
}

static void row_entry(const struct list_row *row,
		      struct passgate_list_entry *e)
{
	uint8_t digest[PASSGATE_DIGEST_SIZE];

	memset(e, 0, sizeof(*e));
	passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, row->code,
				strlen(row->code), NULL, digest);
	memcpy(e->digest, digest, sizeof(e->digest));
	e->status = row->status;
	e->flags = row->flags;
	e->valid_until = row->valid_until;
	if (row->id) {
		passgate_digest_compute(PASSGATE_CRED_ID_CARD, row->id,
					strlen(row->id),
					(const uint8_t *)ID_KEY, digest);
		memcpy(e->id_digest, digest, sizeof(e->id_digest));
	}
}

/* The station the next lists name (NULL: none, for every station). */
static const char *list_station;

/* Sign a list into the fixture's folder; the path goes to @path. */
static int make_list(FIXTURE_DATA(policy) *self, char *path,
		     const char *name, unsigned int kind, uint64_t generation,
		     uint64_t base, int64_t expires_in,
		     const struct list_row *rows, size_t n)
{
	struct passgate_list_info info = {
		.kind = kind,
		.generation = generation,
		.base_generation = base,
		.issued_at = time(NULL),
		.not_before = time(NULL) - 60,
		.expires_at = time(NULL) + expires_in,
	};
	struct passgate_list_entry *entries = calloc(n + 1, sizeof(*entries));
	char err[256];
	size_t i;
	int ret;

	if (list_station)
		snprintf(info.station, sizeof(info.station), "%s",
			 list_station);
	for (i = 0; i < n; i++)
		row_entry(&rows[i], &entries[i]);
	path_in(self, path, name);
	ret = passgate_listfile_write(path, &info, entries, n, self->sec, err,
				      sizeof(err));
	if (ret)
		fprintf(stderr, "# make_list %s: %s\n", name, err);
	free(entries);
	return ret;
}

static int install(FIXTURE_DATA(policy) *self, const char *path,
		   enum passgate_refusal *refusal)
{
	struct passgate_list_info info;
	enum passgate_refusal r;
	char err[512] = "";
	int ret;

	ret = passgate_install_list(&self->cfg, self->policy, self->gate,
				    path, &info, refusal ? refusal : &r, err,
				    sizeof(err));
	if (ret)
		fprintf(stderr, "# install %s: %s\n", path, err);
	return ret;
}

/* Scan through lane 1's bridge and return the verdict and its reason. */
static int scan(FIXTURE_DATA(policy) *self, unsigned int kind,
		const char *token, int temperature, unsigned int *reason)
{
	return lane_scan(self->board, self->events, LANE, kind, token,
			 temperature, reason);
}

#define EXPECT_VERDICT(_verdict, _reason, _kind, _token, _temp)		\
	do {								\
		unsigned int _r = ~0u;					\
		EXPECT_EQ(_verdict, scan(self, _kind, _token, _temp, &_r)) \
			TH_LOG("%s", _token);				\
		EXPECT_EQ(_reason, _r) TH_LOG("%s", _token);		\
		ASSERT_EQ(0, lane_relock(LANE));					\
	} while (0)

#define CODE PASSGATE_CRED_HEALTH_CODE
#define ID PASSGATE_CRED_ID_CARD
#define ACCEPT PASSGATE_VERDICT_ACCEPT
#define DENY PASSGATE_VERDICT_DENY
#define PENDING PASSGATE_VERDICT_PENDING

static const struct list_row table_rows[] = {
	{ .code = "HC:GREEN:ALONE", .status = PASSGATE_STATUS_GREEN },
	{ .code = "HC:GREEN:BOUND", .status = PASSGATE_STATUS_GREEN,
	  .id = "110101199003070011" },
	{ .code = "HC:GREEN:TICKET", .status = PASSGATE_STATUS_GREEN,
	  .flags = PASSGATE_ENTRY_TICKET },
	{ .code = "HC:YELLOW", .status = PASSGATE_STATUS_YELLOW },
	{ .code = "HC:RED", .status = PASSGATE_STATUS_RED },
	{ .code = "HC:GREEN:LAPSED", .status = PASSGATE_STATUS_GREEN,
	  .valid_until = 1000000000 },
};

TEST_F(policy, the_policy_table)
{
	struct policy_config pc = self->cfg.policy;
	char list[PATH_MAX];

	ASSERT_EQ(0, make_list(self, list, "g1.pgl", PASSGATE_LIST_FULL, 1, 0,
			       3600, table_rows, ARRAY_SIZE(table_rows)));
	ASSERT_EQ(0, install(self, list, NULL));

	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:GREEN:ALONE", -1);
	EXPECT_VERDICT(DENY, PASSGATE_REASON_MANUAL_CHECK, CODE, "HC:YELLOW",
		       -1);
	EXPECT_VERDICT(DENY, PASSGATE_REASON_RED, CODE, "HC:RED", -1);
	EXPECT_VERDICT(DENY, PASSGATE_REASON_UNKNOWN, CODE, "HC:NOBODY", -1);
	EXPECT_VERDICT(DENY, PASSGATE_REASON_NOT_VALID, CODE,
		       "HC:GREEN:LAPSED", -1);
	/* Fever screening is off unless configured: a fever passes. */
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:GREEN:ALONE", 3810);
	pc.fever_centi_c = 3730;
	ASSERT_EQ(0, passgate_policy_set_config(self->policy, &pc));
	EXPECT_VERDICT(DENY, PASSGATE_REASON_FEVER, CODE, "HC:GREEN:ALONE",
		       3810);
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:GREEN:ALONE", 3650);
	/* Screening on, no temperature: never a silent accept. */
	EXPECT_VERDICT(DENY, PASSGATE_REASON_NO_TEMPERATURE, CODE,
		       "HC:GREEN:ALONE", -1);
	EXPECT_VERDICT(DENY, PASSGATE_REASON_NO_TEMPERATURE, ID,
		       "110101199003070011", -1);
	/* ... or, so configured, asked of the slow path. */
	pc.no_temperature = POLICY_FALLBACK_DEFER;
	ASSERT_EQ(0, passgate_policy_set_config(self->policy, &pc));
	{
		struct passgate_verdict_cmd cmd = {
			.size = sizeof(cmd),
			.verdict = DENY,
			.reason = PASSGATE_REASON_MANUAL_CHECK,
		};
		struct passgate_scan s;
		__u8 frame[PASSGATE_FRAME_MAX];
		size_t n;

		n = board_scan_frame(frame, sizeof(frame), 1, CODE,
				     "HC:GREEN:ALONE", -1);
		ASSERT_EQ(n, write(self->board, frame, n));
		ASSERT_EQ(sizeof(s), read(self->board, &s, sizeof(s)));
		EXPECT_EQ(0, s.flags & PASSGATE_SCAN_F_TEMPERATURE);
		EXPECT_EQ(0, memcmp("HC:GREEN:ALONE", s.token, s.token_len));
		cmd.scan_id = s.scan_id;
		ASSERT_EQ(0, ioctl(self->board, PASSGATE_IOC_VERDICT, &cmd));
		ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_VERDICT,
					     LANE, NULL));
	}
	pc.fever_centi_c = 0;
	pc.no_temperature = POLICY_FALLBACK_DENY;
	ASSERT_EQ(0, passgate_policy_set_config(self->policy, &pc));

	/* Code, then its ID; ID, then its code; a stranger's ID. */
	EXPECT_VERDICT(PENDING, PASSGATE_REASON_WAIT_ID, CODE,
		       "HC:GREEN:BOUND", -1);
	EXPECT_VERDICT(ACCEPT, 0, ID, "110101199003070011", -1);
	EXPECT_VERDICT(PENDING, PASSGATE_REASON_WAIT_CODE, ID,
		       "110101199003070011", -1);
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:GREEN:BOUND", -1);
	EXPECT_VERDICT(PENDING, PASSGATE_REASON_WAIT_ID, CODE,
		       "HC:GREEN:BOUND", -1);
	EXPECT_VERDICT(DENY, PASSGATE_REASON_ID_MISMATCH, ID,
		       "110101199003079999", -1);

	/* Settings, changed in the pinned map while it decides. */
	pc.require_ticket = 1;
	ASSERT_EQ(0, passgate_policy_set_config(self->policy, &pc));
	EXPECT_VERDICT(DENY, PASSGATE_REASON_NO_TICKET, CODE, "HC:GREEN:ALONE",
		       -1);
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:GREEN:TICKET", -1);
	pc.require_ticket = 0;
	pc.passback_ns = 600ull * 1000000000ull;
	ASSERT_EQ(0, passgate_policy_set_config(self->policy, &pc));
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:GREEN:ALONE", -1);
	EXPECT_VERDICT(DENY, PASSGATE_REASON_PASSBACK, CODE, "HC:GREEN:ALONE",
		       -1);
	pc.unknown = POLICY_FALLBACK_DEFER;
	ASSERT_EQ(0, passgate_policy_set_config(self->policy, &pc));
	{
		struct passgate_scan s;
		struct passgate_verdict_cmd cmd = { .size = sizeof(cmd) };
		__u8 frame[PASSGATE_FRAME_MAX];
		size_t n;

		n = board_scan_frame(frame, sizeof(frame), 1, CODE,
				     "HC:STRANGER", -1);
		ASSERT_EQ(n, write(self->board, frame, n));
		ASSERT_EQ(sizeof(s), read(self->board, &s, sizeof(s)));
		EXPECT_EQ(0, memcmp("HC:STRANGER", s.token, s.token_len));
		cmd.scan_id = s.scan_id;
		cmd.verdict = DENY;
		cmd.reason = PASSGATE_REASON_MANUAL_CHECK;
		EXPECT_EQ(0, ioctl(self->board, PASSGATE_IOC_VERDICT, &cmd));
		/* Its verdict, from the slow path. */
		{
			struct passgate_verdict_record rec;
			struct passgate_event ev;

			ASSERT_EQ(0, gate_wait_event(self->events,
						     PASSGATE_EV_VERDICT, LANE,
						     &ev));
			memcpy(&rec, ev.data, sizeof(rec));
			EXPECT_EQ(PASSGATE_REASON_MANUAL_CHECK, rec.reason);
		}
	}

	/* A closed lane opens for nobody. */
	{
		int fd = lane_open(0, LANE, "turnstile", O_RDWR);
		unsigned int r;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, lane_set_mode(fd, PASSGATE_MODE_CLOSED));
		EXPECT_EQ(DENY, scan(self, CODE, "HC:GREEN:TICKET", -1, &r));
		EXPECT_EQ(PASSGATE_REASON_LANE_BUSY, r);
		close(fd);
	}
}

TEST_F(policy, kernel_and_issuer_compute_the_same_digests)
{
	uint8_t mine[PASSGATE_DIGEST_SIZE];
	struct passgate_event ev;
	int tty = board_open();

	ASSERT_LE(0, tty);
	ASSERT_EQ(0, board_send_scan(tty, 1, ID, "11010119900307001X", -1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_SCAN, 0, &ev));
	ASSERT_EQ(0, passgate_digest_compute(ID, "11010119900307001X", 18,
					     (const uint8_t *)ID_KEY, mine));
	EXPECT_EQ(0, memcmp(mine, ev.data, sizeof(mine)));

	ASSERT_EQ(0, board_send_scan(tty, 2, PASSGATE_CRED_TICKET, "T:G1234",
				     -1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_SCAN, 0, &ev));
	ASSERT_EQ(0, passgate_digest_compute(PASSGATE_CRED_TICKET, "T:G1234",
					     7, NULL, mine));
	EXPECT_EQ(0, memcmp(mine, ev.data, sizeof(mine)));
	close(tty);
}

/* Every refusal: nothing changes, and generation 2 keeps deciding. */
TEST_F(policy, refusals_change_nothing)
{
	static const struct list_row green[] = {
		{ .code = "HC:GREEN:ALONE", .status = PASSGATE_STATUS_GREEN },
	};
	static const struct list_row red[] = {
		{ .code = "HC:GREEN:ALONE", .status = PASSGATE_STATUS_RED },
	};
	struct passgate_policy_active active;
	struct passgate_seckey *other;
	enum passgate_refusal refusal;
	char list[PATH_MAX], path[PATH_MAX], err[256];
	struct passgate_event ev;
	struct stat st;
	int fd;

	time_t made = time(NULL);

	ASSERT_EQ(0, make_list(self, list, "g2.pgl", PASSGATE_LIST_FULL, 2, 0,
			       3600, green, 1));
	ASSERT_EQ(0, install(self, list, NULL));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(2, ev.value);
	/* The event says until when, as the signed header does. */
	{
		struct passgate_list_claim claim;

		memcpy(&claim, ev.data, sizeof(claim));
		EXPECT_LE((uint64_t)made + 3600, claim.expires_at);
		EXPECT_GE((uint64_t)time(NULL) + 3600, claim.expires_at);
	}

#define REFUSED(_why)							\
	do {								\
		EXPECT_EQ(-1, install(self, list, &refusal));		\
		EXPECT_EQ(_why, refusal);				\
		ASSERT_EQ(0, gate_wait_event(self->events,		\
					     PASSGATE_EV_LIST_REFUSED,	\
					     PASSGATE_LANE_NONE, &ev));	\
		EXPECT_EQ(_why, ev.arg);				\
		ASSERT_EQ(0, passgate_policy_active(self->policy, &active)); \
		EXPECT_EQ(2, active.generation);			\
		EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:GREEN:ALONE", -1);	\
	} while (0)

	/* Not above the last accepted (same, then older). */
	ASSERT_EQ(0, make_list(self, list, "g2b.pgl", PASSGATE_LIST_FULL, 2, 0,
			       3600, red, 1));
	REFUSED(PASSGATE_REFUSED_ROLLBACK);
	ASSERT_EQ(0, make_list(self, list, "g1.pgl", PASSGATE_LIST_FULL, 1, 0,
			       3600, red, 1));
	REFUSED(PASSGATE_REFUSED_ROLLBACK);

	/* Expired; a delta on another base. */
	ASSERT_EQ(0, make_list(self, list, "g3x.pgl", PASSGATE_LIST_FULL, 3, 0,
			       -10, red, 1));
	REFUSED(PASSGATE_REFUSED_EXPIRED);
	ASSERT_EQ(0, make_list(self, list, "d4.pgl", PASSGATE_LIST_DELTA, 4, 3,
			       3600, red, 1));
	REFUSED(PASSGATE_REFUSED_BASE);

	/* A byte changed after signing; signed by a key not trusted. */
	ASSERT_EQ(0, make_list(self, list, "g5.pgl", PASSGATE_LIST_FULL, 5, 0,
			       3600, red, 1));
	fd = open(list, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(1, pwrite(fd, "\x7f", 1, st.st_size - 1));
	close(fd);
	REFUSED(PASSGATE_REFUSED_UNVERIFIED);
	/* The event says which list: what its header claimed, unverified. */
	EXPECT_EQ(5, ev.value);
	{
		struct passgate_list_claim claim;

		memcpy(&claim, ev.data, sizeof(claim));
		EXPECT_EQ(PASSGATE_CLAIM_UNVERIFIED, claim.flags);
	}
	path_in(self, path, "stranger.key");
	path_in(self, list, "stranger.pub");
	ASSERT_EQ(0, passgate_seckey_generate(list, path, err, sizeof(err)));
	other = passgate_seckey_load(path, err, sizeof(err));
	ASSERT_NE(NULL, other);
	{
		struct passgate_seckey *mine = self->sec;

		self->sec = other;
		ASSERT_EQ(0, make_list(self, list, "g6.pgl", PASSGATE_LIST_FULL,
				       6, 0, 3600, red, 1));
		self->sec = mine;
	}
	passgate_seckey_free(other);
	REFUSED(PASSGATE_REFUSED_UNVERIFIED);

	/* Above the size cap. */
	ASSERT_EQ(0, make_list(self, list, "g7.pgl", PASSGATE_LIST_FULL, 7, 0,
			       3600, red, 1));
	self->cfg.max_list_bytes = 128;
	REFUSED(PASSGATE_REFUSED_UNVERIFIED);
	self->cfg.max_list_bytes = PASSGATE_LIST_MAX_BYTES;

	/* After a "reboot" (maps gone) the record still refuses a replay. */
	passgate_policy_close(self->policy);
	ASSERT_EQ(0, passgate_policy_unpin(self->cfg.pin_root, 0));
	{
		bool adopted;

		self->policy = passgate_policy_open(self->cfg.pin_root, 0,
						    &self->cfg.policy,
						    &adopted);
		ASSERT_NE(NULL, self->policy);
	}
	ASSERT_EQ(0, make_list(self, list, "g2c.pgl", PASSGATE_LIST_FULL, 2, 0,
			       3600, green, 1));
	EXPECT_EQ(-1, install(self, list, &refusal));
	EXPECT_EQ(PASSGATE_REFUSED_ROLLBACK, refusal);
	/* No list at all now: degraded, never an accept. */
	EXPECT_VERDICT(DENY, PASSGATE_REASON_LIST_EXPIRED, CODE,
		       "HC:GREEN:ALONE", -1);
#undef REFUSED
}

struct swap_load {
	FIXTURE_DATA(policy) *self;
	const char *path;
	int ret;
	int done;
};

static void *load_delta(void *arg)
{
	struct swap_load *l = arg;

	l->ret = install(l->self, l->path, NULL);
	__atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

#define SWAP_CODES 64

/*
 * A delta turns 64 GREEN codes RED while scans of all of them flow in
 * turn.  Each scan sees one whole generation: the verdicts switch from
 * ACCEPT to RED exactly once, never back and forth.
 */
TEST_F(policy, swap_under_load_is_atomic)
{
	static char names[SWAP_CODES][16];
	struct list_row green[SWAP_CODES], red[SWAP_CODES];
	char list[PATH_MAX], delta[PATH_MAX];
	struct swap_load load = { .self = self, .path = delta, .ret = -1 };
	unsigned int reason, switches = 0, scans = 0, after = 0, last = ACCEPT;
	pthread_t loader;
	int fd, v, i;

	for (i = 0; i < SWAP_CODES; i++) {
		snprintf(names[i], sizeof(names[i]), "HC:SWAP:%02d", i);
		green[i] = (struct list_row){ .code = names[i],
					      .status = PASSGATE_STATUS_GREEN };
		red[i] = (struct list_row){ .code = names[i],
					    .status = PASSGATE_STATUS_RED };
	}
	ASSERT_EQ(0, make_list(self, list, "g1.pgl", PASSGATE_LIST_FULL, 1, 0,
			       3600, green, SWAP_CODES));
	ASSERT_EQ(0, make_list(self, delta, "d2.pgl", PASSGATE_LIST_DELTA, 2,
			       1, 3600, red, SWAP_CODES));
	ASSERT_EQ(0, install(self, list, NULL));
	/* FREE: an ACCEPT needs no relock between scans. */
	fd = lane_open(0, LANE, "turnstile", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lane_set_mode(fd, PASSGATE_MODE_FREE));

	ASSERT_EQ(0, pthread_create(&loader, NULL, load_delta, &load));
	/* Scan round the codes until a full round after the load ended. */
	for (i = 0; after < SWAP_CODES && scans < 100000; scans++) {
		if (__atomic_load_n(&load.done, __ATOMIC_ACQUIRE))
			after++;
		v = scan(self, CODE, names[i], -1, &reason);
		ASSERT_TRUE(v == ACCEPT || (v == DENY &&
					    reason == PASSGATE_REASON_RED))
			TH_LOG("scan %u: verdict %d reason %u", scans, v,
			       reason);
		if ((unsigned int)v != last)
			switches++;
		last = v;
		i = (i + 1) % SWAP_CODES;
	}
	ASSERT_EQ(0, pthread_join(loader, NULL));
	ASSERT_EQ(0, load.ret);
	TH_LOG("%u scans, %u during the load", scans, scans - after);
	EXPECT_EQ(1, switches);
	EXPECT_EQ(DENY, last);
	close(fd);
}
static void show_file(const char *path);

/* Start passgated; returns once it printed "ready". */
static pid_t start_daemon(FIXTURE_DATA(policy) *self, const char *log)
{
	pid_t pid = passgated_start(self->config, log);

	if (pid < 0)
		show_file(log);
	return pid;
}

/* Wait, on inotify, until @path exists; 0 or -ETIMEDOUT. */
static int wait_for_file(const char *path)
{
	char dir[PATH_MAX], buf[4096];
	struct pollfd pfd;
	int fd, ret = -ETIMEDOUT;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO |
					IN_CLOSE_WRITE) < 0)
		return -errno;
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	for (;;) {
		if (!access(path, F_OK)) {
			ret = 0;
			break;
		}
		if (poll(&pfd, 1, GATE_WAIT_MS) != 1)
			break;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	}
	close(fd);
	return ret;
}

/* On failure, show what the daemon said. */
static void show_file(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "# %s", line);
	fclose(f);
}

static int file_has(const char *path, const char *text)
{
	char buf[8192] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && strstr(buf, text);
}

/* Drop @list into the spool as @name, as a spooler does: signature, then list. */
static int spool_list(FIXTURE_DATA(policy) *self, const char *list,
		      const char *name)
{
	char spooled[PATH_MAX], sig[PATH_MAX + 16], from[PATH_MAX + 16];
	char rel[NAME_MAX + 8];

	snprintf(rel, sizeof(rel), "spool/%s", name);
	path_in(self, spooled, rel);
	snprintf(sig, sizeof(sig), "%s.minisig", spooled);
	snprintf(from, sizeof(from), "%s.minisig", list);
	if (rename(from, sig) || rename(list, spooled))
		return -errno;
	return 0;
}

TEST_F(policy, daemon_spool_kill_and_adopt)
{
	static const struct list_row green[] = {
		{ .code = "HC:GREEN:ALONE", .status = PASSGATE_STATUS_GREEN },
	};
	char list[PATH_MAX], log[PATH_MAX];
	struct passgate_policy_active active;
	struct passgate_event ev;

	/* The daemon adopts the policy this fixture pinned. */
	path_in(self, log, "passgated.log");
	self->daemon = start_daemon(self, log);
	ASSERT_LT(0, self->daemon);
	EXPECT_TRUE(file_has(log, "adopted the policy"));

	/* A list dropped into the spool: signature first, then the list. */
	ASSERT_EQ(0, make_list(self, list, "g9.pgl", PASSGATE_LIST_FULL, 9, 0,
			       3600, green, 1));
	ASSERT_EQ(0, spool_list(self, list, "g9.pgl"));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(9, ev.value);
	path_in(self, list, "spool/processed/g9.pgl");
	EXPECT_EQ(0, wait_for_file(list));
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:GREEN:ALONE", -1);

	/* Killed: the pinned policy decides on without it. */
	kill(self->daemon, SIGKILL);
	waitpid(self->daemon, NULL, 0);
	self->daemon = -1;
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:GREEN:ALONE", -1);

	/* Restarted, it adopts the state with generation 9 active. */
	self->daemon = start_daemon(self, log);
	ASSERT_LT(0, self->daemon);
	ASSERT_EQ(0, passgate_policy_active(self->policy, &active));
	EXPECT_EQ(9, active.generation);
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:GREEN:ALONE", -1);

	/* A bad list in the spool: refused, logged, moved aside. */
	ASSERT_EQ(0, make_list(self, list, "g8.pgl", PASSGATE_LIST_FULL, 8, 0,
			       3600, green, 1));
	ASSERT_EQ(0, spool_list(self, list, "g8.pgl"));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_REFUSED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(PASSGATE_REFUSED_ROLLBACK, ev.arg);
	path_in(self, list, "spool/refused/g8.pgl.why");
	ASSERT_EQ(0, wait_for_file(list));
	EXPECT_TRUE(file_has(list, "not above the last accepted"));
}

TEST_F(policy, expiry_means_degraded_never_accept)
{
	static const struct list_row green[] = {
		{ .code = "HC:GREEN:ALONE", .status = PASSGATE_STATUS_GREEN },
	};
	char list[PATH_MAX], log[PATH_MAX];
	struct passgate_event ev;
	int ret;

	ASSERT_EQ(0, make_list(self, list, "g1.pgl", PASSGATE_LIST_FULL, 1, 0,
			       3, green, 1));
	ASSERT_EQ(0, install(self, list, NULL));
	path_in(self, log, "passgated.log");
	self->daemon = start_daemon(self, log);
	ASSERT_LT(0, self->daemon);
	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:GREEN:ALONE", -1);

	/* The daemon's timer says so when the list expires... */
	ret = gate_wait_event(self->events, PASSGATE_EV_LIST_EXPIRED,
			      PASSGATE_LANE_NONE, &ev);
	if (ret)
		show_file(log);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(1, ev.value);
	/* ...and the policy stops trusting it, daemon or not. */
	kill(self->daemon, SIGKILL);
	waitpid(self->daemon, NULL, 0);
	self->daemon = -1;
	EXPECT_VERDICT(DENY, PASSGATE_REASON_LIST_EXPIRED, CODE,
		       "HC:GREEN:ALONE", -1);
	EXPECT_TRUE(file_has(log, "degraded mode"));
}

/* This test binary's folder's parent: where make put the programs. */
static void build_dir(char *exe, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", exe, len - 1);

	exe[n > 0 ? n : 0] = '\0';
	*strrchr(exe, '/') = '\0';
	*strrchr(exe, '/') = '\0';
}

/* passgatectl load with the fixture's config; its exit status. */
static int ctl_load(FIXTURE_DATA(policy) *self, const char *list,
		    const char *more, const char *out)
{
	char cmd[6 * PATH_MAX], exe[PATH_MAX];

	build_dir(exe, sizeof(exe));
	snprintf(cmd, sizeof(cmd), "%s/bin/passgatectl --config %s load %s %s "
		 ">%s 2>&1", exe, self->config, list, more, out);
	return system(cmd);
}

/*
 * The two documented commands, as an operator types them: the list is
 * built, and passgatectl hands it to the daemon, which installs it.
 */
TEST_F(policy, csv_to_active_generation_in_two_commands)
{
	char csv[PATH_MAX], cmd[4 * PATH_MAX], exe[PATH_MAX], out[PATH_MAX];
	char log[PATH_MAX], said[PATH_MAX];
	static const char rows[] =
		"code,status,id_number,valid_from,valid_until,ticket\n"
		"HC:CSV:1,GREEN,,,,\n"
		"HC:CSV:2,RED,,,,\n";

	build_dir(exe, sizeof(exe));
	path_in(self, csv, "list.csv");
	ASSERT_EQ(0, file_write(csv, rows, strlen(rows)));
	path_in(self, out, "list-000011.pgl");
	path_in(self, log, "passgated.log");
	path_in(self, said, "load.out");
	self->daemon = start_daemon(self, log);
	ASSERT_LT(0, self->daemon);

	snprintf(cmd, sizeof(cmd),
		 "%s/bin/passgate-issuer build --secret %s/issuer.key "
		 "--csv %s --generation 11 --expires +1d -o %s >&2", exe,
		 self->dir, csv, out);
	ASSERT_EQ(0, system(cmd));
	EXPECT_EQ(0, ctl_load(self, out, "", said));
	EXPECT_TRUE(file_has(said, "generation 11 (full, 2 entries) active"))
		show_file(said);

	EXPECT_VERDICT(ACCEPT, 0, CODE, "HC:CSV:1", -1);
	EXPECT_VERDICT(DENY, PASSGATE_REASON_RED, CODE, "HC:CSV:2", -1);
}

/*
 * passgatectl load writes no gate state: a list the daemon refuses is
 * reported with the daemon's reason and changes nothing, and without a
 * daemon the list waits in the spool until one takes it.
 */
TEST_F(policy, load_reports_the_daemons_answer)
{
	static const struct list_row green[] = {
		{ .code = "HC:GREEN:ALONE", .status = PASSGATE_STATUS_GREEN },
	};
	struct passgate_policy_active active;
	char list[PATH_MAX], log[PATH_MAX], said[PATH_MAX];

	path_in(self, log, "passgated.log");
	path_in(self, said, "load.out");
	self->daemon = start_daemon(self, log);
	ASSERT_LT(0, self->daemon);
	ASSERT_EQ(0, make_list(self, list, "list-000005.pgl",
			       PASSGATE_LIST_FULL, 5, 0, 3600, green, 1));
	ASSERT_EQ(0, ctl_load(self, list, "", said)) show_file(said);
	ASSERT_EQ(0, passgate_policy_active(self->policy, &active));
	EXPECT_EQ(5, active.generation);

	/* An older generation: the daemon refuses it, nothing changes. */
	ASSERT_EQ(0, make_list(self, list, "list-000004.pgl",
			       PASSGATE_LIST_FULL, 4, 0, 3600, green, 1));
	EXPECT_NE(0, ctl_load(self, list, "", said));
	EXPECT_TRUE(file_has(said, "refused by passgated")) show_file(said);
	EXPECT_TRUE(file_has(said, "not above the last accepted"))
		show_file(said);
	ASSERT_EQ(0, passgate_policy_active(self->policy, &active));
	EXPECT_EQ(5, active.generation);

	/* No daemon: no answer, and the list stays for the next one. */
	kill(self->daemon, SIGTERM);
	waitpid(self->daemon, NULL, 0);
	self->daemon = -1;
	ASSERT_EQ(0, make_list(self, list, "list-000006.pgl",
			       PASSGATE_LIST_FULL, 6, 0, 3600, green, 1));
	EXPECT_NE(0, ctl_load(self, list, "--timeout 1", said));
	EXPECT_TRUE(file_has(said, "no answer from passgated"))
		show_file(said);
	ASSERT_EQ(0, passgate_policy_active(self->policy, &active));
	EXPECT_EQ(5, active.generation);
	self->daemon = start_daemon(self, log);
	ASSERT_LT(0, self->daemon);
	ASSERT_EQ(0, passgate_policy_active(self->policy, &active));
	EXPECT_EQ(6, active.generation);
}

/*
 * A policy pinned by another version of passgate (its settings laid out
 * otherwise) is not adopted: its program would ignore this version's
 * settings.  It is replaced, and the settings take effect.
 */
TEST_F(policy, another_versions_policy_is_replaced)
{
	struct policy_config pc = self->cfg.policy, got;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX + 16];
	bool adopted;
	int fd;

	/* The config map as an older layout had it: 8 bytes shorter. */
	snprintf(path, sizeof(path), "%s/gate0/config", self->cfg.pin_root);
	ASSERT_EQ(0, unlink(path));
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "config", 4,
			    sizeof(struct policy_config) - 8, 1, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bpf_obj_pin(fd, path));
	close(fd);
	passgate_policy_close(self->policy);

	pc.fever_centi_c = 3730;
	self->policy = passgate_policy_open(self->cfg.pin_root, 0, &pc,
					    &adopted);
	ASSERT_NE(NULL, self->policy);
	EXPECT_FALSE(adopted);
	fd = bpf_obj_get(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bpf_obj_get_info_by_fd(fd, &info, &len));
	close(fd);
	EXPECT_EQ(sizeof(struct policy_config), info.value_size);
	ASSERT_EQ(0, passgate_policy_get_config(self->policy, &got));
	EXPECT_EQ(3730, got.fever_centi_c);
}

/* The generation the record says, or -1 when it cannot be read. */
static long long record_generation(FIXTURE_DATA(policy) *self)
{
	struct passgate_record rec;

	if (passgate_record_read(self->cfg.state_dir, 0, &rec))
		return -1;
	return rec.generation;
}

static const struct list_row one_green[] = {
	{ .code = "HC:GREEN:ALONE", .status = PASSGATE_STATUS_GREEN },
};

/*
 * A list signed for another station is refused, and moves neither the
 * active generation nor the record: the station's own lists after it are
 * taken (on the old code it was installed and its generation, 5000,
 * became the record every later list of this station fell below).
 */
TEST_F(policy, another_stations_list_is_refused_and_moves_nothing)
{
	struct passgate_policy_active active;
	struct passgate_list_claim claim;
	enum passgate_refusal refusal;
	struct passgate_event ev;
	char list[PATH_MAX];

	list_station = "elsewhere";
	ASSERT_EQ(0, make_list(self, list, "a5000.pgl", PASSGATE_LIST_FULL,
			       5000, 0, 3600, one_green, 1));
	EXPECT_EQ(-1, install(self, list, &refusal));
	EXPECT_EQ(PASSGATE_REFUSED_STATION, refusal);
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_REFUSED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(PASSGATE_REFUSED_STATION, ev.arg);
	/* Which list: generation and station, verified (signed). */
	EXPECT_EQ(5000, ev.value);
	memcpy(&claim, ev.data, sizeof(claim));
	EXPECT_EQ(0, claim.flags);
	EXPECT_EQ(0, strncmp(claim.station, "elsewhere", sizeof(claim.station)));
	EXPECT_EQ(0, record_generation(self));
	EXPECT_NE(0, passgate_policy_active(self->policy, &active));

	/* This gate's station (the config's default), then no station. */
	list_station = "station";
	ASSERT_EQ(0, make_list(self, list, "b1.pgl", PASSGATE_LIST_FULL, 1, 0,
			       3600, one_green, 1));
	EXPECT_EQ(0, install(self, list, NULL));
	list_station = NULL;
	ASSERT_EQ(0, make_list(self, list, "any2.pgl", PASSGATE_LIST_FULL, 2,
			       0, 3600, one_green, 1));
	EXPECT_EQ(0, install(self, list, NULL));
	ASSERT_EQ(0, passgate_policy_active(self->policy, &active));
	EXPECT_EQ(2, active.generation);
	EXPECT_EQ(2, record_generation(self));
}

/* Run passgatectl with the fixture's config; its exit status. */
static int ctl(FIXTURE_DATA(policy) *self, const char *args)
{
	char cmd[6 * PATH_MAX], exe[PATH_MAX];

	build_dir(exe, sizeof(exe));
	snprintf(cmd, sizeof(cmd), "%s/bin/passgatectl --config %s %s >&2",
		 exe, self->config, args);
	return system(cmd);
}

/*
 * Rollback protection fails closed: with the record deleted, emptied or
 * garbled no list is taken (on the old code each of the three let an
 * older generation replace the active one) until an operator seeds it,
 * which the event stream records.
 */
TEST_F(policy, a_lost_record_refuses_every_list_until_seeded)
{
	static const char *const damage[] = { "deleted", "emptied",
					      "garbled" };
	struct passgate_policy_active active;
	enum passgate_refusal refusal;
	char list[PATH_MAX], record[PATH_MAX + 32];
	struct passgate_event ev;
	unsigned int d;

	ASSERT_EQ(0, make_list(self, list, "g6.pgl", PASSGATE_LIST_FULL, 6, 0,
			       3600, one_green, 1));
	ASSERT_EQ(0, install(self, list, NULL));
	snprintf(record, sizeof(record), "%s/gate0.generation",
		 self->cfg.state_dir);
	for (d = 0; d < 3; d++) {
		if (d == 0) {
			ASSERT_EQ(0, unlink(record));
		} else {
			ASSERT_EQ(0, file_write(record, d == 1 ? "" :
						"generation=six\n",
						d == 1 ? 0 : 15));
		}
		ASSERT_EQ(0, make_list(self, list, "g5.pgl",
				       PASSGATE_LIST_FULL, 5, 0, 3600,
				       one_green, 1));
		EXPECT_EQ(-1, install(self, list, &refusal))
			TH_LOG("record %s", damage[d]);
		EXPECT_EQ(PASSGATE_REFUSED_NO_RECORD, refusal)
			TH_LOG("record %s", damage[d]);
		ASSERT_EQ(0, passgate_policy_active(self->policy, &active));
		EXPECT_EQ(6, active.generation) TH_LOG("record %s", damage[d]);
		/* Newer lists too: nothing is taken without the record. */
		ASSERT_EQ(0, make_list(self, list, "g9.pgl",
				       PASSGATE_LIST_FULL, 9, 0, 3600,
				       one_green, 1));
		EXPECT_EQ(-1, install(self, list, &refusal));
		EXPECT_EQ(PASSGATE_REFUSED_NO_RECORD, refusal);
	}

	/* The operator seeds it; the seeding is in the event stream. */
	ASSERT_EQ(0, ctl(self, "seed-generation 6"));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_RECORD_SEEDED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(6, ev.value);
	EXPECT_EQ(6, record_generation(self));
	ASSERT_EQ(0, make_list(self, list, "g5b.pgl", PASSGATE_LIST_FULL, 5, 0,
			       3600, one_green, 1));
	EXPECT_EQ(-1, install(self, list, &refusal));
	EXPECT_EQ(PASSGATE_REFUSED_ROLLBACK, refusal);
	ASSERT_EQ(0, make_list(self, list, "g7.pgl", PASSGATE_LIST_FULL, 7, 0,
			       3600, one_green, 1));
	EXPECT_EQ(0, install(self, list, NULL));
	EXPECT_EQ(7, record_generation(self));
}

/*
 * Whatever the record says, no list older than the generation active in
 * the kernel is installed (the old code trusted a forged record).
 */
TEST_F(policy, never_older_than_the_kernels_generation)
{
	struct passgate_policy_active active;
	enum passgate_refusal refusal;
	char list[PATH_MAX];

	ASSERT_EQ(0, make_list(self, list, "g10.pgl", PASSGATE_LIST_FULL, 10, 0,
			       3600, one_green, 1));
	ASSERT_EQ(0, install(self, list, NULL));
	/* A record forged to say 3. */
	ASSERT_EQ(0, passgate_record_seed(self->cfg.state_dir, 0, 3));
	ASSERT_EQ(0, make_list(self, list, "g5.pgl", PASSGATE_LIST_FULL, 5, 0,
			       3600, one_green, 1));
	EXPECT_EQ(-1, install(self, list, &refusal));
	EXPECT_EQ(PASSGATE_REFUSED_ROLLBACK, refusal);
	ASSERT_EQ(0, passgate_policy_active(self->policy, &active));
	EXPECT_EQ(10, active.generation);
	ASSERT_EQ(0, make_list(self, list, "g11.pgl", PASSGATE_LIST_FULL, 11, 0,
			       3600, one_green, 1));
	EXPECT_EQ(0, install(self, list, NULL));
}

/* Run passgate-issuer verify on @path; its exit status, -ETIMEDOUT if it
 * did not end within GATE_WAIT_MS (it is killed). */
static int verify_bounded(FIXTURE_DATA(policy) *self, const char *path)
{
	char exe[PATH_MAX], bin[PATH_MAX + 32], trust[PATH_MAX];
	int status, waited;
	pid_t pid;

	build_dir(exe, sizeof(exe));
	snprintf(bin, sizeof(bin), "%s/bin/passgate-issuer", exe);
	path_in(self, trust, "trust");
	pid = fork();
	if (!pid) {
		execl(bin, "passgate-issuer", "verify", "--trust", trust, path,
		      (char *)NULL);
		_exit(127);
	}
	for (waited = 0; waited < GATE_WAIT_MS; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -ETIMEDOUT;
}

/*
 * Nothing but a regular file is read as a list: a FIFO named like one
 * neither hangs the daemon nor the issuer's verify (the old code waited
 * for a writer), a symbolic link is not followed, and a valid list
 * spooled behind them is taken.
 */
TEST_F(policy, fifo_and_symlink_are_refused_without_waiting)
{
	char list[PATH_MAX], spooled[PATH_MAX], sig[PATH_MAX + 16];
	char from[PATH_MAX + 16], log[PATH_MAX], why[PATH_MAX];
	enum passgate_refusal refusal;
	struct passgate_event ev;

	/* As files given to install and to verify. */
	ASSERT_EQ(0, make_list(self, list, "g4.pgl", PASSGATE_LIST_FULL, 4, 0,
			       3600, one_green, 1));
	path_in(self, spooled, "fifo.pgl");
	ASSERT_EQ(0, mkfifo(spooled, 0600));
	snprintf(sig, sizeof(sig), "%s.minisig", spooled);
	snprintf(from, sizeof(from), "%s.minisig", list);
	ASSERT_EQ(0, link(from, sig));
	EXPECT_EQ(-1, install(self, spooled, &refusal));
	EXPECT_EQ(PASSGATE_REFUSED_UNVERIFIED, refusal);
	EXPECT_EQ(1, verify_bounded(self, spooled));
	path_in(self, spooled, "link.pgl");
	ASSERT_EQ(0, symlink(list, spooled));
	snprintf(sig, sizeof(sig), "%s.minisig", spooled);
	ASSERT_EQ(0, link(from, sig));
	EXPECT_EQ(-1, install(self, spooled, &refusal));
	EXPECT_EQ(PASSGATE_REFUSED_UNVERIFIED, refusal);
	EXPECT_EQ(1, verify_bounded(self, spooled));
	EXPECT_EQ(0, verify_bounded(self, list));

	/* In the spool: the daemon refuses both and takes the list after. */
	path_in(self, log, "passgated.log");
	self->daemon = start_daemon(self, log);
	ASSERT_LT(0, self->daemon);
	path_in(self, spooled, "spool/list-000001.pgl");
	ASSERT_EQ(0, mkfifo(spooled, 0600));
	snprintf(sig, sizeof(sig), "%s.minisig", spooled);
	ASSERT_EQ(0, link(from, sig));
	path_in(self, spooled, "spool/list-000002.pgl");
	ASSERT_EQ(0, symlink(list, spooled));
	snprintf(sig, sizeof(sig), "%s.minisig", spooled);
	ASSERT_EQ(0, link(from, sig));
	/* The valid one arrives as a spooler sends: signature, then list. */
	ASSERT_EQ(0, make_list(self, list, "list-000004.pgl",
			       PASSGATE_LIST_FULL, 4, 0, 3600, one_green, 1));
	ASSERT_EQ(0, spool_list(self, list, "list-000004.pgl"));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(4, ev.value);
	path_in(self, why, "spool/refused/list-000001.pgl.why");
	EXPECT_EQ(0, wait_for_file(why));
	EXPECT_TRUE(file_has(why, "not a regular file")) show_file(log);
	path_in(self, why, "spool/refused/list-000002.pgl.why");
	EXPECT_EQ(0, wait_for_file(why));
	EXPECT_TRUE(file_has(why, "symbolic link")) show_file(log);
}

/*
 * A list loaded by hand expires like a spooled one: the daemon's timer,
 * the LIST_EXPIRED event (the old passgatectl load armed neither).
 */
TEST_F(policy, a_hand_loaded_list_expires_with_its_event)
{
	char list[PATH_MAX], log[PATH_MAX], said[PATH_MAX];
	struct passgate_event ev;

	path_in(self, log, "passgated.log");
	path_in(self, said, "load.out");
	self->daemon = start_daemon(self, log);
	ASSERT_LT(0, self->daemon);
	ASSERT_EQ(0, make_list(self, list, "list-000003.pgl",
			       PASSGATE_LIST_FULL, 3, 0, 4, one_green, 1));
	ASSERT_EQ(0, ctl_load(self, list, "", said)) show_file(said);
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_EXPIRED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(3, ev.value);
	EXPECT_VERDICT(DENY, PASSGATE_REASON_LIST_EXPIRED, CODE,
		       "HC:GREEN:ALONE", -1);
}

/*
 * On a gate with no policy, a load the daemon cannot take leaves it with
 * none: the old passgatectl load pinned a policy before checking.
 */
TEST_F(policy, a_refused_load_leaves_a_gate_without_policy_alone)
{
	char list[PATH_MAX], said[PATH_MAX], link[PATH_MAX + 32];

	passgate_policy_close(self->policy);
	self->policy = NULL;
	ASSERT_EQ(0, passgate_policy_unpin(self->cfg.pin_root, 0));
	snprintf(link, sizeof(link), "%s/gate0/link", self->cfg.pin_root);
	ASSERT_NE(0, access(link, F_OK));
	ASSERT_EQ(0, make_list(self, list, "list-000002.pgl",
			       PASSGATE_LIST_FULL, 2, 0, -10, one_green, 1));
	path_in(self, said, "load.out");
	EXPECT_NE(0, ctl_load(self, list, "--timeout 1", said));
	EXPECT_NE(0, access(link, F_OK));
	EXPECT_EQ(ENOENT, errno);
}

/* Secrets readable by others are refused, by the gate and the issuer. */
TEST_F(policy, secrets_readable_by_others_are_refused)
{
	char path[PATH_MAX], log[PATH_MAX], err[256];
	uint8_t key[32];

	path_in(self, path, "id.key");
	ASSERT_EQ(0, chmod(path, 0644));
	EXPECT_EQ(-1, passgate_digest_key_load(path, key, err, sizeof(err)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_NE(NULL, strstr(err, "chmod 600")) TH_LOG("%s", err);
	/* The daemon will not start on it. */
	path_in(self, log, "passgated.log");
	EXPECT_GT(0, passgated_start(self->config, log));
	EXPECT_TRUE(file_has(log, "chmod 600")) show_file(log);
	ASSERT_EQ(0, chmod(path, 0600));

	path_in(self, path, "issuer.key");
	ASSERT_EQ(0, chmod(path, 0640));
	EXPECT_EQ(NULL, passgate_seckey_load(path, err, sizeof(err)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_NE(NULL, strstr(err, "chmod 600")) TH_LOG("%s", err);
}

TEST_HARNESS_MAIN
