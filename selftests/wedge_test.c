// SPDX-License-Identifier: GPL-2.0-only
/*
 * The keyboard-wedge bridge end to end: a uinput keyboard that calls
 * itself a barcode scanner, passgated's wedge code (linked in; the test
 * plays the daemon's epoll loop), and lane 1's scans in the gate's event
 * stream with the digests the gate must compute.  Also: the grab is
 * exclusive, lost events drop the code they cut, CapsLock is the
 * scanner's own (not the console's), and a scanner pulled and plugged in
 * again is taken again.
 *
 * The guest runs Debian's kernel, where evdev and uinput are modules,
 * loaded by load_module() below.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libevdev/libevdev.h>
#include <libevdev/libevdev-uinput.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include "gate/passgated/daemon.h"

#define SCANNER_NAME "Passgate Test 2D Barcode Scanner"
/* pid.codes' test id */
#define SCANNER_VENDOR 0x1209
#define SCANNER_PRODUCT 0x0001
#define WEDGE_LANE 1
/* Generous: a TCG guest may stall between two keys the test types. */
#define SCANNER_LINE "\"" SCANNER_NAME "\" lane=1 timeout_ms=2000"

/* One round of the daemon's loop; returns the events handled, or -1. */
static int pump(struct daemon *d, int timeout_ms)
{
	struct passgate_loop_event events[16];
	int n;

	n = passgate_loop_wait(&d->loop, events, 16, timeout_ms);
	for (int i = 0; i < n; i++)
		if (events[i].source == SOURCE_WEDGE)
			wedge_handle(d, events[i].index);
	return n;
}

/*
 * A module of the running kernel, by its path below lib/modules/VER/:
 * from /lib/modules (a gate PC; the arm64 guest's rootfs), else from the
 * guest kernel's tree that setup.sh unpacked (the x86 guest, whose chroot
 * has the host's /lib/modules).
 */
static int load_module(const char *name, const char *path)
{
	static const char *const roots[] = { "", "build/kernel/*" };
	char sysfs[PATH_MAX], pattern[PATH_MAX];
	struct utsname u;
	unsigned int i;
	glob_t g;
	int fd, ret = -ENOENT;

	snprintf(sysfs, sizeof(sysfs), "/sys/module/%s", name);
	if (!access(sysfs, F_OK) || uname(&u))
		return 0;
	for (i = 0; i < ARRAY_SIZE(roots) && ret == -ENOENT; i++) {
		snprintf(pattern, sizeof(pattern), "%s/lib/modules/%s/%s",
			 roots[i], u.release, path);
		if (glob(pattern, 0, NULL, &g))
			continue;
		fd = open(g.gl_pathv[0], O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ret = syscall(SYS_finit_module, fd, "", 0) &&
			      errno != EEXIST ? -errno : 0;
			close(fd);
		}
		globfree(&g);
	}
	return ret;
}

static int scanner_create(struct libevdev_uinput **out)
{
	struct libevdev *dev = libevdev_new();
	int ret;

	if (!dev)
		return -ENOMEM;
	libevdev_set_name(dev, SCANNER_NAME);
	libevdev_set_id_bustype(dev, BUS_USB);
	libevdev_set_id_vendor(dev, SCANNER_VENDOR);
	libevdev_set_id_product(dev, SCANNER_PRODUCT);
	/* A HID keyboard's keys and lights, as a scanner declares them. */
	for (unsigned int code = KEY_ESC; code <= KEY_KPDOT; code++)
		libevdev_enable_event_code(dev, EV_KEY, code, NULL);
	libevdev_enable_event_code(dev, EV_KEY, KEY_KPENTER, NULL);
	libevdev_enable_event_code(dev, EV_KEY, KEY_KPSLASH, NULL);
	libevdev_enable_event_code(dev, EV_LED, LED_NUML, NULL);
	libevdev_enable_event_code(dev, EV_LED, LED_CAPSL, NULL);
	ret = libevdev_uinput_create_from_device(dev,
						 LIBEVDEV_UINPUT_OPEN_MANAGED,
						 out);
	libevdev_free(dev);
	return ret;
}

/* US QWERTY: each key without and with Shift. */
static const struct {
	unsigned short key;
	const char *chars;
} us_keys[] = {
	{ KEY_A, "aA" }, { KEY_B, "bB" }, { KEY_C, "cC" }, { KEY_D, "dD" },
	{ KEY_E, "eE" }, { KEY_F, "fF" }, { KEY_G, "gG" }, { KEY_H, "hH" },
	{ KEY_I, "iI" }, { KEY_J, "jJ" }, { KEY_K, "kK" }, { KEY_L, "lL" },
	{ KEY_M, "mM" }, { KEY_N, "nN" }, { KEY_O, "oO" }, { KEY_P, "pP" },
	{ KEY_Q, "qQ" }, { KEY_R, "rR" }, { KEY_S, "sS" }, { KEY_T, "tT" },
	{ KEY_U, "uU" }, { KEY_V, "vV" }, { KEY_W, "wW" }, { KEY_X, "xX" },
	{ KEY_Y, "yY" }, { KEY_Z, "zZ" },
	{ KEY_1, "1!" }, { KEY_2, "2@" }, { KEY_3, "3#" }, { KEY_4, "4$" },
	{ KEY_5, "5%" }, { KEY_6, "6^" }, { KEY_7, "7&" }, { KEY_8, "8*" },
	{ KEY_9, "9(" }, { KEY_0, "0)" },
	{ KEY_MINUS, "-_" }, { KEY_EQUAL, "=+" }, { KEY_LEFTBRACE, "[{" },
	{ KEY_RIGHTBRACE, "]}" }, { KEY_SEMICOLON, ";:" },
	{ KEY_APOSTROPHE, "'\"" }, { KEY_GRAVE, "`~" },
	{ KEY_BACKSLASH, "\\|" }, { KEY_COMMA, ",<" }, { KEY_DOT, ".>" },
	{ KEY_SLASH, "/?" }, { KEY_SPACE, "  " },
};

static int emit(struct libevdev_uinput *ui, unsigned int code, int value)
{
	int ret = libevdev_uinput_write_event(ui, EV_KEY, code, value);

	return ret ? ret : libevdev_uinput_write_event(ui, EV_SYN, SYN_REPORT, 0);
}

static int tap(struct libevdev_uinput *ui, unsigned int code)
{
	int ret = emit(ui, code, 1);

	return ret ? ret : emit(ui, code, 0);
}

/*
 * Type @text as a scanner does, letting the bridge read after each key
 * unless @d is NULL (then the keys pile up in the kernel).
 */
static int scanner_keys(struct libevdev_uinput *ui, struct daemon *d,
			const char *text)
{
	bool shift;
	size_t i;
	int ret;

	for (; *text; text++) {
		for (i = 0; i < sizeof(us_keys) / sizeof(us_keys[0]); i++)
			if (strchr(us_keys[i].chars, *text))
				break;
		if (i == sizeof(us_keys) / sizeof(us_keys[0]))
			return -EINVAL;
		shift = us_keys[i].chars[0] != *text;
		ret = shift ? emit(ui, KEY_LEFTSHIFT, 1) : 0;
		if (!ret)
			ret = tap(ui, us_keys[i].key);
		if (!ret && shift)
			ret = emit(ui, KEY_LEFTSHIFT, 0);
		if (ret)
			return ret;
		if (d)
			pump(d, 0);
	}
	return 0;
}

/* A whole scan: @text, then Enter. */
static int scanner_type(struct libevdev_uinput *ui, struct daemon *d,
			const char *text)
{
	int ret = scanner_keys(ui, d, text);

	if (!ret)
		ret = tap(ui, KEY_ENTER);
	if (d)
		pump(d, 0);
	return ret;
}

FIXTURE(wedge) {
	struct daemon d;
	struct libevdev_uinput *scanner;
	int events;
};

static int bridge_start(struct daemon *d, const char *line)
{
	d->cfg.wedges = 1;
	if (passgate_wedge_config_parse(line, &d->cfg.wedge[0]))
		return -errno;
	return wedge_open(d) ? -EIO : 0;
}

FIXTURE_SETUP(wedge)
{
	int ret;

	ASSERT_EQ(0, gate_restore());
	ret = load_module("evdev", "kernel/drivers/input/evdev.ko");
	if (!ret)
		ret = load_module("uinput", "kernel/drivers/input/misc/uinput.ko");
	if (ret)
		SKIP(return, "no evdev or uinput module: %s", strerror(-ret));
	ASSERT_EQ(0, scanner_create(&self->scanner));

	self->events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events);
	ASSERT_LE(0, lseek(self->events, 0, SEEK_END));

	memset(&self->d, 0, sizeof(self->d));
	self->d.sigfd = -1;
	ASSERT_EQ(0, passgate_loop_init(&self->d.loop));
	/* The daemon's log lines, as kselftest comments. */
	passgate_log_open("# passgated");
	self->d.cfg.gate = 0;
	ASSERT_EQ(0, bridge_start(&self->d, SCANNER_LINE));
	ASSERT_NE(NULL, self->d.wedge);
}

/* Deny what the scans left in the slow path, so none times out later. */
static void drain_slow_path(void)
{
	struct passgate_verdict_cmd cmd = {
		.size = sizeof(cmd),
		.verdict = PASSGATE_VERDICT_DENY,
	};
	struct passgate_scan scan;
	int fd = lane_open(0, WEDGE_LANE, "scanboard", O_RDWR | O_NONBLOCK);

	if (fd < 0)
		return;
	while (read(fd, &scan, sizeof(scan)) == sizeof(scan)) {
		cmd.scan_id = scan.scan_id;
		ioctl(fd, PASSGATE_IOC_VERDICT, &cmd);
	}
	close(fd);
}

FIXTURE_TEARDOWN(wedge)
{
	wedge_close(&self->d);
	if (self->d.loop.epfd > 0)
		passgate_loop_close(&self->d.loop);
	if (self->scanner)
		libevdev_uinput_destroy(self->scanner);
	if (self->events > 0)
		close(self->events);
	drain_slow_path();
	gate_restore();
}

/*
 * Run the bridge until the gate reports a scan on the wedge's lane; the
 * frames are written while the bridge handles the keys, so the event
 * may already be there.
 */
static int wait_scan(struct daemon *d, int events, struct passgate_event *out)
{
	struct pollfd pfd[2] = {
		{ .fd = events, .events = POLLIN },
		{ .fd = d->loop.epfd, .events = POLLIN },
	};
	int ret;

	for (;;) {
		while (read(events, out, sizeof(*out)) == sizeof(*out))
			if (out->type == PASSGATE_EV_SCAN &&
			    out->lane == WEDGE_LANE)
				return 0;
		if (errno != EAGAIN)
			return -errno;
		ret = poll(pfd, 2, GATE_WAIT_MS);
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
		if (pfd[1].revents)
			pump(d, 0);
	}
}

/*
 * The decoder's inter-key timeout is what is tested here: no event tells
 * that it passed, so a timer measures it out.
 */
static int let_time_pass(unsigned int ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000,
			      .tv_nsec = (ms % 1000) * 1000000L },
	};
	uint64_t expirations;
	int fd, ret = 0;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) ||
	    read(fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		ret = -errno;
	close(fd);
	return ret;
}

static void expect_digest(struct __test_metadata *_metadata,
			  const struct passgate_event *ev, __u8 kind,
			  const char *token)
{
	__u8 digest[PASSGATE_DIGEST_SIZE];

	digest_token(kind, token, digest);
	EXPECT_EQ(kind, ev->arg);
	EXPECT_EQ(0, memcmp(digest, ev->data, sizeof(digest)))
		TH_LOG("digest of \"%s\" differs", token);
}

/* Another reader tries to grab the scanner: it must be ours already. */
static int grab_elsewhere(struct libevdev_uinput *ui)
{
	const char *node = libevdev_uinput_get_devnode(ui);
	struct libevdev *dev;
	int fd, ret;

	fd = node ? open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
	if (fd < 0)
		return -errno;
	ret = libevdev_new_from_fd(fd, &dev);
	if (!ret) {
		ret = libevdev_grab(dev, LIBEVDEV_GRAB);
		libevdev_free(dev);
	}
	close(fd);
	return ret;
}

TEST_F(wedge, health_code_reaches_the_lane_and_nobody_else)
{
	static const char url[] =
		"https://hc.example.gov.cn/v1/Check?ID=AB12&t=9%2F_x-y~z.#a@b"
		"!$*()[],;'\"+";
	const char *node = libevdev_uinput_get_devnode(self->scanner);
	struct passgate_event ev;
	char buf[64];
	int spy;

	ASSERT_NE(NULL, node);
	EXPECT_EQ(-EBUSY, grab_elsewhere(self->scanner));
	/* A reader that does not grab, as a console would be. */
	spy = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, spy);

	ASSERT_EQ(0, scanner_type(self->scanner, &self->d, url));
	ASSERT_EQ(0, wait_scan(&self->d, self->events, &ev));
	expect_digest(_metadata, &ev, PASSGATE_CRED_HEALTH_CODE, url);

	/* The grab kept every key from the other reader. */
	EXPECT_EQ(-1, read(spy, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	close(spy);
}

TEST_F(wedge, prefix_makes_a_ticket)
{
	struct passgate_event ev;

	wedge_close(&self->d);
	ASSERT_EQ(0, bridge_start(&self->d, "1209:0001 lane=1 "
				  "timeout_ms=2000 ticket_prefix=TK:"));
	ASSERT_EQ(0, scanner_type(self->scanner, &self->d, "TK:T-0042"));
	ASSERT_EQ(0, wait_scan(&self->d, self->events, &ev));
	expect_digest(_metadata, &ev, PASSGATE_CRED_TICKET, "T-0042");

	ASSERT_EQ(0, scanner_type(self->scanner, &self->d, "HC:GREEN:0001"));
	ASSERT_EQ(0, wait_scan(&self->d, self->events, &ev));
	expect_digest(_metadata, &ev, PASSGATE_CRED_HEALTH_CODE,
		      "HC:GREEN:0001");
}

TEST_F(wedge, lost_events_drop_the_code_they_cut)
{
	char lost[201];
	struct passgate_event ev;

	wedge_close(&self->d);
	ASSERT_EQ(0, bridge_start(&self->d, SCANNER_LINE " timeout_ms=1000"));
	/*
	 * A code begins; then 200 characters go unread, far more events
	 * than the kernel keeps for a reader: it drops the oldest and says
	 * so (SYN_DROPPED).  The keys after that may be the same code's
	 * end: spliced to its start they would make a credential nobody
	 * showed, so they are dropped up to the terminator.
	 */
	ASSERT_EQ(0, scanner_keys(self->scanner, &self->d, "HC:LOST-"));
	memset(lost, 'q', sizeof(lost) - 1);
	lost[sizeof(lost) - 1] = '\0';
	ASSERT_EQ(0, scanner_keys(self->scanner, NULL, lost));
	while (pump(&self->d, 0) > 0)
		;
	ASSERT_EQ(0, scanner_type(self->scanner, &self->d, "-END"));

	/* After a pause longer than the timeout, a whole code is the first. */
	ASSERT_EQ(0, let_time_pass(2 * 1000));
	ASSERT_EQ(0, scanner_type(self->scanner, &self->d, "HC:AFTER"));
	ASSERT_EQ(0, wait_scan(&self->d, self->events, &ev));
	expect_digest(_metadata, &ev, PASSGATE_CRED_HEALTH_CODE, "HC:AFTER");
}

/* Light CapsLock as the console does on every keyboard it has. */
static int console_capslock(struct libevdev_uinput *ui)
{
	const char *node = libevdev_uinput_get_devnode(ui);
	struct libevdev *dev;
	int fd, ret;

	fd = node ? open(node, O_RDWR | O_NONBLOCK | O_CLOEXEC) : -1;
	if (fd < 0)
		return -errno;
	ret = libevdev_new_from_fd(fd, &dev);
	if (!ret) {
		ret = libevdev_kernel_set_led_value(dev, LED_CAPSL,
						    LIBEVDEV_LED_ON);
		libevdev_free(dev);
	}
	close(fd);
	return ret;
}

/*
 * What the device was last told its CapsLock light is, as uinput passes
 * it on: the light is set within the calls that change it, so what is
 * queued now is all there is.  -ENOENT when it was told nothing since.
 */
static int capslock_light(struct libevdev_uinput *ui)
{
	struct pollfd pfd = { .fd = libevdev_uinput_get_fd(ui),
			      .events = POLLIN };
	struct input_event ie;
	int light = -ENOENT;

	while (poll(&pfd, 1, 0) == 1 &&
	       read(pfd.fd, &ie, sizeof(ie)) == sizeof(ie))
		if (ie.type == EV_LED && ie.code == LED_CAPSL)
			light = ie.value;
	return light;
}

TEST_F(wedge, capslock_is_the_scanners_own)
{
	struct passgate_event ev;

	/* The console's CapsLock lit the scanner before the bridge came... */
	wedge_close(&self->d);
	ASSERT_EQ(0, console_capslock(self->scanner));
	ASSERT_EQ(1, capslock_light(self->scanner));
	ASSERT_EQ(0, bridge_start(&self->d, SCANNER_LINE));
	/* ...the bridge puts it out: it does not type for the console. */
	ASSERT_EQ(0, capslock_light(self->scanner));
	ASSERT_EQ(0, scanner_type(self->scanner, &self->d, "hc:lower"));
	ASSERT_EQ(0, wait_scan(&self->d, self->events, &ev));
	expect_digest(_metadata, &ev, PASSGATE_CRED_HEALTH_CODE, "hc:lower");

	/* The scanner's own CapsLock counts, and its light follows. */
	ASSERT_EQ(0, tap(self->scanner, KEY_CAPSLOCK));
	ASSERT_LT(0, pump(&self->d, GATE_WAIT_MS));
	ASSERT_EQ(1, capslock_light(self->scanner));
	ASSERT_EQ(0, scanner_type(self->scanner, &self->d, "hc:caps1"));
	ASSERT_EQ(0, wait_scan(&self->d, self->events, &ev));
	expect_digest(_metadata, &ev, PASSGATE_CRED_HEALTH_CODE, "HC:CAPS1");
}

TEST_F(wedge, unplugged_scanner_is_taken_again)
{
	struct passgate_event ev;

	/* Pulled out: the bridge lets go and goes on. */
	libevdev_uinput_destroy(self->scanner);
	self->scanner = NULL;
	ASSERT_LT(0, pump(&self->d, GATE_WAIT_MS));

	/* Plugged in again: /dev/input says so, and it is grabbed. */
	ASSERT_EQ(0, scanner_create(&self->scanner));
	ASSERT_LT(0, pump(&self->d, GATE_WAIT_MS));
	EXPECT_EQ(-EBUSY, grab_elsewhere(self->scanner));

	ASSERT_EQ(0, scanner_type(self->scanner, &self->d, "HC:AGAIN"));
	ASSERT_EQ(0, wait_scan(&self->d, self->events, &ev));
	expect_digest(_metadata, &ev, PASSGATE_CRED_HEALTH_CODE, "HC:AGAIN");
}

TEST_HARNESS_MAIN
