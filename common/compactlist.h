/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A health-code generation laid out for the kernel: one BPF array of
 * 24-byte elements (docs/list-layout.md).  Elements 0 and 1 are the
 * header, then the prefix index (2^k + 1 bucket starts, u32 entry
 * numbers, 6 to an element), then the entries sorted by digest.  An
 * entry keeps the 88 digest bits after the k its bucket implies, the
 * first 8 bytes of the bound ID card's digest, status, flags and its
 * validity in minutes after the header's epoch.  Native byte order: the
 * array lives only in this machine's memory.
 *
 * The lookup below is the one the policy program runs and the one the
 * tests check: static inline, no libc, loops with constant bounds, every
 * element read through compact_elem(), which checks its index (on the
 * host against the buffer, in BPF by bpf_map_lookup_elem()).  The
 * builder and the reader for userspace are common/compactlist.c.
 */
#ifndef PASSGATE_COMPACTLIST_H
#define PASSGATE_COMPACTLIST_H

#include <linux/types.h>

#include "allowlist.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define COMPACT_MAGIC 0x4c434750	/* "PGCL" as it lies in memory (LE) */
#define COMPACT_VERSION 1
#define COMPACT_ELEM_SIZE 24
#define COMPACT_HEADER_ELEMS 2
#define COMPACT_INDEX_PER_ELEM (COMPACT_ELEM_SIZE / 4)

/*
 * Digest bits an entry keeps after its bucket's k: k + 88 are compared,
 * 106 for a million entries, 112 for 60 million
 * (docs/allowlist-format.md, "Compact lists: what truncation costs").
 */
#define COMPACT_CODE_BITS 88
/* Bytes of the bound ID card's digest an entry keeps. */
#define COMPACT_ID_BYTES 8

/*
 * The largest bucket the search covers in COMPACT_SEARCH_STEPS halvings;
 * a list with a larger one is refused, never searched slowly.
 */
#define COMPACT_BUCKET_MAX 64
#define COMPACT_SEARCH_STEPS 7
_Static_assert((1u << COMPACT_SEARCH_STEPS) > COMPACT_BUCKET_MAX,
	       "the search halves the largest bucket down to nothing");
_Static_assert((1u << (COMPACT_SEARCH_STEPS - 1)) <= COMPACT_BUCKET_MAX,
	       "no more steps than the largest bucket needs");

/*
 * Index bits: buckets average 2 to 4 entries (compact_index_bits()); a
 * builder may go up to COMPACT_INDEX_RAISE bits above that to split a
 * bucket that overflows, which keeps the index within 8 bytes an entry.
 * k + COMPACT_CODE_BITS must stay within the 128 digest bits.
 */
#define COMPACT_INDEX_BITS_MAX 28
#define COMPACT_INDEX_RAISE 2
_Static_assert(COMPACT_INDEX_BITS_MAX + COMPACT_CODE_BITS <=
	       8 * PASSGATE_LIST_DIGEST, "stored bits lie within the digest");
/* Entry numbers are u32, and so is the BPF array's size in elements. */
#define COMPACT_ENTRIES_MAX (1u << 31)

/*
 * Validity: u16 minutes after the header's epoch.  valid_from 0 and
 * valid_until 0xffff mean no bound; valid_until 0 (the epoch) is an entry
 * never valid while its list is.
 */
#define COMPACT_MINUTE 60
#define COMPACT_UNTIL_NONE 0xffff
/*
 * How far entry times reach past the epoch, 45.5 days: the horizon.  A
 * base's entries are encoded for all of it, not only for the list's own
 * life, so that a delta may extend the list's life up to the horizon
 * (compact_info.horizon_end) with every base entry still exact.
 */
#define COMPACT_HORIZON ((COMPACT_UNTIL_NONE - 1) * COMPACT_MINUTE)

/* compact_entry.code_lo: digest bits in 31..8, status and flags below. */
#define COMPACT_CODE_LO_SHIFT 8
#define COMPACT_STATUS_MASK 0x03	/* &enum passgate_list_status */
#define COMPACT_F_TICKET 0x04		/* PASSGATE_ENTRY_TICKET */
#define COMPACT_F_ID 0x08		/* an ID card is bound: compare id */
#define COMPACT_META_MASK 0xff

/*
 * Element 0, all a scan needs to use the list: @not_before and
 * @expires_at bound the time it is usable, @epoch (@not_before rounded
 * down to a minute) is what entry times count from.  Times are seconds
 * of the clock the policy reads (CLOCK_TAI): the list's unix times plus
 * compact_info.clock_offset.  @expires_at is the list's, or the horizon
 * of entry times (COMPACT_HORIZON past @epoch) when that comes first.
 */
struct compact_head {
	__u32 magic;
	__u8 version;
	__u8 index_bits;
	__u16 reserved;
	__u32 entry_count;
	__u32 epoch;
	__u32 not_before;
	__u32 expires_at;
};

/*
 * Element 1: the rest of what the builder knew.  @horizon_end (policy
 * clock): entry times were encoded for [not_before, horizon_end), and a
 * valid_until at or past it was stored as no bound, so the list may be
 * usable up to it and no later (an overlay's expires_at never passes it).
 */
struct compact_info {
	__u64 generation;
	__u32 elem_count;	/* of the whole array */
	__u32 largest_bucket;
	__u32 clock_offset;	/* seconds added to the list's unix times */
	__u32 horizon_end;
};

/* Elements 2 and on: bucket b starts at entry start[b % 6] of 2 + b / 6. */
struct compact_index {
	__u32 start[COMPACT_INDEX_PER_ELEM];
};

/*
 * One health code.  @code_hi holds digest bits k .. k+63 and the top 24
 * bits of @code_lo bits k+64 .. k+87 (bit 0 the digest's first, most
 * significant bit), so that numeric order is digest order within a
 * bucket.  @id: the first 8 bytes of the bound ID card's digest as they
 * lie in memory (compact_id()), meaningful with COMPACT_F_ID.
 */
struct compact_entry {
	__u64 code_hi;
	__u32 code_lo;
	__u16 valid_from;
	__u16 valid_until;
	__u64 id;
};

_Static_assert(sizeof(struct compact_head) == COMPACT_ELEM_SIZE, "head");
_Static_assert(sizeof(struct compact_info) == COMPACT_ELEM_SIZE, "info");
_Static_assert(sizeof(struct compact_index) == COMPACT_ELEM_SIZE, "index");
_Static_assert(sizeof(struct compact_entry) == COMPACT_ELEM_SIZE, "entry");
_Static_assert(sizeof(((struct compact_entry *)0)->id) == COMPACT_ID_BYTES,
	       "the ID kept");

/*
 * An entry at full width: status, PASSGATE_ENTRY_* flags, validity in
 * the header's clock with 0 for no bound, as struct policy_entry has it.
 */
struct compact_view {
	__u8 status;
	__u8 flags;
	__u8 has_id;
	__u8 reserved;
	__u32 valid_from;
	__u32 valid_until;
	__u32 reserved2;
	__u64 id;
};

/*
 * Where the elements are.  The policy program reads the inner map of
 * its "codes" slot one element at a time; userspace has them all.
 */
#ifdef __bpf__
#include <bpf/bpf_helpers.h>

struct compact_source {
	void *map;
};

static __always_inline const void *
compact_elem(const struct compact_source *src, __u32 i)
{
	return bpf_map_lookup_elem(src->map, &i);
}
#else
struct compact_source {
	const void *base;
	__u64 elems;
};

static __always_inline const void *
compact_elem(const struct compact_source *src, __u32 i)
{
	return i < src->elems ?
	       (const char *)src->base + (__u64)i * COMPACT_ELEM_SIZE : 0;
}
#endif

/*
 * Hide @x's value from the compiler, so that a range check it could
 * prove redundant stays for the verifier to see.
 */
#define compact_opaque(x) do { __asm__ __volatile__("" : "+r"(x)); } while (0)

/* Elements of the index for k bits: 2^k bucket starts and the end. */
static __always_inline __u32 compact_index_elems(__u32 k)
{
	return ((1u << k) + 1 + COMPACT_INDEX_PER_ELEM - 1) /
	       COMPACT_INDEX_PER_ELEM;
}

/* The element of entry 0. */
static __always_inline __u32 compact_first_entry(__u32 k)
{
	return COMPACT_HEADER_ELEMS + compact_index_elems(k);
}

/* Eight digest bytes as a number, the first the most significant. */
static __always_inline __u64 compact_be64(const __u8 *p)
{
	__u64 v;

	__builtin_memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* A digest as the search compares it, for k index bits. */
struct compact_key {
	__u64 hi;	/* digest bits k .. k+63 */
	__u32 lo;	/* digest bits k+64 .. k+87, in bits 23..0 */
	__u32 bucket;	/* digest bits 0 .. k-1 */
};

/* The bucket of @digest: its top @k bits. */
static __always_inline __u32 compact_bucket(const __u8 *digest, __u32 k)
{
	return k ? compact_be64(digest) >> (64 - k) : 0;
}

/* The key of the digest whose bits 0..63 are @hi and 64..127 @lo. */
static __always_inline void compact_key_from(__u64 hi, __u64 lo, __u32 k,
					     struct compact_key *key)
{
	key->bucket = k ? hi >> (64 - k) : 0;
	if (k) {
		hi = hi << k | lo >> (64 - k);
		lo <<= k;
	}
	key->hi = hi;
	key->lo = lo >> (64 - (COMPACT_CODE_BITS - 64));
}

static __always_inline void compact_key_of(const __u8 *digest, __u32 k,
					   struct compact_key *key)
{
	compact_key_from(compact_be64(digest), compact_be64(digest + 8), k,
			 key);
}

/* The first 8 bytes of an ID digest, as compact_entry.id holds them. */
static __always_inline __u64 compact_id(const __u8 *id_digest)
{
	__u64 v;

	__builtin_memcpy(&v, id_digest, sizeof(v));
	return v;
}

/* <0, 0, >0 as @key sorts before, with, after @e. */
static __always_inline int compact_compare(const struct compact_key *key,
					   const struct compact_entry *e)
{
	__u32 lo = e->code_lo >> COMPACT_CODE_LO_SHIFT;

	if (key->hi != e->code_hi)
		return key->hi < e->code_hi ? -1 : 1;
	if (key->lo != lo)
		return key->lo < lo ? -1 : 1;
	return 0;
}

/* Element 0, if it is a compact list this code reads; else NULL. */
static __always_inline const struct compact_head *
compact_head_read(const struct compact_source *src)
{
	const struct compact_head *head = compact_elem(src, 0);

	if (!head || head->magic != COMPACT_MAGIC ||
	    head->version != COMPACT_VERSION ||
	    head->index_bits > COMPACT_INDEX_BITS_MAX)
		return 0;
	return head;
}

/* Bucket start @slot of the index into *@start; -1 past the array. */
static __always_inline int
compact_index_read(const struct compact_source *src, __u32 slot, __u32 *start)
{
	const struct compact_index *ix;
	__u32 pos = slot % COMPACT_INDEX_PER_ELEM;

	ix = compact_elem(src, COMPACT_HEADER_ELEMS +
			       slot / COMPACT_INDEX_PER_ELEM);
	/* The verifier takes only an index it has seen checked. */
	compact_opaque(pos);
	if (!ix || pos >= COMPACT_INDEX_PER_ELEM)
		return -1;
	*start = ix->start[pos];
	return 0;
}

/*
 * The entry of @digest (PASSGATE_LIST_DIGEST bytes) in the list @head
 * describes, or NULL.  The bucket's bounds come from the index, and a
 * bucket the index says is out of order, out of the list or larger than
 * COMPACT_BUCKET_MAX finds nothing: the search is COMPACT_SEARCH_STEPS
 * halvings at most, whatever the array holds.
 */
static __always_inline const struct compact_entry *
compact_search(const struct compact_source *src,
	       const struct compact_head *head, const __u8 *digest)
{
	__u32 k = head->index_bits, first, lo, hi, mid;
	const struct compact_entry *e;
	struct compact_key key;
	int i, order;

	if (k > COMPACT_INDEX_BITS_MAX)
		return 0;
	compact_key_of(digest, k, &key);
	if (compact_index_read(src, key.bucket, &lo) ||
	    compact_index_read(src, key.bucket + 1, &hi))
		return 0;
	if (lo > hi || hi > head->entry_count ||
	    hi - lo > COMPACT_BUCKET_MAX)
		return 0;
	first = compact_first_entry(k);
	for (i = 0; i < COMPACT_SEARCH_STEPS; i++) {
		if (lo >= hi)
			break;
		mid = lo + (hi - lo) / 2;
		e = compact_elem(src, first + mid);
		if (!e)
			return 0;
		order = compact_compare(&key, e);
		if (!order)
			return e;
		if (order < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/*
 * @e at full width.  A bound decodes to the first second it no longer
 * (from) or already (until) excludes; the builder rounded the list's
 * times inward, so a decoded window never holds a second the list's
 * entry did not, while the list is usable.
 */
static __always_inline void
compact_entry_decode(const struct compact_head *head,
		     const struct compact_entry *e, struct compact_view *v)
{
	__u8 meta = e->code_lo & COMPACT_META_MASK;

	v->status = meta & COMPACT_STATUS_MASK;
	v->flags = meta & COMPACT_F_TICKET ? PASSGATE_ENTRY_TICKET : 0;
	v->has_id = !!(meta & COMPACT_F_ID);
	v->reserved = 0;
	v->valid_from = e->valid_from ?
			head->epoch + (__u32)e->valid_from * COMPACT_MINUTE : 0;
	v->valid_until = e->valid_until != COMPACT_UNTIL_NONE ?
			 head->epoch + (__u32)e->valid_until * COMPACT_MINUTE :
			 0;
	v->reserved2 = 0;
	v->id = e->id;
}


/*
 * The overlay: a delta's entries over a base (docs/list-layout.md,
 * "The overlay").  One array of the base's 24-byte elements, built
 * whole for every delta and never written again: the previous overlay's
 * entries merged with the delta's, sorted by digest, each as two
 * elements (its key, then its value).  It keeps the full 16-byte digest
 * and exact times (policy clock, 0: no bound), so that a compaction can
 * fold it into a new base at any k.  Status 0 (PASSGATE_STATUS_REMOVE)
 * is a tombstone: the code is not on the list, whatever the base says.
 */
#define COMPACT_OVERLAY_MAGIC 0x564f4750	/* "PGOV" in memory (LE) */
#define COMPACT_OVERLAY_VERSION 1
#define COMPACT_OVERLAY_HEADER_ELEMS 2
#define COMPACT_OVERLAY_ENTRY_ELEMS 2
/*
 * The search halves the overlay COMPACT_OVERLAY_STEPS times at most, a
 * constant for the verifier; a delta that would make it larger is
 * folded into a new base instead (a compaction).
 */
#define COMPACT_OVERLAY_STEPS 18
#define COMPACT_OVERLAY_MAX (1u << (COMPACT_OVERLAY_STEPS - 1))
_Static_assert((1ull << COMPACT_OVERLAY_STEPS) > COMPACT_OVERLAY_MAX,
	       "the search halves the largest overlay down to nothing");

/*
 * Element 0, all a scan needs: @entry_count entries follow; the list,
 * base and overlay together, is usable from @not_before until
 * @expires_at (policy clock) and holds @list_entries codes.
 */
struct compact_overlay_head {
	__u32 magic;
	__u8 version;
	__u8 reserved;
	__u16 reserved2;
	__u32 entry_count;
	__u32 not_before;
	__u32 expires_at;
	__u32 list_entries;
};

/*
 * Element 1: the generation base and overlay make, and the base's
 * (compact_info.generation) it applies to; over any other base it is
 * ignored.
 */
struct compact_overlay_info {
	__u64 generation;
	__u64 base_generation;
	__u32 elem_count;
	__u32 reserved;
};

/* An entry's first element: the digest as two numbers, its window. */
struct compact_overlay_key {
	__u64 hi;	/* digest bytes 0..7, the first the most significant */
	__u64 lo;	/* digest bytes 8..15 */
	__u32 valid_from;
	__u32 valid_until;
};

/* Its second: as struct compact_view has them. */
struct compact_overlay_value {
	__u64 id;
	__u8 status;
	__u8 flags;	/* PASSGATE_ENTRY_* */
	__u8 has_id;
	__u8 reserved;
	__u32 reserved2;
	__u64 reserved3;
};

_Static_assert(sizeof(struct compact_overlay_head) == COMPACT_ELEM_SIZE,
	       "overlay head");
_Static_assert(sizeof(struct compact_overlay_info) == COMPACT_ELEM_SIZE,
	       "overlay info");
_Static_assert(sizeof(struct compact_overlay_key) == COMPACT_ELEM_SIZE,
	       "overlay key");
_Static_assert(sizeof(struct compact_overlay_value) == COMPACT_ELEM_SIZE,
	       "overlay value");

/* The element of overlay entry @i's key; its value is the next one. */
static __always_inline __u32 compact_overlay_elem(__u32 i)
{
	return COMPACT_OVERLAY_HEADER_ELEMS + COMPACT_OVERLAY_ENTRY_ELEMS * i;
}

/* Element 0, if it is an overlay this code reads; else NULL. */
static __always_inline const struct compact_overlay_head *
compact_overlay_head_read(const struct compact_source *src)
{
	const struct compact_overlay_head *head = compact_elem(src, 0);

	if (!head || head->magic != COMPACT_OVERLAY_MAGIC ||
	    head->version != COMPACT_OVERLAY_VERSION ||
	    head->entry_count > COMPACT_OVERLAY_MAX)
		return 0;
	return head;
}

/*
 * The overlay's entry of @digest into @v: 1 found (a tombstone has
 * status 0), 0 not.  A binary search of COMPACT_OVERLAY_STEPS steps at
 * most over the keys; an overlay out of order finds less, never more
 * steps.
 */
static __always_inline int
compact_overlay_find(const struct compact_source *src,
		     const struct compact_overlay_head *head,
		     const __u8 *digest, struct compact_view *v)
{
	__u64 hi = compact_be64(digest), lo = compact_be64(digest + 8);
	const struct compact_overlay_value *val;
	const struct compact_overlay_key *key;
	__u32 first = 0, last = head->entry_count, mid = 0;
	int i;

	if (last > COMPACT_OVERLAY_MAX)
		return 0;
	for (i = 0; i < COMPACT_OVERLAY_STEPS; i++) {
		if (first >= last)
			return 0;
		mid = first + (last - first) / 2;
		key = compact_elem(src, compact_overlay_elem(mid));
		if (!key)
			return 0;
		if (hi == key->hi && lo == key->lo)
			goto found;
		if (hi < key->hi || (hi == key->hi && lo < key->lo))
			last = mid;
		else
			first = mid + 1;
	}
	return 0;
found:
	val = compact_elem(src, compact_overlay_elem(mid) + 1);
	if (!val)
		return 0;
	v->status = val->status;
	v->flags = val->flags;
	v->has_id = val->has_id;
	v->reserved = 0;
	v->valid_from = key->valid_from;
	v->valid_until = key->valid_until;
	v->reserved2 = 0;
	v->id = val->id;
	return 1;
}

#ifndef __bpf__
#include <stddef.h>
#include <stdint.h>

/*
 * Building one (common/compactlist.c).  Error contract: <common/fail.h>;
 * messages start with what was refused: "header:", "entry N:",
 * "entries:", "buffer:".
 */

/* k for a list of @count entries: buckets average 2 to 4 entries. */
unsigned int compact_index_bits(uint64_t count);
/*
 * Bytes of the array for @count entries and @index_bits (a multiple of
 * COMPACT_ELEM_SIZE); 0 when that is more than a compact list holds.
 */
size_t compact_size(uint64_t count, unsigned int index_bits);

/**
 * struct compact_params - what a generation is built from
 * @generation: the list's generation
 * @not_before: the list's not_before, unix seconds
 * @expires_at: the list's expires_at, unix seconds
 * @entry_count: entries that will be added, all of them
 * @index_bits: compact_index_bits(@entry_count), or the retry_bits of a
 *	build that found a bucket too large
 * @clock_offset: seconds to add to every time for the policy's clock
 *	(CLOCK_TAI minus CLOCK_REALTIME; 0 keeps unix time)
 * @horizon_end: 0, or (policy clock) an end of the horizon earlier than
 *	COMPACT_HORIZON past the epoch: a compaction keeps the horizon of
 *	the base it folds, whose entries say "no bound" only up to it
 */
struct compact_params {
	uint64_t generation;
	uint64_t not_before;
	uint64_t expires_at;
	uint64_t entry_count;
	unsigned int index_bits;
	uint32_t clock_offset;
	uint64_t horizon_end;
};

/*
 * A build in progress: compact_build_begin(), compact_build_add() as the
 * list's entries come (in file order), compact_build_finish().  The
 * header is written last, so an array whose build failed holds no
 * compact list.  After begin, @expires_at is when the list stops being
 * usable in the policy's clock (the head's), which is earlier than the
 * list's own expiry for a list that lives beyond its horizon
 * (@horizon_end, what entry times were encoded for).  When
 * finish refuses a bucket larger than COMPACT_BUCKET_MAX, @retry_bits
 * is the smallest k up to COMPACT_INDEX_RAISE bits more with none (0:
 * none does).
 */
struct compact_builder {
	uint8_t *base;
	uint64_t elems;
	struct compact_params params;
	uint64_t not_before;	/* in the policy's clock, as in the head */
	uint64_t expires_at;
	uint64_t horizon_end;
	uint32_t epoch;
	uint64_t added;
	uint64_t next_slot;	/* first index slot not yet written */
	uint64_t last_hi;	/* the last digest added, as two numbers */
	uint64_t last_lo;
	struct compact_key last_key;
	/* The current and largest bucket at index_bits + i. */
	uint32_t run_bucket[COMPACT_INDEX_RAISE + 1];
	uint32_t run[COMPACT_INDEX_RAISE + 1];
	uint32_t largest[COMPACT_INDEX_RAISE + 1];
	unsigned int retry_bits;
	int failed;
};

int compact_build_begin(struct compact_builder *b, void *buf, size_t size,
			const struct compact_params *params, char *err,
			size_t errlen);
int compact_build_add(struct compact_builder *b,
		      const struct passgate_list_entry *entries, size_t n,
		      char *err, size_t errlen);
/*
 * One entry given as a digest and a view (times in the policy's clock,
 * 0: no bound; only the first 8 bytes of the ID kept): what a
 * compaction folds.  Digests in increasing order, as for
 * compact_build_add().
 */
int compact_build_add_view(struct compact_builder *b, const uint8_t *digest,
			   const struct compact_view *v, char *err,
			   size_t errlen);
int compact_build_finish(struct compact_builder *b, char *err,
			 size_t errlen);
/* All three, for entries already in memory. */
int compact_build(void *buf, size_t size, const struct compact_params *params,
		  const struct passgate_list_entry *entries, size_t n,
		  unsigned int *retry_bits, char *err, size_t errlen);

/* A built array, read back (tests, a list dump). */
struct compact_list {
	struct compact_source src;
	const struct compact_head *head;
	const struct compact_info *info;
};

/*
 * Check @buf (@size bytes) as a compact list: header, size, and the whole
 * index (in order, within the list, no bucket above COMPACT_BUCKET_MAX).
 */
int compact_open(struct compact_list *list, const void *buf, size_t size,
		 char *err, size_t errlen);
/* The entry of @digest into @v: 1 found, 0 not. */
int compact_find(const struct compact_list *list, const uint8_t *digest,
		 struct compact_view *v);
/*
 * Entry @i into @v, and into @digest the digest bits it keeps (the
 * first index_bits + COMPACT_CODE_BITS), the rest zero.  -1 (ERANGE)
 * past the end.
 */
int compact_entry_at(const struct compact_list *list, uint32_t i,
		     struct compact_view *v, uint8_t *digest);

/*
 * Every entry in order, as compact_entry_at() gives one, without its
 * search: compact_cursor_init(), then compact_cursor_next() until 0.
 */
struct compact_cursor {
	const struct compact_list *list;
	uint32_t i;
	uint64_t bucket;
};

void compact_cursor_init(struct compact_cursor *c,
			 const struct compact_list *list);
int compact_cursor_next(struct compact_cursor *c, struct compact_view *v,
			uint8_t *digest);

/* ---- the overlay ---- */

/* An entry of a delta or an overlay at full width; status 0: removed. */
struct compact_delta_entry {
	uint8_t digest[PASSGATE_LIST_DIGEST];
	struct compact_view view;
};

/* Bytes of an overlay of @count entries; 0 above COMPACT_OVERLAY_MAX. */
size_t compact_overlay_size(uint64_t count);

/**
 * struct compact_overlay_params - what an overlay is built from
 * @generation: the generation base and overlay make
 * @base_generation: the base's
 * @not_before: usable from (policy clock)
 * @expires_at: usable until (policy clock)
 * @list_entries: codes on the list, base and overlay together
 */
struct compact_overlay_params {
	uint64_t generation;
	uint64_t base_generation;
	uint32_t not_before;
	uint32_t expires_at;
	uint32_t list_entries;
};

/*
 * Write the overlay of @entries (@n, strictly increasing digests) into
 * @buf of compact_overlay_size(@n) bytes, the head last.
 */
int compact_overlay_build(void *buf, size_t size,
			  const struct compact_overlay_params *params,
			  const struct compact_delta_entry *entries, size_t n,
			  char *err, size_t errlen);

/* A built overlay, read back. */
struct compact_overlay {
	struct compact_source src;
	const struct compact_overlay_head *head;
	const struct compact_overlay_info *info;
};

/* Check @buf as an overlay: header, size, keys in order. */
int compact_overlay_open(struct compact_overlay *ov, const void *buf,
			 size_t size, char *err, size_t errlen);
/* Entry @i into @e. */
void compact_overlay_entry_at(const struct compact_overlay *ov, uint32_t i,
			      struct compact_delta_entry *e);

/*
 * A delta applied to what is active: @base, the overlay over it @prev
 * (NULL: none), and the delta's @entries (@n, sorted, status 0 for a
 * removal).  Into *@out (malloc'd, *@out_n entries, sorted) the next
 * overlay: @prev's entries with the delta's over them, a removal kept
 * as a tombstone only where the base has the code.  *@list_entries:
 * the codes on the list after the delta, from @count before it.
 */
int compact_overlay_merge(const struct compact_list *base,
			  const struct compact_overlay *prev,
			  const struct compact_delta_entry *entries, size_t n,
			  uint64_t count, struct compact_delta_entry **out,
			  size_t *out_n, uint64_t *list_entries, char *err,
			  size_t errlen);

/*
 * Fold @base and the overlay entries @over (@n, sorted; tombstones
 * drop base entries) into a new base, built with @b (begun with
 * @base's index bits and the exact count): in digest order, a base
 * entry's k + 88 bits against an overlay entry's first k + 88.  Then
 * compact_build_finish().
 */
int compact_fold(struct compact_builder *b, const struct compact_list *base,
		 const struct compact_delta_entry *over, size_t n, char *err,
		 size_t errlen);
#endif

#endif
