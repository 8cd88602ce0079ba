/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * passgate: the fast path's hook, a writable raw tracepoint.  A BPF
 * program attached with SEC("raw_tp.w/passgate_decide") may write into
 * the whole struct passgate_decision it is given: a copy made for that one
 * call, of which the module takes back only the out fields (verdict,
 * reason, direction).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM passgate

#if !defined(_PASSGATE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PASSGATE_TRACE_H

#include <linux/tracepoint.h>
#include <linux/passgate.h>

/* DECLARE_TRACE_WRITABLE exists only in the BPF pass (as in nbd.h). */
#undef PASSGATE_DECLARE_TRACE
#ifdef DECLARE_TRACE_WRITABLE
#define PASSGATE_DECLARE_TRACE(call, proto, args, size) \
	DECLARE_TRACE_WRITABLE(call, PARAMS(proto), PARAMS(args), size)
#else
#define PASSGATE_DECLARE_TRACE(call, proto, args, size) \
	DECLARE_TRACE(call, PARAMS(proto), PARAMS(args))
#endif

PASSGATE_DECLARE_TRACE(passgate_decide,
	TP_PROTO(struct passgate_decision *decision),
	TP_ARGS(decision),
	sizeof(struct passgate_decision));

/* Every verdict, for ftrace and perf; digests and tokens stay out. */
TRACE_EVENT(passgate_verdict,
	TP_PROTO(u32 gate, u32 lane, u64 scan_id, u32 verdict, u32 reason,
		 u64 latency_ns),
	TP_ARGS(gate, lane, scan_id, verdict, reason, latency_ns),
	TP_STRUCT__entry(
		__field(u32, gate)
		__field(u32, lane)
		__field(u64, scan_id)
		__field(u32, verdict)
		__field(u32, reason)
		__field(u64, latency_ns)
	),
	TP_fast_assign(
		__entry->gate = gate;
		__entry->lane = lane;
		__entry->scan_id = scan_id;
		__entry->verdict = verdict;
		__entry->reason = reason;
		__entry->latency_ns = latency_ns;
	),
	TP_printk("gate=%u lane=%u scan=%llu verdict=%u reason=%u latency_ns=%llu",
		  __entry->gate, __entry->lane, __entry->scan_id,
		  __entry->verdict, __entry->reason, __entry->latency_ns)
);

#endif /* _PASSGATE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE passgate_trace
#include <trace/define_trace.h>
