// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: ioctl dispatch.  Each command's table entry knows its struct's
 * current and first sizes, which node takes it and whether it acts (and
 * so needs a file opened for writing), so the contract of
 * uapi/linux/passgate.h is enforced in one place; the commands themselves
 * check only flags, reserved fields and values.
 */
#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "passgate_private.h"

union passgate_ioctl_arg {
	struct passgate_info info;
	struct passgate_state state;
	struct passgate_open open;
	struct passgate_mode mode;
	struct passgate_reset reset;
	struct passgate_gate_state gate_state;
	struct passgate_verdict_cmd verdict;
	struct passgate_key key;
	struct passgate_note note;
};

static bool passgate_zeroed(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static struct passgate_lane *passgate_file_lane(struct passgate_file *pf)
{
	return to_passgate_lane(pf->live);
}

static struct passgate_gate *passgate_file_gate(struct passgate_file *pf)
{
	return to_passgate_gate(pf->live);
}

static int passgate_get_info(struct passgate_file *pf,
			     union passgate_ioctl_arg *arg)
{
	struct passgate_info *info = &arg->info;

	if (info->flags || info->__reserved)
		return -EINVAL;
	*info = passgate_file_lane(pf)->info;
	info->size = sizeof(*info);
	return 0;
}

static int passgate_get_state(struct passgate_file *pf,
			      union passgate_ioctl_arg *arg)
{
	struct passgate_state *state = &arg->state;

	if (state->flags ||
	    !passgate_zeroed(state->__reserved, sizeof(state->__reserved)))
		return -EINVAL;
	passgate_turnstile_get_state(passgate_file_lane(pf), state);
	return 0;
}

static int passgate_open_lane(struct passgate_file *pf,
			      union passgate_ioctl_arg *arg)
{
	struct passgate_open *open = &arg->open;

	if (open->flags || open->__reserved)
		return -EINVAL;
	return passgate_turnstile_open(passgate_file_lane(pf),
				       open->direction);
}

static int passgate_set_mode(struct passgate_file *pf,
			     union passgate_ioctl_arg *arg)
{
	struct passgate_mode *mode = &arg->mode;
	struct passgate_event_extra who;

	if (mode->flags || mode->__reserved)
		return -EINVAL;
	passgate_events_actor_current(&who, 0);
	return passgate_turnstile_set_mode(passgate_file_lane(pf), mode->mode,
					   &who);
}

static int passgate_reset_alarms(struct passgate_file *pf,
				 union passgate_ioctl_arg *arg)
{
	struct passgate_reset *reset = &arg->reset;
	struct passgate_event_extra who;

	if (reset->flags || reset->__reserved)
		return -EINVAL;
	passgate_events_actor_current(&who, 0);
	passgate_turnstile_reset_alarms(passgate_file_lane(pf), &who);
	return 0;
}

static int passgate_verdict(struct passgate_file *pf,
			    union passgate_ioctl_arg *arg)
{
	struct passgate_verdict_cmd *cmd = &arg->verdict;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	return passgate_decide_answer(passgate_file_lane(pf), cmd);
}

static int passgate_gate_set_key_ioctl(struct passgate_file *pf,
				       union passgate_ioctl_arg *arg)
{
	return passgate_gate_set_key(passgate_file_gate(pf), &arg->key);
}

static int passgate_gate_note(struct passgate_file *pf,
			      union passgate_ioctl_arg *arg)
{
	struct passgate_note *note = &arg->note;
	struct passgate_event_extra extra;

	if (note->flags)
		return -EINVAL;
	switch (note->type) {
	case PASSGATE_EV_LIST_ACTIVATED:
	case PASSGATE_EV_LIST_REFUSED:
	case PASSGATE_EV_LIST_EXPIRED:
	case PASSGATE_EV_RECORD_SEEDED:
		break;
	default:
		return -EINVAL;
	}
	BUILD_BUG_ON(sizeof(note->data) !=
		     sizeof(((struct passgate_event_extra *)0)->data));
	extra.value = note->value;
	memcpy(extra.data, note->data, sizeof(extra.data));
	passgate_events_emit_extra(passgate_file_gate(pf), note->type,
				   PASSGATE_LANE_NONE, note->arg, &extra);
	return 0;
}

static int passgate_gate_get_state_ioctl(struct passgate_file *pf,
					 union passgate_ioctl_arg *arg)
{
	struct passgate_gate_state *state = &arg->gate_state;

	if (state->flags ||
	    !passgate_zeroed(state->__reserved, sizeof(state->__reserved)))
		return -EINVAL;
	passgate_gate_get_state(passgate_file_gate(pf), state);
	return 0;
}

static int passgate_gate_set_mode_ioctl(struct passgate_file *pf,
					union passgate_ioctl_arg *arg)
{
	struct passgate_mode *mode = &arg->mode;
	struct passgate_event_extra who;

	if (mode->flags || mode->__reserved)
		return -EINVAL;
	passgate_events_actor_current(&who, 0);
	return passgate_gate_set_mode(passgate_file_gate(pf), mode->mode, &who);
}

static int passgate_gate_reset_fire_ioctl(struct passgate_file *pf,
					  union passgate_ioctl_arg *arg)
{
	struct passgate_reset *reset = &arg->reset;
	struct passgate_event_extra who;

	if (reset->flags || reset->__reserved)
		return -EINVAL;
	passgate_events_actor_current(&who, 0);
	return passgate_gate_reset_fire(passgate_file_gate(pf), &who);
}

struct passgate_ioctl_op {
	int (*execute)(struct passgate_file *pf, union passgate_ioctl_arg *arg);
	unsigned int size;
	unsigned int min_size;
	unsigned int nodes;
	bool acts;
	bool out;
};

/* The nodes a command is accepted on (docs/abi.md), as a mask. */
#define PASSGATE_TURNSTILE BIT(PASSGATE_NODE_TURNSTILE)
#define PASSGATE_SCANBOARD BIT(PASSGATE_NODE_SCANBOARD)
#define PASSGATE_GATE BIT(PASSGATE_NODE_GATE)

#define PASSGATE_OP(_cmd, _fn, _struct, _last, _nodes, _acts, _out)	\
	[PASSGATE_CMD_##_cmd] = {					\
		.execute = _fn,						\
		.size = sizeof(struct _struct),				\
		.min_size = offsetofend(struct _struct, _last),		\
		.nodes = _nodes,					\
		.acts = _acts,					\
		.out = _out,						\
	}

static const struct passgate_ioctl_op passgate_ioctl_ops[] = {
	/*          command          handler                  struct
	 *          last field       nodes, acts, copied back
	 */
	PASSGATE_OP(GET_INFO, passgate_get_info, passgate_info, __reserved,
		    PASSGATE_TURNSTILE | PASSGATE_SCANBOARD, false, true),
	PASSGATE_OP(GET_STATE, passgate_get_state, passgate_state,
		    __reserved, PASSGATE_TURNSTILE, false, true),
	PASSGATE_OP(OPEN, passgate_open_lane, passgate_open,
		    __reserved, PASSGATE_TURNSTILE, true, false),
	PASSGATE_OP(SET_MODE, passgate_set_mode, passgate_mode,
		    __reserved, PASSGATE_TURNSTILE, true, false),
	PASSGATE_OP(RESET_ALARMS, passgate_reset_alarms, passgate_reset,
		    __reserved, PASSGATE_TURNSTILE, true, false),
	PASSGATE_OP(VERDICT, passgate_verdict, passgate_verdict_cmd,
		    __reserved, PASSGATE_SCANBOARD, true, false),
	PASSGATE_OP(GATE_GET_STATE, passgate_gate_get_state_ioctl,
		    passgate_gate_state, __reserved, PASSGATE_GATE, false, true),
	PASSGATE_OP(GATE_SET_MODE, passgate_gate_set_mode_ioctl,
		    passgate_mode, __reserved, PASSGATE_GATE, true, false),
	PASSGATE_OP(GATE_RESET_FIRE, passgate_gate_reset_fire_ioctl,
		    passgate_reset, __reserved, PASSGATE_GATE, true, false),
	PASSGATE_OP(GATE_SET_KEY, passgate_gate_set_key_ioctl, passgate_key,
		    key, PASSGATE_GATE, true, false),
	PASSGATE_OP(GATE_NOTE, passgate_gate_note, passgate_note, value,
		    PASSGATE_GATE, true, false),
};

long passgate_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	struct passgate_file *pf = file->private_data;
	struct passgate_live *live = pf->live;
	void __user *argp = (void __user *)uarg;
	const struct passgate_ioctl_op *op;
	union passgate_ioctl_arg arg;
	unsigned int nr = _IOC_NR(cmd);
	u32 size;
	long ret;

	if (nr >= ARRAY_SIZE(passgate_ioctl_ops) ||
	    cmd != _IO(PASSGATE_IOC_TYPE, nr))
		return -ENOTTY;
	op = &passgate_ioctl_ops[nr];
	if (!op->execute || !(op->nodes & BIT(pf->node)))
		return -ENOTTY;

	down_read(&live->unbind_lock);
	if (live->gone) {
		ret = -ENODEV;
		goto out_unlock;
	}
	/* Who may act was decided at open(), by the node's permissions. */
	if (op->acts && !(file->f_mode & FMODE_WRITE)) {
		ret = -EPERM;
		goto out_unlock;
	}
	if (get_user(size, (u32 __user *)argp)) {
		ret = -EFAULT;
		goto out_unlock;
	}
	if (size < op->min_size) {
		ret = -EINVAL;
		goto out_unlock;
	}
	ret = copy_struct_from_user(&arg, op->size, argp, size);
	if (ret)
		goto out_unlock;

	ret = op->execute(pf, &arg);
	if (!ret && op->out &&
	    copy_to_user(argp, &arg, min_t(u32, size, op->size)))
		ret = -EFAULT;
out_unlock:
	up_read(&live->unbind_lock);
	/* The ID-card key may be in there. */
	memzero_explicit(&arg, sizeof(arg));
	return ret;
}
