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
 * Both lane nodes answer %PASSGATE_IOC_GET_INFO.  In sysfs they are the
 * class devices ``/sys/class/passgate/passgate!gateG!laneL!turnstile`` and
 * ``...!scanboard`` (devtmpfs makes each '!' a '/').
 */

/**
 * DOC: Access control
 *
 * Who may do what is decided once, at open(), by the node's permissions;
 * no call on an open file checks capabilities.  A file opened for reading
 * only observes: GET_INFO, GET_STATE, GATE_GET_STATE, read() on the
 * turnstile node (state changes) and on the gate node (events).  A file
 * opened for writing may also act: every other ioctl, read() on a
 * scanboard node (which takes deferred scans, so it acts too; the file
 * must be opened read-write) and write() on it.  An acting ioctl or
 * read() on a read-only file fails with %EPERM (write() with %EBADF, as
 * on every file).
 *
 * The kernel creates the nodes 0600 root.  The udev rule shipped with
 * passgate (dist/60-passgate.rules) gives every node to the ``passgate``
 * group, read-write (the daemon's user and trusted operators), and grants
 * the ``passgate-monitor`` group read access to the turnstile and gate
 * nodes with an ACL, so monitoring tools observe without being able to
 * act or to take deferred scans.  A file descriptor keeps the rights it
 * was opened with: passing one to a less privileged process passes them.
 * The generic netlink family has no file, so it checks the capabilities
 * of the socket's opener and of the sender (see "Generic netlink").
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
 * - %EPERM: the command acts and the file was opened read-only
 *   (%PASSGATE_IOC_OPEN, %PASSGATE_IOC_SET_MODE, %PASSGATE_IOC_RESET_ALARMS,
 *   %PASSGATE_IOC_VERDICT, %PASSGATE_IOC_GATE_SET_MODE,
 *   %PASSGATE_IOC_GATE_RESET_FIRE, %PASSGATE_IOC_GATE_SET_KEY,
 *   %PASSGATE_IOC_GATE_NOTE, and read() on a scanboard node; write() on a
 *   read-only file fails with %EBADF as on every file; see "Access
 *   control");
 * - %EBUSY: the lane or gate is not in a state that allows the command
 *   (open while not LOCKED, fire reset while the alarm is still active);
 * - %EEXIST: %PASSGATE_IOC_GATE_SET_KEY on a gate that has a key, without
 *   %PASSGATE_KEY_F_REPLACE;
 * - write() on a scanboard node: %EBADMSG when the buffer is not a
 *   sequence of whole, valid SCAN or HEARTBEAT frames (nothing in it
 *   acts), %EMSGSIZE when it is longer than 4 * %PASSGATE_FRAME_MAX;
 * - %ENOENT: %PASSGATE_IOC_VERDICT for a scan id the lane never queued or
 *   that was already answered; %ETIMEDOUT: for one whose decision timeout
 *   passed (it was denied with %PASSGATE_REASON_TIMEOUT);
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
	PASSGATE_CMD_VERDICT = 0x05,
	PASSGATE_CMD_GATE_GET_STATE = 0x10,
	PASSGATE_CMD_GATE_SET_MODE = 0x11,
	PASSGATE_CMD_GATE_RESET_FIRE = 0x12,
	PASSGATE_CMD_GATE_SET_KEY = 0x13,
	PASSGATE_CMD_GATE_NOTE = 0x14,
};

/**
 * enum passgate_capability - what a lane is wired for
 * @PASSGATE_CAP_UNLOCK_EXIT: has an unlock output for the exit direction
 * @PASSGATE_CAP_UNLOCK_ENTRY: has an unlock output for the entry direction
 * @PASSGATE_CAP_BEAMS: has the inner and outer passage beams; without
 *	them no passage is seen and an unlock ends at the passage timeout
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
 * @PASSGATE_ALARM_BEAM_BLOCKED: a passage outlived its timeout and the
 *	beam-blocked hold with a beam still broken; the alarm output stays on
 *	until both beams are clear
 */
enum passgate_alarm {
	PASSGATE_ALARM_FORCED = 1 << 0,
	PASSGATE_ALARM_TAILGATE = 1 << 1,
	PASSGATE_ALARM_BEAM_BLOCKED = 1 << 2,
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
 * @tailgates: out: tailgates: every further person inside one unlock
 * @beam_blocked: out: passages that raised %PASSGATE_ALARM_BEAM_BLOCKED
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
	__u64 beam_blocked;
	__u64 __reserved[3];
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
 * @stream_id: out: random, new each time the gate binds: sequence numbers
 *	start again from 0 then, so (stream_id, seq) names an event for good
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
	__u8 stream_id[16];
	__u64 __reserved[2];
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
 * enum passgate_reader - which reader of a lane an event is about
 * @PASSGATE_READER_BOARD: the scanner board (docs/scanboard-protocol.md)
 * @PASSGATE_READER_ID_SAM: the ID-card reader's SAM module (GA 467)
 * @PASSGATE_READER_QR_ENGINE: a QR engine in serial mode
 */
enum passgate_reader {
	PASSGATE_READER_BOARD = 0,
	PASSGATE_READER_ID_SAM = 1,
	PASSGATE_READER_QR_ENGINE = 2,
};

/**
 * enum passgate_event_type - &struct passgate_event.type
 * @PASSGATE_EV_LOST: not an event: the reader missed @value events
 * @PASSGATE_EV_UNLOCK: a lane opened for one passage; @arg: direction
 * @PASSGATE_EV_PASSAGE: a passage completed; @arg: direction
 * @PASSGATE_EV_TIMEOUT: an unlock relocked with no passage; @arg: direction
 * @PASSGATE_EV_FORCED: a passage without an unlock or against it; @arg:
 *	the direction the passenger went
 * @PASSGATE_EV_TAILGATE: a further person inside one unlock; @arg: direction
 * @PASSGATE_EV_LANE_MODE: a lane's mode was set; @arg: the new mode,
 *	@data: &struct passgate_actor
 * @PASSGATE_EV_GATE_MODE: the gate's mode was set; @arg: the new mode,
 *	@data: &struct passgate_actor
 * @PASSGATE_EV_FIRE_ALARM: fire alarm (or supervision fault): every lane
 *	is FREE when this is emitted; @arg: &enum passgate_fire bits
 * @PASSGATE_EV_FIRE_CLEAR: the fire inputs went quiet; lanes stay FREE
 * @PASSGATE_EV_FIRE_RESET: an operator reset the fire alarm; lanes
 *	return to their modes; @data: &struct passgate_actor
 * @PASSGATE_EV_ALARMS_RESET: an operator reset a lane's alarms; @data:
 *	&struct passgate_actor
 * @PASSGATE_EV_SCAN: a scan arrived; @arg: &enum passgate_credential,
 *	@value: scan id, @data: the credential's digest (never the token)
 * @PASSGATE_EV_VERDICT: a scan was decided; @arg: &enum passgate_verdict,
 *	@value: scan id, @data: &struct passgate_verdict_record
 * @PASSGATE_EV_SCANNER_OFFLINE: a reader of the lane fell silent (the
 *	board missed its heartbeats, the SAM module stopped answering);
 *	@arg: &enum passgate_reader
 * @PASSGATE_EV_SCANNER_ONLINE: that reader is heard again; @arg: as above
 * @PASSGATE_EV_KEY_SET: the ID-card key was set; @arg: 1 if it replaced one
 * @PASSGATE_EV_LIST_ACTIVATED: (from the daemon) a list generation became
 *	active; @arg: &enum passgate_list_kind, @value: generation
 * @PASSGATE_EV_LIST_REFUSED: (from the daemon) a list was refused;
 *	@arg: why (daemon-defined code), @value: its generation
 * @PASSGATE_EV_LIST_EXPIRED: (from the daemon) the active list expired:
 *	the policy runs in degraded mode; @value: its generation
 * @PASSGATE_EV_BEAM_BLOCKED: a passage outlived its timeout and the
 *	beam-blocked hold with a beam still broken; @arg: direction
 * @PASSGATE_EV_RECORD_SEEDED: (from userspace) an operator seeded the
 *	gate's generation record: lists must be above @value from now on
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
	PASSGATE_EV_SCAN = 12,
	PASSGATE_EV_VERDICT = 13,
	PASSGATE_EV_SCANNER_OFFLINE = 14,
	PASSGATE_EV_SCANNER_ONLINE = 15,
	PASSGATE_EV_KEY_SET = 16,
	PASSGATE_EV_LIST_ACTIVATED = 17,
	PASSGATE_EV_LIST_REFUSED = 18,
	PASSGATE_EV_LIST_EXPIRED = 19,
	PASSGATE_EV_BEAM_BLOCKED = 20,
	PASSGATE_EV_RECORD_SEEDED = 21,
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

/**
 * DOC: Scans and verdicts
 *
 * A scanner board sends SCAN frames (see "Scanner-board frames"); the
 * module turns the credential into a digest and never keeps the token:
 *
 * - health code and ticket: SHA-256("passgate/v1" || kind || token);
 * - ID card: HMAC-SHA-256(key, "passgate/v1" || kind || token), with the
 *   gate's deployment key (%PASSGATE_IOC_GATE_SET_KEY), because ID numbers
 *   are few enough that a plain hash is reversed by trying them all.
 *
 * kind is one byte, &enum passgate_credential.  The fast path then fires
 * the writable raw tracepoint ``passgate_decide`` with a &struct
 * passgate_decision; an attached BPF program writes its verdict into it.
 * DEFER, or no program, queues the scan on the lane's scanboard node for
 * the daemon (read() gives &struct passgate_scan records), which answers
 * with %PASSGATE_IOC_VERDICT before the lane's decision timeout, or the
 * scan is denied with %PASSGATE_REASON_TIMEOUT.
 */

/**
 * enum passgate_credential - what a scan carries
 * @PASSGATE_CRED_HEALTH_CODE: a QR health code
 * @PASSGATE_CRED_ID_CARD: an ID-card number
 * @PASSGATE_CRED_TICKET: a ticket
 */
enum passgate_credential {
	PASSGATE_CRED_HEALTH_CODE = 1,
	PASSGATE_CRED_ID_CARD = 2,
	PASSGATE_CRED_TICKET = 3,
};

/**
 * enum passgate_verdict - the decision on one scan
 * @PASSGATE_VERDICT_DEFER: ask userspace (the value a program finds)
 * @PASSGATE_VERDICT_ACCEPT: open the lane for one passage in @direction
 * @PASSGATE_VERDICT_DENY: keep the lane locked; see @reason
 * @PASSGATE_VERDICT_PENDING: a second credential is needed
 */
enum passgate_verdict {
	PASSGATE_VERDICT_DEFER = 0,
	PASSGATE_VERDICT_ACCEPT = 1,
	PASSGATE_VERDICT_DENY = 2,
	PASSGATE_VERDICT_PENDING = 3,
};

/**
 * enum passgate_reason - why a scan was denied (or is pending)
 * @PASSGATE_REASON_NONE: no reason given
 * @PASSGATE_REASON_UNKNOWN: the credential is not on the list
 * @PASSGATE_REASON_RED: red health code
 * @PASSGATE_REASON_MANUAL_CHECK: send to the manual check (e.g. yellow)
 * @PASSGATE_REASON_ID_MISMATCH: the ID does not belong to the code
 * @PASSGATE_REASON_FEVER: the board measured a fever
 * @PASSGATE_REASON_PASSBACK: the credential passed here too recently
 * @PASSGATE_REASON_NO_TICKET: no ticket for this station
 * @PASSGATE_REASON_TIMEOUT: no verdict before the decision timeout
 * @PASSGATE_REASON_BUSY: the slow-path queue was full
 * @PASSGATE_REASON_NO_KEY: an ID card, and the gate has no key yet
 * @PASSGATE_REASON_LIST_EXPIRED: the allowlist expired (degraded mode)
 * @PASSGATE_REASON_LANE_BUSY: the lane is not LOCKED (closed, or still
 *	open for someone else) and cannot open now
 * @PASSGATE_REASON_BAD_VERDICT: the program wrote a verdict, reason or
 *	direction the module does not know
 * @PASSGATE_REASON_WAIT_ID: PENDING: scan the ID card now
 * @PASSGATE_REASON_WAIT_CODE: PENDING: show the health code now
 * @PASSGATE_REASON_NOT_VALID: on the list, outside its validity window
 * @PASSGATE_REASON_NO_TEMPERATURE: fever screening is on and the scan
 *	carried no temperature
 * @PASSGATE_REASON_ID_EXPIRED: the ID card is past its validity dates
 * @PASSGATE_REASON_TICKET_USED: the ticket was already used to leave
 * @PASSGATE_REASON_FARE_ADJUSTMENT: no ticket for this station and time
 *	(or one for another station): to the manual lane, fare adjustment
 * @PASSGATE_REASON_COUNT: number of reasons
 */
enum passgate_reason {
	PASSGATE_REASON_NONE = 0,
	PASSGATE_REASON_UNKNOWN = 1,
	PASSGATE_REASON_RED = 2,
	PASSGATE_REASON_MANUAL_CHECK = 3,
	PASSGATE_REASON_ID_MISMATCH = 4,
	PASSGATE_REASON_FEVER = 5,
	PASSGATE_REASON_PASSBACK = 6,
	PASSGATE_REASON_NO_TICKET = 7,
	PASSGATE_REASON_TIMEOUT = 8,
	PASSGATE_REASON_BUSY = 9,
	PASSGATE_REASON_NO_KEY = 10,
	PASSGATE_REASON_LIST_EXPIRED = 11,
	PASSGATE_REASON_LANE_BUSY = 12,
	PASSGATE_REASON_BAD_VERDICT = 13,
	PASSGATE_REASON_WAIT_ID = 14,
	PASSGATE_REASON_WAIT_CODE = 15,
	PASSGATE_REASON_NOT_VALID = 16,
	PASSGATE_REASON_NO_TEMPERATURE = 17,
	PASSGATE_REASON_ID_EXPIRED = 18,
	PASSGATE_REASON_TICKET_USED = 19,
	PASSGATE_REASON_FARE_ADJUSTMENT = 20,
	PASSGATE_REASON_COUNT
};

/* &struct passgate_decision.flags, &struct passgate_scan.flags */
#define PASSGATE_SCAN_F_TEMPERATURE (1u << 0)	/* @temperature is valid */
/* An ID card read by a SAM module: @card_valid_from/@card_valid_until hold */
#define PASSGATE_SCAN_F_CARD_DATES (1u << 1)

#define PASSGATE_DIGEST_SIZE 32

/**
 * struct passgate_decision - the fast path's context: the one argument of
 *	the writable raw tracepoint ``passgate_decide``; its size is ABI
 * @scan_id: in: the scan's number, unique per gate
 * @time_ns: in: %CLOCK_BOOTTIME when the frame arrived
 * @gate: in: gate number
 * @lane: in: lane number
 * @kind: in: &enum passgate_credential
 * @flags: in: %PASSGATE_SCAN_F_*
 * @temperature: in: body temperature in 0.01 °C, if flagged
 * @lane_state: in: &enum passgate_lane_state when the scan arrived
 * @digest: in: the credential's digest (see "Scans and verdicts")
 * @verdict: out: &enum passgate_verdict; DEFER when the program leaves it
 * @reason: out: &enum passgate_reason
 * @direction: out: &enum passgate_direction for ACCEPT; in: the lane's
 *	first configured direction
 * @card_valid_from: in, with %PASSGATE_SCAN_F_CARD_DATES: unix seconds
 *	when the ID card became valid (its first day, 00:00 China Standard
 *	Time); 0: not known
 * @card_valid_until: in, with %PASSGATE_SCAN_F_CARD_DATES: unix seconds
 *	from which the card is expired (the day after its last day, 00:00
 *	China Standard Time); 0: long-term card, no expiry
 * @__reserved: leave 0
 */
struct passgate_decision {
	__u64 scan_id;
	__u64 time_ns;
	__u32 gate;
	__u32 lane;
	__u32 kind;
	__u32 flags;
	__s32 temperature;
	__u32 lane_state;
	__u8 digest[PASSGATE_DIGEST_SIZE];
	__u32 verdict;
	__u32 reason;
	__u32 direction;
	__u32 card_valid_from;
	__u32 card_valid_until;
	__u32 __reserved;
};

/* Deferred scans a lane holds; one more is denied with BUSY. */
#define PASSGATE_SLOW_QUEUE_DEPTH 16

/*
 * Longest credential a SCAN frame carries: %PASSGATE_FRAME_PAYLOAD_MAX
 * less the SCAN header (%PASSGATE_SCAN_HEADER).
 */
#define PASSGATE_TOKEN_MAX 1016

/**
 * struct passgate_scan - a deferred scan, as read() from a scanboard node
 * @size: sizeof(struct passgate_scan)
 * @flags: %PASSGATE_SCAN_F_*
 * @scan_id: answer with this in &struct passgate_verdict_cmd
 * @time_ns: %CLOCK_BOOTTIME when the frame arrived
 * @deadline_ns: %CLOCK_BOOTTIME after which the scan is denied (TIMEOUT)
 * @gate: gate number
 * @lane: lane number
 * @kind: &enum passgate_credential
 * @temperature: body temperature in 0.01 °C, if flagged
 * @token_len: bytes of @token used
 * @card_valid_until: with %PASSGATE_SCAN_F_CARD_DATES, as in &struct
 *	passgate_decision; else 0
 * @digest: the credential's digest
 * @token: the credential as scanned (only a privileged reader gets this)
 */
struct passgate_scan {
	__u32 size;
	__u32 flags;
	__u64 scan_id;
	__u64 time_ns;
	__u64 deadline_ns;
	__u32 gate;
	__u32 lane;
	__u32 kind;
	__s32 temperature;
	__u32 token_len;
	__u32 card_valid_until;
	__u8 digest[PASSGATE_DIGEST_SIZE];
	__u8 token[PASSGATE_TOKEN_MAX];
};

/**
 * struct passgate_verdict_cmd - PASSGATE_IOC_VERDICT argument (scanboard
 *	node): the slow path's answer
 * @size: sizeof(struct passgate_verdict_cmd)
 * @flags: must be 0
 * @scan_id: the deferred scan
 * @verdict: ACCEPT, DENY or PENDING (DEFER is %EINVAL)
 * @reason: &enum passgate_reason
 * @direction: &enum passgate_direction for ACCEPT
 * @__reserved: must be 0
 */
struct passgate_verdict_cmd {
	__u32 size;
	__u32 flags;
	__u64 scan_id;
	__u32 verdict;
	__u32 reason;
	__u32 direction;
	__u32 __reserved;
};

/**
 * struct passgate_actor - who made an operator change: the @data of the
 *	LANE_MODE, GATE_MODE, ALARMS_RESET and FIRE_RESET events
 * @uid: the caller's uid, in the initial user namespace
 * @pid: the caller's process id, in the initial pid namespace
 * @nl_port: the generic-netlink port the command came from; 0 for an ioctl
 * @__reserved: 0
 * @comm: the caller's command name, NUL-terminated
 */
struct passgate_actor {
	__u32 uid;
	__u32 pid;
	__u32 nl_port;
	__u32 __reserved;
	char comm[16];
};

/**
 * struct passgate_verdict_record - &struct passgate_event.data of
 *	%PASSGATE_EV_VERDICT: where the time went
 * @received_ns: %CLOCK_BOOTTIME when the frame arrived
 * @decided_ns: when the verdict was known
 * @actuated_ns: when the unlock output was set (ACCEPT), else 0
 * @reason: &enum passgate_reason
 * @direction: &enum passgate_direction for ACCEPT
 * @fast: 1 when the BPF program decided, 0 for the slow path or timeout
 * @__reserved: 0
 */
struct passgate_verdict_record {
	__u64 received_ns;
	__u64 decided_ns;
	__u64 actuated_ns;
	__u8 reason;
	__u8 direction;
	__u8 fast;
	__u8 __reserved[5];
};

/* PASSGATE_IOC_GATE_SET_KEY flags */
#define PASSGATE_KEY_F_REPLACE (1u << 0)
#define PASSGATE_KEY_SIZE 32

/**
 * struct passgate_key - PASSGATE_IOC_GATE_SET_KEY argument: the gate's
 *	ID-card HMAC key.  Write-only: no command reads it back.
 * @size: sizeof(struct passgate_key)
 * @flags: %PASSGATE_KEY_F_REPLACE to replace a key already set (the rule:
 *	a key is set once; replacing it is explicit and logged as
 *	%PASSGATE_EV_KEY_SET with arg 1); other bits %EINVAL
 * @__reserved: must be 0
 * @key: the key; all-zero is %EINVAL
 */
struct passgate_key {
	__u32 size;
	__u32 flags;
	__u64 __reserved;
	__u8 key[PASSGATE_KEY_SIZE];
};

/**
 * struct passgate_note - PASSGATE_IOC_GATE_NOTE argument: the daemon
 *	records what it did with allowlists in the gate's event stream, so
 *	the audit trail is one sequence
 * @size: sizeof(struct passgate_note)
 * @flags: must be 0
 * @type: %PASSGATE_EV_LIST_ACTIVATED, %PASSGATE_EV_LIST_REFUSED,
 *	%PASSGATE_EV_LIST_EXPIRED or %PASSGATE_EV_RECORD_SEEDED; any other
 *	is %EINVAL
 * @arg: the event's @arg
 * @value: the event's @value
 * @data: the event's @data (LIST_ACTIVATED, LIST_REFUSED: a &struct
 *	passgate_list_claim; LIST_EXPIRED and RECORD_SEEDED of tickets: one
 *	with %PASSGATE_CLAIM_TICKETS); zero when the caller's struct ends at
 *	@value
 */
struct passgate_note {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 arg;
	__u64 value;
	__u8 data[32];
};

/* &struct passgate_list_claim.flags: the file's word only, not verified */
#define PASSGATE_CLAIM_UNVERIFIED (1u << 0)
/*
 * &struct passgate_list_claim.flags: not delivered, but the generation
 * the daemon's record names, built again at its start from the lists it
 * kept, because the kernel had none (a reboot, a module reload)
 */
#define PASSGATE_CLAIM_RESTORED (1u << 1)
/*
 * &struct passgate_list_claim.flags: a list of train tickets, whose
 * generations are a sequence of their own; without it, health codes
 */
#define PASSGATE_CLAIM_TICKETS (1u << 2)

/**
 * struct passgate_list_claim - what a list said of itself, in the @data
 *	of LIST_ACTIVATED and LIST_REFUSED (@value: its generation)
 * @station: the station its header names, NUL-padded; all zero: none,
 *	or no header could be read
 * @flags: %PASSGATE_CLAIM_UNVERIFIED when its signature did not verify,
 *	%PASSGATE_CLAIM_RESTORED when it was restored at the daemon's start,
 *	%PASSGATE_CLAIM_TICKETS when it holds tickets
 * @__reserved: zero
 * @expires_at: unix seconds after which the list is not used, as its
 *	header says (LIST_ACTIVATED; 0 in older records and refusals)
 */
struct passgate_list_claim {
	char station[16];
	__u32 flags;
	__u32 __reserved;
	__u64 expires_at;
};

/**
 * DOC: Scanner-board frames
 *
 * The byte stream between a scanner board and the gate (on the UART, and
 * through write() on a scanboard node) is a sequence of frames::
 *
 *   0xA5 0x5A | len (u16 LE) | type (u8) | seq (u8) | payload (len) | crc
 *
 * crc is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no
 * final xor), u16 LE, over len, type, seq and payload.  len is at most
 * %PASSGATE_FRAME_PAYLOAD_MAX.  See docs/scanboard-protocol.md.
 */
#define PASSGATE_FRAME_SOF0 0xA5
#define PASSGATE_FRAME_SOF1 0x5A
#define PASSGATE_FRAME_HEADER 6
#define PASSGATE_FRAME_TRAILER 2
#define PASSGATE_FRAME_PAYLOAD_MAX 1020
#define PASSGATE_FRAME_MAX \
	(PASSGATE_FRAME_HEADER + PASSGATE_FRAME_PAYLOAD_MAX + \
	 PASSGATE_FRAME_TRAILER)

/**
 * enum passgate_frame_type - frame types
 * @PASSGATE_FRAME_SCAN: board -> gate: kind (u8), flags (u8),
 *	temperature (s16 LE, 0.01 °C, valid if flags has
 *	%PASSGATE_SCAN_F_TEMPERATURE), then the token (1 or more bytes)
 * @PASSGATE_FRAME_HEARTBEAT: board -> gate: status (u8, bitmask of
 *	&enum passgate_board_status), optional; more bytes are ignored
 * @PASSGATE_FRAME_INDICATE: gate -> board: seq of the SCAN answered (u8),
 *	light (u8, &enum passgate_light), beep (u8, &enum passgate_beep),
 *	message (u16 LE: &enum passgate_reason for the display)
 * @PASSGATE_FRAME_ACK: gate -> board: seq of the frame received (u8)
 */
enum passgate_frame_type {
	PASSGATE_FRAME_SCAN = 0x01,
	PASSGATE_FRAME_HEARTBEAT = 0x02,
	PASSGATE_FRAME_INDICATE = 0x81,
	PASSGATE_FRAME_ACK = 0x82,
};

/* SCAN payload: kind, flags, temperature, then the token. */
#define PASSGATE_SCAN_HEADER 4
/* INDICATE payload: seq, light, beep, message (u16 LE). */
#define PASSGATE_INDICATE_LEN 5

/**
 * enum passgate_board_status - HEARTBEAT status bits: what works
 * @PASSGATE_BOARD_IMAGER_OK: the QR imager
 * @PASSGATE_BOARD_READER_OK: the ID-card/NFC reader
 * @PASSGATE_BOARD_THERMOMETER_OK: the contactless thermometer
 */
enum passgate_board_status {
	PASSGATE_BOARD_IMAGER_OK = 1 << 0,
	PASSGATE_BOARD_READER_OK = 1 << 1,
	PASSGATE_BOARD_THERMOMETER_OK = 1 << 2,
};

/**
 * enum passgate_light - INDICATE light
 * @PASSGATE_LIGHT_OFF: off
 * @PASSGATE_LIGHT_GREEN: ACCEPT
 * @PASSGATE_LIGHT_RED: DENY
 * @PASSGATE_LIGHT_AMBER: PENDING: the next credential, please
 */
enum passgate_light {
	PASSGATE_LIGHT_OFF = 0,
	PASSGATE_LIGHT_GREEN = 1,
	PASSGATE_LIGHT_RED = 2,
	PASSGATE_LIGHT_AMBER = 3,
};

/**
 * enum passgate_beep - INDICATE beep pattern
 * @PASSGATE_BEEP_NONE: silent
 * @PASSGATE_BEEP_SHORT: ACCEPT, PENDING
 * @PASSGATE_BEEP_LONG: DENY
 * @PASSGATE_BEEP_TRIPLE: reserved for alarms
 */
enum passgate_beep {
	PASSGATE_BEEP_NONE = 0,
	PASSGATE_BEEP_SHORT = 1,
	PASSGATE_BEEP_LONG = 2,
	PASSGATE_BEEP_TRIPLE = 3,
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
#define PASSGATE_IOC_VERDICT _IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_VERDICT)
#define PASSGATE_IOC_GATE_SET_KEY \
	_IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_GATE_SET_KEY)
#define PASSGATE_IOC_GATE_NOTE _IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_GATE_NOTE)

/**
 * DOC: Generic netlink
 *
 * The generic netlink family %PASSGATE_GENL_NAME (version
 * %PASSGATE_GENL_VERSION) exists in the initial network namespace only.
 * Its multicast group %PASSGATE_GENL_MCGRP_EVENTS carries every event of
 * every gate as it is added to the gate's ring, in sequence order: one
 * %PASSGATE_NL_CMD_EVENT message per event, with %PASSGATE_A_GATE and
 * %PASSGATE_A_EVENT.  The ring is the source of truth; a notification that
 * cannot be allocated or queued is dropped, never the event.
 *
 * A listener that gets %ENOBUFS from recv() lost notifications: it dumps
 * %PASSGATE_NL_CMD_GET_EVENTS from the sequence number after the last
 * event it has, and ignores notifications it already has (same or lower
 * @seq).  Events that left the ring meanwhile come back as one
 * %PASSGATE_EV_LOST record, exactly as read() on the gate node gives it.
 *
 * Privileges: a netlink socket has no node whose permissions could
 * decide, so the family checks capabilities (netlink_capable(): the
 * socket's opener and the sender):
 * subscribing to %PASSGATE_GENL_MCGRP_EVENTS and
 * %PASSGATE_NL_CMD_GET_EVENTS need %CAP_NET_ADMIN;
 * %PASSGATE_NL_CMD_GET_LANE needs nothing; the commands that act on a
 * lane or gate need %CAP_NET_ADMIN and %CAP_SYS_ADMIN.  Unprivileged
 * programs use the nodes instead (see "Access control").
 *
 * Errno contract of requests (doit errors come with an extended ack
 * message; dumps report errors found before the first reply in the ack
 * without a message on Linux 6.1):
 *
 * - %EINVAL: an attribute fails the policy (unknown type, wrong length,
 *   sent by the kernel only) or %PASSGATE_A_FLAGS has a bit set (the ack's
 *   offset points at the attribute); a required attribute is missing (the
 *   ack names it in %NLMSGERR_ATTR_MISS_TYPE); a direction the lane is not
 *   configured for, an unknown mode;
 * - %ERANGE: %PASSGATE_A_DIRECTION is not an &enum passgate_direction (the
 *   policy's range; the ack points at it);
 * - %ENODEV: no bound gate numbered %PASSGATE_A_GATE, or no bound lane
 *   %PASSGATE_A_LANE in it; a dump whose gate is unbound while it runs
 *   ends with it;
 * - %EPERM: the caller lacks a capability named above;
 * - %EBUSY: as the ioctls: open while the lane is not LOCKED, fire reset
 *   while an input is active;
 * - %EOPNOTSUPP: a command the kernel does not take (%PASSGATE_NL_CMD_EVENT),
 *   or a dump-only command without %NLM_F_DUMP.
 */
#define PASSGATE_GENL_NAME "passgate"
#define PASSGATE_GENL_VERSION 1
#define PASSGATE_GENL_MCGRP_EVENTS "events"

/**
 * enum passgate_nl_cmd - commands of the passgate generic netlink family
 * @PASSGATE_NL_CMD_UNSPEC: unused
 * @PASSGATE_NL_CMD_EVENT: kernel to userspace only: one event, as a
 *	notification to %PASSGATE_GENL_MCGRP_EVENTS and as each message of a
 *	%PASSGATE_NL_CMD_GET_EVENTS dump; %PASSGATE_A_GATE, %PASSGATE_A_EVENT
 * @PASSGATE_NL_CMD_GET_EVENTS: dump the events of gate %PASSGATE_A_GATE
 *	from sequence number %PASSGATE_A_SEQ up to the last one emitted when
 *	the dump started, from the gate's ring; a LOST record first if
 *	%PASSGATE_A_SEQ left the ring (and wherever the dump falls behind it)
 * @PASSGATE_NL_CMD_GET_LANE: %PASSGATE_A_GATE and %PASSGATE_A_LANE: reply
 *	with the lane's %PASSGATE_A_INFO and %PASSGATE_A_STATE; as a dump,
 *	with %PASSGATE_A_GATE only: one such message per lane, by lane number
 * @PASSGATE_NL_CMD_LANE_OPEN: %PASSGATE_IOC_OPEN: %PASSGATE_A_GATE,
 *	%PASSGATE_A_LANE, %PASSGATE_A_DIRECTION
 * @PASSGATE_NL_CMD_LANE_SET_MODE: %PASSGATE_IOC_SET_MODE: %PASSGATE_A_GATE,
 *	%PASSGATE_A_LANE, %PASSGATE_A_MODE (&enum passgate_lane_mode)
 * @PASSGATE_NL_CMD_LANE_RESET_ALARMS: %PASSGATE_IOC_RESET_ALARMS:
 *	%PASSGATE_A_GATE, %PASSGATE_A_LANE
 * @PASSGATE_NL_CMD_GATE_SET_MODE: %PASSGATE_IOC_GATE_SET_MODE:
 *	%PASSGATE_A_GATE, %PASSGATE_A_MODE (&enum passgate_gate_mode)
 * @PASSGATE_NL_CMD_GATE_RESET_FIRE: %PASSGATE_IOC_GATE_RESET_FIRE:
 *	%PASSGATE_A_GATE
 * @__PASSGATE_NL_CMD_LAST: internal
 */
enum passgate_nl_cmd {
	PASSGATE_NL_CMD_UNSPEC,
	PASSGATE_NL_CMD_EVENT,
	PASSGATE_NL_CMD_GET_EVENTS,
	PASSGATE_NL_CMD_GET_LANE,
	PASSGATE_NL_CMD_LANE_OPEN,
	PASSGATE_NL_CMD_LANE_SET_MODE,
	PASSGATE_NL_CMD_LANE_RESET_ALARMS,
	PASSGATE_NL_CMD_GATE_SET_MODE,
	PASSGATE_NL_CMD_GATE_RESET_FIRE,
	__PASSGATE_NL_CMD_LAST
};
#define PASSGATE_NL_CMD_MAX (__PASSGATE_NL_CMD_LAST - 1)

/**
 * enum passgate_nl_attr - attributes of the passgate family
 * @PASSGATE_A_UNSPEC: unused
 * @PASSGATE_A_GATE: u32: the gate's number (``passgate,id``)
 * @PASSGATE_A_LANE: u32: the lane's number within its gate
 * @PASSGATE_A_SEQ: u64: the first sequence number wanted
 * @PASSGATE_A_EVENT: binary, kernel to userspace: one &struct
 *	passgate_event
 * @PASSGATE_A_INFO: binary, kernel to userspace: &struct passgate_info,
 *	@size set
 * @PASSGATE_A_STATE: binary, kernel to userspace: &struct passgate_state,
 *	@size set
 * @PASSGATE_A_DIRECTION: u32: &enum passgate_direction
 * @PASSGATE_A_MODE: u32: &enum passgate_lane_mode or &enum
 *	passgate_gate_mode, as the command says
 * @PASSGATE_A_FLAGS: u32: reserved, must be 0 (%EINVAL otherwise); any
 *	request may carry it
 * @__PASSGATE_A_LAST: internal
 */
enum passgate_nl_attr {
	PASSGATE_A_UNSPEC,
	PASSGATE_A_GATE,
	PASSGATE_A_LANE,
	PASSGATE_A_SEQ,
	PASSGATE_A_EVENT,
	PASSGATE_A_INFO,
	PASSGATE_A_STATE,
	PASSGATE_A_DIRECTION,
	PASSGATE_A_MODE,
	PASSGATE_A_FLAGS,
	__PASSGATE_A_LAST
};
#define PASSGATE_A_MAX (__PASSGATE_A_LAST - 1)

#endif /* _UAPI_LINUX_PASSGATE_H */
