// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "board.h"
#include "gate_fixture.h"

int board_open(void)
{
	return tty_open_raw(BOARD_TTY);
}

int tty_open_raw(const char *path)
{
	struct termios tio;
	int fd;

	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &tio)) {
		close(fd);
		return -errno;
	}
	cfmakeraw(&tio);
	cfsetispeed(&tio, B115200);
	cfsetospeed(&tio, B115200);
	if (tcsetattr(fd, TCSANOW, &tio) || tcflush(fd, TCIOFLUSH)) {
		close(fd);
		return -errno;
	}
	return fd;
}

size_t board_scan_frame(__u8 *buf, size_t size, __u8 seq, __u8 kind,
			const char *token, int temperature)
{
	__u8 payload[PASSGATE_FRAME_PAYLOAD_MAX];
	size_t len = strlen(token);

	payload[0] = kind;
	payload[1] = temperature >= 0 ? PASSGATE_SCAN_F_TEMPERATURE : 0;
	payload[2] = temperature >= 0 ? temperature & 0xff : 0;
	payload[3] = temperature >= 0 ? (temperature >> 8) & 0xff : 0;
	memcpy(payload + PASSGATE_SCAN_HEADER, token, len);
	return passgate_frame_encode(buf, size, PASSGATE_FRAME_SCAN, seq,
				     payload, PASSGATE_SCAN_HEADER + len);
}

int board_write(int fd, const void *buf, size_t len)
{
	const __u8 *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, GATE_WAIT_MS) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return tcdrain(fd) ? -errno : 0;
}

int board_send_scan(int fd, __u8 seq, __u8 kind, const char *token,
		    int temperature)
{
	__u8 frame[PASSGATE_FRAME_MAX];
	size_t n;

	n = board_scan_frame(frame, sizeof(frame), seq, kind, token,
			     temperature);
	return n ? board_write(fd, frame, n) : -EINVAL;
}

int board_send_heartbeat(int fd, __u8 seq)
{
	__u8 status = PASSGATE_BOARD_IMAGER_OK | PASSGATE_BOARD_READER_OK;
	__u8 frame[16];
	size_t n;

	n = passgate_frame_encode(frame, sizeof(frame),
				  PASSGATE_FRAME_HEARTBEAT, seq, &status, 1);
	return board_write(fd, frame, n);
}

/* Frames from the gate not asked for yet, oldest first. */
#define BOARD_BACKLOG 64
static struct board_reply board_backlog[BOARD_BACKLOG];
static unsigned int board_backlog_len;

static void board_keep_frame(void *ctx, const struct passgate_frame *f)
{
	struct board_reply *r;

	(void)ctx;
	if (!f->len || board_backlog_len == BOARD_BACKLOG)
		return;
	r = &board_backlog[board_backlog_len++];
	r->type = f->type;
	r->seq = f->seq;
	r->len = f->len;
	memcpy(r->payload, f->payload,
	       f->len < sizeof(r->payload) ? f->len : sizeof(r->payload));
}

static int board_take(__u8 type, __u8 seq, struct board_reply *out)
{
	unsigned int i;

	for (i = 0; i < board_backlog_len; i++) {
		if (board_backlog[i].type != type ||
		    board_backlog[i].payload[0] != seq)
			continue;
		if (out)
			*out = board_backlog[i];
		memmove(&board_backlog[i], &board_backlog[i + 1],
			(board_backlog_len - i - 1) * sizeof(*board_backlog));
		board_backlog_len--;
		return 1;
	}
	return 0;
}

/* One parser per line, so frames split across reads are kept. */
static struct passgate_frame_parser parser;
static int parser_fd = -1;

static void board_parser_for(int fd)
{
	if (parser_fd != fd) {
		passgate_frame_parser_init(&parser);
		board_backlog_len = 0;
		parser_fd = fd;
	}
}

int board_forget(int fd)
{
	__u8 buf[256];
	ssize_t n;

	board_parser_for(fd);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		passgate_frame_feed(&parser, buf, n, board_keep_frame, NULL);
	board_backlog_len = 0;
	return n < 0 && errno != EAGAIN ? -errno : 0;
}

int board_expect(int fd, __u8 type, __u8 seq, struct board_reply *out)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	__u8 buf[256];
	ssize_t n;

	board_parser_for(fd);
	while (!board_take(type, seq, out)) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			passgate_frame_feed(&parser, buf, n, board_keep_frame,
					    NULL);
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			return -errno;
		n = poll(&pfd, 1, GATE_WAIT_MS);
		if (n < 0)
			return -errno;
		if (!n)
			return -ETIMEDOUT;
	}
	return 0;
}

static void digest_message(crypto_hash_sha256_state *st, __u8 kind,
			   const char *token)
{
	crypto_hash_sha256_update(st, (const __u8 *)"passgate/v1", 11);
	crypto_hash_sha256_update(st, &kind, 1);
	crypto_hash_sha256_update(st, (const __u8 *)token, strlen(token));
}

void digest_token(__u8 kind, const char *token, __u8 out[32])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	digest_message(&st, kind, token);
	crypto_hash_sha256_final(&st, out);
}

void digest_id(const __u8 key[PASSGATE_KEY_SIZE], const char *id,
	       __u8 out[32])
{
	crypto_auth_hmacsha256_state st;
	__u8 kind = PASSGATE_CRED_ID_CARD;

	crypto_auth_hmacsha256_init(&st, key, PASSGATE_KEY_SIZE);
	crypto_auth_hmacsha256_update(&st, (const __u8 *)"passgate/v1", 11);
	crypto_auth_hmacsha256_update(&st, &kind, 1);
	crypto_auth_hmacsha256_update(&st, (const __u8 *)id, strlen(id));
	crypto_auth_hmacsha256_final(&st, out);
}
