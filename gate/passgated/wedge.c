// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keyboard-wedge scanners (docs/wedge.md): a USB scanner that types its
 * codes.  Each "wedge =" line of the configuration names one by device
 * name or USB id; it is found among /dev/input/event*, grabbed so that no
 * console or other reader sees its keys, decoded (lib/wedge.c), and each
 * complete code goes to its lane's scanboard node as one SCAN frame,
 * where the kernel decides as for the UART board.  /dev/input is watched,
 * so a scanner plugged in late, or again after it was pulled, is taken as
 * it appears.  The lines are read once, at start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libevdev/libevdev.h>

#include "daemon.h"
#include "gate/core/wedge.h"
#include "scanframe.h"

#define WEDGE_INPUT_DIR "/dev/input"
#define WEDGE_NODE_MAX (sizeof(WEDGE_INPUT_DIR "/") + NAME_MAX)
/* Input devices taken at once: a scanner may show several. */
#define WEDGE_MAX_DEVICES 16
/* The epoll index of the inotify watch; devices have their slot's. */
#define WEDGE_INDEX_WATCH WEDGE_MAX_DEVICES

/**
 * struct wedge_scanner - one "wedge =" line
 * @cfg: the line
 * @board_fd: the lane's scanboard node, opened when first needed
 * @seq: sequence number of the next SCAN frame
 * @missing_logged: said once that no device matches yet
 */
struct wedge_scanner {
	struct passgate_wedge_config cfg;
	int board_fd;
	uint8_t seq;
	bool missing_logged;
};

/**
 * struct wedge_device - an input device taken for a scanner
 * @evdev: NULL while the slot is free
 * @fd: the event node, grabbed
 * @rdev: its device number, so a rescan does not take it twice
 * @scanner: index in &struct wedge_bridge.scanner
 * @node: its path, for the log
 * @decoder: its key events so far
 */
struct wedge_device {
	struct libevdev *evdev;
	int fd;
	dev_t rdev;
	unsigned int scanner;
	char node[WEDGE_NODE_MAX];
	struct passgate_wedge_decoder decoder;
};

/**
 * struct wedge_bridge - every wedge scanner of the daemon
 * @gate: the gate whose lanes get the codes
 * @scanner: the configured lines
 * @scanners: how many
 * @inotify_fd: watches /dev for "input" and /dev/input for event nodes
 * @input_wd: the /dev/input watch, -1 while there is no /dev/input
 * @device: slots; the epoll index of a device is its slot
 * @code: the code being forwarded
 * @frame: its SCAN frame
 */
struct wedge_bridge {
	unsigned int gate;
	struct wedge_scanner scanner[PASSGATE_WEDGE_MAX];
	unsigned int scanners;
	int inotify_fd;
	int input_wd;
	struct wedge_device device[WEDGE_MAX_DEVICES];
	struct passgate_wedge_code code;
	uint8_t frame[PASSGATE_FRAME_MAX];
};

static void wedge_describe(const struct passgate_wedge_config *cfg, char *buf,
			   size_t len)
{
	if (cfg->by_id)
		snprintf(buf, len, "%04x:%04x", cfg->vendor, cfg->product);
	else
		snprintf(buf, len, "\"%s\"", cfg->name);
}

/* Whether @dev is the scanner @cfg describes, and can end a code. */
static bool wedge_matches(const struct passgate_wedge_config *cfg,
			  const struct libevdev *dev)
{
	const char *name = libevdev_get_name(dev);
	bool can_end = false;

	if (cfg->by_id) {
		if (libevdev_get_id_vendor(dev) != cfg->vendor ||
		    libevdev_get_id_product(dev) != cfg->product)
			return false;
	} else if (!name || fnmatch(cfg->name, name, 0)) {
		return false;
	}
	/* A scanner's other interfaces (consumer keys, mouse) share its id. */
	if (cfg->terminators & PASSGATE_WEDGE_TERM_ENTER)
		can_end |= libevdev_has_event_code(dev, EV_KEY, KEY_ENTER) ||
			   libevdev_has_event_code(dev, EV_KEY, KEY_KPENTER);
	if (cfg->terminators & PASSGATE_WEDGE_TERM_TAB)
		can_end |= libevdev_has_event_code(dev, EV_KEY, KEY_TAB);
	return can_end;
}

static struct wedge_device *wedge_free_slot(struct wedge_bridge *b)
{
	for (unsigned int i = 0; i < WEDGE_MAX_DEVICES; i++)
		if (!b->device[i].evdev)
			return &b->device[i];
	return NULL;
}

static bool wedge_taken(const struct wedge_bridge *b, dev_t rdev)
{
	for (unsigned int i = 0; i < WEDGE_MAX_DEVICES; i++)
		if (b->device[i].evdev && b->device[i].rdev == rdev)
			return true;
	return false;
}

/* The lane @w types into. */
static unsigned int wedge_lane(const struct wedge_bridge *b,
			       const struct wedge_device *w)
{
	return b->scanner[w->scanner].cfg.lane;
}

static void wedge_release(const struct wedge_bridge *b, struct wedge_device *w)
{
	const struct passgate_wedge_stats *st = &w->decoder.stats;

	passgate_log_pri(LOG_INFO, PASSGATE_LOG_LANE(wedge_lane(b, w)),
			 "wedge %s: released; codes %" PRIu64 ", timeouts %"
			 PRIu64 ", overlong %" PRIu64 ", spoiled %" PRIu64
			 ", empty %" PRIu64 ", resets %" PRIu64, w->node,
			 st->codes, st->timeouts, st->overlong, st->spoiled,
			 st->empty, st->resets);
	libevdev_free(w->evdev);
	w->evdev = NULL;
	/* Closing also ungrabs it and takes it out of the epoll set. */
	close(w->fd);
	w->fd = -1;
	explicit_bzero(&w->decoder, sizeof(w->decoder));
}

/* The device's CapsLock light shows what the decoder assumes. */
static void wedge_sync_capslock(struct wedge_device *w)
{
	bool on = passgate_wedge_decoder_capslock(&w->decoder);

	if (!libevdev_has_event_code(w->evdev, EV_LED, LED_CAPSL) ||
	    libevdev_get_event_value(w->evdev, EV_LED, LED_CAPSL) == on)
		return;
	libevdev_kernel_set_led_value(w->evdev, LED_CAPSL,
				      on ? LIBEVDEV_LED_ON : LIBEVDEV_LED_OFF);
}

/* Take the event node at @path if a line wants it. */
static void wedge_take(struct daemon *d, const char *path)
{
	struct wedge_bridge *b = d->wedge;
	struct passgate_wedge_config *cfg;
	struct libevdev *dev = NULL;
	struct wedge_device *w;
	char what[PASSGATE_WEDGE_NAME_MAX + 4];
	unsigned int s;
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) || !S_ISCHR(st.st_mode) || wedge_taken(b, st.st_rdev))
		goto out_close;
	if (libevdev_new_from_fd(fd, &dev))
		goto out_close;
	for (s = 0; s < b->scanners; s++)
		if (wedge_matches(&b->scanner[s].cfg, dev))
			break;
	if (s == b->scanners)
		goto out_free;
	cfg = &b->scanner[s].cfg;
	wedge_describe(cfg, what, sizeof(what));

	w = wedge_free_slot(b);
	if (!w) {
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_LANE(cfg->lane),
				 "wedge %s: %s: too many input devices", what,
				 path);
		goto out_free;
	}
	/*
	 * The decoder times gaps between keys: no wall-clock jumps.  Set
	 * first, since changing the clock flushes what is queued.
	 */
	libevdev_set_clock_id(dev, CLOCK_MONOTONIC);
	/* Exclusive: no console, no other reader gets its keys. */
	ret = libevdev_grab(dev, LIBEVDEV_GRAB);
	if (ret) {
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_LANE(cfg->lane),
				 "wedge %s: grabbing %s: %s", what, path,
				 strerror(-ret));
		goto out_free;
	}
	if (passgate_loop_watch(&d->loop, fd, SOURCE_WEDGE, w - b->device)) {
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_LANE(cfg->lane),
				 "wedge %s: %s: %s", what, path,
				 strerror(errno));
		goto out_ungrab;
	}

	w->evdev = dev;
	w->fd = fd;
	w->rdev = st.st_rdev;
	w->scanner = s;
	snprintf(w->node, sizeof(w->node), "%s", path);
	passgate_wedge_decoder_init(&w->decoder, cfg);
	/*
	 * CapsLock starts off, light included: the console's state lit it
	 * before the grab, and a scanner that reads the light would type
	 * for a state the decoder does not share.  From now on only the
	 * scanner's own CapsLock key changes it.
	 */
	if (libevdev_has_event_code(dev, EV_LED, LED_CAPSL))
		libevdev_kernel_set_led_value(dev, LED_CAPSL, LIBEVDEV_LED_OFF);
	b->scanner[s].missing_logged = false;
	passgate_log_pri(LOG_NOTICE, PASSGATE_LOG_LANE(cfg->lane),
			 "wedge %s: lane %u reads %s (%s, %04x:%04x)", what,
			 cfg->lane, path, libevdev_get_name(dev),
			 libevdev_get_id_vendor(dev),
			 libevdev_get_id_product(dev));
	return;

out_ungrab:
	libevdev_grab(dev, LIBEVDEV_UNGRAB);
out_free:
	libevdev_free(dev);
out_close:
	close(fd);
}

void wedge_rescan(struct daemon *d)
{
	struct wedge_bridge *b = d->wedge;
	char path[WEDGE_NODE_MAX], what[PASSGATE_WEDGE_NAME_MAX + 4];
	unsigned int s, i;
	struct dirent *de;
	bool found;
	DIR *dir;

	if (!b)
		return;
	dir = opendir(WEDGE_INPUT_DIR);
	while (dir && (de = readdir(dir))) {
		if (strncmp(de->d_name, "event", 5))
			continue;
		snprintf(path, sizeof(path), WEDGE_INPUT_DIR "/%s", de->d_name);
		wedge_take(d, path);
	}
	if (dir)
		closedir(dir);

	for (s = 0; s < b->scanners; s++) {
		for (i = 0, found = false; i < WEDGE_MAX_DEVICES; i++)
			found |= b->device[i].evdev && b->device[i].scanner == s;
		if (found || b->scanner[s].missing_logged)
			continue;
		wedge_describe(&b->scanner[s].cfg, what, sizeof(what));
		passgate_log_pri(LOG_WARNING,
				 PASSGATE_LOG_LANE(b->scanner[s].cfg.lane),
				 "wedge %s: not connected; lane %u waits for "
				 "it", what, b->scanner[s].cfg.lane);
		b->scanner[s].missing_logged = true;
	}
}

/*
 * Write one SCAN frame to the lane.  The scanboard node is reopened once
 * when its lane was unbound (and perhaps bound again) since.
 */
static int wedge_write_frame(struct wedge_bridge *b, struct wedge_scanner *sc,
			     size_t len)
{
	char path[80];
	ssize_t n;

	snprintf(path, sizeof(path), "/dev/passgate/gate%u/lane%u/scanboard",
		 b->gate, sc->cfg.lane);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (sc->board_fd < 0)
			sc->board_fd = open(path, O_WRONLY | O_CLOEXEC);
		if (sc->board_fd < 0)
			return -1;
		n = write(sc->board_fd, b->frame, len);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			errno = EIO;
		if (errno != ENODEV)
			return -1;
		close(sc->board_fd);
		sc->board_fd = -1;
	}
	return -1;
}

static void wedge_forward(struct wedge_bridge *b, struct wedge_device *w)
{
	struct wedge_scanner *sc = &b->scanner[w->scanner];
	uint8_t *payload = b->frame + PASSGATE_FRAME_HEADER;
	size_t len;

	/* No thermometer: flags and temperature stay 0. */
	memset(payload, 0, PASSGATE_SCAN_HEADER);
	payload[0] = b->code.kind;
	memcpy(payload + PASSGATE_SCAN_HEADER, b->code.token, b->code.len);
	len = passgate_frame_encode(b->frame, sizeof(b->frame),
				    PASSGATE_FRAME_SCAN, sc->seq++, payload,
				    PASSGATE_SCAN_HEADER + b->code.len);
	if (!len || wedge_write_frame(b, sc, len))
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_LANE(sc->cfg.lane),
				 "wedge %s: lane %u: a %s scan was lost: %s",
				 w->node, sc->cfg.lane,
				 passgate_wedge_kind_name(b->code.kind),
				 len ? strerror(errno) : "cannot frame it");
	/* The token is a credential: it stays nowhere. */
	explicit_bzero(&b->code, sizeof(b->code));
	explicit_bzero(b->frame, sizeof(b->frame));
}

static uint64_t wedge_time_ns(const struct input_event *ev)
{
	return (uint64_t)ev->input_event_sec * 1000000000ull +
	       (uint64_t)ev->input_event_usec * 1000ull;
}

/* Drops are worth a line: a person at the scanner, or a bad scan. */
static void wedge_dropped(const struct wedge_bridge *b,
			  const struct wedge_device *w, const char *what,
			  const char *why)
{
	passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(.has_lane = true,
			 .lane = wedge_lane(b, w), .reason = why),
			 "wedge %s: %s dropped: %s", w->node, what, why);
}

static void wedge_key(struct wedge_bridge *b, struct wedge_device *w,
		      const struct input_event *ev)
{
	uint64_t t = wedge_time_ns(ev);
	struct passgate_wedge_stats before = w->decoder.stats;
	const struct passgate_wedge_stats *now = &w->decoder.stats;
	char why[48];

	if (passgate_wedge_decoder_key(&w->decoder, ev->code, ev->value, t,
				       &b->code))
		wedge_forward(b, w);
	if (now->timeouts != before.timeouts)
		wedge_dropped(b, w, "input", "keys too slow for a scan");
	if (now->overlong != before.overlong) {
		snprintf(why, sizeof(why), "longer than %u bytes",
			 PASSGATE_TOKEN_MAX);
		wedge_dropped(b, w, "code", why);
	}
	if (now->spoiled != before.spoiled)
		wedge_dropped(b, w, "code", "it held a key with no character");
}

/*
 * @drop is the SYN_DROPPED: what was typed around it is incomplete, and
 * the decoder drops it.  The events that bring the key state up to date
 * type nothing.  Returns as libevdev_next_event() once the sync is done.
 */
static int wedge_resync(const struct wedge_bridge *b, struct wedge_device *w,
			const struct input_event *drop)
{
	struct input_event ev;
	int ret;

	passgate_log_pri(LOG_WARNING, PASSGATE_LOG_LANE(wedge_lane(b, w)),
			 "wedge %s: events lost; the code being read is "
			 "dropped", w->node);
	passgate_wedge_decoder_reset(&w->decoder, wedge_time_ns(drop));
	while ((ret = libevdev_next_event(w->evdev, LIBEVDEV_READ_FLAG_SYNC,
					  &ev)) == LIBEVDEV_READ_STATUS_SYNC)
		if (ev.type == EV_KEY)
			passgate_wedge_decoder_hold(&w->decoder, ev.code,
						    ev.value);
	return ret;
}

static void wedge_read(struct wedge_bridge *b, struct wedge_device *w)
{
	struct wedge_scanner *sc = &b->scanner[w->scanner];
	struct input_event ev;
	int ret;

	for (;;) {
		ret = libevdev_next_event(w->evdev, LIBEVDEV_READ_FLAG_NORMAL,
					  &ev);
		if (ret == LIBEVDEV_READ_STATUS_SUCCESS) {
			if (ev.type == EV_KEY)
				wedge_key(b, w, &ev);
			continue;
		}
		if (ret == LIBEVDEV_READ_STATUS_SYNC) {
			ret = wedge_resync(b, w, &ev);
			/* Events read during the sync may still be queued. */
			if (ret == -EAGAIN)
				continue;
		}
		if (ret == -EAGAIN)
			break;
		if (ret < 0) {
			/* Unplugged (ENODEV): the daemon goes on without it. */
			passgate_log_pri(LOG_WARNING,
					 PASSGATE_LOG_LANE(sc->cfg.lane),
					 "wedge %s: %s; lane %u waits for it "
					 "again", w->node, strerror(-ret),
					 sc->cfg.lane);
			sc->missing_logged = true;
			wedge_release(b, w);
			return;
		}
	}
	wedge_sync_capslock(w);
}

/* /dev/input (and /dev, for /dev/input itself) changed: look again. */
static void wedge_watch_read(struct daemon *d)
{
	struct wedge_bridge *b = d->wedge;
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	bool rescan = false;
	ssize_t n;

	while ((n = read(b->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)p;
			if (ie->wd == b->input_wd && ie->mask & IN_IGNORED)
				b->input_wd = -1;
			else if (ie->wd == b->input_wd ||
				 ie->mask & IN_Q_OVERFLOW)
				rescan = true;
			else if (ie->len && !strcmp(ie->name, "input"))
				rescan = true;
		}
	}
	if (!rescan)
		return;
	if (b->input_wd < 0)
		b->input_wd = inotify_add_watch(b->inotify_fd, WEDGE_INPUT_DIR,
						IN_CREATE | IN_ATTRIB |
						IN_MOVED_TO | IN_ONLYDIR);
	wedge_rescan(d);
}

void wedge_handle(struct daemon *d, unsigned int index)
{
	struct wedge_bridge *b = d->wedge;

	if (!b)
		return;
	if (index == WEDGE_INDEX_WATCH)
		wedge_watch_read(d);
	else if (index < WEDGE_MAX_DEVICES && b->device[index].evdev)
		wedge_read(b, &b->device[index]);
}

int wedge_open(struct daemon *d)
{
	struct wedge_bridge *b;
	unsigned int i;

	if (!d->cfg.wedges)
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b) {
		passgate_log_pri(LOG_ERR, NULL, "wedge: %s", strerror(errno));
		return -1;
	}
	b->gate = d->cfg.gate;
	b->scanners = d->cfg.wedges;
	for (i = 0; i < b->scanners; i++) {
		b->scanner[i].cfg = d->cfg.wedge[i];
		b->scanner[i].board_fd = -1;
	}
	for (i = 0; i < WEDGE_MAX_DEVICES; i++)
		b->device[i].fd = -1;

	/* /dev for a /dev/input that comes (or comes back) later. */
	b->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (b->inotify_fd < 0 ||
	    inotify_add_watch(b->inotify_fd, "/dev",
			      IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0 ||
	    passgate_loop_watch(&d->loop, b->inotify_fd, SOURCE_WEDGE, WEDGE_INDEX_WATCH)) {
		passgate_log_pri(LOG_ERR, NULL,
				 "wedge: watching " WEDGE_INPUT_DIR ": %s",
				 strerror(errno));
		if (b->inotify_fd >= 0)
			close(b->inotify_fd);
		free(b);
		return -1;
	}
	b->input_wd = inotify_add_watch(b->inotify_fd, WEDGE_INPUT_DIR,
					IN_CREATE | IN_ATTRIB | IN_MOVED_TO |
					IN_ONLYDIR);
	d->wedge = b;
	wedge_rescan(d);
	return 0;
}

void wedge_close(struct daemon *d)
{
	struct wedge_bridge *b = d->wedge;
	unsigned int i;

	if (!b)
		return;
	for (i = 0; i < WEDGE_MAX_DEVICES; i++)
		if (b->device[i].evdev)
			wedge_release(b, &b->device[i]);
	for (i = 0; i < b->scanners; i++)
		if (b->scanner[i].board_fd >= 0)
			close(b->scanner[i].board_fd);
	close(b->inotify_fd);
	explicit_bzero(b, sizeof(*b));
	free(b);
	d->wedge = NULL;
}
