// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lanes bound from the test gate's firmware: device nodes, GET_INFO, the
 * ioctl size/flags/reserved contract, sensing, and unbind with open files.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"

#define LANE_DRIVER "passgate-turnstile"

/*
 * The kernel makes every node 0600 root; on a gate PC the udev rule
 * (dist/60-passgate.rules) gives it to the passgate group, read-write.
 */
TEST(nodes_exist)
{
	static const char * const nodes[] = { "turnstile", "scanboard" };
	struct group *gr = gatepc_ready() ? getgrnam("passgate") : NULL;
	unsigned int lane, i;
	struct stat st;
	char path[64];

	ASSERT_EQ(0, gatepc_settle());
	for (lane = 0; lane < 2; lane++) {
		for (i = 0; i < 2; i++) {
			snprintf(path, sizeof(path),
				 "/dev/passgate/gate0/lane%u/%s", lane, nodes[i]);
			ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
			EXPECT_TRUE(S_ISCHR(st.st_mode));
			EXPECT_EQ(gr ? 0660 : 0600, st.st_mode & 0777);
			EXPECT_EQ(gr ? gr->gr_gid : 0, st.st_gid);
		}
	}
}

static int get_info(int fd, struct passgate_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, PASSGATE_IOC_GET_INFO, info);
}

TEST(info_lane0_from_firmware)
{
	struct passgate_info info;
	int fd;

	fd = lane_open(0, 0, "turnstile", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, get_info(fd, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(PASSGATE_ABI_VERSION, info.abi_version);
	EXPECT_EQ(0, info.gate);
	EXPECT_EQ(0, info.lane);
	EXPECT_EQ(PASSGATE_CAP_UNLOCK_EXIT | PASSGATE_CAP_UNLOCK_ENTRY |
		  PASSGATE_CAP_BEAMS | PASSGATE_CAP_ALARM |
		  PASSGATE_CAP_INDICATOR | PASSGATE_CAP_FAIL_SAFE,
		  info.capabilities);
	EXPECT_EQ(1 << PASSGATE_DIR_EXIT | 1 << PASSGATE_DIR_ENTRY,
		  info.directions);
	EXPECT_EQ(2000, info.passage_timeout_ms);
	EXPECT_EQ(200, info.alarm_ms);
	close(fd);
}

/* An exit lane is fail-safe (no hardware fire interlock declared). */
TEST(info_lane1_fail_safe_exit_only)
{
	struct passgate_info info;
	int fd;

	/* The scanner-board node answers for its lane too. */
	fd = lane_open(0, 1, "scanboard", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, get_info(fd, &info));
	EXPECT_EQ(1, info.lane);
	EXPECT_EQ(PASSGATE_CAP_FAIL_SAFE,
		  info.capabilities & PASSGATE_CAP_FAIL_SAFE);
	EXPECT_EQ(1 << PASSGATE_DIR_EXIT, info.directions);
	close(fd);
}

/* Gate 1's lane: fail-secure, allowed by its declared fire interlock. */
TEST(info_gate1_lane0_fail_secure)
{
	struct passgate_info info;
	int fd;

	fd = lane_open(1, 0, "turnstile", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, get_info(fd, &info));
	EXPECT_EQ(1, info.gate);
	EXPECT_EQ(0, info.capabilities & PASSGATE_CAP_FAIL_SAFE);
	EXPECT_EQ(1 << PASSGATE_DIR_EXIT | 1 << PASSGATE_DIR_ENTRY,
		  info.directions);
	close(fd);
}

/*
 * Every ioctl: its node, its struct, the offset of a reserved field (or
 * SIZE_MAX), how to make a valid argument, and what that valid argument
 * gives on the test gate (a VERDICT for no queued scan is ENOENT).
 */
/* The node a command belongs on (docs/abi.md). */
enum ioctl_node { ON_TURNSTILE, ON_SCANBOARD, ON_GATE };

struct ioctl_case {
	const char *name;
	unsigned long cmd;
	enum ioctl_node node;
	size_t size;
	size_t min_size;	/* the struct's first version; 0: @size */
	size_t reserved_off;
	void (*prepare)(uint8_t *buf);
	int valid_errno;
};

static void prepare_verdict(uint8_t *buf)
{
	((struct passgate_verdict_cmd *)buf)->verdict = PASSGATE_VERDICT_DENY;
}

static void prepare_key(uint8_t *buf)
{
	struct passgate_key *k = (struct passgate_key *)buf;

	/* The key scan_test uses, so the order of the tests does not matter. */
	memcpy(k->key, "passgate-selftest-deployment-key", sizeof(k->key));
	k->flags = PASSGATE_KEY_F_REPLACE;
}

static void prepare_note(uint8_t *buf)
{
	((struct passgate_note *)buf)->type = PASSGATE_EV_LIST_EXPIRED;
}

#define IOCTL_CASE(_cmd, _node, _struct, ...)				\
	{ .name = #_cmd, .cmd = PASSGATE_IOC_##_cmd, .node = _node,	\
	  .size = sizeof(struct _struct),				\
	  .reserved_off = offsetof(struct _struct, __reserved), __VA_ARGS__ }

static const struct ioctl_case ioctl_cases[] = {
	IOCTL_CASE(GET_INFO, ON_TURNSTILE, passgate_info),
	IOCTL_CASE(GET_STATE, ON_TURNSTILE, passgate_state),
	IOCTL_CASE(OPEN, ON_TURNSTILE, passgate_open),
	IOCTL_CASE(SET_MODE, ON_TURNSTILE, passgate_mode),
	IOCTL_CASE(RESET_ALARMS, ON_TURNSTILE, passgate_reset),
	IOCTL_CASE(VERDICT, ON_SCANBOARD, passgate_verdict_cmd,
		   .prepare = prepare_verdict, .valid_errno = ENOENT),
	IOCTL_CASE(GATE_GET_STATE, ON_GATE, passgate_gate_state),
	IOCTL_CASE(GATE_SET_MODE, ON_GATE, passgate_mode),
	IOCTL_CASE(GATE_RESET_FIRE, ON_GATE, passgate_reset),
	IOCTL_CASE(GATE_SET_KEY, ON_GATE, passgate_key, .prepare = prepare_key),
	{ .name = "GATE_NOTE", .cmd = PASSGATE_IOC_GATE_NOTE, .node = ON_GATE,
	  .size = sizeof(struct passgate_note), .reserved_off = SIZE_MAX,
	  /* Grown by data: the first version ended at value. */
	  .min_size = offsetof(struct passgate_note, data),
	  .prepare = prepare_note },
};

/* A valid argument for @c in @buf, everything else zero. */
static void valid_arg(const struct ioctl_case *c, uint8_t *buf, size_t len)
{
	memset(buf, 0, len);
	if (c->prepare)
		c->prepare(buf);
}

FIXTURE(contract) {
	int node[3];	/* by enum ioctl_node */
	uint8_t buf[512];
};

FIXTURE_SETUP(contract)
{
	self->node[ON_TURNSTILE] = lane_open(0, 0, "turnstile", O_RDWR);
	ASSERT_LE(0, self->node[ON_TURNSTILE]);
	self->node[ON_SCANBOARD] = lane_open(0, 0, "scanboard",
					     O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->node[ON_SCANBOARD]);
	self->node[ON_GATE] = gate_open(0, O_RDWR);
	ASSERT_LE(0, self->node[ON_GATE]);
}

FIXTURE_TEARDOWN(contract)
{
	for (int i = 0; i < 3; i++)
		close(self->node[i]);
	gate_restore();
}

/*
 * Call @c with @buf of @size bytes on the node it belongs to, from a
 * restored gate (an OPEN that succeeded leaves the lane unlocked).
 */
static int call(FIXTURE_DATA(contract) *self, const struct ioctl_case *c,
		size_t size)
{
	uint32_t sz = size;

	if (gate_restore())
		return -1;
	memcpy(self->buf, &sz, sizeof(sz));
	return ioctl(self->node[c->node], c->cmd, self->buf) ? errno : 0;
}

/*
 * A command works on exactly the nodes docs/abi.md lists for it; on any
 * other node it is ENOTTY, whatever its argument.
 */
TEST_F(contract, commands_only_on_their_nodes)
{
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_cases); i++) {
		const struct ioctl_case *c = &ioctl_cases[i];

		for (int n = 0; n < 3; n++) {
			bool own = n == (int)c->node ||
				   (c->cmd == PASSGATE_IOC_GET_INFO &&
				    n == ON_SCANBOARD);
			uint32_t sz = c->size;
			int err;

			if (own)
				continue;
			valid_arg(c, self->buf, sizeof(self->buf));
			memcpy(self->buf, &sz, sizeof(sz));
			err = ioctl(self->node[n], c->cmd, self->buf) ? errno : 0;
			EXPECT_EQ(ENOTTY, err) TH_LOG("%s on node %d", c->name, n);
		}
	}
	/* GET_INFO answers on both lane nodes. */
	{
		struct passgate_info info = { .size = sizeof(info) };

		EXPECT_EQ(0, ioctl(self->node[ON_SCANBOARD],
				   PASSGATE_IOC_GET_INFO, &info));
	}
}

TEST_F(contract, exact_size_ok)
{
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_cases); i++) {
		const struct ioctl_case *c = &ioctl_cases[i];

		valid_arg(c, self->buf, sizeof(self->buf));
		EXPECT_EQ(c->valid_errno, call(self, c, c->size))
			TH_LOG("%s", c->name);
		/* A caller built against the first version still works. */
		if (c->min_size)
			EXPECT_EQ(c->valid_errno, call(self, c, c->min_size))
				TH_LOG("%s, first version", c->name);
	}
}

TEST_F(contract, size_minus_one_einval)
{
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_cases); i++) {
		const struct ioctl_case *c = &ioctl_cases[i];

		valid_arg(c, self->buf, sizeof(self->buf));
		EXPECT_EQ(EINVAL, call(self, c, (c->min_size ? c->min_size :
						 c->size) - 1))
			TH_LOG("%s", c->name);
	}
}

TEST_F(contract, longer_zero_tail_ok_nonzero_e2big)
{
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_cases); i++) {
		const struct ioctl_case *c = &ioctl_cases[i];

		valid_arg(c, self->buf, sizeof(self->buf));
		EXPECT_EQ(c->valid_errno, call(self, c, c->size + 8))
			TH_LOG("%s zero tail", c->name);
		/* The kernel copies back only what it knows. */
		EXPECT_EQ(0, self->buf[c->size]);

		valid_arg(c, self->buf, sizeof(self->buf));
		self->buf[c->size] = 1;
		EXPECT_EQ(E2BIG, call(self, c, c->size + 1))
			TH_LOG("%s", c->name);
	}
}

TEST_F(contract, unknown_flag_einval)
{
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_cases); i++) {
		const struct ioctl_case *c = &ioctl_cases[i];
		uint32_t flags = 1u << 31;

		valid_arg(c, self->buf, sizeof(self->buf));
		memcpy(self->buf + 4, &flags, sizeof(flags));
		EXPECT_EQ(EINVAL, call(self, c, c->size))
			TH_LOG("%s", c->name);
	}
}

TEST_F(contract, reserved_nonzero_einval)
{
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_cases); i++) {
		const struct ioctl_case *c = &ioctl_cases[i];

		if (c->reserved_off == SIZE_MAX)
			continue;
		valid_arg(c, self->buf, sizeof(self->buf));
		self->buf[c->reserved_off] = 1;
		EXPECT_EQ(EINVAL, call(self, c, c->size))
			TH_LOG("%s", c->name);
	}
}

TEST_F(contract, unknown_ioctl_enotty)
{
	memset(self->buf, 0, sizeof(self->buf));
	EXPECT_EQ(-1, ioctl(self->node[ON_TURNSTILE], _IO(PASSGATE_IOC_TYPE, 0x7f), self->buf));
	EXPECT_EQ(ENOTTY, errno);
	/* Our number with a size encoded is not our command either. */
	EXPECT_EQ(-1, ioctl(self->node[ON_TURNSTILE], _IOWR(PASSGATE_IOC_TYPE, 0,
					    struct passgate_info), self->buf));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(contract, bad_pointer_efault)
{
	EXPECT_EQ(-1, ioctl(self->node[ON_TURNSTILE], PASSGATE_IOC_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(contract, short_read_einval)
{
	EXPECT_EQ(-1, read(self->node[ON_TURNSTILE], self->buf,
			   sizeof(struct passgate_state) - 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST(beams_reach_lane)
{
	struct passgate_state state;
	int fd;

	fd = lane_open(0, 0, "turnstile", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);

	/* The first read is the current state; the next waits for a change. */
	ASSERT_EQ(sizeof(state), read(fd, &state, sizeof(state)));
	EXPECT_EQ(0, state.beams);
	EXPECT_EQ(-1, read(fd, &state, sizeof(state)));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, tb_drive(TB_LANE_LINE(0, TB_BEAM_INNER), 1));
	ASSERT_EQ(0, lane_wait_beams(fd, PASSGATE_BEAM_INNER,
				     PASSGATE_BEAM_INNER, &state));
	ASSERT_EQ(0, tb_drive(TB_LANE_LINE(0, TB_BEAM_OUTER), 1));
	ASSERT_EQ(0, lane_wait_beams(fd, PASSGATE_BEAM_OUTER,
				     PASSGATE_BEAM_OUTER, &state));
	EXPECT_EQ(PASSGATE_BEAM_INNER | PASSGATE_BEAM_OUTER, state.beams);

	ASSERT_EQ(0, tb_drive(TB_LANE_LINE(0, TB_BEAM_INNER), 0));
	ASSERT_EQ(0, tb_drive(TB_LANE_LINE(0, TB_BEAM_OUTER), 0));
	ASSERT_EQ(0, lane_wait_beams(fd, 3, 0, &state));

	/* The other lane saw none of it. */
	close(fd);
	fd = lane_open(0, 1, "turnstile", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(state), read(fd, &state, sizeof(state)));
	EXPECT_EQ(0, state.beams);
	close(fd);
}

/* A thread asleep in poll() on a lane's scanboard node. */
struct scan_poller {
	int scanboard, stop;
	pid_t tid;
	short revents;
};

static void *scan_poll(void *arg)
{
	struct scan_poller *p = arg;
	struct pollfd pfd[2] = {
		{ .fd = p->scanboard, .events = POLLIN },
		{ .fd = p->stop, .events = POLLIN },
	};

	__atomic_store_n(&p->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	if (poll(pfd, 2, -1) != 1)
		return (void *)1;
	p->revents = pfd[0].revents;
	return NULL;
}

/* Thread @tid's state letter and its voluntary context switches. */
static int task_read(pid_t tid, char *state, long *switches)
{
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	*state = '?';
	*switches = -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "State: %c", state);
		sscanf(line, "voluntary_ctxt_switches: %ld", switches);
	}
	fclose(f);
	return *switches < 0 ? -1 : 0;
}

/* Until @tid sleeps (bounded: 10 s); its switches then. */
static int task_asleep(pid_t tid, long *switches)
{
	struct timespec tick = { 0, 1000000 };
	char state;
	int i;

	for (i = 0; i < 10000; i++) {
		if (task_read(tid, &state, switches))
			return -1;
		if (state == 'S')
			return 0;
		nanosleep(&tick, NULL);
	}
	return -1;
}

/*
 * The scanboard's readers (the slow path's thread) sleep through the
 * turnstile's changes: they wait for deferred scans on a queue of their
 * own.  They shared the lane's one queue once, and every unlock, relock
 * and beam change of every fast-path passage woke them for nothing.
 */
TEST(scanboard_pollers_sleep_through_turnstile_changes)
{
	struct scan_poller p = { .tid = 0 };
	struct passgate_state state;
	long before, after;
	pthread_t thread;
	void *ret;
	int ts, i;

	p.scanboard = lane_open(0, 0, "scanboard", O_RDWR | O_NONBLOCK);
	ts = lane_open(0, 0, "turnstile", O_RDWR | O_NONBLOCK);
	p.stop = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, p.scanboard);
	ASSERT_LE(0, ts);
	ASSERT_LE(0, p.stop);
	ASSERT_EQ(sizeof(state), read(ts, &state, sizeof(state)));
	ASSERT_EQ(0, pthread_create(&thread, NULL, scan_poll, &p));
	while (!__atomic_load_n(&p.tid, __ATOMIC_ACQUIRE))
		sched_yield();
	ASSERT_EQ(0, task_asleep(p.tid, &before));

	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, tb_drive(TB_LANE_LINE(0, TB_BEAM_INNER), 1));
		ASSERT_EQ(0, lane_wait_beams(ts, PASSGATE_BEAM_INNER,
					     PASSGATE_BEAM_INNER, &state));
		ASSERT_EQ(0, tb_drive(TB_LANE_LINE(0, TB_BEAM_INNER), 0));
		ASSERT_EQ(0, lane_wait_beams(ts, PASSGATE_BEAM_INNER, 0,
					     &state));
	}
	ASSERT_EQ(0, task_asleep(p.tid, &after));
	EXPECT_EQ(before, after)
		TH_LOG("the poller woke %ld times for 20 turnstile changes",
		       after - before);

	ASSERT_EQ(sizeof(uint64_t), write(p.stop, &(uint64_t){ 1 },
					  sizeof(uint64_t)));
	ASSERT_EQ(0, pthread_join(thread, &ret));
	EXPECT_EQ(NULL, ret);
	EXPECT_EQ(0, p.revents);
	close(p.stop);
	close(ts);
	close(p.scanboard);
}

FIXTURE(unbound) {
	char device[64];
	int turnstile;
	int scanboard;
};

FIXTURE_SETUP(unbound)
{
	ASSERT_EQ(0, lane_device_name(0, 1, self->device,
				      sizeof(self->device)));
	self->turnstile = lane_open(0, 1, "turnstile", O_RDWR);
	ASSERT_LE(0, self->turnstile);
	self->scanboard = lane_open(0, 1, "scanboard", O_RDWR);
	ASSERT_LE(0, self->scanboard);
}

FIXTURE_TEARDOWN(unbound)
{
	close(self->turnstile);
	close(self->scanboard);
	/* Leave the gate as the next test expects it. */
	driver_bind(LANE_DRIVER, self->device, true);
}

static void *read_scanboard(void *arg)
{
	struct passgate_scan scan;
	int *fd = arg;

	return (void *)(intptr_t)(read(*fd, &scan, sizeof(scan)) < 0 ?
				  errno : 0);
}

TEST_F(unbound, open_files_get_enodev)
{
	struct passgate_info info;
	struct pollfd pfd = { .fd = self->turnstile, .events = POLLIN };
	struct passgate_state state;
	pthread_t reader;
	void *reader_errno;

	ASSERT_EQ(0, get_info(self->turnstile, &info));
	/* A reader blocked on the lane is woken by the unbind. */
	ASSERT_EQ(0, pthread_create(&reader, NULL, read_scanboard,
				    &self->scanboard));

	ASSERT_EQ(0, driver_bind(LANE_DRIVER, self->device, false));

	ASSERT_EQ(0, pthread_join(reader, &reader_errno));
	EXPECT_EQ(ENODEV, (intptr_t)reader_errno);
	EXPECT_EQ(-1, get_info(self->turnstile, &info));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, read(self->turnstile, &state, sizeof(state)));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLHUP);
	EXPECT_EQ(-1, lane_open(0, 1, "turnstile", O_RDWR));
	EXPECT_EQ(ENOENT, errno);

	/* Bound again, the lane is back under the same name. */
	ASSERT_EQ(0, driver_bind(LANE_DRIVER, self->device, true));
	close(self->turnstile);
	self->turnstile = lane_open(0, 1, "turnstile", O_RDWR);
	ASSERT_LE(0, self->turnstile);
	ASSERT_EQ(0, get_info(self->turnstile, &info));
	EXPECT_EQ(1, info.lane);
}

TEST_HARNESS_MAIN
