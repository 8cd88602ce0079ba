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
 * Both answer %PASSGATE_IOC_GET_INFO.  In sysfs they are the class devices
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
 * - %EPERM: the command needs %CAP_SYS_ADMIN and the caller lacks it.
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
 * struct passgate_state - PASSGATE_IOC_GET_STATE argument, read() record
 * @size: sizeof(struct passgate_state); read() fills it in
 * @flags: must be 0
 * @change: out: counts the lane's state changes since probe; read()
 *	returns a record whenever it moved past the last one this file saw
 * @beams: out: bitmask of &enum passgate_beam, as last sensed
 * @outputs: out: bitmask of &enum passgate_output, as last driven
 * @__reserved: must be 0
 */
struct passgate_state {
	__u32 size;
	__u32 flags;
	__u64 change;
	__u32 beams;
	__u32 outputs;
	__u64 __reserved[4];
};

#define PASSGATE_IOC_GET_INFO _IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_GET_INFO)
#define PASSGATE_IOC_GET_STATE _IO(PASSGATE_IOC_TYPE, PASSGATE_CMD_GET_STATE)

#endif /* _UAPI_LINUX_PASSGATE_H */
