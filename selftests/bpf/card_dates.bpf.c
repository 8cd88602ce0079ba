// SPDX-License-Identifier: GPL-2.0-only
/*
 * A stand-in for the SAM-module ID-card reader, for the kselftests: an
 * ID card's scan on @gate whose digest the test put into "cards" gets
 * the validity dates the reader would have read (PASSGATE_SCAN_F_CARD_DATES
 * and card_valid_from/until).  Attached before the policy program, it
 * runs first on the same decision (a tracepoint calls its programs in
 * the order they were attached), so the policy sees the dates as it
 * will from the reader.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include <linux/passgate.h>
#include "card_dates.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CARD_DATES_CARDS);
	__type(key, struct card_dates_key);
	__type(value, struct card_dates);
} cards SEC(".maps");

const volatile __u32 gate;

SEC("raw_tp.w/passgate_decide")
int card_dates(__u64 *ctx)
{
	struct passgate_decision *d = (void *)ctx[0];
	struct card_dates_key key;
	struct card_dates *dates;

	if (d->gate != gate || d->kind != PASSGATE_CRED_ID_CARD)
		return 0;
	/* Map helpers take no tracepoint-buffer pointer: copy to the stack. */
	__builtin_memcpy(&key, d->digest, sizeof(key));
	dates = bpf_map_lookup_elem(&cards, &key);
	if (!dates)
		return 0;
	d->flags |= PASSGATE_SCAN_F_CARD_DATES;
	d->card_valid_from = dates->valid_from;
	d->card_valid_until = dates->valid_until;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
