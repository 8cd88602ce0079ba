// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate's gate policy on the fast path ("1+1-1"): a GREEN health code
 * and the ID card bound to it, scanned on the same lane within a window
 * in either order, open the lane; with ticket checking on, the ID card
 * must also hold a ticket to this station for now, which the exit uses
 * up.  Everything else is decided here too, or deferred to the daemon by
 * configuration.  See docs/policy.md.
 *
 * Health codes are read in the compact layout (common/compactlist.h,
 * docs/list-layout.md): a base array and an overlay over it, in the
 * two slots of "codes".  Built with -DPOLICY_LAYOUT_HASH, the program
 * reads them from a hash map in slot 0 of "lists" instead, as passgate
 * did before: the baseline make bench compares against.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <asm-generic/errno-base.h>
#include <bpf/bpf_helpers.h>

#include <linux/passgate.h>
/* The list statuses and entry flags: one header, BPF-clean (types only). */
#include "common/allowlist.h"
#ifndef POLICY_LAYOUT_HASH
#include "common/compactlist.h"
#endif
#include "policy_maps.h"

#define NSEC_PER_SEC 1000000000ull

struct list_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct policy_key));
	__uint(value_size, sizeof(struct policy_entry));
};

/*
 * Slot 1 holds the active ticket generation's map; slot 0 the health
 * codes' in the hash layout (unused in the compact one).  Userspace
 * swaps each whole, on its own.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, POLICY_LIST_SLOTS);
	__type(key, __u32);
	__array(values, struct list_map);
} lists SEC(".maps");

/* Tickets used here: a second exit on one is TICKET_USED. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, POLICY_TICKET_USES);
	__type(key, struct policy_ticket_key);
	__type(value, struct policy_ticket_use);
} ticket_uses SEC(".maps");

/* Each use, for the daemon to keep across a reboot. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, POLICY_TICKET_LOG_BYTES);
} ticket_log SEC(".maps");

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

#ifdef POLICY_LAYOUT_HASH
static __always_inline int digest_zero(const __u8 *a)
{
	int i;

	for (i = 0; i < POLICY_DIGEST; i++)
		if (a[i])
			return 0;
	return 1;
}
#endif

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

static __always_inline int outside(__u32 from, __u32 until, __u32 now_s)
{
	return (from && now_s < from) || (until && now_s >= until);
}

/* A list map usable now, in the slot of its kind: its own entry says. */
static __always_inline int usable(void *list, __u8 holds, __u32 now_s)
{
	struct policy_entry *meta;
	struct policy_key key;

	if (!list)
		return 0;
	__builtin_memset(key.digest, POLICY_META_BYTE, POLICY_DIGEST);
	meta = bpf_map_lookup_elem(list, &key);
	return meta && meta->status == POLICY_STATUS_META &&
	       meta->flags == holds && now_s >= meta->valid_from &&
	       now_s < meta->valid_until;
}

/*
 * A health code's entry as the program decides by it, in either layout:
 * status, PASSGATE_ENTRY_* flags, validity (CLOCK_TAI seconds, 0: no
 * bound), and the bound ID card's digest, of which POLICY_ID_MATCH
 * bytes are compared (the rest zero).
 */
struct code_entry {
	__u8 status;
	__u8 flags;
	__u8 has_id;
	__u8 reserved;
	__u32 valid_from;
	__u32 valid_until;
	__u8 id[POLICY_DIGEST];
};

#ifdef POLICY_LAYOUT_HASH
#define POLICY_ID_MATCH POLICY_DIGEST

/* The generation a scan decides by: the map of slot 0, usable now. */
struct codes_now {
	void *list;
};

static __always_inline int codes_open(struct codes_now *c, __u32 now_s)
{
	__u32 slot = POLICY_SLOT_CODES;

	c->list = bpf_map_lookup_elem(&lists, &slot);
	return usable(c->list, PASSGATE_LIST_CODES, now_s);
}

static __always_inline int code_find(const struct codes_now *c,
				     const struct policy_key *key,
				     struct code_entry *out)
{
	struct policy_entry *e = bpf_map_lookup_elem(c->list, key);

	if (!e || e->status == POLICY_STATUS_META)
		return 0;
	out->status = e->status;
	out->flags = e->flags;
	out->has_id = !digest_zero(e->id_digest);
	out->valid_from = e->valid_from;
	out->valid_until = e->valid_until;
	__builtin_memcpy(out->id, e->id_digest, POLICY_DIGEST);
	return 1;
}
#else
/* An entry keeps the first 8 bytes of its card's digest (compact_id()). */
#define POLICY_ID_MATCH COMPACT_ID_BYTES

/* Each generation its own size: BPF_F_INNER_MAP. */
struct compact_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, COMPACT_ELEM_SIZE);
};

/*
 * The health codes: slot POLICY_CODES_BASE a full generation, slot
 * POLICY_CODES_OVERLAY the deltas since, valid only over the base it
 * names.  Both immutable; userspace swaps each whole.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, POLICY_CODES_SLOTS);
	__type(key, __u32);
	__array(values, struct compact_map);
} codes SEC(".maps");

/* The generation a scan decides by: one base, its overlay or none. */
struct codes_now {
	struct compact_source base;
	struct compact_source overlay;
	const struct compact_head *head;
	const struct compact_overlay_head *ov;
};

/*
 * One lookup of each slot: the scan sees one base and one overlay.  An
 * overlay counts only over the base it was built on; then its head says
 * when the list is usable, else the base's.
 */
static __always_inline int codes_open(struct codes_now *c, __u32 now_s)
{
	__u32 base = POLICY_CODES_BASE, over = POLICY_CODES_OVERLAY;
	const struct compact_overlay_info *oi;
	const struct compact_overlay_head *oh;
	const struct compact_info *bi;
	__u32 nb, ex;

	c->ov = 0;
	c->base.map = bpf_map_lookup_elem(&codes, &base);
	if (!c->base.map)
		return 0;
	c->head = compact_head_read(&c->base);
	if (!c->head)
		return 0;
	nb = c->head->not_before;
	ex = c->head->expires_at;
	c->overlay.map = bpf_map_lookup_elem(&codes, &over);
	if (c->overlay.map) {
		oh = compact_overlay_head_read(&c->overlay);
		oi = oh ? compact_elem(&c->overlay, 1) : 0;
		bi = oi ? compact_elem(&c->base, 1) : 0;
		if (bi && oi->base_generation == bi->generation) {
			c->ov = oh;
			nb = oh->not_before;
			ex = oh->expires_at;
		}
	}
	return now_s >= nb && now_s < ex;
}

/* The overlay's word first (a tombstone: not on the list), the base's. */
static __always_inline int code_find(const struct codes_now *c,
				     const struct policy_key *key,
				     struct code_entry *out)
{
	const struct compact_entry *e;
	struct compact_view v;

	if (c->ov && compact_overlay_find(&c->overlay, c->ov, key->digest,
					  &v)) {
		if (v.status == PASSGATE_STATUS_REMOVE)
			return 0;
	} else {
		e = compact_search(&c->base, c->head, key->digest);
		if (!e)
			return 0;
		compact_entry_decode(c->head, e, &v);
	}
	out->status = v.status;
	out->flags = v.flags;
	out->has_id = v.has_id;
	out->valid_from = v.valid_from;
	out->valid_until = v.valid_until;
	__builtin_memset(out->id, 0, POLICY_DIGEST);
	__builtin_memcpy(out->id, &v.id, COMPACT_ID_BYTES);
	return 1;
}
#endif

/* The ID card the entry binds, as far as the entry keeps it. */
static __always_inline int id_match(const __u8 *a, const __u8 *b)
{
	int i;

	for (i = 0; i < POLICY_ID_MATCH; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
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

/*
 * The ID card @id's ticket, for this station and now, used up; else the
 * denial.  Returns 1 when the exit may go on.
 */
static __always_inline int use_ticket(struct passgate_decision *d,
				      void *tickets, const __u8 *id,
				      __u32 now_s)
{
	struct policy_ticket_record rec;
	struct policy_entry *t;
	struct policy_key key;
	long err;

	__builtin_memcpy(key.digest, id, POLICY_DIGEST);
	t = bpf_map_lookup_elem(tickets, &key);
	if (!t || t->status != PASSGATE_TICKET_ISSUED ||
	    !(t->flags & POLICY_TICKET_HERE)) {
		decide(d, PASSGATE_VERDICT_DENY,
		       PASSGATE_REASON_FARE_ADJUSTMENT);
		return 0;
	}
	__builtin_memcpy(rec.key.id_digest, id, POLICY_DIGEST);
	__builtin_memcpy(rec.key.ticket, t->ticket, POLICY_TICKET_NUMBER);
	if ((t->flags & POLICY_TICKET_USED) ||
	    bpf_map_lookup_elem(&ticket_uses, &rec.key)) {
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_TICKET_USED);
		return 0;
	}
	if (outside(t->valid_from, t->valid_until, now_s)) {
		decide(d, PASSGATE_VERDICT_DENY,
		       PASSGATE_REASON_FARE_ADJUSTMENT);
		return 0;
	}
	rec.use.used_at = now_s;
	rec.use.valid_until = t->valid_until;
	/* Two lanes at once: one of them finds it taken. */
	err = bpf_map_update_elem(&ticket_uses, &rec.key, &rec.use,
				  BPF_NOEXIST);
	if (err) {
		decide(d, PASSGATE_VERDICT_DENY, err == -EEXIST ?
		       PASSGATE_REASON_TICKET_USED :
		       PASSGATE_REASON_FARE_ADJUSTMENT);
		return 0;
	}
	bpf_ringbuf_output(&ticket_log, &rec, sizeof(rec), 0);
	return 1;
}

/*
 * Code @code and its ID card @id are here: with its ticket, if needed.
 * A lane still unlocked for someone else would turn the ACCEPT into
 * LANE_BUSY: no ticket is used for an exit that cannot happen.
 */
static __always_inline void exit_paired(struct passgate_decision *d,
					const struct policy_config *cfg,
					void *tickets,
					const struct policy_key *code,
					const __u8 *id, __u64 now_ns,
					__u32 now_s)
{
	if (tickets && d->lane_state == PASSGATE_STATE_UNLOCKED) {
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_LANE_BUSY);
		return;
	}
	if (tickets && !use_ticket(d, tickets, id, now_s))
		return;
	accept(d, cfg, code, now_ns);
}

/* The code's entry decides alone, or waits for its ID card. */
static __always_inline void decide_code(struct passgate_decision *d,
					const struct policy_config *cfg,
					struct policy_lane *pl,
					const struct codes_now *list,
					void *tickets,
					const struct policy_key *key,
					__u64 now_ns, __u32 now_s)
{
	struct code_entry e;
	__u64 *last;

	if (!code_find(list, key, &e)) {
		fallback(d, cfg->unknown, PASSGATE_REASON_UNKNOWN);
		return;
	}
	if (outside(e.valid_from, e.valid_until, now_s)) {
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_NOT_VALID);
		return;
	}
	if (e.status == PASSGATE_STATUS_RED) {
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_RED);
		return;
	}
	if (e.status != PASSGATE_STATUS_GREEN) {
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_MANUAL_CHECK);
		return;
	}
	if (cfg->require_ticket && !(e.flags & PASSGATE_ENTRY_TICKET)) {
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
	if (!e.has_id) {
		/* No ID card, no ticket: to the manual lane. */
		if (tickets)
			decide(d, PASSGATE_VERDICT_DENY,
			       PASSGATE_REASON_FARE_ADJUSTMENT);
		else
			accept(d, cfg, key, now_ns);
		return;
	}

	/*
	 * The ID came first: its digest, as scanned in full, goes on to
	 * the ticket check.
	 */
	if (pl->id_ns && now_ns - pl->id_ns < cfg->pair_window_ns) {
		pl->id_ns = 0;
		if (id_match(pl->id_digest, e.id))
			exit_paired(d, cfg, tickets, key, pl->id_digest,
				    now_ns, now_s);
		else
			decide(d, PASSGATE_VERDICT_DENY,
			       PASSGATE_REASON_ID_MISMATCH);
		return;
	}
	pl->code_ns = now_ns;
	__builtin_memcpy(pl->code_digest, key->digest, POLICY_DIGEST);
	__builtin_memcpy(pl->want_id, e.id, POLICY_DIGEST);
	decide(d, PASSGATE_VERDICT_PENDING, PASSGATE_REASON_WAIT_ID);
}

/* An ID card read with its dates, past its last day (a SAM reader's). */
static __always_inline int card_expired(const struct passgate_decision *d,
					const struct policy_config *cfg,
					__u32 now_s)
{
	__u32 until = d->card_valid_until;

	return (d->flags & PASSGATE_SCAN_F_CARD_DATES) && until &&
	       now_s >= (__u64)until + cfg->tai_offset_s;
}

static __always_inline void decide_id(struct passgate_decision *d,
				      const struct policy_config *cfg,
				      struct policy_lane *pl, void *tickets,
				      const struct policy_key *key,
				      __u64 now_ns, __u32 now_s)
{
	struct policy_key code;

	/* Refused, and no half of a pairing is left waiting for it. */
	if (card_expired(d, cfg, now_s)) {
		pl->code_ns = 0;
		pl->id_ns = 0;
		decide(d, PASSGATE_VERDICT_DENY, PASSGATE_REASON_ID_EXPIRED);
		return;
	}

	/* The code came first: is this its ID? */
	if (pl->code_ns && now_ns - pl->code_ns < cfg->pair_window_ns) {
		pl->code_ns = 0;
		if (!id_match(pl->want_id, key->digest)) {
			decide(d, PASSGATE_VERDICT_DENY,
			       PASSGATE_REASON_ID_MISMATCH);
			return;
		}
		__builtin_memcpy(code.digest, pl->code_digest, POLICY_DIGEST);
		exit_paired(d, cfg, tickets, &code, key->digest, now_ns, now_s);
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
	__u32 slot = POLICY_SLOT_TICKETS;
	struct codes_now list;
	void *tickets = NULL;
	struct policy_config *cfg;
	struct policy_lane *pl;
	struct policy_key key;
	__u32 zero = 0, lane;
	__u64 now_ns, tai_ns;
	__u32 now_s;

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

	/* One lookup of each slot: this scan sees one generation of each. */
	if (!codes_open(&list, now_s)) {
		fallback(d, cfg->degraded, PASSGATE_REASON_LIST_EXPIRED);
		return 0;
	}
	if (cfg->ticket == POLICY_TICKET_ID_CARD) {
		tickets = bpf_map_lookup_elem(&lists, &slot);
		if (!usable(tickets, PASSGATE_LIST_TICKETS, now_s)) {
			fallback(d, cfg->degraded,
				 PASSGATE_REASON_LIST_EXPIRED);
			return 0;
		}
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
		decide_id(d, cfg, pl, tickets, &key, now_ns, now_s);
	else
		decide_code(d, cfg, pl, &list, tickets, &key, now_ns, now_s);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
