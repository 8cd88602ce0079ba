// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small fast-path program for the kselftests: verdicts come from a table
 * the test fills, keyed by digest; unknown digests are DENY(UNKNOWN).
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include <linux/passgate.h>
#include "decide_test.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct decide_test_key);
	__type(value, struct decide_test_verdict);
} verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DECIDE_TEST_LANES);
	__type(key, __u32);
	__type(value, struct decide_test_pending);
} pending SEC(".maps");

__u64 decisions;
/*
 * When set, the program writes 0xa5 over every byte of its context and
 * leaves this verdict (DEFER or ACCEPT, exit), as a buggy or hostile
 * policy might: the module must use none of what it overwrote.
 */
__u32 scribble;
__u32 scribble_verdict;

static __always_inline int same_digest(const __u8 *a, const __u8 *b)
{
	int i;

	for (i = 0; i < 32; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

SEC("raw_tp.w/passgate_decide")
int decide(__u64 *ctx)
{
	struct passgate_decision *d = (void *)ctx[0];
	struct decide_test_verdict *v;
	struct decide_test_pending *p;
	struct decide_test_key key;
	__u32 lane = d->lane;

	__sync_fetch_and_add(&decisions, 1);
	if (scribble) {
		__u64 *w = (__u64 *)d;

		/* Constant offsets: the verifier checks each against the size. */
#pragma unroll
		for (int i = 0; i < sizeof(*d) / sizeof(*w); i++)
			w[i] = 0xa5a5a5a5a5a5a5a5ull;
		d->verdict = scribble_verdict;
		d->reason = PASSGATE_REASON_NONE;
		d->direction = PASSGATE_DIR_EXIT;
		return 0;
	}
	/* Map helpers take no tracepoint-buffer pointer: copy to the stack. */
	__builtin_memcpy(&key, d->digest, sizeof(key));
	p = bpf_map_lookup_elem(&pending, &lane);

	if (d->kind == PASSGATE_CRED_ID_CARD && p && p->set &&
	    same_digest(p->id_digest, key.digest)) {
		p->set = 0;
		d->verdict = PASSGATE_VERDICT_ACCEPT;
		d->direction = p->direction;
		return 0;
	}

	v = bpf_map_lookup_elem(&verdicts, &key);
	if (!v) {
		d->verdict = PASSGATE_VERDICT_DENY;
		d->reason = PASSGATE_REASON_UNKNOWN;
		return 0;
	}
	if (v->needs_id && p) {
		__builtin_memcpy(p->id_digest, v->id_digest, 32);
		p->direction = v->direction;
		p->set = 1;
		d->verdict = PASSGATE_VERDICT_PENDING;
		d->reason = PASSGATE_REASON_WAIT_ID;
		return 0;
	}
	d->verdict = v->verdict;
	d->reason = v->reason;
	d->direction = v->direction;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
