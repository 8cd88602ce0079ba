// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: ioctl dispatch.  Each command's table entry knows its struct's
 * current and first sizes, so the size/flags/reserved contract of
 * uapi/linux/passgate.h is enforced in one place.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "passgate.h"

union passgate_ioctl_arg {
	struct passgate_info info;
	struct passgate_state state;
};

static bool passgate_zeroed(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static int passgate_get_info(struct passgate_file *pf,
			     union passgate_ioctl_arg *arg)
{
	struct passgate_info *info = &arg->info;

	if (info->flags || info->__reserved)
		return -EINVAL;
	*info = pf->lane->info;
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
	passgate_lane_state(pf->lane, state);
	return 0;
}

struct passgate_ioctl_op {
	int (*execute)(struct passgate_file *pf, union passgate_ioctl_arg *arg);
	unsigned int size;
	unsigned int min_size;
	bool admin;
};

#define PASSGATE_OP(_cmd, _fn, _struct, _last, _admin)			\
	[PASSGATE_CMD_##_cmd] = {					\
		.execute = _fn,						\
		.size = sizeof(struct _struct),				\
		.min_size = offsetofend(struct _struct, _last),		\
		.admin = _admin,					\
	}

static const struct passgate_ioctl_op passgate_ioctl_ops[] = {
	PASSGATE_OP(GET_INFO, passgate_get_info, passgate_info,
		    __reserved, false),
	PASSGATE_OP(GET_STATE, passgate_get_state, passgate_state,
		    __reserved, false),
};

long passgate_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	struct passgate_file *pf = file->private_data;
	struct passgate_lane *lane = pf->lane;
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
	if (!op->execute)
		return -ENOTTY;

	down_read(&lane->unbind_lock);
	if (lane->gone) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (op->admin && !capable(CAP_SYS_ADMIN)) {
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
	if (!ret && copy_to_user(argp, &arg, min_t(u32, size, op->size)))
		ret = -EFAULT;
out_unlock:
	up_read(&lane->unbind_lock);
	return ret;
}
