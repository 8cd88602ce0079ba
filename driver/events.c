// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the gate's event stream.  Every event gets the next gate-wide
 * sequence number and lands in a bounded ring; a reader's file position is
 * the sequence number it wants next, and a reader that fell out of the
 * ring is told exactly how many events it missed (PASSGATE_EV_LOST).
 * Every event is also multicast over generic netlink (netlink.c); read()
 * and the netlink dump take records from the ring through one function,
 * passgate_events_next(), so the two never disagree.
 */
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "passgate_private.h"

#define PASSGATE_DEFAULT_RING_SIZE 1024
#define PASSGATE_MAX_RING_SIZE 65536

/*
 * Keeps the netlink notifications in sequence order: an event takes its
 * sequence number and has its notification queued under this lock, so
 * two lanes emitting at once cannot overtake each other on the wire.
 * Broadcasting inside ring_lock would do it with interrupts off; one lock
 * for all gates costs nothing at the rate gates have events.
 */
static DEFINE_SPINLOCK(passgate_event_order_lock);

int passgate_events_init(struct passgate_gate *gate)
{
	struct device *dev = gate->dev;

	gate->ring_size = PASSGATE_DEFAULT_RING_SIZE;
	device_property_read_u32(dev, "passgate,event-ring-size",
				 &gate->ring_size);
	if (gate->ring_size < 16 || gate->ring_size > PASSGATE_MAX_RING_SIZE)
		return dev_err_probe(dev, -EINVAL,
				     "passgate,event-ring-size: 16 to %u\n",
				     PASSGATE_MAX_RING_SIZE);

	spin_lock_init(&gate->ring_lock);
	gate->ring = devm_kcalloc(dev, gate->ring_size, sizeof(*gate->ring),
				  GFP_KERNEL);
	return gate->ring ? 0 : -ENOMEM;
}

/*
 * Who asked for an operator change: the calling task (a netlink command's
 * doit runs in the sender's context) and, for netlink, its port.
 */
void passgate_events_actor_current(struct passgate_event_extra *who, u32 nl_port)
{
	struct passgate_actor actor = {
		.uid = from_kuid(&init_user_ns, current_uid()),
		.pid = task_tgid_nr(current),
		.nl_port = nl_port,
	};

	BUILD_BUG_ON(sizeof(actor) > sizeof(who->data));
	get_task_comm(actor.comm, current);
	memset(who, 0, sizeof(*who));
	memcpy(who->data, &actor, sizeof(actor));
}

static u64 passgate_ring_first(struct passgate_gate *gate)
{
	return gate->ring_next > gate->ring_size ?
	       gate->ring_next - gate->ring_size : 0;
}

/*
 * Callers are in process context, some with a mutex or a lane's lock
 * held: nothing here sleeps.  The notification is best effort: the ring
 * is the source of truth, and a listener recovers a gap by dump.
 */
void passgate_events_emit_extra(struct passgate_gate *gate, u32 type,
				u32 lane, u32 arg,
				const struct passgate_event_extra *extra)
{
	struct passgate_event *ev, sent;
	struct sk_buff *msg;
	unsigned long flags;

	msg = passgate_nl_event_alloc();

	spin_lock_bh(&passgate_event_order_lock);
	spin_lock_irqsave(&gate->ring_lock, flags);
	ev = &gate->ring[gate->ring_next % gate->ring_size];
	*ev = (struct passgate_event) {
		.seq = gate->ring_next,
		.time_ns = ktime_get_boottime_ns(),
		.type = type,
		.lane = lane,
		.arg = arg,
	};
	if (extra) {
		ev->value = extra->value;
		memcpy(ev->data, extra->data, sizeof(ev->data));
	}
	sent = *ev;
	gate->ring_next++;
	spin_unlock_irqrestore(&gate->ring_lock, flags);
	if (msg)
		passgate_nl_event_send(msg, gate->id, &sent);
	spin_unlock_bh(&passgate_event_order_lock);

	wake_up_interruptible_all(&gate->live.wait);
}

void passgate_events_emit(struct passgate_gate *gate, u32 type, u32 lane,
			  u32 arg)
{
	passgate_events_emit_extra(gate, type, lane, arg, NULL);
}

bool passgate_events_pending(struct passgate_gate *gate, loff_t pos)
{
	return READ_ONCE(gate->live.gone) || pos < READ_ONCE(gate->ring_next);
}

/*
 * Put the record at stream position *@pos into @ev: the event with that
 * sequence number, or the LOST record when it left the ring (the oldest
 * event kept comes next).  Advances *@pos past the record; false when
 * there is none yet.  The caller holds the gate's unbind_lock for reading
 * and saw it not gone: the ring is freed at unbind.
 */
bool passgate_events_next(struct passgate_gate *gate, u64 *pos,
			  struct passgate_event *ev)
{
	bool found = true;
	u64 first;

	spin_lock_irq(&gate->ring_lock);
	first = passgate_ring_first(gate);
	if (*pos >= gate->ring_next) {
		found = false;
	} else if (*pos < first) {
		*ev = (struct passgate_event) {
			.seq = *pos,
			.type = PASSGATE_EV_LOST,
			.lane = PASSGATE_LANE_NONE,
			.value = first - *pos,
		};
		*pos = first;
	} else {
		*ev = gate->ring[*pos % gate->ring_size];
		(*pos)++;
	}
	spin_unlock_irq(&gate->ring_lock);
	return found;
}

/* The sequence number the next event will get. */
u64 passgate_events_end(struct passgate_gate *gate)
{
	u64 next;

	spin_lock_irq(&gate->ring_lock);
	next = gate->ring_next;
	spin_unlock_irq(&gate->ring_lock);
	return next;
}

/* Copy what is there from *ppos on, as many whole records as fit. */
static ssize_t passgate_events_copy(struct passgate_gate *gate,
				    char __user *buf, size_t count,
				    loff_t *ppos)
{
	size_t max = count / sizeof(struct passgate_event);
	struct passgate_event ev;
	size_t done = 0;
	u64 pos = *ppos;

	while (done < max && passgate_events_next(gate, &pos, &ev)) {
		if (copy_to_user(buf + done * sizeof(ev), &ev, sizeof(ev)))
			return done ? done * sizeof(ev) : -EFAULT;
		done++;
		*ppos = pos;
	}
	return done * sizeof(ev);
}

ssize_t passgate_events_read(struct passgate_file *pf, char __user *buf,
			     size_t count, loff_t *ppos, bool nonblock)
{
	struct passgate_gate *gate = to_passgate_gate(pf->live);
	ssize_t ret;

	if (count < sizeof(struct passgate_event))
		return -EINVAL;

	for (;;) {
		down_read(&gate->live.unbind_lock);
		if (gate->live.gone) {
			up_read(&gate->live.unbind_lock);
			return -ENODEV;
		}
		ret = passgate_events_copy(gate, buf, count, ppos);
		up_read(&gate->live.unbind_lock);
		if (ret)
			return ret;

		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(gate->live.wait,
				passgate_events_pending(gate, *ppos));
		if (ret)
			return ret;
	}
}

loff_t passgate_events_llseek(struct file *file, loff_t offset, int whence)
{
	struct passgate_file *pf = file->private_data;
	struct passgate_gate *gate = to_passgate_gate(pf->live);
	loff_t pos;

	/* Like every other call: an unbound gate has no stream to seek in. */
	down_read(&gate->live.unbind_lock);
	if (gate->live.gone) {
		up_read(&gate->live.unbind_lock);
		return -ENODEV;
	}
	switch (whence) {
	case SEEK_SET:
		pos = offset;
		break;
	case SEEK_CUR:
		pos = file->f_pos + offset;
		break;
	case SEEK_END:
		pos = READ_ONCE(gate->ring_next) + offset;
		break;
	default:
		pos = -EINVAL;
	}
	if (pos < 0)
		pos = -EINVAL;
	else
		file->f_pos = pos;
	up_read(&gate->live.unbind_lock);
	return pos;
}
