/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One gate as the overview knows it (gates.h has the whole station): the
 * fold of its rows (gate_fold.c) and its snapshot as JSON (gate_json.c).
 * Not locked here: gates.c holds its lock around every call.
 */
#ifndef PASSGATE_OVERVIEW_GATE_VIEW_H
#define PASSGATE_OVERVIEW_GATE_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/libpassgate.h"
#include "gates.h"

#define NS_PER_S 1000000000LL
#define NS_PER_MIN (60 * NS_PER_S)

enum list_holds { LIST_CODES, LIST_TICKETS, LIST_KINDS };

enum fire_state {
	FIRE_NONE,
	FIRE_ALARM,		/* lanes FREE, the inputs active */
	FIRE_CLEARED,		/* the inputs quiet; lanes FREE until a reset */
};

struct lane_view {
	uint32_t lane;
	int mode;		/* enum passgate_lane_mode; -1 not known */
	uint32_t alarms;	/* enum passgate_alarm, latched until a reset */
	int64_t alarm_ns;	/* the latest alarm's stored_ns */
	uint32_t offline;	/* a bit per enum passgate_reader */
};

struct list_view {
	uint64_t generation;	/* 0: none activated */
	uint64_t expires_at;	/* unix seconds, 0: not said */
	uint32_t flags;		/* PASSGATE_CLAIM_* */
	bool expired;		/* LIST_EXPIRED of this generation since */
};

/* What a window keeps of a verdict; numbers past the names: "?". */
#define VERDICTS_NAMED 4
#define REASON_UNNAMED PASSGATE_REASON_COUNT
#define LATENCY_NONE UINT32_MAX

struct verdict_sample {
	int64_t stored_ns;
	uint32_t latency_us;	/* LATENCY_NONE: the record has no stamps */
	uint8_t verdict;	/* VERDICTS_NAMED: another */
	uint8_t reason;		/* REASON_UNNAMED: another, or none said */
};

struct gate_view {
	char name[33];
	enum gate_status status;
	bool in_db;
	uint64_t pos;		/* folded up to here, the database's head */
	int64_t verified_at;	/* when the head last moved, unix seconds */
	struct list_view lists[LIST_KINDS];
	enum fire_state fire;
	uint32_t fire_bits;
	int64_t fire_ns;
	int gate_mode;		/* enum passgate_gate_mode; -1 not known */
	struct lane_view lanes[GATE_LANES_MAX];
	size_t nlanes;
	bool lanes_full;	/* logged once */
	struct verdict_sample ring[GATE_VERDICTS_MAX];
	size_t first, count;
	char *json;		/* the snapshot last pushed */
};

/* A gate called @name that knows nothing yet. */
void gate_view_init(struct gate_view *g, const char *name);
/* Forget what its rows said (before it is read whole again). */
void gate_view_forget(struct gate_view *g);
/* Fold one row, the next in position order, into @g. */
void gate_view_fold(struct gate_view *g, const struct overview_row *r);
/*
 * Its snapshot at @now (CLOCK_REALTIME ns) with verdicts of the last
 * @window_min minutes, NUL-terminated JSON (free it); NULL without
 * memory.  One call at a time (it shares its buffers).
 */
char *gate_view_json(struct gate_view *g, unsigned int window_min,
		     int64_t now);

#endif
