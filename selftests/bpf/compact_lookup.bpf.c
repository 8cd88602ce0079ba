// SPDX-License-Identifier: GPL-2.0-only
/*
 * The compact list's lookup (common/compactlist.h) as the policy program
 * will run it: the inner map of an array of maps, read an element at a
 * time.  Built with every `make`, so that the shared lookup stays
 * something clang compiles for BPF.  A syscall program, so that a test
 * can run it (BPF_PROG_TEST_RUN) on arrays the host builder filled: the
 * guest test comes with the loader that makes such arrays.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include "compact_lookup.h"

/* Each generation its own size: BPF_F_INNER_MAP. */
struct compact_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, COMPACT_ELEM_SIZE);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct compact_map);
} lists SEC(".maps");

SEC("syscall")
int compact_lookup(struct compact_lookup_args *args)
{
	const struct compact_head *head;
	const struct compact_entry *e;
	struct compact_source src;
	struct compact_view view;
	__u8 digest[PASSGATE_LIST_DIGEST];
	__u32 slot = 0;

	src.map = bpf_map_lookup_elem(&lists, &slot);
	if (!src.map) {
		args->found = -1;
		return 0;
	}
	head = compact_head_read(&src);
	if (!head) {
		args->found = -2;
		return 0;
	}
	__builtin_memcpy(digest, args->digest, sizeof(digest));
	e = compact_search(&src, head, digest);
	if (!e) {
		args->found = 0;
		return 0;
	}
	compact_entry_decode(head, e, &view);
	args->view = view;
	args->found = 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
