// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the gate unit.  Lanes name their gate by a firmware reference
 * ("passgate,gate") and bind only once it is there; a device link then
 * unbinds them before the gate goes.
 */
#include <linux/mod_devicetable.h>
#include <linux/property.h>

#include "passgate.h"

static LIST_HEAD(passgate_gates);
static DEFINE_MUTEX(passgate_gates_lock);

/*
 * Returns the gate described by @fwnode or NULL.  The pointer stays valid
 * for as long as the caller holds a device link to the gate's device.
 */
struct passgate_gate *passgate_gate_get_by_fwnode(struct fwnode_handle *fwnode)
{
	struct passgate_gate *gate, *found = NULL;

	mutex_lock(&passgate_gates_lock);
	list_for_each_entry(gate, &passgate_gates, list) {
		if (dev_fwnode(gate->dev) == fwnode) {
			found = gate;
			break;
		}
	}
	mutex_unlock(&passgate_gates_lock);
	return found;
}

static void passgate_gate_unlist(void *data)
{
	struct passgate_gate *gate = data;

	mutex_lock(&passgate_gates_lock);
	list_del(&gate->list);
	mutex_unlock(&passgate_gates_lock);
}

static int passgate_gate_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct passgate_gate *gate, *other;
	int ret;

	gate = devm_kzalloc(dev, sizeof(*gate), GFP_KERNEL);
	if (!gate)
		return -ENOMEM;
	gate->dev = dev;

	ret = device_property_read_u32(dev, "passgate,id", &gate->id);
	if (ret)
		return dev_err_probe(dev, ret, "no passgate,id\n");

	mutex_lock(&passgate_gates_lock);
	list_for_each_entry(other, &passgate_gates, list) {
		if (other->id == gate->id) {
			mutex_unlock(&passgate_gates_lock);
			return dev_err_probe(dev, -EBUSY,
					     "gate %u is already bound\n",
					     gate->id);
		}
	}
	list_add_tail(&gate->list, &passgate_gates);
	mutex_unlock(&passgate_gates_lock);

	ret = devm_add_action_or_reset(dev, passgate_gate_unlist, gate);
	if (ret)
		return ret;

	platform_set_drvdata(pdev, gate);
	dev_info(dev, "gate %u ready\n", gate->id);
	return 0;
}

static const struct of_device_id passgate_gate_of_match[] = {
	{ .compatible = "passgate,gate" },
	{ }
};
MODULE_DEVICE_TABLE(of, passgate_gate_of_match);

struct platform_driver passgate_gate_driver = {
	.probe = passgate_gate_probe,
	.driver = {
		.name = "passgate-gate",
		.of_match_table = passgate_gate_of_match,
	},
};
