// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgatectl top as an operator sees it: run in a real tmux inside the
 * guest, read back with capture-pane while the test drives gate 0 (real
 * policy, a list, scans through lane 1's bridge, a tailgate, a fire
 * alarm), resized, and quit.  Every wait is for the screen to show
 * something, bounded by GATE_WAIT_MS.  The screen with the alarms is
 * kept for docs/operations.md (keep_screen()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "policy_env.h"

#define LANE POLICY_ENV_LANE
#define GREEN "HC:TOP:GREEN:0001"
#define RED "HC:TOP:RED:0002"
#define SCREEN_MAX 16384

FIXTURE(top) {
	struct policy_env env;
	char sock[128];
	char bin[PATH_MAX + 16];
	char screen[SCREEN_MAX];
	bool tmux;
};

/* Run "tmux -S SOCK ARGS..."; its exit status, or -1. */
static int tmux(FIXTURE_DATA(top) *self, const char *fmt, ...)
{
	char args[PATH_MAX + 256], cmd[PATH_MAX + 512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "tmux -S %s %s", self->sock, args);
	st = system(cmd);
	return st < 0 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* What the pane shows now, into self->screen; 0 or -1. */
static int capture(FIXTURE_DATA(top) *self)
{
	char cmd[256];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tmux -S %s capture-pane -p -t top",
		 self->sock);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(self->screen, 1, sizeof(self->screen) - 1, f);
	self->screen[n] = '\0';
	return pclose(f) ? -1 : 0;
}

/*
 * Until the screen has a line matching the extended regex @re: 0, or
 * -ETIMEDOUT (the last screen stays in self->screen for the message).
 */
static int screen_wait(FIXTURE_DATA(top) *self, const char *re)
{
	struct timespec start, now, pause = { .tv_nsec = 20 * 1000000 };
	regex_t rx;
	int ret = -ETIMEDOUT;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE | REG_NOSUB))
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		if (!capture(self) && !regexec(&rx, self->screen, 0, NULL, 0)) {
			ret = 0;
			break;
		}
		/* Between two looks at the screen, not a synchronisation. */
		nanosleep(&pause, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000 +
		 (now.tv_nsec - start.tv_nsec) / 1000000 < GATE_WAIT_MS);
	regfree(&rx);
	if (ret)
		fprintf(stderr, "# no line like /%s/ on the screen:\n%s", re,
			self->screen);
	return ret;
}

/* The number in the first line matching @re's first group, or -1. */
static long screen_number(FIXTURE_DATA(top) *self, const char *re)
{
	regmatch_t m[2];
	regex_t rx;
	long v = -1;

	if (capture(self) || regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE))
		return -1;
	if (!regexec(&rx, self->screen, 2, m, 0) && m[1].rm_so >= 0)
		v = strtol(self->screen + m[1].rm_so, NULL, 10);
	regfree(&rx);
	return v;
}

static int install_list(struct policy_env *env)
{
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL,
		.generation = 7,
		.issued_at = time(NULL),
		.not_before = time(NULL) - 60,
		/* Inside 6 h: the screen says it expires soon. */
		.expires_at = time(NULL) + 3 * 3600,
	};
	struct passgate_list_entry e[2] = {
		{ .status = PASSGATE_STATUS_GREEN },
		{ .status = PASSGATE_STATUS_RED },
	};

	policy_env_code_digest(GREEN, e[0].digest, sizeof(e[0].digest));
	policy_env_code_digest(RED, e[1].digest, sizeof(e[1].digest));
	return policy_env_install(env, &info, e, 2);
}

FIXTURE_SETUP(top)
{
	char dir[PATH_MAX];

	ASSERT_EQ(0, gate_restore());
	ASSERT_EQ(0, policy_env_setup_on(&self->env, "top", NULL, 0));
	ASSERT_EQ(0, install_list(&self->env));
	/* No alarm latched by an earlier test: each one here is ours. */
	ASSERT_EQ(0, lane_reset_alarms(self->env.turnstile));
	ASSERT_EQ(0, build_bin_dir(dir, sizeof(dir)));
	snprintf(self->bin, sizeof(self->bin), "%s/passgatectl", dir);
	snprintf(self->sock, sizeof(self->sock), "%s/tmux.sock",
		 self->env.dir);

	/*
	 * One session of 100x30 running top for gate 0; the pane stays
	 * after top ends, with its exit status.
	 */
	ASSERT_EQ(0, tmux(self, "-f /dev/null start-server \\; "
			  "set-option -wg remain-on-exit on \\; "
			  "new-session -d -s top -x 100 -y 30 "
			  "'%s --config %s/passgated.conf top; "
			  "echo top exited with $?'",
			  self->bin, self->env.dir));
	self->tmux = true;
}

FIXTURE_TEARDOWN(top)
{
	if (self->tmux)
		tmux(self, "kill-server");
	policy_env_teardown(&self->env);
	gate_restore();
}

/*
 * Keep the screen for the docs: in the guest's scratch share (the host's
 * BUILD/guest/scratch/top.txt after make check), else beside the test.
 */
static void keep_screen(FIXTURE_DATA(top) *self)
{
	const char *dir = getenv("PASSGATE_SCRATCH");
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/top.txt", dir ? dir : self->env.dir);
	if (file_write(path, self->screen, strlen(self->screen)))
		fprintf(stderr, "# %s: %s\n", path, strerror(errno));
}

TEST_F(top, follows_scans_tailgate_and_fire_then_quits)
{
	unsigned int reason;
	long before, after;
	int fd;

	/* The gate, its lanes and the list, as the nodes and policy say. */
	ASSERT_EQ(0, screen_wait(self, "passgate top +gate 0 +mode normal"));
	ASSERT_EQ(0, screen_wait(self, "^ codes +generation 7 +expires .* "
				 "\\(in 2h5[0-9]m\\) +expires soon"));
	ASSERT_EQ(0, screen_wait(self, "^ 0 +locked +normal "));
	ASSERT_EQ(0, screen_wait(self, "^ 1 +locked +normal +- +-- +[0-9]+ "
				 "+... +- "));
	ASSERT_EQ(0, screen_wait(self, "no fire alarm"));

	/* A deny with its reason, then an accept that unlocks lane 1. */
	ASSERT_EQ(PASSGATE_VERDICT_DENY,
		  policy_env_scan(&self->env, PASSGATE_CRED_HEALTH_CODE, RED,
				  0, &reason));
	ASSERT_EQ(0, screen_wait(self, "^ [0-9:]{8} +1 +deny +red +"));
	before = screen_number(self, "^ 1 +locked +normal +- +.. +([0-9]+) ");
	ASSERT_LE(0, before);

	/*
	 * An accept, its passenger, and a second person inside the same
	 * unlock, at once: lane 1 waits only 1 s for its passage.
	 */
	ASSERT_EQ(PASSGATE_VERDICT_ACCEPT,
		  policy_env_scan(&self->env, PASSGATE_CRED_HEALTH_CODE, GREEN,
				  0, &reason));
	fd = self->env.turnstile;
	ASSERT_EQ(0, lane_beam(fd, LANE, PASSGATE_BEAM_INNER, 1));
	ASSERT_EQ(0, lane_beam(fd, LANE, PASSGATE_BEAM_OUTER, 1));
	ASSERT_EQ(0, lane_beam(fd, LANE, PASSGATE_BEAM_INNER, 0));
	ASSERT_EQ(0, lane_beam(fd, LANE, PASSGATE_BEAM_INNER, 1));
	ASSERT_EQ(0, lane_beam(fd, LANE, PASSGATE_BEAM_OUTER, 0));
	ASSERT_EQ(0, lane_beam(fd, LANE, PASSGATE_BEAM_INNER, 0));
	ASSERT_EQ(0, screen_wait(self, "^ [0-9:]{8} +1 +accept +none +.* fast"));
	ASSERT_EQ(0, screen_wait(self, "^ scan to unlock +p50 [0-9.]+ [mu]?s "
				 "+p99 [0-9.]+ [mu]?s +\\([1-9][0-9]* unlocks"));
	/* Locked again, the alarm latched until reset, one more passage. */
	ASSERT_EQ(0, screen_wait(self, "^ 1 +locked +normal +- +-- +[0-9]+ "
				 "+... +TAILGATE"));
	after = screen_number(self, "^ 1 +locked +normal +- +-- +([0-9]+) ");
	EXPECT_EQ(before + 1, after);

	/* The fire alarm: a red bar, every lane free. */
	ASSERT_EQ(0, tb_drive(TB_FIRE_ALARM, 1));
	ASSERT_EQ(0, screen_wait(self, "FIRE ALARM LATCHED"));
	ASSERT_EQ(0, screen_wait(self, "^ 0 +free "));
	ASSERT_EQ(0, screen_wait(self, "^ 1 +free .*TAILGATE"));
	keep_screen(self);

	/* Smaller: redrawn to fit at once; too small: says so; back. */
	ASSERT_EQ(0, tmux(self, "resize-window -t top -x 72 -y 24"));
	ASSERT_EQ(0, screen_wait(self, "^ passgate top +gate 0 .* "
				 "[0-9:]{8} ?$"));
	ASSERT_GE(72, (long)strcspn(self->screen, "\n"));
	ASSERT_EQ(0, tmux(self, "resize-window -t top -x 40 -y 10"));
	ASSERT_EQ(0, screen_wait(self, "^top: too small \\(40x10, needs 60x12\\)$"));
	ASSERT_EQ(0, tmux(self, "resize-window -t top -x 100 -y 30"));
	ASSERT_EQ(0, screen_wait(self, "FIRE ALARM LATCHED"));

	/* Cleared and reset by an operator: the bar goes, lanes relock. */
	ASSERT_EQ(0, tb_drive(TB_FIRE_ALARM, 0));
	ASSERT_EQ(0, gate_reset_fire(self->env.events));
	ASSERT_EQ(0, screen_wait(self, "no fire alarm"));
	ASSERT_EQ(0, screen_wait(self, "^ 1 +locked "));

	/*
	 * q ends it: the shell after it prints top's exit status on the
	 * terminal top gave back (the pane stays: remain-on-exit), or tmux
	 * says it when the pane's last lines did not reach its screen.
	 */
	ASSERT_EQ(0, tmux(self, "send-keys -t top q"));
	ASSERT_EQ(0, screen_wait(self, "^(top exited with 0|"
				 "Pane is dead \\(status 0,.*)$"));
	EXPECT_EQ(NULL, strstr(self->screen, "passgate top"));
}

/* Not a terminal: a clear refusal, no screen codes on a pipe. */
TEST_F(top, refuses_without_a_terminal)
{
	char cmd[PATH_MAX * 2], out[256] = "";
	size_t n;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "%s --config %s/passgated.conf top "
		 "</dev/null 2>&1", self->bin, self->env.dir);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(2, WEXITSTATUS(st));
	EXPECT_NE(NULL, strstr(out, "top needs a terminal"));
}

TEST_HARNESS_MAIN
