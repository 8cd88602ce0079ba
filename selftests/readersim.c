// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "board.h"
#include "gate_fixture.h"
#include "readersim.h"
#include "samframe.h"

/*
 * The test gate's engine (testgate.asl, passgate-testgate-virt.dtso):
 * CR LF, prefix "PG" and AIM identifiers on x86; factory framing on
 * arm64, whose firmware leaves the suffix "auto".
 */
#if defined(__x86_64__)
const struct qr_framing qr_test_gate_framing = {
	.suffix = "\r\n", .prefix = "PG", .aim = "]Q1",
};
#else
const struct qr_framing qr_test_gate_framing = {
	.suffix = "\r\n", .prefix = "", .aim = "",
};
#endif

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Write as a line at @baud would deliver: 16 bytes at a time, each chunk
 * no sooner than the wire allows (10 bits a byte).  This paces the
 * simulated line; it synchronises nothing.
 */
int line_write(int fd, const void *buf, size_t len, unsigned int baud)
{
	const uint8_t *p = buf;
	struct timespec next;
	uint64_t chunk_ns;
	size_t n;
	int ret;

	if (!baud)
		return board_write(fd, p, len);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (len) {
		n = len < 16 ? len : 16;
		chunk_ns = n * 10 * 1000000000ull / baud;
		next.tv_nsec += chunk_ns;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		ret = board_write(fd, p, n);
		if (ret)
			return ret;
		p += n;
		len -= n;
	}
	return 0;
}

/* UTF-8 (BMP only) to UCS-2 little-endian, padded with spaces. */
static void ucs2_field(uint8_t *out, size_t chars, const char *utf8)
{
	const unsigned char *s = (const unsigned char *)utf8;
	unsigned int cp;
	size_t i = 0;

	while (*s && i < chars) {
		if (*s < 0x80) {
			cp = *s++;
		} else if ((*s & 0xe0) == 0xc0 && s[1]) {
			cp = (*s & 0x1f) << 6 | (s[1] & 0x3f);
			s += 2;
		} else if ((*s & 0xf0) == 0xe0 && s[1] && s[2]) {
			cp = (*s & 0x0f) << 12 | (s[1] & 0x3f) << 6 |
			     (s[2] & 0x3f);
			s += 3;
		} else {
			cp = '?';
			s++;
		}
		out[2 * i] = cp & 0xff;
		out[2 * i + 1] = cp >> 8;
		i++;
	}
	for (; i < chars; i++) {
		out[2 * i] = ' ';
		out[2 * i + 1] = 0;
	}
}

void sam_card_text(const struct sam_card *c, uint8_t text[256])
{
	memset(text, 0, 256);
	ucs2_field(text, 15, c->name);
	ucs2_field(text + 30, 1, "1");
	ucs2_field(text + 32, 2, "01");
	ucs2_field(text + 36, 8, "19491231");
	ucs2_field(text + 52, 35, c->address);
	ucs2_field(text + PASSGATE_SAM_ID_OFFSET, 18, c->number);
	ucs2_field(text + 158, 15, "北京市公安局");
	ucs2_field(text + PASSGATE_SAM_FROM_OFFSET, 8, c->valid_from);
	ucs2_field(text + PASSGATE_SAM_UNTIL_OFFSET, 8,
		   c->valid_until[0] ? c->valid_until : "长期");
}

void sam_id_number(char out[19], const char *first17)
{
	static const char checks[] = "0123456789X";
	int i;

	snprintf(out, 19, "%.17s0", first17);
	for (i = 0; i < 11; i++) {
		out[17] = checks[i];
		if (passgate_id_number_valid(out))
			return;
	}
}

void sam_card_make(struct sam_card *c, const char *number, const char *from,
		   const char *until, const char *name, const char *address)
{
	unsigned int seed = 0;
	size_t i;

	memset(c, 0, sizeof(*c));
	snprintf(c->number, sizeof(c->number), "%s", number);
	snprintf(c->valid_from, sizeof(c->valid_from), "%s", from);
	snprintf(c->valid_until, sizeof(c->valid_until), "%s", until);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->address, sizeof(c->address), "%s", address);
	/* A photo of the card's own: bytes from its number. */
	for (i = 0; number[i]; i++)
		seed = seed * 31 + (unsigned char)number[i];
	for (i = 0; i < sizeof(c->photo); i++) {
		seed = seed * 1103515245 + 12345;
		c->photo[i] = seed >> 16;
	}
}

/* The module's answer to one command.  Under s->lock. */
static size_t sam_answer(struct sam_sim *s, uint16_t cmd, uint8_t *out,
			 size_t size)
{
	uint8_t data[4 + 256 + 1024] = { 0 };
	size_t n;

	switch (cmd) {
	case PASSGATE_SAM_CMD_FIND:
		s->counts.polls++;
		if (!s->present) {
			s->counts.absent++;
			return passgate_sam_encode_answer(out, size,
							  PASSGATE_SAM_NO_CARD,
							  NULL, 0);
		}
		return passgate_sam_encode_answer(out, size, PASSGATE_SAM_FOUND,
						  data, 4);
	case PASSGATE_SAM_CMD_SELECT:
		return passgate_sam_encode_answer(out, size, s->present ?
						  PASSGATE_SAM_OK :
						  PASSGATE_SAM_SELECT_FAILED,
						  data, s->present ? 8 : 0);
	case PASSGATE_SAM_CMD_READ_BASE:
		if (!s->present)
			return passgate_sam_encode_answer(out, size, 0x41,
							  NULL, 0);
		s->counts.reads++;
		data[0] = 256 >> 8;
		data[2] = 1024 >> 8;
		sam_card_text(&s->card, data + 4);
		memcpy(data + 4 + 256, s->card.photo, 1024);
		n = passgate_sam_encode_answer(out, size, PASSGATE_SAM_OK,
					       data, sizeof(data));
		explicit_bzero(data, sizeof(data));
		return n;
	default:
		s->counts.other++;
		return passgate_sam_encode_answer(out, size, 0x21, NULL, 0);
	}
}

struct sam_rx {
	struct sam_sim *sim;
	uint8_t out[PASSGATE_SAM_FRAME_MAX];
	size_t out_len;
};

static void sam_command(void *ctx, const struct passgate_sam_frame *f)
{
	struct sam_rx *rx = ctx;
	struct sam_sim *s = rx->sim;
	size_t i, n;

	if (f->len < 2)
		return;
	pthread_mutex_lock(&s->lock);
	n = sam_answer(s, f->body[0] << 8 | f->body[1], rx->out,
		       sizeof(rx->out));
	switch (s->mode) {
	case SAM_SILENT:
		n = 0;
		break;
	case SAM_GARBAGE:
		/* Never the preamble's 0xaa: nothing here parses. */
		for (i = 0; i < n; i++)
			rx->out[i] = (random() % 0xa0) + 1;
		break;
	case SAM_BAD_CHECKSUM:
		rx->out[n - 1] ^= 0x5a;
		break;
	case SAM_FAULT:
		n = passgate_sam_encode_answer(rx->out, sizeof(rx->out), 0x60,
					       NULL, 0);
		break;
	case SAM_NORMAL:
		break;
	}
	rx->out_len = n;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

static void *sam_thread(void *arg)
{
	struct sam_sim *s = arg;
	struct passgate_sam_parser *parser;
	struct pollfd pfd[2] = {
		{ .fd = s->fd, .events = POLLIN },
		{ .fd = s->stop[0], .events = POLLIN },
	};
	struct sam_rx *rx;
	unsigned int delay, baud;
	uint8_t buf[256];
	ssize_t n;

	parser = malloc(sizeof(*parser));
	rx = malloc(sizeof(*rx));
	if (!parser || !rx)
		abort();
	rx->sim = s;
	passgate_sam_parser_init(parser);
	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		n = read(s->fd, buf, sizeof(buf));
		if (n <= 0)
			continue;
		rx->out_len = 0;
		/* Commands are short: at most one answer per read here. */
		passgate_sam_feed(parser, buf, n, sam_command, rx);
		if (!rx->out_len)
			continue;
		pthread_mutex_lock(&s->lock);
		delay = s->delay_ms;
		baud = s->baud;
		pthread_mutex_unlock(&s->lock);
		if (delay)
			usleep(delay * 1000);
		line_write(s->fd, rx->out, rx->out_len, baud);
	}
	free(parser);
	free(rx);
	return NULL;
}

int sam_sim_start(struct sam_sim *s, const char *tty)
{
	int ret;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	s->fd = tty_open_raw(tty);
	if (s->fd < 0)
		return s->fd;
	if (pipe(s->stop)) {
		ret = -errno;
		close(s->fd);
		return ret;
	}
	ret = -pthread_create(&s->thread, NULL, sam_thread, s);
	if (ret) {
		close(s->fd);
		close(s->stop[0]);
		close(s->stop[1]);
	}
	return ret;
}

void sam_sim_stop(struct sam_sim *s)
{
	if (write(s->stop[1], "", 1) == 1)
		pthread_join(s->thread, NULL);
	close(s->fd);
	close(s->stop[0]);
	close(s->stop[1]);
	explicit_bzero(&s->card, sizeof(s->card));
}

void sam_sim_place(struct sam_sim *s, const struct sam_card *card)
{
	pthread_mutex_lock(&s->lock);
	s->card = *card;
	s->present = true;
	s->placed_ns = boottime_ns();
	pthread_mutex_unlock(&s->lock);
}

void sam_sim_remove(struct sam_sim *s)
{
	pthread_mutex_lock(&s->lock);
	s->present = false;
	pthread_mutex_unlock(&s->lock);
}

void sam_sim_set_mode(struct sam_sim *s, enum sam_mode mode)
{
	pthread_mutex_lock(&s->lock);
	s->mode = mode;
	pthread_mutex_unlock(&s->lock);
}

void sam_sim_set_delay(struct sam_sim *s, unsigned int ms)
{
	pthread_mutex_lock(&s->lock);
	s->delay_ms = ms;
	pthread_mutex_unlock(&s->lock);
}

void sam_sim_set_baud(struct sam_sim *s, unsigned int baud)
{
	pthread_mutex_lock(&s->lock);
	s->baud = baud;
	pthread_mutex_unlock(&s->lock);
}

struct sam_counts sam_sim_counts(struct sam_sim *s)
{
	struct sam_counts c;

	pthread_mutex_lock(&s->lock);
	c = s->counts;
	pthread_mutex_unlock(&s->lock);
	return c;
}

int sam_sim_wait(struct sam_sim *s, size_t offset, uint64_t at_least)
{
	struct timespec deadline;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += GATE_WAIT_MS / 1000;
	pthread_mutex_lock(&s->lock);
	while (*(uint64_t *)((char *)&s->counts + offset) < at_least && !ret)
		ret = pthread_cond_timedwait(&s->changed, &s->lock, &deadline);
	pthread_mutex_unlock(&s->lock);
	return ret ? -ETIMEDOUT : 0;
}

int qr_open(const char *tty)
{
	return tty_open_raw(tty);
}

int qr_send(int fd, const struct qr_framing *f, const char *code,
	    unsigned int baud)
{
	char *buf;
	int len, ret;

	if (!f)
		f = &qr_test_gate_framing;
	len = asprintf(&buf, "%s%s%s%s", f->prefix, f->aim, code, f->suffix);
	if (len < 0)
		return -ENOMEM;
	ret = line_write(fd, buf, len, baud);
	free(buf);
	return ret;
}
