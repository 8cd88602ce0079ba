// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate's gate policy on the fast path ("1+1-1"): a GREEN health code
 * and the ID card bound to it, scanned on the same lane within a window
 * in either order, open the lane; everything else is decided here too, or
 * deferred to the daemon by configuration.  See docs/policy.md.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include <linux/passgate.h>
/* The list statuses and entry flags: one header, BPF-clean (types only). */
#include "common/allowlist.h"
#include "policy_maps.h"

#define NSEC_PER_SEC 1000000000ull

struct list_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct policy_key));
	__uint(value_size, sizeof(struct policy_entry));
};

/* Slot 0 holds the active generation's map; userspace swaps it whole. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct list_map);
} lists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct policy_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, POLICY_LANES);
	__type(key, __u32);
	__type(value, struct policy_lane);
} lanes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, POLICY_PASSBACK_ENTRIES);
	__type(key, struct policy_key);
	__type(value, __u64);
} passback SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, POLICY_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline int digest_eq(const __u8 *a, const __u8 *b)
{
	int i;

	for (i = 0; i < POLICY_DIGEST; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static __always_inline int digest_zero(const __u8 *a)
{
	int i;

	for (i = 0; i < POLICY_DIGEST; i++)
		if (a[i])
			return 0;
	return 1;
}

static __always_inline void decide(struct passgate_decision *d, __u32 verdict,
				   __u32 reason)
{
	__u32 idx = verdict * POLICY_REASONS + reason;
	__u64 *count;

	d->verdict = verdict;
	d->reason = reason;
	count = bpf_map_lookup_elem(&counters, &idx);
	if (count)
		__sync_fetch_and_add(count, 1);
}

static __always_inline void fallback(struct passgate_decision *d, __u32 how,
				     __u32 reason)
{
	decide(d, how == POLICY_FALLBACK_DEFER ? PASSGATE_VERDICT_DEFER :
		  PASSGATE_VERDICT_DENY, reason);
}

static __always_inline void accept(struct passgate_decision *d,
				   const struct policy_config *cfg,
				   const struct policy_key *code, __u64 now_ns)
{
	if (cfg->passback_ns)
		bpf_map_update_elem(&passback, code, &now_ns, BPF_ANY);
	d->direction = cfg->direction;
	decide(d, PASSGATE_VERDICT_ACCEPT, PASSGATE_REASON_NONE);
}

/* The code's entry decides alone, or waits for its ID card. */
static __always_inline void decide_code(struct passgate_decision *d,
					const struct policy_config *cfg,
					struct policy_lane *pl, void *list,
					const struct policy_key *key,
					__u64 now_ns, __u32 now_s)
{
	struct policy_entry *e;
	__u64 *last;

	e = bpf_map_lookup_elem(list, key);
	if (!e || e->status == POLICY_STATUS_META) {
		fallback(d, cfg->unknown, PASSGATE_REASON_UNKNOWN);
		return;
	}
	if ((e->valid_from && now_s < e->valid_from) ||
	    (e->valid_until && now_s >= e->valid_until)) {
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_NOT_VALID);
		return;
	}
	if (e->status == PASSGATE_STATUS_RED) {
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_RED);
		return;
	}
	if (e->status != PASSGATE_STATUS_GREEN) {
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_MANUAL_CHECK);
		return;
	}
	if (cfg->require_ticket && !(e->flags & PASSGATE_ENTRY_TICKET)) {
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_NO_TICKET);
		return;
	}
	if (cfg->passback_ns) {
		last = bpf_map_lookup_elem(&passback, key);
		if (last && now_ns - *last < cfg->passback_ns) {
			decide(d, PASSGATE_VERDICT_DENY,
			       PASSGATE_REASON_PASSBACK);
			return;
		}
	}
	if (digest_zero(e->id_digest)) {
		accept(d, cfg, key, now_ns);
		return;
	}

	/* The ID came first. */
	if (pl->id_ns && now_ns - pl->id_ns < cfg->pair_window_ns) {
		pl->id_ns = 0;
		if (digest_eq(pl->id_digest, e->id_digest))
			accept(d, cfg, key, now_ns);
		else
			decide(d, PASSGATE_VERDICT_DENY,
			       PASSGATE_REASON_ID_MISMATCH);
		return;
	}
	pl->code_ns = now_ns;
	__builtin_memcpy(pl->code_digest, key->digest, POLICY_DIGEST);
	__builtin_memcpy(pl->want_id, e->id_digest, POLICY_DIGEST);
	decide(d, PASSGATE_VERDICT_PENDING, PASSGATE_REASON_WAIT_ID);
}

static __always_inline void decide_id(struct passgate_decision *d,
				      const struct policy_config *cfg,
				      struct policy_lane *pl,
				      const struct policy_key *key,
				      __u64 now_ns)
{
	struct policy_key code;

	/* The code came first: is this its ID? */
	if (pl->code_ns && now_ns - pl->code_ns < cfg->pair_window_ns) {
		pl->code_ns = 0;
		if (!digest_eq(pl->want_id, key->digest)) {
			decide(d, PASSGATE_VERDICT_DENY,
			       PASSGATE_REASON_ID_MISMATCH);
			return;
		}
		__builtin_memcpy(code.digest, pl->code_digest, POLICY_DIGEST);
		accept(d, cfg, &code, now_ns);
		return;
	}
	pl->code_ns = 0;
	pl->id_ns = now_ns;
	__builtin_memcpy(pl->id_digest, key->digest, POLICY_DIGEST);
	decide(d, PASSGATE_VERDICT_PENDING, PASSGATE_REASON_WAIT_CODE);
}

SEC("raw_tp.w/passgate_decide")
int passgate_policy(__u64 *ctx)
{
	struct passgate_decision *d = (void *)ctx[0];
	struct policy_config *cfg;
	struct policy_entry *meta;
	struct policy_lane *pl;
	struct policy_key key;
	__u32 zero = 0, lane;
	__u64 now_ns, tai_ns;
	__u32 now_s;
	void *list;

	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || d->gate != cfg->gate)
		return 0;
	lane = d->lane;
	pl = bpf_map_lookup_elem(&lanes, &lane);
	if (!pl)
		return 0;

	now_ns = bpf_ktime_get_boot_ns();
	tai_ns = bpf_ktime_get_tai_ns();
	now_s = tai_ns / NSEC_PER_SEC;

	/* One lookup of the slot: this scan sees one generation only. */
	list = bpf_map_lookup_elem(&lists, &zero);
	if (!list) {
		fallback(d, cfg->degraded, PASSGATE_REASON_LIST_EXPIRED);
		return 0;
	}
	__builtin_memset(key.digest, POLICY_META_BYTE, POLICY_DIGEST);
	meta = bpf_map_lookup_elem(list, &key);
	if (!meta || now_s < meta->valid_from || now_s >= meta->valid_until) {
		fallback(d, cfg->degraded, PASSGATE_REASON_LIST_EXPIRED);
		return 0;
	}

	if (d->lane_state == PASSGATE_STATE_CLOSED) {
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_LANE_BUSY);
		return 0;
	}
	/* Screening on: a scan with no temperature is never let through. */
	if (cfg->fever_centi_c && !(d->flags & PASSGATE_SCAN_F_TEMPERATURE)) {
		fallback(d, cfg->no_temperature, PASSGATE_REASON_NO_TEMPERATURE);
		return 0;
	}
	if (cfg->fever_centi_c && d->temperature >= cfg->fever_centi_c) {
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_FEVER);
		return 0;
	}

	/* Map helpers take no tracepoint-buffer pointer: copy to the stack. */
	__builtin_memcpy(key.digest, d->digest, POLICY_DIGEST);
	if (d->kind == PASSGATE_CRED_ID_CARD)
		decide_id(d, cfg, pl, &key, now_ns);
	else
		decide_code(d, cfg, pl, list, &key, now_ns, now_s);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
