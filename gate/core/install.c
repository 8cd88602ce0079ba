// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/passgate.h>

#include "gate/core/install.h"
#include "gate/core/kept.h"
#include "common/minisign.h"
#include "gate/core/state.h"

struct install_reader {
	struct passgate_listfile *list;
	char *err;
	size_t errlen;
};

static ssize_t install_next(void *ctx, void *buf, size_t max)
{
	struct install_reader *r = ctx;

	return passgate_listfile_read_entries(r->list, buf, max, r->err,
					      r->errlen);
}

enum passgate_refusal
passgate_install_check_station(const struct passgate_config *cfg,
			       const struct passgate_list_info *info,
			       char *err, size_t errlen)
{
	/* Signed with the header: a named station is this gate's or none. */
	if (info->station[0] && strcmp(info->station, cfg->station)) {
		snprintf(err, errlen, "%sgeneration %" PRIu64 " is for station "
			 "\"%s\", this gate is at \"%s\"",
			 info->holds == PASSGATE_LIST_TICKETS ? "ticket " : "",
			 info->generation, info->station, cfg->station);
		return PASSGATE_REFUSED_STATION;
	}
	return PASSGATE_REFUSED_NONE;
}

/*
 * The checks that need the gate's own state, in the order they matter.
 * Each one fails closed: what cannot be checked refuses the list.  A
 * list is held to the record and the active generation of its own kind
 * (what its signed header says it holds): a ticket list never rolls back
 * the health codes, nor the reverse.
 */
static enum passgate_refusal install_admissible(const struct passgate_config *cfg,
						struct passgate_policy *policy,
						const struct passgate_list_info *info,
						char *err, size_t errlen)
{
	struct passgate_policy_active active;
	struct passgate_record rec;
	/* Messages name the kind: its generations are its own. */
	const char *gen = info->holds == PASSGATE_LIST_TICKETS ?
			  "ticket generation" : "generation";
	uint64_t now = time(NULL);
	enum passgate_refusal refusal;
	bool has_active;

	refusal = passgate_install_check_station(cfg, info, err, errlen);
	if (refusal != PASSGATE_REFUSED_NONE)
		return refusal;
	switch (passgate_listfile_window(info, now, err, errlen)) {
	case PASSGATE_LIST_PAST_EXPIRY:
		return PASSGATE_REFUSED_EXPIRED;
	case PASSGATE_LIST_BEFORE_NOT_BEFORE:
		return PASSGATE_REFUSED_NOT_YET_VALID;
	case PASSGATE_LIST_IN_WINDOW:
		break;
	}
	/*
	 * Without the record no generation can be told old: every list is
	 * refused until an operator seeds it (passgatectl seed-generation).
	 */
	if (passgate_record_read_list(cfg->state_dir, cfg->gate, info->holds,
				      &rec)) {
		snprintf(err, errlen, "the %sgeneration record of gate %u in "
			 "%s is %s: no list is taken until an operator seeds "
			 "it (passgatectl seed-generation%s)",
			 info->holds == PASSGATE_LIST_TICKETS ? "ticket " : "",
			 cfg->gate, cfg->state_dir, errno == ENOENT ?
			 "missing" : "unreadable",
			 info->holds == PASSGATE_LIST_TICKETS ? " --tickets" :
			 "");
		return PASSGATE_REFUSED_NO_RECORD;
	}
	if (info->generation <= rec.generation) {
		snprintf(err, errlen, "%s %" PRIu64
			 " is not above the last accepted, %" PRIu64, gen,
			 info->generation, rec.generation);
		return PASSGATE_REFUSED_ROLLBACK;
	}
	/*
	 * Whatever the record says, never older than what the kernel runs;
	 * and when what it runs cannot be read, nothing is taken.
	 */
	has_active = !passgate_policy_active_list(policy, info->holds, &active);
	if (!has_active && errno != ENOENT) {
		snprintf(err, errlen, "the generation active in the kernel "
			 "cannot be read (%s): nothing is taken",
			 strerror(errno));
		return PASSGATE_REFUSED_LOAD;
	}
	if (has_active && info->generation <= active.generation) {
		snprintf(err, errlen, "%s %" PRIu64
			 " is not above %s %" PRIu64 ", active in the kernel",
			 gen, info->generation, gen, active.generation);
		return PASSGATE_REFUSED_ROLLBACK;
	}
	if (info->kind != PASSGATE_LIST_DELTA)
		return PASSGATE_REFUSED_NONE;
	if (!has_active) {
		snprintf(err, errlen, "delta on %s %" PRIu64
			 ", but no %s is active", gen, info->base_generation,
			 gen);
		return PASSGATE_REFUSED_BASE;
	}
	if (active.generation != info->base_generation) {
		snprintf(err, errlen, "delta on %s %" PRIu64
			 ", but %s %" PRIu64 " is active", gen,
			 info->base_generation, gen, active.generation);
		return PASSGATE_REFUSED_BASE;
	}
	return PASSGATE_REFUSED_NONE;
}

static void install_note(struct passgate_gate *gate, unsigned int type,
			 unsigned int arg, const struct passgate_list_info *info,
			 uint32_t flags)
{
	struct passgate_list_claim claim = { .flags = flags };

	if (info->holds == PASSGATE_LIST_TICKETS)
		claim.flags |= PASSGATE_CLAIM_TICKETS;
	memcpy(claim.station, info->station,
	       strnlen(info->station, sizeof(claim.station)));
	if (type == PASSGATE_EV_LIST_ACTIVATED)
		claim.expires_at = info->expires_at;
	passgate_gate_note(gate, type, arg, info->generation, &claim,
			   sizeof(claim));
}

int passgate_install_list(const struct passgate_config *cfg,
			  struct passgate_policy *policy,
			  struct passgate_gate *gate,
			  const char *path, struct passgate_list_info *info,
			  enum passgate_refusal *refusal, char *err,
			  size_t errlen)
{
	struct install_reader reader = { .err = err, .errlen = errlen };
	struct passgate_list_info claimed;
	struct passgate_trust *trust;
	struct passgate_record rec;
	int lock, ret = -1, saved = EINVAL;
	char kept_err[512];
	bool kept = true;

	memset(info, 0, sizeof(*info));
	*refusal = PASSGATE_REFUSED_UNVERIFIED;
	lock = passgate_record_lock(cfg->state_dir, cfg->gate);
	if (lock < 0) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", cfg->state_dir, strerror(saved));
		*refusal = PASSGATE_REFUSED_LOAD;
		goto out;
	}
	trust = passgate_trust_open(cfg->trust_dir, err, errlen);
	if (!trust)
		goto out_unlock;
	reader.list = passgate_listfile_open(path, NULL, trust,
					     cfg->max_list_bytes, err, errlen);
	passgate_trust_free(trust);
	if (!reader.list)
		goto out_unlock;
	*info = *passgate_listfile_info(reader.list);

	*refusal = install_admissible(cfg, policy, info, err, errlen);
	if (*refusal != PASSGATE_REFUSED_NONE)
		goto out_close;

	if (passgate_policy_load(policy, info, cfg->station, install_next,
				 &reader)) {
		saved = errno;
		/* The reader leaves its own message when the file changed. */
		if (*passgate_policy_error(policy))
			snprintf(err, errlen, "loading generation %" PRIu64
				 ": %s", info->generation,
				 passgate_policy_error(policy));
		else if (!strstr(err, "file:"))
			snprintf(err, errlen, "loading generation %" PRIu64
				 ": %s", info->generation, strerror(saved));
		*refusal = PASSGATE_REFUSED_LOAD;
		goto out_close;
	}

	/*
	 * Kept before the record names it, for the restart that finds the
	 * maps empty (gate/core/kept.h).  Not kept is no refusal: the list
	 * is active, and only a restart would miss it.
	 */
	if (passgate_kept_store(cfg, path, info, kept_err, sizeof(kept_err)))
		kept = false;

	rec.generation = info->generation;
	memcpy(rec.key_id, info->key_id, sizeof(rec.key_id));
	rec.expires_at = info->expires_at;
	/* Active now; the record only ever follows what was swapped in. */
	if (passgate_record_write_list(cfg->state_dir, cfg->gate, info->holds,
				       &rec)) {
		saved = errno;
		snprintf(err, errlen, "generation %" PRIu64
			 " is active but its record failed: %s",
			 info->generation, strerror(saved));
		*refusal = PASSGATE_REFUSED_NONE;
		goto out_close;
	}
	passgate_kept_prune(cfg, info->holds, info->generation);
	err[0] = '\0';
	if (!kept)
		snprintf(err, errlen, "generation %" PRIu64 " is active but "
			 "not kept for a restart: %s", info->generation,
			 kept_err);
	ret = 0;
out_close:
	passgate_listfile_close(reader.list);
out_unlock:
	passgate_record_unlock(lock);
out:
	/*
	 * Which list: its generation and station, as verified, or as an
	 * unverified header claims them (marked so).
	 */
	if (gate && ret && *refusal == PASSGATE_REFUSED_UNVERIFIED) {
		if (passgate_listfile_peek(path, &claimed))
			memset(&claimed, 0, sizeof(claimed));
		install_note(gate, PASSGATE_EV_LIST_REFUSED, *refusal, &claimed,
			     PASSGATE_CLAIM_UNVERIFIED);
	} else if (gate && ret && *refusal != PASSGATE_REFUSED_NONE) {
		install_note(gate, PASSGATE_EV_LIST_REFUSED, *refusal, info, 0);
	} else if (gate && !ret) {
		install_note(gate, PASSGATE_EV_LIST_ACTIVATED, info->kind, info,
			     0);
	}
	errno = ret ? saved : 0;
	return ret;
}
