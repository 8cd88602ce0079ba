// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the generic netlink family (docs/netlink.md).  Every gate
 * event is multicast to the "events" group as it enters the gate's ring,
 * and the ring can be dumped from any sequence number, so a listener that
 * lost notifications fills the gap exactly.  The commands that act call
 * the functions behind the turnstile and gate ioctls.
 *
 * Nothing here touches an unbound gate or lane:
 *
 * - A gate is looked up by number in the gate registry, which hands out
 *   only gates whose probe finished, with a reference: the memory stays.
 *   Every use then holds its unbind_lock for reading and checks gone, as
 *   file operations do; unbind marks it gone under that lock for writing
 *   before any of it goes (the ring is devm memory), so the gate is whole
 *   while we hold the lock.  A dump keeps its reference from start to
 *   done, so it never carries on in another gate bound later under the
 *   same number.
 * - A lane is looked up in gate->lanes and used with gate->lock held,
 *   not through a reference of its own: it joins that list under
 *   gate->lock once its lock, timers and GPIOs are there, and leaves it,
 *   under gate->lock again, after it let go of its outputs (its timers
 *   stopped, lane->released set: every command then fails with ENODEV or
 *   changes no output but a fire's) and before its GPIOs go.  Its own
 *   gone flag would not do: a lane whose probe fails after it joined the
 *   list is never marked gone.  Lock order: gate unbind_lock, then
 *   gate->lock, then the lane's (see passgate.h).
 */
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/capability.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "passgate_private.h"

/* No flag is defined yet: every bit of PASSGATE_A_FLAGS is reserved. */
#define PASSGATE_NL_FLAGS_KNOWN 0

/*
 * Kernels before the 6.1.y backport of this flag let any user join a
 * multicast group; the events are then readable by all.
 */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#define GENL_MCAST_CAP_NET_ADMIN 0
#endif

enum passgate_nl_group {
	PASSGATE_NL_GROUP_EVENTS,
};

/* genl_ops.internal_flags: what pre_doit checks and looks up. */
enum passgate_nl_needs {
	PASSGATE_NL_NEED_GATE = BIT(0),
	/* The lane, with its gate, and gate->lock held until post_doit. */
	PASSGATE_NL_NEED_LANE = BIT(1),
	/* As the command's ioctl: never less privilege than the node. */
	PASSGATE_NL_NEED_SYS_ADMIN = BIT(2),
};

#define PASSGATE_NL_EVENT_SIZE \
	(nla_total_size(sizeof(u32)) + \
	 nla_total_size(sizeof(struct passgate_event)))
#define PASSGATE_NL_LANE_SIZE \
	(2 * nla_total_size(sizeof(u32)) + \
	 nla_total_size(sizeof(struct passgate_info)) + \
	 nla_total_size(sizeof(struct passgate_state)))

static struct genl_family passgate_nl_family;

static const struct nla_policy passgate_nl_policy[PASSGATE_A_MAX + 1] = {
	[PASSGATE_A_UNSPEC] = { .strict_start_type = PASSGATE_A_UNSPEC + 1 },
	[PASSGATE_A_GATE] = { .type = NLA_U32 },
	[PASSGATE_A_LANE] = { .type = NLA_U32 },
	[PASSGATE_A_SEQ] = { .type = NLA_U64 },
	/* Sent by the kernel only. */
	[PASSGATE_A_EVENT] = { .type = NLA_REJECT },
	[PASSGATE_A_INFO] = { .type = NLA_REJECT },
	[PASSGATE_A_STATE] = { .type = NLA_REJECT },
	[PASSGATE_A_DIRECTION] = NLA_POLICY_MAX(NLA_U32, PASSGATE_DIR_ENTRY),
	/* A lane mode or a gate mode: the command checks which. */
	[PASSGATE_A_MODE] = { .type = NLA_U32 },
	[PASSGATE_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, PASSGATE_NL_FLAGS_KNOWN),
};

/* A dump's state in cb->ctx, from start to done. */
struct passgate_nl_dump {
	struct passgate_gate *gate;
	/* Events: the next sequence number; lanes: the next lane number. */
	u64 pos;
	/* Events: where the ring ended when the dump started. */
	u64 end;
};

static struct passgate_nl_dump *passgate_nl_dump(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct passgate_nl_dump) > sizeof(cb->ctx));
	return (struct passgate_nl_dump *)cb->ctx;
}

static int passgate_nl_fill_event(struct sk_buff *skb, u32 gate,
				  const struct passgate_event *ev, u32 portid,
				  u32 seq, int flags)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &passgate_nl_family, flags,
			  PASSGATE_NL_CMD_EVENT);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, PASSGATE_A_GATE, gate) ||
	    nla_put(skb, PASSGATE_A_EVENT, sizeof(*ev), ev)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Called with gate->lock held. */
static int passgate_nl_fill_lane(struct sk_buff *skb,
				 struct passgate_lane *lane, u32 portid,
				 u32 seq, int flags)
{
	struct passgate_state state = { .size = sizeof(state) };
	struct passgate_info info = lane->info;
	void *hdr;

	info.size = sizeof(info);
	info.flags = 0;
	passgate_turnstile_get_state(lane, &state);

	hdr = genlmsg_put(skb, portid, seq, &passgate_nl_family, flags,
			  PASSGATE_NL_CMD_GET_LANE);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, PASSGATE_A_GATE, lane->gate->id) ||
	    nla_put_u32(skb, PASSGATE_A_LANE, lane->id) ||
	    nla_put(skb, PASSGATE_A_INFO, sizeof(info), &info) ||
	    nla_put(skb, PASSGATE_A_STATE, sizeof(state), &state)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * The notification of one event, allocated before the event takes its
 * sequence number; NULL when nobody listens or there is no memory.
 */
struct sk_buff *passgate_nl_event_alloc(void)
{
	if (!genl_has_listeners(&passgate_nl_family, &init_net,
				PASSGATE_NL_GROUP_EVENTS))
		return NULL;
	return genlmsg_new(PASSGATE_NL_EVENT_SIZE, GFP_ATOMIC);
}

/* Fill and multicast @msg; a listener that misses it recovers by dump. */
void passgate_nl_event_send(struct sk_buff *msg, u32 gate,
			    const struct passgate_event *ev)
{
	if (passgate_nl_fill_event(msg, gate, ev, 0, 0, 0)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast(&passgate_nl_family, msg, 0,
			  PASSGATE_NL_GROUP_EVENTS, GFP_ATOMIC);
}

static bool passgate_nl_missing(struct genl_info *info, int type)
{
	if (!GENL_REQ_ATTR_CHECK(info, type))
		return false;
	GENL_SET_ERR_MSG(info, "missing attribute");
	return true;
}

/* The gate numbered @attr, referenced, with its unbind_lock held. */
static struct passgate_gate *passgate_nl_gate_lock(const struct nlattr *attr,
						   struct netlink_ext_ack *extack)
{
	struct passgate_gate *gate;

	gate = passgate_gate_get(nla_get_u32(attr));
	if (!gate)
		goto err_no_gate;
	down_read(&gate->live.unbind_lock);
	if (gate->live.gone)
		goto err_unlock;
	return gate;

err_unlock:
	up_read(&gate->live.unbind_lock);
	passgate_chrdev_live_put(&gate->live);
err_no_gate:
	NL_SET_ERR_MSG_ATTR(extack, attr, "no such gate");
	return NULL;
}

static void passgate_nl_gate_unlock(struct passgate_gate *gate)
{
	up_read(&gate->live.unbind_lock);
	passgate_chrdev_live_put(&gate->live);
}

/* Called with gate->lock held. */
static struct passgate_lane *passgate_nl_lane_find(struct passgate_gate *gate,
						   u32 id)
{
	struct passgate_lane *lane;

	list_for_each_entry(lane, &gate->lanes, gate_entry)
		if (lane->id == id)
			return lane;
	return NULL;
}

/* The lane numbered @from or the next above.  Called with gate->lock held. */
static struct passgate_lane *passgate_nl_lane_next(struct passgate_gate *gate,
						   u64 from)
{
	struct passgate_lane *lane, *next = NULL;

	list_for_each_entry(lane, &gate->lanes, gate_entry)
		if (lane->id >= from && (!next || lane->id < next->id))
			next = lane;
	return next;
}

static int passgate_nl_pre_doit(const struct genl_ops *ops,
				struct sk_buff *skb, struct genl_info *info)
{
	u8 needs = ops->internal_flags;
	struct nlattr **attrs = info->attrs;
	struct passgate_gate *gate;
	struct passgate_lane *lane;

	if ((needs & PASSGATE_NL_NEED_SYS_ADMIN) &&
	    !netlink_capable(skb, CAP_SYS_ADMIN)) {
		GENL_SET_ERR_MSG(info, "needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	if (!(needs & (PASSGATE_NL_NEED_GATE | PASSGATE_NL_NEED_LANE)))
		return 0;
	if (passgate_nl_missing(info, PASSGATE_A_GATE) ||
	    ((needs & PASSGATE_NL_NEED_LANE) &&
	     passgate_nl_missing(info, PASSGATE_A_LANE)))
		return -EINVAL;

	gate = passgate_nl_gate_lock(attrs[PASSGATE_A_GATE], info->extack);
	if (!gate)
		return -ENODEV;
	info->user_ptr[0] = gate;
	if (!(needs & PASSGATE_NL_NEED_LANE))
		return 0;

	mutex_lock(&gate->lock);
	lane = passgate_nl_lane_find(gate,
				     nla_get_u32(attrs[PASSGATE_A_LANE]));
	if (!lane) {
		mutex_unlock(&gate->lock);
		passgate_nl_gate_unlock(gate);
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[PASSGATE_A_LANE],
				    "no such lane");
		return -ENODEV;
	}
	info->user_ptr[1] = lane;
	return 0;
}

static void passgate_nl_post_doit(const struct genl_ops *ops,
				  struct sk_buff *skb, struct genl_info *info)
{
	struct passgate_gate *gate = info->user_ptr[0];

	if (!gate)
		return;
	if (ops->internal_flags & PASSGATE_NL_NEED_LANE)
		mutex_unlock(&gate->lock);
	passgate_nl_gate_unlock(gate);
}

static int passgate_nl_get_lane_doit(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct sk_buff *msg;
	int ret;

	msg = genlmsg_new(PASSGATE_NL_LANE_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = passgate_nl_fill_lane(msg, info->user_ptr[1], info->snd_portid,
				    info->snd_seq, 0);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static int passgate_nl_lane_open_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct nlattr *attr = info->attrs[PASSGATE_A_DIRECTION];
	int ret;

	if (passgate_nl_missing(info, PASSGATE_A_DIRECTION))
		return -EINVAL;
	ret = passgate_turnstile_open(info->user_ptr[1], nla_get_u32(attr));
	if (ret == -EINVAL)
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "the lane is not configured for this direction");
	else if (ret == -EBUSY)
		GENL_SET_ERR_MSG(info, "the lane is not LOCKED");
	return ret;
}

static int passgate_nl_lane_set_mode_doit(struct sk_buff *skb,
					  struct genl_info *info)
{
	struct nlattr *attr = info->attrs[PASSGATE_A_MODE];
	struct passgate_event_extra who;
	int ret;

	if (passgate_nl_missing(info, PASSGATE_A_MODE))
		return -EINVAL;
	passgate_events_actor_current(&who, info->snd_portid);
	ret = passgate_turnstile_set_mode(info->user_ptr[1],
					  nla_get_u32(attr), &who);
	if (ret == -EINVAL)
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "unknown lane mode");
	return ret;
}

static int passgate_nl_lane_reset_alarms_doit(struct sk_buff *skb,
					      struct genl_info *info)
{
	struct passgate_event_extra who;

	passgate_events_actor_current(&who, info->snd_portid);
	passgate_turnstile_reset_alarms(info->user_ptr[1], &who);
	return 0;
}

static int passgate_nl_gate_set_mode_doit(struct sk_buff *skb,
					  struct genl_info *info)
{
	struct nlattr *attr = info->attrs[PASSGATE_A_MODE];
	struct passgate_event_extra who;
	int ret;

	if (passgate_nl_missing(info, PASSGATE_A_MODE))
		return -EINVAL;
	passgate_events_actor_current(&who, info->snd_portid);
	ret = passgate_gate_set_mode(info->user_ptr[0], nla_get_u32(attr),
				     &who);
	if (ret == -EINVAL)
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "unknown gate mode");
	return ret;
}

static int passgate_nl_gate_reset_fire_doit(struct sk_buff *skb,
					    struct genl_info *info)
{
	struct passgate_event_extra who;
	int ret;

	passgate_events_actor_current(&who, info->snd_portid);
	ret = passgate_gate_reset_fire(info->user_ptr[0], &who);
	if (ret == -EBUSY)
		GENL_SET_ERR_MSG(info, "a fire input is still active");
	return ret;
}

/*
 * Dumps take their gate here and keep it until done.  Linux 6.1 gives
 * start no extended ack: its errors reach userspace as a bare errno.
 */
static int passgate_nl_dump_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = genl_dumpit_info(cb)->attrs;
	struct passgate_nl_dump *dump = passgate_nl_dump(cb);

	if (NL_REQ_ATTR_CHECK(cb->extack, NULL, attrs, PASSGATE_A_GATE))
		return -EINVAL;
	dump->gate = passgate_gate_get(nla_get_u32(attrs[PASSGATE_A_GATE]));
	if (!dump->gate) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[PASSGATE_A_GATE],
				    "no such gate");
		return -ENODEV;
	}
	return 0;
}

static int passgate_nl_dump_done(struct netlink_callback *cb)
{
	passgate_chrdev_live_put(&passgate_nl_dump(cb)->gate->live);
	return 0;
}

/* The gate of a running dump, with its unbind_lock held; or NULL. */
static struct passgate_gate *passgate_nl_dump_lock(struct netlink_callback *cb)
{
	struct passgate_gate *gate = passgate_nl_dump(cb)->gate;

	down_read(&gate->live.unbind_lock);
	if (!gate->live.gone)
		return gate;
	up_read(&gate->live.unbind_lock);
	NL_SET_ERR_MSG(cb->extack, "the gate was unbound");
	return NULL;
}

static int passgate_nl_get_events_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = genl_dumpit_info(cb)->attrs;
	struct passgate_nl_dump *dump = passgate_nl_dump(cb);
	int ret;

	if (NL_REQ_ATTR_CHECK(cb->extack, NULL, attrs, PASSGATE_A_SEQ))
		return -EINVAL;
	ret = passgate_nl_dump_start(cb);
	if (ret)
		return ret;
	dump->pos = nla_get_u64(attrs[PASSGATE_A_SEQ]);
	dump->end = passgate_events_end(dump->gate);
	return 0;
}

/*
 * Records come from passgate_events_next(), as read() has them: a LOST
 * record wherever the dump's position is older than the ring.
 */
static int passgate_nl_get_events_dumpit(struct sk_buff *skb,
					 struct netlink_callback *cb)
{
	struct passgate_nl_dump *dump = passgate_nl_dump(cb);
	struct passgate_event ev;
	struct passgate_gate *gate;
	u64 pos;

	gate = passgate_nl_dump_lock(cb);
	if (!gate)
		return -ENODEV;
	while (dump->pos < dump->end) {
		pos = dump->pos;
		if (!passgate_events_next(gate, &pos, &ev) ||
		    passgate_nl_fill_event(skb, gate->id, &ev,
					   NETLINK_CB(cb->skb).portid,
					   cb->nlh->nlmsg_seq, NLM_F_MULTI))
			break;
		dump->pos = pos;
	}
	up_read(&gate->live.unbind_lock);
	return skb->len;
}

static int passgate_nl_get_lane_start(struct netlink_callback *cb)
{
	return passgate_nl_dump_start(cb);
}

/* By lane number, so lanes coming and going never repeat another. */
static int passgate_nl_get_lane_dumpit(struct sk_buff *skb,
				       struct netlink_callback *cb)
{
	struct passgate_nl_dump *dump = passgate_nl_dump(cb);
	struct passgate_gate *gate;
	struct passgate_lane *lane;

	gate = passgate_nl_dump_lock(cb);
	if (!gate)
		return -ENODEV;
	mutex_lock(&gate->lock);
	while ((lane = passgate_nl_lane_next(gate, dump->pos))) {
		if (passgate_nl_fill_lane(skb, lane,
					  NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI))
			break;
		dump->pos = (u64)lane->id + 1;
	}
	mutex_unlock(&gate->lock);
	up_read(&gate->live.unbind_lock);
	return skb->len;
}

static const struct genl_ops passgate_nl_ops[] = {
	{
		.cmd = PASSGATE_NL_CMD_GET_EVENTS,
		.flags = GENL_ADMIN_PERM,
		.start = passgate_nl_get_events_start,
		.dumpit = passgate_nl_get_events_dumpit,
		.done = passgate_nl_dump_done,
	},
	{
		.cmd = PASSGATE_NL_CMD_GET_LANE,
		.internal_flags = PASSGATE_NL_NEED_LANE,
		.doit = passgate_nl_get_lane_doit,
		.start = passgate_nl_get_lane_start,
		.dumpit = passgate_nl_get_lane_dumpit,
		.done = passgate_nl_dump_done,
	},
	{
		.cmd = PASSGATE_NL_CMD_LANE_OPEN,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = PASSGATE_NL_NEED_LANE |
				  PASSGATE_NL_NEED_SYS_ADMIN,
		.doit = passgate_nl_lane_open_doit,
	},
	{
		.cmd = PASSGATE_NL_CMD_LANE_SET_MODE,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = PASSGATE_NL_NEED_LANE |
				  PASSGATE_NL_NEED_SYS_ADMIN,
		.doit = passgate_nl_lane_set_mode_doit,
	},
	{
		.cmd = PASSGATE_NL_CMD_LANE_RESET_ALARMS,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = PASSGATE_NL_NEED_LANE |
				  PASSGATE_NL_NEED_SYS_ADMIN,
		.doit = passgate_nl_lane_reset_alarms_doit,
	},
	{
		.cmd = PASSGATE_NL_CMD_GATE_SET_MODE,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = PASSGATE_NL_NEED_GATE |
				  PASSGATE_NL_NEED_SYS_ADMIN,
		.doit = passgate_nl_gate_set_mode_doit,
	},
	{
		.cmd = PASSGATE_NL_CMD_GATE_RESET_FIRE,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = PASSGATE_NL_NEED_GATE |
				  PASSGATE_NL_NEED_SYS_ADMIN,
		.doit = passgate_nl_gate_reset_fire_doit,
	},
};

static const struct genl_multicast_group passgate_nl_mcgrps[] = {
	[PASSGATE_NL_GROUP_EVENTS] = {
		.name = PASSGATE_GENL_MCGRP_EVENTS,
		/*
		 * Events carry scan digests: only for CAP_NET_ADMIN here, as
		 * the gate node gives them only to whom its permissions do.
		 */
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family passgate_nl_family __ro_after_init = {
	.name = PASSGATE_GENL_NAME,
	.version = PASSGATE_GENL_VERSION,
	.maxattr = PASSGATE_A_MAX,
	.policy = passgate_nl_policy,
	/* Gates are hardware, not per namespace. */
	.netnsok = false,
	/* Gates and lanes have their own locks; spare genl_mutex. */
	.parallel_ops = true,
	/* A new family: every command validated strictly. */
	.resv_start_op = 0,
	.pre_doit = passgate_nl_pre_doit,
	.post_doit = passgate_nl_post_doit,
	.ops = passgate_nl_ops,
	.n_ops = ARRAY_SIZE(passgate_nl_ops),
	.mcgrps = passgate_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(passgate_nl_mcgrps),
	.module = THIS_MODULE,
};

int passgate_nl_init(void)
{
	return genl_register_family(&passgate_nl_family);
}

void passgate_nl_exit(void)
{
	genl_unregister_family(&passgate_nl_family);
}
