/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * passgate: station exit gate ABI, shared by the kernel module, the BPF
 * policy program and userspace.
 */
#ifndef _UAPI_LINUX_PASSGATE_H
#define _UAPI_LINUX_PASSGATE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PASSGATE_ABI_VERSION 1

/**
 * DOC: Device nodes
 *
 * Each lane of gate G with lane number L has two character devices:
 *
 * - ``/dev/passgate/gateG/laneL/turnstile``: the lane mechanism. read()
 *   returns a &struct passgate_state each time the lane's state changes
 *   (blocking unless O_NONBLOCK; poll() reports EPOLLIN when a change is
 *   pending). ioctl() carries the commands below.
 * - ``/dev/passgate/gateG/laneL/scanboard``: the lane's scanner board.
 *
 * Each gate G also has ``/dev/passgate/gateG/gate``: read() returns the
 * gate's event stream (&struct passgate_event, see "Event stream"), and
 * ioctl() carries the gate-wide commands (%PASSGATE_IOC_GATE_*).
 *
 * Both lane nodes answer %PASSGATE_IOC_GET_INFO.  In sysfs they are the class devices
 * ``/sys/class/passgate/passgate!gateG!laneL!turnstile`` and
 * ``...!scanboard`` (devtmpfs makes each '!' a '/').  The kernel creates
 * the nodes root-only (0600); a udev rule grants read access to the
 * turnstile node where an unprivileged monitor needs it.
 */

/**
 * DOC: Errno contract
 *
 * Every ioctl argument starts with ``__u32 size`` (set by userspace to
 * sizeof() the struct it was built against) and ``__u32 flags``.  The kernel
 * answers:
 *
 * - %EINVAL: @size is smaller than the struct's first version, a flag the
 *   kernel does not know is set, or a reserved field is not zero;
 * - %E2BIG: @size is larger than the kernel's struct and a byte beyond the
 *   kernel's struct is not zero (zero tail bytes are accepted, so newer
 *   userspace runs on older kernels);
 * - %EFAULT: the argument is not readable or writable;
 * - %ENOTTY: the ioctl number is not one of ours;
 * - %ENODEV: the lane was unbound (driver unbind, module removal) while
 *   the file was open; every later call on that file fails the same way;
 * - %EPERM: the command needs %CAP_SYS_ADMIN and the caller lacks it
 *   (%PASSGATE_IOC_OPEN, %PASSGATE_IOC_SET_MODE, %PASSGATE_IOC_RESET_ALARMS,
 *   %PASSGATE_IOC_GATE_SET_MODE, %PASSGATE_IOC_GATE_RESET_FIRE; reading
 *   state needs no privilege);
 * - %EBUSY: the lane or gate is not in a state that allows the command
 *   (open while not LOCKED, fire reset while the alarm is still active);
 * - %EINVAL also: a direction the lane is not configured for, an unknown
 *   mode.
 *
 * Output structs are copied back truncated to @size.  read() on the
 * turnstile device fails with %EINVAL when the buffer is smaller than
 * &struct passgate_state.
 */

/* 0xB8 is free in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define PASSGATE_IOC_TYPE 0xB8

enum {
	PASSGATE_CMD_GET_INFO = 0x00,
	PASSGATE_CMD_GET_STATE = 0x01,
	PASSGATE_CMD_OPEN = 0x02,
	PASSGATE_CMD_SET_MODE = 0x03,
	PASSGATE_CMD_RESET_ALARMS = 0x04,
	PASSGATE_CMD_GATE_GET_STATE = 0x10,
	PASSGATE_CMD_GATE_SET_MODE = 0x11,
	PASSGATE_CMD_GATE_RESET_FIRE = 0x12,
};

/**
 * enum passgate_capability - what a lane is wired for
 * @PASSGATE_CAP_UNLOCK_EXIT: has an unlock output for the exit direction
 * @PASSGATE_CAP_UNLOCK_ENTRY: has an unlock output for the entry direction
 * @PASSGATE_CAP_BEAMS: has the inner and outer passage beams
 * @PASSGATE_CAP_ALARM: has an alarm output
 * @PASSGATE_CAP_INDICATOR: has green and red indicator outputs
 * @PASSGATE_CAP_FAIL_SAFE: outputs unlock when the driver lets go
 *	(fail-safe); clear means they lock (fail-secure)
 */
enum passgate_capability {
	PASSGATE_CAP_UNLOCK_EXIT = 1 << 0,
	PASSGATE_CAP_UNLOCK_ENTRY = 1 << 1,
	PASSGATE_CAP_BEAMS = 1 << 2,
	PASSGATE_CAP_ALARM = 1 << 3,
	PASSGATE_CAP_INDICATOR = 1 << 4,
	PASSGATE_CAP_FAIL_SAFE = 1 << 5,
};

/**
 * enum passgate_direction - the way a passenger crosses a lane
 * @PASSGATE_DIR_EXIT: from the paid (inner) side to the free (outer) side
 * @PASSGATE_DIR_ENTRY: from the outer side to the inner side
 */
enum passgate_direction {
	PASSGATE_DIR_EXIT = 0,
	PASSGATE_DIR_ENTRY = 1,
};

/**
 * struct passgate_info - PASSGATE_IOC_GET_INFO argument
 * @size: sizeof(struct passgate_info)
 * @flags: must be 0
 * @abi_version: out: %PASSGATE_ABI_VERSION of the running module
 * @gate: out: the gate's number (firmware property ``passgate,id``)
 * @lane: out: the lane's number within its gate (``passgate,lane``)
 * @capabilities: out: bitmask of &enum passgate_capability
 * @directions: out: bitmask of BIT(&enum passgate_direction) this lane may
 *	be opened for
 * @passage_timeout_ms: out: how long an unlock waits for the passage
 * @alarm_ms: out: how long the alarm output is pulsed
 * @__reserved: must be 0
 */
struct passgate_info {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 gate;
	__u32 lane;
	__u32 capabilities;
	__u32 directions;
	__u32 passage_timeout_ms;
	__u32 alarm_ms;
	__u32 __reserved;
};

/**
 * enum passgate_beam - bits of &struct passgate_state.beams
 * @PASSGATE_BEAM_INNER: the beam on the paid side is interrupted
 * @PASSGATE_BEAM_OUTER: the beam on the free side is interrupted
 */
enum passgate_beam {
	PASSGATE_BEAM_INNER = 1 << 0,
	PASSGATE_BEAM_OUTER = 1 << 1,
};

/**
 * enum passgate_output - bits of &struct passgate_state.outputs
 * @PASSGATE_OUT_UNLOCK_EXIT: exit unlock output active
 * @PASSGATE_OUT_UNLOCK_ENTRY: entry unlock output active
 * @PASSGATE_OUT_ALARM: alarm output active
 * @PASSGATE_OUT_GREEN: green indicator on
 * @PASSGATE_OUT_RED: red indicator on
 */
enum passgate_output {
	PASSGATE_OUT_UNLOCK_EXIT = 1 << 0,
	PASSGATE_OUT_UNLOCK_ENTRY = 1 << 1,
	PASSGATE_OUT_ALARM = 1 << 2,
	PASSGATE_OUT_GREEN = 1 << 3,
	PASSGATE_OUT_RED = 1 << 4,
};

/**
 * enum passgate_lane_state - what the lane's mechanism is doing
 * @PASSGATE_STATE_LOCKED: closed; opens for one passage on request
 * @PASSGATE_STATE_UNLOCKED: open in one direction for one passage, until
 *	the passage completes or the passage timeout relocks it
 * @PASSGATE_STATE_FREE: open in both directions (lane or gate mode, or
 *	fire alarm)
 * @PASSGATE_STATE_CLOSED: out of service: locked, and opens are refused
 */
enum passgate_lane_state {
	PASSGATE_STATE_LOCKED = 0,
	PASSGATE_STATE_UNLOCKED = 1,
	PASSGATE_STATE_FREE = 2,
	PASSGATE_STATE_CLOSED = 3,
};

/**
 * enum passgate_lane_mode - the operator's setting for one lane
 * @PASSGATE_MODE_NORMAL: locked, opened per passenger
 * @PASSGATE_MODE_FREE: open in both directions
 * @PASSGATE_MODE_CLOSED: out of service
 */
enum passgate_lane_mode {
	PASSGATE_MODE_NORMAL = 0,
	PASSGATE_MODE_FREE = 1,
	PASSGATE_MODE_CLOSED = 2,
};

/**
 * enum passgate_alarm - bits of &struct passgate_state.alarms, latched
 *	until %PASSGATE_IOC_RESET_ALARMS
 * @PASSGATE_ALARM_FORCED: a passage without an unlock, or against it
 * @PASSGATE_ALARM_TAILGATE: a second person inside one unlock
 */
enum passgate_alarm {
	PASSGATE_ALARM_FORCED = 1 << 0,
	PASSGATE_ALARM_TAILGATE = 1 << 1,
};

/**
 * struct passgate_state - PASSGATE_IOC_GET_STATE argument, read() record
 * @size: sizeof(struct passgate_state); read() fills it in
 * @flags: must be 0
 * @change: out: counts the lane's state changes since probe; read()
 *	returns a record whenever it moved past the last one this file saw
 * @state: out: &enum passgate_lane_state, with the gate's mode and fire
 *	alarm applied
 * @direction: out: &enum passgate_direction while UNLOCKED
 * @mode: out: the lane's own &enum passgate_lane_mode
 * @beams: out: bitmask of &enum passgate_beam, as last sensed
 * @outputs: out: bitmask of &enum passgate_output, as last driven
 * @alarms: out: bitmask of &enum passgate_alarm
 * @passages: out: completed passages, by &enum passgate_direction
 * @timeouts: out: unlocks that relocked with no passage
 * @forced: out: forced passages
 * @tailgates: out: tailgates
 * @__reserved: must be 0
 */
struct passgate_state {
	__u32 size;
	__u32 flags;
	__u64 change;
	__u32 state;
	__u32 direction;
	__u32 mode;
	__u32 beams;
	__u32 outputs;
	__u32 alarms;
	__u64 passages[2];
	__u64 timeouts;
	__u64 forced;
	__u64 tailgates;
	__u64 __reserved[4];
};

/**
 * struct passgate_open - PASSGATE_IOC_OPEN argument: unlock for one passage
 * @size: sizeof(struct passgate_open)
 * @flags: must be 0
 * @direction: &enum passgate_direction; must be in the lane's directions
 * @__reserved: must be 0
 *
 * Fails with %EBUSY unless the lane is LOCKED.
 */
struct passgate_open {
	__u32 size;
	__u32 flags;
	__u32 direction;
	__u32 __reserved;
};

/**
 * struct passgate_mode - PASSGATE_IOC_SET_MODE, PASSGATE_IOC_GATE_SET_MODE
 * @size: sizeof(struct passgate_mode)
 * @flags: must be 0
 * @mode: &enum passgate_lane_mode, or &enum passgate_gate_mode for a gate
 * @__reserved: must be 0
 */
struct passgate_mode {
	__u32 size;
	__u32 flags;
	__u32 mode;
	__u32 __reserved;
};

/**
 * struct passgate_reset - PASSGATE_IOC_RESET_ALARMS and
 *	PASSGATE_IOC_GATE_RESET_FIRE argument
 * @size: sizeof(struct passgate_reset)
 * @flags: must be 0
 * @__reserved: must be 0
 */
struct passgate_reset {
	__u32 size;
	__u32 flags;
	__u64 __reserved;
};

/**
 * enum passgate_gate_mode - the operator's setting for every lane at once
 * @PASSGATE_GATE_NORMAL: each lane follows its own mode
 * @PASSGATE_GATE_FREE_ALL: every lane FREE (crowd surge: explicit, logged)
 * @PASSGATE_GATE_LOCK_ALL: every lane CLOSED
 */
enum passgate_gate_mode {
	PASSGATE_GATE_NORMAL = 0,
	PASSGATE_GATE_FREE_ALL = 1,
	PASSGATE_GATE_LOCK_ALL = 2,
};

/**
 * enum passgate_fire - bits of &struct passgate_gate_state.fire
 * @PASSGATE_FIRE_ALARM: the fire-alarm input is active
 * @PASSGATE_FIRE_FAULT: the supervision input reports a wiring fault,
 *	which counts as an alarm
 * @PASSGATE_FIRE_LATCHED: an alarm happened and no operator has reset it
 *	since; every lane stays FREE while this is set
 */
enum passgate_fire {
	PASSGATE_FIRE_ALARM = 1 << 0,
	PASSGATE_FIRE_FAULT = 1 << 1,
	PASSGATE_FIRE_LATCHED = 1 << 2,
};

/**
 * struct passgate_gate_state - PASSGATE_IOC_GATE_GET_STATE argument
 * @size: sizeof(struct passgate_gate_state)
 * @flags: must be 0
 * @mode: out: &enum passgate_gate_mode
 * @fire: out: bitmask of &enum passgate_fire
 * @fire_alarms: out: fire alarms (and faults) since probe
 * @event_first: out: sequence number of the oldest event still in the ring
 * @event_next: out: sequence number the next event will get
 * @event_ring_size: out: events the ring holds
 * @lanes: out: lanes bound to the gate
 * @__reserved: must be 0
 */
struct passgate_gate_state {
	__u32 size;
	__u32 flags;
	__u32 mode;
	__u32 fire;
	__u64 fire_alarms;
	__u64 event_first;
	__u64 event_next;
	__u32 event_ring_size;
	__u32 lanes;
	__u64 __reserved[4];
};

/**
 * DOC: Event stream
 *
 * Every event of a gate gets the next gate-wide sequence number (from 0)
 * and a %CLOCK_BOOTTIME timestamp, and is kept in a ring of
 * ``passgate,event-ring-size`` events (default 1024).  read() on the gate
 * node returns whole &struct passgate_event records from the file
 * position, which is the sequence number of the next event to return:
 * lseek(fd, seq, SEEK_SET) starts at @seq, SEEK_END at the next new event,
 * and a new file starts at 0.  read() blocks while no event is there
 * (unless O_NONBLOCK); poll() reports EPOLLIN when one is.
 *
 * A reader whose position fell out of the ring first gets one
 * %PASSGATE_EV_LOST record: @seq is its position, @value the exact number
 * of events it missed; the next record is the oldest still kept.  Nothing
 * is dropped silently.  A buffer smaller than one record gives %EINVAL.
 */

/**
 * enum passgate_event_type - &struct passgate_event.type
 * @PASSGATE_EV_LOST: not an event: the reader missed @value events
 * @PASSGATE_EV_UNLOCK: a lane opened for one passage; @arg: direction
 * @PASSGATE_EV_PASSAGE: a passage completed; @arg: direction
 * @PASSGATE_EV_TIMEOUT: an unlock relocked with no passage; @arg: direction
 * @PASSGATE_EV_FORCED: a passage without an unlock or against it; @arg:
 *	the direction the passenger went
 * @PASSGATE_EV_TAILGATE: a second person inside one unlock; @arg: direction
 * @PASSGATE_EV_LANE_MODE: a lane's mode was set; @arg: the new mode
 * @PASSGATE_EV_GATE_MODE: the gate's mode was set; @arg: the new mode
 * @PASSGATE_EV_FIRE_ALARM: fire alarm (or supervision fault): every lane
 *	is FREE when this is emitted; @arg: &enum passgate_fire bits
 * @PASSGATE_EV_FIRE_CLEAR: the fire inputs went quiet; lanes stay FREE
 * @PASSGATE_EV_FIRE_RESET: an operator reset the fire alarm; lanes
 *	return to their modes
 * @PASSGATE_EV_ALARMS_RESET: an operator reset a lane's alarms
 */
enum passgate_event_type {
	PASSGATE_EV_LOST = 0,
	PASSGATE_EV_UNLOCK = 1,
	PASSGATE_EV_PASSAGE = 2,
	PASSGATE_EV_TIMEOUT = 3,
	PASSGATE_EV_FORCED = 4,
	PASSGATE_EV_TAILGATE = 5,
	PASSGATE_EV_LANE_MODE = 6,
	PASSGATE_EV_GATE_MODE = 7,
	PASSGATE_EV_FIRE_ALARM = 8,
	PASSGATE_EV_FIRE_CLEAR = 9,
	PASSGATE_EV_FIRE_RESET = 10,
	PASSGATE_EV_ALARMS_RESET = 11,
};

/* &struct passgate_event.lane of gate-wide events */
#define PASSGATE_LANE_NONE 0xffffffffu

/**
 * struct passgate_event - one record of the gate's event stream
 * @seq: gate-wide sequence number
 * @time_ns: %CLOCK_BOOTTIME when it happened, in nanoseconds
 * @type: &enum passgate_event_type
 * @lane: the lane's number, or %PASSGATE_LANE_NONE
 * @arg: type-specific, see &enum passgate_event_type
 * @__reserved: 0
 * @value: type-specific 64-bit value (%PASSGATE_EV_LOST: events missed)
 * @data: type-specific bytes, 0 where unused
 */
struct passgate_event {
	__u64 seq;
	__u64 time_ns;
	__u32 type;
	__u32 lane;
	__u32 arg;
	__u32 __reserved;
	__u64 value;
	__u8 data[32];
};

#define PASSGATE_IOC_GET_INFO _IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_GET_INFO)
#define PASSGATE_IOC_GET_STATE _IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_GET_STATE)
#define PASSGATE_IOC_OPEN _IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_OPEN)
#define PASSGATE_IOC_SET_MODE _IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_SET_MODE)
#define PASSGATE_IOC_RESET_ALARMS \
	_IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_RESET_ALARMS)
#define PASSGATE_IOC_GATE_GET_STATE \
	_IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_GATE_GET_STATE)
#define PASSGATE_IOC_GATE_SET_MODE \
	_IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_GATE_SET_MODE)
#define PASSGATE_IOC_GATE_RESET_FIRE \
	_IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_GATE_RESET_FIRE)

#endif /* _UAPI_LINUX_PASSGATE_H */
