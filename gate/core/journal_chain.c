// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The audit journal: the canonical encoding and the chain hashes (docs/journal.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/batch.h"
#include "gate/core/journal_internal.h"

static void put_bytes(struct journal_encoding *e, const void *p, size_t len)
{
	memcpy(e->b + e->n, p, len);
	e->n += len;
}

static void put_u8(struct journal_encoding *e, uint8_t v)
{
	e->b[e->n++] = v;
}

static void put_u32(struct journal_encoding *e, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		e->b[e->n++] = v >> (8 * i);
}

static void put_u64(struct journal_encoding *e, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		e->b[e->n++] = v >> (8 * i);
}

static void journal_chain(const uint8_t *prev, const struct journal_encoding *e,
			  uint8_t *out)
{
	passgate_chain_hash(prev, e->b, e->n, out);
}

void journal_genesis(uint32_t gate, uint8_t *out)
{
	passgate_chain_genesis(gate, out);
}

void journal_encode_event(struct journal_encoding *e, uint64_t pos,
			  uint32_t gate, int64_t stored_ns, uint32_t stream,
			  const struct passgate_event *ev)
{
	e->n = 0;
	put_u8(e, PASSGATE_JOURNAL_REC_EVENT);
	put_u64(e, pos);
	put_u32(e, gate);
	put_u64(e, stored_ns);
	put_u32(e, stream);
	put_u64(e, ev->seq);
	put_u64(e, ev->time_ns);
	put_u32(e, ev->type);
	put_u32(e, ev->lane);
	put_u32(e, ev->arg);
	put_u64(e, ev->value);
	put_bytes(e, ev->data, sizeof(ev->data));
}

void journal_hash_event(const uint8_t *prev, uint64_t pos, uint32_t gate,
			int64_t stored_ns, uint32_t stream,
			const struct passgate_event *ev, uint8_t *out)
{
	struct journal_encoding e;

	journal_encode_event(&e, pos, gate, stored_ns, stream, ev);
	journal_chain(prev, &e, out);
}

void journal_encode_stream(struct journal_encoding *e, uint64_t pos,
			   uint32_t gate, int64_t stored_ns, uint32_t stream,
			   const uint8_t *id)
{
	e->n = 0;
	put_u8(e, PASSGATE_JOURNAL_REC_STREAM);
	put_u64(e, pos);
	put_u32(e, gate);
	put_u64(e, stored_ns);
	put_u32(e, stream);
	put_bytes(e, id, ID_SIZE);
}

void journal_hash_stream(const uint8_t *prev, uint64_t pos, uint32_t gate,
			 int64_t stored_ns, uint32_t stream, const uint8_t *id,
			 uint8_t *out)
{
	struct journal_encoding e;

	journal_encode_stream(&e, pos, gate, stored_ns, stream, id);
	journal_chain(prev, &e, out);
}

void journal_encode_checkpoint(struct journal_encoding *e, uint64_t pos,
			       uint32_t gate,
			       const struct journal_checkpoint *ck)
{
	e->n = 0;
	put_u8(e, PASSGATE_JOURNAL_REC_CHECKPOINT);
	put_u64(e, pos);
	put_u32(e, gate);
	put_u64(e, ck->stored_ns);
	put_u64(e, ck->keep_from_pos);
	put_bytes(e, ck->prev_hash, HASH_SIZE);
	put_u32(e, ck->at.stream);
	put_bytes(e, ck->at.id, ID_SIZE);
	put_u64(e, ck->at.next_seq);
	put_u64(e, ck->removed);
	put_u64(e, ck->removed_total);
}

void journal_hash_checkpoint(const uint8_t *prev, uint64_t pos, uint32_t gate,
			     const struct journal_checkpoint *ck, uint8_t *out)
{
	struct journal_encoding e;

	journal_encode_checkpoint(&e, pos, gate, ck);
	journal_chain(prev, &e, out);
}

/* How many seqs a row accounts for: a LOST row stands for @value. */
uint64_t journal_event_span(const struct passgate_event *ev)
{
	return ev->type == PASSGATE_EV_LOST ? ev->value : 1;
}
