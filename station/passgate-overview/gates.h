/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the overview knows of every gate of the station (one gate, its
 * fold and its snapshot: gate_view.h).  Rows come from the collector's
 * database (verified there), the status from the broker (its TLS and
 * ACL: only the gate's own identity publishes it).  Each gate keeps its
 * last snapshot as JSON; a snapshot that changes is pushed to the feed
 * as one message, "event: gate".  Thread-safe: the main thread folds
 * rows and ticks, the broker's thread sets statuses, the web server's
 * threads read.
 */
#ifndef PASSGATE_OVERVIEW_GATES_H
#define PASSGATE_OVERVIEW_GATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed.h"

/* At most this many gates, lanes per gate and verdicts per window. */
#define GATES_MAX 1024
#define GATE_LANES_MAX 64
#define GATE_VERDICTS_MAX 4096

/**
 * struct overview_row - one row of the collector's overview_events view
 * @pos: the gate's journal position
 * @type: &enum passgate_event_type (-1: a name lib/names.c does not know)
 * @lane: the lane, -1 for a gate-wide event
 * @arg, @value: the event's
 * @stored_ns: when the gate journaled it (its CLOCK_REALTIME)
 * @has_data: @data is there (the view gives it for verdicts and lists)
 * @data: the event's data
 */
struct overview_row {
	uint64_t pos;
	int type;
	int64_t lane;
	uint32_t arg;
	uint64_t value;
	int64_t stored_ns;
	bool has_data;
	uint8_t data[32];
};

enum gate_status {
	GATE_STATUS_UNKNOWN,	/* no retained status, or no broker */
	GATE_STATUS_ONLINE,
	GATE_STATUS_OFFLINE,
};

struct gates;

/* @window_min: the verdict statistics' window, minutes. */
struct gates *gates_new(const char *station, unsigned int window_min);
void gates_free(struct gates *gs);
struct feed *gates_feed(struct gates *gs);

/* The broker's news: a gate's status (creating the gate), the link. */
void gates_set_status(struct gates *gs, const char *name,
		      enum gate_status status);
void gates_set_broker(struct gates *gs, bool connected);
void gates_set_database(struct gates *gs, bool connected);

/*
 * Where @name's rows were folded up to (0 and false when the gate is not
 * known from the database).
 */
bool gates_pos(struct gates *gs, const char *name, uint64_t *pos);
/*
 * Fold @rows (in position order) into @name, which the database holds
 * verified up to @head (chain.pos, updated at @verified_at, unix
 * seconds); @fresh: forget what was folded before (a gate read whole).
 * -1 when there is no room for another gate.
 */
int gates_fold(struct gates *gs, const char *name, bool fresh, uint64_t head,
	       int64_t verified_at, const struct overview_row *rows,
	       size_t count);
/* Age the verdict windows and the lists' expiry to now: changes pushed. */
void gates_tick(struct gates *gs);

/*
 * The whole state, {"station": {...}, "gates": [...]}, NUL-terminated
 * (free it), and the number of the feed's newest message it includes.
 */
char *gates_state(struct gates *gs, uint64_t *seq, size_t *len);

#endif
