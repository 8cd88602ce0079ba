// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/passgate.h>

#include "gate/core/restore.h"
#include "gate/core/kept.h"
#include "gate/core/state.h"
#include "common/file.h"
#include "common/minisign.h"

/*
 * A generation's entries, sorted by digest, as a full list holds them:
 * of either kind, @size bytes each, the digest first and the status next
 * (<common/allowlist.h>), which is all that merging deltas needs.
 */
struct entries {
	uint8_t *e;
	size_t size;
	size_t n;
	size_t at;	/* the loader's position */
};

static uint8_t *entry_at(const struct entries *all, size_t i)
{
	return all->e + i * all->size;
}

/* Every entry of a verified list; its count is the header's. */
static int read_entries(struct passgate_listfile *list, uint64_t count,
			struct entries *out, char *err, size_t errlen)
{
	size_t cap = count + 1;
	ssize_t n;

	out->n = 0;
	out->size =
		passgate_list_entry_size(passgate_listfile_info(list)->holds);
	out->e = calloc(cap, out->size);
	if (!out->e) {
		snprintf(err, errlen, "%" PRIu64 " entries: %s", count,
			 strerror(ENOMEM));
		return -1;
	}
	/* Read to the end: only then were the entries the signed ones. */
	while ((n = passgate_listfile_read_entries(list, entry_at(out, out->n),
						   cap - out->n, err,
						   errlen)) > 0) {
		out->n += n;
		if (out->n == cap)
			break;
	}
	if (n < 0)
		return -1;
	if (out->n != count) {
		snprintf(err, errlen, "file: %zu entries, the header says %"
			 PRIu64, out->n, count);
		return -1;
	}
	return 0;
}

/*
 * Apply @delta to @all as the loader applies a delta to the active map:
 * an entry replaces the one of its digest or is added, REMOVE deletes.
 * Both are sorted by digest, and so is the result.
 */
static int apply_delta(struct entries *all, const struct entries *delta)
{
	size_t i = 0, j = 0, k = 0, size = all->size;
	uint8_t *out;
	int c;

	out = calloc(all->n + delta->n + 1, size);
	if (!out)
		return -1;
	while (i < all->n || j < delta->n) {
		if (i == all->n)
			c = 1;
		else if (j == delta->n)
			c = -1;
		else
			c = memcmp(entry_at(all, i), entry_at(delta, j),
				   PASSGATE_LIST_DIGEST);
		if (c < 0) {
			memcpy(out + k++ * size, entry_at(all, i++), size);
			continue;
		}
		/* The status follows the digest in every kind of entry. */
		if (entry_at(delta, j)[PASSGATE_LIST_DIGEST] !=
		    PASSGATE_STATUS_REMOVE)
			memcpy(out + k++ * size, entry_at(delta, j), size);
		i += !c;
		j++;
	}
	free(all->e);
	all->e = out;
	all->n = k;
	return 0;
}

static ssize_t entries_next(void *ctx, void *buf, size_t max)
{
	struct entries *all = ctx;
	size_t n = all->n - all->at < max ? all->n - all->at : max;

	memcpy(buf, entry_at(all, all->at), n * all->size);
	all->at += n;
	return n;
}

/*
 * The generations from the record's down to a full list, as the kept
 * files' headers claim them (verified one by one afterwards).
 */
static int find_chain(const struct passgate_config *cfg, unsigned int holds,
		      uint64_t generation, uint64_t *chain, size_t *len,
		      char *err, size_t errlen)
{
	struct passgate_list_info claimed;
	char path[PATH_MAX];
	size_t n = 0;

	for (;;) {
		if (n == PASSGATE_KEPT_CHAIN_MAX) {
			snprintf(err, errlen, "more than %d deltas before a "
				 "full list", PASSGATE_KEPT_CHAIN_MAX);
			return -1;
		}
		chain[n++] = generation;
		errno = 0;
		if (passgate_kept_path(cfg, holds, generation, 0, path,
				       sizeof(path)) ||
		    passgate_listfile_peek(path, &claimed)) {
			snprintf(err, errlen, "no list of generation %" PRIu64
				 " is kept (%s: %s)", generation, path,
				 passgate_file_strerror(errno ?: EBADMSG));
			return -1;
		}
		if (claimed.kind == PASSGATE_LIST_FULL)
			break;
		if (claimed.kind != PASSGATE_LIST_DELTA ||
		    !claimed.base_generation ||
		    claimed.base_generation >= generation) {
			snprintf(err, errlen, "%s: not a list of generation %"
				 PRIu64 " on a lower one", path, generation);
			return -1;
		}
		generation = claimed.base_generation;
	}
	*len = n;
	return 0;
}

/* Open and verify the kept list of chain[@i], and check its place. */
static struct passgate_listfile *open_piece(const struct passgate_config *cfg,
					    const struct passgate_trust *trust,
					    unsigned int holds,
					    const uint64_t *chain, size_t i,
					    size_t len,
					    enum passgate_refusal *refusal,
					    char *err, size_t errlen)
{
	const struct passgate_list_info *info;
	struct passgate_listfile *list;
	unsigned int kind = i == len - 1 ? PASSGATE_LIST_FULL :
			    PASSGATE_LIST_DELTA;
	char path[PATH_MAX];

	*refusal = PASSGATE_REFUSED_UNVERIFIED;
	if (passgate_kept_path(cfg, holds, chain[i], 0, path, sizeof(path))) {
		snprintf(err, errlen, "%s: %s", cfg->state_dir,
			 strerror(errno));
		return NULL;
	}
	list = passgate_listfile_open(path, NULL, trust, cfg->max_list_bytes,
				      err, errlen);
	if (!list)
		return NULL;
	info = passgate_listfile_info(list);
	*refusal = PASSGATE_REFUSED_NOT_KEPT;
	if (info->generation != chain[i] || info->kind != kind ||
	    info->holds != holds ||
	    (kind == PASSGATE_LIST_DELTA &&
	     info->base_generation != chain[i + 1])) {
		snprintf(err, errlen, "%s: verified as generation %" PRIu64
			 " (%s, %s), not where generation %" PRIu64 "'s chain "
			 "of %s needs it", path, info->generation,
			 passgate_list_kind_name(info->kind) ?: "?",
			 passgate_list_holds_name(info->holds) ?: "?",
			 chain[i], passgate_list_holds_name(holds));
		goto refuse;
	}
	*refusal = passgate_install_check_station(cfg, info, err, errlen);
	if (*refusal != PASSGATE_REFUSED_NONE)
		goto refuse;
	return list;
refuse:
	passgate_listfile_close(list);
	return NULL;
}

/* The record's generation itself: as a new list is, and as recorded. */
static enum passgate_refusal top_admissible(const struct passgate_record *rec,
					    const struct passgate_list_info *info,
					    char *err, size_t errlen)
{
	static const uint8_t none[sizeof(rec->key_id)];

	switch (passgate_listfile_window(info, time(NULL), err, errlen)) {
	case PASSGATE_LIST_PAST_EXPIRY:
		return PASSGATE_REFUSED_EXPIRED;
	case PASSGATE_LIST_BEFORE_NOT_BEFORE:
		return PASSGATE_REFUSED_NOT_YET_VALID;
	case PASSGATE_LIST_IN_WINDOW:
		break;
	}
	/* A seeded record names no key; an installed one, the list's. */
	if (memcmp(rec->key_id, none, sizeof(none)) &&
	    memcmp(rec->key_id, info->key_id, sizeof(rec->key_id))) {
		snprintf(err, errlen, "generation %" PRIu64 " is signed by "
			 "another key than the record names", info->generation);
		return PASSGATE_REFUSED_NOT_KEPT;
	}
	return PASSGATE_REFUSED_NONE;
}

/* Verify the chain, oldest first, into @all; the top's header in @info. */
static int build(const struct passgate_config *cfg, unsigned int holds,
		 const struct passgate_record *rec, const uint64_t *chain,
		 size_t len, struct entries *all,
		 struct passgate_list_info *info,
		 enum passgate_refusal *refusal, char *err, size_t errlen)
{
	struct passgate_listfile *list;
	struct passgate_trust *trust;
	struct entries piece = { 0 };
	size_t i = len;
	int ret = -1;

	*refusal = PASSGATE_REFUSED_UNVERIFIED;
	trust = passgate_trust_open(cfg->trust_dir, err, errlen);
	if (!trust)
		return -1;
	while (i--) {
		list = open_piece(cfg, trust, holds, chain, i, len, refusal,
				  err, errlen);
		if (!list)
			goto out;
		*info = *passgate_listfile_info(list);
		if (!i) {
			*refusal = top_admissible(rec, info, err, errlen);
			if (*refusal != PASSGATE_REFUSED_NONE) {
				passgate_listfile_close(list);
				goto out;
			}
		}
		*refusal = PASSGATE_REFUSED_UNVERIFIED;
		if (read_entries(list, info->entry_count,
				 i == len - 1 ? all : &piece, err, errlen)) {
			passgate_listfile_close(list);
			goto out;
		}
		passgate_listfile_close(list);
		if (i == len - 1)
			continue;
		*refusal = PASSGATE_REFUSED_LOAD;
		if (apply_delta(all, &piece)) {
			snprintf(err, errlen, "applying generation %" PRIu64
				 ": %s", info->generation, strerror(ENOMEM));
			goto out;
		}
		free(piece.e);
		piece.e = NULL;
	}
	*refusal = PASSGATE_REFUSED_NONE;
	ret = 0;
out:
	free(piece.e);
	passgate_trust_free(trust);
	return ret;
}

static void restore_note(struct passgate_gate *gate, unsigned int type,
			 unsigned int arg, unsigned int holds,
			 uint64_t generation, const char *station,
			 uint64_t expires_at, uint32_t flags)
{
	struct passgate_list_claim claim = {
		.flags = PASSGATE_CLAIM_RESTORED | flags,
		.expires_at = expires_at,
	};

	if (holds == PASSGATE_LIST_TICKETS)
		claim.flags |= PASSGATE_CLAIM_TICKETS;
	memcpy(claim.station, station, strnlen(station, sizeof(claim.station)));
	passgate_gate_note(gate, type, arg, generation, &claim, sizeof(claim));
}

int passgate_restore_list(const struct passgate_config *cfg,
			  struct passgate_policy *policy,
			  struct passgate_gate *gate, unsigned int holds,
			  struct passgate_list_info *info,
			  enum passgate_refusal *refusal, char *err,
			  size_t errlen)
{
	uint64_t chain[PASSGATE_KEPT_CHAIN_MAX];
	struct passgate_policy_active active;
	struct entries all = { 0 };
	struct passgate_list_info whole;
	struct passgate_record rec;
	int lock, ret = -1;
	size_t len;

	memset(info, 0, sizeof(*info));
	info->holds = holds;
	*refusal = PASSGATE_REFUSED_LOAD;
	lock = passgate_record_lock(cfg->state_dir, cfg->gate);
	if (lock < 0) {
		snprintf(err, errlen, "%s: %s", cfg->state_dir,
			 strerror(errno));
		return -1;
	}
	if (passgate_record_read_list(cfg->state_dir, cfg->gate, holds, &rec) ||
	    !rec.generation) {
		ret = 1;
		goto out_unlock;
	}
	if (!passgate_policy_active_list(policy, holds, &active)) {
		ret = 1;
		goto out_unlock;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "the generation active in the kernel "
			 "cannot be read (%s)", strerror(errno));
		goto out;
	}
	*refusal = PASSGATE_REFUSED_NOT_KEPT;
	if (find_chain(cfg, holds, rec.generation, chain, &len, err, errlen) ||
	    build(cfg, holds, &rec, chain, len, &all, info, refusal, err,
		  errlen))
		goto out;

	/* One swap, straight to the record's generation, as a full list. */
	whole = *info;
	whole.kind = PASSGATE_LIST_FULL;
	whole.base_generation = 0;
	whole.entry_count = all.n;
	*refusal = PASSGATE_REFUSED_LOAD;
	if (passgate_policy_load(policy, &whole, cfg->station, entries_next,
				 &all)) {
		snprintf(err, errlen, "loading generation %" PRIu64 ": %s",
			 info->generation,
			 *passgate_policy_error(policy) ?
			 passgate_policy_error(policy) : strerror(errno));
		goto out;
	}
	*refusal = PASSGATE_REFUSED_NONE;
	ret = 0;
out:
	/* What failed is the record's generation, whichever piece did. */
	if (ret) {
		info->generation = rec.generation;
		info->holds = holds;
	}
	if (gate && ret)
		restore_note(gate, PASSGATE_EV_LIST_REFUSED, *refusal, holds,
			     rec.generation, info->station, 0,
			     *refusal == PASSGATE_REFUSED_UNVERIFIED ?
			     PASSGATE_CLAIM_UNVERIFIED : 0);
	else if (gate)
		restore_note(gate, PASSGATE_EV_LIST_ACTIVATED, info->kind,
			     holds, info->generation, info->station,
			     info->expires_at, 0);
out_unlock:
	free(all.e);
	passgate_record_unlock(lock);
	return ret;
}
