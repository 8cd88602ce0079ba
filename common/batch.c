// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sealed batches of journal rows: the chain's links, the gate's seal, and
 * a strict parser for what a station receives (common/batch.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "batch.h"

#define SEAL_MESSAGE_SIZE (sizeof(PASSGATE_SEAL_DOMAIN) - 1 + 4 + 8 + \
			   PASSGATE_CHAIN_HASH_SIZE)

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void passgate_chain_hash(const uint8_t prev[PASSGATE_CHAIN_HASH_SIZE],
			 const void *enc, size_t len,
			 uint8_t out[PASSGATE_CHAIN_HASH_SIZE])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, prev, PASSGATE_CHAIN_HASH_SIZE);
	crypto_hash_sha256_update(&st, enc, len);
	crypto_hash_sha256_final(&st, out);
}

void passgate_chain_genesis(uint32_t gate,
			    uint8_t out[PASSGATE_CHAIN_HASH_SIZE])
{
	uint8_t msg[sizeof(PASSGATE_CHAIN_GENESIS) - 1 + 4];

	memcpy(msg, PASSGATE_CHAIN_GENESIS, sizeof(msg) - 4);
	put_le(msg + sizeof(msg) - 4, gate, 4);
	crypto_hash_sha256(out, msg, sizeof(msg));
}

static void seal_message(uint32_t gate, uint64_t pos, const uint8_t *hash,
			 uint8_t *msg)
{
	size_t n = sizeof(PASSGATE_SEAL_DOMAIN) - 1;

	memcpy(msg, PASSGATE_SEAL_DOMAIN, n);
	put_le(msg + n, gate, 4);
	put_le(msg + n + 4, pos, 8);
	memcpy(msg + n + 12, hash, PASSGATE_CHAIN_HASH_SIZE);
}

int passgate_seal_sign(const uint8_t sk[PASSGATE_SEAL_SECRET_SIZE],
		       uint32_t gate, uint64_t pos,
		       const uint8_t hash[PASSGATE_CHAIN_HASH_SIZE],
		       uint8_t seal[PASSGATE_SEAL_SIZE])
{
	uint8_t msg[SEAL_MESSAGE_SIZE];

	seal_message(gate, pos, hash, msg);
	if (crypto_sign_detached(seal, NULL, msg, sizeof(msg), sk)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int passgate_seal_verify(const uint8_t pk[PASSGATE_SEAL_PUBLIC_SIZE],
			 uint32_t gate, uint64_t pos,
			 const uint8_t hash[PASSGATE_CHAIN_HASH_SIZE],
			 const uint8_t seal[PASSGATE_SEAL_SIZE])
{
	uint8_t msg[SEAL_MESSAGE_SIZE];

	seal_message(gate, pos, hash, msg);
	return crypto_sign_verify_detached(seal, msg, sizeof(msg), pk) ? -1 : 0;
}

#define CONFIRM_MAX (32 + 2 * 256 + 8 + PASSGATE_CHAIN_HASH_SIZE)

static size_t confirm_message(enum passgate_confirm_kind kind,
			      const char *station, const char *gate,
			      uint64_t pos, const uint8_t *hash, uint8_t *msg)
{
	const char *domain = kind == PASSGATE_CONFIRM_STORED ?
			     "passgate/stored/v1" : "passgate/resend/v1";
	size_t n = strlen(domain), a = strlen(station), b = strlen(gate);

	if (a > 255 || b > 255)
		return 0;
	memcpy(msg, domain, n);
	msg[n++] = a;
	memcpy(msg + n, station, a);
	n += a;
	msg[n++] = b;
	memcpy(msg + n, gate, b);
	n += b;
	put_le(msg + n, pos, 8);
	n += 8;
	if (kind == PASSGATE_CONFIRM_STORED) {
		memcpy(msg + n, hash, PASSGATE_CHAIN_HASH_SIZE);
		n += PASSGATE_CHAIN_HASH_SIZE;
	}
	return n;
}

int passgate_confirm_sign(const uint8_t sk[PASSGATE_SEAL_SECRET_SIZE],
			  enum passgate_confirm_kind kind, const char *station,
			  const char *gate, uint64_t pos,
			  const uint8_t hash[PASSGATE_CHAIN_HASH_SIZE],
			  uint8_t sig[PASSGATE_SEAL_SIZE])
{
	uint8_t msg[CONFIRM_MAX];
	size_t n = confirm_message(kind, station, gate, pos, hash, msg);

	if (!n || crypto_sign_detached(sig, NULL, msg, n, sk)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int passgate_confirm_verify(const uint8_t pk[PASSGATE_SEAL_PUBLIC_SIZE],
			    enum passgate_confirm_kind kind,
			    const char *station, const char *gate,
			    uint64_t pos,
			    const uint8_t hash[PASSGATE_CHAIN_HASH_SIZE],
			    const uint8_t sig[PASSGATE_SEAL_SIZE])
{
	uint8_t msg[CONFIRM_MAX];
	size_t n = confirm_message(kind, station, gate, pos, hash, msg);

	return n && !crypto_sign_verify_detached(sig, msg, n, pk) ? 0 : -1;
}

void passgate_batch_header(uint8_t *buf, uint32_t gate, uint64_t first,
			   uint32_t count,
			   const uint8_t prev[PASSGATE_CHAIN_HASH_SIZE],
			   const uint8_t seal[PASSGATE_SEAL_SIZE])
{
	memcpy(buf, PASSGATE_BATCH_MAGIC, 4);
	put_le(buf + 4, gate, 4);
	put_le(buf + 8, first, 8);
	put_le(buf + 16, count, 4);
	memcpy(buf + 20, prev, PASSGATE_CHAIN_HASH_SIZE);
	memcpy(buf + 52, seal, PASSGATE_SEAL_SIZE);
}

static int refuse(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	errno = EBADMSG;
	return -1;
}

/* Decode the fields every kind has, then the kind's own. */
static void decode_row(const uint8_t *p, struct passgate_chain_row *r)
{
	r->kind = p[0];
	r->pos = get_le(p + 1, 8);
	r->gate = get_le(p + 9, 4);
	r->stored_ns = (int64_t)get_le(p + 13, 8);
	switch (r->kind) {
	case PASSGATE_ROW_EVENT:
		r->stream = get_le(p + 21, 4);
		r->seq = get_le(p + 25, 8);
		r->time_ns = get_le(p + 33, 8);
		r->type = get_le(p + 41, 4);
		r->lane = get_le(p + 45, 4);
		r->arg = get_le(p + 49, 4);
		r->value = get_le(p + 53, 8);
		memcpy(r->data, p + 61, sizeof(r->data));
		break;
	case PASSGATE_ROW_STREAM:
		r->stream = get_le(p + 21, 4);
		break;
	case PASSGATE_ROW_CHECKPOINT:
		/* kind pos gate stored_ns keep_from_pos prev_hash stream ... */
		r->stream = get_le(p + 61, 4);
		break;
	}
}

static size_t row_size(unsigned int kind)
{
	switch (kind) {
	case PASSGATE_ROW_EVENT:
		return PASSGATE_ROW_EVENT_SIZE;
	case PASSGATE_ROW_STREAM:
		return PASSGATE_ROW_STREAM_SIZE;
	case PASSGATE_ROW_CHECKPOINT:
		return PASSGATE_ROW_CHECKPOINT_SIZE;
	}
	return 0;
}

int passgate_batch_parse(const void *buf, size_t len, struct passgate_batch *b,
			 char *why, size_t whylen)
{
	const uint8_t *p = buf, *end = p + len;
	const uint8_t *prev;
	uint32_t i;
	size_t n;

	if (len < PASSGATE_BATCH_HEADER_SIZE || memcmp(p, PASSGATE_BATCH_MAGIC, 4))
		return refuse(why, whylen, "not a sealed batch (%zu bytes)", len);
	b->gate = get_le(p + 4, 4);
	b->first = get_le(p + 8, 8);
	b->count = get_le(p + 16, 4);
	memcpy(b->prev, p + 20, sizeof(b->prev));
	memcpy(b->seal, p + 52, sizeof(b->seal));
	if (!b->count || b->count > PASSGATE_BATCH_ROWS_MAX)
		return refuse(why, whylen, "%u rows (1..%u)", b->count,
			      PASSGATE_BATCH_ROWS_MAX);
	if (!b->first || b->first > (uint64_t)INT64_MAX - b->count)
		return refuse(why, whylen, "first position %llu",
			      (unsigned long long)b->first);
	b->last = b->first + b->count - 1;

	p += PASSGATE_BATCH_HEADER_SIZE;
	prev = b->prev;
	for (i = 0; i < b->count; i++) {
		struct passgate_chain_row *r = &b->rows[i];

		n = p < end ? row_size(p[0]) : 0;
		if (!n || (size_t)(end - p) < n)
			return refuse(why, whylen, "row %u: %s", i, p < end && !n ?
				      "unknown kind" : "cut short");
		memset(r, 0, sizeof(*r));
		decode_row(p, r);
		if (r->pos != b->first + i || r->gate != b->gate)
			return refuse(why, whylen, "row %u: position %llu of"
				      " gate %u in a batch of gate %u from %llu",
				      i, (unsigned long long)r->pos, r->gate,
				      b->gate, (unsigned long long)b->first);
		r->enc = p;
		r->len = n;
		passgate_chain_hash(prev, p, n, r->hash);
		prev = r->hash;
		p += n;
	}
	if (p != end)
		return refuse(why, whylen, "%zu bytes after the last row",
			      (size_t)(end - p));
	return 0;
}

int passgate_batch_verify(const struct passgate_batch *b,
			  const uint8_t pk[PASSGATE_SEAL_PUBLIC_SIZE])
{
	return passgate_seal_verify(pk, b->gate, b->last,
				    b->rows[b->count - 1].hash, b->seal);
}
