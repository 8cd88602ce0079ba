/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What `passgatectl top` shows, kept apart from the screen: the gate and
 * its lanes as their nodes report them, and what the event stream said
 * lately (verdicts, passages, scan-to-unlock times, readers, lists).
 */
#ifndef PASSGATECTL_TOP_MODEL_H
#define PASSGATECTL_TOP_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/passgate.h>

#define TOP_LANES_MAX 16
#define TOP_READERS 3		/* enum passgate_reader */
#define TOP_VERDICTS 8		/* the last verdicts shown */
#define TOP_PASSAGES 1024	/* passage times kept, all lanes */
#define TOP_SAMPLES 4096	/* scan-to-unlock times kept */
#define TOP_RATE_WINDOW_NS (60ULL * 1000000000ULL)
#define TOP_LATENCY_WINDOW_NS (300ULL * 1000000000ULL)
/* The norm a passenger's exit check is held to: scan to open in 2 s. */
#define TOP_NORM_NS (2000ULL * 1000000ULL)

enum top_reader_state {
	TOP_READER_UNHEARD,	/* no event about it in the stream seen */
	TOP_READER_ONLINE,
	TOP_READER_OFFLINE,
};

struct top_verdict {
	uint64_t time_ns;	/* CLOCK_BOOTTIME, as events carry it */
	unsigned int lane;
	unsigned int verdict;
	unsigned int reason;
	uint64_t latency_ns;	/* scan to unlock (ACCEPT) or to verdict */
	bool fast;
};

struct top_lane {
	bool present;
	struct passgate_state st;
	unsigned char reader[TOP_READERS];
};

/* A list as the stream or the policy told it; generation 0: none known. */
struct top_list {
	uint64_t generation;
	int64_t expires_at;	/* unix seconds; 0: not known */
	bool expired;		/* a LIST_EXPIRED after its activation */
};

struct top_model {
	unsigned int gate;
	struct passgate_gate_state gst;
	struct top_lane lane[TOP_LANES_MAX];
	struct top_list codes, tickets;
	struct top_verdict verdict[TOP_VERDICTS];
	unsigned int verdicts;		/* all seen; the last ones kept */
	struct {
		uint64_t time_ns;
		unsigned int lane;
	} passage[TOP_PASSAGES];
	unsigned int passages;
	struct {
		uint64_t time_ns;
		uint64_t latency_ns;
	} sample[TOP_SAMPLES];
	unsigned int samples;
	uint64_t events;		/* events taken in */
	uint64_t missed;		/* events the ring lost before we read */
};

/* Take one event of the gate's stream into @m. */
void top_model_event(struct top_model *m, const struct passgate_event *ev);

/* Passages of @lane within the minute before @now_ns. */
unsigned int top_model_passages(const struct top_model *m, unsigned int lane,
				uint64_t now_ns);

/*
 * Scan-to-unlock quantile @permille (500: p50) of the unlocks within
 * TOP_LATENCY_WINDOW_NS before @now_ns into *@out; the number of them
 * (0: *@out untouched).
 */
unsigned int top_model_latency(const struct top_model *m, uint64_t now_ns,
			       unsigned int permille, uint64_t *out);

/* The code list degraded (expired) at unix time @now. */
bool top_model_degraded(const struct top_model *m, int64_t now);

#endif
