// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ID card is the train ticket (docs/policy.md, "Tickets"), through
 * the real policy program on a gate of the test's own: a GREEN code and
 * its ID card with a ticket for this station and now open the lane once;
 * a used ticket, another station's, none or one outside its window do
 * not; an expired ID card never does; the ticket list has its own
 * generations, refusals and expiry; and the tickets used here outlast a
 * reboot.  ID cards carry their validity dates as a SAM reader reads
 * them: a stand-in program stamps them on the decision ahead of the
 * policy (selftests/card_reader.h), and, end to end, the gate's own SAM
 * reader does (fixture sam_tickets).
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "policy_env.h"
#include "board.h"
#include "card_reader.h"
#include "readersim.h"
#include "samframe.h"
#include "gate/core/install.h"
#include "gate/core/state.h"
#include "gate/core/ticketlog.h"

#define LANE POLICY_ENV_LANE
#define GATE POLICY_ENV_GATE
#define STATION "hze"
#define HOUR 3600

#define CODE PASSGATE_CRED_HEALTH_CODE
#define ID PASSGATE_CRED_ID_CARD
#define ACCEPT PASSGATE_VERDICT_ACCEPT
#define DENY PASSGATE_VERDICT_DENY
#define PENDING PASSGATE_VERDICT_PENDING

/* Each passenger's code is bound to the ID card; their ticket differs. */
enum passenger {
	ALICE,		/* a ticket here, now */
	BOB,		/* a ticket to another station */
	CAROL,		/* no ticket */
	DAVE,		/* a ticket here for a later train */
	ERIN,		/* a ticket here the railway says is used */
	FRANK,		/* a ticket here; an expired ID card */
	GRACE,		/* a ticket here; a long-term ID card */
	HEIDI,		/* a ticket here for a train long gone */
	IVAN,		/* a ticket here, no window */
	PASSENGERS,
};

static const struct {
	const char *code;
	const char *id;
	const char *station;	/* NULL: no ticket */
	int from, until;	/* from now, seconds; both 0: no window */
	const char *number;
	bool used;
} people[PASSENGERS] = {
	[ALICE] = { "HC:T:ALICE", "330106199001010011", STATION, -600, HOUR,
		    "E0001" },
	[BOB] = { "HC:T:BOB", "330106199001010012", "sha", -600, HOUR,
		  "E0002" },
	[CAROL] = { "HC:T:CAROL", "330106199001010013" },
	[DAVE] = { "HC:T:DAVE", "330106199001010014", STATION, HOUR,
		   2 * HOUR, "E0004" },
	[ERIN] = { "HC:T:ERIN", "330106199001010015", STATION, -600, HOUR,
		   "E0005", true },
	[FRANK] = { "HC:T:FRANK", "330106199001010016", STATION, -600, HOUR,
		    "E0006" },
	[GRACE] = { "HC:T:GRACE", "330106199001010017", STATION, -600, HOUR,
		    "E0007" },
	[HEIDI] = { "HC:T:HEIDI", "330106199001010018", STATION, -2 * HOUR,
		    -HOUR, "E0008" },
	[IVAN] = { "HC:T:IVAN", "330106199001010019", STATION, 0, 0,
		   "E0009" },
};

/* A GREEN code bound to no ID card: it cannot name a ticket. */
#define UNBOUND "HC:T:UNBOUND"

FIXTURE(tickets) {
	struct policy_env env;
	struct card_dates_bpf *reader;
	time_t now;
	pid_t daemon;
};

static void code_list(FIXTURE_DATA(tickets) *self,
		      struct passgate_list_info *info,
		      struct passgate_list_entry *e, uint64_t generation)
{
	unsigned int i;

	*info = (struct passgate_list_info){
		.kind = PASSGATE_LIST_FULL,
		.generation = generation,
		.issued_at = self->now,
		.not_before = self->now - 60,
		.expires_at = self->now + HOUR,
	};
	memset(e, 0, (PASSENGERS + 1) * sizeof(*e));
	for (i = 0; i < PASSENGERS; i++) {
		policy_env_code_digest(people[i].code, e[i].digest,
				       sizeof(e[i].digest));
		policy_env_id_digest(people[i].id, e[i].id_digest,
				     sizeof(e[i].id_digest));
		e[i].status = PASSGATE_STATUS_GREEN;
	}
	policy_env_code_digest(UNBOUND, e[i].digest, sizeof(e[i].digest));
	e[i].status = PASSGATE_STATUS_GREEN;
}

/* Every passenger's ticket; how many. */
static size_t tickets_of(FIXTURE_DATA(tickets) *self,
			 struct passgate_ticket_entry *t)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < PASSENGERS; i++) {
		if (!people[i].station)
			continue;
		policy_env_ticket(&t[n++], people[i].id, people[i].station,
				  people[i].from || people[i].until ?
				  self->now + people[i].from : 0,
				  people[i].from || people[i].until ?
				  self->now + people[i].until : 0,
				  "G1234", people[i].number, people[i].used);
	}
	return n;
}

static void ticket_info(FIXTURE_DATA(tickets) *self,
			struct passgate_list_info *info, unsigned int kind,
			uint64_t generation, uint64_t base, int expires_in)
{
	*info = (struct passgate_list_info){
		.kind = kind,
		.generation = generation,
		.base_generation = base,
		.issued_at = self->now,
		.not_before = self->now - 60,
		.expires_at = self->now + expires_in,
		.station = STATION,
	};
}

static int install_tickets(FIXTURE_DATA(tickets) *self, uint64_t generation)
{
	struct passgate_ticket_entry t[PASSENGERS];
	struct passgate_list_info info;
	size_t n = tickets_of(self, t);

	ticket_info(self, &info, PASSGATE_LIST_FULL, generation, 0, HOUR);
	return policy_env_install_tickets(&self->env, &info, t, n);
}

FIXTURE_SETUP(tickets)
{
	struct passgate_list_entry e[PASSENGERS + 1];
	struct passgate_list_info info;
	unsigned int i;

	self->daemon = -1;
	self->now = time(NULL);
	ASSERT_EQ(0, policy_env_setup_gate(&self->env, "tickets",
					   "pair_window_ms = 60000\n"
					   "ticket = id-card\n"
					   "station = " STATION "\n", GATE));
	/* The reader before the policy: it stamps, then the policy reads. */
	self->reader = card_reader_attach(GATE);
	ASSERT_NE(NULL, self->reader);
	ASSERT_EQ(0, policy_env_open_policy(&self->env));
	/* Every card reads as valid for ten more years, FRANK's included. */
	for (i = 0; i < PASSENGERS; i++)
		ASSERT_EQ(0, card_reader_set(self->reader, POLICY_ENV_ID_KEY,
					     people[i].id, self->now - 86400,
					     self->now + 3650 * 86400));
	ASSERT_EQ(0, card_reader_set(self->reader, POLICY_ENV_ID_KEY,
				     people[GRACE].id, self->now - 86400, 0));
	code_list(self, &info, e, 1);
	ASSERT_EQ(0, policy_env_install(&self->env, &info, e, PASSENGERS + 1));
}

FIXTURE_TEARDOWN(tickets)
{
	if (self->daemon > 0)
		process_stop(self->daemon, SIGKILL);
	if (self->reader)
		card_dates_bpf__destroy(self->reader);
	policy_env_teardown(&self->env);
}

/* A scan on lane 1, its verdict and reason; the lane relocked after. */
#define EXPECT_SCAN(_verdict, _reason, _kind, _token)			\
	do {								\
		unsigned int _r = ~0u;					\
		EXPECT_EQ(_verdict, policy_env_scan(&self->env, _kind,	\
						    _token, -1, &_r))	\
			TH_LOG("%s", _token);				\
		EXPECT_EQ(_reason, _r) TH_LOG("%s: reason %u", _token, _r); \
		ASSERT_EQ(0, gate_lane_relock(GATE, LANE));		\
	} while (0)

/* Passenger @p's code, then card: the second scan's outcome. */
#define EXPECT_EXIT(_verdict, _reason, _p)				\
	do {								\
		EXPECT_SCAN(PENDING, PASSGATE_REASON_WAIT_ID, CODE,	\
			    people[_p].code);				\
		EXPECT_SCAN(_verdict, _reason, ID, people[_p].id);	\
	} while (0)

/* ... and card first, then code. */
#define EXPECT_EXIT_ID_FIRST(_verdict, _reason, _p)			\
	do {								\
		EXPECT_SCAN(PENDING, PASSGATE_REASON_WAIT_CODE, ID,	\
			    people[_p].id);				\
		EXPECT_SCAN(_verdict, _reason, CODE, people[_p].code);	\
	} while (0)

static int set_ticket(FIXTURE_DATA(tickets) *self, unsigned int ticket,
		      unsigned int degraded)
{
	struct policy_config pc;

	if (passgate_policy_get_config(self->env.policy, &pc))
		return -1;
	pc.ticket = ticket;
	pc.degraded = degraded;
	return passgate_policy_set_config(self->env.policy, &pc);
}

TEST_F(tickets, a_valid_ticket_opens_the_lane_once)
{
	ASSERT_EQ(0, install_tickets(self, 1));

	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, ALICE);
	/* The same card on the same ticket, in either order. */
	EXPECT_EXIT(DENY, PASSGATE_REASON_TICKET_USED, ALICE);
	EXPECT_EXIT_ID_FIRST(DENY, PASSGATE_REASON_TICKET_USED, ALICE);
	/* The card first the first time; a ticket with no window. */
	EXPECT_EXIT_ID_FIRST(ACCEPT, PASSGATE_REASON_NONE, IVAN);
	EXPECT_EXIT(DENY, PASSGATE_REASON_TICKET_USED, IVAN);
	/* A long-term card (valid until 0) never expires. */
	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, GRACE);
	EXPECT_EXIT(DENY, PASSGATE_REASON_TICKET_USED, GRACE);
}

/*
 * The lane still unlocked for the passenger before: the exit cannot
 * happen now (LANE_BUSY), and so uses no ticket.
 */
TEST_F(tickets, a_lane_that_cannot_open_uses_no_ticket)
{
	unsigned int r = ~0u;

	ASSERT_EQ(0, install_tickets(self, 1));
	ASSERT_EQ(0, lane_cmd_open(self->env.turnstile, PASSGATE_DIR_EXIT));
	EXPECT_EQ(PENDING, policy_env_scan(&self->env, CODE, people[ALICE].code,
					   -1, &r));
	EXPECT_EQ(DENY, policy_env_scan(&self->env, ID, people[ALICE].id, -1,
					&r));
	EXPECT_EQ(PASSGATE_REASON_LANE_BUSY, r);
	ASSERT_EQ(0, gate_lane_relock(GATE, LANE));
	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, ALICE);
}

TEST_F(tickets, no_ticket_for_here_and_now_goes_to_fare_adjustment)
{
	ASSERT_EQ(0, install_tickets(self, 1));

	EXPECT_EXIT(DENY, PASSGATE_REASON_FARE_ADJUSTMENT, BOB);
	EXPECT_EXIT(DENY, PASSGATE_REASON_FARE_ADJUSTMENT, CAROL);
	EXPECT_EXIT(DENY, PASSGATE_REASON_FARE_ADJUSTMENT, DAVE);
	EXPECT_EXIT_ID_FIRST(DENY, PASSGATE_REASON_FARE_ADJUSTMENT, HEIDI);
	/* No ID card, no ticket: the manual lane, not an open lane. */
	EXPECT_SCAN(DENY, PASSGATE_REASON_FARE_ADJUSTMENT, CODE, UNBOUND);
	/* Used by the railway's word, in either order. */
	EXPECT_EXIT(DENY, PASSGATE_REASON_TICKET_USED, ERIN);
	EXPECT_EXIT_ID_FIRST(DENY, PASSGATE_REASON_TICKET_USED, ERIN);
	/* The refusals used up nothing. */
	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, ALICE);
}

TEST_F(tickets, an_expired_card_is_refused_in_either_order)
{
	ASSERT_EQ(0, install_tickets(self, 1));
	ASSERT_EQ(0, card_reader_set(self->reader, POLICY_ENV_ID_KEY,
				     people[FRANK].id, self->now - 86400 * 3650,
				     self->now - 60));

	/* The card first: refused, and not waiting for the code. */
	EXPECT_SCAN(DENY, PASSGATE_REASON_ID_EXPIRED, ID, people[FRANK].id);
	EXPECT_SCAN(PENDING, PASSGATE_REASON_WAIT_ID, CODE, people[FRANK].code);
	/* The code first: the card completes nothing. */
	EXPECT_SCAN(DENY, PASSGATE_REASON_ID_EXPIRED, ID, people[FRANK].id);
	/* The renewed card (same number): the code waits no more. */
	ASSERT_EQ(0, card_reader_set(self->reader, POLICY_ENV_ID_KEY,
				     people[FRANK].id, self->now - 60,
				     self->now + 3650 * 86400));
	EXPECT_EXIT_ID_FIRST(ACCEPT, PASSGATE_REASON_NONE, FRANK);

	/* Ticket checking off: refused all the same. */
	ASSERT_EQ(0, set_ticket(self, POLICY_TICKET_OFF, POLICY_FALLBACK_DENY));
	ASSERT_EQ(0, card_reader_set(self->reader, POLICY_ENV_ID_KEY,
				     people[CAROL].id, 0, self->now - 1));
	EXPECT_EXIT(DENY, PASSGATE_REASON_ID_EXPIRED, CAROL);
	EXPECT_SCAN(DENY, PASSGATE_REASON_ID_EXPIRED, ID, people[CAROL].id);
	EXPECT_SCAN(PENDING, PASSGATE_REASON_WAIT_ID, CODE, people[CAROL].code);
	/* A card read without dates (an older reader): as before. */
	ASSERT_EQ(0, card_reader_forget(self->reader, POLICY_ENV_ID_KEY,
					people[CAROL].id));
	EXPECT_SCAN(ACCEPT, PASSGATE_REASON_NONE, ID, people[CAROL].id);
}

TEST_F(tickets, ticket_checking_off_is_the_policy_of_before)
{
	ASSERT_EQ(0, set_ticket(self, POLICY_TICKET_OFF, POLICY_FALLBACK_DENY));
	/* No ticket list at all, and no ticket needed. */
	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, CAROL);
	EXPECT_SCAN(ACCEPT, PASSGATE_REASON_NONE, CODE, UNBOUND);
	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, ALICE);
	EXPECT_EXIT_ID_FIRST(ACCEPT, PASSGATE_REASON_NONE, ALICE);

	/* On, without a ticket list: degraded, denied... */
	ASSERT_EQ(0, set_ticket(self, POLICY_TICKET_ID_CARD,
				POLICY_FALLBACK_DENY));
	EXPECT_SCAN(DENY, PASSGATE_REASON_LIST_EXPIRED, CODE,
		    people[ALICE].code);
	EXPECT_SCAN(DENY, PASSGATE_REASON_LIST_EXPIRED, ID, people[ALICE].id);
	/* ... or asked of the slow path, as configured. */
	ASSERT_EQ(0, set_ticket(self, POLICY_TICKET_ID_CARD,
				POLICY_FALLBACK_DEFER));
	{
		struct passgate_verdict_cmd cmd = {
			.size = sizeof(cmd),
			.verdict = DENY,
			.reason = PASSGATE_REASON_MANUAL_CHECK,
		};
		struct passgate_event ev;
		struct passgate_scan s;
		__u8 frame[PASSGATE_FRAME_MAX];
		size_t n;

		n = board_scan_frame(frame, sizeof(frame), 1, CODE,
				     people[ALICE].code, -1);
		ASSERT_EQ(n, write(self->env.board, frame, n));
		ASSERT_EQ(sizeof(s), read(self->env.board, &s, sizeof(s)));
		EXPECT_EQ(0, memcmp(people[ALICE].code, s.token, s.token_len));
		cmd.scan_id = s.scan_id;
		ASSERT_EQ(0, ioctl(self->env.board, PASSGATE_IOC_VERDICT, &cmd));
		ASSERT_EQ(0, gate_wait_event(self->env.events,
					     PASSGATE_EV_VERDICT, LANE, &ev));
	}
	/* With a ticket list, on again. */
	ASSERT_EQ(0, install_tickets(self, 1));
	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, ALICE);
	EXPECT_EXIT(DENY, PASSGATE_REASON_FARE_ADJUSTMENT, CAROL);
}

/* Sign a ticket list or delta and try to install it; its refusal. */
static enum passgate_refusal try_tickets(FIXTURE_DATA(tickets) *self,
					 unsigned int kind,
					 uint64_t generation, uint64_t base,
					 struct passgate_ticket_entry *t,
					 size_t n)
{
	struct passgate_list_info info;
	enum passgate_refusal refusal;
	char path[PATH_MAX], err[512];

	ticket_info(self, &info, kind, generation, base, HOUR);
	snprintf(path, sizeof(path), "%s/try-t%llu.pgl", self->env.dir,
		 (unsigned long long)generation);
	if (passgate_listfile_write_tickets(path, &info, t, n, self->env.sec,
					    err, sizeof(err)))
		return PASSGATE_REFUSED_UNVERIFIED;
	if (passgate_install_list(&self->env.cfg, self->env.policy,
				  self->env.gate, path, &info, &refusal, err,
				  sizeof(err)))
		fprintf(stderr, "# tickets %llu: %s\n",
			(unsigned long long)generation, err);
	return refusal;
}

static enum passgate_refusal try_codes(FIXTURE_DATA(tickets) *self,
				       unsigned int kind, uint64_t generation,
				       uint64_t base)
{
	struct passgate_list_entry e[PASSENGERS + 1];
	struct passgate_list_info info;
	enum passgate_refusal refusal;
	char path[PATH_MAX], err[512];

	code_list(self, &info, e, generation);
	info.kind = kind;
	info.base_generation = base;
	snprintf(path, sizeof(path), "%s/try-c%llu.pgl", self->env.dir,
		 (unsigned long long)generation);
	if (passgate_listfile_write(path, &info, e, kind == PASSGATE_LIST_FULL ?
				    PASSENGERS + 1 : 1, self->env.sec, err,
				    sizeof(err)))
		return PASSGATE_REFUSED_UNVERIFIED;
	if (passgate_install_list(&self->env.cfg, self->env.policy,
				  self->env.gate, path, &info, &refusal, err,
				  sizeof(err)))
		fprintf(stderr, "# codes %llu: %s\n",
			(unsigned long long)generation, err);
	return refusal;
}

static uint64_t active(FIXTURE_DATA(tickets) *self, unsigned int holds)
{
	struct passgate_policy_active a;

	if (passgate_policy_active_list(self->env.policy, holds, &a))
		return 0;
	return a.generation;
}

static uint64_t record(FIXTURE_DATA(tickets) *self, unsigned int holds)
{
	struct passgate_record rec;

	if (passgate_record_read_list(self->env.cfg.state_dir, GATE, holds,
				      &rec))
		return ~0ull;
	return rec.generation;
}

/*
 * Health codes and tickets each have their generations, record and
 * active map: neither rolls the other back, neither is a base for the
 * other's delta, and every refusal leaves both as they were.
 */
TEST_F(tickets, rollback_and_bases_are_per_kind)
{
	struct passgate_ticket_entry t[PASSENGERS];
	size_t n = tickets_of(self, t);

	ASSERT_EQ(PASSGATE_REFUSED_NONE, try_codes(self, PASSGATE_LIST_FULL, 5,
						   0));
	/* A ticket list before its record was seeded: none is taken. */
	EXPECT_EQ(PASSGATE_REFUSED_NO_RECORD,
		  try_tickets(self, PASSGATE_LIST_FULL, 1, 0, t, n));
	ASSERT_EQ(0, passgate_record_seed_list(self->env.cfg.state_dir, GATE,
					       PASSGATE_LIST_TICKETS, 0));
	/* Below the codes' 5: another sequence, taken. */
	ASSERT_EQ(PASSGATE_REFUSED_NONE,
		  try_tickets(self, PASSGATE_LIST_FULL, 2, 0, t, n));
	EXPECT_EQ(2, active(self, PASSGATE_LIST_TICKETS));
	EXPECT_EQ(5, active(self, PASSGATE_LIST_CODES));

	EXPECT_EQ(PASSGATE_REFUSED_ROLLBACK,
		  try_tickets(self, PASSGATE_LIST_FULL, 2, 0, t, n));
	EXPECT_EQ(PASSGATE_REFUSED_ROLLBACK,
		  try_tickets(self, PASSGATE_LIST_FULL, 1, 0, t, n));
	EXPECT_EQ(PASSGATE_REFUSED_ROLLBACK,
		  try_codes(self, PASSGATE_LIST_FULL, 3, 0));
	/* A delta on the other kind's generation. */
	EXPECT_EQ(PASSGATE_REFUSED_BASE,
		  try_tickets(self, PASSGATE_LIST_DELTA, 7, 5, t, 1));
	EXPECT_EQ(PASSGATE_REFUSED_BASE,
		  try_codes(self, PASSGATE_LIST_DELTA, 8, 2));
	EXPECT_EQ(2, active(self, PASSGATE_LIST_TICKETS));
	EXPECT_EQ(5, active(self, PASSGATE_LIST_CODES));
	EXPECT_EQ(2, record(self, PASSGATE_LIST_TICKETS));
	EXPECT_EQ(5, record(self, PASSGATE_LIST_CODES));
	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, ALICE);

	/*
	 * A ticket delta on its own base: IVAN's ticket goes, the railway
	 * marks GRACE's used.  t[] again in people[] order (the writer
	 * sorted it).
	 */
	n = tickets_of(self, t);
	{
		struct passgate_ticket_entry d[2];

		memset(&d[0], 0, sizeof(d[0]));
		policy_env_id_digest(people[IVAN].id, d[0].digest,
				     sizeof(d[0].digest));
		d[1] = t[5];	/* GRACE: ALICE BOB DAVE ERIN FRANK GRACE */
		ASSERT_EQ(0, memcmp(t[5].ticket, "E0007", 5));
		d[1].flags = PASSGATE_TICKET_USED;
		ASSERT_EQ(PASSGATE_REFUSED_NONE,
			  try_tickets(self, PASSGATE_LIST_DELTA, 3, 2, d, 2));
	}
	EXPECT_EQ(3, active(self, PASSGATE_LIST_TICKETS));
	EXPECT_EQ(5, active(self, PASSGATE_LIST_CODES));
	EXPECT_EXIT(DENY, PASSGATE_REASON_FARE_ADJUSTMENT, IVAN);
	EXPECT_EXIT(DENY, PASSGATE_REASON_TICKET_USED, GRACE);
	/* What the delta left alone, and the use made before it. */
	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, FRANK);
	EXPECT_EXIT(DENY, PASSGATE_REASON_TICKET_USED, ALICE);
	ASSERT_EQ(PASSGATE_REFUSED_NONE, try_codes(self, PASSGATE_LIST_FULL, 6,
						   0));
	EXPECT_EQ(3, active(self, PASSGATE_LIST_TICKETS));
	EXPECT_EQ(3, record(self, PASSGATE_LIST_TICKETS));
	EXPECT_EQ(6, record(self, PASSGATE_LIST_CODES));
}

/* Wait, on inotify, until @path holds @text; 0 or -ETIMEDOUT. */
static int wait_for_text(const char *path, const char *text)
{
	char dir[PATH_MAX], buf[4096];
	struct pollfd pfd;
	int fd, ret = -ETIMEDOUT;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_MODIFY | IN_MOVED_TO |
					IN_CLOSE_WRITE) < 0)
		return -errno;
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	for (;;) {
		f = fopen(path, "r");
		if (f) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);

			fclose(f);
			buf[n] = '\0';
			if (strstr(buf, text)) {
				ret = 0;
				break;
			}
		}
		if (poll(&pfd, 1, GATE_WAIT_MS) != 1)
			break;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	}
	close(fd);
	return ret;
}

/* Run passgatectl with the environment's config; its output in @out. */
static int ctl(FIXTURE_DATA(tickets) *self, const char *args, char *out,
	       size_t len)
{
	char bin[PATH_MAX], cmd[3 * PATH_MAX];
	size_t n = 0;
	FILE *p;
	int status;

	if (build_bin_dir(bin, sizeof(bin)))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/passgatectl --config %s/passgated.conf "
		 "%s 2>&1", bin, self->env.dir, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static pid_t start_daemon(FIXTURE_DATA(tickets) *self)
{
	char config[PATH_MAX], log[PATH_MAX];

	snprintf(config, sizeof(config), "%s/passgated.conf", self->env.dir);
	snprintf(log, sizeof(log), "%s/passgated.log", self->env.dir);
	return passgated_start(config, log);
}

/*
 * A reboot empties the maps: passgated brings the ticket generation back
 * from the lists it kept, and the tickets used here from its log, so a
 * ticket used before the reboot is not used again after it.
 */
TEST_F(tickets, used_tickets_outlast_a_reboot)
{
	char log[PATH_MAX], out[4096];

	ASSERT_EQ(0, install_tickets(self, 4));
	self->daemon = start_daemon(self);
	ASSERT_LT(0, self->daemon);
	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, ALICE);
	ASSERT_EQ(0, passgate_ticket_log_path(&self->env.cfg, log,
					      sizeof(log)));
	ASSERT_EQ(0, wait_for_text(log, " E0001 "));

	/* The reboot: no daemon, no pins, no maps. */
	ASSERT_EQ(0, process_stop(self->daemon, SIGTERM));
	self->daemon = -1;
	passgate_policy_close(self->env.policy);
	self->env.policy = NULL;
	ASSERT_EQ(0, passgate_policy_unpin(self->env.cfg.pin_root, GATE));

	self->daemon = start_daemon(self);
	ASSERT_LT(0, self->daemon);
	self->env.policy = passgate_policy_adopt(self->env.cfg.pin_root, GATE);
	ASSERT_NE(NULL, self->env.policy);
	EXPECT_EQ(4, active(self, PASSGATE_LIST_TICKETS));
	EXPECT_EQ(1, active(self, PASSGATE_LIST_CODES));
	EXPECT_EXIT(DENY, PASSGATE_REASON_TICKET_USED, ALICE);
	EXPECT_EXIT_ID_FIRST(ACCEPT, PASSGATE_REASON_NONE, FRANK);
	ASSERT_EQ(0, wait_for_text(log, " E0006 "));

	/* The operator sees both generations. */
	ASSERT_EQ(0, ctl(self, "--json status", out, sizeof(out))) {
		TH_LOG("%s", out);
	}
	EXPECT_NE(NULL, strstr(out, "\"ticket_generation\":4,")) {
		TH_LOG("%s", out);
	}
	EXPECT_NE(NULL, strstr(out, "\"generation\":1,")) {
		TH_LOG("%s", out);
	}
}

/*
 * Loaded by hand, told apart by its header, a ticket list expires on its
 * own: its LIST_EXPIRED event is marked as tickets, and exits are then
 * degraded while the health codes are still valid.
 */
TEST_F(tickets, an_expired_ticket_list_is_degraded_with_its_event)
{
	struct passgate_ticket_entry t[PASSENGERS];
	struct passgate_list_claim claim;
	struct passgate_list_info info;
	char path[PATH_MAX], out[4096], args[PATH_MAX + 32], err[512];
	struct passgate_event ev;
	size_t n = tickets_of(self, t);

	ASSERT_EQ(0, passgate_record_seed_list(self->env.cfg.state_dir, GATE,
					       PASSGATE_LIST_TICKETS, 0));
	self->daemon = start_daemon(self);
	ASSERT_LT(0, self->daemon);
	/* From here on: the code list's events are behind. */
	ASSERT_LE(0, lseek(self->env.events, 0, SEEK_END));
	ticket_info(self, &info, PASSGATE_LIST_FULL, 9, 0, 0);
	info.expires_at = time(NULL) + 5;
	snprintf(path, sizeof(path), "%s/tickets-000009.pgl", self->env.dir);
	ASSERT_EQ(0, passgate_listfile_write_tickets(path, &info, t, n,
						     self->env.sec, err,
						     sizeof(err))) {
		TH_LOG("%s", err);
	}
	snprintf(args, sizeof(args), "load %s", path);
	ASSERT_EQ(0, ctl(self, args, out, sizeof(out))) {
		TH_LOG("%s", out);
	}
	EXPECT_NE(NULL, strstr(out, "ticket generation 9 (full,")) {
		TH_LOG("%s", out);
	}
	ASSERT_EQ(0, gate_wait_event(self->env.events,
				     PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(9, ev.value);
	memcpy(&claim, ev.data, sizeof(claim));
	EXPECT_EQ(PASSGATE_CLAIM_TICKETS, claim.flags);
	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, ALICE);

	ASSERT_EQ(0, gate_wait_event(self->env.events, PASSGATE_EV_LIST_EXPIRED,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(9, ev.value);
	memcpy(&claim, ev.data, sizeof(claim));
	EXPECT_EQ(PASSGATE_CLAIM_TICKETS, claim.flags);
	EXPECT_SCAN(DENY, PASSGATE_REASON_LIST_EXPIRED, CODE,
		    people[FRANK].code);
	/* The health codes are not expired: without tickets, exits go on. */
	ASSERT_EQ(0, set_ticket(self, POLICY_TICKET_OFF, POLICY_FALLBACK_DENY));
	EXPECT_EXIT(ACCEPT, PASSGATE_REASON_NONE, FRANK);
}

/*
 * The same through the gate's own readers: the QR engine and the ID-card
 * SAM module on gate 0's lane 1 (driver/qrengine.c, samreader.c), played
 * at the far ends of their cables (selftests/readersim.c).  The card's
 * validity dates come from the module, as they will at a station.
 */
#define SAM_LANE 1
#define SAM_CODE_A "HC:SAMT:ALICE"
#define SAM_CODE_F "HC:SAMT:FRANK"
#define SAM_CODE_G "HC:SAMT:GINA"

FIXTURE(sam_tickets) {
	struct policy_env env;
	struct sam_sim sam;
	bool sam_started;
	int qr;
	char alice[19];
	char frank[19];
	char gina[19];
};

FIXTURE_SETUP(sam_tickets)
{
	struct passgate_list_entry e[3] = { { .status = 0 } };
	struct passgate_ticket_entry t[3];
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL,
		.generation = 1,
		.issued_at = time(NULL),
		.not_before = time(NULL) - 60,
		.expires_at = time(NULL) + HOUR,
	};

	self->qr = -1;
	ASSERT_EQ(0, gate_restore());
	ASSERT_EQ(0, policy_env_setup_on(&self->env, "samtickets",
					 "pair_window_ms = 60000\n"
					 "ticket = id-card\n"
					 "station = " STATION "\n", 0));
	sam_id_number(self->alice, "33010619900101002");
	sam_id_number(self->frank, "33010619900101003");
	sam_id_number(self->gina, "33010619900101004");
	policy_env_code_digest(SAM_CODE_A, e[0].digest, sizeof(e[0].digest));
	policy_env_id_digest(self->alice, e[0].id_digest,
			     sizeof(e[0].id_digest));
	policy_env_code_digest(SAM_CODE_F, e[1].digest, sizeof(e[1].digest));
	policy_env_id_digest(self->frank, e[1].id_digest,
			     sizeof(e[1].id_digest));
	policy_env_code_digest(SAM_CODE_G, e[2].digest, sizeof(e[2].digest));
	policy_env_id_digest(self->gina, e[2].id_digest,
			     sizeof(e[2].id_digest));
	e[0].status = e[1].status = e[2].status = PASSGATE_STATUS_GREEN;
	ASSERT_EQ(0, policy_env_install(&self->env, &info, e, 3));
	policy_env_ticket(&t[0], self->alice, STATION, time(NULL) - 600,
			  time(NULL) + HOUR, "G1234", "E1001", false);
	policy_env_ticket(&t[1], self->frank, STATION, time(NULL) - 600,
			  time(NULL) + HOUR, "G1234", "E1002", false);
	/* Gina's train goes on to the next station: she leaves there. */
	policy_env_ticket(&t[2], self->gina, "nbe", time(NULL) - 600,
			  time(NULL) + HOUR, "G1234", "E1003", false);
	info.station[0] = '\0';
	ASSERT_EQ(0, policy_env_install_tickets(&self->env, &info, t, 3));

	ASSERT_EQ(0, sam_sim_start(&self->sam, SAM_FAR_TTY));
	self->sam_started = true;
	self->qr = qr_open(QR_FAR_TTY);
	ASSERT_LE(0, self->qr);
	/* Whatever the gate polled before the simulator listened is gone. */
	ASSERT_EQ(0, sam_sim_wait(&self->sam,
				  offsetof(struct sam_counts, absent), 1));
}

FIXTURE_TEARDOWN(sam_tickets)
{
	if (self->sam_started)
		sam_sim_stop(&self->sam);
	if (self->qr >= 0)
		close(self->qr);
	policy_env_teardown(&self->env);
	gate_restore();
}

/* The next verdict on the lane and its reason; the verdict or -ETIMEDOUT. */
static int sam_verdict(FIXTURE_DATA(sam_tickets) *self, unsigned int *reason)
{
	struct passgate_verdict_record rec;
	struct passgate_event ev;

	if (gate_wait_event(self->env.events, PASSGATE_EV_VERDICT, SAM_LANE,
			    &ev))
		return -ETIMEDOUT;
	memcpy(&rec, ev.data, sizeof(rec));
	*reason = rec.reason;
	return ev.arg;
}

/* A card onto the reader, after the one before was taken off and seen gone. */
static int present(FIXTURE_DATA(sam_tickets) *self, const char *id,
		   const char *until)
{
	struct sam_counts n;
	struct sam_card c;

	sam_sim_remove(&self->sam);
	n = sam_sim_counts(&self->sam);
	if (sam_sim_wait(&self->sam, offsetof(struct sam_counts, absent),
			 n.absent + 1))
		return -ETIMEDOUT;
	sam_card_make(&c, id, "20200101", until, "旅客", "浙江省杭州市");
	sam_sim_place(&self->sam, &c);
	return 0;
}

#define EXPECT_SAM(_verdict, _reason)					\
	do {								\
		unsigned int _r = ~0u;					\
		EXPECT_EQ(_verdict, sam_verdict(self, &_r));		\
		EXPECT_EQ(_reason, _r) TH_LOG("reason %u", _r);		\
	} while (0)

TEST_F(sam_tickets, the_card_on_the_reader_is_the_ticket)
{
	ASSERT_EQ(0, qr_send(self->qr, NULL, SAM_CODE_A, 0));
	EXPECT_SAM(PENDING, PASSGATE_REASON_WAIT_ID);
	ASSERT_EQ(0, present(self, self->alice, "20991231"));
	EXPECT_SAM(ACCEPT, PASSGATE_REASON_NONE);
	ASSERT_EQ(0, lane_relock(SAM_LANE));

	/* Back through the gate on the same ticket. */
	ASSERT_EQ(0, qr_send(self->qr, NULL, SAM_CODE_A, 0));
	EXPECT_SAM(PENDING, PASSGATE_REASON_WAIT_ID);
	ASSERT_EQ(0, present(self, self->alice, "20991231"));
	EXPECT_SAM(DENY, PASSGATE_REASON_TICKET_USED);

	/* A card the module reads as expired: refused, and waits for nothing. */
	ASSERT_EQ(0, present(self, self->frank, "20200102"));
	EXPECT_SAM(DENY, PASSGATE_REASON_ID_EXPIRED);
	ASSERT_EQ(0, qr_send(self->qr, NULL, SAM_CODE_F, 0));
	EXPECT_SAM(PENDING, PASSGATE_REASON_WAIT_ID);
	/* The same number on a long-term card. */
	ASSERT_EQ(0, present(self, self->frank, ""));
	EXPECT_SAM(ACCEPT, PASSGATE_REASON_NONE);
	ASSERT_EQ(0, lane_relock(SAM_LANE));

	/* Another station's ticket: to the manual lane. */
	ASSERT_EQ(0, qr_send(self->qr, NULL, SAM_CODE_G, 0));
	EXPECT_SAM(PENDING, PASSGATE_REASON_WAIT_ID);
	ASSERT_EQ(0, present(self, self->gina, "20991231"));
	EXPECT_SAM(DENY, PASSGATE_REASON_FARE_ADJUSTMENT);
}

TEST_HARNESS_MAIN
