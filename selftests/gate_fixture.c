// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate_fixture.h"

#define TB_DEBUGFS "/sys/kernel/debug/passgate-testboard"

static int tb_line_path(unsigned int line, char *path, size_t len)
{
	struct dirent *de;
	DIR *dir;
	int ret = -ENOENT;

	dir = opendir(TB_DEBUGFS);
	if (!dir)
		return -errno;
	/* The firmware's chip, not one the gate factory built. */
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' ||
		    !strncmp(de->d_name, "passgate-testboard.", 19))
			continue;
		snprintf(path, len, TB_DEBUGFS "/%s/%u", de->d_name, line);
		ret = 0;
		break;
	}
	closedir(dir);
	return ret;
}

int write_string(const char *path, const char *s)
{
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int tb_write(unsigned int line, const char *text)
{
	char path[PATH_MAX];
	int ret;

	ret = tb_line_path(line, path, sizeof(path));
	return ret ? ret : write_string(path, text);
}

int tb_drive(unsigned int line, int value)
{
	return tb_write(line, value ? "1" : "0");
}

int tb_drive_quiet(unsigned int line, int value)
{
	return tb_write(line, value ? "q1" : "q0");
}

int tb_read(unsigned int line)
{
	char path[PATH_MAX], buf[8] = "";
	ssize_t n;
	int fd, ret;

	ret = tb_line_path(line, path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	return buf[0] == '1';
}

int lane_open(unsigned int gate, unsigned int lane, const char *node,
	      int flags)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/passgate/gate%u/lane%u/%s",
		 gate, lane, node);
	return open(path, flags | O_CLOEXEC);
}

int lane_device_name(unsigned int gate, unsigned int lane, char *buf,
		     size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path),
		 "/sys/class/passgate/passgate!gate%u!lane%u!turnstile/device",
		 gate, lane);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
	return 0;
}

static long long fixture_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static int bus_bind(const char *bus, const char *driver, const char *device,
		    bool bind)
{
	long long end = fixture_now_ms() + GATE_WAIT_MS;
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/%s/drivers/%s/%s", bus, driver,
		 bind ? "bind" : "unbind");
	for (;;) {
		ret = write_string(path, device);
		/*
		 * Bound already, e.g. re-probed when its supplier came back.
		 * bind takes the device lock, which a probe holds to its
		 * end: EBUSY means bound and probed, its nodes made.
		 */
		if (bind && ret == -EBUSY)
			return 0;
		/*
		 * Deferred: its supplier may be coming back right now, and
		 * the deferred-probe worker re-probes it on its own
		 * schedule.  Ask again (the lock orders us after that
		 * probe) until bound or the wait is over.
		 */
		if (!bind || ret != -EAGAIN || fixture_now_ms() >= end)
			return ret;
		poll(NULL, 0, 10);
	}
}

int driver_bind(const char *driver, const char *device, bool bind)
{
	return bus_bind("platform", driver, device, bind);
}

/*
 * Bind every device of @bus matching @compatible to @driver, bound already
 * or not.  A device with a driver link may still be in its probe: once a
 * gate binds, the deferred-probe worker probes its lanes (and a lane's
 * board and readers) on its own, and the driver core makes the link
 * before it calls the probe.  bind waits for the device lock that probe
 * holds and then answers EBUSY (bus_bind), so on return each device has
 * been probed.
 */
static int bind_every(const char *bus, const char *compatible,
		      const char *driver)
{
	char path[PATH_MAX], modalias[256];
	struct dirent *de;
	int fd, ret = 0;
	ssize_t n;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/%s/devices", bus);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && !ret) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/%s/devices/%s/modalias",
			 bus, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, modalias, sizeof(modalias) - 1);
		close(fd);
		if (n <= 0)
			continue;
		modalias[n] = '\0';
		if (!strstr(modalias, compatible))
			continue;
		ret = bus_bind(bus, driver, de->d_name, true);
	}
	closedir(dir);
	return ret;
}

/* Open @path read-only and close it again: 0, or -errno. */
static int node_opens(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int gate_wait_lanes(unsigned int gate, unsigned int lanes)
{
	long long end = fixture_now_ms() + GATE_WAIT_MS;
	char path[PATH_MAX];
	unsigned int lane = 0;
	int ret;

	snprintf(path, sizeof(path), "/dev/passgate/gate%u/gate", gate);
	for (;;) {
		/*
		 * A lane makes its nodes, then publishes itself: until then
		 * its node is missing (ENOENT) or does not open (ENODEV).
		 */
		ret = node_opens(path);
		if (!ret) {
			if (lane == lanes)
				return 0;
			snprintf(path, sizeof(path),
				 "/dev/passgate/gate%u/lane%u/turnstile", gate,
				 lane++);
			continue;
		}
		if (fixture_now_ms() >= end)
			return ret;
		poll(NULL, 0, 10);
	}
}

int gate_bind_all(void)
{
	static const struct {
		const char *compatible, *driver;
	} serial[] = {
		{ "Cpassgate,scanboard", "passgate-scanboard" },
		{ "Cpassgate,id-sam", "passgate-id-sam" },
		{ "Cpassgate,qr-engine", "passgate-qr-engine" },
	};
	unsigned int gate, i;
	int ret;

	ret = bind_every("platform", "Cpassgate,gate", "passgate-gate");
	if (!ret)
		ret = bind_every("platform", "Cpassgate,turnstile",
				 "passgate-turnstile");
	/* What the tests open: every lane of the test gate, ready. */
	for (gate = 0; gate < TEST_GATES && !ret; gate++)
		ret = gate_wait_lanes(gate, TEST_GATE_LANES(gate));
	/* Then what hangs on the lanes' UARTs, whose probes wait for them. */
	for (i = 0; i < sizeof(serial) / sizeof(serial[0]) && !ret; i++)
		ret = bind_every("serial", serial[i].compatible,
				 serial[i].driver);
	return ret;
}

/* Read @fd's state records until (*field & mask) == want. */
static int lane_wait_for(int fd, size_t field, unsigned int mask,
			 unsigned int want, struct passgate_state *out)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct passgate_state state;
	unsigned int value;
	ssize_t n;
	int ret;

	for (;;) {
		ret = poll(&pfd, 1, GATE_WAIT_MS);
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
		n = read(fd, &state, sizeof(state));
		if (n < 0)
			return errno == EAGAIN ? -EAGAIN : -errno;
		memcpy(&value, (char *)&state + field, sizeof(value));
		if ((value & mask) == want) {
			if (out)
				*out = state;
			return 0;
		}
	}
}

int lane_wait_beams(int fd, unsigned int beams_mask, unsigned int beams,
		    struct passgate_state *out)
{
	return lane_wait_for(fd, offsetof(struct passgate_state, beams),
			     beams_mask, beams, out);
}

int lane_wait_outputs(int fd, unsigned int mask, unsigned int want)
{
	struct passgate_state state;
	int ret = lane_get_state(fd, &state);

	if (ret || (state.outputs & mask) == want)
		return ret;
	return lane_wait_for(fd, offsetof(struct passgate_state, outputs),
			     mask, want, NULL);
}

static int lane_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int lane_cmd_open(int fd, unsigned int direction)
{
	struct passgate_open open = {
		.size = sizeof(open), .direction = direction,
	};

	return lane_ioctl(fd, PASSGATE_IOC_OPEN, &open);
}

int lane_set_mode(int fd, unsigned int mode)
{
	struct passgate_mode m = { .size = sizeof(m), .mode = mode };

	return lane_ioctl(fd, PASSGATE_IOC_SET_MODE, &m);
}

int lane_reset_alarms(int fd)
{
	struct passgate_reset r = { .size = sizeof(r) };

	return lane_ioctl(fd, PASSGATE_IOC_RESET_ALARMS, &r);
}

int lane_get_state(int fd, struct passgate_state *state)
{
	memset(state, 0, sizeof(*state));
	state->size = sizeof(*state);
	return lane_ioctl(fd, PASSGATE_IOC_GET_STATE, state);
}

int gate_open(unsigned int gate, int flags)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/passgate/gate%u/gate", gate);
	return open(path, flags | O_CLOEXEC);
}

int gate_set_mode(int fd, unsigned int mode)
{
	struct passgate_mode m = { .size = sizeof(m), .mode = mode };

	return lane_ioctl(fd, PASSGATE_IOC_GATE_SET_MODE, &m);
}

int gate_reset_fire(int fd)
{
	struct passgate_reset r = { .size = sizeof(r) };

	return lane_ioctl(fd, PASSGATE_IOC_GATE_RESET_FIRE, &r);
}

int gate_get_state(int fd, struct passgate_gate_state *state)
{
	memset(state, 0, sizeof(*state));
	state->size = sizeof(*state);
	return lane_ioctl(fd, PASSGATE_IOC_GATE_GET_STATE, state);
}

int lane_relock(unsigned int lane)
{
	return gate_lane_relock(0, lane);
}

int gate_lane_relock(unsigned int gate, unsigned int lane)
{
	int fd = lane_open(gate, lane, "turnstile", O_RDWR), ret;

	if (fd < 0)
		return -errno;
	ret = lane_set_mode(fd, PASSGATE_MODE_CLOSED);
	if (!ret)
		ret = lane_set_mode(fd, PASSGATE_MODE_NORMAL);
	close(fd);
	return ret;
}

int lane_beam(int state_fd, unsigned int lane, unsigned int beam, int value)
{
	unsigned int line = beam == PASSGATE_BEAM_INNER ?
			    TB_BEAM_INNER : TB_BEAM_OUTER;
	int ret;

	ret = tb_drive(TB_LANE_LINE(lane, line), value);
	if (ret)
		return ret;
	return lane_wait_beams(state_fd, beam, value ? beam : 0, NULL);
}

int gate_lane_beam(int state_fd, unsigned int gate, unsigned int lane,
		   unsigned int beam, int value)
{
	unsigned int line = beam == PASSGATE_BEAM_INNER ?
			    TB_BEAM_INNER : TB_BEAM_OUTER;
	int ret;

	ret = tb_drive(TB_GATE_LANE_LINE(gate, lane, line), value);
	if (ret)
		return ret;
	return lane_wait_beams(state_fd, beam, value ? beam : 0, NULL);
}

int gate_wait_event(int fd, unsigned int type, unsigned int lane,
		    struct passgate_event *out)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct passgate_event ev;
	ssize_t n;
	int ret;

	for (;;) {
		n = read(fd, &ev, sizeof(ev));
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (n == sizeof(ev)) {
			if (ev.type == type && ev.lane == lane) {
				if (out)
					*out = ev;
				return 0;
			}
			continue;
		}
		ret = poll(&pfd, 1, GATE_WAIT_MS);
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
	}
}

/* One gate of the test gate back to what a test expects to find. */
static int gate_restore_one(unsigned int gate)
{
	unsigned int i;
	int fd, ret;

	for (i = 0; i < TEST_GATE_LANES(gate); i++) {
		ret = tb_drive(TB_GATE_LANE_LINE(gate, i, TB_BEAM_INNER), 0);
		if (!ret)
			ret = tb_drive(TB_GATE_LANE_LINE(gate, i, TB_BEAM_OUTER),
				       0);
		if (ret)
			return ret;
	}
	if (gate) {
		ret = tb_drive(TB_GATE1_FIRE_ALARM, TB_GATE1_FIRE_QUIET);
	} else {
		ret = tb_drive(TB_FIRE_ALARM, 0);
		if (!ret)
			ret = tb_drive(TB_FIRE_FAULT, 0);
	}
	if (ret)
		return ret;

	fd = gate_open(gate, O_RDWR);
	if (fd < 0)
		return -errno;
	ret = gate_reset_fire(fd);
	if (!ret)
		ret = gate_set_mode(fd, PASSGATE_GATE_NORMAL);
	close(fd);

	for (i = 0; i < TEST_GATE_LANES(gate) && !ret; i++) {
		struct passgate_state state;

		fd = lane_open(gate, i, "turnstile", O_RDWR | O_NONBLOCK);
		if (fd < 0)
			return -errno;
		/* CLOSED ends a pending unlock; the beams must be seen clear. */
		ret = lane_set_mode(fd, PASSGATE_MODE_CLOSED);
		if (!ret)
			ret = lane_set_mode(fd, PASSGATE_MODE_NORMAL);
		if (!ret)
			ret = lane_reset_alarms(fd);
		if (!ret)
			ret = lane_wait_beams(fd, 3, 0, &state);
		close(fd);
	}
	return ret;
}

int gate_restore(void)
{
	unsigned int gate;
	int ret;

	ret = gate_bind_all();
	for (gate = 0; gate < TEST_GATES && !ret; gate++)
		ret = gate_restore_one(gate);
	return ret;
}

int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int drop_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (cap >= 64)
		return -EINVAL;
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[cap / 32].effective &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int gate_device_name(unsigned int gate, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path),
		 "/sys/class/passgate/passgate!gate%u!gate/device", gate);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
	return 0;
}

int build_bin_dir(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	/* BUILD/selftests/NAME -> BUILD */
	for (int i = 0; i < 2; i++) {
		slash = strrchr(exe, '/');
		if (!slash)
			return -ENOENT;
		*slash = '\0';
	}
	snprintf(buf, len, "%s/bin", exe);
	return 0;
}

void exec_as(const char *user, const char *caps, char *const argv[])
{
	char inh[128], amb[128], bnd[128];
	char *args[64] = { "setpriv", "--reuid", (char *)user, "--regid",
			   (char *)user, "--init-groups", inh, amb, bnd, "--" };
	unsigned int n = 10;

	snprintf(inh, sizeof(inh), "--inh-caps=-all%s%s", *caps ? "," : "",
		 caps);
	snprintf(amb, sizeof(amb), "--ambient-caps=-all%s%s",
		 *caps ? "," : "", caps);
	snprintf(bnd, sizeof(bnd), "--bounding-set=-all%s%s",
		 *caps ? "," : "", caps);
	while (*argv && n < 63)
		args[n++] = *argv++;
	args[n] = NULL;
	execvp("setpriv", args);
}

bool gatepc_ready(void)
{
	return getgrnam("passgate") && getgrnam("passgate-monitor") &&
	       getpwnam("passgate-uplink") &&
	       !access("/run/udev/rules.d/60-passgate.rules", F_OK);
}

int gatepc_settle(void)
{
	if (access("/run/udev/rules.d/60-passgate.rules", F_OK))
		return 0;
	return system("udevadm settle --timeout=60") ? -1 : 0;
}

int passgated_start(const char *config, const char *log)
{
	return passgated_start_as(config, log, NULL, NULL);
}

int passgated_start_as(const char *config, const char *log, const char *user,
		       const char *caps)
{
	char bin[PATH_MAX], exe[PATH_MAX + 16], line[16] = "";
	int out[2];
	pid_t pid;

	if (build_bin_dir(bin, sizeof(bin)) || pipe(out))
		return -1;
	snprintf(exe, sizeof(exe), "%s/passgated", bin);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(out[1], STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (!user) {
			execl(exe, "passgated", "-c", config, (char *)NULL);
			_exit(127);
		}
		exec_as(user, caps, (char *const []){ exe, "-c",
			(char *)config, NULL });
		_exit(127);
	}
	close(out[1]);
	/* "ready" once it decides: the wait is on its output, not on time. */
	if (read(out[0], line, sizeof(line) - 1) <= 0 ||
	    strncmp(line, "ready", 5)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(out[0]);
	return pid;
}

long long gate_lane_stat(unsigned int gate, unsigned int lane,
			 const char *name)
{
	char path[64], line[128], key[96];
	long long value, found = -1;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/passgate/gate%u-lane%u", gate, lane);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%95s %lld", key, &value) == 2 &&
		    !strcmp(key, name))
			found = value;
	fclose(f);
	return found;
}

long long lane_stat(unsigned int lane, const char *name)
{
	return gate_lane_stat(0, lane, name);
}

void tally_row(bool passed, const char *what, unsigned long long count,
	       const char *expected, const char *happened_fmt, ...)
{
	char happened[256];
	va_list ap;

	va_start(ap, happened_fmt);
	vsnprintf(happened, sizeof(happened), happened_fmt, ap);
	va_end(ap);
	printf("# TALLY|%s|%llu|%s|%s%s\n", what, count, expected,
	       passed ? "" : "FAILED (the test's checks did not hold; see its "
	       "log): ", happened);
	fflush(stdout);
}

int event_actor_is_me(const struct passgate_event *ev, unsigned int nl_port)
{
	struct passgate_actor a;
	char comm[sizeof(a.comm)] = "";
	FILE *f = fopen("/proc/self/comm", "r");

	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	memcpy(&a, ev->data, sizeof(a));
	if (a.uid == getuid() && a.pid == (unsigned int)getpid() &&
	    a.nl_port == nl_port && !strncmp(a.comm, comm, sizeof(a.comm)))
		return 0;
	fprintf(stderr, "# actor: uid %u pid %u port %u comm %.16s; "
		"expected uid %u pid %d port %u comm %s\n", a.uid, a.pid,
		a.nl_port, a.comm, getuid(), getpid(), nl_port, comm);
	return -1;
}

int process_stop(pid_t pid, int sig)
{
	int status;

	kill(pid, sig);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

int file_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0 && !bind(s, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(s, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(s);
	return port;
}
