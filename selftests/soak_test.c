// SPDX-License-Identifier: GPL-2.0-only
/*
 * The soak: a stream of mixed scans through lane 1's write() path, with
 * list deltas and full swaps, lane mode changes and policy settings
 * changed in between, every verdict and reason checked against a model of
 * the policy written here from docs/policy.md, not taken from the BPF
 * program.  PASSGATE_SOAK_SECONDS bounds it (default 15; `make soak` runs
 * it for minutes); PASSGATE_SOAK_SEED repeats a run (the seed is logged).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "policy_env.h"

#define LANE POLICY_ENV_LANE
#define CODES 48
#define FEVER_CENTI_C 3730
#define LAPSED_AT 1000000000	/* 2001: long gone */
#define LIST_LIFE_S 3600

struct model_code {
	bool present;
	bool ticket;
	bool lapsed;
	unsigned int status;
};

/* What the gate should hold and how it is set. */
struct model {
	struct model_code code[CODES];
	uint64_t generation;
	bool closed;
	bool require_ticket;
	bool fever_check;
};

struct soak_counts {
	unsigned long long scans, accepted, mismatches;
	unsigned int deltas, fulls, modes, settings;
};

FIXTURE(soak) {
	struct policy_env env;
	unsigned int seed;
	struct model m;
};

static void code_name(unsigned int i, char *buf, size_t len)
{
	snprintf(buf, len, "HC:SOAK:%02u", i);
}

FIXTURE_SETUP(soak)
{
	const char *env = getenv("PASSGATE_SOAK_SEED");

	ASSERT_EQ(0, policy_env_setup(&self->env, "soak", NULL));
	self->seed = env ? strtoul(env, NULL, 0) : (unsigned int)time(NULL);
	memset(&self->m, 0, sizeof(self->m));
	self->m.fever_check = self->env.cfg.policy.fever_centi_c != 0;
}

FIXTURE_TEARDOWN(soak)
{
	policy_env_teardown(&self->env);
}

/* The policy for a health code alone, as docs/policy.md states it. */
static unsigned int model_decide(const struct model *m, unsigned int i,
				 int temperature, unsigned int *reason)
{
	const struct model_code *c = &m->code[i];

	*reason = PASSGATE_REASON_NONE;
	if (m->closed)
		*reason = PASSGATE_REASON_LANE_BUSY;
	else if (m->fever_check && temperature < 0)
		*reason = PASSGATE_REASON_NO_TEMPERATURE;
	else if (m->fever_check && temperature >= FEVER_CENTI_C)
		*reason = PASSGATE_REASON_FEVER;
	else if (!c->present)
		*reason = PASSGATE_REASON_UNKNOWN;
	else if (c->lapsed)
		*reason = PASSGATE_REASON_NOT_VALID;
	else if (c->status == PASSGATE_STATUS_RED)
		*reason = PASSGATE_REASON_RED;
	else if (c->status != PASSGATE_STATUS_GREEN)
		*reason = PASSGATE_REASON_MANUAL_CHECK;
	else if (m->require_ticket && !c->ticket)
		*reason = PASSGATE_REASON_NO_TICKET;
	return *reason == PASSGATE_REASON_NONE ? PASSGATE_VERDICT_ACCEPT :
						 PASSGATE_VERDICT_DENY;
}

static void random_code(struct model_code *c, unsigned int *seed)
{
	unsigned int r = rand_r(seed);

	c->present = true;
	c->status = PASSGATE_STATUS_GREEN + r % 3;
	c->ticket = (r >> 4) & 1;
	c->lapsed = (r >> 5) % 8 == 0;
}

static void entry_of(unsigned int i, const struct model_code *c,
		     struct passgate_list_entry *e)
{
	char name[32];

	memset(e, 0, sizeof(*e));
	code_name(i, name, sizeof(name));
	policy_env_code_digest(name, e->digest, sizeof(e->digest));
	if (!c->present)
		return;		/* REMOVE: the digest alone */
	e->status = c->status;
	e->flags = c->ticket ? PASSGATE_ENTRY_TICKET : 0;
	e->valid_until = c->lapsed ? LAPSED_AT : 0;
}

/*
 * Sign and install generation @m->generation + 1: the whole of @next
 * (full), or the codes that differ from @m (delta).  The model becomes
 * @next only when the gate took it.
 */
static int install_next(FIXTURE_DATA(soak) *self, const struct model *next,
			bool full)
{
	struct passgate_list_entry entries[CODES];
	struct passgate_list_info info = {
		.kind = full ? PASSGATE_LIST_FULL : PASSGATE_LIST_DELTA,
		.generation = self->m.generation + 1,
		.base_generation = full ? 0 : self->m.generation,
		.issued_at = time(NULL),
		.not_before = time(NULL) - 60,
		.expires_at = time(NULL) + LIST_LIFE_S,
	};
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < CODES; i++) {
		const struct model_code *a = &self->m.code[i], *b = &next->code[i];

		if (full ? b->present : memcmp(a, b, sizeof(*a)) != 0)
			entry_of(i, b, &entries[n++]);
	}
	if (policy_env_install(&self->env, &info, entries, n))
		return -1;
	memcpy(self->m.code, next->code, sizeof(next->code));
	self->m.generation = info.generation;
	return 0;
}

static int scan(FIXTURE_DATA(soak) *self, unsigned int i, int temperature,
		unsigned int *reason)
{
	char name[32];

	code_name(i, name, sizeof(name));
	return policy_env_scan(&self->env, PASSGATE_CRED_HEALTH_CODE, name,
			       temperature, reason);
}

static int set_settings(FIXTURE_DATA(soak) *self)
{
	struct policy_config pc = self->env.cfg.policy;

	pc.require_ticket = self->m.require_ticket;
	pc.fever_centi_c = self->m.fever_check ? FEVER_CENTI_C : 0;
	return passgate_policy_set_config(self->env.policy, &pc);
}

TEST_F_TIMEOUT(soak, verdicts_follow_the_model_through_swaps_and_modes, 3600)
{
	static const int temperatures[] = { -1, -1, 3650, 3729, 3730, 3900 };
	const char *env = getenv("PASSGATE_SOAK_SECONDS");
	long seconds = env ? strtol(env, NULL, 10) : 15;
	struct soak_counts n = { 0 };
	struct model next;
	unsigned int i, r, reason, want_reason;
	time_t end;
	int got, want;

	ASSERT_LT(0, seconds);
	TH_LOG("seed %u, %ld s (PASSGATE_SOAK_SEED, PASSGATE_SOAK_SECONDS)",
	       self->seed, seconds);
	next = self->m;
	for (i = 0; i < CODES; i++)
		if (i % 4)
			random_code(&next.code[i], &self->seed);
	ASSERT_EQ(0, install_next(self, &next, true));
	ASSERT_EQ(0, set_settings(self));

	end = time(NULL) + seconds;
	while (time(NULL) < end && n.mismatches < 10) {
		r = rand_r(&self->seed) % 100;
		if (r < 5) {		/* a delta: a few codes change */
			next = self->m;
			for (i = 0; i < 1 + r % 4; i++) {
				struct model_code *c =
					&next.code[rand_r(&self->seed) % CODES];

				if (c->present && rand_r(&self->seed) % 3 == 0)
					memset(c, 0, sizeof(*c));
				else
					random_code(c, &self->seed);
			}
			if (!memcmp(&next.code, &self->m.code, sizeof(next.code)))
				continue;
			ASSERT_EQ(0, install_next(self, &next, false));
			n.deltas++;
		} else if (r < 7) {	/* a new full generation */
			next = self->m;
			for (i = 0; i < CODES; i++) {
				memset(&next.code[i], 0, sizeof(next.code[i]));
				if (rand_r(&self->seed) % 4)
					random_code(&next.code[i], &self->seed);
			}
			ASSERT_EQ(0, install_next(self, &next, true));
			n.fulls++;
		} else if (r < 10) {	/* the lane closed or reopened */
			self->m.closed = !self->m.closed;
			ASSERT_EQ(0, lane_set_mode(self->env.turnstile,
						   self->m.closed ?
						   PASSGATE_MODE_CLOSED :
						   PASSGATE_MODE_NORMAL));
			n.modes++;
		} else if (r < 13) {	/* ticket or fever check toggled */
			if (r % 2)
				self->m.require_ticket = !self->m.require_ticket;
			else
				self->m.fever_check = !self->m.fever_check;
			ASSERT_EQ(0, set_settings(self));
			n.settings++;
		} else {
			int t = temperatures[rand_r(&self->seed) %
					     ARRAY_SIZE(temperatures)];

			i = rand_r(&self->seed) % CODES;
			want = model_decide(&self->m, i, t, &want_reason);
			got = scan(self, i, t, &reason);
			ASSERT_LE(0, got) TH_LOG("scan %llu: %s", n.scans,
						 strerror(-got));
			n.scans++;
			if (got != want || reason != want_reason) {
				n.mismatches++;
				TH_LOG("scan %llu: code %u at %d: got %d/%u, "
				       "model %d/%u (generation %llu)",
				       n.scans, i, t, got, reason, want,
				       want_reason,
				       (unsigned long long)self->m.generation);
			}
			if (got == PASSGATE_VERDICT_ACCEPT) {
				n.accepted++;
				ASSERT_EQ(0, gate_lane_relock(POLICY_ENV_GATE, LANE));
			}
		}
	}
	tally("soak: mixed scans checked against a model of the policy, "
	      "with list deltas, full swaps, lane modes and settings changed",
	      n.scans, "every verdict and reason as the model says",
	      "%llu differed; %llu accepted; %u deltas, %u full lists, "
	      "%u mode and %u setting changes in %ld s",
	      n.mismatches, n.accepted, n.deltas, n.fulls, n.modes,
	      n.settings, seconds);
	EXPECT_EQ(0, n.mismatches);
	/* A run too short to mean anything is a failure, not a pass. */
	EXPECT_LE(100, n.scans);
	EXPECT_LE(1, n.deltas);
}

TEST_HARNESS_MAIN
