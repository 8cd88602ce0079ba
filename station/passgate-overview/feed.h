/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The change feed the browsers follow (server-sent events): every change
 * of a gate's or the station's snapshot is one message, numbered; each
 * /events connection waits for the next number.  A connection that fell
 * more than FEED_RING messages behind is told so and starts again from
 * the whole state.
 */
#ifndef PASSGATE_OVERVIEW_FEED_H
#define PASSGATE_OVERVIEW_FEED_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FEED_RING 256

struct feed_message {
	uint64_t seq;
	char *text;
	size_t len;
};

struct feed {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	uint64_t seq;		/* the newest message's number; 0: none yet */
	bool closed;
	struct feed_message ring[FEED_RING];
};

enum feed_wait {
	FEED_MESSAGE,		/* *text: a copy of the next message (free it) */
	FEED_TIMEOUT,		/* nothing new in time: send a keepalive */
	FEED_BEHIND,		/* the next message is gone: send the state */
	FEED_CLOSED,		/* the server stops */
	FEED_NOMEM,
};

int feed_init(struct feed *f);
void feed_destroy(struct feed *f);
/* Append @text (taken over, freed by the feed) and wake every waiter. */
void feed_push(struct feed *f, char *text, size_t len);
/* The number of the newest message. */
uint64_t feed_seq(struct feed *f);
/*
 * Wait at most @timeout_ms for the message after *@seq; on FEED_MESSAGE
 * *@seq is its number.
 */
enum feed_wait feed_next(struct feed *f, uint64_t *seq, char **text,
			 size_t *len, int timeout_ms);
/* Every waiter returns FEED_CLOSED, now and from now on. */
void feed_close(struct feed *f);

#endif
