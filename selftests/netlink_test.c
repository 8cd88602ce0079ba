// SPDX-License-Identifier: GPL-2.0-only
/*
 * The passgate generic netlink family: the family and its group, event
 * notifications against read() on the gate node, dumps of the ring (the
 * LOST record, a listener filling an overrun's gap exactly, a dump whose
 * gate goes away), lanes against their ioctls, the commands that act,
 * privileges, and the errno contract with its extended acks.
 *
 * Replies are read with recv() on the socket, so that each skb of a dump,
 * every errno (ENOBUFS too) and the extended ack are seen as they come.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define RING_SIZE 256
#define MAX_EVENTS 600

struct pg_result {
	int error;		/* 0, or -errno of the ack or NLMSG_DONE */
	char msg[128];		/* extended ack message */
	int offset;		/* NLMSGERR_ATTR_OFFS, or -1 */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, or -1 */
	int batches;		/* recv() calls that returned something */
};

struct pg_events {
	struct passgate_event ev[MAX_EVENTS];
	int n;
	int bad;		/* messages that were not one gate-0 event */
};

struct pg_lane {
	unsigned int gate, lane;
	struct passgate_info info;
	struct passgate_state state;
};

struct pg_lanes {
	struct pg_lane lane[8];
	int n;
	int bad;
};

typedef void (*pg_reply_fn)(struct nlattr **tb, int cmd, void *arg);

static struct nla_policy pg_policy[PASSGATE_A_MAX + 1] = {
	[PASSGATE_A_GATE] = { .type = NLA_U32 },
	[PASSGATE_A_LANE] = { .type = NLA_U32 },
	[PASSGATE_A_EVENT] = { .minlen = sizeof(struct passgate_event) },
	[PASSGATE_A_INFO] = { .minlen = sizeof(struct passgate_info) },
	[PASSGATE_A_STATE] = { .minlen = sizeof(struct passgate_state) },
};

static struct nl_sock *pg_socket(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1;

	if (!sk)
		return NULL;
	if (genl_connect(sk) ||
	    setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) ||
	    setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK,
		       &one, sizeof(one))) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* A socket in the events group, not blocking; @rcvbuf 0 keeps the default. */
static struct nl_sock *pg_listener(int group, int rcvbuf)
{
	struct nl_sock *sk = pg_socket();

	if (!sk)
		return NULL;
	nl_socket_disable_seq_check(sk);
	if ((rcvbuf && nl_socket_set_buffer_size(sk, rcvbuf, 0)) ||
	    nl_socket_add_membership(sk, group) ||
	    nl_socket_set_nonblocking(sk)) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static struct nl_msg *pg_request(int family, int cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
				flags, cmd, PASSGATE_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Where attribute @type sits in @msg, as NLMSGERR_ATTR_OFFS counts. */
static int pg_attr_offset(struct nl_msg *msg, int type)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *attr = nlmsg_find_attr(nlh, GENL_HDRLEN, type);

	return attr ? (char *)attr - (char *)nlh : -1;
}

static void pg_parse_tlvs(struct pg_result *res, void *head, int len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX, head, len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(res->msg, sizeof(res->msg), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS])
		res->offset = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		res->miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
}

/* NLMSG_ERROR or NLMSG_DONE: the errno, then the ack's TLVs. */
static void pg_parse_end(struct nlmsghdr *nlh, struct pg_result *res)
{
	size_t payload = sizeof(int);
	int off;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(nlh);

		payload = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	res->error = *(int *)NLMSG_DATA(nlh);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_ALIGN(NLMSG_LENGTH(payload));
	pg_parse_tlvs(res, (char *)nlh + off, (int)nlh->nlmsg_len - off);
}

/*
 * One recv() of replies to a request: each message of @family goes to
 * @each.  Returns 1 once the ack or NLMSG_DONE came, 0 when more is to
 * come, -errno.
 */
static int pg_recv_batch(int fd, int family, pg_reply_fn each, void *arg,
			 struct pg_result *res)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlattr *tb[PASSGATE_A_MAX + 1];
	struct nlmsghdr *nlh;
	int n, ret;

	ret = poll(&pfd, 1, GATE_WAIT_MS);
	if (ret <= 0)
		return ret ? -errno : -ETIMEDOUT;
	n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	if (n < 0)
		return -errno;
	if (n > (int)sizeof(buf))
		return -EMSGSIZE;
	res->batches++;
	for (nlh = (void *)buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
		if (nlh->nlmsg_type == NLMSG_ERROR ||
		    nlh->nlmsg_type == NLMSG_DONE) {
			pg_parse_end(nlh, res);
			return 1;
		}
		if (nlh->nlmsg_type != family)
			continue;
		if (genlmsg_parse(nlh, 0, tb, PASSGATE_A_MAX, pg_policy))
			return -EBADMSG;
		if (each)
			each(tb, ((struct genlmsghdr *)NLMSG_DATA(nlh))->cmd,
			     arg);
	}
	return 0;
}

static void pg_result_init(struct pg_result *res)
{
	memset(res, 0, sizeof(*res));
	res->offset = -1;
	res->miss_type = -1;
}

/* Send @msg (and free it); 0 or -errno. */
static int pg_send(struct nl_sock *sk, struct nl_msg *msg,
		   struct pg_result *res)
{
	int ret;

	pg_result_init(res);
	if (!msg)
		return -ENOMEM;
	ret = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	return ret < 0 ? -EIO : 0;
}

/* Send @msg and take every reply: the kernel's answer, 0 or -errno. */
static int pg_transact(struct nl_sock *sk, int family, struct nl_msg *msg,
		       pg_reply_fn each, void *arg, struct pg_result *res)
{
	int ret = pg_send(sk, msg, res);

	while (!ret)
		ret = pg_recv_batch(nl_socket_get_fd(sk), family, each, arg,
				    res);
	return ret < 0 ? ret : res->error;
}

static void pg_collect_event(struct nlattr **tb, int cmd, void *arg)
{
	struct pg_events *evs = arg;

	if (cmd != PASSGATE_NL_CMD_EVENT || !tb[PASSGATE_A_GATE] ||
	    nla_get_u32(tb[PASSGATE_A_GATE]) != 0 || !tb[PASSGATE_A_EVENT] ||
	    nla_len(tb[PASSGATE_A_EVENT]) != sizeof(struct passgate_event) ||
	    evs->n == MAX_EVENTS) {
		evs->bad++;
		return;
	}
	memcpy(&evs->ev[evs->n++], nla_data(tb[PASSGATE_A_EVENT]),
	       sizeof(struct passgate_event));
}

static void pg_collect_lane(struct nlattr **tb, int cmd, void *arg)
{
	struct pg_lanes *lanes = arg;
	struct pg_lane *l = &lanes->lane[lanes->n];

	if (cmd != PASSGATE_NL_CMD_GET_LANE || lanes->n == 8 ||
	    !tb[PASSGATE_A_GATE] || !tb[PASSGATE_A_LANE] ||
	    !tb[PASSGATE_A_INFO] || !tb[PASSGATE_A_STATE] ||
	    nla_len(tb[PASSGATE_A_INFO]) != sizeof(l->info) ||
	    nla_len(tb[PASSGATE_A_STATE]) != sizeof(l->state)) {
		lanes->bad++;
		return;
	}
	l->gate = nla_get_u32(tb[PASSGATE_A_GATE]);
	l->lane = nla_get_u32(tb[PASSGATE_A_LANE]);
	memcpy(&l->info, nla_data(tb[PASSGATE_A_INFO]), sizeof(l->info));
	memcpy(&l->state, nla_data(tb[PASSGATE_A_STATE]), sizeof(l->state));
	lanes->n++;
}

static struct nl_msg *pg_get_events(int family, unsigned int gate,
				    unsigned long long seq)
{
	struct nl_msg *msg = pg_request(family, PASSGATE_NL_CMD_GET_EVENTS,
					NLM_F_DUMP);

	if (msg && (nla_put_u32(msg, PASSGATE_A_GATE, gate) ||
		    nla_put_u64(msg, PASSGATE_A_SEQ, seq))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static struct nl_msg *pg_lane_cmd(int family, int cmd, unsigned int gate,
				  unsigned int lane)
{
	struct nl_msg *msg = pg_request(family, cmd, 0);

	if (msg && (nla_put_u32(msg, PASSGATE_A_GATE, gate) ||
		    nla_put_u32(msg, PASSGATE_A_LANE, lane))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* A lane command with one more u32 attribute. */
static struct nl_msg *pg_lane_cmd_u32(int family, int cmd, unsigned int gate,
				      unsigned int lane, int type,
				      unsigned int value)
{
	struct nl_msg *msg = pg_lane_cmd(family, cmd, gate, lane);

	if (msg && nla_put_u32(msg, type, value)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static struct nl_msg *pg_gate_cmd(int family, int cmd, int flags,
				  unsigned int gate)
{
	struct nl_msg *msg = pg_request(family, cmd, flags);

	if (msg && nla_put_u32(msg, PASSGATE_A_GATE, gate)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* A gate command with one more u32 attribute. */
static struct nl_msg *pg_gate_cmd_u32(int family, int cmd, unsigned int gate,
				      int type, unsigned int value)
{
	struct nl_msg *msg = pg_gate_cmd(family, cmd, 0, gate);

	if (msg && nla_put_u32(msg, type, value)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * Take every notification queued on a listener, without waiting.
 * Returns how many recv() calls said ENOBUFS, or -errno.
 */
static int pg_drain(struct nl_sock *sk, int family, struct pg_events *evs)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlattr *tb[PASSGATE_A_MAX + 1];
	struct nlmsghdr *nlh;
	int n, enobufs = 0;

	for (;;) {
		n = recv(nl_socket_get_fd(sk), buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			enobufs++;
			continue;
		}
		if (n < 0)
			return errno == EAGAIN ? enobufs : -errno;
		for (nlh = (void *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type != family ||
			    genlmsg_parse(nlh, 0, tb, PASSGATE_A_MAX,
					  pg_policy)) {
				evs->bad++;
				continue;
			}
			pg_collect_event(tb,
				((struct genlmsghdr *)NLMSG_DATA(nlh))->cmd,
				evs);
		}
	}
}

/* Read @n records from the gate node, from sequence number @seq. */
static int gate_read_from(int fd, unsigned long long seq,
			  struct passgate_event *ev, int n)
{
	ssize_t len;

	if (lseek(fd, seq, SEEK_SET) != (off_t)seq)
		return -errno;
	len = read(fd, ev, n * sizeof(*ev));
	if (len < 0)
		return -errno;
	return len == (ssize_t)(n * sizeof(*ev)) ? 0 : -ENODATA;
}

FIXTURE(nl) {
	struct nl_sock *sk;
	int family;
	int group;
	int gate;
	int lane[2];
	struct pg_events evs, more;
	struct passgate_event read_ev[MAX_EVENTS];
};

FIXTURE_SETUP(nl)
{
	struct nl_sock *resolver;

	ASSERT_EQ(0, gate_restore());
	/*
	 * libnl reads with a large buffer, and the kernel sizes dump skbs
	 * after the largest read a socket made: resolve on another socket,
	 * so that dumps on this one take several skbs.
	 */
	resolver = pg_socket();
	ASSERT_NE(NULL, resolver);
	self->family = genl_ctrl_resolve(resolver, PASSGATE_GENL_NAME);
	self->group = genl_ctrl_resolve_grp(resolver, PASSGATE_GENL_NAME,
					    PASSGATE_GENL_MCGRP_EVENTS);
	nl_socket_free(resolver);
	ASSERT_LT(0, self->family);
	ASSERT_LT(0, self->group);
	self->sk = pg_socket();
	ASSERT_NE(NULL, self->sk);
	self->gate = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->gate);
	for (int i = 0; i < 2; i++) {
		self->lane[i] = lane_open(0, i, "turnstile",
					  O_RDWR | O_NONBLOCK);
		ASSERT_LE(0, self->lane[i]);
	}
}

FIXTURE_TEARDOWN(nl)
{
	nl_socket_free(self->sk);
	close(self->gate);
	close(self->lane[0]);
	close(self->lane[1]);
	gate_restore();
}

TEST_F(nl, family_resolves)
{
	struct nl_sock *sk = pg_socket();
	struct genl_family *family;
	struct nl_cache *cache;

	ASSERT_NE(NULL, sk);
	ASSERT_EQ(0, genl_ctrl_alloc_cache(sk, &cache));
	family = genl_ctrl_search_by_name(cache, PASSGATE_GENL_NAME);
	ASSERT_NE(NULL, family);
	EXPECT_EQ(self->family, genl_family_get_id(family));
	EXPECT_EQ(PASSGATE_GENL_VERSION, genl_family_get_version(family));
	EXPECT_EQ(PASSGATE_A_MAX, genl_family_get_maxattr(family));
	genl_family_put(family);
	nl_cache_free(cache);
	nl_socket_free(sk);
}

TEST_F(nl, notification_matches_read)
{
	struct pg_events *evs = &self->evs;
	struct passgate_event ev;
	struct nl_sock *listener;
	struct pollfd pfd;
	off_t next;
	int i;

	listener = pg_listener(self->group, 0);
	ASSERT_NE(NULL, listener);
	next = lseek(self->gate, 0, SEEK_END);
	ASSERT_LE(0, next);

	ASSERT_EQ(0, lane_set_mode(self->lane[0], PASSGATE_MODE_NORMAL));
	ASSERT_EQ(0, gate_wait_event(self->gate, PASSGATE_EV_LANE_MODE, 0,
				     &ev));
	EXPECT_EQ(next, ev.seq);

	/* Notifications come in sequence order; wait for this one. */
	pfd = (struct pollfd) { .fd = nl_socket_get_fd(listener),
				.events = POLLIN };
	while (!evs->n || evs->ev[evs->n - 1].seq < ev.seq) {
		ASSERT_EQ(1, poll(&pfd, 1, GATE_WAIT_MS));
		ASSERT_EQ(0, pg_drain(listener, self->family, evs));
	}
	EXPECT_EQ(0, evs->bad);
	for (i = 0; i < evs->n && evs->ev[i].seq != ev.seq; i++)
		;
	ASSERT_LT(i, evs->n);
	EXPECT_EQ(PASSGATE_EV_LANE_MODE, evs->ev[i].type);
	EXPECT_EQ(0, evs->ev[i].lane);
	EXPECT_EQ(PASSGATE_MODE_NORMAL, evs->ev[i].arg);
	EXPECT_EQ(0, memcmp(&ev, &evs->ev[i], sizeof(ev)));
	nl_socket_free(listener);
}

TEST_F(nl, dump_matches_read)
{
	struct pg_events *evs = &self->evs;
	struct pg_result res;
	off_t start;
	int i;

	start = lseek(self->gate, 0, SEEK_END);
	ASSERT_LE(0, start);
	/* More than one dump skb holds. */
	for (i = 0; i < 200; i++)
		ASSERT_EQ(0, lane_set_mode(self->lane[i % 2],
					   PASSGATE_MODE_NORMAL));

	ASSERT_EQ(0, pg_transact(self->sk, self->family,
				 pg_get_events(self->family, 0, start + 10),
				 pg_collect_event, evs, &res));
	EXPECT_EQ(0, evs->bad);
	EXPECT_LT(1, res.batches);
	ASSERT_LE(190, evs->n);
	ASSERT_EQ(0, gate_read_from(self->gate, start + 10, self->read_ev,
				    evs->n));
	for (i = 0; i < evs->n; i++) {
		EXPECT_EQ(start + 10 + i, evs->ev[i].seq);
		EXPECT_EQ(0, memcmp(&self->read_ev[i], &evs->ev[i],
				    sizeof(evs->ev[i])));
	}

	/* Beyond the ring's end: nothing, and no error. */
	evs->n = 0;
	ASSERT_EQ(0, pg_transact(self->sk, self->family,
				 pg_get_events(self->family, 0, start + 1000),
				 pg_collect_event, evs, &res));
	EXPECT_EQ(0, evs->n);
}

TEST_F(nl, dump_from_before_ring_gives_lost)
{
	struct pg_events *evs = &self->evs;
	struct passgate_gate_state gst;
	struct pg_result res;
	off_t start;
	int i;

	start = lseek(self->gate, 0, SEEK_END);
	ASSERT_LE(0, start);
	for (i = 0; i < RING_SIZE + 44; i++)
		ASSERT_EQ(0, lane_set_mode(self->lane[0],
					   PASSGATE_MODE_NORMAL));
	ASSERT_EQ(0, gate_get_state(self->gate, &gst));
	ASSERT_EQ(RING_SIZE, gst.event_ring_size);

	ASSERT_EQ(0, pg_transact(self->sk, self->family,
				 pg_get_events(self->family, 0, start),
				 pg_collect_event, evs, &res));
	EXPECT_EQ(0, evs->bad);
	EXPECT_LT(1, res.batches);
	ASSERT_EQ(1 + RING_SIZE, evs->n);
	EXPECT_EQ(PASSGATE_EV_LOST, evs->ev[0].type);
	EXPECT_EQ(start, evs->ev[0].seq);
	EXPECT_EQ(PASSGATE_LANE_NONE, evs->ev[0].lane);
	EXPECT_EQ(gst.event_first - start, evs->ev[0].value);
	/* 44, unless the scanner board reported in meanwhile. */
	EXPECT_LE(44, evs->ev[0].value);
	for (i = 1; i < evs->n; i++)
		EXPECT_EQ(gst.event_first + i - 1, evs->ev[i].seq);

	/* read() from there gives the very same records. */
	ASSERT_EQ(0, gate_read_from(self->gate, start, self->read_ev,
				    evs->n));
	EXPECT_EQ(0, memcmp(self->read_ev, evs->ev,
			    evs->n * sizeof(evs->ev[0])));
}

TEST_F(nl, overrun_is_filled_by_dump)
{
	struct pg_events *evs = &self->evs, *more = &self->more;
	unsigned long long last;
	struct nl_sock *listener;
	struct pg_result res;
	off_t start;
	int i, enobufs;

	/* The smallest receive buffer the kernel grants: a few messages. */
	listener = pg_listener(self->group, 1);
	ASSERT_NE(NULL, listener);
	start = lseek(self->gate, 0, SEEK_END);
	ASSERT_LE(0, start);
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, lane_set_mode(self->lane[0],
					   PASSGATE_MODE_NORMAL));

	/* Each notification was queued or dropped before its ioctl returned. */
	enobufs = pg_drain(listener, self->family, evs);
	EXPECT_EQ(1, enobufs);
	EXPECT_EQ(0, evs->bad);
	ASSERT_LT(0, evs->n);
	ASSERT_GT(100, evs->n);
	EXPECT_EQ(start, evs->ev[0].seq);
	for (i = 1; i < evs->n; i++)
		EXPECT_EQ(evs->ev[i - 1].seq + 1, evs->ev[i].seq);

	/* The gap, from the ring: after the last one seen, nothing twice. */
	last = evs->ev[evs->n - 1].seq;
	ASSERT_EQ(0, pg_transact(self->sk, self->family,
				 pg_get_events(self->family, 0, last + 1),
				 pg_collect_event, more, &res));
	EXPECT_EQ(0, more->bad);
	ASSERT_LE(100, evs->n + more->n);
	ASSERT_GE(MAX_EVENTS, evs->n + more->n);
	memcpy(&evs->ev[evs->n], more->ev, more->n * sizeof(more->ev[0]));
	evs->n += more->n;
	for (i = 0; i < evs->n; i++) {
		EXPECT_EQ(start + i, evs->ev[i].seq);
		EXPECT_NE(PASSGATE_EV_LOST, evs->ev[i].type);
	}
	ASSERT_EQ(0, gate_read_from(self->gate, start, self->read_ev,
				    evs->n));
	EXPECT_EQ(0, memcmp(self->read_ev, evs->ev,
			    evs->n * sizeof(evs->ev[0])));

	/* Drained, the listener hears new events again. */
	last = evs->ev[evs->n - 1].seq;
	evs->n = 0;
	ASSERT_EQ(0, lane_set_mode(self->lane[0], PASSGATE_MODE_NORMAL));
	ASSERT_EQ(0, pg_drain(listener, self->family, evs));
	/* Skipping what the dump gave already, as a listener does. */
	for (i = 0; i < evs->n && evs->ev[i].seq <= last; i++)
		;
	ASSERT_LT(i, evs->n);
	EXPECT_EQ(last + 1, evs->ev[i].seq);
	EXPECT_EQ(PASSGATE_EV_LANE_MODE, evs->ev[evs->n - 1].type);
	nl_socket_free(listener);
}

TEST_F(nl, dump_ends_enodev_when_gate_unbinds)
{
	struct pg_events *evs = &self->evs;
	struct pg_result res;
	char device[64], lane_device[2][64];
	off_t start;
	int i, ret;

	ASSERT_EQ(0, gate_device_name(0, device, sizeof(device)));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, lane_device_name(0, i, lane_device[i],
					      sizeof(lane_device[i])));
	start = lseek(self->gate, 0, SEEK_END);
	ASSERT_LE(0, start);
	for (i = 0; i < RING_SIZE; i++)
		ASSERT_EQ(0, lane_set_mode(self->lane[0],
					   PASSGATE_MODE_NORMAL));

	ASSERT_EQ(0, pg_send(self->sk, pg_get_events(self->family, 0, start),
			     &res));
	ASSERT_EQ(0, pg_recv_batch(nl_socket_get_fd(self->sk), self->family,
				   pg_collect_event, evs, &res));
	ASSERT_LT(0, evs->n);
	ASSERT_GT(RING_SIZE, evs->n);

	/* The dump keeps the gate's memory, never its ring. */
	ASSERT_EQ(0, driver_bind("passgate-gate", device, false));
	do {
		ret = pg_recv_batch(nl_socket_get_fd(self->sk), self->family,
				    pg_collect_event, evs, &res);
	} while (!ret);
	ASSERT_EQ(1, ret);
	EXPECT_EQ(-ENODEV, res.error);
	EXPECT_STREQ("the gate was unbound", res.msg);
	EXPECT_GT(RING_SIZE, evs->n);
	for (i = 0; i < evs->n; i++)
		EXPECT_EQ(start + i, evs->ev[i].seq);

	/* And nothing finds it until it is bound again. */
	ASSERT_EQ(-ENODEV, pg_transact(self->sk, self->family,
				       pg_get_events(self->family, 0, start),
				       NULL, NULL, &res));
	ASSERT_EQ(0, driver_bind("passgate-gate", device, true));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, driver_bind("passgate-turnstile", lane_device[i],
					 true));
	ASSERT_EQ(0, pg_transact(self->sk, self->family,
				 pg_get_events(self->family, 0, 0),
				 NULL, NULL, &res));
}

TEST_F(nl, get_lane_matches_ioctls)
{
	struct pg_lanes lanes = { 0 };
	struct passgate_state state;
	struct passgate_info info;
	struct pg_result res;
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pg_transact(self->sk, self->family,
					 pg_lane_cmd(self->family,
						     PASSGATE_NL_CMD_GET_LANE,
						     0, i),
					 pg_collect_lane, &lanes, &res));
	}
	/* And every lane of the gate at once, by lane number. */
	ASSERT_EQ(0, pg_transact(self->sk, self->family,
				 pg_gate_cmd(self->family,
					     PASSGATE_NL_CMD_GET_LANE,
					     NLM_F_DUMP, 0),
				 pg_collect_lane, &lanes, &res));
	EXPECT_EQ(0, lanes.bad);
	ASSERT_EQ(4, lanes.n);

	for (i = 0; i < 4; i++) {
		struct pg_lane *l = &lanes.lane[i];

		EXPECT_EQ(0, l->gate);
		EXPECT_EQ(i % 2, l->lane);
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		ASSERT_EQ(0, ioctl(self->lane[i % 2], PASSGATE_IOC_GET_INFO,
				   &info));
		EXPECT_EQ(0, memcmp(&info, &l->info, sizeof(info)));
		ASSERT_EQ(0, lane_get_state(self->lane[i % 2], &state));
		EXPECT_EQ(0, memcmp(&state, &l->state, sizeof(state)));
		EXPECT_EQ(PASSGATE_STATE_LOCKED, l->state.state);
	}
}

TEST_F(nl, commands_act)
{
	struct passgate_state state;
	struct passgate_event ev;
	struct pg_result res;

	ASSERT_LE(0, lseek(self->gate, 0, SEEK_END));
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
	ASSERT_EQ(0, pg_transact(self->sk, self->family,
				 pg_lane_cmd_u32(self->family,
						 PASSGATE_NL_CMD_LANE_OPEN,
						 0, 0, PASSGATE_A_DIRECTION,
						 PASSGATE_DIR_EXIT),
				 NULL, NULL, &res));
	EXPECT_EQ(1, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_ENTRY)));
	ASSERT_EQ(0, gate_wait_event(self->gate, PASSGATE_EV_UNLOCK, 0, &ev));
	EXPECT_EQ(PASSGATE_DIR_EXIT, ev.arg);

	/* Open again: the lane is UNLOCKED, not LOCKED. */
	EXPECT_EQ(-EBUSY, pg_transact(self->sk, self->family,
				      pg_lane_cmd_u32(self->family,
						PASSGATE_NL_CMD_LANE_OPEN,
						0, 0, PASSGATE_A_DIRECTION,
						PASSGATE_DIR_EXIT),
				      NULL, NULL, &res));
	EXPECT_STREQ("the lane is not LOCKED", res.msg);

	ASSERT_EQ(0, pg_transact(self->sk, self->family,
				 pg_lane_cmd_u32(self->family,
						 PASSGATE_NL_CMD_LANE_SET_MODE,
						 0, 1, PASSGATE_A_MODE,
						 PASSGATE_MODE_FREE),
				 NULL, NULL, &res));
	ASSERT_EQ(0, lane_get_state(self->lane[1], &state));
	EXPECT_EQ(PASSGATE_MODE_FREE, state.mode);
	EXPECT_EQ(PASSGATE_STATE_FREE, state.state);
	ASSERT_EQ(0, gate_wait_event(self->gate, PASSGATE_EV_LANE_MODE, 1,
				     &ev));
	EXPECT_EQ(PASSGATE_MODE_FREE, ev.arg);
	/* Who: this process, through this socket's port. */
	EXPECT_EQ(0, event_actor_is_me(&ev, nl_socket_get_local_port(self->sk)));

	ASSERT_EQ(0, pg_transact(self->sk, self->family,
				 pg_lane_cmd(self->family,
					     PASSGATE_NL_CMD_LANE_RESET_ALARMS,
					     0, 1),
				 NULL, NULL, &res));
	ASSERT_EQ(0, gate_wait_event(self->gate, PASSGATE_EV_ALARMS_RESET, 1,
				     &ev));
	EXPECT_EQ(0, event_actor_is_me(&ev, nl_socket_get_local_port(self->sk)));

	ASSERT_EQ(0, pg_transact(self->sk, self->family,
				 pg_gate_cmd_u32(self->family,
						 PASSGATE_NL_CMD_GATE_SET_MODE,
						 0, PASSGATE_A_MODE,
						 PASSGATE_GATE_LOCK_ALL),
				 NULL, NULL, &res));
	ASSERT_EQ(0, gate_wait_event(self->gate, PASSGATE_EV_GATE_MODE,
				     PASSGATE_LANE_NONE, &ev));
	EXPECT_EQ(PASSGATE_GATE_LOCK_ALL, ev.arg);
	EXPECT_EQ(0, event_actor_is_me(&ev, nl_socket_get_local_port(self->sk)));
	ASSERT_EQ(0, lane_get_state(self->lane[1], &state));
	EXPECT_EQ(PASSGATE_STATE_CLOSED, state.state);
	/* LOCK_ALL ended the unlock. */
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));

	/* No fire alarm latched: nothing to reset, and no error. */
	ASSERT_EQ(0, pg_transact(self->sk, self->family,
				 pg_gate_cmd(self->family,
					     PASSGATE_NL_CMD_GATE_RESET_FIRE,
					     0, 0),
				 NULL, NULL, &res));
}

TEST_F(nl, without_privileges)
{
	static const int admin_cmds[] = {
		PASSGATE_NL_CMD_LANE_OPEN, PASSGATE_NL_CMD_LANE_SET_MODE,
		PASSGATE_NL_CMD_LANE_RESET_ALARMS,
		PASSGATE_NL_CMD_GATE_SET_MODE, PASSGATE_NL_CMD_GATE_RESET_FIRE,
	};
	struct pg_lanes lanes = { 0 };
	struct pg_result res;
	int fd = nl_socket_get_fd(self->sk);
	unsigned int i;

	ASSERT_EQ(0, drop_cap(CAP_SYS_ADMIN));
	ASSERT_EQ(0, drop_cap(CAP_NET_ADMIN));
	for (i = 0; i < sizeof(admin_cmds) / sizeof(admin_cmds[0]); i++) {
		struct nl_msg *msg = pg_lane_cmd(self->family, admin_cmds[i],
						 0, 0);

		ASSERT_NE(NULL, msg);
		ASSERT_EQ(0, nla_put_u32(msg, PASSGATE_A_DIRECTION, 0));
		ASSERT_EQ(0, nla_put_u32(msg, PASSGATE_A_MODE, 0));
		EXPECT_EQ(-EPERM, pg_transact(self->sk, self->family, msg,
					      NULL, NULL, &res));
	}
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));

	/* The events are as private as the gate node. */
	EXPECT_EQ(-EPERM, pg_transact(self->sk, self->family,
				      pg_get_events(self->family, 0, 0),
				      NULL, NULL, &res));
	EXPECT_EQ(-1, setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				 &self->group, sizeof(self->group)));
	EXPECT_EQ(EPERM, errno);

	/* Reading a lane needs nothing. */
	EXPECT_EQ(0, pg_transact(self->sk, self->family,
				 pg_lane_cmd(self->family,
					     PASSGATE_NL_CMD_GET_LANE, 0, 0),
				 pg_collect_lane, &lanes, &res));
	EXPECT_EQ(1, lanes.n);
}

TEST_F(nl, acting_needs_cap_sys_admin_too)
{
	struct pg_events *evs = &self->evs;
	struct pg_result res;

	/* CAP_NET_ADMIN alone must not open what the ioctl keeps shut. */
	ASSERT_EQ(0, drop_cap(CAP_SYS_ADMIN));
	EXPECT_EQ(-EPERM, pg_transact(self->sk, self->family,
				      pg_lane_cmd_u32(self->family,
						PASSGATE_NL_CMD_LANE_OPEN,
						0, 0, PASSGATE_A_DIRECTION,
						PASSGATE_DIR_EXIT),
				      NULL, NULL, &res));
	EXPECT_STREQ("needs CAP_SYS_ADMIN", res.msg);
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));
	EXPECT_EQ(0, pg_transact(self->sk, self->family,
				 pg_get_events(self->family, 0,
					       lseek(self->gate, 0, SEEK_END)),
				 pg_collect_event, evs, &res));
}

TEST_F(nl, flags_are_reserved)
{
	struct pg_lanes lanes = { 0 };
	struct pg_result res;
	struct nl_msg *msg;
	int offset;

	msg = pg_lane_cmd_u32(self->family, PASSGATE_NL_CMD_LANE_OPEN, 0, 0,
			      PASSGATE_A_DIRECTION, PASSGATE_DIR_EXIT);
	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put_u32(msg, PASSGATE_A_FLAGS, 1));
	offset = pg_attr_offset(msg, PASSGATE_A_FLAGS);
	ASSERT_LT(0, offset);
	EXPECT_EQ(-EINVAL, pg_transact(self->sk, self->family, msg, NULL,
				       NULL, &res));
	EXPECT_STREQ("reserved bit set", res.msg);
	EXPECT_EQ(offset, res.offset);
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));

	/* Zero flags are fine. */
	msg = pg_lane_cmd_u32(self->family, PASSGATE_NL_CMD_GET_LANE, 0, 0,
			      PASSGATE_A_FLAGS, 0);
	EXPECT_EQ(0, pg_transact(self->sk, self->family, msg,
				 pg_collect_lane, &lanes, &res));
	EXPECT_EQ(1, lanes.n);
}

TEST_F(nl, policy_rejects_bad_attributes)
{
	struct passgate_event ev = { 0 };
	struct pg_result res;
	struct nl_msg *msg;
	int offset;

	/* A direction out of the policy's range. */
	msg = pg_lane_cmd_u32(self->family, PASSGATE_NL_CMD_LANE_OPEN, 0, 0,
			      PASSGATE_A_DIRECTION, 2);
	ASSERT_NE(NULL, msg);
	offset = pg_attr_offset(msg, PASSGATE_A_DIRECTION);
	EXPECT_EQ(-ERANGE, pg_transact(self->sk, self->family, msg, NULL,
				       NULL, &res));
	EXPECT_EQ(offset, res.offset);
	EXPECT_STREQ("integer out of range", res.msg);
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));

	/* An attribute only the kernel sends. */
	msg = pg_lane_cmd(self->family, PASSGATE_NL_CMD_GET_LANE, 0, 0);
	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put(msg, PASSGATE_A_EVENT, sizeof(ev), &ev));
	offset = pg_attr_offset(msg, PASSGATE_A_EVENT);
	EXPECT_EQ(-EINVAL, pg_transact(self->sk, self->family, msg, NULL,
				       NULL, &res));
	EXPECT_EQ(offset, res.offset);

	/* An unknown mode, which the lane refuses. */
	msg = pg_lane_cmd_u32(self->family, PASSGATE_NL_CMD_LANE_SET_MODE,
			      0, 0, PASSGATE_A_MODE, 7);
	ASSERT_NE(NULL, msg);
	offset = pg_attr_offset(msg, PASSGATE_A_MODE);
	EXPECT_EQ(-EINVAL, pg_transact(self->sk, self->family, msg, NULL,
				       NULL, &res));
	EXPECT_STREQ("unknown lane mode", res.msg);
	EXPECT_EQ(offset, res.offset);

	/* A dump-only command asked without NLM_F_DUMP. */
	msg = pg_gate_cmd(self->family, PASSGATE_NL_CMD_GET_EVENTS, 0, 0);
	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, nla_put_u64(msg, PASSGATE_A_SEQ, 0));
	EXPECT_EQ(-EOPNOTSUPP, pg_transact(self->sk, self->family, msg,
					   NULL, NULL, &res));
}

TEST_F(nl, unknown_gate_or_lane_is_enodev)
{
	struct pg_result res;
	struct nl_msg *msg;
	int offset;

	msg = pg_lane_cmd(self->family, PASSGATE_NL_CMD_GET_LANE, 7, 0);
	ASSERT_NE(NULL, msg);
	offset = pg_attr_offset(msg, PASSGATE_A_GATE);
	EXPECT_EQ(-ENODEV, pg_transact(self->sk, self->family, msg, NULL,
				       NULL, &res));
	EXPECT_STREQ("no such gate", res.msg);
	EXPECT_EQ(offset, res.offset);

	msg = pg_lane_cmd_u32(self->family, PASSGATE_NL_CMD_LANE_OPEN, 0, 9,
			      PASSGATE_A_DIRECTION, PASSGATE_DIR_EXIT);
	ASSERT_NE(NULL, msg);
	offset = pg_attr_offset(msg, PASSGATE_A_LANE);
	EXPECT_EQ(-ENODEV, pg_transact(self->sk, self->family, msg, NULL,
				       NULL, &res));
	EXPECT_STREQ("no such lane", res.msg);
	EXPECT_EQ(offset, res.offset);

	EXPECT_EQ(-ENODEV, pg_transact(self->sk, self->family,
				       pg_gate_cmd(self->family,
					PASSGATE_NL_CMD_GATE_RESET_FIRE, 0, 7),
				       NULL, NULL, &res));
	EXPECT_EQ(-ENODEV, pg_transact(self->sk, self->family,
				       pg_get_events(self->family, 7, 0),
				       NULL, NULL, &res));
}

TEST_F(nl, missing_attribute_is_named)
{
	struct pg_result res;

	EXPECT_EQ(-EINVAL, pg_transact(self->sk, self->family,
				       pg_lane_cmd(self->family,
						PASSGATE_NL_CMD_LANE_OPEN,
						0, 0),
				       NULL, NULL, &res));
	EXPECT_EQ(PASSGATE_A_DIRECTION, res.miss_type);
	EXPECT_STREQ("missing attribute", res.msg);
	EXPECT_EQ(0, tb_read(TB_LANE_LINE(0, TB_UNLOCK_EXIT)));

	EXPECT_EQ(-EINVAL, pg_transact(self->sk, self->family,
				       pg_gate_cmd(self->family,
						   PASSGATE_NL_CMD_GET_LANE,
						   0, 0),
				       NULL, NULL, &res));
	EXPECT_EQ(PASSGATE_A_LANE, res.miss_type);

	EXPECT_EQ(-EINVAL, pg_transact(self->sk, self->family,
				       pg_request(self->family,
						PASSGATE_NL_CMD_GATE_RESET_FIRE,
						0),
				       NULL, NULL, &res));
	EXPECT_EQ(PASSGATE_A_GATE, res.miss_type);

	/* A dump without its SEQ (6.1 gives dump starts no extended ack). */
	EXPECT_EQ(-EINVAL, pg_transact(self->sk, self->family,
				       pg_gate_cmd(self->family,
						   PASSGATE_NL_CMD_GET_EVENTS,
						   NLM_F_DUMP, 0),
				       NULL, NULL, &res));
}

struct lane_flood {
	int family;
	atomic_bool stop;
	atomic_uint calls;
	int error;
};

/* An unprivileged reader asking for gate 0's lane 0 as fast as it can. */
static void *lane_flood(void *arg)
{
	struct lane_flood *f = arg;
	struct nl_sock *sk = pg_socket();
	struct pg_lanes lanes;
	struct pg_result res;

	if (!sk || drop_cap_sys_admin()) {
		f->error = -EPERM;
		return NULL;
	}
	while (!atomic_load(&f->stop)) {
		memset(&lanes, 0, sizeof(lanes));
		f->error = pg_transact(sk, f->family,
				       pg_lane_cmd(f->family,
						   PASSGATE_NL_CMD_GET_LANE,
						   0, 0),
				       pg_collect_lane, &lanes, &res);
		if (f->error)
			break;
		atomic_fetch_add(&f->calls, 1);
	}
	nl_socket_free(sk);
	return NULL;
}

/*
 * Nothing an unprivileged caller does holds up the fire path: with two
 * threads flooding GET_LANE (which allocates its reply under the gate's
 * lock), the alarm still opens every lane.
 */
TEST_F(nl, get_lane_flood_does_not_hold_up_a_fire)
{
	struct lane_flood f = { .family = self->family };
	struct passgate_event ev;
	pthread_t t[2];
	unsigned int before;

	ASSERT_LE(0, lseek(self->gate, 0, SEEK_END));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, lane_flood, &f));
	/* Both are flooding before the alarm. */
	while (atomic_load(&f.calls) < 100 && !f.error)
		sched_yield();
	before = atomic_load(&f.calls);
	ASSERT_EQ(0, tb_drive(TB_FIRE_ALARM, 1));
	ASSERT_EQ(0, gate_wait_event(self->gate, PASSGATE_EV_FIRE_ALARM,
				     PASSGATE_LANE_NONE, &ev));
	for (int lane = 0; lane < 2; lane++) {
		EXPECT_EQ(1, tb_read(TB_LANE_LINE(lane, TB_UNLOCK_EXIT)));
		EXPECT_EQ(1, tb_read(TB_LANE_LINE(lane, TB_UNLOCK_ENTRY)));
	}
	atomic_store(&f.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, f.error);
	TH_LOG("%u GET_LANE calls before the alarm, %u in all", before,
	       atomic_load(&f.calls));
}

TEST_HARNESS_MAIN
