// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Compact lists (common/compactlist.h, docs/list-layout.md): built in
 * one pass over a list's entries in file order, straight into the
 * caller's buffer (an mmap of the BPF array), and read back.  What the
 * layout cannot hold faithfully is refused: a bucket above
 * COMPACT_BUCKET_MAX, two codes alike in every compared bit.  Times are
 * rounded inward, never outward (encode_window()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "compactlist.h"
#include "fail.h"

#define HORIZON_S ((uint64_t)COMPACT_HORIZON)

unsigned int compact_index_bits(uint64_t count)
{
	unsigned int k = 0;

	/* The largest k with 2^(k+1) <= count. */
	while (k < COMPACT_INDEX_BITS_MAX && count >> (k + 2))
		k++;
	return k;
}

size_t compact_size(uint64_t count, unsigned int index_bits)
{
	uint64_t elems;

	if (index_bits > COMPACT_INDEX_BITS_MAX || count > COMPACT_ENTRIES_MAX)
		return 0;
	elems = COMPACT_HEADER_ELEMS + compact_index_elems(index_bits) + count;
	if (elems > UINT32_MAX || elems > SIZE_MAX / COMPACT_ELEM_SIZE)
		return 0;
	return elems * COMPACT_ELEM_SIZE;
}

/* The index as the builder and the reader see it: u32 after the head. */
static uint32_t *index_slots(uint8_t *base)
{
	return (uint32_t *)(base + COMPACT_HEADER_ELEMS * COMPACT_ELEM_SIZE);
}

static const uint32_t *index_slots_const(const void *base)
{
	return (const uint32_t *)((const uint8_t *)base +
				  COMPACT_HEADER_ELEMS * COMPACT_ELEM_SIZE);
}

int compact_build_begin(struct compact_builder *b, void *buf, size_t size,
			const struct compact_params *params, char *err,
			size_t errlen)
{
	const struct compact_params *p = params;
	size_t want = compact_size(p->entry_count, p->index_bits);
	uint64_t nb, ex;

	memset(b, 0, sizeof(*b));
	b->failed = 1;
	if (p->index_bits > COMPACT_INDEX_BITS_MAX)
		return passgate_fail(err, errlen, EINVAL,
				     "header: %u index bits, at most %u",
				     p->index_bits, COMPACT_INDEX_BITS_MAX);
	if (!want)
		return passgate_fail(err, errlen, EFBIG,
				     "entries: %" PRIu64 " at %u index bits are more than a compact list holds",
				     p->entry_count, p->index_bits);
	if (size != want)
		return passgate_fail(err, errlen, EINVAL,
				     "buffer: %zu bytes, a list of %" PRIu64
				     " entries at %u index bits takes %zu",
				     size, p->entry_count, p->index_bits, want);
	if (p->not_before > p->expires_at)
		return passgate_fail(err, errlen, EINVAL,
				     "header: not_before %" PRIu64
				     " is after expires_at %" PRIu64,
				     p->not_before, p->expires_at);
	/* Every decoded time must fit the policy's u32 seconds. */
	nb = p->not_before + p->clock_offset;
	if (p->not_before > UINT32_MAX || nb > UINT32_MAX - HORIZON_S)
		return passgate_fail(err, errlen, ERANGE,
				     "header: not_before %" PRIu64
				     " is past what 32-bit seconds hold",
				     p->not_before);
	if (nb < COMPACT_MINUTE)
		return passgate_fail(err, errlen, ERANGE,
				     "header: not_before %" PRIu64
				     " leaves no epoch above 0",
				     p->not_before);
	b->epoch = nb - nb % COMPACT_MINUTE;
	/*
	 * Usable until its expiry, or the horizon if that comes first: a
	 * list that lives longer goes degraded early rather than widen an
	 * entry's window.  Later bounds are no bounds.
	 */
	ex = p->expires_at > UINT32_MAX ? UINT32_MAX :
	     p->expires_at + p->clock_offset;
	if (ex > b->epoch + HORIZON_S)
		ex = b->epoch + HORIZON_S;

	b->base = buf;
	b->elems = size / COMPACT_ELEM_SIZE;
	b->params = *p;
	b->not_before = nb;
	b->expires_at = ex;
	/* No head until the list is whole: a failed build is no list. */
	memset(buf, 0, COMPACT_HEADER_ELEMS * COMPACT_ELEM_SIZE);
	b->failed = 0;
	return 0;
}

/*
 * The window of @e in minutes after the epoch.  Only the time the list
 * is usable counts, [not_before, expires_at): a bound outside it is no
 * bound, and an entry never valid inside it is stored as such (until
 * the epoch).  Inside it, from rounds up and until down to a minute:
 * never wider, less than a minute narrower at each end, and a window
 * with no whole minute in it stored as never valid.
 */
static void encode_window(const struct compact_builder *b,
			  const struct passgate_list_entry *e,
			  struct compact_entry *out)
{
	uint64_t nb = b->not_before, ex = b->expires_at, epoch = b->epoch;
	uint64_t off = b->params.clock_offset;
	uint64_t f = e->valid_from ? e->valid_from + off : 0;
	uint64_t u = e->valid_until ? e->valid_until + off : 0;
	uint64_t from = 0, until = COMPACT_UNTIL_NONE, lo, hi;

	/* Below the horizon (compact_build_begin()), both fit. */
	if (f > nb)
		from = (f - epoch + COMPACT_MINUTE - 1) / COMPACT_MINUTE;
	if (u && u < ex)
		until = (u - epoch) / COMPACT_MINUTE;
	lo = from ? epoch + from * COMPACT_MINUTE : nb;
	hi = until != COMPACT_UNTIL_NONE ? epoch + until * COMPACT_MINUTE : ex;
	if (lo >= hi) {
		from = 0;
		until = 0;
	}
	out->valid_from = from;
	out->valid_until = until;
}

/*
 * The bucket sizes at index_bits and the bits above, for a retry; @top
 * is the digest's first 64 bits.
 */
static void measure(struct compact_builder *b, uint64_t top)
{
	unsigned int i, k;
	uint32_t bucket;

	for (i = 0; i <= COMPACT_INDEX_RAISE; i++) {
		k = b->params.index_bits + i;
		if (k > COMPACT_INDEX_BITS_MAX)
			break;
		bucket = k ? top >> (64 - k) : 0;
		if (b->added && bucket == b->run_bucket[i]) {
			b->run[i]++;
		} else {
			b->run_bucket[i] = bucket;
			b->run[i] = 1;
		}
		if (b->run[i] > b->largest[i])
			b->largest[i] = b->run[i];
	}
}

static int add_one(struct compact_builder *b,
		   const struct passgate_list_entry *e, char *err,
		   size_t errlen)
{
	unsigned int k = b->params.index_bits;
	uint64_t index = b->added, first = compact_first_entry(k);
	uint64_t hi = compact_be64(e->digest), lo = compact_be64(e->digest + 8);
	uint32_t *slots = index_slots(b->base);
	uint64_t id_head, id_tail;
	struct compact_entry *out;
	struct compact_key key;
	uint8_t meta;

	if (index == b->params.entry_count)
		return passgate_fail(err, errlen, EINVAL,
				     "entries: more than the %" PRIu64 " announced",
				     b->params.entry_count);
	if (index &&
	    (hi < b->last_hi || (hi == b->last_hi && lo <= b->last_lo)))
		return passgate_fail(err, errlen, EINVAL,
				     "entry %" PRIu64 ": digest not above the previous one (unsorted or duplicate)",
				     index);
	if (e->status < PASSGATE_STATUS_GREEN ||
	    e->status > PASSGATE_STATUS_RED)
		return passgate_fail(err, errlen, EINVAL,
				     "entry %" PRIu64 ": status %u has no place in a full list",
				     index, e->status);
	if (e->flags & ~PASSGATE_ENTRY_TICKET)
		return passgate_fail(err, errlen, EINVAL,
				     "entry %" PRIu64 ": unknown flags 0x%02x",
				     index, e->flags);
	compact_key_from(hi, lo, k, &key);
	if (index && key.bucket == b->last_key.bucket &&
	    key.hi == b->last_key.hi && key.lo == b->last_key.lo)
		return passgate_fail(err, errlen, EINVAL,
				     "entry %" PRIu64 ": its first %u digest bits are the previous one's",
				     index, k + COMPACT_CODE_BITS);

	out = (struct compact_entry *)(b->base +
				       (first + index) * COMPACT_ELEM_SIZE);
	encode_window(b, e, out);
	meta = e->status;
	if (e->flags & PASSGATE_ENTRY_TICKET)
		meta |= COMPACT_F_TICKET;
	/* All zero is no card; any other digest is one, even 0 at first. */
	id_head = compact_id(e->id_digest);
	id_tail = compact_id(e->id_digest + 8);
	if (id_head || id_tail)
		meta |= COMPACT_F_ID;
	out->id = id_head;
	out->code_hi = key.hi;
	out->code_lo = key.lo << COMPACT_CODE_LO_SHIFT | meta;

	measure(b, hi);
	while (b->next_slot <= key.bucket)
		slots[b->next_slot++] = index;
	b->last_hi = hi;
	b->last_lo = lo;
	b->last_key = key;
	b->added++;
	return 0;
}

int compact_build_add(struct compact_builder *b,
		      const struct passgate_list_entry *entries, size_t n,
		      char *err, size_t errlen)
{
	size_t i;

	if (b->failed)
		return passgate_fail(err, errlen, EINVAL,
				     "entries: the build already failed");
	for (i = 0; i < n; i++)
		if (add_one(b, &entries[i], err, errlen)) {
			b->failed = 1;
			return -1;
		}
	return 0;
}

/* A bucket too large at index_bits: the smallest k that splits it. */
static int refuse_bucket(struct compact_builder *b, char *err, size_t errlen)
{
	unsigned int i, k = b->params.index_bits;

	for (i = 1; i <= COMPACT_INDEX_RAISE; i++)
		if (k + i <= COMPACT_INDEX_BITS_MAX &&
		    b->largest[i] <= COMPACT_BUCKET_MAX) {
			b->retry_bits = k + i;
			return passgate_fail(err, errlen, EOVERFLOW,
					     "entries: a bucket of %u at %u index bits (at most %u); %u bits split it",
					     b->largest[0], k, COMPACT_BUCKET_MAX,
					     k + i);
		}
	return passgate_fail(err, errlen, EOVERFLOW,
			     "entries: a bucket of %u at %u index bits (at most %u), and at %u more: a list made to collide",
			     b->largest[0], k, COMPACT_BUCKET_MAX,
			     COMPACT_INDEX_RAISE);
}

int compact_build_finish(struct compact_builder *b, char *err, size_t errlen)
{
	const struct compact_params *p = &b->params;
	uint64_t slots_end = (uint64_t)1 << p->index_bits;
	uint64_t slot_room = (uint64_t)compact_index_elems(p->index_bits) *
			     COMPACT_INDEX_PER_ELEM;
	uint32_t *slots = index_slots(b->base);
	struct compact_head *head = (struct compact_head *)b->base;
	struct compact_info *info;

	if (b->failed)
		return passgate_fail(err, errlen, EINVAL,
				     "entries: the build already failed");
	b->failed = 1;
	if (b->added != p->entry_count)
		return passgate_fail(err, errlen, EINVAL,
				     "entries: %" PRIu64 " of the %" PRIu64 " announced",
				     b->added, p->entry_count);
	if (b->largest[0] > COMPACT_BUCKET_MAX)
		return refuse_bucket(b, err, errlen);

	/* The empty buckets at the end, the end itself, then padding. */
	while (b->next_slot <= slots_end)
		slots[b->next_slot++] = p->entry_count;
	while (b->next_slot < slot_room)
		slots[b->next_slot++] = 0;

	info = (struct compact_info *)(b->base + COMPACT_ELEM_SIZE);
	info->generation = p->generation;
	info->elem_count = b->elems;
	info->largest_bucket = b->largest[0];
	info->clock_offset = p->clock_offset;
	info->reserved = 0;

	head->index_bits = p->index_bits;
	head->version = COMPACT_VERSION;
	head->reserved = 0;
	head->entry_count = p->entry_count;
	head->epoch = b->epoch;
	head->not_before = b->not_before;
	head->expires_at = b->expires_at;
	/* Last: with the magic the array is a list. */
	head->magic = COMPACT_MAGIC;
	b->failed = 0;
	return 0;
}

int compact_build(void *buf, size_t size, const struct compact_params *params,
		  const struct passgate_list_entry *entries, size_t n,
		  unsigned int *retry_bits, char *err, size_t errlen)
{
	struct compact_builder b;
	int ret;

	if (retry_bits)
		*retry_bits = 0;
	if (compact_build_begin(&b, buf, size, params, err, errlen) ||
	    compact_build_add(&b, entries, n, err, errlen))
		return -1;
	ret = compact_build_finish(&b, err, errlen);
	if (ret && retry_bits)
		*retry_bits = b.retry_bits;
	return ret;
}

int compact_open(struct compact_list *list, const void *buf, size_t size,
		 char *err, size_t errlen)
{
	const uint32_t *slots = index_slots_const(buf);
	const struct compact_head *head;
	uint64_t b, buckets;

	memset(list, 0, sizeof(*list));
	if (size % COMPACT_ELEM_SIZE ||
	    size < COMPACT_HEADER_ELEMS * COMPACT_ELEM_SIZE)
		return passgate_fail(err, errlen, EINVAL,
				     "buffer: %zu bytes is no whole number of elements past the header",
				     size);
	list->src.base = buf;
	list->src.elems = size / COMPACT_ELEM_SIZE;
	head = compact_head_read(&list->src);
	if (!head)
		return passgate_fail(err, errlen, EINVAL,
				     "header: not a compact list of version %u",
				     COMPACT_VERSION);
	list->head = head;
	list->info = compact_elem(&list->src, 1);
	if (compact_size(head->entry_count, head->index_bits) != size ||
	    list->info->elem_count != list->src.elems)
		return passgate_fail(err, errlen, EINVAL,
				     "header: %u entries at %u index bits are not %zu bytes",
				     head->entry_count, head->index_bits, size);
	buckets = (uint64_t)1 << head->index_bits;
	if (slots[0])
		return passgate_fail(err, errlen, EINVAL,
				     "index: bucket 0 starts at %u", slots[0]);
	for (b = 0; b < buckets; b++)
		if (slots[b + 1] < slots[b] ||
		    slots[b + 1] - slots[b] > COMPACT_BUCKET_MAX)
			return passgate_fail(err, errlen, EINVAL,
					     "index: bucket %" PRIu64 " runs from %u to %u",
					     b, slots[b], slots[b + 1]);
	if (slots[buckets] != head->entry_count)
		return passgate_fail(err, errlen, EINVAL,
				     "index: ends at %u, not at %u entries",
				     slots[buckets], head->entry_count);
	return 0;
}

int compact_find(const struct compact_list *list, const uint8_t *digest,
		 struct compact_view *v)
{
	const struct compact_entry *e;

	e = compact_search(&list->src, list->head, digest);
	if (!e)
		return 0;
	compact_entry_decode(list->head, e, v);
	return 1;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = v;
}

int compact_entry_at(const struct compact_list *list, uint32_t i,
		     struct compact_view *v, uint8_t *digest)
{
	const uint32_t *slots = index_slots_const(list->src.base);
	unsigned int k = list->head->index_bits;
	const struct compact_entry *e;
	uint64_t lo = 0, hi = (uint64_t)1 << k, mid, dhi, dlo, code_lo;

	if (i >= list->head->entry_count) {
		errno = ERANGE;
		return -1;
	}
	e = compact_elem(&list->src, compact_first_entry(k) + i);
	compact_entry_decode(list->head, e, v);

	/* Its bucket: the last one that starts at or before it. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (slots[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	code_lo = e->code_lo >> COMPACT_CODE_LO_SHIFT;
	if (k) {
		dhi = lo << (64 - k) | e->code_hi >> k;
		dlo = e->code_hi << (64 - k) |
		      code_lo << (128 - k - COMPACT_CODE_BITS);
	} else {
		dhi = e->code_hi;
		dlo = code_lo << (128 - COMPACT_CODE_BITS);
	}
	put_be64(digest, dhi);
	put_be64(digest + 8, dlo);
	return 0;
}
