// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The gate policy's BPF state.  Pins, under PIN_ROOT/gateG/: the maps,
 * then the link last, so a link pin means a complete state; a start that
 * finds maps but no link clears them and loads afresh.  A generation is
 * built in a map that only this process holds (never pinned), so a crash
 * mid-load leaves nothing behind, and it becomes active in one update of
 * the outer map's slot.  The active list map is pinned too (ACTIVE_PIN), so
 * a daemon without CAP_SYS_ADMIN, which bpf_map_get_fd_by_id() needs, can
 * still read it: pinned as ACTIVE_PIN "-next" before the swap and renamed
 * over ACTIVE_PIN after it, so one of the two is always the active map.
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
	PIN_MAPS,
	PIN_LINK = PIN_MAPS,
	PIN_COUNT,
};

static const char *const pin_names[PIN_COUNT] = {
	[PIN_LISTS] = "lists",
	[PIN_CONFIG] = "config",
	[PIN_LANES] = "lanes",
	[PIN_PASSBACK] = "passback",
	[PIN_COUNTERS] = "counters",
	[PIN_LINK] = "link",
};

#define ACTIVE_PIN "list"
/* bpffs refuses names with a dot (reserved). */
#define ACTIVE_PIN_NEW ACTIVE_PIN "-next"

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
	snprintf(path, sizeof(path), "%s/gate%u/" ACTIVE_PIN, pin_root, gate);
	if (unlink(path) && errno != ENOENT)
		ret = -1;
	snprintf(path, sizeof(path), "%s/gate%u/" ACTIVE_PIN_NEW, pin_root,
		 gate);
	if (unlink(path) && errno != ENOENT)
		ret = -1;
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
 * passgate, whose settings have another layout, is refused (EPROTO):
 * its program would not know this version's settings.
 */
static int policy_adopt(struct passgate_policy *policy, const char *root,
			unsigned int gate)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int i;

	snprintf(policy->dir, sizeof(policy->dir), "%s/gate%u", root, gate);
	for (i = 0; i < PIN_COUNT; i++) {
		pin_path(path, sizeof(path), root, gate, i);
		policy->fd[i] = bpf_obj_get(path);
		if (policy->fd[i] < 0)
			return -1;
	}
	if (bpf_obj_get_info_by_fd(policy->fd[PIN_CONFIG], &info, &len))
		return -1;
	if (info.value_size != sizeof(struct policy_config)) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static int policy_load(struct passgate_policy *policy, const char *root,
		       unsigned int gate, const struct policy_config *cfg)
{
	struct bpf_map *maps[PIN_MAPS];
	struct bpf_link *link = NULL;
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

	if (bpf_map_update_elem(bpf_map__fd(maps[PIN_CONFIG]), &zero, cfg, 0))
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

static int active_map(struct passgate_policy *policy);
static int pinned_map(const struct passgate_policy *policy, const char *name,
		      __u32 id);

/*
 * A daemon that died between pinning the next list map and the swap left
 * a pin of a map that never became active: it goes, or the map would
 * stay in the kernel.  One that died between the swap and the rename
 * left the active map's pin under the new name: it is renamed.
 */
static void pins_tidy(struct passgate_policy *policy)
{
	char path[PATH_MAX];
	__u32 zero = 0, id = 0;
	int fd = active_map(policy);

	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/" ACTIVE_PIN_NEW, policy->dir);
	unlink(path);
	/* A pin of a map no longer active holds its memory: it goes. */
	bpf_map_lookup_elem(policy->fd[PIN_LISTS], &zero, &id);
	fd = pinned_map(policy, ACTIVE_PIN, id);
	if (fd >= 0) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "%s/" ACTIVE_PIN, policy->dir);
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
			pins_tidy(policy);
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
	__u32 zero = 0;

	return bpf_map_update_elem(policy->fd[PIN_CONFIG], &zero, cfg, 0);
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

/* The map pinned as @name in the policy's folder, if it is map @id. */
static int pinned_map(const struct passgate_policy *policy, const char *name,
		      __u32 id)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", policy->dir, name);
	fd = bpf_obj_get(path);
	if (fd >= 0 && map_id(fd) != id) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The active list map, or -1 with ENOENT when none is loaded. */
static int active_map(struct passgate_policy *policy)
{
	char from[PATH_MAX], to[PATH_MAX];
	__u32 zero = 0, id;
	int fd;

	if (bpf_map_lookup_elem(policy->fd[PIN_LISTS], &zero, &id))
		return -1;
	fd = pinned_map(policy, ACTIVE_PIN, id);
	if (fd >= 0)
		return fd;
	/* A swap whose rename did not happen: the daemon finishes it. */
	fd = pinned_map(policy, ACTIVE_PIN_NEW, id);
	if (fd >= 0) {
		snprintf(from, sizeof(from), "%s/" ACTIVE_PIN_NEW, policy->dir);
		snprintf(to, sizeof(to), "%s/" ACTIVE_PIN, policy->dir);
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

/* Pin @fd as the next active map, before it becomes active. */
static int pin_next(const struct passgate_policy *policy, int fd)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" ACTIVE_PIN_NEW, policy->dir);
	if (unlink(path) && errno != ENOENT)
		return -1;
	return bpf_obj_pin(fd, path);
}

/* After the swap the pin of the active map follows it; else it goes. */
static void pin_swapped(const struct passgate_policy *policy, bool swapped)
{
	char from[PATH_MAX], to[PATH_MAX];

	snprintf(from, sizeof(from), "%s/" ACTIVE_PIN_NEW, policy->dir);
	snprintf(to, sizeof(to), "%s/" ACTIVE_PIN, policy->dir);
	if (swapped)
		rename(from, to);
	else
		unlink(from);
}

int passgate_policy_active(struct passgate_policy *policy,
			   struct passgate_policy_active *active)
{
	struct policy_entry meta;
	struct policy_key key;
	int fd, ret;

	fd = active_map(policy);
	if (fd < 0)
		return -1;
	meta_key(&key);
	ret = bpf_map_lookup_elem(fd, &key, &meta);
	close(fd);
	if (ret)
		return -1;
	memcpy(&active->generation, meta.id_digest, 8);
	memcpy(&active->entries, meta.id_digest + 8, 8);
	active->not_before_tai = meta.valid_from;
	active->expires_tai = meta.valid_until;
	return 0;
}

static void entry_to_policy(const struct passgate_list_entry *e,
			    struct policy_key *key, struct policy_entry *val)
{
	memcpy(key->digest, e->digest, sizeof(key->digest));
	memset(val, 0, sizeof(*val));
	val->status = e->status;
	val->flags = e->flags;
	val->valid_from = e->valid_from ?
			  passgate_policy_tai_seconds(e->valid_from) : 0;
	val->valid_until = e->valid_until ?
			   passgate_policy_tai_seconds(e->valid_until) : 0;
	memcpy(val->id_digest, e->id_digest, sizeof(val->id_digest));
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

/* Insert entries in batches: the kernel's per-element cost dominates. */
static long long fill(int fd, passgate_entry_reader next, void *ctx,
		      struct passgate_list_entry *buf, struct policy_key *keys,
		      struct policy_entry *vals)
{
	long long total = 0;
	ssize_t n, i;
	__u32 batch;

	while ((n = next(ctx, buf, POLICY_BATCH)) > 0) {
		for (i = 0; i < n; i++)
			entry_to_policy(&buf[i], &keys[i], &vals[i]);
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
static int apply_delta(int fd, passgate_entry_reader next, void *ctx,
		       struct passgate_list_entry *buf, long long *total)
{
	struct policy_entry val, old;
	struct policy_key key;
	ssize_t n, i;

	while ((n = next(ctx, buf, POLICY_BATCH)) > 0) {
		for (i = 0; i < n; i++) {
			entry_to_policy(&buf[i], &key, &val);
			if (buf[i].status == PASSGATE_STATUS_REMOVE) {
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
			 passgate_entry_reader next, void *ctx)
{
	struct passgate_policy_active active = { 0 };
	struct passgate_list_entry *buf = NULL;
	struct policy_entry *vals = NULL, meta;
	struct policy_key *keys = NULL, key;
	int fd = -1, old = -1, ret = -1, saved;
	size_t max = info->entry_count + 1;
	long long total = 0;
	__u32 zero = 0;

	if (info->kind == PASSGATE_LIST_DELTA) {
		if (passgate_policy_active(policy, &active))
			return -1;
		old = active_map(policy);
		if (old < 0)
			return -1;
		max += active.entries;
	}

	buf = calloc(POLICY_BATCH, sizeof(*buf));
	keys = calloc(POLICY_BATCH, sizeof(*keys));
	vals = calloc(POLICY_BATCH, sizeof(*vals));
	fd = new_list_map(max);
	if (!buf || !keys || !vals || fd < 0)
		goto out;

	if (info->kind == PASSGATE_LIST_FULL) {
		total = fill(fd, next, ctx, buf, keys, vals);
		if (total < 0)
			goto out;
	} else {
		total = copy_map(old, fd, keys, vals);
		if (total < 0)
			goto out;
		/* The copy includes the old generation's own entry. */
		total--;
		if (apply_delta(fd, next, ctx, buf, &total))
			goto out;
	}

	memset(&meta, 0, sizeof(meta));
	meta.status = POLICY_STATUS_META;
	meta.valid_from = passgate_policy_tai_seconds(info->not_before);
	meta.valid_until = passgate_policy_tai_seconds(info->expires_at);
	memcpy(meta.id_digest, &info->generation, 8);
	memcpy(meta.id_digest + 8, &total, 8);
	meta_key(&key);
	if (bpf_map_update_elem(fd, &key, &meta, BPF_ANY))
		goto out;

	if (pin_next(policy, fd))
		goto out;
	/* The swap: from the next scan on, this generation decides. */
	ret = bpf_map_update_elem(policy->fd[PIN_LISTS], &zero, &fd, BPF_ANY);
	pin_swapped(policy, !ret);
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (old >= 0)
		close(old);
	free(buf);
	free(keys);
	free(vals);
	errno = saved;
	return ret;
}
