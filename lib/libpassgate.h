/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpassgate: userspace access to passgate's gates and lanes.
 *
 * Error contract, once for every function: those returning int give 0 on
 * success and -1 with errno set on failure; those returning a pointer give
 * NULL with errno set.  errno is the kernel's, as documented in
 * <linux/passgate.h> ("Errno contract").
 */
#ifndef PASSGATE_LIB_H
#define PASSGATE_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/passgate.h>

struct passgate_gate;
struct passgate_lane;

/* Gates: /dev/passgate/gateG/gate. */
struct passgate_gate *passgate_gate_open(unsigned int gate, int flags);
void passgate_gate_close(struct passgate_gate *gate);
int passgate_gate_fd(struct passgate_gate *gate);
int passgate_gate_get_state(struct passgate_gate *gate,
			    struct passgate_gate_state *state);
int passgate_gate_set_mode(struct passgate_gate *gate, unsigned int mode);
int passgate_gate_reset_fire(struct passgate_gate *gate);
/* Position the event reader at sequence number @seq (UINT64_MAX: next). */
int passgate_gate_seek_events(struct passgate_gate *gate, uint64_t seq);
/* Read up to @max events; returns how many, or -1 (EAGAIN if none). */
ssize_t passgate_gate_read_events(struct passgate_gate *gate,
				  struct passgate_event *events, size_t max);
/* The ID-card HMAC key, once per binding (EEXIST after); @len is 32. */
int passgate_gate_set_key(struct passgate_gate *gate, const uint8_t *key,
			  size_t len);
/*
 * Put a userspace event (list activated, refused, ...) in the stream,
 * with @len bytes of @data (at most 32; NULL: none) as its data.
 */
int passgate_gate_note(struct passgate_gate *gate, unsigned int type,
		       unsigned int arg, uint64_t value, const void *data,
		       size_t len);

/* Lanes: /dev/passgate/gateG/laneL/turnstile. */
struct passgate_lane *passgate_lane_open(unsigned int gate, unsigned int lane,
					 int flags);
void passgate_lane_close(struct passgate_lane *lane);
int passgate_lane_fd(struct passgate_lane *lane);
int passgate_lane_get_info(struct passgate_lane *lane,
			   struct passgate_info *info);
int passgate_lane_get_state(struct passgate_lane *lane,
			    struct passgate_state *state);
int passgate_lane_unlock(struct passgate_lane *lane, unsigned int direction);
int passgate_lane_set_mode(struct passgate_lane *lane, unsigned int mode);
int passgate_lane_reset_alarms(struct passgate_lane *lane);

/* Scanboards: /dev/passgate/gateG/laneL/scanboard, the slow path. */
struct passgate_scanboard;

struct passgate_scanboard *passgate_scanboard_open(unsigned int gate,
						   unsigned int lane,
						   int flags);
void passgate_scanboard_close(struct passgate_scanboard *sb);
int passgate_scanboard_fd(struct passgate_scanboard *sb);
/* The next deferred scan into @scan: 1, 0 when none waits, or -1. */
int passgate_scanboard_read_scan(struct passgate_scanboard *sb,
				 struct passgate_scan *scan);
/* Answer deferred scan @scan_id (ETIMEDOUT: its deadline passed). */
int passgate_scanboard_answer(struct passgate_scanboard *sb, uint64_t scan_id,
			      unsigned int verdict, unsigned int reason,
			      unsigned int direction);

/* Names of ABI values, for humans and --json; NULL when unknown. */
const char *passgate_event_type_name(unsigned int type);
const char *passgate_verdict_name(unsigned int verdict);
const char *passgate_reason_name(unsigned int reason);
const char *passgate_lane_state_name(unsigned int state);
const char *passgate_lane_mode_name(unsigned int mode);
const char *passgate_gate_mode_name(unsigned int mode);
const char *passgate_direction_name(unsigned int direction);
const char *passgate_reader_name(unsigned int reader);
/**
 * struct passgate_event_origin - where an event was read, for its format
 * @gate_name: the gate's name at the station; adds "gate" and "kind" to
 *	the JSON (NULL: none)
 * @journaled: the event is a row of the journal; adds @stream, @pos,
 *	@stored_ns and @hash
 * @stream: the journal's stream the row is in
 * @pos: the row's position in the journal
 * @stored_ns: when it was stored (CLOCK_REALTIME)
 * @hash: the row's chain hash
 */
struct passgate_event_origin {
	const char *gate_name;
	bool journaled;
	uint32_t stream;
	uint64_t pos;
	int64_t stored_ns;
	uint8_t hash[32];
};

enum passgate_event_format {
	PASSGATE_EVENT_TEXT,
	PASSGATE_EVENT_JSON,
};

/*
 * @ev as one line without a newline into @buf: text for people, or a
 * JSON object of the one schema (docs/events-json.md).  @origin may be
 * NULL.  Returns the line's length; -1 with errno ENOSPC when @len is too
 * small, EINVAL for an unknown @format, ENOMEM.
 */
int passgate_event_format(const struct passgate_event *ev,
			  const struct passgate_event_origin *origin,
			  enum passgate_event_format format, char *buf,
			  size_t len);
/* Room for any line passgate_event_format() makes. */
#define PASSGATE_EVENT_LINE_MAX 1024

/*
 * An operator change's event (lane or gate mode, alarms or fire reset):
 * who made it, as " by uid U pid P (comm)" and " port N" for netlink, into
 * @buf; an empty string for any other event.
 */
void passgate_event_actor_text(const struct passgate_event *ev, char *buf,
			       size_t len);
/* The value whose name is @name, or -1 with errno EINVAL. */
int passgate_lane_mode_parse(const char *name);
int passgate_gate_mode_parse(const char *name);
int passgate_direction_parse(const char *name);

#endif
