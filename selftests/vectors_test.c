// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shared test vectors (selftests/vectors/gate.vec, its header says the
 * format): list loading, the fast path's verdicts, the turnstile and the
 * fire release, with the outcomes written in the file, so that every
 * architecture is held to the same ones.  The file is found below
 * $PASSGATE_REPO (the guests set it), else in the working directory;
 * PASSGATE_VECTORS names another.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "policy_env.h"
#include "card_reader.h"

#define LANE POLICY_ENV_LANE
#define VECTORS "selftests/vectors/gate.vec"
#define ENTRIES_MAX 64
#define LAPSED_AT 1000000000	/* 2001 */

static const char *const verdicts[] = {
	[PASSGATE_VERDICT_ACCEPT] = "accept",
	[PASSGATE_VERDICT_DENY] = "deny",
	[PASSGATE_VERDICT_PENDING] = "pending",
};

/* As in debugfs (driver/stats.c), written out again here. */
static const char *const reasons[] = {
	"none", "unknown", "red", "manual_check", "id_mismatch", "fever",
	"passback", "no_ticket", "timeout", "busy", "no_key", "list_expired",
	"lane_busy", "bad_verdict", "wait_id", "wait_code", "not_valid",
	"no_temperature", "id_expired", "ticket_used", "fare_adjustment",
};

static int lookup(const char *const *names, size_t n, const char *word)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && word && !strcmp(names[i], word))
			return i;
	return -1;
}

FIXTURE(vectors) {
	struct policy_env env;
	struct card_dates_bpf *reader;	/* ID cards' dates, as a SAM reads them */
	struct passgate_list_info info;
	struct passgate_list_entry entries[ENTRIES_MAX];
	struct passgate_ticket_entry tickets[ENTRIES_MAX];
	size_t n;
	unsigned int line, scans, walks;
};

FIXTURE_SETUP(vectors)
{
	ASSERT_EQ(0, policy_env_setup_gate(&self->env, "vectors",
					   "pair_window_ms = 60000\n",
					   POLICY_ENV_GATE));
	/* Before the policy: it runs first on each decision. */
	self->reader = card_reader_attach(POLICY_ENV_GATE);
	ASSERT_NE(NULL, self->reader);
	ASSERT_EQ(0, policy_env_open_policy(&self->env));
}

FIXTURE_TEARDOWN(vectors)
{
	if (self->reader)
		card_dates_bpf__destroy(self->reader);
	policy_env_teardown(&self->env);
}

static int list_begin(FIXTURE_DATA(vectors) *self, char **w, bool tickets)
{
	memset(&self->info, 0, sizeof(self->info));
	self->info.holds = tickets ? PASSGATE_LIST_TICKETS : PASSGATE_LIST_CODES;
	self->n = 0;
	if (!w[1] || !w[2])
		return -1;
	self->info.kind = !strcmp(w[1], "delta") ? PASSGATE_LIST_DELTA :
						   PASSGATE_LIST_FULL;
	self->info.generation = strtoull(w[2], NULL, 10);
	if (self->info.kind == PASSGATE_LIST_DELTA)
		self->info.base_generation = w[3] ? strtoull(w[3], NULL, 10) : 0;
	self->info.issued_at = time(NULL);
	self->info.not_before = time(NULL) - 60;
	self->info.expires_at = time(NULL) + 3600;
	return 0;
}

static int list_entry(FIXTURE_DATA(vectors) *self, char **w)
{
	static const char *const status[] = { "remove", "green", "yellow",
					      "red" };
	struct passgate_list_entry *e = &self->entries[self->n];
	int st;

	if (self->n == ENTRIES_MAX || !w[1] ||
	    self->info.holds != PASSGATE_LIST_CODES)
		return -1;
	st = lookup(status, 4, w[2]);
	if (st < 0)
		return -1;
	memset(e, 0, sizeof(*e));
	policy_env_code_digest(w[1], e->digest, sizeof(e->digest));
	e->status = st;
	for (w += 3; *w; w++) {
		if (!strcmp(*w, "ticket"))
			e->flags |= PASSGATE_ENTRY_TICKET;
		else if (!strcmp(*w, "lapsed"))
			e->valid_until = LAPSED_AT;
		else if (!strncmp(*w, "id=", 3))
			policy_env_id_digest(*w + 3, e->id_digest,
					     sizeof(e->id_digest));
		else
			return -1;
	}
	self->n++;
	return 0;
}

/* Seconds from now (+N, -N), or 0: no bound. */
static uint32_t from_now(const char *w)
{
	long long n = strtoll(w, NULL, 10);

	return n ? time(NULL) + n : 0;
}

/* ticket ID_NUMBER STATION|here FROM UNTIL TRAIN NUMBER [used] */
static int ticket_entry(FIXTURE_DATA(vectors) *self, char **w)
{
	int i;

	for (i = 1; i <= 6; i++)
		if (!w[i])
			return -1;
	if (self->n == ENTRIES_MAX ||
	    self->info.holds != PASSGATE_LIST_TICKETS ||
	    (w[7] && strcmp(w[7], "used")))
		return -1;
	policy_env_ticket(&self->tickets[self->n++], w[1],
			  strcmp(w[2], "here") ? w[2] : self->env.cfg.station,
			  from_now(w[3]), from_now(w[4]), w[5], w[6], w[7]);
	return 0;
}

static int install(FIXTURE_DATA(vectors) *self)
{
	struct passgate_policy_active active;
	unsigned int holds = self->info.holds;

	if (holds == PASSGATE_LIST_TICKETS ?
	    policy_env_install_tickets(&self->env, &self->info, self->tickets,
				       self->n) :
	    policy_env_install(&self->env, &self->info, self->entries,
			       self->n))
		return -1;
	if (passgate_policy_active_list(self->env.policy, holds, &active))
		return -1;
	return active.generation == self->info.generation ? 0 : -1;
}

/*
 * scan code|id TOKEN [temp=N] [card=FROM:UNTIL] VERDICT REASON: card=
 * reads the ID card with its dates, seconds from now (UNTIL 0: a
 * long-term card).
 */
static int scan(struct __test_metadata *_metadata,
		FIXTURE_DATA(vectors) *self, char **w)
{
	int temperature = -1, want, want_reason, got;
	const char *token = w[2], *card = NULL;
	unsigned int kind, reason;
	char *until;

	if (!w[1] || !token)
		return -1;
	kind = !strcmp(w[1], "id") ? PASSGATE_CRED_ID_CARD :
				     PASSGATE_CRED_HEALTH_CODE;
	w += 3;
	if (*w && !strncmp(*w, "temp=", 5))
		temperature = atoi(*w++ + 5);
	if (*w && !strncmp(*w, "card=", 5))
		card = *w++ + 5;
	want = lookup(verdicts, ARRAY_SIZE(verdicts), w[0]);
	want_reason = w[0] ? lookup(reasons, ARRAY_SIZE(reasons), w[1]) : -1;
	if (want < 0 || want_reason < 0)
		return -1;
	if (card) {
		until = strchr(card, ':');
		if (kind != PASSGATE_CRED_ID_CARD || !until ||
		    card_reader_set(self->reader, POLICY_ENV_ID_KEY, token,
				    from_now(card), from_now(until + 1)))
			return -1;
	}
	got = policy_env_scan(&self->env, kind, token, temperature, &reason);
	if (card && card_reader_forget(self->reader, POLICY_ENV_ID_KEY, token))
		return -1;
	self->scans++;
	EXPECT_EQ(want, got) TH_LOG("line %u", self->line);
	EXPECT_EQ(want_reason, reason) TH_LOG("line %u: reason %s", self->line,
					      reason < ARRAY_SIZE(reasons) ?
					      reasons[reason] : "?");
	return 0;
}

/* Exit through lane 1 (inner beam, then outer): a PASSAGE, then locked. */
static int walk(FIXTURE_DATA(vectors) *self)
{
	struct passgate_state st;
	struct passgate_event ev;
	int fd = self->env.turnstile;

	if (lane_get_state(fd, &st) || st.state != PASSGATE_STATE_UNLOCKED ||
	    factory_gate_beam(&self->env.fg, fd, LANE, PASSGATE_BEAM_INNER, 1) ||
	    factory_gate_beam(&self->env.fg, fd, LANE, PASSGATE_BEAM_OUTER, 1) ||
	    factory_gate_beam(&self->env.fg, fd, LANE, PASSGATE_BEAM_INNER, 0) ||
	    factory_gate_beam(&self->env.fg, fd, LANE, PASSGATE_BEAM_OUTER, 0) ||
	    gate_wait_event(self->env.events, PASSGATE_EV_PASSAGE, LANE, &ev) ||
	    lane_get_state(fd, &st))
		return -1;
	self->walks++;
	return st.state == PASSGATE_STATE_LOCKED ? 0 : -1;
}

static int set(FIXTURE_DATA(vectors) *self, char **w)
{
	struct policy_config pc;

	if (!w[1] || !w[2] ||
	    passgate_policy_get_config(self->env.policy, &pc))
		return -1;
	if (!strcmp(w[1], "require_ticket"))
		pc.require_ticket = atoi(w[2]);
	else if (!strcmp(w[1], "ticket") && !strcmp(w[2], "id-card"))
		pc.ticket = POLICY_TICKET_ID_CARD;
	else if (!strcmp(w[1], "ticket") && !strcmp(w[2], "off"))
		pc.ticket = POLICY_TICKET_OFF;
	else if (!strcmp(w[1], "fever"))
		pc.fever_centi_c = atoi(w[2]);
	else
		return -1;
	return passgate_policy_set_config(self->env.policy, &pc);
}

static int lanes_output(FIXTURE_DATA(vectors) *self, unsigned int what)
{
	return factory_gate_read(&self->env.fg, FG_LANE_LINE(0, what)) +
	       factory_gate_read(&self->env.fg, FG_LANE_LINE(1, what));
}

static int fire(FIXTURE_DATA(vectors) *self, bool reset)
{
	if (!reset)
		return factory_gate_drive(&self->env.fg, FG_FIRE_ALARM, 1) ||
		       gate_wait_event(self->env.events, PASSGATE_EV_FIRE_ALARM,
				       PASSGATE_LANE_NONE, NULL) ||
		       lanes_output(self, TB_UNLOCK_EXIT) != 2 ||
		       lanes_output(self, TB_UNLOCK_ENTRY) != 2 ? -1 : 0;
	return factory_gate_drive(&self->env.fg, FG_FIRE_ALARM, 0) ||
	       gate_wait_event(self->env.events, PASSGATE_EV_FIRE_CLEAR,
			       PASSGATE_LANE_NONE, NULL) ||
	       gate_reset_fire(self->env.events) ||
	       gate_wait_event(self->env.events, PASSGATE_EV_FIRE_RESET,
			       PASSGATE_LANE_NONE, NULL) ||
	       lanes_output(self, TB_UNLOCK_EXIT) || lanes_output(self, TB_UNLOCK_ENTRY) ?
	       -1 : 0;
}

static int run_line(struct __test_metadata *_metadata,
		    FIXTURE_DATA(vectors) *self, char **w)
{
	if (!strcmp(w[0], "list"))
		return list_begin(self, w, false);
	if (!strcmp(w[0], "tickets"))
		return list_begin(self, w, true);
	if (!strcmp(w[0], "entry"))
		return list_entry(self, w);
	if (!strcmp(w[0], "ticket"))
		return ticket_entry(self, w);
	if (!strcmp(w[0], "install"))
		return install(self);
	if (!strcmp(w[0], "scan"))
		return scan(_metadata, self, w);
	if (!strcmp(w[0], "walk"))
		return walk(self);
	if (!strcmp(w[0], "relock"))
		return gate_lane_relock(POLICY_ENV_GATE, LANE);
	if (!strcmp(w[0], "mode"))
		return lane_set_mode(self->env.turnstile, w[1] &&
				     !strcmp(w[1], "closed") ?
				     PASSGATE_MODE_CLOSED :
				     PASSGATE_MODE_NORMAL);
	if (!strcmp(w[0], "set"))
		return set(self, w);
	if (!strcmp(w[0], "fire"))
		return fire(self, false);
	if (!strcmp(w[0], "fire-reset"))
		return fire(self, true);
	return -1;
}

TEST_F(vectors, every_vector_has_its_outcome)
{
	const char *path = getenv("PASSGATE_VECTORS");
	const char *repo = getenv("PASSGATE_REPO");
	char buf[512], *w[12], *save, where[PATH_MAX];
	unsigned int n;
	FILE *f;

	if (!path) {
		snprintf(where, sizeof(where), "%s%s%s", repo ? repo : "",
			 repo ? "/" : "", VECTORS);
		path = where;
	}
	f = fopen(path, "r");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
	while (fgets(buf, sizeof(buf), f)) {
		self->line++;
		buf[strcspn(buf, "#")] = '\0';
		n = 0;
		for (char *t = strtok_r(buf, " \t\n", &save);
		     t && n < ARRAY_SIZE(w) - 1;
		     t = strtok_r(NULL, " \t\n", &save))
			w[n++] = t;
		w[n] = NULL;
		if (!n)
			continue;
		ASSERT_EQ(0, run_line(_metadata, self, w))
			TH_LOG("%s:%u: %s failed", path, self->line, w[0]);
	}
	fclose(f);
	EXPECT_LT(20, self->scans);
	tally("shared test vectors (selftests/vectors/gate.vec)", self->scans,
	      "the verdict and reason the file gives for every scan",
	      "%u scans, %u passages, the fire release, %u lines", self->scans,
	      self->walks, self->line);
}

TEST_HARNESS_MAIN
