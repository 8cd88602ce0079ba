// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the lanes' character devices.
 *
 * One cdev spans every lane minor, so a lane going away never frees a cdev
 * under an opener; open() finds the lane by minor and takes a reference,
 * and every later call checks under unbind_lock that the lane is still
 * bound.
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "passgate.h"

static dev_t passgate_lane_devt;
static struct cdev passgate_lane_cdev;
static DEFINE_XARRAY_ALLOC(passgate_lanes);
/* Serialises lane registration, so a lane number is taken only once. */
static DEFINE_MUTEX(passgate_lanes_register_lock);

static const char * const passgate_node_names[PASSGATE_NODES] = {
	[PASSGATE_NODE_TURNSTILE] = "turnstile",
	[PASSGATE_NODE_SCANBOARD] = "scanboard",
};

/* devtmpfs turns the '!' of "passgate!gate0!lane0!turnstile" into '/'. */
struct class passgate_class = {
	.name = "passgate",
};

static void passgate_lane_release(struct kref *ref)
{
	kfree(container_of(ref, struct passgate_lane, ref));
}

void passgate_lane_put(struct passgate_lane *lane)
{
	kref_put(&lane->ref, passgate_lane_release);
}

static dev_t passgate_lane_devt_of(struct passgate_lane *lane,
				   enum passgate_node node)
{
	return MKDEV(MAJOR(passgate_lane_devt),
		     lane->index * PASSGATE_NODES + node);
}

static void passgate_lane_nodes_del(void *data)
{
	struct passgate_lane *lane = data;
	int node;

	xa_erase(&passgate_lanes, lane->index);

	down_write(&lane->unbind_lock);
	lane->gone = true;
	up_write(&lane->unbind_lock);
	wake_up_interruptible_all(&lane->wait);

	for (node = 0; node < PASSGATE_NODES; node++)
		device_destroy(&passgate_class,
			       passgate_lane_devt_of(lane, node));
}

/*
 * Publish the lane: from here on it can be opened.  The devm action undoes
 * it first at unbind, before the lane's GPIOs and interrupts go.
 */
int passgate_lane_nodes_add(struct passgate_lane *lane)
{
	struct passgate_lane *other;
	struct device *node_dev;
	unsigned long index;
	int node, ret;

	mutex_lock(&passgate_lanes_register_lock);
	xa_for_each(&passgate_lanes, index, other) {
		if (other->gate == lane->gate && other->id == lane->id) {
			ret = -EBUSY;
			goto out_unlock;
		}
	}

	ret = xa_alloc(&passgate_lanes, &lane->index, NULL,
		       XA_LIMIT(0, PASSGATE_MAX_LANES - 1), GFP_KERNEL);
	if (ret) {
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto out_unlock;
	}

	for (node = 0; node < PASSGATE_NODES; node++) {
		node_dev = device_create(&passgate_class, lane->dev,
					 passgate_lane_devt_of(lane, node),
					 lane, "passgate!gate%u!lane%u!%s",
					 lane->gate->id, lane->id,
					 passgate_node_names[node]);
		if (IS_ERR(node_dev)) {
			ret = PTR_ERR(node_dev);
			goto err_destroy_nodes;
		}
	}

	/* Only now may open() find the lane. */
	xa_store(&passgate_lanes, lane->index, lane, GFP_KERNEL);
	mutex_unlock(&passgate_lanes_register_lock);
	return devm_add_action_or_reset(lane->dev, passgate_lane_nodes_del,
					lane);

err_destroy_nodes:
	while (node--)
		device_destroy(&passgate_class,
			       passgate_lane_devt_of(lane, node));
	xa_erase(&passgate_lanes, lane->index);
out_unlock:
	mutex_unlock(&passgate_lanes_register_lock);
	return ret;
}

static int passgate_open(struct inode *inode, struct file *file)
{
	unsigned int minor = iminor(inode);
	struct passgate_lane *lane;
	struct passgate_file *pf;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL);
	if (!pf)
		return -ENOMEM;

	xa_lock(&passgate_lanes);
	lane = xa_load(&passgate_lanes, minor / PASSGATE_NODES);
	if (lane)
		kref_get(&lane->ref);
	xa_unlock(&passgate_lanes);
	if (!lane) {
		kfree(pf);
		return -ENODEV;
	}

	pf->lane = lane;
	pf->node = minor % PASSGATE_NODES;
	file->private_data = pf;
	return nonseekable_open(inode, file);
}

static int passgate_release(struct inode *inode, struct file *file)
{
	struct passgate_file *pf = file->private_data;

	passgate_lane_put(pf->lane);
	kfree(pf);
	return 0;
}

/* The first read returns the state at once, later ones wait for a change. */
static bool passgate_state_pending(struct passgate_file *pf)
{
	struct passgate_lane *lane = pf->lane;

	return lane->gone || !pf->primed || READ_ONCE(lane->change) != pf->seen;
}

static ssize_t passgate_turnstile_read(struct passgate_file *pf,
				       char __user *buf, size_t count,
				       bool nonblock)
{
	struct passgate_lane *lane = pf->lane;
	struct passgate_state state = { .size = sizeof(state) };
	int ret;

	if (count < sizeof(state))
		return -EINVAL;

	for (;;) {
		down_read(&lane->unbind_lock);
		if (lane->gone) {
			ret = -ENODEV;
			goto out_unlock;
		}
		if (passgate_state_pending(pf))
			break;
		up_read(&lane->unbind_lock);

		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(lane->wait,
					       passgate_state_pending(pf));
		if (ret)
			return ret;
	}

	passgate_lane_state(lane, &state);
	pf->seen = state.change;
	pf->primed = true;
	ret = copy_to_user(buf, &state, sizeof(state)) ? -EFAULT : 0;
out_unlock:
	up_read(&lane->unbind_lock);
	return ret ? ret : sizeof(state);
}

/* The scanner board's slow-path queue has no producer yet: wait for unbind. */
static ssize_t passgate_scanboard_read(struct passgate_file *pf, bool nonblock)
{
	struct passgate_lane *lane = pf->lane;
	int ret;

	if (READ_ONCE(lane->gone))
		return -ENODEV;
	if (nonblock)
		return -EAGAIN;
	ret = wait_event_interruptible(lane->wait, READ_ONCE(lane->gone));
	return ret ? ret : -ENODEV;
}

static ssize_t passgate_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct passgate_file *pf = file->private_data;
	bool nonblock = file->f_flags & O_NONBLOCK;

	if (pf->node == PASSGATE_NODE_TURNSTILE)
		return passgate_turnstile_read(pf, buf, count, nonblock);
	return passgate_scanboard_read(pf, nonblock);
}

static __poll_t passgate_poll(struct file *file, poll_table *wait)
{
	struct passgate_file *pf = file->private_data;
	struct passgate_lane *lane = pf->lane;

	poll_wait(file, &lane->wait, wait);
	if (READ_ONCE(lane->gone))
		return EPOLLERR | EPOLLHUP;
	if (pf->node == PASSGATE_NODE_TURNSTILE && passgate_state_pending(pf))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

const struct file_operations passgate_lane_fops = {
	.owner = THIS_MODULE,
	.open = passgate_open,
	.release = passgate_release,
	.read = passgate_read,
	.poll = passgate_poll,
	.unlocked_ioctl = passgate_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

int passgate_chrdev_init(void)
{
	int ret;

	ret = class_register(&passgate_class);
	if (ret)
		return ret;

	ret = alloc_chrdev_region(&passgate_lane_devt, 0,
				  PASSGATE_MAX_LANES * PASSGATE_NODES,
				  "passgate");
	if (ret)
		goto err_unregister_class;

	cdev_init(&passgate_lane_cdev, &passgate_lane_fops);
	passgate_lane_cdev.owner = THIS_MODULE;
	ret = cdev_add(&passgate_lane_cdev, passgate_lane_devt,
		       PASSGATE_MAX_LANES * PASSGATE_NODES);
	if (ret)
		goto err_unregister_region;
	return 0;

err_unregister_region:
	unregister_chrdev_region(passgate_lane_devt,
				 PASSGATE_MAX_LANES * PASSGATE_NODES);
err_unregister_class:
	class_unregister(&passgate_class);
	return ret;
}

void passgate_chrdev_exit(void)
{
	cdev_del(&passgate_lane_cdev);
	unregister_chrdev_region(passgate_lane_devt,
				 PASSGATE_MAX_LANES * PASSGATE_NODES);
	class_unregister(&passgate_class);
}
