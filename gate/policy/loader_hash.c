// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Lists in BPF hash maps, a generation a map: tickets always, health
 * codes in the hash layout (the bench's baseline).  A full list fills a
 * new map in batches; a delta is applied to a copy of the active one.
 * The map's own entry, under the all-0xff key, says which generation it
 * is, when it is usable and how many entries it holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "gate/policy/loader_private.h"

static void meta_key(struct policy_key *key)
{
	memset(key->digest, POLICY_META_BYTE, sizeof(key->digest));
}

/* The active generation of a hash map: its own entry says. */
int policy_hash_active(struct passgate_policy *policy, unsigned int holds,
		       struct passgate_policy_active *active)
{
	struct policy_entry meta;
	struct policy_key key;
	int fd, ret;

	fd = policy_active_fd(policy, holds == PASSGATE_LIST_TICKETS ?
				      ACTIVE_TICKETS : ACTIVE_BASE);
	if (fd < 0)
		return -1;
	meta_key(&key);
	ret = bpf_map_lookup_elem(fd, &key, &meta);
	close(fd);
	if (ret)
		return -1;
	/* The program trusts no map in another kind's slot; nor does this. */
	if (meta.status != POLICY_STATUS_META || meta.flags != holds) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&active->generation, meta.id_digest, 8);
	memcpy(&active->entries, meta.id_digest + 8, 8);
	active->not_before_tai = meta.valid_from;
	active->expires_tai = meta.valid_until;
	return 0;
}

static void code_to_policy(const struct passgate_list_entry *e,
			   struct policy_key *key, struct policy_entry *val)
{
	memcpy(key->digest, e->digest, sizeof(key->digest));
	memset(val, 0, sizeof(*val));
	val->status = e->status;
	val->flags = e->flags;
	val->valid_from = policy_tai_or_zero(e->valid_from);
	val->valid_until = policy_tai_or_zero(e->valid_until);
	memcpy(val->id_digest, e->id_digest, sizeof(val->id_digest));
}

/*
 * A ticket as the program needs it: whether it is for @station (this
 * gate's), whether the railway says it is used, its window, its number.
 * Train and arrival station stay in the list: the program decides by
 * neither.
 */
static void ticket_to_policy(const struct passgate_ticket_entry *t,
			     const char *station, struct policy_key *key,
			     struct policy_entry *val)
{
	char to[sizeof(t->station) + 1];

	memcpy(key->digest, t->digest, sizeof(key->digest));
	memset(val, 0, sizeof(*val));
	val->status = t->status;
	if (t->status == PASSGATE_STATUS_REMOVE)
		return;
	memcpy(to, t->station, sizeof(t->station));
	to[sizeof(t->station)] = '\0';
	if (station && !strcmp(to, station))
		val->flags |= POLICY_TICKET_HERE;
	if (t->flags & PASSGATE_TICKET_USED)
		val->flags |= POLICY_TICKET_USED;
	val->valid_from = policy_tai_or_zero(t->valid_from);
	val->valid_until = policy_tai_or_zero(t->valid_until);
	memcpy(val->ticket, t->ticket, sizeof(val->ticket));
}

void passgate_policy_entry(unsigned int holds, const void *entry,
			   const char *station, struct policy_key *key,
			   struct policy_entry *val)
{
	if (holds == PASSGATE_LIST_TICKETS)
		ticket_to_policy(entry, station, key, val);
	else
		code_to_policy(entry, key, val);
}

static int new_list_map(size_t max_entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);

	if (max_entries > UINT32_MAX) {
		errno = E2BIG;
		return -1;
	}
	return bpf_map_create(BPF_MAP_TYPE_HASH, "passgate_list",
			      sizeof(struct policy_key),
			      sizeof(struct policy_entry), max_entries, &opts);
}

/* What the loader reads a list's entries with, and what into. */
struct list_reader {
	passgate_entry_reader next;
	void *ctx;
	unsigned int holds;
	size_t size;		/* of one entry */
	const char *station;
	uint8_t *buf;
};

static const void *reader_entry(const struct list_reader *r, ssize_t i)
{
	return r->buf + i * r->size;
}

/* Insert entries in batches: the kernel's per-element cost dominates. */
static long long fill(int fd, struct list_reader *r, struct policy_key *keys,
		      struct policy_entry *vals)
{
	long long total = 0;
	ssize_t n, i;
	__u32 batch;

	while ((n = r->next(r->ctx, r->buf, STREAM_BATCH)) > 0) {
		for (i = 0; i < n; i++)
			passgate_policy_entry(r->holds, reader_entry(r, i),
					      r->station, &keys[i], &vals[i]);
		batch = n;
		if (bpf_map_update_batch(fd, keys, vals, &batch, NULL))
			return -1;
		total += n;
	}
	return n < 0 ? -1 : total;
}

/* Copy every element of @from into @to; returns how many, or -1. */
static long long copy_map(int from, int to, struct policy_key *keys,
			  struct policy_entry *vals)
{
	__u64 in = 0, out = 0;
	long long copied = 0;
	void *cursor = NULL;
	__u32 n;
	int ret;

	for (;;) {
		n = STREAM_BATCH;
		ret = bpf_map_lookup_batch(from, cursor, &out, keys, vals, &n,
					   NULL);
		if (ret && errno != ENOENT)
			return -1;
		if (n) {
			__u32 m = n;

			if (bpf_map_update_batch(to, keys, vals, &m, NULL))
				return -1;
			copied += n;
		}
		if (ret)
			return copied;
		in = out;
		cursor = &in;
	}
}

/* Apply a delta to @fd, keeping the entry count right. */
static int apply_delta(int fd, struct list_reader *r, long long *total)
{
	struct policy_entry val, old;
	struct policy_key key;
	ssize_t n, i;

	while ((n = r->next(r->ctx, r->buf, STREAM_BATCH)) > 0) {
		for (i = 0; i < n; i++) {
			passgate_policy_entry(r->holds, reader_entry(r, i),
					      r->station, &key, &val);
			if (val.status == PASSGATE_STATUS_REMOVE) {
				if (!bpf_map_delete_elem(fd, &key))
					(*total)--;
				else if (errno != ENOENT)
					return -1;
				continue;
			}
			if (bpf_map_lookup_elem(fd, &key, &old))
				(*total)++;
			if (bpf_map_update_elem(fd, &key, &val, BPF_ANY))
				return -1;
		}
	}
	return n < 0 ? -1 : 0;
}

int policy_hash_load(struct passgate_policy *policy,
		     const struct passgate_list_info *info,
		     const char *station, passgate_entry_reader next,
		     void *ctx)
{
	struct list_reader r = {
		.next = next,
		.ctx = ctx,
		.holds = info->holds,
		.size = passgate_list_entry_size(info->holds),
		.station = station,
	};
	struct passgate_policy_active active = { 0 };
	struct policy_entry *vals = NULL, meta;
	struct policy_key *keys = NULL, key;
	int fd = -1, old = -1, ret = -1, saved;
	size_t max = info->entry_count + 1;
	enum policy_active which = info->holds == PASSGATE_LIST_TICKETS ?
				   ACTIVE_TICKETS : ACTIVE_BASE;
	long long total = 0;

	if (!r.size) {
		errno = EINVAL;
		return -1;
	}
	if (info->kind == PASSGATE_LIST_DELTA) {
		if (passgate_policy_active_list(policy, info->holds, &active))
			return -1;
		old = policy_active_fd(policy, which);
		if (old < 0)
			return -1;
		max += active.entries;
	}

	r.buf = calloc(STREAM_BATCH, r.size);
	keys = calloc(STREAM_BATCH, sizeof(*keys));
	vals = calloc(STREAM_BATCH, sizeof(*vals));
	fd = new_list_map(max);
	if (!r.buf || !keys || !vals || fd < 0)
		goto out;

	if (info->kind == PASSGATE_LIST_FULL) {
		total = fill(fd, &r, keys, vals);
		if (total < 0)
			goto out;
	} else {
		total = copy_map(old, fd, keys, vals);
		if (total < 0)
			goto out;
		/* The copy includes the old generation's own entry. */
		total--;
		if (apply_delta(fd, &r, &total))
			goto out;
	}

	memset(&meta, 0, sizeof(meta));
	meta.status = POLICY_STATUS_META;
	meta.flags = info->holds;
	meta.valid_from = passgate_policy_tai_seconds(info->not_before);
	meta.valid_until = passgate_policy_tai_seconds(info->expires_at);
	memcpy(meta.id_digest, &info->generation, 8);
	memcpy(meta.id_digest + 8, &total, 8);
	meta_key(&key);
	if (bpf_map_update_elem(fd, &key, &meta, BPF_ANY))
		goto out;

	/* The swap: from the next scan on, this generation decides. */
	ret = policy_swap(policy, which, fd);
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (old >= 0)
		close(old);
	free(r.buf);
	free(keys);
	free(vals);
	errno = saved;
	return ret;
}

