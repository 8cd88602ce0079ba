/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the kselftests know of the test gate (selftests/testgate.asl) and
 * how they drive it: the test board's lines, the lanes' device nodes and
 * their platform devices in sysfs.
 */
#ifndef PASSGATE_GATE_FIXTURE_H
#define PASSGATE_GATE_FIXTURE_H

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <linux/passgate.h>

/* Test-board lines of a lane, as wired in testgate.asl. */
enum tb_lane_line {
	TB_UNLOCK_EXIT,
	TB_UNLOCK_ENTRY,
	TB_BEAM_INNER,
	TB_BEAM_OUTER,
	TB_ALARM,
	TB_GREEN,
	TB_RED,
};

#define TB_LANE_LINE(lane, what) ((lane) * 8 + (what))
#define TB_FIRE_ALARM 16
#define TB_FIRE_FAULT 17

/*
 * The second gate (passgate,id 1): a fire-alarm input and one lane, its
 * lines from 24 on in the same order as a lane of gate 0.
 */
#define TB_GATE1_LANES 1
#define TB_GATE1_LANE_LINE(lane, what) (24 + (lane) * 8 + (what))
#define TB_GATE1_FIRE_ALARM 18
/* Gate 1's fire alarm is wired normally closed: 0 is an alarm (or a cut). */
#define TB_GATE1_FIRE_QUIET 1
#define TB_GATE1_FIRE_ALARMED 0
/* Line @what of lane @lane of gate @gate (0 or 1). */
#define TB_GATE_LANE_LINE(gate, lane, what) \
	((gate) ? TB_GATE1_LANE_LINE(lane, what) : TB_LANE_LINE(lane, what))
/* The test gate's gates and the lanes of each. */
#define TEST_GATES 2
#define TEST_GATE_LANES(gate) ((gate) ? TB_GATE1_LANES : 2)

/* Safety net for waits that should end at once: never a synchronisation. */
#define GATE_WAIT_MS 10000

/* Write @s to the sysfs or debugfs file @path in one write(); 0 or -errno. */
int write_string(const char *path, const char *s);
/* Drive an input line of the test board; returns 0 or -errno. */
int tb_drive(unsigned int line, int value);
/* The same with no interrupt: an edge the gate's driver never hears. */
int tb_drive_quiet(unsigned int line, int value);
/* Read a line of the test board: 0, 1 or -errno. */
int tb_read(unsigned int line);

/* Open /dev/passgate/gateG/laneL/<node>; returns fd or -1 with errno. */
int lane_open(unsigned int gate, unsigned int lane, const char *node,
	      int flags);
/* The lane's platform device name, as its driver's bind/unbind take it. */
int lane_device_name(unsigned int gate, unsigned int lane, char *buf,
		     size_t len);
/*
 * Bind every passgate gate, lane, scanner board and reader (ID-card SAM,
 * QR engine) of the firmware (a test unbound some): the gate as the
 * firmware describes it.  Returns once
 * each has been probed and every lane of the test gate opens, as the
 * probes of the lanes that waited for their gate run on after the gate's
 * bind returned; 0 or -errno.
 */
int gate_bind_all(void);
/*
 * Unbind (bind = false) or bind a platform device; bound already is 0.
 * Binding a gate does not wait for the lanes whose probes waited for it:
 * bind those too (ordered after a probe of theirs in flight) or wait with
 * gate_wait_lanes().
 */
int driver_bind(const char *driver, const char *device, bool bind);
/*
 * Until gate @gate's node and the turnstile nodes of its lanes 0 to
 * @lanes - 1 open: 0, or the last open's -errno after GATE_WAIT_MS.
 */
int gate_wait_lanes(unsigned int gate, unsigned int lanes);

/*
 * Until the lane's outputs, masked, are @want (0 at once if they are):
 * 0, or -ETIMEDOUT after GATE_WAIT_MS without it.
 */
int lane_wait_outputs(int fd, unsigned int mask, unsigned int want);
/*
 * Read turnstile state records until one has all of @beams_mask's bits as
 * in @beams; returns 0, or -errno (-ETIMEDOUT when GATE_WAIT_MS passed).
 */
int lane_wait_beams(int fd, unsigned int beams_mask, unsigned int beams,
		    struct passgate_state *out);

/* Lane and gate commands; each returns 0 or -errno. */
int lane_cmd_open(int fd, unsigned int direction);
int lane_set_mode(int fd, unsigned int mode);
int lane_reset_alarms(int fd);
int lane_get_state(int fd, struct passgate_state *state);
int gate_open(unsigned int gate, int flags);
int gate_set_mode(int fd, unsigned int mode);
int gate_reset_fire(int fd);
int gate_get_state(int fd, struct passgate_gate_state *state);

/*
 * Drive a beam of a lane and wait until the lane has seen it, so that the
 * next edge is a separate one for the state machine.  @state_fd is a
 * turnstile file of that lane opened O_NONBLOCK.
 */
int lane_beam(int state_fd, unsigned int lane, unsigned int beam, int value);
/* The same on lane @lane of gate @gate. */
int gate_lane_beam(int state_fd, unsigned int gate, unsigned int lane,
		   unsigned int beam, int value);

/*
 * Read gate events from the file position until one of @type for @lane
 * (PASSGATE_LANE_NONE for gate-wide ones) comes; -ETIMEDOUT after
 * GATE_WAIT_MS.  The file must be O_NONBLOCK.
 */
int gate_wait_event(int fd, unsigned int type, unsigned int lane,
		    struct passgate_event *out);

/*
 * Put the test gate back as a test expects to find it: everything bound,
 * inputs quiet, fire reset, gate and lanes NORMAL with no pending unlock,
 * alarms reset; on both gates.
 */
int gate_restore(void);

/* Relock lane @lane of gate 0 (CLOSED, then NORMAL): ends a pending unlock. */
int lane_relock(unsigned int lane);
/* The same on lane @lane of gate @gate. */
int gate_lane_relock(unsigned int gate, unsigned int lane);

/* Drop CAP_SYS_ADMIN from the calling thread's effective set. */
int drop_cap_sys_admin(void);

/* Drop capability @cap from the calling thread's effective set. */
int drop_cap(unsigned int cap);

/* The gate's platform device name, as its driver's bind/unbind take it. */
int gate_device_name(unsigned int gate, char *buf, size_t len);

/* BUILD/bin, found from the test binary's own place (BUILD/selftests/). */
int build_bin_dir(char *buf, size_t len);
/*
 * Start BUILD/bin/passgated -c @config, its stderr appended to @log;
 * returns its pid once it printed "ready", or -1.
 */
int passgated_start(const char *config, const char *log);

/*
 * The same, as @user (its groups too) with exactly the capabilities
 * @caps (setpriv(1) syntax, "+bpf,+perfmon"; "" for none), as
 * dist/passgated@.service starts it.
 */
int passgated_start_as(const char *config, const char *log, const char *user,
		       const char *caps);

/*
 * Whether this machine is a gate PC as the packages make it: the users of
 * dist/passgate.sysusers exist and udev applies dist/60-passgate.rules
 * (qemu/guest-privileges.sh).  GATEPC_ROOT holds its tmpfiles folders.
 */
#define GATEPC_ROOT "/tmp/gatepc"
bool gatepc_ready(void);
/* execvp @argv as @user with exactly @caps; returns only on failure. */
void exec_as(const char *user, const char *caps, char *const argv[]);
/* Wait until udev handled every node event so far (0 when no udev). */
int gatepc_settle(void);
/*
 * One row of docs/RELIABILITY.md: what was tried, how many times, what was
 * expected and what happened.  Printed as "# TALLY|...", collected from the
 * test logs by scripts/reliability.sh.  tally() is called from a test's
 * body: a test whose checks failed before it prints its row as FAILED, so
 * that no row states a result the test did not see.
 */
void tally_row(bool passed, const char *what, unsigned long long count,
	       const char *expected, const char *happened_fmt, ...)
	__attribute__((format(printf, 5, 6)));
#define tally(...) tally_row(_metadata->passed, __VA_ARGS__)
/*
 * The operator change @ev names this process (uid, pid, command name) and
 * netlink port @nl_port (0: an ioctl): 0, or -1 saying what differs.
 */
int event_actor_is_me(const struct passgate_event *ev, unsigned int nl_port);
/* Create or replace @path (mode 0600) holding @len bytes of @data; 0 or -1. */
int file_write(const char *path, const void *data, size_t len);
/* Send @sig to @pid and reap it: its wait status, or -1. */
int process_stop(pid_t pid, int sig);
/* A counter of /sys/kernel/debug/passgate/gate0-laneL, or -1. */
long long lane_stat(unsigned int lane, const char *name);
/* A counter of /sys/kernel/debug/passgate/gateG-laneL, or -1. */
long long gate_lane_stat(unsigned int gate, unsigned int lane,
			 const char *name);

/*
 * A TCP port on 127.0.0.1 that was free a moment ago (another server may
 * take it before the caller binds it), or -1.
 */
int free_port(void);

#endif
