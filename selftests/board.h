/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test plays the scanner board of lane 0 on /dev/ttyS2, the far end
 * of the null-modem cable that QEMU puts between COM3 and COM2, and
 * computes credential digests the way the gate must (with libsodium).
 */
#ifndef PASSGATE_BOARD_H
#define PASSGATE_BOARD_H

#include <stddef.h>
#include <linux/passgate.h>

#include "scanframe.h"

#define BOARD_TTY "/dev/ttyS2"

struct board_reply {
	__u8 type;
	__u8 seq;
	__u16 len;
	__u8 payload[16];
};

/* Open the board's end raw at 115200 baud; fd or -errno. */
int board_open(void);
/* Open a tty raw at 115200 baud, non-blocking, its queues flushed. */
int tty_open_raw(const char *path);
/*
 * Read what the gate has sent on @fd so far and forget it: replies to
 * earlier scans never answer a later board_expect().  0 or -errno.
 */
int board_forget(int fd);
/* Encode one SCAN frame into buf; returns its length. */
size_t board_scan_frame(__u8 *buf, size_t size, __u8 seq, __u8 kind,
			const char *token, int temperature);
/* Write bytes to the line; 0 or -errno. */
int board_write(int fd, const void *buf, size_t len);
/* Send one SCAN; 0 or -errno.  temperature < 0: none. */
int board_send_scan(int fd, __u8 seq, __u8 kind, const char *token,
		    int temperature);
int board_send_heartbeat(int fd, __u8 seq);
/*
 * Read frames from the gate until one of @type answering @seq arrives
 * (for ACK and INDICATE the answered seq is the payload's first byte);
 * 0, or -ETIMEDOUT after GATE_WAIT_MS.
 */
int board_expect(int fd, __u8 type, __u8 seq, struct board_reply *out);

/* The gate's digests, computed independently of the module. */
void digest_token(__u8 kind, const char *token, __u8 out[32]);
void digest_id(const __u8 key[PASSGATE_KEY_SIZE], const char *id,
	       __u8 out[32]);

#endif
