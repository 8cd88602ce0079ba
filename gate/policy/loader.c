// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The gate policy's BPF state.  Pins, under PIN_ROOT/gateG/: the maps,
 * then the link last, so a link pin means a complete state; a start that
 * finds maps but no link clears them and loads afresh.  A generation is
 * built in a map that only this process holds, so a crash mid-load
 * leaves nothing behind, and it becomes active in one update of an outer
 * map's slot: "codes" slots 0 (base) and 1 (overlay) for health codes
 * (loader_compact.c), "lists" slot 1 for tickets (loader_hash.c), each
 * on its own.  Each slot's active list map is pinned too (active_pins[]),
 * so a daemon without CAP_SYS_ADMIN, which bpf_map_get_fd_by_id() needs,
 * can still read it: pinned under its name "-next" before the swap and
 * renamed over its name after it, so one of the two is always the active
 * map.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gate/policy/loader_private.h"
#include "policy.skel.h"
#include "policy_hash.skel.h"

/* bpffs refuses names with a dot (reserved). */
static const char *const pin_names[PIN_COUNT] = {
	[PIN_LISTS] = "lists",
	[PIN_CONFIG] = "config",
	[PIN_LANES] = "lanes",
	[PIN_PASSBACK] = "passback",
	[PIN_COUNTERS] = "counters",
	[PIN_TICKET_USES] = "ticket-uses",
	[PIN_TICKET_LOG] = "ticket-log",
	/* New with the compact layout: an older policy lacks it. */
	[PIN_CODES] = "codes",
	[PIN_LINK] = "link",
};

/*
 * Each active list map: the outer map and slot it is in, and its pin
 * ("list" stays the health codes' in either layout).
 */
static const struct {
	enum policy_pin outer;
	__u32 slot;
	const char *pin;
} active_slots[2][ACTIVE_COUNT] = {
	[PASSGATE_LAYOUT_COMPACT] = {
		[ACTIVE_BASE] = { PIN_CODES, POLICY_CODES_BASE, "list" },
		[ACTIVE_OVERLAY] = { PIN_CODES, POLICY_CODES_OVERLAY,
				     "overlay" },
		[ACTIVE_TICKETS] = { PIN_LISTS, POLICY_SLOT_TICKETS,
				     "tickets" },
	},
	[PASSGATE_LAYOUT_HASH] = {
		[ACTIVE_BASE] = { PIN_LISTS, POLICY_SLOT_CODES, "list" },
		[ACTIVE_OVERLAY] = { PIN_COUNT, 0, NULL },
		[ACTIVE_TICKETS] = { PIN_LISTS, POLICY_SLOT_TICKETS,
				     "tickets" },
	},
};

/* Every name an active pin may have, for unpinning. */
static const char *const active_pin_names[] = { "list", "overlay",
						"tickets" };

#define NEXT "-next"

#define ACTIVE(policy, which) active_slots[(policy)->layout][which]

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
	for (pin = 0; pin < (int)(sizeof(active_pin_names) /
				  sizeof(active_pin_names[0])); pin++) {
		snprintf(path, sizeof(path), "%s/gate%u/%s", pin_root, gate,
			 active_pin_names[pin]);
		if (unlink(path) && errno != ENOENT)
			ret = -1;
		snprintf(path, sizeof(path), "%s/gate%u/%s" NEXT, pin_root,
			 gate, active_pin_names[pin]);
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
	policy_base_unmap(policy);
	policy_close_fds(policy);
	free(policy);
}

static struct passgate_policy *policy_new(enum passgate_policy_layout layout)
{
	struct passgate_policy *policy = calloc(1, sizeof(*policy));
	int i;

	if (!policy)
		return NULL;
	for (i = 0; i < PIN_COUNT; i++)
		policy->fd[i] = -1;
	policy->layout = layout;
	return policy;
}

const char *passgate_policy_error(const struct passgate_policy *policy)
{
	return policy->err;
}

void passgate_policy_set_compact_threshold(struct passgate_policy *policy,
					   uint64_t entries)
{
	policy->compact_at = entries;
}

int policy_fail(struct passgate_policy *policy, int errnum, const char *fmt,
		...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(policy->err, sizeof(policy->err), fmt, ap);
	va_end(ap);
	errno = errnum;
	return -1;
}

/*
 * Take the pinned policy as it is.  One pinned by another version of
 * passgate, whose settings have another layout or whose maps are not
 * these, is refused (EPROTO): its program would not know this version's
 * settings or lists.  So is one in the other layout: "codes" is pinned
 * in the compact layout and only there.
 */
static int policy_adopt(struct passgate_policy *policy, const char *root,
			unsigned int gate)
{
	bool compact = policy->layout == PASSGATE_LAYOUT_COMPACT;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int i;

	snprintf(policy->dir, sizeof(policy->dir), "%s/gate%u", root, gate);
	/* The link is pinned last: with it, every map of its version is. */
	for (i = PIN_COUNT - 1; i >= 0; i--) {
		pin_path(path, sizeof(path), root, gate, i);
		if (i == PIN_CODES && !compact) {
			if (!access(path, F_OK)) {
				errno = EPROTO;
				return -1;
			}
			continue;
		}
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
	if (!compact)
		return 0;
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(policy->fd[PIN_CODES], &info, &len))
		return -1;
	if (info.max_entries != POLICY_CODES_SLOTS ||
	    info.type != BPF_MAP_TYPE_ARRAY_OF_MAPS) {
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

/* The program of @policy's layout, loaded; its maps into @maps. */
static int skel_load(enum passgate_policy_layout layout, void **skel,
		     struct bpf_map **maps, struct bpf_program **prog)
{
	struct policy_hash *h;
	struct policy *c;

	if (layout == PASSGATE_LAYOUT_HASH) {
		h = policy_hash__open_and_load();
		if (!h)
			return -1;
		maps[PIN_LISTS] = h->maps.lists;
		maps[PIN_CONFIG] = h->maps.config;
		maps[PIN_LANES] = h->maps.lanes;
		maps[PIN_PASSBACK] = h->maps.passback;
		maps[PIN_COUNTERS] = h->maps.counters;
		maps[PIN_TICKET_USES] = h->maps.ticket_uses;
		maps[PIN_TICKET_LOG] = h->maps.ticket_log;
		maps[PIN_CODES] = NULL;
		*prog = h->progs.passgate_policy;
		*skel = h;
		return 0;
	}
	c = policy__open_and_load();
	if (!c)
		return -1;
	maps[PIN_LISTS] = c->maps.lists;
	maps[PIN_CONFIG] = c->maps.config;
	maps[PIN_LANES] = c->maps.lanes;
	maps[PIN_PASSBACK] = c->maps.passback;
	maps[PIN_COUNTERS] = c->maps.counters;
	maps[PIN_TICKET_USES] = c->maps.ticket_uses;
	maps[PIN_TICKET_LOG] = c->maps.ticket_log;
	maps[PIN_CODES] = c->maps.codes;
	*prog = c->progs.passgate_policy;
	*skel = c;
	return 0;
}

static void skel_destroy(enum passgate_policy_layout layout, void *skel)
{
	if (layout == PASSGATE_LAYOUT_HASH)
		policy_hash__destroy(skel);
	else
		policy__destroy(skel);
}

static int policy_load(struct passgate_policy *policy, const char *root,
		       unsigned int gate, const struct policy_config *cfg)
{
	struct bpf_map *maps[PIN_MAPS];
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	struct policy_config stamped;
	char path[PATH_MAX];
	void *skel;
	__u32 zero = 0;
	int i, ret = -1, saved;

	if (skel_load(policy->layout, &skel, maps, &prog))
		return -1;
	config_stamped(&stamped, cfg);
	if (bpf_map_update_elem(bpf_map__fd(maps[PIN_CONFIG]), &zero, &stamped,
				0))
		goto out;
	snprintf(path, sizeof(path), "%s/gate%u", root, gate);
	if (mkdir_p(path))
		goto out;
	for (i = 0; i < PIN_MAPS; i++) {
		if (!maps[i])
			continue;
		pin_path(path, sizeof(path), root, gate, i);
		if (bpf_map__pin(maps[i], path))
			goto out;
	}
	link = bpf_program__attach(prog);
	if (!link)
		goto out;
	pin_path(path, sizeof(path), root, gate, PIN_LINK);
	if (bpf_link__pin(link, path))
		goto out;
	ret = policy_adopt(policy, root, gate);
out:
	saved = errno;
	bpf_link__destroy(link);
	skel_destroy(policy->layout, skel);
	errno = saved;
	return ret;
}

struct passgate_policy *passgate_policy_adopt(const char *pin_root,
					      unsigned int gate)
{
	struct passgate_policy *policy;
	char path[PATH_MAX];
	int saved;

	/* "codes" says which layout the pinned policy has. */
	pin_path(path, sizeof(path), pin_root, gate, PIN_CODES);
	policy = policy_new(access(path, F_OK) ? PASSGATE_LAYOUT_HASH :
			    PASSGATE_LAYOUT_COMPACT);
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

static int pinned_map(const struct passgate_policy *policy,
		      enum policy_active which, const char *suffix, __u32 id);

/*
 * A daemon that died between pinning the next list map and the swap left
 * a pin of a map that never became active: it goes, or the map would
 * stay in the kernel.  One that died between the swap and the rename
 * left the active map's pin under the new name: it is renamed.
 */
static void pins_tidy(struct passgate_policy *policy, enum policy_active which)
{
	int fd, outer = ACTIVE(policy, which).outer;
	__u32 slot = ACTIVE(policy, which).slot, id = 0;
	char path[PATH_MAX];

	if (outer == PIN_COUNT)
		return;
	fd = policy_active_fd(policy, which);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/%s" NEXT, policy->dir,
		 ACTIVE(policy, which).pin);
	unlink(path);
	/* A pin of a map no longer active holds its memory: it goes. */
	bpf_map_lookup_elem(policy->fd[outer], &slot, &id);
	fd = pinned_map(policy, which, "", id);
	if (fd >= 0) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", policy->dir,
		 ACTIVE(policy, which).pin);
	unlink(path);
}

struct passgate_policy *
passgate_policy_open_layout(const char *pin_root, unsigned int gate,
			    const struct policy_config *cfg,
			    enum passgate_policy_layout layout, bool *adopted)
{
	struct passgate_policy *policy;
	char path[PATH_MAX];
	int saved, which;

	if (layout != PASSGATE_LAYOUT_COMPACT && layout != PASSGATE_LAYOUT_HASH) {
		errno = EINVAL;
		return NULL;
	}
	policy = policy_new(layout);
	if (!policy)
		return NULL;
	pin_path(path, sizeof(path), pin_root, gate, PIN_LINK);
	*adopted = !access(path, F_OK);
	if (*adopted) {
		if (!policy_adopt(policy, pin_root, gate)) {
			policy->owner = true;
			for (which = 0; which < ACTIVE_COUNT; which++)
				pins_tidy(policy, which);
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

struct passgate_policy *passgate_policy_open(const char *pin_root,
					     unsigned int gate,
					     const struct policy_config *cfg,
					     bool *adopted)
{
	return passgate_policy_open_layout(pin_root, gate, cfg,
					   PASSGATE_LAYOUT_COMPACT, adopted);
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

static __u32 map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/*
 * The map pinned as @which's active map (@suffix "") or its next (NEXT)
 * in the policy's folder, if it is map @id.
 */
static int pinned_map(const struct passgate_policy *policy,
		      enum policy_active which, const char *suffix, __u32 id)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s%s", policy->dir,
		 ACTIVE(policy, which).pin, suffix);
	fd = bpf_obj_get(path);
	if (fd >= 0 && map_id(fd) != id) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The active list map of @which, or -1 with ENOENT when none is loaded. */
int policy_active_fd(struct passgate_policy *policy, enum policy_active which)
{
	int fd, outer = ACTIVE(policy, which).outer;
	__u32 slot = ACTIVE(policy, which).slot, id;
	char from[PATH_MAX], to[PATH_MAX];

	if (outer == PIN_COUNT) {
		errno = ENOENT;
		return -1;
	}
	if (bpf_map_lookup_elem(policy->fd[outer], &slot, &id))
		return -1;
	fd = pinned_map(policy, which, "", id);
	if (fd >= 0)
		return fd;
	/* A swap whose rename did not happen: the daemon finishes it. */
	fd = pinned_map(policy, which, NEXT, id);
	if (fd >= 0) {
		snprintf(from, sizeof(from), "%s/%s" NEXT, policy->dir,
			 ACTIVE(policy, which).pin);
		snprintf(to, sizeof(to), "%s/%s", policy->dir,
			 ACTIVE(policy, which).pin);
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

/* Pin @fd as the next active map of @which, before it becomes active. */
int policy_pin_next(const struct passgate_policy *policy,
		    enum policy_active which, int fd)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s" NEXT, policy->dir,
		 ACTIVE(policy, which).pin);
	if (unlink(path) && errno != ENOENT)
		return -1;
	return bpf_obj_pin(fd, path);
}

/* After the swap the pin of the active map follows it; else it goes. */
void policy_pin_swapped(const struct passgate_policy *policy,
			enum policy_active which, bool swapped)
{
	char from[PATH_MAX], to[PATH_MAX];

	snprintf(from, sizeof(from), "%s/%s" NEXT, policy->dir,
		 ACTIVE(policy, which).pin);
	snprintf(to, sizeof(to), "%s/%s", policy->dir,
		 ACTIVE(policy, which).pin);
	if (swapped)
		rename(from, to);
	else
		unlink(from);
}

int policy_swap(struct passgate_policy *policy, enum policy_active which,
		int fd)
{
	int outer = ACTIVE(policy, which).outer, ret;
	__u32 slot = ACTIVE(policy, which).slot;

	if (policy_pin_next(policy, which, fd))
		return -1;
	/*
	 * The swap: from the next scan on, this map decides.  The kernel
	 * waits for an RCU grace period after an update of an array of
	 * maps, so when it returns no scan still reads the old one.
	 */
	ret = bpf_map_update_elem(policy->fd[outer], &slot, &fd, BPF_ANY);
	policy_pin_swapped(policy, which, !ret);
	return ret;
}

int policy_slot_clear(struct passgate_policy *policy,
		      enum policy_active which)
{
	int outer = ACTIVE(policy, which).outer;
	__u32 slot = ACTIVE(policy, which).slot;
	char path[PATH_MAX];

	if (bpf_map_delete_elem(policy->fd[outer], &slot) && errno != ENOENT)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", policy->dir,
		 ACTIVE(policy, which).pin);
	if (unlink(path) && errno != ENOENT)
		return -1;
	return 0;
}

int passgate_policy_active_list(struct passgate_policy *policy,
				unsigned int holds,
				struct passgate_policy_active *active)
{
	if (holds >= POLICY_LIST_SLOTS) {
		errno = EINVAL;
		return -1;
	}
	if (holds == PASSGATE_LIST_CODES &&
	    policy->layout == PASSGATE_LAYOUT_COMPACT)
		return policy_compact_active(policy, active);
	return policy_hash_active(policy, holds, active);
}

int passgate_policy_active(struct passgate_policy *policy,
			   struct passgate_policy_active *active)
{
	return passgate_policy_active_list(policy, PASSGATE_LIST_CODES, active);
}

uint32_t policy_tai_or_zero(uint32_t unix_seconds)
{
	return unix_seconds ? passgate_policy_tai_seconds(unix_seconds) : 0;
}

int passgate_policy_load(struct passgate_policy *policy,
			 const struct passgate_list_info *info,
			 const char *station, passgate_entry_reader next,
			 void *ctx)
{
	policy->err[0] = '\0';
	if (info->holds >= POLICY_LIST_SLOTS) {
		errno = EINVAL;
		return -1;
	}
	if (info->holds == PASSGATE_LIST_CODES &&
	    policy->layout == PASSGATE_LAYOUT_COMPACT)
		return policy_compact_load(policy, info, next, ctx);
	return policy_hash_load(policy, info, station, next, ctx);
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
