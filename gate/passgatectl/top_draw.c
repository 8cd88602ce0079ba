// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgatectl top's screen: one frame of the model, drawn whole with
 * ncurses (which sends only what changed).  Alarms are the loudest thing
 * on it: a fire alarm in a red bar, a lane's latched alarms in reverse
 * red until an operator resets them.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/libpassgate.h"
#include "top.h"

enum {
	PAIR_ALARM = 1,
	PAIR_OK,
	PAIR_WARN,
	PAIR_HEAD,
};

void top_draw_init(void)
{
	if (!has_colors())
		return;
	start_color();
	use_default_colors();
	init_pair(PAIR_ALARM, COLOR_WHITE, COLOR_RED);
	init_pair(PAIR_OK, COLOR_GREEN, -1);
	init_pair(PAIR_WARN, COLOR_YELLOW, -1);
	init_pair(PAIR_HEAD, COLOR_BLACK, COLOR_CYAN);
}

/* @ns as "850 us", "1.2 ms", "2.40 s". */
static void fmt_duration(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000000)
		snprintf(buf, len, "%llu us", (unsigned long long)(ns / 1000));
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", ns / 1e9);
}

/* Seconds until @t as "23h19m", "4m05s", or "expired". */
static void fmt_countdown(char *buf, size_t len, int64_t t, int64_t now)
{
	int64_t left = t - now;

	if (left < 0)
		snprintf(buf, len, "expired");
	else if (left >= 86400)
		snprintf(buf, len, "%lldd%02lldh", (long long)(left / 86400),
			 (long long)(left % 86400 / 3600));
	else if (left >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(left / 3600),
			 (long long)(left % 3600 / 60));
	else
		snprintf(buf, len, "%lldm%02llds", (long long)(left / 60),
			 (long long)(left % 60));
}

static void draw_header(const struct top_model *m, const struct top_clock *c)
{
	char when[16];
	struct tm tm;

	localtime_r(&c->real_s, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	attron(COLOR_PAIR(PAIR_HEAD) | A_BOLD);
	mvhline(0, 0, ' ', COLS);
	mvprintw(0, 0, " passgate top  gate %u  mode %s  lanes %u", m->gate,
		 passgate_gate_mode_name(m->gst.mode) ?: "?", m->gst.lanes);
	mvprintw(0, COLS > 10 ? COLS - 10 : 0, "%s", when);
	attroff(COLOR_PAIR(PAIR_HEAD) | A_BOLD);
	if (m->gst.fire & (PASSGATE_FIRE_ALARM | PASSGATE_FIRE_FAULT |
			   PASSGATE_FIRE_LATCHED)) {
		attron(COLOR_PAIR(PAIR_ALARM) | A_BOLD);
		mvhline(1, 0, ' ', COLS);
		mvprintw(1, 1, "FIRE %s%s%s: every lane open (%llu since start)",
			 m->gst.fire & PASSGATE_FIRE_ALARM ? "ALARM" : "",
			 m->gst.fire & PASSGATE_FIRE_FAULT ? " FAULT" : "",
			 m->gst.fire & PASSGATE_FIRE_LATCHED ?
			 " LATCHED (fire-reset when clear)" : "",
			 (unsigned long long)m->gst.fire_alarms);
		attroff(COLOR_PAIR(PAIR_ALARM) | A_BOLD);
	} else {
		move(1, 0);
		clrtoeol();
		attron(COLOR_PAIR(PAIR_OK));
		mvprintw(1, 1, "no fire alarm");
		attroff(COLOR_PAIR(PAIR_OK));
	}
}

static void draw_list(int row, const char *what, const struct top_list *l,
		      bool degraded, int64_t now)
{
	char left[24], until[32];
	struct tm tm;
	time_t t;

	move(row, 0);
	clrtoeol();
	if (!l->generation) {
		mvprintw(row, 1, "%-7s none active", what);
		return;
	}
	if (!l->expires_at) {
		mvprintw(row, 1, "%-7s generation %llu, expiry not known", what,
			 (unsigned long long)l->generation);
		return;
	}
	t = (time_t)l->expires_at;
	localtime_r(&t, &tm);
	strftime(until, sizeof(until), "%Y-%m-%d %H:%M", &tm);
	fmt_countdown(left, sizeof(left), l->expires_at, now);
	mvprintw(row, 1, "%-7s generation %llu  expires %s (in %s)  ", what,
		 (unsigned long long)l->generation, until, left);
	if (degraded) {
		attron(COLOR_PAIR(PAIR_ALARM) | A_BOLD);
		printw("DEGRADED");
		attroff(COLOR_PAIR(PAIR_ALARM) | A_BOLD);
	} else if (l->expires_at - now < 6 * 3600) {
		attron(COLOR_PAIR(PAIR_WARN) | A_BOLD);
		printw("expires soon");
		attroff(COLOR_PAIR(PAIR_WARN) | A_BOLD);
	} else {
		attron(COLOR_PAIR(PAIR_OK));
		printw("ok");
		attroff(COLOR_PAIR(PAIR_OK));
	}
}

static void draw_latency(int row, const struct top_model *m,
			 const struct top_clock *c)
{
	char p50s[16], p99s[16];
	uint64_t p50, p99;
	unsigned int n;

	move(row, 0);
	clrtoeol();
	n = top_model_latency(m, c->boot_ns, 500, &p50);
	if (!n) {
		mvprintw(row, 1, "scan to unlock: no unlock in the last %llu min",
			 TOP_LATENCY_WINDOW_NS / 60000000000ULL);
		return;
	}
	top_model_latency(m, c->boot_ns, 990, &p99);
	fmt_duration(p50s, sizeof(p50s), p50);
	fmt_duration(p99s, sizeof(p99s), p99);
	mvprintw(row, 1, "scan to unlock  p50 %s  p99 %s  (%u unlocks, %llu min)"
		 "  norm 2 s: ", p50s, p99s, n,
		 TOP_LATENCY_WINDOW_NS / 60000000000ULL);
	attron(COLOR_PAIR(p99 > TOP_NORM_NS ? PAIR_ALARM : PAIR_OK) | A_BOLD);
	printw(p99 > TOP_NORM_NS ? "OVER" : "met");
	attroff(COLOR_PAIR(p99 > TOP_NORM_NS ? PAIR_ALARM : PAIR_OK) | A_BOLD);
}

static void draw_alarms(const struct passgate_state *st)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} alarms[] = {
		{ PASSGATE_ALARM_FORCED, "FORCED" },
		{ PASSGATE_ALARM_TAILGATE, "TAILGATE" },
		{ PASSGATE_ALARM_BEAM_BLOCKED, "BEAM-BLOCKED" },
	};
	char text[64] = "";
	unsigned int i;

	for (i = 0; i < sizeof(alarms) / sizeof(*alarms); i++)
		if (st->alarms & alarms[i].bit)
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 "%s%s", *text ? " " : "", alarms[i].name);
	if (!*text) {
		printw("%-14s", "-");
		return;
	}
	/* Latched until an operator resets them: they stand out. */
	attron(COLOR_PAIR(PAIR_ALARM) | A_BOLD);
	printw("%s", text);
	attroff(COLOR_PAIR(PAIR_ALARM) | A_BOLD);
	if (strlen(text) < 14)
		printw("%*s", (int)(14 - strlen(text)), "");
}

static void draw_readers(const struct top_lane *l)
{
	bool any = false;
	unsigned int r;

	for (r = 0; r < TOP_READERS; r++) {
		if (l->reader[r] != TOP_READER_OFFLINE)
			continue;
		attron(COLOR_PAIR(PAIR_ALARM) | A_BOLD);
		printw("%s OFFLINE ", passgate_reader_name(r) ?: "?");
		attroff(COLOR_PAIR(PAIR_ALARM) | A_BOLD);
		any = true;
	}
	if (!any)
		printw("ok");
}

static int draw_lanes(int row, const struct top_model *m,
		      const struct top_clock *c)
{
	unsigned int i;

	attron(A_BOLD | A_UNDERLINE);
	mvprintw(row++, 1, "%-4s %-9s %-6s %-5s %-5s %-8s %-7s %-14s %s",
		 "LANE", "STATE", "MODE", "DIR", "BEAMS", "PASS/MIN", "OUT",
		 "ALARMS", "READERS");
	attroff(A_BOLD | A_UNDERLINE);
	for (i = 0; i < TOP_LANES_MAX && row < LINES - 2; i++) {
		const struct top_lane *l = &m->lane[i];
		const struct passgate_state *st = &l->st;

		if (!l->present)
			continue;
		move(row, 0);
		clrtoeol();
		mvprintw(row, 1, "%-4u %-9s %-6s %-5s %c%c    %-8u %c%c%c     ",
			 i, passgate_lane_state_name(st->state) ?: "?",
			 passgate_lane_mode_name(st->mode) ?: "?",
			 st->state == PASSGATE_STATE_UNLOCKED ?
			 passgate_direction_name(st->direction) ?: "?" : "-",
			 st->beams & PASSGATE_BEAM_INNER ? 'I' : '-',
			 st->beams & PASSGATE_BEAM_OUTER ? 'O' : '-',
			 top_model_passages(m, i, c->boot_ns),
			 st->outputs & (PASSGATE_OUT_UNLOCK_EXIT |
					PASSGATE_OUT_UNLOCK_ENTRY) ? 'U' : '-',
			 st->outputs & PASSGATE_OUT_ALARM ? 'A' : '-',
			 st->outputs & PASSGATE_OUT_GREEN ? 'G' :
			 st->outputs & PASSGATE_OUT_RED ? 'R' : '-');
		draw_alarms(st);
		printw(" ");
		draw_readers(l);
		row++;
	}
	return row;
}

static void draw_verdicts(int row, const struct top_model *m,
			  const struct top_clock *c)
{
	unsigned int i, shown;

	move(row, 0);
	clrtobot();
	attron(A_BOLD | A_UNDERLINE);
	mvprintw(row++, 1, "%-8s %-4s %-7s %-15s %-10s %s", "TIME", "LANE",
		 "VERDICT", "REASON", "TAKEN", "PATH");
	attroff(A_BOLD | A_UNDERLINE);
	shown = m->verdicts < TOP_VERDICTS ? m->verdicts : TOP_VERDICTS;
	for (i = 0; i < shown && row < LINES - 1; i++) {
		const struct top_verdict *v =
			&m->verdict[(m->verdicts - 1 - i) % TOP_VERDICTS];
		time_t t = c->real_s - (time_t)((c->boot_ns - v->time_ns) /
						 1000000000ULL);
		char when[16], taken[16];
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		fmt_duration(taken, sizeof(taken), v->latency_ns);
		mvprintw(row++, 1, "%-8s %-4u ", when, v->lane);
		if (v->verdict != PASSGATE_VERDICT_ACCEPT)
			attron(A_BOLD);
		printw("%-7s %-15s", passgate_verdict_name(v->verdict) ?: "?",
		       passgate_reason_name(v->reason) ?: "?");
		attroff(A_BOLD);
		printw(" %-10s %s", taken, v->fast ? "fast" : "slow");
	}
}

void top_draw(const struct top_model *m, const struct top_clock *c)
{
	int row;

	erase();
	if (LINES < 12 || COLS < 60) {
		mvprintw(0, 0, "top: too small (%dx%d, needs 60x12)", COLS,
			 LINES);
		refresh();
		return;
	}
	draw_header(m, c);
	draw_list(3, "codes", &m->codes, top_model_degraded(m, c->real_s),
		  c->real_s);
	draw_list(4, "tickets", &m->tickets,
		  m->tickets.generation && (m->tickets.expired ||
		  (m->tickets.expires_at && c->real_s > m->tickets.expires_at)),
		  c->real_s);
	draw_latency(5, m, c);
	row = draw_lanes(7, m, c);
	draw_verdicts(row + 1, m, c);
	attron(A_DIM);
	mvprintw(LINES - 1, 1, "q quit   events %llu%s", (unsigned long long)
		 m->events, m->missed ? "  (some missed: the ring moved on)" :
		 "");
	attroff(A_DIM);
	refresh();
}
