// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libpassgate.h"

#define NAME_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const event_type_names[] = {
	[PASSGATE_EV_LOST] = "lost",
	[PASSGATE_EV_UNLOCK] = "unlock",
	[PASSGATE_EV_PASSAGE] = "passage",
	[PASSGATE_EV_TIMEOUT] = "timeout",
	[PASSGATE_EV_FORCED] = "forced",
	[PASSGATE_EV_TAILGATE] = "tailgate",
	[PASSGATE_EV_LANE_MODE] = "lane-mode",
	[PASSGATE_EV_GATE_MODE] = "gate-mode",
	[PASSGATE_EV_FIRE_ALARM] = "fire-alarm",
	[PASSGATE_EV_FIRE_CLEAR] = "fire-clear",
	[PASSGATE_EV_FIRE_RESET] = "fire-reset",
	[PASSGATE_EV_ALARMS_RESET] = "alarms-reset",
	[PASSGATE_EV_SCAN] = "scan",
	[PASSGATE_EV_VERDICT] = "verdict",
	[PASSGATE_EV_SCANNER_OFFLINE] = "scanner-offline",
	[PASSGATE_EV_SCANNER_ONLINE] = "scanner-online",
	[PASSGATE_EV_KEY_SET] = "key-set",
	[PASSGATE_EV_LIST_ACTIVATED] = "list-activated",
	[PASSGATE_EV_LIST_REFUSED] = "list-refused",
	[PASSGATE_EV_LIST_EXPIRED] = "list-expired",
	[PASSGATE_EV_BEAM_BLOCKED] = "beam-blocked",
	[PASSGATE_EV_RECORD_SEEDED] = "record-seeded",
};

static const char *const lane_state_names[] = {
	[PASSGATE_STATE_LOCKED] = "locked",
	[PASSGATE_STATE_UNLOCKED] = "unlocked",
	[PASSGATE_STATE_FREE] = "free",
	[PASSGATE_STATE_CLOSED] = "closed",
};

static const char *const lane_mode_names[] = {
	[PASSGATE_MODE_NORMAL] = "normal",
	[PASSGATE_MODE_FREE] = "free",
	[PASSGATE_MODE_CLOSED] = "closed",
};

static const char *const gate_mode_names[] = {
	[PASSGATE_GATE_NORMAL] = "normal",
	[PASSGATE_GATE_FREE_ALL] = "free-all",
	[PASSGATE_GATE_LOCK_ALL] = "lock-all",
};

static const char *const reader_names[] = {
	[PASSGATE_READER_BOARD] = "board",
	[PASSGATE_READER_ID_SAM] = "id-sam",
	[PASSGATE_READER_QR_ENGINE] = "qr-engine",
};

static const char *const direction_names[] = {
	[PASSGATE_DIR_EXIT] = "exit",
	[PASSGATE_DIR_ENTRY] = "entry",
};

/* As the module's debugfs names them. */
static const char *const verdict_names[] = {
	[PASSGATE_VERDICT_DEFER] = "defer",
	[PASSGATE_VERDICT_ACCEPT] = "accept",
	[PASSGATE_VERDICT_DENY] = "deny",
	[PASSGATE_VERDICT_PENDING] = "pending",
};

static const char *const reason_names[] = {
	[PASSGATE_REASON_NONE] = "none",
	[PASSGATE_REASON_UNKNOWN] = "unknown",
	[PASSGATE_REASON_RED] = "red",
	[PASSGATE_REASON_MANUAL_CHECK] = "manual_check",
	[PASSGATE_REASON_ID_MISMATCH] = "id_mismatch",
	[PASSGATE_REASON_FEVER] = "fever",
	[PASSGATE_REASON_PASSBACK] = "passback",
	[PASSGATE_REASON_NO_TICKET] = "no_ticket",
	[PASSGATE_REASON_TIMEOUT] = "timeout",
	[PASSGATE_REASON_BUSY] = "busy",
	[PASSGATE_REASON_NO_KEY] = "no_key",
	[PASSGATE_REASON_LIST_EXPIRED] = "list_expired",
	[PASSGATE_REASON_LANE_BUSY] = "lane_busy",
	[PASSGATE_REASON_BAD_VERDICT] = "bad_verdict",
	[PASSGATE_REASON_WAIT_ID] = "wait_id",
	[PASSGATE_REASON_WAIT_CODE] = "wait_code",
	[PASSGATE_REASON_NOT_VALID] = "not_valid",
	[PASSGATE_REASON_NO_TEMPERATURE] = "no_temperature",
	[PASSGATE_REASON_ID_EXPIRED] = "id_expired",
	[PASSGATE_REASON_TICKET_USED] = "ticket_used",
	[PASSGATE_REASON_FARE_ADJUSTMENT] = "fare_adjustment",
};

static const char *name_of(const char *const *names, size_t count,
			   unsigned int value)
{
	return value < count ? names[value] : NULL;
}

static int parse(const char *const *names, size_t count, const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	errno = EINVAL;
	return -1;
}

const char *passgate_verdict_name(unsigned int verdict)
{
	return name_of(verdict_names, NAME_COUNT(verdict_names), verdict);
}

const char *passgate_reason_name(unsigned int reason)
{
	return name_of(reason_names, NAME_COUNT(reason_names), reason);
}

const char *passgate_event_type_name(unsigned int type)
{
	return name_of(event_type_names, NAME_COUNT(event_type_names), type);
}

const char *passgate_lane_state_name(unsigned int state)
{
	return name_of(lane_state_names, NAME_COUNT(lane_state_names), state);
}

const char *passgate_lane_mode_name(unsigned int mode)
{
	return name_of(lane_mode_names, NAME_COUNT(lane_mode_names), mode);
}

const char *passgate_gate_mode_name(unsigned int mode)
{
	return name_of(gate_mode_names, NAME_COUNT(gate_mode_names), mode);
}

const char *passgate_reader_name(unsigned int reader)
{
	return name_of(reader_names, NAME_COUNT(reader_names), reader);
}

const char *passgate_direction_name(unsigned int direction)
{
	return name_of(direction_names, NAME_COUNT(direction_names), direction);
}

int passgate_lane_mode_parse(const char *name)
{
	return parse(lane_mode_names, NAME_COUNT(lane_mode_names), name);
}

int passgate_gate_mode_parse(const char *name)
{
	return parse(gate_mode_names, NAME_COUNT(gate_mode_names), name);
}

int passgate_direction_parse(const char *name)
{
	return parse(direction_names, NAME_COUNT(direction_names), name);
}
