// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench, the off-the-shelf readers: how long a passenger waits at a
 * lane with an ID-card SAM module and a QR engine instead of a board,
 * measured on the test gate (gate 0; lane 1 has the readers, lane 0 the
 * board) with the real policy and the lines paced at their baud rates by
 * the far ends (selftests/readersim.c).
 *
 *  1. Card on the reader -> unlock: the health code is shown first (the
 *     lane waits for its ID card); then the card is laid on the reader
 *     (t0, CLOCK_BOOTTIME) and the VERDICT's actuated_ns ends it.  The
 *     card read (the wait for the next poll, find, select, the 1295-byte
 *     answer at 115200 baud) ends at the verdict record's received_ns.
 *  2. Code -> unlock, the ID card first: from the engine's first byte
 *     (the wire included) and from the code's last byte (the kernel's
 *     received_ns), beside the same on lane 0's board over its UART.
 *
 *   readers_bench [--out FILE] [--passengers N]
 *
 * Prints a Markdown table, and writes it to --out.  Waits on the gate's
 * event stream and the simulator's counts, never on time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "board.h"
#include "gate_fixture.h"
#include "policy_env.h"
#include "readersim.h"
#include "samframe.h"

#define NORM_NS 2000000000ull	/* the 2 s a passenger's check may take */
#define SAM_BAUD 115200		/* the test gate's firmware, both engines */
#define QR_BAUD 115200
#define BOARD_BAUD 115200

struct series {
	const char *what;
	uint64_t *ns;
	unsigned int n;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "readers_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void id_of(unsigned int i, char out[19])
{
	char first17[24];

	snprintf(first17, sizeof(first17), "33010619900101%03u", i % 1000);
	sam_id_number(out, first17);
}

static void code_of(unsigned int i, char *out, size_t len)
{
	snprintf(out, len, "HC:v1:READERS:%06u", i);
}

/* The next VERDICT of @lane: its record; dies unless it is @want. */
static struct passgate_verdict_record verdict(int events, unsigned int lane,
					      unsigned int want, const char *what)
{
	struct passgate_verdict_record rec;
	struct passgate_event ev;

	if (gate_wait_event(events, PASSGATE_EV_VERDICT, lane, &ev))
		die("lane %u, %s: no verdict", lane, what);
	memcpy(&rec, ev.data, sizeof(rec));
	if (ev.arg != want)
		die("lane %u, %s: verdict %u reason %u, not %u", lane, what,
		    ev.arg, rec.reason, want);
	return rec;
}

static void add(struct series *s, uint64_t ns)
{
	s->ns[s->n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_ms(struct series *s, unsigned int p)
{
	qsort(s->ns, s->n, sizeof(*s->ns), cmp_u64);
	return s->n ? s->ns[(uint64_t)(s->n - 1) * p / 100] / 1e6 : 0;
}

static void row(FILE *f, struct series *s)
{
	double p50 = pct_ms(s, 50), p99 = pct_ms(s, 99);

	fprintf(f, "| %s | %.1f ms | %.1f ms | %.1f%% | %u |\n", s->what, p50,
		p99, 100.0 * p99 / (NORM_NS / 1e6), s->n);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "passengers", required_argument, NULL, 'n' },
		{ 0 },
	};
	struct series card = { .what = "card on the reader → unlock" };
	struct series read = { .what = "of which the card read (next poll, find, select, read)" };
	struct series qr_wire = { .what = "QR code → unlock, from its first byte" };
	struct series qr_kern = { .what = "QR code → unlock, from its last byte" };
	struct series board_wire = { .what = "board code → unlock, from its first byte" };
	struct series board_kern = { .what = "board code → unlock, from its last byte" };
	struct series *all[] = { &card, &read, &qr_wire, &qr_kern, &board_wire,
				 &board_kern };
	struct passgate_verdict_record rec;
	struct passgate_list_entry *e;
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL,
		.generation = 1,
	};
	unsigned int n = 50, i, k;
	struct policy_env env;
	struct sam_sim sam;
	struct sam_card c;
	struct sam_counts counts;
	const char *out = NULL;
	char id[19], code[40];
	uint8_t frame[PASSGATE_FRAME_MAX];
	uint64_t t0;
	size_t len;
	int qr, board, opt;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: readers_bench [--out FILE] "
				"[--passengers N]\n");
			return 2;
		}
	}
	if (!n || n > 1000)
		die("--passengers is 1 to 1000");
	for (k = 0; k < sizeof(all) / sizeof(all[0]); k++)
		if (!(all[k]->ns = calloc(n, sizeof(uint64_t))))
			die("out of memory");

	if (gate_restore() ||
	    policy_env_setup_on(&env, "readers-bench", "pair_window_ms = 60000\n",
				0))
		die("no gate");
	e = calloc(n, sizeof(*e));
	if (!e)
		die("out of memory");
	for (i = 0; i < n; i++) {
		id_of(i, id);
		code_of(i, code, sizeof(code));
		e[i].status = PASSGATE_STATUS_GREEN;
		policy_env_code_digest(code, e[i].digest, sizeof(e[i].digest));
		policy_env_id_digest(id, e[i].id_digest,
				     sizeof(e[i].id_digest));
	}
	info.issued_at = time(NULL);
	info.not_before = info.issued_at - 60;
	info.expires_at = info.issued_at + 3600;
	if (policy_env_install(&env, &info, e, n))
		die("list not installed");
	free(e);
	if (sam_sim_start(&sam, SAM_FAR_TTY))
		die("%s: %s", SAM_FAR_TTY, strerror(errno));
	sam_sim_set_baud(&sam, SAM_BAUD);
	qr = qr_open(QR_FAR_TTY);
	board = board_open();
	if (qr < 0 || board < 0)
		die("far ends: %s", strerror(errno));

	for (i = 0; i < n; i++) {
		id_of(i, id);
		code_of(i, code, sizeof(code));
		sam_card_make(&c, id, "20200101", "20991231", "旅客", "杭州");

		/* 1: code first, then the card. */
		if (qr_send(qr, NULL, code, QR_BAUD))
			die("QR engine: %s", strerror(errno));
		verdict(env.events, 1, PASSGATE_VERDICT_PENDING, "code first");
		sam_sim_place(&sam, &c);
		t0 = sam.placed_ns;
		rec = verdict(env.events, 1, PASSGATE_VERDICT_ACCEPT, "then the card");
		add(&card, rec.actuated_ns - t0);
		add(&read, rec.received_ns - t0);
		if (lane_relock(1))
			die("relock lane 1");

		/* 2: the card first (still on the reader: take it off and
		 * on again), then the code. */
		sam_sim_remove(&sam);
		counts = sam_sim_counts(&sam);
		if (sam_sim_wait(&sam, offsetof(struct sam_counts, absent),
				 counts.absent + 1))
			die("SAM module not polled");
		sam_sim_place(&sam, &c);
		verdict(env.events, 1, PASSGATE_VERDICT_PENDING, "card first");
		t0 = boottime_ns();
		if (qr_send(qr, NULL, code, QR_BAUD))
			die("QR engine: %s", strerror(errno));
		rec = verdict(env.events, 1, PASSGATE_VERDICT_ACCEPT, "then the code");
		add(&qr_wire, rec.actuated_ns - t0);
		add(&qr_kern, rec.actuated_ns - rec.received_ns);
		sam_sim_remove(&sam);
		if (lane_relock(1))
			die("relock lane 1");

		/* The same on lane 0's board. */
		len = board_scan_frame(frame, sizeof(frame), 2 * i,
				       PASSGATE_CRED_ID_CARD, id, -1);
		if (line_write(board, frame, len, BOARD_BAUD))
			die("board: %s", strerror(errno));
		verdict(env.events, 0, PASSGATE_VERDICT_PENDING, "board ID");
		len = board_scan_frame(frame, sizeof(frame), 2 * i + 1,
				       PASSGATE_CRED_HEALTH_CODE, code, -1);
		t0 = boottime_ns();
		if (line_write(board, frame, len, BOARD_BAUD))
			die("board: %s", strerror(errno));
		rec = verdict(env.events, 0, PASSGATE_VERDICT_ACCEPT, "board code");
		add(&board_wire, rec.actuated_ns - t0);
		add(&board_kern, rec.actuated_ns - rec.received_ns);
		board_forget(board);
		if (lane_relock(0))
			die("relock lane 0");
	}
	sam_sim_stop(&sam);
	close(qr);
	close(board);
	policy_env_teardown(&env);

	f = out ? fopen(out, "w") : NULL;
	if (out && !f)
		die("%s: %s", out, strerror(errno));
	for (FILE *to = stdout; to; to = to == stdout ? f : NULL) {
		fprintf(to, "| measurement | p50 | p99 | p99 of the 2 s norm | "
			"passengers |\n|---|---|---|---|---|\n");
		for (k = 0; k < sizeof(all) / sizeof(all[0]); k++)
			row(to, all[k]);
		fprintf(to, "\nQR engine ÷ board, code → unlock from the last "
			"byte: %.2f× at p50, %.2f× at p99.\n",
			pct_ms(&qr_kern, 50) / pct_ms(&board_kern, 50),
			pct_ms(&qr_kern, 99) / pct_ms(&board_kern, 99));
	}
	if (f)
		fclose(f);
	return 0;
}
