// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the gate unit.  Lanes name their gate by a firmware reference
 * ("passgate,gate") and bind only once it is there; a device link then
 * unbinds them before the gate goes.
 *
 * The fire alarm is handled here, in the inputs' interrupt thread and a
 * periodic re-sample of the same inputs (an edge can be missed), with
 * nothing else involved: every lane whose GPIOs the driver holds goes FREE
 * in both directions and stays so until the inputs are quiet *and* an
 * operator resets.  The fire path takes only @fire_lock and each lane's
 * lock, which no path that sleeps or allocates holds.
 */
#include <linux/gpio/consumer.h>
#include <linux/interrupt.h>
#include <linux/mod_devicetable.h>
#include <linux/property.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "passgate_private.h"

#define PASSGATE_FIRE_INPUTS (PASSGATE_FIRE_ALARM | PASSGATE_FIRE_FAULT)
#define PASSGATE_DEFAULT_FIRE_POLL_MS 1000
#define PASSGATE_MAX_FIRE_POLL_MS 60000

static LIST_HEAD(passgate_gate_list);
static DEFINE_MUTEX(passgate_gate_list_lock);

/*
 * Returns the bound gate described by @fwnode or NULL.  The pointer stays
 * valid while the caller holds a device link to the gate's device.
 */
struct passgate_gate *passgate_gate_find(struct fwnode_handle *fwnode)
{
	struct passgate_gate *gate, *found = NULL;

	mutex_lock(&passgate_gate_list_lock);
	list_for_each_entry(gate, &passgate_gate_list, list) {
		if (dev_fwnode(gate->dev) == fwnode) {
			found = gate;
			break;
		}
	}
	mutex_unlock(&passgate_gate_list_lock);
	return found;
}

/*
 * Returns the bound gate numbered @id with a reference, or NULL; the
 * caller drops it with passgate_chrdev_live_put() and, like a file, uses the
 * gate only under its unbind_lock while it is not gone.  A listed gate
 * still holds its driver's reference, so taking one here is safe.  Only
 * a gate whose probe finished (drvdata is set last) is handed out: one
 * still probing has no nodes yet, and if its probe failed it would free
 * its ring without ever being marked gone.
 */
struct passgate_gate *passgate_gate_get(u32 id)
{
	struct passgate_gate *gate, *found = NULL;

	mutex_lock(&passgate_gate_list_lock);
	list_for_each_entry(gate, &passgate_gate_list, list) {
		if (gate->id == id && dev_get_drvdata(gate->dev) == gate) {
			kref_get(&gate->live.ref);
			found = gate;
			break;
		}
	}
	mutex_unlock(&passgate_gate_list_lock);
	return found;
}

/* Called with gate->lock or gate->fire_lock held. */
static void passgate_gate_refresh_lanes(struct passgate_gate *gate)
{
	struct passgate_lane *lane;

	list_for_each_entry(lane, &gate->lanes, gate_entry)
		passgate_turnstile_refresh(lane);
}

static u32 passgate_fire_sample(struct passgate_gate *gate)
{
	u32 inputs = 0;

	if (gate->fire_alarm && gpiod_get_value_cansleep(gate->fire_alarm))
		inputs |= PASSGATE_FIRE_ALARM;
	/* Supervision: a line we cannot read is a fault too. */
	if (gate->fire_fault && gpiod_get_value_cansleep(gate->fire_fault))
		inputs |= PASSGATE_FIRE_FAULT;
	return inputs;
}

/* Called with gate->fire_lock held. */
static void passgate_fire_update(struct passgate_gate *gate)
{
	u32 inputs = passgate_fire_sample(gate);
	u32 old = gate->fire;
	u32 fire = inputs | (old & PASSGATE_FIRE_LATCHED);

	if (inputs)
		fire |= PASSGATE_FIRE_LATCHED;
	if (fire == old)
		return;
	WRITE_ONCE(gate->fire, fire);

	if (inputs & ~old) {
		if (!(old & PASSGATE_FIRE_LATCHED)) {
			gate->fire_alarms++;
			passgate_gate_refresh_lanes(gate);
		}
		/* Emitted once every lane is FREE. */
		passgate_events_emit(gate, PASSGATE_EV_FIRE_ALARM,
				     PASSGATE_LANE_NONE, fire);
	} else if (!inputs && (old & PASSGATE_FIRE_INPUTS)) {
		passgate_events_emit(gate, PASSGATE_EV_FIRE_CLEAR,
				     PASSGATE_LANE_NONE, fire);
	}
}

static void passgate_fire_sync(struct passgate_gate *gate)
{
	mutex_lock(&gate->fire_lock);
	passgate_fire_update(gate);
	mutex_unlock(&gate->fire_lock);
}

static irqreturn_t passgate_fire_irq(int irq, void *data)
{
	passgate_fire_sync(data);
	return IRQ_HANDLED;
}

/* A missed edge (or an input with no interrupt) is found within a period. */
static void passgate_fire_poll_work(struct work_struct *work)
{
	struct passgate_gate *gate = container_of(to_delayed_work(work),
						  struct passgate_gate,
						  fire_poll);

	passgate_fire_sync(gate);
	schedule_delayed_work(&gate->fire_poll,
			      msecs_to_jiffies(gate->fire_poll_ms));
}

static void passgate_fire_poll_stop(void *data)
{
	struct passgate_gate *gate = data;

	cancel_delayed_work_sync(&gate->fire_poll);
}

int passgate_gate_reset_fire(struct passgate_gate *gate,
			     const struct passgate_event_extra *who)
{
	int ret = 0;

	mutex_lock(&gate->fire_lock);
	passgate_fire_update(gate);
	if (gate->fire & PASSGATE_FIRE_INPUTS) {
		ret = -EBUSY;
	} else if (gate->fire & PASSGATE_FIRE_LATCHED) {
		WRITE_ONCE(gate->fire, 0);
		passgate_gate_refresh_lanes(gate);
		passgate_events_emit_extra(gate, PASSGATE_EV_FIRE_RESET,
					   PASSGATE_LANE_NONE, 0, who);
	}
	mutex_unlock(&gate->fire_lock);
	return ret;
}

int passgate_gate_set_mode(struct passgate_gate *gate, u32 mode,
			   const struct passgate_event_extra *who)
{
	if (mode > PASSGATE_GATE_LOCK_ALL)
		return -EINVAL;

	mutex_lock(&gate->lock);
	WRITE_ONCE(gate->mode, mode);
	passgate_gate_refresh_lanes(gate);
	passgate_events_emit_extra(gate, PASSGATE_EV_GATE_MODE,
				   PASSGATE_LANE_NONE, mode, who);
	mutex_unlock(&gate->lock);
	return 0;
}

int passgate_gate_set_key(struct passgate_gate *gate,
			  const struct passgate_key *key)
{
	bool replaced;

	if (key->flags & ~PASSGATE_KEY_F_REPLACE || key->__reserved ||
	    !memchr_inv(key->key, 0, sizeof(key->key)))
		return -EINVAL;

	spin_lock(&gate->key_lock);
	replaced = gate->has_key;
	if (replaced && !(key->flags & PASSGATE_KEY_F_REPLACE)) {
		spin_unlock(&gate->key_lock);
		return -EEXIST;
	}
	memcpy(gate->key, key->key, sizeof(gate->key));
	gate->has_key = true;
	spin_unlock(&gate->key_lock);

	passgate_events_emit(gate, PASSGATE_EV_KEY_SET, PASSGATE_LANE_NONE,
			     replaced);
	return 0;
}

void passgate_gate_get_state(struct passgate_gate *gate,
			     struct passgate_gate_state *state)
{
	mutex_lock(&gate->lock);
	state->mode = gate->mode;
	mutex_lock(&gate->fire_lock);
	state->fire = gate->fire;
	state->fire_alarms = gate->fire_alarms;
	mutex_unlock(&gate->fire_lock);
	state->lanes = gate->nr_lanes;
	spin_lock_irq(&gate->ring_lock);
	state->event_next = gate->ring_next;
	state->event_first = gate->ring_next > gate->ring_size ?
			     gate->ring_next - gate->ring_size : 0;
	spin_unlock_irq(&gate->ring_lock);
	state->event_ring_size = gate->ring_size;
	memcpy(state->stream_id, gate->stream_id, sizeof(state->stream_id));
	mutex_unlock(&gate->lock);
}

struct passgate_gate_membership {
	struct passgate_gate *gate;
	struct passgate_lane *lane;
};

static void passgate_gate_remove_lane(void *data)
{
	struct passgate_gate_membership *m = data;

	mutex_lock(&m->gate->lock);
	mutex_lock(&m->gate->fire_lock);
	list_del(&m->lane->gate_entry);
	m->gate->nr_lanes--;
	mutex_unlock(&m->gate->fire_lock);
	mutex_unlock(&m->gate->lock);
}

/*
 * From here on the gate's fire alarm and modes drive the lane; the devm
 * action ends that at the lane's unbind, once the lane has let go of its
 * outputs and just before its GPIOs are released: a fire during the
 * unbind still opens it.
 */
int passgate_gate_add_lane(struct passgate_gate *gate,
			   struct passgate_lane *lane)
{
	struct passgate_gate_membership *m;

	m = devm_kzalloc(lane->dev, sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->gate = gate;
	m->lane = lane;

	mutex_lock(&gate->lock);
	mutex_lock(&gate->fire_lock);
	list_add_tail(&lane->gate_entry, &gate->lanes);
	gate->nr_lanes++;
	passgate_turnstile_refresh(lane);
	mutex_unlock(&gate->fire_lock);
	mutex_unlock(&gate->lock);
	return devm_add_action_or_reset(lane->dev, passgate_gate_remove_lane, m);
}

static int passgate_gate_request_fire(struct passgate_gate *gate)
{
	struct gpio_desc *inputs[] = { NULL, NULL };
	static const char * const names[] = { "fire-alarm", "fire-fault" };
	struct device *dev = gate->dev;
	int i, irq, ret;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		inputs[i] = devm_gpiod_get_optional(dev, names[i], GPIOD_IN);
		if (IS_ERR(inputs[i]))
			return dev_err_probe(dev, PTR_ERR(inputs[i]),
					     "%s-gpios\n", names[i]);
	}
	gate->fire_alarm = inputs[0];
	gate->fire_fault = inputs[1];

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!inputs[i])
			continue;
		irq = gpiod_to_irq(inputs[i]);
		if (irq < 0)
			return dev_err_probe(dev, irq, "%s: no interrupt\n",
					     names[i]);
		ret = devm_request_threaded_irq(dev, irq, NULL,
						passgate_fire_irq,
						IRQF_TRIGGER_RISING |
						IRQF_TRIGGER_FALLING |
						IRQF_ONESHOT, names[i], gate);
		if (ret)
			return dev_err_probe(dev, ret, "%s: request irq\n",
					     names[i]);
	}

	/* An alarm present at boot counts from the start. */
	passgate_fire_sync(gate);
	if (!gate->fire_alarm && !gate->fire_fault)
		return 0;
	gate->fire_poll_ms = PASSGATE_DEFAULT_FIRE_POLL_MS;
	device_property_read_u32(dev, "passgate,fire-poll-ms",
				 &gate->fire_poll_ms);
	if (!gate->fire_poll_ms || gate->fire_poll_ms > PASSGATE_MAX_FIRE_POLL_MS)
		return dev_err_probe(dev, -EINVAL,
				     "passgate,fire-poll-ms: 1 to %u\n",
				     PASSGATE_MAX_FIRE_POLL_MS);
	INIT_DELAYED_WORK(&gate->fire_poll, passgate_fire_poll_work);
	schedule_delayed_work(&gate->fire_poll,
			      msecs_to_jiffies(gate->fire_poll_ms));
	return devm_add_action_or_reset(dev, passgate_fire_poll_stop, gate);
}

static void passgate_gate_unlist(void *data)
{
	struct passgate_gate *gate = data;

	mutex_lock(&passgate_gate_list_lock);
	list_del(&gate->list);
	mutex_unlock(&passgate_gate_list_lock);
}

static int passgate_gate_list_add(struct passgate_gate *gate)
{
	struct passgate_gate *other;

	mutex_lock(&passgate_gate_list_lock);
	list_for_each_entry(other, &passgate_gate_list, list) {
		if (other->id == gate->id) {
			mutex_unlock(&passgate_gate_list_lock);
			return dev_err_probe(gate->dev, -EBUSY,
					     "gate %u is already bound\n",
					     gate->id);
		}
	}
	list_add_tail(&gate->list, &passgate_gate_list);
	mutex_unlock(&passgate_gate_list_lock);
	return devm_add_action_or_reset(gate->dev, passgate_gate_unlist, gate);
}

static void passgate_gate_release(struct passgate_live *live)
{
	kfree_sensitive(to_passgate_gate(live));
}

static void passgate_gate_put_action(void *data)
{
	struct passgate_gate *gate = data;

	passgate_chrdev_live_put(&gate->live);
}

static int passgate_gate_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct passgate_gate *gate;
	int ret;

	gate = kzalloc(sizeof(*gate), GFP_KERNEL);
	if (!gate)
		return -ENOMEM;
	passgate_chrdev_live_init(&gate->live, passgate_gate_release);
	mutex_init(&gate->lock);
	mutex_init(&gate->fire_lock);
	spin_lock_init(&gate->key_lock);
	INIT_LIST_HEAD(&gate->lanes);
	gate->dev = dev;
	get_random_bytes(gate->stream_id, sizeof(gate->stream_id));
	/* Open files keep the gate; the driver's reference goes at unbind. */
	ret = devm_add_action_or_reset(dev, passgate_gate_put_action, gate);
	if (ret)
		return ret;

	ret = device_property_read_u32(dev, "passgate,id", &gate->id);
	if (ret)
		return dev_err_probe(dev, ret, "no passgate,id\n");

	ret = passgate_events_init(gate);
	if (ret)
		return ret;
	ret = passgate_gate_request_fire(gate);
	if (ret)
		return ret;
	/* Lanes may find the gate from here on: it is complete. */
	ret = passgate_gate_list_add(gate);
	if (ret)
		return ret;
	ret = passgate_chrdev_add_gate(gate);
	if (ret)
		return dev_err_probe(dev, ret, "cannot add device node\n");

	/* Last: passgate_gate_get() hands out only gates that have it. */
	platform_set_drvdata(pdev, gate);
	dev_info(dev, "gate %u ready\n", gate->id);
	return 0;
}

/*
 * The machine goes down (reboot, power-off, kexec).  The lanes have let
 * go of their outputs already (their .shutdown ran first: they depend on
 * the gate), but the driver still holds their GPIOs and the fire inputs'
 * interrupts stay requested: a fire until the power goes still opens
 * every lane.  Take the inputs once more, so that an alarm whose edge
 * came while the lanes shut down is not left to the next poll.
 */
static void passgate_gate_shutdown(struct platform_device *pdev)
{
	struct passgate_gate *gate = platform_get_drvdata(pdev);

	if (gate)
		passgate_fire_sync(gate);
}

static const struct of_device_id passgate_gate_of_match[] = {
	{ .compatible = "passgate,gate" },
	{ }
};
MODULE_DEVICE_TABLE(of, passgate_gate_of_match);

struct platform_driver passgate_gate_driver = {
	.probe = passgate_gate_probe,
	.shutdown = passgate_gate_shutdown,
	.driver = {
		.name = "passgate-gate",
		.of_match_table = passgate_gate_of_match,
	},
};
