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
#include <stdlib.h>
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
	uint64_t nb, ex, hz;

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
	hz = b->epoch + HORIZON_S;
	if (p->horizon_end && p->horizon_end < hz)
		hz = p->horizon_end;
	if (hz <= nb)
		return passgate_fail(err, errlen, ERANGE,
				     "header: not_before %" PRIu64
				     " is past the horizon %" PRIu64,
				     nb, hz);
	/*
	 * Usable until its expiry, or the horizon if that comes first: a
	 * list that lives longer goes degraded early rather than widen an
	 * entry's window.  Later bounds are no bounds.
	 */
	ex = p->expires_at > UINT32_MAX ? UINT32_MAX :
	     p->expires_at + p->clock_offset;
	if (ex > hz)
		ex = hz;

	b->base = buf;
	b->elems = size / COMPACT_ELEM_SIZE;
	b->params = *p;
	b->not_before = nb;
	b->expires_at = ex;
	b->horizon_end = hz;
	/* No head until the list is whole: a failed build is no list. */
	memset(buf, 0, COMPACT_HEADER_ELEMS * COMPACT_ELEM_SIZE);
	b->failed = 0;
	return 0;
}

/*
 * The window [@f, @u) (policy clock, 0: no bound) in minutes after the
 * epoch.  Encoded for the horizon, [not_before, horizon_end), not only
 * for the list's own life, so that a delta may extend the list's life
 * up to the horizon with this entry still exact: a from at or before
 * not_before and an until at or past the horizon are no bound, and an
 * entry never valid inside the horizon is stored as such (until the
 * epoch).  Inside it, from rounds up and until down to a minute: never
 * wider, less than a minute narrower at each end, and a window with no
 * whole minute in it stored as never valid.
 */
static void encode_window(const struct compact_builder *b, uint64_t f,
			  uint64_t u, struct compact_entry *out)
{
	uint64_t nb = b->not_before, hz = b->horizon_end, epoch = b->epoch;
	uint64_t from = 0, until = COMPACT_UNTIL_NONE, lo, hi;

	if ((f && f >= hz) || (u && u <= nb))
		goto never;
	/* Between not_before and the horizon, both fit 16 bits. */
	if (f > nb)
		from = (f - epoch + COMPACT_MINUTE - 1) / COMPACT_MINUTE;
	if (u && u < hz)
		until = (u - epoch) / COMPACT_MINUTE;
	lo = from ? epoch + from * COMPACT_MINUTE : nb;
	hi = until != COMPACT_UNTIL_NONE ? epoch + until * COMPACT_MINUTE : hz;
	if (lo >= hi)
		goto never;
	out->valid_from = from;
	out->valid_until = until;
	return;
never:
	out->valid_from = 0;
	out->valid_until = 0;
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

/*
 * One entry: the digest as two numbers, status and PASSGATE_ENTRY_*
 * flags, the ID's first 8 bytes (@has_id: a card is bound), the window
 * in the policy's clock.
 */
static int add_one(struct compact_builder *b, uint64_t hi, uint64_t lo,
		   unsigned int status, unsigned int flags, int has_id,
		   uint64_t id, uint64_t f, uint64_t u, char *err,
		   size_t errlen)
{
	unsigned int k = b->params.index_bits;
	uint64_t index = b->added, first = compact_first_entry(k);
	uint32_t *slots = index_slots(b->base);
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
	if (status < PASSGATE_STATUS_GREEN || status > PASSGATE_STATUS_RED)
		return passgate_fail(err, errlen, EINVAL,
				     "entry %" PRIu64 ": status %u has no place in a full list",
				     index, status);
	if (flags & ~PASSGATE_ENTRY_TICKET)
		return passgate_fail(err, errlen, EINVAL,
				     "entry %" PRIu64 ": unknown flags 0x%02x",
				     index, flags);
	compact_key_from(hi, lo, k, &key);
	if (index && key.bucket == b->last_key.bucket &&
	    key.hi == b->last_key.hi && key.lo == b->last_key.lo)
		return passgate_fail(err, errlen, EINVAL,
				     "entry %" PRIu64 ": its first %u digest bits are the previous one's",
				     index, k + COMPACT_CODE_BITS);

	out = (struct compact_entry *)(b->base +
				       (first + index) * COMPACT_ELEM_SIZE);
	encode_window(b, f, u, out);
	meta = status;
	if (flags & PASSGATE_ENTRY_TICKET)
		meta |= COMPACT_F_TICKET;
	if (has_id)
		meta |= COMPACT_F_ID;
	out->id = id;
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

static int add_entry(struct compact_builder *b,
		     const struct passgate_list_entry *e, char *err,
		     size_t errlen)
{
	uint64_t off = b->params.clock_offset;
	uint64_t id_head = compact_id(e->id_digest);
	uint64_t id_tail = compact_id(e->id_digest + 8);

	/* All zero is no card; any other digest is one, even 0 at first. */
	return add_one(b, compact_be64(e->digest), compact_be64(e->digest + 8),
		       e->status, e->flags, id_head || id_tail, id_head,
		       e->valid_from ? e->valid_from + off : 0,
		       e->valid_until ? e->valid_until + off : 0, err, errlen);
}

int compact_build_add_view(struct compact_builder *b, const uint8_t *digest,
			   const struct compact_view *v, char *err,
			   size_t errlen)
{
	if (b->failed)
		return passgate_fail(err, errlen, EINVAL,
				     "entries: the build already failed");
	if (add_one(b, compact_be64(digest), compact_be64(digest + 8),
		    v->status, v->flags, v->has_id, v->id, v->valid_from,
		    v->valid_until, err, errlen)) {
		b->failed = 1;
		return -1;
	}
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
		if (add_entry(b, &entries[i], err, errlen)) {
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
	info->horizon_end = b->horizon_end;

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

/* The digest bits @e of @bucket keeps, the rest zero. */
static void entry_digest(const struct compact_list *list,
			 const struct compact_entry *e, uint64_t bucket,
			 uint8_t *digest)
{
	unsigned int k = list->head->index_bits;
	uint64_t dhi, dlo, code_lo = e->code_lo >> COMPACT_CODE_LO_SHIFT;

	if (k) {
		dhi = bucket << (64 - k) | e->code_hi >> k;
		dlo = e->code_hi << (64 - k) |
		      code_lo << (128 - k - COMPACT_CODE_BITS);
	} else {
		dhi = e->code_hi;
		dlo = code_lo << (128 - COMPACT_CODE_BITS);
	}
	put_be64(digest, dhi);
	put_be64(digest + 8, dlo);
}

int compact_entry_at(const struct compact_list *list, uint32_t i,
		     struct compact_view *v, uint8_t *digest)
{
	const uint32_t *slots = index_slots_const(list->src.base);
	unsigned int k = list->head->index_bits;
	const struct compact_entry *e;
	uint64_t lo = 0, hi = (uint64_t)1 << k, mid;

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
	entry_digest(list, e, lo, digest);
	return 0;
}

void compact_cursor_init(struct compact_cursor *c,
			 const struct compact_list *list)
{
	c->list = list;
	c->i = 0;
	c->bucket = 0;
}

int compact_cursor_next(struct compact_cursor *c, struct compact_view *v,
			uint8_t *digest)
{
	const struct compact_list *list = c->list;
	const uint32_t *slots = index_slots_const(list->src.base);
	unsigned int k = list->head->index_bits;
	const struct compact_entry *e;

	if (c->i >= list->head->entry_count)
		return 0;
	/* compact_open() checked the index: the walk ends within it. */
	while (slots[c->bucket + 1] <= c->i)
		c->bucket++;
	e = compact_elem(&list->src, compact_first_entry(k) + c->i);
	compact_entry_decode(list->head, e, v);
	entry_digest(list, e, c->bucket, digest);
	c->i++;
	return 1;
}

/* ---- the overlay ---- */

size_t compact_overlay_size(uint64_t count)
{
	if (count > COMPACT_OVERLAY_MAX)
		return 0;
	return (COMPACT_OVERLAY_HEADER_ELEMS +
		COMPACT_OVERLAY_ENTRY_ELEMS * count) * COMPACT_ELEM_SIZE;
}

/* <0, 0, >0 as digest @a sorts before, with, after @b. */
static int digest_cmp(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, PASSGATE_LIST_DIGEST);
}

int compact_overlay_build(void *buf, size_t size,
			  const struct compact_overlay_params *params,
			  const struct compact_delta_entry *entries, size_t n,
			  char *err, size_t errlen)
{
	struct compact_overlay_head *head = buf;
	struct compact_overlay_info *info;
	struct compact_overlay_value *val;
	struct compact_overlay_key *key;
	uint8_t *base = buf;
	size_t i;

	if (!compact_overlay_size(n))
		return passgate_fail(err, errlen, EFBIG,
				     "entries: %zu, an overlay holds %u", n,
				     COMPACT_OVERLAY_MAX);
	if (size != compact_overlay_size(n))
		return passgate_fail(err, errlen, EINVAL,
				     "buffer: %zu bytes, an overlay of %zu entries takes %zu",
				     size, n, compact_overlay_size(n));
	memset(buf, 0, COMPACT_OVERLAY_HEADER_ELEMS * COMPACT_ELEM_SIZE);
	for (i = 0; i < n; i++) {
		const struct compact_delta_entry *e = &entries[i];

		if (i && digest_cmp(entries[i - 1].digest, e->digest) >= 0)
			return passgate_fail(err, errlen, EINVAL,
					     "entry %zu: digest not above the previous one (unsorted or duplicate)",
					     i);
		if (e->view.status > PASSGATE_STATUS_RED ||
		    e->view.flags & ~PASSGATE_ENTRY_TICKET)
			return passgate_fail(err, errlen, EINVAL,
					     "entry %zu: status %u, flags 0x%02x",
					     i, e->view.status, e->view.flags);
		key = (void *)(base + compact_overlay_elem(i) *
				      COMPACT_ELEM_SIZE);
		val = (void *)(key + 1);
		key->hi = compact_be64(e->digest);
		key->lo = compact_be64(e->digest + 8);
		key->valid_from = e->view.valid_from;
		key->valid_until = e->view.valid_until;
		memset(val, 0, sizeof(*val));
		val->id = e->view.id;
		val->status = e->view.status;
		val->flags = e->view.flags;
		val->has_id = !!e->view.has_id;
	}
	info = (void *)(base + COMPACT_ELEM_SIZE);
	info->generation = params->generation;
	info->base_generation = params->base_generation;
	info->elem_count = size / COMPACT_ELEM_SIZE;
	info->reserved = 0;
	head->version = COMPACT_OVERLAY_VERSION;
	head->entry_count = n;
	head->not_before = params->not_before;
	head->expires_at = params->expires_at;
	head->list_entries = params->list_entries;
	/* Last: with the magic the array is an overlay. */
	head->magic = COMPACT_OVERLAY_MAGIC;
	return 0;
}

int compact_overlay_open(struct compact_overlay *ov, const void *buf,
			 size_t size, char *err, size_t errlen)
{
	const struct compact_overlay_key *key, *prev = NULL;
	uint32_t i;

	memset(ov, 0, sizeof(*ov));
	if (size % COMPACT_ELEM_SIZE ||
	    size < COMPACT_OVERLAY_HEADER_ELEMS * COMPACT_ELEM_SIZE)
		return passgate_fail(err, errlen, EINVAL,
				     "buffer: %zu bytes is no overlay", size);
	ov->src.base = buf;
	ov->src.elems = size / COMPACT_ELEM_SIZE;
	ov->head = compact_overlay_head_read(&ov->src);
	if (!ov->head)
		return passgate_fail(err, errlen, EINVAL,
				     "header: not an overlay of version %u",
				     COMPACT_OVERLAY_VERSION);
	ov->info = compact_elem(&ov->src, 1);
	if (compact_overlay_size(ov->head->entry_count) != size ||
	    ov->info->elem_count != ov->src.elems)
		return passgate_fail(err, errlen, EINVAL,
				     "header: %u entries are not %zu bytes",
				     ov->head->entry_count, size);
	for (i = 0; i < ov->head->entry_count; i++) {
		key = compact_elem(&ov->src, compact_overlay_elem(i));
		if (prev && (key->hi < prev->hi ||
			     (key->hi == prev->hi && key->lo <= prev->lo)))
			return passgate_fail(err, errlen, EINVAL,
					     "entry %u: key not above the previous one",
					     i);
		prev = key;
	}
	return 0;
}

void compact_overlay_entry_at(const struct compact_overlay *ov, uint32_t i,
			      struct compact_delta_entry *e)
{
	const struct compact_overlay_key *key;
	const struct compact_overlay_value *val;

	key = compact_elem(&ov->src, compact_overlay_elem(i));
	val = (const void *)(key + 1);
	put_be64(e->digest, key->hi);
	put_be64(e->digest + 8, key->lo);
	memset(&e->view, 0, sizeof(e->view));
	e->view.status = val->status;
	e->view.flags = val->flags;
	e->view.has_id = val->has_id;
	e->view.valid_from = key->valid_from;
	e->view.valid_until = key->valid_until;
	e->view.id = val->id;
}

/* Whether @digest is on the list base and overlay make, as a scan sees. */
static int listed_before(const struct compact_list *base,
			 const struct compact_delta_entry *prev_entry,
			 const uint8_t *digest)
{
	struct compact_view v;

	if (prev_entry)
		return prev_entry->view.status != PASSGATE_STATUS_REMOVE;
	return base && compact_find(base, digest, &v);
}

int compact_overlay_merge(const struct compact_list *base,
			  const struct compact_overlay *prev,
			  const struct compact_delta_entry *entries, size_t n,
			  uint64_t count, struct compact_delta_entry **out,
			  size_t *out_n, uint64_t *list_entries, char *err,
			  size_t errlen)
{
	size_t prev_n = prev ? prev->head->entry_count : 0, i = 0, j = 0;
	struct compact_delta_entry *merged, p;
	struct compact_view v;
	size_t k = 0;
	int c, was;

	*out = NULL;
	merged = calloc(prev_n + n + 1, sizeof(*merged));
	if (!merged)
		return passgate_fail(err, errlen, ENOMEM,
				     "entries: %zu for the overlay", prev_n + n);
	for (j = 1; j < n; j++)
		if (digest_cmp(entries[j - 1].digest, entries[j].digest) >= 0) {
			free(merged);
			return passgate_fail(err, errlen, EINVAL,
					     "entry %zu: digest not above the previous one (unsorted or duplicate)",
					     j);
		}
	j = 0;
	while (i < prev_n || j < n) {
		if (i < prev_n)
			compact_overlay_entry_at(prev, i, &p);
		if (i == prev_n)
			c = 1;
		else if (j == n)
			c = -1;
		else
			c = digest_cmp(p.digest, entries[j].digest);
		if (c < 0) {
			merged[k++] = p;
			i++;
			continue;
		}
		was = listed_before(base, c ? NULL : &p, entries[j].digest);
		if (entries[j].view.status != PASSGATE_STATUS_REMOVE) {
			merged[k++] = entries[j];
			count += !was;
		} else {
			count -= was;
			/* Only a code the base has needs hiding. */
			if (base && compact_find(base, entries[j].digest, &v)) {
				merged[k] = entries[j];
				memset(&merged[k].view, 0,
				       sizeof(merged[k].view));
				k++;
			}
		}
		i += !c;
		j++;
	}
	*out = merged;
	*out_n = k;
	*list_entries = count;
	return 0;
}

/* <0, 0, >0 as the first @bits bits of @a sort before, with, after @b's. */
static int prefix_cmp(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	uint64_t ah = compact_be64(a), al = compact_be64(a + 8);
	uint64_t bh = compact_be64(b), bl = compact_be64(b + 8);
	uint64_t mask = bits >= 128 ? ~0ull : ~0ull << (128 - bits);

	/* bits is above 64: every bit of the first half counts. */
	if (ah != bh)
		return ah < bh ? -1 : 1;
	al &= mask;
	bl &= mask;
	if (al != bl)
		return al < bl ? -1 : 1;
	return 0;
}

int compact_fold(struct compact_builder *b, const struct compact_list *base,
		 const struct compact_delta_entry *over, size_t n, char *err,
		 size_t errlen)
{
	unsigned int bits = base->head->index_bits + COMPACT_CODE_BITS;
	uint8_t digest[PASSGATE_LIST_DIGEST];
	struct compact_cursor cur;
	struct compact_view v;
	size_t j = 0;
	int more, c;

	if (b->params.index_bits != base->head->index_bits)
		return passgate_fail(err, errlen, EINVAL,
				     "header: the fold keeps the base's %u index bits",
				     base->head->index_bits);
	compact_cursor_init(&cur, base);
	more = compact_cursor_next(&cur, &v, digest);
	while (more || j < n) {
		if (!more)
			c = 1;
		else if (j == n)
			c = -1;
		else
			c = prefix_cmp(digest, over[j].digest, bits);
		if (c < 0) {
			if (compact_build_add_view(b, digest, &v, err, errlen))
				return -1;
		} else if (over[j].view.status != PASSGATE_STATUS_REMOVE) {
			if (compact_build_add_view(b, over[j].digest,
						   &over[j].view, err, errlen))
				return -1;
		}
		if (c <= 0)
			more = compact_cursor_next(&cur, &v, digest);
		if (c >= 0)
			j++;
	}
	return compact_build_finish(b, err, errlen);
}
