// SPDX-License-Identifier: GPL-2.0-only
/*
 * top: one gate, live, full screen.  Nothing here polls for news: the
 * gate node's event stream (read(), with the backlog the ring still holds
 * first) and each lane's turnstile node (a record whenever its state
 * changed) wake the loop; a one-second timer only moves the clock, the
 * list's countdown and the windows of the rates.  Signals arrive on a
 * signalfd, so a resize redraws at once and INT/TERM/HUP end the screen
 * cleanly.  It needs what `passgate-monitor` has: read on the nodes.
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "ctl.h"
#include "top.h"
#include "gate/policy/loader.h"

enum { FD_GATE, FD_KEYS, FD_SIGNALS, FD_TIMER, FD_LANES };

struct top {
	struct top_model m;
	struct passgate_gate *gate;
	struct passgate_lane *lane[TOP_LANES_MAX];
	struct pollfd pfd[FD_LANES + TOP_LANES_MAX];
};

static void clock_now(struct top_clock *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	c->boot_ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	c->real_s = time(NULL);
}

/* Every event the gate node has for us now; -1 when the gate went away. */
static int read_events(struct top *t)
{
	struct passgate_event ev[64];
	ssize_t n, i;

	for (;;) {
		n = passgate_gate_read_events(t->gate, ev, 64);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (!n)
			return 0;
		for (i = 0; i < n; i++)
			top_model_event(&t->m, &ev[i]);
	}
}

static void lane_read(struct top *t, unsigned int l)
{
	struct passgate_state st;
	ssize_t n;

	while ((n = read(passgate_lane_fd(t->lane[l]), &st, sizeof(st))) ==
	       sizeof(st))
		t->m.lane[l].st = st;
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		/* Unbound: its node is gone; it may come back on a rescan. */
		passgate_lane_close(t->lane[l]);
		t->lane[l] = NULL;
		t->m.lane[l].present = false;
		t->pfd[FD_LANES + l].fd = -1;
	}
}

/* The lanes bound now (opened once each) and their state. */
static void lanes_refresh(struct top *t)
{
	unsigned int l;

	for (l = 0; l < TOP_LANES_MAX; l++) {
		if (!t->lane[l]) {
			t->lane[l] = passgate_lane_open(t->m.gate, l,
							O_RDONLY | O_NONBLOCK);
			if (!t->lane[l])
				continue;
			t->pfd[FD_LANES + l].fd = passgate_lane_fd(t->lane[l]);
			t->pfd[FD_LANES + l].events = POLLIN;
		}
		t->m.lane[l].st.size = sizeof(t->m.lane[l].st);
		if (passgate_lane_get_state(t->lane[l], &t->m.lane[l].st)) {
			lane_read(t, l);
			continue;
		}
		t->m.lane[l].present = true;
		lane_read(t, l);
	}
}

/*
 * What the policy holds now, where this user may read it (the daemon's
 * pins want CAP_BPF); otherwise the stream's LIST_ACTIVATED says it.
 */
static void lists_from_policy(const struct options *o, struct top_model *m)
{
	struct passgate_policy_active a;
	struct passgate_policy *policy;
	int64_t tai0;

	policy = passgate_policy_adopt(o->config.pin_root, o->gate);
	if (!policy)
		return;
	tai0 = passgate_policy_tai_seconds(0);
	if (!passgate_policy_active(policy, &a) && a.generation) {
		if (a.generation != m->codes.generation)
			m->codes.expired = false;
		m->codes.generation = a.generation;
		m->codes.expires_at = (int64_t)a.expires_tai - tai0;
	}
	if (!passgate_policy_active_list(policy, PASSGATE_LIST_TICKETS, &a) &&
	    a.generation) {
		if (a.generation != m->tickets.generation)
			m->tickets.expired = false;
		m->tickets.generation = a.generation;
		m->tickets.expires_at = (int64_t)a.expires_tai - tai0;
	}
	passgate_policy_close(policy);
}

static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* 1 to go on, 0 to stop. */
static int take_signal(int fd)
{
	struct signalfd_siginfo si;
	struct winsize ws;
	int go = 1;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGWINCH) {
			go = 0;
			continue;
		}
		if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row &&
		    ws.ws_col) {
			resize_term(ws.ws_row, ws.ws_col);
			/* What the terminal kept of the old size is unknown. */
			clearok(curscr, TRUE);
		}
	}
	return go;
}

/* 1 to go on, 0 to stop. */
static int take_keys(void)
{
	int ch;

	while ((ch = getch()) != ERR)
		if (ch == 'q' || ch == 'Q')
			return 0;
	return 1;
}

static int timer_open(void)
{
	struct itimerspec one_s = {
		.it_interval.tv_sec = 1,
		.it_value.tv_sec = 1,
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd >= 0 && timerfd_settime(fd, 0, &one_s, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int run(struct top *t, const struct options *o)
{
	struct top_clock c;
	uint64_t ticks;
	unsigned int i;

	for (;;) {
		t->m.gst.size = sizeof(t->m.gst);
		if (passgate_gate_get_state(t->gate, &t->m.gst))
			return -1;
		lanes_refresh(t);
		clock_now(&c);
		top_draw(&t->m, &c);
		if (poll(t->pfd, FD_LANES + TOP_LANES_MAX, -1) < 0 &&
		    errno != EINTR)
			return -1;
		if (t->pfd[FD_SIGNALS].revents && !take_signal(t->pfd[FD_SIGNALS].fd))
			return 0;
		if (t->pfd[FD_KEYS].revents & (POLLHUP | POLLERR))
			return 0;
		if (t->pfd[FD_KEYS].revents && !take_keys())
			return 0;
		if (t->pfd[FD_TIMER].revents &&
		    read(t->pfd[FD_TIMER].fd, &ticks, sizeof(ticks)) < 0)
			return -1;
		if (t->pfd[FD_GATE].revents) {
			uint64_t generation = t->m.codes.generation +
					      t->m.tickets.generation;

			if (read_events(t))
				return -1;
			if (generation != t->m.codes.generation +
					  t->m.tickets.generation)
				lists_from_policy(o, &t->m);
		}
		for (i = 0; i < TOP_LANES_MAX; i++)
			if (t->lane[i] && t->pfd[FD_LANES + i].revents)
				lane_read(t, i);
	}
}

int cmd_top(const struct options *o, int argc, char **argv)
{
	struct top t = { .m.gate = o->gate };
	int ret = 1, saved = 0;
	sigset_t old;
	unsigned int i;

	(void)argc;
	(void)argv;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "passgatectl: top needs a terminal "
			"(monitor and status --json are for programs)\n");
		return 2;
	}
	t.gate = passgate_gate_open(o->gate, O_RDONLY | O_NONBLOCK);
	if (!t.gate)
		return fail("gate");
	for (i = 0; i < FD_LANES + TOP_LANES_MAX; i++)
		t.pfd[i].fd = -1;
	t.m.gst.size = sizeof(t.m.gst);
	/* The backlog first: the verdicts and lists of the last minutes. */
	if (passgate_gate_get_state(t.gate, &t.m.gst) ||
	    passgate_gate_seek_events(t.gate, t.m.gst.event_first) ||
	    read_events(&t)) {
		ret = fail("gate events");
		goto out_gate;
	}
	lists_from_policy(o, &t.m);
	t.pfd[FD_GATE] = (struct pollfd){ passgate_gate_fd(t.gate), POLLIN, 0 };
	t.pfd[FD_KEYS] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
	sigprocmask(SIG_BLOCK, NULL, &old);
	t.pfd[FD_SIGNALS] = (struct pollfd){ signals_open(), POLLIN, 0 };
	t.pfd[FD_TIMER] = (struct pollfd){ timer_open(), POLLIN, 0 };
	if (t.pfd[FD_SIGNALS].fd < 0 || t.pfd[FD_TIMER].fd < 0) {
		ret = fail("top");
		goto out_fds;
	}

	initscr();
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	top_draw_init();
	ret = run(&t, o);
	saved = errno;
	endwin();
	if (ret) {
		errno = saved;
		ret = fail(saved == ENODEV ? "the gate went away" : "top");
	}
out_fds:
	if (t.pfd[FD_SIGNALS].fd >= 0)
		close(t.pfd[FD_SIGNALS].fd);
	if (t.pfd[FD_TIMER].fd >= 0)
		close(t.pfd[FD_TIMER].fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (i = 0; i < TOP_LANES_MAX; i++)
		passgate_lane_close(t.lane[i]);
out_gate:
	passgate_gate_close(t.gate);
	return ret;
}
