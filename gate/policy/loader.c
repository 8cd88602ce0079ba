// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The gate policy's BPF state.  Pins, under PIN_ROOT/gateG/: the maps,
 * then the link last, so a link pin means a complete state; a start that
 * finds maps but no link clears them and loads afresh.  A generation is
 * built in a map that only this process holds (never pinned), so a crash
 * mid-load leaves nothing behind, and it becomes active in one update of
 * the outer map's slot: slot 0 for health codes, slot 1 for tickets, each
 * on its own.  Each slot's active list map is pinned too (active_pins[]),
 * so a daemon without CAP_SYS_ADMIN, which bpf_map_get_fd_by_id() needs,
 * can still read it: pinned under its name "-next" before the swap and
 * renamed over its name after it, so one of the two is always the active
 * map.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gate/policy/loader.h"
#include "policy.skel.h"

#define POLICY_BATCH 8192

enum policy_pin {
	PIN_LISTS,
	PIN_CONFIG,
	PIN_LANES,
	PIN_PASSBACK,
	PIN_COUNTERS,
	PIN_TICKET_USES,
	PIN_TICKET_LOG,
	PIN_MAPS,
	PIN_LINK = PIN_MAPS,
	PIN_COUNT,
};

/* bpffs refuses names with a dot (reserved). */
static const char *const pin_names[PIN_COUNT] = {
	[PIN_LISTS] = "lists",
	[PIN_CONFIG] = "config",
	[PIN_LANES] = "lanes",
	[PIN_PASSBACK] = "passback",
	[PIN_COUNTERS] = "counters",
	[PIN_TICKET_USES] = "ticket-uses",
	[PIN_TICKET_LOG] = "ticket-log",
	[PIN_LINK] = "link",
};

/* Each slot's active list map, and the next one before its swap. */
static const char *const active_pins[POLICY_LIST_SLOTS] = {
	[POLICY_SLOT_CODES] = "list",
	[POLICY_SLOT_TICKETS] = "tickets",
};

#define NEXT "-next"

struct passgate_policy {
	int fd[PIN_COUNT];
	char dir[PATH_MAX - 16];
	bool owner;	/* the daemon's: it alone mends the pins */
};

static void pin_path(char *buf, size_t len, const char *root,
		     unsigned int gate, enum policy_pin pin)
{
	snprintf(buf, len, "%s/gate%u/%s", root, gate, pin_names[pin]);
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0700) && errno != EEXIST ? -1 : 0;
}

int passgate_policy_unpin(const char *pin_root, unsigned int gate)
{
	char path[PATH_MAX];
	int pin, ret = 0;

	/* The link first: from then on the state counts as incomplete. */
	for (pin = PIN_COUNT - 1; pin >= 0; pin--) {
		pin_path(path, sizeof(path), pin_root, gate, pin);
		if (unlink(path) && errno != ENOENT)
			ret = -1;
	}
	for (pin = 0; pin < POLICY_LIST_SLOTS; pin++) {
		snprintf(path, sizeof(path), "%s/gate%u/%s", pin_root, gate,
			 active_pins[pin]);
		if (unlink(path) && errno != ENOENT)
			ret = -1;
		snprintf(path, sizeof(path), "%s/gate%u/%s" NEXT, pin_root,
			 gate, active_pins[pin]);
		if (unlink(path) && errno != ENOENT)
			ret = -1;
	}
	snprintf(path, sizeof(path), "%s/gate%u", pin_root, gate);
	if (rmdir(path) && errno != ENOENT)
		ret = -1;
	return ret;
}

static void policy_close_fds(struct passgate_policy *policy)
{
	int i;

	for (i = 0; i < PIN_COUNT; i++) {
		if (policy->fd[i] >= 0)
			close(policy->fd[i]);
		policy->fd[i] = -1;
	}
}

void passgate_policy_close(struct passgate_policy *policy)
{
	if (!policy)
		return;
	policy_close_fds(policy);
	free(policy);
}

static struct passgate_policy *policy_new(void)
{
	struct passgate_policy *policy = malloc(sizeof(*policy));
	int i;

	if (policy)
		for (i = 0; i < PIN_COUNT; i++)
			policy->fd[i] = -1;
	return policy;
}

/*
 * Take the pinned policy as it is.  One pinned by another version of
 * passgate, whose settings have another layout or whose maps are not
 * these, is refused (EPROTO): its program would not know this version's
 * settings or lists.
 */
static int policy_adopt(struct passgate_policy *policy, const char *root,
			unsigned int gate)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int i;

	snprintf(policy->dir, sizeof(policy->dir), "%s/gate%u", root, gate);
	/* The link is pinned last: with it, every map of its version is. */
	for (i = PIN_COUNT - 1; i >= 0; i--) {
		pin_path(path, sizeof(path), root, gate, i);
		policy->fd[i] = bpf_obj_get(path);
		if (policy->fd[i] < 0 && errno == ENOENT && i != PIN_LINK)
			errno = EPROTO;
		if (policy->fd[i] < 0)
			return -1;
	}
	if (bpf_obj_get_info_by_fd(policy->fd[PIN_CONFIG], &info, &len))
		return -1;
	if (info.value_size != sizeof(struct policy_config)) {
		errno = EPROTO;
		return -1;
	}
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(policy->fd[PIN_LISTS], &info, &len))
		return -1;
	if (info.max_entries != POLICY_LIST_SLOTS) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/*
 * The settings as the program reads them: the TAI offset of now, for the
 * unix times a scan carries (a leap second since is one second off until
 * the settings are written again).
 */
static void config_stamped(struct policy_config *out,
			   const struct policy_config *cfg)
{
	*out = *cfg;
	out->tai_offset_s = passgate_policy_tai_seconds(0);
}

static int policy_load(struct passgate_policy *policy, const char *root,
		       unsigned int gate, const struct policy_config *cfg)
{
	struct bpf_map *maps[PIN_MAPS];
	struct bpf_link *link = NULL;
	struct policy_config stamped;
	char path[PATH_MAX];
	struct policy *skel;
	__u32 zero = 0;
	int i, ret = -1, saved;

	skel = policy__open_and_load();
	if (!skel)
		return -1;
	maps[PIN_LISTS] = skel->maps.lists;
	maps[PIN_CONFIG] = skel->maps.config;
	maps[PIN_LANES] = skel->maps.lanes;
	maps[PIN_PASSBACK] = skel->maps.passback;
	maps[PIN_COUNTERS] = skel->maps.counters;
	maps[PIN_TICKET_USES] = skel->maps.ticket_uses;
	maps[PIN_TICKET_LOG] = skel->maps.ticket_log;

	config_stamped(&stamped, cfg);
	if (bpf_map_update_elem(bpf_map__fd(maps[PIN_CONFIG]), &zero, &stamped,
				0))
		goto out;
	snprintf(path, sizeof(path), "%s/gate%u", root, gate);
	if (mkdir_p(path))
		goto out;
	for (i = 0; i < PIN_MAPS; i++) {
		pin_path(path, sizeof(path), root, gate, i);
		if (bpf_map__pin(maps[i], path))
			goto out;
	}
	link = bpf_program__attach(skel->progs.passgate_policy);
	if (!link)
		goto out;
	pin_path(path, sizeof(path), root, gate, PIN_LINK);
	if (bpf_link__pin(link, path))
		goto out;
	ret = policy_adopt(policy, root, gate);
out:
	saved = errno;
	bpf_link__destroy(link);
	policy__destroy(skel);
	errno = saved;
	return ret;
}

struct passgate_policy *passgate_policy_adopt(const char *pin_root,
					      unsigned int gate)
{
	struct passgate_policy *policy = policy_new();
	char path[PATH_MAX];
	int saved;

	if (!policy)
		return NULL;
	pin_path(path, sizeof(path), pin_root, gate, PIN_LINK);
	if (!access(path, F_OK) && !policy_adopt(policy, pin_root, gate))
		return policy;
	saved = errno;
	passgate_policy_close(policy);
	errno = saved;
	return NULL;
}

static int active_map(struct passgate_policy *policy, __u32 slot);
static int pinned_map(const struct passgate_policy *policy, __u32 slot,
		      const char *suffix, __u32 id);

/*
 * A daemon that died between pinning the next list map and the swap left
 * a pin of a map that never became active: it goes, or the map would
 * stay in the kernel.  One that died between the swap and the rename
 * left the active map's pin under the new name: it is renamed.
 */
static void pins_tidy(struct passgate_policy *policy, __u32 slot)
{
	int fd = active_map(policy, slot);
	char path[PATH_MAX];
	__u32 id = 0;

	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/%s" NEXT, policy->dir,
		 active_pins[slot]);
	unlink(path);
	/* A pin of a map no longer active holds its memory: it goes. */
	bpf_map_lookup_elem(policy->fd[PIN_LISTS], &slot, &id);
	fd = pinned_map(policy, slot, "", id);
	if (fd >= 0) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", policy->dir, active_pins[slot]);
	unlink(path);
}

struct passgate_policy *passgate_policy_open(const char *pin_root,
					     unsigned int gate,
					     const struct policy_config *cfg,
					     bool *adopted)
{
	struct passgate_policy *policy = policy_new();
	char path[PATH_MAX];
	int saved;

	if (!policy)
		return NULL;
	pin_path(path, sizeof(path), pin_root, gate, PIN_LINK);
	*adopted = !access(path, F_OK);
	if (*adopted) {
		if (!policy_adopt(policy, pin_root, gate)) {
			policy->owner = true;
			pins_tidy(policy, POLICY_SLOT_CODES);
			pins_tidy(policy, POLICY_SLOT_TICKETS);
			return policy;
		}
		if (errno != EPROTO)
			goto err;
		/* Another version's policy: replaced by this one's. */
		*adopted = false;
		policy_close_fds(policy);
	}
	/*
	 * Maps without a link (a load that died half way), or another
	 * version's policy: start over.
	 */
	if (passgate_policy_unpin(pin_root, gate) ||
	    policy_load(policy, pin_root, gate, cfg)) {
		saved = errno;
		passgate_policy_unpin(pin_root, gate);
		errno = saved;
		goto err;
	}
	policy->owner = true;
	return policy;
err:
	saved = errno;
	passgate_policy_close(policy);
	errno = saved;
	return NULL;
}

int passgate_policy_get_config(struct passgate_policy *policy,
			       struct policy_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(policy->fd[PIN_CONFIG], &zero, cfg);
}

int passgate_policy_set_config(struct passgate_policy *policy,
			       const struct policy_config *cfg)
{
	struct policy_config stamped;
	__u32 zero = 0;

	config_stamped(&stamped, cfg);
	return bpf_map_update_elem(policy->fd[PIN_CONFIG], &zero, &stamped, 0);
}

int passgate_policy_counters(struct passgate_policy *policy,
			     uint64_t counters[POLICY_COUNTERS])
{
	__u32 i;

	for (i = 0; i < POLICY_COUNTERS; i++)
		if (bpf_map_lookup_elem(policy->fd[PIN_COUNTERS], &i,
					&counters[i]))
			return -1;
	return 0;
}

uint32_t passgate_policy_tai_seconds(uint64_t unix_seconds)
{
	struct timespec tai, real;
	int64_t offset_ns, offset;
	uint64_t t;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_TAI, &tai);
	/* Whole seconds apart (0, or the leap seconds): round the read skew. */
	offset_ns = (int64_t)(tai.tv_sec - real.tv_sec) * 1000000000 +
		    (tai.tv_nsec - real.tv_nsec);
	offset = (offset_ns + 500000000) / 1000000000;
	t = unix_seconds + offset;
	return t > UINT32_MAX ? UINT32_MAX : t;
}

static void meta_key(struct policy_key *key)
{
	memset(key->digest, POLICY_META_BYTE, sizeof(key->digest));
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/*
 * The map pinned as @slot's active map (@suffix "") or its next (NEXT) in
 * the policy's folder, if it is map @id.
 */
static int pinned_map(const struct passgate_policy *policy, __u32 slot,
		      const char *suffix, __u32 id)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s%s", policy->dir, active_pins[slot],
		 suffix);
	fd = bpf_obj_get(path);
	if (fd >= 0 && map_id(fd) != id) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The active list map of @slot, or -1 with ENOENT when none is loaded. */
static int active_map(struct passgate_policy *policy, __u32 slot)
{
	char from[PATH_MAX], to[PATH_MAX];
	__u32 id;
	int fd;

	if (bpf_map_lookup_elem(policy->fd[PIN_LISTS], &slot, &id))
		return -1;
	fd = pinned_map(policy, slot, "", id);
	if (fd >= 0)
		return fd;
	/* A swap whose rename did not happen: the daemon finishes it. */
	fd = pinned_map(policy, slot, NEXT, id);
	if (fd >= 0) {
		snprintf(from, sizeof(from), "%s/%s" NEXT, policy->dir,
			 active_pins[slot]);
		snprintf(to, sizeof(to), "%s/%s", policy->dir,
			 active_pins[slot]);
		if (policy->owner)
			rename(from, to);
		return fd;
	}
	/*
	 * No pin is the active map (pinned by an older version): only
	 * CAP_SYS_ADMIN reaches it by id; without it, EPERM, never ENOENT.
	 */
	return bpf_map_get_fd_by_id(id);
}

/* Pin @fd as the next active map of @slot, before it becomes active. */
static int pin_next(const struct passgate_policy *policy, __u32 slot, int fd)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s" NEXT, policy->dir,
		 active_pins[slot]);
	if (unlink(path) && errno != ENOENT)
		return -1;
	return bpf_obj_pin(fd, path);
}

/* After the swap the pin of the active map follows it; else it goes. */
static void pin_swapped(const struct passgate_policy *policy, __u32 slot,
			bool swapped)
{
	char from[PATH_MAX], to[PATH_MAX];

	snprintf(from, sizeof(from), "%s/%s" NEXT, policy->dir,
		 active_pins[slot]);
	snprintf(to, sizeof(to), "%s/%s", policy->dir, active_pins[slot]);
	if (swapped)
		rename(from, to);
	else
		unlink(from);
}

int passgate_policy_active_list(struct passgate_policy *policy,
				unsigned int holds,
				struct passgate_policy_active *active)
{
	struct policy_entry meta;
	struct policy_key key;
	int fd, ret;

	if (holds >= POLICY_LIST_SLOTS) {
		errno = EINVAL;
		return -1;
	}
	fd = active_map(policy, holds);
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

int passgate_policy_active(struct passgate_policy *policy,
			   struct passgate_policy_active *active)
{
	return passgate_policy_active_list(policy, PASSGATE_LIST_CODES, active);
}

static uint32_t tai_or_zero(uint32_t unix_seconds)
{
	return unix_seconds ? passgate_policy_tai_seconds(unix_seconds) : 0;
}

static void code_to_policy(const struct passgate_list_entry *e,
			   struct policy_key *key, struct policy_entry *val)
{
	memcpy(key->digest, e->digest, sizeof(key->digest));
	memset(val, 0, sizeof(*val));
	val->status = e->status;
	val->flags = e->flags;
	val->valid_from = tai_or_zero(e->valid_from);
	val->valid_until = tai_or_zero(e->valid_until);
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
	val->valid_from = tai_or_zero(t->valid_from);
	val->valid_until = tai_or_zero(t->valid_until);
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

	while ((n = r->next(r->ctx, r->buf, POLICY_BATCH)) > 0) {
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
		n = POLICY_BATCH;
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

	while ((n = r->next(r->ctx, r->buf, POLICY_BATCH)) > 0) {
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

int passgate_policy_load(struct passgate_policy *policy,
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
	__u32 slot = info->holds;
	long long total = 0;

	if (!r.size || slot >= POLICY_LIST_SLOTS) {
		errno = EINVAL;
		return -1;
	}
	if (info->kind == PASSGATE_LIST_DELTA) {
		if (passgate_policy_active_list(policy, info->holds, &active))
			return -1;
		old = active_map(policy, slot);
		if (old < 0)
			return -1;
		max += active.entries;
	}

	r.buf = calloc(POLICY_BATCH, r.size);
	keys = calloc(POLICY_BATCH, sizeof(*keys));
	vals = calloc(POLICY_BATCH, sizeof(*vals));
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

	if (pin_next(policy, slot, fd))
		goto out;
	/* The swap: from the next scan on, this generation decides. */
	ret = bpf_map_update_elem(policy->fd[PIN_LISTS], &slot, &fd, BPF_ANY);
	pin_swapped(policy, slot, !ret);
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

int passgate_policy_ticket_use_add(struct passgate_policy *policy,
				   const struct policy_ticket_record *rec)
{
	if (!bpf_map_update_elem(policy->fd[PIN_TICKET_USES], &rec->key,
				 &rec->use, BPF_NOEXIST) || errno == EEXIST)
		return 0;
	return -1;
}

ssize_t passgate_policy_ticket_uses(struct passgate_policy *policy,
				    struct policy_ticket_record **out)
{
	int fd = policy->fd[PIN_TICKET_USES], saved;
	struct policy_ticket_record *all, *grown;
	struct policy_ticket_key cur, next;
	size_t n = 0, cap = 1024, steps = 0;
	bool first = true;

	all = malloc(cap * sizeof(*all));
	if (!all)
		return -1;
	/*
	 * A key evicted under the walk sends it back to the start: bounded,
	 * and a use read twice is only kept twice.
	 */
	while (steps++ < 2 * POLICY_TICKET_USES &&
	       !bpf_map_get_next_key(fd, first ? NULL : &cur, &next)) {
		first = false;
		cur = next;
		if (n == cap) {
			cap *= 2;
			grown = realloc(all, cap * sizeof(*all));
			if (!grown)
				goto fail;
			all = grown;
		}
		all[n].key = cur;
		if (!bpf_map_lookup_elem(fd, &cur, &all[n].use))
			n++;
		else if (errno != ENOENT)
			goto fail;
	}
	if (steps <= 2 * POLICY_TICKET_USES && errno != ENOENT)
		goto fail;
	*out = all;
	return n;
fail:
	saved = errno;
	free(all);
	errno = saved;
	return -1;
}

int passgate_policy_ticket_log_fd(const struct passgate_policy *policy)
{
	return policy->fd[PIN_TICKET_LOG];
}
