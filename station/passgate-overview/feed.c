// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feed.h"

int feed_init(struct feed *f)
{
	pthread_condattr_t attr;
	int rc;

	memset(f, 0, sizeof(*f));
	if (pthread_mutex_init(&f->lock, NULL))
		return -1;
	/* Timeouts on the monotonic clock: a clock step is no keepalive. */
	if (pthread_condattr_init(&attr))
		goto destroy_lock;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
	     pthread_cond_init(&f->changed, &attr);
	pthread_condattr_destroy(&attr);
	if (rc)
		goto destroy_lock;
	return 0;
destroy_lock:
	pthread_mutex_destroy(&f->lock);
	return -1;
}

void feed_destroy(struct feed *f)
{
	for (size_t i = 0; i < FEED_RING; i++)
		free(f->ring[i].text);
	pthread_cond_destroy(&f->changed);
	pthread_mutex_destroy(&f->lock);
}

void feed_push(struct feed *f, char *text, size_t len)
{
	struct feed_message *m;

	pthread_mutex_lock(&f->lock);
	f->seq++;
	m = &f->ring[f->seq % FEED_RING];
	free(m->text);
	m->seq = f->seq;
	m->text = text;
	m->len = len;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
}

uint64_t feed_seq(struct feed *f)
{
	uint64_t seq;

	pthread_mutex_lock(&f->lock);
	seq = f->seq;
	pthread_mutex_unlock(&f->lock);
	return seq;
}

enum feed_wait feed_next(struct feed *f, uint64_t *seq, char **text,
			 size_t *len, int timeout_ms)
{
	const struct feed_message *m;
	struct timespec until;
	enum feed_wait r;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->lock);
	while (!f->closed && f->seq == *seq && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&f->changed, &f->lock, &until);
	if (f->closed) {
		r = FEED_CLOSED;
	} else if (f->seq == *seq) {
		r = FEED_TIMEOUT;
	} else {
		m = &f->ring[(*seq + 1) % FEED_RING];
		if (m->seq != *seq + 1) {
			r = FEED_BEHIND;
		} else if (!(*text = malloc(m->len + 1))) {
			r = FEED_NOMEM;
		} else {
			memcpy(*text, m->text, m->len + 1);
			*len = m->len;
			*seq = m->seq;
			r = FEED_MESSAGE;
		}
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

void feed_close(struct feed *f)
{
	pthread_mutex_lock(&f->lock);
	f->closed = true;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
}
