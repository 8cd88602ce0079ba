// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Health codes in the compact layout (docs/list-layout.md): slot 0 of
 * "codes" a base, one BPF array a full generation, slot 1 an overlay of
 * the deltas since.  Both are immutable: each is built in a new array
 * through mmap(), unmapped, frozen, and swapped in with one update of
 * its slot.
 *
 * - A full list: a new base, built as the reader thread reads and
 *   hashes the file (loader_stream.c); then the overlay slot is emptied.
 *   The old overlay names the old base, so the program ignores it from
 *   the swap of the base on.
 * - A delta: a new overlay, the previous one's entries with the delta's
 *   over them, swapped into slot 1 over the same base.
 * - A delta that would make the overlay too large: a compaction, base,
 *   overlay and delta folded into a new base of the delta's generation,
 *   from the arrays in memory, never the files; then as a full list.
 *
 * The active base is kept mapped read-only (policy->base) for the
 * deltas on it: whether a code is in the base, and the fold, read it
 * there instead of mapping a 1.5 GB array again for every delta.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/capability.h>

#include <bpf/bpf.h>

#include "gate/policy/loader_private.h"
#include "common/caps.h"

/* Compaction: past this many overlay entries, at least. */
#define COMPACT_AT_LEAST 4096

/*
 * A new array of @elems elements as the program's "codes" template
 * has them.  Linux 6.1 rounds an array up to a power of two elements
 * when its creator lacks CAP_PERFMON (Spectre v1 index masking,
 * array_map_alloc()): up to twice the memory.  So CAP_PERFMON, kept
 * permitted by passgated, is effective for this call alone; without it
 * the array is made all the same, rounded.
 */
static int compact_array(uint64_t elems)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts,
		    .map_flags = BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	bool raised = false;
	int fd, saved;

	if (!elems || elems > UINT32_MAX) {
		errno = E2BIG;
		return -1;
	}
	passgate_caps_raise(CAP_PERFMON, &raised);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "passgate_codes",
			    sizeof(__u32), COMPACT_ELEM_SIZE, elems, &opts);
	saved = errno;
	if (raised)
		passgate_caps_lower(CAP_PERFMON);
	errno = saved;
	return fd;
}

static void *map_array(int fd, size_t size, int prot)
{
	void *addr = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	return addr == MAP_FAILED ? NULL : addr;
}

/*
 * The array built in @addr, unmapped and frozen: from here on neither
 * this process nor anyone writes it, and only a frozen array may be
 * mapped read-only again.
 */
static int seal_array(int fd, void *addr, size_t size)
{
	if (munmap(addr, size))
		return -1;
	return bpf_map_freeze(fd);
}

void policy_base_unmap(struct passgate_policy *policy)
{
	if (policy->base.addr)
		munmap(policy->base.addr, policy->base.size);
	memset(&policy->base, 0, sizeof(policy->base));
}

static uint32_t map_id_and_size(int fd, size_t *size)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	*size = (size_t)info.max_entries * info.value_size;
	return info.id;
}

/* The base @fd, mapped read-only and checked, kept for the next time. */
static int base_map(struct passgate_policy *policy, int fd)
{
	size_t size = 0;
	uint32_t id = map_id_and_size(fd, &size);
	void *addr;

	if (!id)
		return -1;
	if (policy->base.addr && policy->base.id == id)
		return 0;
	policy_base_unmap(policy);
	addr = map_array(fd, size, PROT_READ);
	if (!addr)
		return policy_fail(policy, errno,
				   "the active base cannot be mapped: %s",
				   strerror(errno));
	policy->base.addr = addr;
	policy->base.size = size;
	if (compact_open(&policy->base.list, addr, size, policy->err,
			 sizeof(policy->err))) {
		policy_base_unmap(policy);
		errno = EPROTO;
		return -1;
	}
	policy->base.id = id;
	return 0;
}

/* Element @i of the array @fd, read through the syscall. */
static int elem_read(int fd, __u32 i, void *out)
{
	return bpf_map_lookup_elem(fd, &i, out);
}

int policy_compact_active(struct passgate_policy *policy,
			  struct passgate_policy_active *active)
{
	struct compact_overlay_head oh;
	struct compact_overlay_info oi;
	struct compact_head head;
	struct compact_info info;
	int fd, ov, ret;

	fd = policy_active_fd(policy, ACTIVE_BASE);
	if (fd < 0)
		return -1;
	ret = elem_read(fd, 0, &head) || elem_read(fd, 1, &info);
	close(fd);
	if (ret)
		return -1;
	if (head.magic != COMPACT_MAGIC || head.version != COMPACT_VERSION) {
		errno = EPROTO;
		return -1;
	}
	active->generation = info.generation;
	active->not_before_tai = head.not_before;
	active->expires_tai = head.expires_at;
	active->entries = head.entry_count;

	/* The overlay decides, as in the program, if it is over this base. */
	ov = policy_active_fd(policy, ACTIVE_OVERLAY);
	if (ov < 0)
		return errno == ENOENT ? 0 : -1;
	ret = elem_read(ov, 0, &oh) || elem_read(ov, 1, &oi);
	close(ov);
	if (ret)
		return -1;
	if (oh.magic != COMPACT_OVERLAY_MAGIC ||
	    oh.version != COMPACT_OVERLAY_VERSION ||
	    oi.base_generation != info.generation)
		return 0;
	active->generation = oi.generation;
	active->not_before_tai = oh.not_before;
	active->expires_tai = oh.expires_at;
	active->entries = oh.list_entries;
	return 0;
}

/* A new base is active: no overlay over it yet, and its mapping kept. */
static int base_swapped(struct passgate_policy *policy, int fd)
{
	if (policy_slot_clear(policy, ACTIVE_OVERLAY))
		return policy_fail(policy, errno,
				   "the overlay of the old base could not be emptied: %s",
				   strerror(errno));
	/* Not kept is no failure: the next delta maps it. */
	base_map(policy, fd);
	policy->err[0] = '\0';
	return 0;
}

/* Build from the stream into the builder: 0 once the reader ended. */
static int build_streamed(struct passgate_policy *policy,
			  struct compact_builder *b,
			  passgate_entry_reader next, void *ctx)
{
	struct policy_stream *s;
	const void *batch;
	ssize_t n;
	int ret = -1, saved;

	s = policy_stream_start(next, ctx, sizeof(struct passgate_list_entry));
	if (!s)
		return -1;
	while ((n = policy_stream_take(s, &batch)) > 0) {
		ret = compact_build_add(b, batch, n, policy->err,
					sizeof(policy->err));
		policy_stream_done(s);
		if (ret)
			goto out;
	}
	ret = n < 0 ? -1 : 0;
	if (ret)
		policy->err[0] = '\0';
out:
	saved = errno;
	policy_stream_stop(s);
	errno = saved;
	return ret;
}

/*
 * A full list: a new base.  A bucket above COMPACT_BUCKET_MAX would need
 * a second read of the file at more index bits; an honest list never
 * has one (docs/list-layout.md), so the list is refused instead.
 */
static int load_full(struct passgate_policy *policy,
		     const struct passgate_list_info *info,
		     passgate_entry_reader next, void *ctx)
{
	struct compact_params p = {
		.generation = info->generation,
		.not_before = info->not_before,
		.expires_at = info->expires_at,
		.entry_count = info->entry_count,
		.index_bits = compact_index_bits(info->entry_count),
		.clock_offset = passgate_policy_tai_seconds(0),
	};
	size_t size = compact_size(p.entry_count, p.index_bits);
	struct compact_builder b;
	int fd, ret = -1, saved;
	void *addr;

	if (!size)
		return policy_fail(policy, EFBIG,
				   "%" PRIu64 " entries are more than a compact list holds",
				   info->entry_count);
	fd = compact_array(size / COMPACT_ELEM_SIZE);
	if (fd < 0)
		return -1;
	addr = map_array(fd, size, PROT_READ | PROT_WRITE);
	if (!addr)
		goto out;
	if (compact_build_begin(&b, addr, size, &p, policy->err,
				sizeof(policy->err)) ||
	    build_streamed(policy, &b, next, ctx) ||
	    compact_build_finish(&b, policy->err, sizeof(policy->err))) {
		saved = errno;
		munmap(addr, size);
		/*
		 * Building again at retry_bits would read the file a second
		 * time; a list this crowded is refused instead.
		 */
		if (saved == EOVERFLOW) {
			char why[sizeof(policy->err)];

			memcpy(why, policy->err, sizeof(why));
			policy_fail(policy, EOVERFLOW,
				    "%.200s: refused, not read again",
				    why);
		}
		errno = saved;
		goto out;
	}
	if (seal_array(fd, addr, size) || policy_swap(policy, ACTIVE_BASE, fd))
		goto out;
	ret = base_swapped(policy, fd);
out:
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

/* A delta's entries, all of them, as the overlay holds them. */
static struct compact_delta_entry *read_delta(struct passgate_policy *policy,
					      uint64_t count,
					      passgate_entry_reader next,
					      void *ctx, size_t *n_out)
{
	struct passgate_list_entry *batch;
	struct compact_delta_entry *all, *d;
	size_t n = 0, cap = count + 1;
	ssize_t got, i;

	batch = calloc(STREAM_BATCH, sizeof(*batch));
	all = calloc(cap, sizeof(*all));
	if (!batch || !all)
		goto fail;
	while ((got = next(ctx, batch, STREAM_BATCH)) > 0) {
		for (i = 0; i < got; i++) {
			const struct passgate_list_entry *e = &batch[i];
			static const uint8_t none[PASSGATE_LIST_DIGEST];

			if (n == cap) {
				policy_fail(policy, EINVAL,
					    "the delta holds more than its %" PRIu64 " entries",
					    count);
				goto fail;
			}
			d = &all[n++];
			memcpy(d->digest, e->digest, sizeof(d->digest));
			d->view.status = e->status;
			if (e->status == PASSGATE_STATUS_REMOVE)
				continue;
			d->view.flags = e->flags;
			d->view.has_id = !!memcmp(e->id_digest, none,
						  sizeof(none));
			d->view.id = compact_id(e->id_digest);
			d->view.valid_from = policy_tai_or_zero(e->valid_from);
			d->view.valid_until =
				policy_tai_or_zero(e->valid_until);
		}
	}
	if (got < 0)
		goto fail;
	free(batch);
	*n_out = n;
	return all;
fail:
	free(batch);
	free(all);
	return NULL;
}

/* The active overlay over @base, mapped read-only; NULL when none. */
static void *overlay_map(struct passgate_policy *policy,
			 const struct compact_list *base,
			 struct compact_overlay *ov, size_t *size, int *err)
{
	void *addr;
	int fd;

	*err = 0;
	fd = policy_active_fd(policy, ACTIVE_OVERLAY);
	if (fd < 0) {
		*err = errno == ENOENT ? 0 : errno;
		return NULL;
	}
	map_id_and_size(fd, size);
	addr = *size ? map_array(fd, *size, PROT_READ) : NULL;
	*err = addr ? 0 : errno;
	close(fd);
	if (!addr)
		return NULL;
	/* One over another base is left over from before a full list. */
	if (compact_overlay_open(ov, addr, *size, NULL, 0) ||
	    ov->info->base_generation != base->info->generation) {
		munmap(addr, *size);
		return NULL;
	}
	return addr;
}

/* When the overlay is folded into a new base instead. */
static uint64_t compact_threshold(const struct passgate_policy *policy,
				  const struct compact_list *base)
{
	uint64_t at = base->head->entry_count / 8;

	if (policy->compact_at)
		return policy->compact_at < COMPACT_OVERLAY_MAX ?
		       policy->compact_at : COMPACT_OVERLAY_MAX;
	if (at < COMPACT_AT_LEAST)
		at = COMPACT_AT_LEAST;
	return at < COMPACT_OVERLAY_MAX ? at : COMPACT_OVERLAY_MAX;
}

/* The overlay of @entries over the active base, swapped into slot 1. */
static int overlay_swap(struct passgate_policy *policy,
			const struct compact_overlay_params *op,
			const struct compact_delta_entry *entries, size_t n)
{
	size_t size = compact_overlay_size(n);
	int fd, ret = -1, saved;
	void *addr;

	fd = compact_array(size / COMPACT_ELEM_SIZE);
	if (fd < 0)
		return -1;
	addr = map_array(fd, size, PROT_READ | PROT_WRITE);
	if (!addr)
		goto out;
	if (compact_overlay_build(addr, size, op, entries, n, policy->err,
				  sizeof(policy->err))) {
		saved = errno;
		munmap(addr, size);
		errno = saved;
		goto out;
	}
	if (seal_array(fd, addr, size))
		goto out;
	ret = policy_swap(policy, ACTIVE_OVERLAY, fd);
out:
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

/*
 * Base, overlay and delta folded into a new base of the delta's
 * generation, at the base's k (its entries keep only k + 88 digest
 * bits) and within the base's horizon (its entries say "no bound" only
 * up to it).
 */
static int compact_now(struct passgate_policy *policy,
		       const struct compact_list *base,
		       const struct compact_overlay_params *op,
		       const struct compact_delta_entry *entries, size_t n)
{
	uint32_t offset = passgate_policy_tai_seconds(0);
	struct compact_params p = {
		.generation = op->generation,
		.not_before = op->not_before - offset,
		.expires_at = op->expires_at - offset,
		.entry_count = op->list_entries,
		.index_bits = base->head->index_bits,
		.clock_offset = offset,
		.horizon_end = base->info->horizon_end,
	};
	size_t size = compact_size(p.entry_count, p.index_bits);
	struct compact_builder b;
	int fd, ret = -1, saved;
	void *addr;

	if (!size)
		return policy_fail(policy, EFBIG,
				   "compaction: %u entries are more than a compact list holds",
				   op->list_entries);
	fd = compact_array(size / COMPACT_ELEM_SIZE);
	if (fd < 0)
		return -1;
	addr = map_array(fd, size, PROT_READ | PROT_WRITE);
	if (!addr)
		goto out;
	if (compact_build_begin(&b, addr, size, &p, policy->err,
				sizeof(policy->err)) ||
	    compact_fold(&b, base, entries, n, policy->err,
			 sizeof(policy->err))) {
		saved = errno;
		munmap(addr, size);
		/* More index bits would need the digests the base dropped. */
		if (saved == EOVERFLOW) {
			char why[sizeof(policy->err)];

			memcpy(why, policy->err, sizeof(why));
			policy_fail(policy, EOVERFLOW,
				    "compaction at %u index bits: %.180s; load a full list",
				    p.index_bits, why);
		}
		errno = saved;
		goto out;
	}
	if (seal_array(fd, addr, size) || policy_swap(policy, ACTIVE_BASE, fd))
		goto out;
	ret = base_swapped(policy, fd);
out:
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * A delta: its entries merged over the active overlay (or none) into a
 * new one, or folded with base and overlay into a new base.  Usable
 * from the later of the delta's and the base's not_before until the
 * earlier of its expiry and the base's horizon.
 */
static int load_delta(struct passgate_policy *policy,
		      const struct passgate_list_info *info,
		      passgate_entry_reader next, void *ctx)
{
	struct compact_delta_entry *delta = NULL, *merged = NULL;
	struct compact_overlay_params op = {
		.generation = info->generation,
	};
	const struct compact_list *base;
	struct compact_overlay ov;
	size_t n = 0, n_merged = 0, ov_size = 0;
	uint64_t before, after;
	void *ov_addr = NULL;
	int fd, ret = -1, saved, err;

	fd = policy_active_fd(policy, ACTIVE_BASE);
	if (fd < 0)
		return -1;
	ret = base_map(policy, fd);
	close(fd);
	if (ret)
		return -1;
	ret = -1;
	base = &policy->base.list;
	ov_addr = overlay_map(policy, base, &ov, &ov_size, &err);
	if (!ov_addr && err) {
		errno = err;
		goto out;
	}
	before = ov_addr ? ov.head->list_entries : base->head->entry_count;

	delta = read_delta(policy, info->entry_count, next, ctx, &n);
	if (!delta)
		goto out;
	if (compact_overlay_merge(base, ov_addr ? &ov : NULL, delta, n, before,
				  &merged, &n_merged, &after, policy->err,
				  sizeof(policy->err)))
		goto out;
	op.base_generation = base->info->generation;
	op.list_entries = after;
	op.not_before = max_u32(passgate_policy_tai_seconds(info->not_before),
				base->head->not_before);
	op.expires_at = min_u32(passgate_policy_tai_seconds(info->expires_at),
				base->info->horizon_end);
	if (op.not_before >= op.expires_at) {
		policy_fail(policy, ERANGE,
			    "generation %" PRIu64 " would not be usable before the horizon of base %" PRIu64 " ends: load a full list",
			    info->generation, op.base_generation);
		goto out;
	}
	if (n_merged > compact_threshold(policy, base))
		ret = compact_now(policy, base, &op, merged, n_merged);
	else
		ret = overlay_swap(policy, &op, merged, n_merged);
out:
	saved = errno;
	if (ov_addr)
		munmap(ov_addr, ov_size);
	free(merged);
	free(delta);
	errno = saved;
	return ret;
}

int policy_compact_load(struct passgate_policy *policy,
			const struct passgate_list_info *info,
			passgate_entry_reader next, void *ctx)
{
	if (info->kind == PASSGATE_LIST_DELTA)
		return load_delta(policy, info, next, ctx);
	return load_full(policy, info, next, ctx);
}
