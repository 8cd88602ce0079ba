// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A list's entries read on a thread of their own.  Loading a full list
 * reads and hashes the verified file again (the reader checks it is the
 * file that was verified), and building the compact array from the
 * entries costs about as much again: on two CPUs the reader fills the
 * next batches while the loader builds from the last, so a load costs
 * about one read of the file (docs/list-layout.md, "Building").
 *
 * A small ring of STREAM_BUFS buffers: the reader fills them in order
 * and stops when all are full; the loader takes them in the same order
 * and gives each back.  A batch of 0 entries (the end) or -1 (an error,
 * with its errno) is the last the reader fills.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "gate/policy/loader_private.h"

struct policy_stream {
	passgate_entry_reader next;
	void *ctx;
	size_t size;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned int filled;	/* batches ready, from taken on */
	unsigned int taken;	/* the next batch the loader takes */
	bool stop;		/* the loader gave up: read no more */
	struct {
		void *buf;
		ssize_t n;
		int err;
	} ring[STREAM_BUFS];
};

static void *stream_read(void *arg)
{
	struct policy_stream *s = arg;
	unsigned int at = 0;
	ssize_t n;
	int err;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		while (s->filled == STREAM_BUFS && !s->stop)
			pthread_cond_wait(&s->changed, &s->lock);
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		pthread_mutex_unlock(&s->lock);

		/* The slot is the reader's until it counts it filled. */
		n = s->next(s->ctx, s->ring[at].buf, STREAM_BATCH);
		err = n < 0 ? errno : 0;

		pthread_mutex_lock(&s->lock);
		s->ring[at].n = n;
		s->ring[at].err = err;
		s->filled++;
		pthread_cond_broadcast(&s->changed);
		pthread_mutex_unlock(&s->lock);
		if (n <= 0)
			return NULL;
		at = (at + 1) % STREAM_BUFS;
	}
}

struct policy_stream *policy_stream_start(passgate_entry_reader next,
					  void *ctx, size_t size)
{
	struct policy_stream *s = calloc(1, sizeof(*s));
	unsigned int i;
	int err;

	if (!s)
		return NULL;
	s->next = next;
	s->ctx = ctx;
	s->size = size;
	for (i = 0; i < STREAM_BUFS; i++) {
		s->ring[i].buf = calloc(STREAM_BATCH, size);
		if (!s->ring[i].buf)
			goto err_bufs;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	err = pthread_create(&s->thread, NULL, stream_read, s);
	if (err) {
		pthread_cond_destroy(&s->changed);
		pthread_mutex_destroy(&s->lock);
		errno = err;
		goto err_bufs;
	}
	return s;
err_bufs:
	err = errno;
	for (i = 0; i < STREAM_BUFS; i++)
		free(s->ring[i].buf);
	free(s);
	errno = err;
	return NULL;
}

ssize_t policy_stream_take(struct policy_stream *s, const void **buf)
{
	unsigned int at = s->taken % STREAM_BUFS;
	ssize_t n;

	pthread_mutex_lock(&s->lock);
	while (!s->filled)
		pthread_cond_wait(&s->changed, &s->lock);
	pthread_mutex_unlock(&s->lock);
	n = s->ring[at].n;
	*buf = s->ring[at].buf;
	if (n < 0)
		errno = s->ring[at].err;
	return n;
}

void policy_stream_done(struct policy_stream *s)
{
	pthread_mutex_lock(&s->lock);
	s->filled--;
	s->taken++;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

void policy_stream_stop(struct policy_stream *s)
{
	unsigned int i;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	/* A read under way ends first: its file is the reader's. */
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
	for (i = 0; i < STREAM_BUFS; i++)
		free(s->ring[i].buf);
	free(s);
}
