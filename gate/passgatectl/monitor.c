// SPDX-License-Identifier: GPL-2.0-only
/*
 * monitor: the gate's events as they happen, from the generic-netlink
 * group.  A notification can be lost when this reader is slow (ENOBUFS);
 * the ring is the source of truth, so the gap is filled with a
 * GET_EVENTS dump from the last sequence number seen, and the output has
 * every event once, in order.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <linux/passgate.h>

#include "ctl.h"

struct monitor {
	const struct options *o;
	struct nl_sock *dump;
	int family;
	uint64_t next;		/* the sequence number wanted next */
	bool started;
};

static void print_one(const struct options *o, const struct passgate_event *ev)
{
	print_event(ev, NULL, o->json);
	fflush(stdout);
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct monitor *m = arg;
	struct nlattr *attrs[PASSGATE_A_MAX + 1];
	struct passgate_event ev;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs, PASSGATE_A_MAX, NULL) ||
	    !attrs[PASSGATE_A_EVENT] ||
	    nla_len(attrs[PASSGATE_A_EVENT]) != sizeof(ev))
		return NL_SKIP;
	/* The group carries every gate's events: only ours count. */
	if (!attrs[PASSGATE_A_GATE] ||
	    nla_get_u32(attrs[PASSGATE_A_GATE]) != m->o->gate)
		return NL_OK;
	memcpy(&ev, nla_data(attrs[PASSGATE_A_EVENT]), sizeof(ev));
	if (!m->started) {
		m->started = true;
		m->next = ev.seq;
	}
	/* A dump and the group may both bring an event: once is enough. */
	if (ev.type != PASSGATE_EV_LOST && ev.seq < m->next)
		return NL_OK;
	print_one(m->o, &ev);
	m->next = ev.type == PASSGATE_EV_LOST ? ev.seq + ev.value :
		  ev.seq + 1;
	return NL_OK;
}

/* Fill what the group lost from the kernel's ring. */
static int fill_gap(struct monitor *m)
{
	struct nl_msg *msg = nlmsg_alloc();
	int ret;

	if (!msg)
		return -NLE_NOMEM;
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, m->family, 0, NLM_F_DUMP,
		    PASSGATE_NL_CMD_GET_EVENTS, PASSGATE_GENL_VERSION);
	nla_put_u32(msg, PASSGATE_A_GATE, m->o->gate);
	nla_put_u64(msg, PASSGATE_A_SEQ, m->next);
	ret = nl_send_auto(m->dump, msg);
	nlmsg_free(msg);
	if (ret < 0)
		return ret;
	return nl_recvmsgs_default(m->dump);
}

int cmd_monitor(const struct options *o, int argc, char **argv)
{
	struct monitor m = { .o = o };
	struct nl_sock *group;
	int grp, ret = -NLE_NOMEM, one = 1;

	(void)argc;
	(void)argv;
	group = nl_socket_alloc();
	m.dump = nl_socket_alloc();
	if (!group || !m.dump)
		goto out;
	if ((ret = genl_connect(group)) || (ret = genl_connect(m.dump)))
		goto out;
	setsockopt(nl_socket_get_fd(m.dump), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	m.family = genl_ctrl_resolve(m.dump, PASSGATE_GENL_NAME);
	grp = genl_ctrl_resolve_grp(m.dump, PASSGATE_GENL_NAME,
				    PASSGATE_GENL_MCGRP_EVENTS);
	if (m.family < 0 || grp < 0) {
		ret = m.family < 0 ? m.family : grp;
		goto out;
	}
	nl_socket_disable_seq_check(group);
	nl_socket_modify_cb(group, NL_CB_VALID, NL_CB_CUSTOM, on_event, &m);
	nl_socket_modify_cb(m.dump, NL_CB_VALID, NL_CB_CUSTOM, on_event, &m);
	ret = nl_socket_add_membership(group, grp);
	if (ret)
		goto out;

	for (;;) {
		ret = nl_recvmsgs_default(group);
		/* ENOBUFS: notifications were dropped; the ring has them. */
		if (ret == -NLE_NOMEM && m.started)
			ret = fill_gap(&m);
		if (ret < 0 && ret != -NLE_NOMEM && ret != -NLE_INTR)
			break;
	}
out:
	if (ret < 0)
		fprintf(stderr, "passgatectl: monitor: %s\n", nl_geterror(ret));
	nl_socket_free(group);
	nl_socket_free(m.dump);
	return ret < 0 ? 1 : 0;
}
