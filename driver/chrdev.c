// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the character devices of lanes and gates.
 *
 * One cdev spans every minor, so an object going away never frees a cdev
 * under an opener: open() finds the object by minor and takes a reference,
 * and every later call checks under unbind_lock that it is still bound.
 * Minors: two per lane (turnstile, scanboard) from 0, then one per gate.
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "passgate_private.h"

#define PASSGATE_LANE_MINORS (PASSGATE_MAX_LANES * PASSGATE_LANE_NODES)
#define PASSGATE_MINORS (PASSGATE_LANE_MINORS + PASSGATE_MAX_GATES)

static dev_t passgate_devt;
static struct cdev passgate_cdev;
static DEFINE_XARRAY_ALLOC(passgate_lanes);
static DEFINE_XARRAY_ALLOC(passgate_gates);
/* Serialises registration, so a gate or lane number is taken only once. */
static DEFINE_MUTEX(passgate_register_lock);

/* devtmpfs turns the '!' of "passgate!gate0!lane0!turnstile" into '/'. */
static struct class passgate_class = {
	.name = "passgate",
};

static const char * const passgate_lane_node_names[PASSGATE_LANE_NODES] = {
	[PASSGATE_NODE_TURNSTILE] = "turnstile",
	[PASSGATE_NODE_SCANBOARD] = "scanboard",
};

static void passgate_live_release(struct kref *ref)
{
	struct passgate_live *live = container_of(ref, struct passgate_live,
						  ref);

	live->release(live);
}

void passgate_chrdev_live_init(struct passgate_live *live,
			       void (*release)(struct passgate_live *live))
{
	kref_init(&live->ref);
	init_rwsem(&live->unbind_lock);
	init_waitqueue_head(&live->wait);
	live->release = release;
}

void passgate_chrdev_live_put(struct passgate_live *live)
{
	kref_put(&live->ref, passgate_live_release);
}

/* Mark the object gone for its open files and wake every waiter. */
static void passgate_live_kill(struct passgate_live *live)
{
	down_write(&live->unbind_lock);
	live->gone = true;
	up_write(&live->unbind_lock);
	wake_up_interruptible_all(&live->wait);
}

static dev_t passgate_lane_devt(struct passgate_lane *lane,
				enum passgate_node node)
{
	return MKDEV(MAJOR(passgate_devt),
		     lane->index * PASSGATE_LANE_NODES + node);
}

static void passgate_chrdev_del_lane(void *data)
{
	struct passgate_lane *lane = data;
	int node;

	xa_erase(&passgate_lanes, lane->index);
	passgate_live_kill(&lane->live);
	/* The scanboard's readers wait on a queue of their own. */
	wake_up_interruptible_all(&lane->scans.wait);
	for (node = 0; node < PASSGATE_LANE_NODES; node++)
		device_destroy(&passgate_class, passgate_lane_devt(lane, node));
}

/*
 * Publish the lane: from here on it can be opened.  The devm action undoes
 * it first at unbind, before the lane's interrupts and GPIOs go.
 */
int passgate_chrdev_add_lane(struct passgate_lane *lane)
{
	struct passgate_live *entry;
	struct passgate_lane *other;
	struct device *node_dev;
	unsigned long index;
	int node, ret;

	mutex_lock(&passgate_register_lock);
	xa_for_each(&passgate_lanes, index, entry) {
		other = to_passgate_lane(entry);
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

	for (node = 0; node < PASSGATE_LANE_NODES; node++) {
		node_dev = device_create(&passgate_class, lane->dev,
					 passgate_lane_devt(lane, node), NULL,
					 "passgate!gate%u!lane%u!%s",
					 lane->gate->id, lane->id,
					 passgate_lane_node_names[node]);
		if (IS_ERR(node_dev)) {
			ret = PTR_ERR(node_dev);
			goto err_destroy_nodes;
		}
	}

	/* Only now may open() find the lane. */
	xa_store(&passgate_lanes, lane->index, &lane->live, GFP_KERNEL);
	mutex_unlock(&passgate_register_lock);
	return devm_add_action_or_reset(lane->dev, passgate_chrdev_del_lane,
					lane);

err_destroy_nodes:
	while (node--)
		device_destroy(&passgate_class, passgate_lane_devt(lane, node));
	xa_erase(&passgate_lanes, lane->index);
out_unlock:
	mutex_unlock(&passgate_register_lock);
	return ret;
}

/*
 * Returns the bound lane described by @fwnode or NULL.  The pointer stays
 * valid while the caller holds a device link to the lane's device.
 */
struct passgate_lane *passgate_chrdev_find_lane(struct fwnode_handle *fwnode)
{
	struct passgate_lane *lane, *found = NULL;
	struct passgate_live *entry;
	unsigned long index;

	mutex_lock(&passgate_register_lock);
	xa_for_each(&passgate_lanes, index, entry) {
		lane = to_passgate_lane(entry);
		if (dev_fwnode(lane->dev) == fwnode) {
			found = lane;
			break;
		}
	}
	mutex_unlock(&passgate_register_lock);
	return found;
}

static dev_t passgate_gate_devt(u32 index)
{
	return MKDEV(MAJOR(passgate_devt), PASSGATE_LANE_MINORS + index);
}

struct passgate_gate_node {
	struct passgate_gate *gate;
	u32 index;
};

static void passgate_chrdev_del_gate(void *data)
{
	struct passgate_gate_node *gn = data;

	xa_erase(&passgate_gates, gn->index);
	passgate_live_kill(&gn->gate->live);
	device_destroy(&passgate_class, passgate_gate_devt(gn->index));
}

int passgate_chrdev_add_gate(struct passgate_gate *gate)
{
	struct passgate_gate_node *gn;
	struct device *node_dev;
	int ret;

	gn = devm_kzalloc(gate->dev, sizeof(*gn), GFP_KERNEL);
	if (!gn)
		return -ENOMEM;
	gn->gate = gate;

	ret = xa_alloc(&passgate_gates, &gn->index, NULL,
		       XA_LIMIT(0, PASSGATE_MAX_GATES - 1), GFP_KERNEL);
	if (ret)
		return ret == -EBUSY ? -ENOSPC : ret;

	node_dev = device_create(&passgate_class, gate->dev,
				 passgate_gate_devt(gn->index), NULL,
				 "passgate!gate%u!gate", gate->id);
	if (IS_ERR(node_dev)) {
		xa_erase(&passgate_gates, gn->index);
		return PTR_ERR(node_dev);
	}

	xa_store(&passgate_gates, gn->index, &gate->live, GFP_KERNEL);
	return devm_add_action_or_reset(gate->dev, passgate_chrdev_del_gate, gn);
}

static int passgate_open(struct inode *inode, struct file *file)
{
	unsigned int minor = iminor(inode);
	struct passgate_live *live;
	struct passgate_file *pf;
	struct xarray *objects;
	enum passgate_node node;
	unsigned long index;

	if (minor < PASSGATE_LANE_MINORS) {
		objects = &passgate_lanes;
		index = minor / PASSGATE_LANE_NODES;
		node = minor % PASSGATE_LANE_NODES;
	} else {
		objects = &passgate_gates;
		index = minor - PASSGATE_LANE_MINORS;
		node = PASSGATE_NODE_GATE;
	}

	pf = kzalloc(sizeof(*pf), GFP_KERNEL);
	if (!pf)
		return -ENOMEM;

	xa_lock(objects);
	live = xa_load(objects, index);
	if (live)
		kref_get(&live->ref);
	xa_unlock(objects);
	if (!live) {
		kfree(pf);
		return -ENODEV;
	}

	pf->live = live;
	pf->node = node;
	file->private_data = pf;
	/* The gate node's file position is an event sequence number. */
	if (node == PASSGATE_NODE_GATE)
		return 0;
	return nonseekable_open(inode, file);
}

static int passgate_release(struct inode *inode, struct file *file)
{
	struct passgate_file *pf = file->private_data;

	passgate_chrdev_live_put(pf->live);
	kfree(pf);
	return 0;
}

/* The first read returns the state at once, later ones wait for a change. */
static bool passgate_state_pending(struct passgate_file *pf)
{
	struct passgate_lane *lane = to_passgate_lane(pf->live);

	return READ_ONCE(pf->live->gone) || !pf->primed ||
	       READ_ONCE(lane->change) != pf->seen;
}

static ssize_t passgate_turnstile_read(struct passgate_file *pf,
				       char __user *buf, size_t count,
				       bool nonblock)
{
	struct passgate_lane *lane = to_passgate_lane(pf->live);
	struct passgate_state state = { .size = sizeof(state) };
	int ret;

	if (count < sizeof(state))
		return -EINVAL;

	for (;;) {
		down_read(&lane->live.unbind_lock);
		if (lane->live.gone) {
			ret = -ENODEV;
			goto out_unlock;
		}
		if (passgate_state_pending(pf))
			break;
		up_read(&lane->live.unbind_lock);

		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(lane->live.wait,
					       passgate_state_pending(pf));
		if (ret)
			return ret;
	}

	passgate_turnstile_get_state(lane, &state);
	pf->seen = state.change;
	pf->primed = true;
	ret = copy_to_user(buf, &state, sizeof(state)) ? -EFAULT : 0;
out_unlock:
	up_read(&lane->live.unbind_lock);
	return ret ? ret : sizeof(state);
}

static ssize_t passgate_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct passgate_file *pf = file->private_data;
	bool nonblock = file->f_flags & O_NONBLOCK;

	switch (pf->node) {
	case PASSGATE_NODE_TURNSTILE:
		return passgate_turnstile_read(pf, buf, count, nonblock);
	case PASSGATE_NODE_SCANBOARD:
		/* Reading takes deferred scans away: that is acting. */
		if (READ_ONCE(pf->live->gone))
			return -ENODEV;
		if (!(file->f_mode & FMODE_WRITE))
			return -EPERM;
		return passgate_decide_read(pf, buf, count, nonblock);
	default:
		return passgate_events_read(pf, buf, count, ppos, nonblock);
	}
}

static ssize_t passgate_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct passgate_file *pf = file->private_data;
	struct passgate_live *live = pf->live;
	ssize_t ret;

	if (pf->node != PASSGATE_NODE_SCANBOARD)
		return -EINVAL;
	down_read(&live->unbind_lock);
	ret = live->gone ? -ENODEV :
	      passgate_board_write(to_passgate_lane(live), buf, count);
	up_read(&live->unbind_lock);
	return ret;
}

static __poll_t passgate_poll(struct file *file, poll_table *wait)
{
	struct passgate_file *pf = file->private_data;
	struct passgate_live *live = pf->live;
	bool pending = false;

	if (pf->node == PASSGATE_NODE_SCANBOARD)
		poll_wait(file, &to_passgate_lane(live)->scans.wait, wait);
	else
		poll_wait(file, &live->wait, wait);
	if (READ_ONCE(live->gone))
		return EPOLLERR | EPOLLHUP;
	if (pf->node == PASSGATE_NODE_TURNSTILE)
		pending = passgate_state_pending(pf);
	else if (pf->node == PASSGATE_NODE_SCANBOARD)
		pending = passgate_decide_pending(to_passgate_lane(live));
	else if (pf->node == PASSGATE_NODE_GATE)
		pending = passgate_events_pending(to_passgate_gate(live),
						  file->f_pos);
	return pending ? EPOLLIN | EPOLLRDNORM : 0;
}

static loff_t passgate_llseek(struct file *file, loff_t offset, int whence)
{
	struct passgate_file *pf = file->private_data;

	if (pf->node != PASSGATE_NODE_GATE)
		return -ESPIPE;
	return passgate_events_llseek(file, offset, whence);
}

static const struct file_operations passgate_fops = {
	.owner = THIS_MODULE,
	.open = passgate_open,
	.release = passgate_release,
	.read = passgate_read,
	.write = passgate_write,
	.poll = passgate_poll,
	.unlocked_ioctl = passgate_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = passgate_llseek,
};

int passgate_chrdev_init(void)
{
	int ret;

	ret = class_register(&passgate_class);
	if (ret)
		return ret;

	ret = alloc_chrdev_region(&passgate_devt, 0, PASSGATE_MINORS,
				  "passgate");
	if (ret)
		goto err_unregister_class;

	cdev_init(&passgate_cdev, &passgate_fops);
	passgate_cdev.owner = THIS_MODULE;
	ret = cdev_add(&passgate_cdev, passgate_devt, PASSGATE_MINORS);
	if (ret)
		goto err_unregister_region;
	return 0;

err_unregister_region:
	unregister_chrdev_region(passgate_devt, PASSGATE_MINORS);
err_unregister_class:
	class_unregister(&passgate_class);
	return ret;
}

void passgate_chrdev_exit(void)
{
	cdev_del(&passgate_cdev);
	unregister_chrdev_region(passgate_devt, PASSGATE_MINORS);
	class_unregister(&passgate_class);
}
