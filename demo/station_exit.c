// SPDX-License-Identifier: GPL-2.0-only
/*
 * make demo: a station exit, replayed on the test gate in QEMU.
 *
 * An issuer signs a list of synthetic passengers; passgated takes it from
 * its spool; passengers scan their health code and ID card in either order
 * on lane 0's UART board, or at lane 1 show the code to its QR engine and
 * lay the card on its ID-card reader (the SAM module and the engine
 * played at the far ends of their UARTs, selftests/readersim.c), walk
 * through (the test board's beams), and the demo checks every verdict
 * against what the list says.  Then the things a station sees: a tailgater, a forced passage, an
 * anti-passback attempt, a staff card on the slow path, a new list
 * generation mid-stream, and a fire alarm with release and reset.  Exits
 * non-zero if any passenger got the wrong verdict.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gate_fixture.h"
#include "board.h"
#include "readersim.h"
#include "samframe.h"
#include "common/digest.h"
#include "common/listfile.h"
#include "common/minisign.h"
#include "gate/core/install.h"
#include "gate/core/journal.h"
#include "gate/core/state.h"

/* Its own pins: the default folder is the passgate user's on a gate PC. */
#define DEMO_PIN_ROOT "/sys/fs/bpf/passgate-demo"
#define PASSENGERS 3000
#define REPLAYED 240
#define ID_KEY "passgate-demo-deployment-key-32b"
#define STAFF_CODE "STAFF:MAINTENANCE:0007"

struct demo {
	char dir[64];
	char config[PATH_MAX];
	struct passgate_seckey *sec;
	int events;
	int tty;
	int bridge;
	struct sam_sim sam;
	int qr;
	unsigned int cards, codes;
	long long cards_before, codes_before;
	int lane_fd[2];
	pid_t daemon;
	uint8_t seq;
	/* results */
	unsigned int scans, accepted, wrong;
	unsigned int denied[PASSGATE_REASON_COUNT];
	uint64_t *fast_ns, *slow_ns;
	unsigned int fast_n, slow_n;
	unsigned int tailgates, forced, fire;
};

/* Passenger i: who they are on the list. */
static unsigned int passenger_status(unsigned int i)
{
	if (i % 20 == 3)
		return PASSGATE_STATUS_RED;
	if (i % 20 == 7)
		return PASSGATE_STATUS_YELLOW;
	return PASSGATE_STATUS_GREEN;
}

static bool passenger_has_id(unsigned int i)
{
	return i % 10 != 5;	/* a tenth travel on the code alone */
}

static void code_of(unsigned int i, char *buf, size_t len)
{
	snprintf(buf, len, "HC:v1:DEMO:%06u:ZJ", i);
}

/* A well-formed ID number (the SAM module checks its last character). */
static void id_of(unsigned int i, char out[19])
{
	char first17[24];

	snprintf(first17, sizeof(first17), "3301061990%07u", i % 10000000);
	sam_id_number(out, first17);
}

static void die(const char *what)
{
	fprintf(stderr, "demo: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Mode 0600: the ID-card key among them, which must be root's alone. */
static void write_file(const char *path, const char *text)
{
	if (file_write(path, text, strlen(text)))
		die(path);
}

static int make_list(struct demo *d, const char *name, unsigned int kind,
		     uint64_t gen, uint64_t base, unsigned int red_from)
{
	struct passgate_list_info info = {
		.kind = kind, .generation = gen, .base_generation = base,
		.issued_at = time(NULL), .not_before = time(NULL) - 60,
		.expires_at = time(NULL) + 86400,
	};
	struct passgate_list_entry *e = calloc(PASSENGERS, sizeof(*e));
	char path[PATH_MAX], token[64], err[256];
	uint8_t digest[PASSGATE_DIGEST_SIZE];
	size_t n = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < PASSENGERS; i++) {
		/* The delta turns passengers from red_from on RED. */
		if (kind == PASSGATE_LIST_DELTA && i < red_from)
			continue;
		code_of(i, token, sizeof(token));
		passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, token,
					strlen(token), NULL, digest);
		memcpy(e[n].digest, digest, sizeof(e[n].digest));
		e[n].status = kind == PASSGATE_LIST_DELTA ?
			      PASSGATE_STATUS_RED : passenger_status(i);
		if (passenger_has_id(i)) {
			id_of(i, token);
			passgate_digest_compute(PASSGATE_CRED_ID_CARD, token,
						strlen(token),
						(const uint8_t *)ID_KEY, digest);
			memcpy(e[n].id_digest, digest, sizeof(e[n].id_digest));
		}
		n++;
	}
	snprintf(path, sizeof(path), "%s/%s", d->dir, name);
	ret = passgate_listfile_write(path, &info, e, n, d->sec, err,
				      sizeof(err));
	if (ret)
		fprintf(stderr, "demo: %s: %s\n", name, err);
	free(e);
	return ret;
}

/* Move a signed list into the spool (signature first) and wait for it. */
static void spool(struct demo *d, const char *name, uint64_t generation)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	struct passgate_event ev;

	snprintf(from, sizeof(from), "%s/%s.minisig", d->dir, name);
	snprintf(to, sizeof(to), "%s/spool/%s.minisig", d->dir, name);
	if (rename(from, to))
		die(from);
	snprintf(from, sizeof(from), "%s/%s", d->dir, name);
	snprintf(to, sizeof(to), "%s/spool/%s", d->dir, name);
	if (rename(from, to))
		die(from);
	if (gate_wait_event(d->events, PASSGATE_EV_LIST_ACTIVATED,
			    PASSGATE_LANE_NONE, &ev) || ev.value != generation) {
		fprintf(stderr, "demo: generation %" PRIu64 " not activated; "
			"the daemon's log:\n", generation);
		snprintf(from, sizeof(from), "tail -n 20 %s/passgated.log >&2",
			 d->dir);
		if (system(from))
			fprintf(stderr, "demo: no daemon log\n");
		exit(2);
	}
}

static void setup(struct demo *d)
{
	char path[PATH_MAX], pub[PATH_MAX], text[2048], err[256];

	snprintf(d->dir, sizeof(d->dir), "/tmp/station-exit-XXXXXX");
	if (!mkdtemp(d->dir))
		die("mkdtemp");
	snprintf(path, sizeof(path), "%s/trust", d->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/spool", d->dir);
	mkdir(path, 0700);
	snprintf(pub, sizeof(pub), "%s/trust/issuer.pub", d->dir);
	snprintf(path, sizeof(path), "%s/issuer.key", d->dir);
	if (passgate_seckey_generate(pub, path, err, sizeof(err)))
		die(err);
	d->sec = passgate_seckey_load(path, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/id.key", d->dir);
	write_file(path, ID_KEY);
	snprintf(path, sizeof(path), "%s/staff.txt", d->dir);
	write_file(path, "# maintenance staff\n" STAFF_CODE "\n");
	/*
	 * No fever screening: it is gate-wide, and lane 1's off-the-shelf
	 * readers measure no temperature (docs/policy.md).
	 */
	snprintf(text, sizeof(text),
		 "gate = 0\ntrust_dir = %s/trust\nspool_dir = %s/spool\n"
		 "pin_root = " DEMO_PIN_ROOT "\n"
		 "state_dir = %s/state\nid_key_file = %s/id.key\n"
		 "staff_file = %s/staff.txt\njournal = %s/journal.db\n"
		 "unknown = defer\nslow_reason = unknown\n"
		 "passback_s = 600\n"
		 "pair_window_ms = 60000\n",
		 d->dir, d->dir, d->dir, d->dir, d->dir, d->dir);
	snprintf(d->config, sizeof(d->config), "%s/passgated.conf", d->dir);
	write_file(d->config, text);
	/* Installing a gate: its rollback record starts at generation 0. */
	snprintf(path, sizeof(path), "%s/state", d->dir);
	if (passgate_record_seed(path, 0, 0))
		die("seed");
}

static void start_daemon(struct demo *d)
{
	char log[PATH_MAX];

	snprintf(log, sizeof(log), "%s/passgated.log", d->dir);
	d->daemon = passgated_start(d->config, log);
	if (d->daemon < 0) {
		fprintf(stderr, "demo: passgated did not start (see %s)\n", log);
		exit(2);
	}
}

static void record_latency(struct demo *d,
			   const struct passgate_verdict_record *rec)
{
	uint64_t ns = rec->actuated_ns - rec->received_ns;

	if (!rec->actuated_ns)
		return;
	if (rec->fast)
		d->fast_ns[d->fast_n++] = ns;
	else
		d->slow_ns[d->slow_n++] = ns;
}

/*
 * Lane 1's readers: a code to the QR engine, an ID card laid on the
 * reader (the previous one taken away first).  0 or -errno.
 */
static int reader_scan(struct demo *d, unsigned int kind, const char *token)
{
	struct sam_card c;

	if (kind == PASSGATE_CRED_HEALTH_CODE) {
		d->codes++;
		return qr_send(d->qr, NULL, token, 0);
	}
	sam_card_make(&c, token, "20200101", "20991231", "旅客", "浙江省杭州市");
	sam_sim_place(&d->sam, &c);
	d->cards++;
	return 0;
}

/*
 * One scan on @lane (0: UART board, 1: its off-the-shelf readers, or with
 * @bridge the scanboard node's write()); returns the verdict.
 */
static unsigned int scan_on(struct demo *d, unsigned int lane, bool bridge,
			    unsigned int kind, const char *token,
			    unsigned int *reason)
{
	__u8 frame[PASSGATE_FRAME_MAX];
	struct passgate_verdict_record rec;
	struct passgate_event ev;
	size_t n;
	int ret;

	/* The gate's thermometer measures every passenger: 36.5 °C. */
	n = board_scan_frame(frame, sizeof(frame), ++d->seq, kind, token,
			     3650);
	if (lane == 0)
		ret = board_write(d->tty, frame, n);
	else if (bridge)
		ret = write(d->bridge, frame, n) != (ssize_t)n ? -errno : 0;
	else
		ret = reader_scan(d, kind, token);
	if (ret)
		die("scan");
	if (gate_wait_event(d->events, PASSGATE_EV_VERDICT, lane, &ev)) {
		/* Which reader lost it, if one did: its counters say. */
		fprintf(stderr, "demo: no verdict on lane %u for scan %u (%s) "
			"within %d ms; lane 1: qr_codes %lld qr_truncated %lld "
			"qr_rx_bytes %lld sam_cards %lld sam_cards_repeated "
			"%lld sam_timeouts %lld\n", lane, d->seq,
			kind == PASSGATE_CRED_HEALTH_CODE ? "code" : "ID card",
			GATE_WAIT_MS, lane_stat(1, "qr_codes"),
			lane_stat(1, "qr_truncated"),
			lane_stat(1, "qr_rx_bytes"), lane_stat(1, "sam_cards"),
			lane_stat(1, "sam_cards_repeated"),
			lane_stat(1, "sam_timeouts"));
		exit(2);
	}
	memcpy(&rec, ev.data, sizeof(rec));
	*reason = rec.reason;
	d->scans++;
	record_latency(d, &rec);
	return ev.arg;
}

static unsigned int scan(struct demo *d, unsigned int lane, unsigned int kind,
			 const char *token, unsigned int *reason)
{
	return scan_on(d, lane, false, kind, token, reason);
}

static void expect(struct demo *d, unsigned int who, const char *what,
		   unsigned int verdict, unsigned int reason,
		   unsigned int want, unsigned int want_reason)
{
	if (verdict == PASSGATE_VERDICT_ACCEPT)
		d->accepted++;
	else if (verdict == PASSGATE_VERDICT_DENY)
		d->denied[reason]++;
	if (verdict == want && (want != PASSGATE_VERDICT_DENY ||
				reason == want_reason))
		return;
	d->wrong++;
	fprintf(stderr, "\ndemo: passenger %u, %s: verdict %u reason %u, "
		"expected %u reason %u\n", who, what, verdict, reason, want,
		want_reason);
}

/* Walk through lane @lane in the exit direction (beams in order). */
static void walk(struct demo *d, unsigned int lane)
{
	int fd = d->lane_fd[lane];

	if (lane_beam(fd, lane, PASSGATE_BEAM_INNER, 1) ||
	    lane_beam(fd, lane, PASSGATE_BEAM_OUTER, 1) ||
	    lane_beam(fd, lane, PASSGATE_BEAM_INNER, 0) ||
	    lane_beam(fd, lane, PASSGATE_BEAM_OUTER, 0))
		die("walk");
}

static void progress(struct demo *d, unsigned int done, const char *phase)
{
	printf("\r[%3u/%u] %-22s scans %4u  accepted %4u  wrong %u ", done,
	       REPLAYED, phase, d->scans, d->accepted, d->wrong);
	fflush(stdout);
}

/* What passenger @i should get for their code, alone or with the ID. */
static void passenger(struct demo *d, unsigned int i, bool red_now)
{
	unsigned int lane = i % 2, reason, v;
	unsigned int status = red_now ? PASSGATE_STATUS_RED :
			      passenger_status(i);
	char code[64], id[64];
	bool id_first = i % 4 >= 2;

	code_of(i, code, sizeof(code));
	id_of(i, id);
	if (status == PASSGATE_STATUS_RED) {
		v = scan(d, lane, PASSGATE_CRED_HEALTH_CODE, code, &reason);
		expect(d, i, "red code", v, reason, PASSGATE_VERDICT_DENY,
		       PASSGATE_REASON_RED);
		return;
	}
	if (status == PASSGATE_STATUS_YELLOW) {
		v = scan(d, lane, PASSGATE_CRED_HEALTH_CODE, code, &reason);
		expect(d, i, "yellow code", v, reason, PASSGATE_VERDICT_DENY,
		       PASSGATE_REASON_MANUAL_CHECK);
		return;
	}
	if (!passenger_has_id(i)) {
		v = scan(d, lane, PASSGATE_CRED_HEALTH_CODE, code, &reason);
		expect(d, i, "code alone", v, reason, PASSGATE_VERDICT_ACCEPT,
		       0);
	} else if (id_first) {
		v = scan(d, lane, PASSGATE_CRED_ID_CARD, id, &reason);
		expect(d, i, "ID first", v, reason, PASSGATE_VERDICT_PENDING, 0);
		v = scan(d, lane, PASSGATE_CRED_HEALTH_CODE, code, &reason);
		expect(d, i, "then code", v, reason, PASSGATE_VERDICT_ACCEPT,
		       0);
	} else {
		v = scan(d, lane, PASSGATE_CRED_HEALTH_CODE, code, &reason);
		expect(d, i, "code first", v, reason, PASSGATE_VERDICT_PENDING,
		       0);
		v = scan(d, lane, PASSGATE_CRED_ID_CARD, id, &reason);
		expect(d, i, "then ID", v, reason, PASSGATE_VERDICT_ACCEPT, 0);
	}
	if (v == PASSGATE_VERDICT_ACCEPT)
		walk(d, lane);
	if (lane == 1)
		sam_sim_remove(&d->sam);
}

static void incidents(struct demo *d)
{
	struct passgate_event ev;
	unsigned int reason, v;
	char code[64];
	int fd = d->lane_fd[0];

	/* Anti-passback: passenger 0 came through already. */
	code_of(0, code, sizeof(code));
	v = scan(d, 1, PASSGATE_CRED_HEALTH_CODE, code, &reason);
	expect(d, 0, "passback", v, reason, PASSGATE_VERDICT_DENY,
	       PASSGATE_REASON_PASSBACK);
	/* Someone not on the list; and a staff card, on the slow path. */
	v = scan(d, 0, PASSGATE_CRED_HEALTH_CODE, "HC:v1:NOT-ON-THE-LIST", &reason);
	expect(d, 9001, "unknown", v, reason, PASSGATE_VERDICT_DENY,
	       PASSGATE_REASON_UNKNOWN);
	/* Maintenance staff going in and out all day, on the slow path. */
	for (int n = 0; n < 20; n++) {
		v = scan(d, n % 2, PASSGATE_CRED_HEALTH_CODE, STAFF_CODE,
			 &reason);
		expect(d, 9002, "staff card", v, reason,
		       PASSGATE_VERDICT_ACCEPT, 0);
		if (v == PASSGATE_VERDICT_ACCEPT)
			walk(d, n % 2);
	}

	/* A tailgater follows a passenger who travels on the code alone. */
	code_of(2005, code, sizeof(code));
	v = scan(d, 0, PASSGATE_CRED_HEALTH_CODE, code, &reason);
	expect(d, 2005, "before a tailgater", v, reason,
	       PASSGATE_VERDICT_ACCEPT, 0);
	if (lane_beam(fd, 0, PASSGATE_BEAM_INNER, 1) ||
	    lane_beam(fd, 0, PASSGATE_BEAM_OUTER, 1) ||
	    lane_beam(fd, 0, PASSGATE_BEAM_INNER, 0) ||
	    lane_beam(fd, 0, PASSGATE_BEAM_INNER, 1) ||
	    gate_wait_event(d->events, PASSGATE_EV_TAILGATE, 0, &ev) ||
	    lane_beam(fd, 0, PASSGATE_BEAM_OUTER, 0) ||
	    lane_beam(fd, 0, PASSGATE_BEAM_INNER, 0))
		die("tailgate");
	d->tailgates++;

	/* Forced: through a locked lane. */
	if (lane_beam(fd, 0, PASSGATE_BEAM_INNER, 1) ||
	    lane_beam(fd, 0, PASSGATE_BEAM_OUTER, 1) ||
	    gate_wait_event(d->events, PASSGATE_EV_FORCED, 0, &ev) ||
	    lane_beam(fd, 0, PASSGATE_BEAM_INNER, 0) ||
	    lane_beam(fd, 0, PASSGATE_BEAM_OUTER, 0) ||
	    lane_reset_alarms(fd))
		die("forced");
	d->forced++;
}

static void fire_drill(struct demo *d)
{
	struct passgate_event ev;
	int gfd = d->events;

	if (tb_drive(TB_FIRE_ALARM, 1) ||
	    gate_wait_event(gfd, PASSGATE_EV_FIRE_ALARM, PASSGATE_LANE_NONE,
			    &ev))
		die("fire alarm");
	if (tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)) != 1 ||
	    tb_read(TB_LANE_LINE(1, TB_UNLOCK_EXIT)) != 1 ||
	    tb_read(TB_LANE_LINE(0, TB_UNLOCK_ENTRY)) != 1) {
		fprintf(stderr, "demo: fire alarm: a lane stayed locked\n");
		d->wrong++;
	}
	if (gate_reset_fire(gfd) != -EBUSY) {
		fprintf(stderr, "demo: fire reset accepted during the alarm\n");
		d->wrong++;
	}
	if (tb_drive(TB_FIRE_ALARM, 0) ||
	    gate_wait_event(gfd, PASSGATE_EV_FIRE_CLEAR, PASSGATE_LANE_NONE,
			    &ev) || gate_reset_fire(gfd) ||
	    gate_wait_event(gfd, PASSGATE_EV_FIRE_RESET, PASSGATE_LANE_NONE,
			    &ev))
		die("fire reset");
	if (tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)) != 0) {
		fprintf(stderr, "demo: still open after the reset\n");
		d->wrong++;
	}
	d->fire++;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double percentile_us(uint64_t *v, unsigned int n, unsigned int p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(n - 1) * p / 100] / 1000.0;
}

/* Count what the journal holds of [first, next) and verify its chain. */
static uint64_t journaled(struct demo *d, uint64_t first, uint64_t next,
			  bool *verified)
{
	struct passgate_journal_filter f = {
		.flags = PASSGATE_JOURNAL_F_SEQ, .stream = 1,
		.first_seq = first, .last_seq = next - 1,
	};
	struct passgate_journal_report report;
	struct passgate_journal_cursor *c;
	struct passgate_journal_row row;
	struct passgate_journal *j;
	char path[PATH_MAX], err[256];
	uint64_t n = 0;

	snprintf(path, sizeof(path), "%s/journal.db", d->dir);
	j = passgate_journal_open(path, 0, PASSGATE_JOURNAL_RDONLY, err,
				  sizeof(err));
	if (!j) {
		fprintf(stderr, "demo: journal: %s\n", err);
		*verified = false;
		return 0;
	}
	*verified = !passgate_journal_verify(j, &report);
	c = passgate_journal_query(j, &f);
	while (c && passgate_journal_cursor_next(c, &row) == 1)
		n += row.event.type != PASSGATE_EV_LOST;
	passgate_journal_cursor_close(c);
	passgate_journal_close(j);
	return n;
}

static void report(struct demo *d, uint64_t emitted, uint64_t stored,
		   bool verified)
{
	static const char *const names[PASSGATE_REASON_COUNT] = {
		"-", "not on the list", "red code", "manual check (yellow)",
		"ID mismatch", "fever", "anti-passback", "no ticket",
		"timeout", "busy", "no key", "list expired", "lane busy",
		"bad verdict", "wait ID", "wait code", "not valid",
		"no temperature", "ID card expired", "ticket used",
		"fare adjustment",
	};
	unsigned int r;

	printf("\n\n== station exit: results\n");
	printf("  %-34s %u on the list, %u replayed\n", "passengers",
	       PASSENGERS, REPLAYED);
	printf("  %-34s %u\n", "scans", d->scans);
	printf("  %-34s %u\n", "accepted", d->accepted);
	printf("  %-34s %u codes, %u ID cards (the lane counted %lld, %lld)\n",
	       "lane 1's QR engine, card reader", d->codes, d->cards,
	       lane_stat(1, "qr_codes") - d->codes_before,
	       lane_stat(1, "sam_cards") - d->cards_before);
	for (r = 0; r < PASSGATE_REASON_COUNT; r++)
		if (d->denied[r])
			printf("  denied: %-26s %u\n", names[r], d->denied[r]);
	printf("  %-34s %u / %u / %u\n", "tailgaters / forced / fire drills",
	       d->tailgates, d->forced, d->fire);
	printf("  %-34s p50 %8.1f us  p99 %8.1f us  (%u)\n",
	       "scan-to-unlock, fast path", percentile_us(d->fast_ns, d->fast_n, 50),
	       percentile_us(d->fast_ns, d->fast_n, 99), d->fast_n);
	printf("  %-34s p50 %8.1f us  p99 %8.1f us  (%u)\n",
	       "scan-to-unlock, slow path", percentile_us(d->slow_ns, d->slow_n, 50),
	       percentile_us(d->slow_ns, d->slow_n, 99), d->slow_n);
	printf("  %-34s %" PRIu64 "\n", "events emitted", emitted);
	printf("  %-34s %" PRIu64 "%s\n", "events journaled", stored,
	       stored == emitted ? " (all)" : " (MISSING EVENTS)");
	printf("  %-34s %s\n", "journal hash chain",
	       verified ? "verified" : "BROKEN");
	printf("  %-34s %u\n", "wrong verdicts", d->wrong);
}

int main(void)
{
	struct passgate_gate_state gst;
	struct demo d = { .seq = 0 };
	uint64_t first, stored;
	bool verified;
	unsigned int i;

	d.fast_ns = calloc(4 * REPLAYED, sizeof(uint64_t));
	d.slow_ns = calloc(4 * REPLAYED, sizeof(uint64_t));
	if (gate_restore())
		die("gate");
	setup(&d);
	d.events = gate_open(0, O_RDWR | O_NONBLOCK);
	d.tty = board_open();
	d.bridge = lane_open(0, 1, "scanboard", O_RDWR | O_NONBLOCK);
	if (sam_sim_start(&d.sam, SAM_FAR_TTY))
		die(SAM_FAR_TTY);
	d.qr = qr_open(QR_FAR_TTY);
	d.lane_fd[0] = lane_open(0, 0, "turnstile", O_RDWR | O_NONBLOCK);
	d.lane_fd[1] = lane_open(0, 1, "turnstile", O_RDWR | O_NONBLOCK);
	if (d.events < 0 || d.tty < 0 || d.bridge < 0 || d.qr < 0 ||
	    d.lane_fd[0] < 0 || d.lane_fd[1] < 0)
		die("gate nodes");
	first = lseek(d.events, 0, SEEK_END);
	d.cards_before = lane_stat(1, "sam_cards");
	d.codes_before = lane_stat(1, "qr_codes");

	printf("== issuing a signed list of %u passengers\n", PASSENGERS);
	if (make_list(&d, "list-000001.pgl", PASSGATE_LIST_FULL, 1, 0, 0) ||
	    make_list(&d, "list-000002.pgl", PASSGATE_LIST_DELTA, 2, 1,
		      PASSENGERS - 100))
		return 2;
	printf("== starting passgated; the list goes into its spool\n");
	start_daemon(&d);
	spool(&d, "list-000001.pgl", 1);

	printf("== passengers leave through lane 0 (UART board) and lane 1 "
	       "(QR engine and ID-card reader)\n");
	for (i = 0; i < REPLAYED / 2; i++) {
		passenger(&d, i, false);
		progress(&d, i + 1, "generation 1");
	}
	incidents(&d);
	/* Generation 2 turns the last 100 passengers RED, mid-stream. */
	spool(&d, "list-000002.pgl", 2);
	for (; i < REPLAYED; i++) {
		unsigned int who = i < REPLAYED - 20 ? i :
				   PASSENGERS - (REPLAYED - i);

		passenger(&d, who, who >= PASSENGERS - 100);
		progress(&d, i + 1, "generation 2 (delta)");
	}
	fire_drill(&d);

	if (gate_get_state(d.events, &gst))
		die("gate state");
	/* SIGTERM: the daemon commits what it has read, then goes. */
	kill(d.daemon, SIGTERM);
	waitpid(d.daemon, NULL, 0);
	stored = journaled(&d, first, gst.event_next, &verified);
	report(&d, gst.event_next - first, stored, verified);
	passgate_policy_unpin(DEMO_PIN_ROOT, 0);
	sam_sim_stop(&d.sam);
	/* Every code and card the readers were given was read, once. */
	if (lane_stat(1, "qr_codes") - d.codes_before != d.codes ||
	    lane_stat(1, "sam_cards") - d.cards_before != d.cards)
		d.wrong++;
	return d.wrong || stored != gst.event_next - first || !verified;
}
