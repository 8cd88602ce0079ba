// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: a lane, bound from firmware ("passgate,turnstile") and
 * configured only through the fwnode API, so device tree, ACPI _DSD and
 * the test SSDT all reach the same code.
 */
#include <linux/bits.h>
#include <linux/device.h>
#include <linux/gpio/consumer.h>
#include <linux/interrupt.h>
#include <linux/mod_devicetable.h>
#include <linux/property.h>
#include <linux/slab.h>

#include "passgate_private.h"

#define PASSGATE_DEFAULT_PASSAGE_TIMEOUT_MS 10000
#define PASSGATE_DEFAULT_ALARM_MS 3000
#define PASSGATE_DEFAULT_DEBOUNCE_MS 10
#define PASSGATE_DEFAULT_BEAM_BLOCKED_MS 5000

static const char * const passgate_direction_names[] = {
	[PASSGATE_DIR_EXIT] = "exit",
	[PASSGATE_DIR_ENTRY] = "entry",
};

static const char * const passgate_unlock_names[] = {
	[PASSGATE_DIR_EXIT] = "unlock-exit",
	[PASSGATE_DIR_ENTRY] = "unlock-entry",
};

enum { PASSGATE_FAIL_SAFE, PASSGATE_FAIL_SECURE };

static const char * const passgate_fail_modes[] = {
	[PASSGATE_FAIL_SAFE] = "fail-safe",
	[PASSGATE_FAIL_SECURE] = "fail-secure",
};

static const char * const passgate_beam_names[] = {
	"beam-inner",
	"beam-outer",
};

static int passgate_lane_read_directions(struct passgate_lane *lane)
{
	struct device *dev = lane->dev;
	const char *names[ARRAY_SIZE(passgate_direction_names)];
	int i, n, dir;

	n = device_property_string_array_count(dev, "passgate,directions");
	if (n == -EINVAL) {
		/* Absent: every direction that has an unlock output. */
		for (dir = 0; dir < ARRAY_SIZE(lane->unlock); dir++)
			if (lane->unlock[dir])
				lane->info.directions |= BIT(dir);
		return 0;
	}
	if (n <= 0 || n > ARRAY_SIZE(names))
		return dev_err_probe(dev, -EINVAL,
				     "passgate,directions: 1 or 2 strings\n");

	device_property_read_string_array(dev, "passgate,directions", names, n);
	for (i = 0; i < n; i++) {
		dir = match_string(passgate_direction_names,
				   ARRAY_SIZE(passgate_direction_names),
				   names[i]);
		if (dir < 0)
			return dev_err_probe(dev, -EINVAL,
					     "unknown direction \"%s\"\n",
					     names[i]);
		if (!lane->unlock[dir])
			return dev_err_probe(dev, -EINVAL,
					     "direction %s has no %s-gpios\n",
					     names[i], passgate_unlock_names[dir]);
		lane->info.directions |= BIT(dir);
	}
	return 0;
}

static int passgate_lane_read_config(struct passgate_lane *lane)
{
	struct device *dev = lane->dev;
	struct passgate_info *info = &lane->info;
	const char *mode;
	int ret;

	ret = device_property_read_u32(dev, "passgate,lane", &lane->id);
	if (ret)
		return dev_err_probe(dev, ret, "no passgate,lane\n");

	info->passage_timeout_ms = PASSGATE_DEFAULT_PASSAGE_TIMEOUT_MS;
	device_property_read_u32(dev, "passage-timeout-ms",
				 &info->passage_timeout_ms);
	info->alarm_ms = PASSGATE_DEFAULT_ALARM_MS;
	device_property_read_u32(dev, "alarm-ms", &info->alarm_ms);
	lane->debounce_ms = PASSGATE_DEFAULT_DEBOUNCE_MS;
	device_property_read_u32(dev, "debounce-ms", &lane->debounce_ms);
	lane->blocked_ms = PASSGATE_DEFAULT_BEAM_BLOCKED_MS;
	device_property_read_u32(dev, "beam-blocked-ms", &lane->blocked_ms);
	if (!info->passage_timeout_ms || !info->alarm_ms || !lane->blocked_ms)
		return dev_err_probe(dev, -EINVAL,
				     "passage-timeout-ms, alarm-ms and beam-blocked-ms must not be 0\n");

	/* Egress must never be blocked by a dead driver: fail-safe by default. */
	ret = device_property_read_string(dev, "passgate,fail-mode", &mode);
	if (ret == -EINVAL)
		mode = passgate_fail_modes[PASSGATE_FAIL_SAFE];
	else if (ret)
		return dev_err_probe(dev, ret, "passgate,fail-mode\n");
	switch (match_string(passgate_fail_modes,
			     ARRAY_SIZE(passgate_fail_modes), mode)) {
	case PASSGATE_FAIL_SAFE:
		info->capabilities |= PASSGATE_CAP_FAIL_SAFE;
		break;
	case PASSGATE_FAIL_SECURE:
		break;
	default:
		return dev_err_probe(dev, -EINVAL,
				     "passgate,fail-mode: fail-safe or fail-secure\n");
	}

	return 0;
}

/*
 * A lane that lets people out must not stay locked in a fire once the
 * driver is gone (unbound, unloaded, crashed, not yet probed): only
 * hardware that releases the lock on the fire alarm by itself may make
 * a lane with an exit unlock output fail-secure.  Checked from the
 * firmware description alone (gpiod_count() reads DT, ACPI and lookup
 * tables), before any output is requested (and so driven).
 */
static int passgate_lane_check_egress(struct passgate_lane *lane)
{
	struct device *dev = lane->dev;

	if ((lane->info.capabilities & PASSGATE_CAP_FAIL_SAFE) ||
	    gpiod_count(dev, "unlock-exit") <= 0 ||
	    device_property_read_bool(dev, "passgate,fire-interlock"))
		return 0;
	return dev_err_probe(dev, -EINVAL,
			     "fail-secure exit lane without passgate,fire-interlock: it would stay locked in a fire without the driver\n");
}

static int passgate_lane_get_gpios(struct passgate_lane *lane)
{
	struct device *dev = lane->dev;
	struct passgate_info *info = &lane->info;
	int dir, i;

	for (dir = 0; dir < ARRAY_SIZE(lane->unlock); dir++) {
		lane->unlock[dir] = devm_gpiod_get_optional(dev,
						passgate_unlock_names[dir],
						GPIOD_OUT_LOW);
		if (IS_ERR(lane->unlock[dir]))
			return dev_err_probe(dev, PTR_ERR(lane->unlock[dir]),
					     "%s-gpios\n",
					     passgate_unlock_names[dir]);
	}
	if (!lane->unlock[PASSGATE_DIR_EXIT] && !lane->unlock[PASSGATE_DIR_ENTRY])
		return dev_err_probe(dev, -EINVAL, "no unlock-*-gpios\n");
	if (lane->unlock[PASSGATE_DIR_EXIT])
		info->capabilities |= PASSGATE_CAP_UNLOCK_EXIT;
	if (lane->unlock[PASSGATE_DIR_ENTRY])
		info->capabilities |= PASSGATE_CAP_UNLOCK_ENTRY;

	/* Both beams or none: one alone cannot tell a direction. */
	for (i = 0; i < ARRAY_SIZE(lane->beam); i++) {
		lane->beam[i] = devm_gpiod_get_optional(dev,
							passgate_beam_names[i],
							GPIOD_IN);
		if (IS_ERR(lane->beam[i]))
			return dev_err_probe(dev, PTR_ERR(lane->beam[i]),
					     "%s-gpios\n",
					     passgate_beam_names[i]);
	}
	if (!lane->beam[0] != !lane->beam[1])
		return dev_err_probe(dev, -EINVAL,
				     "beam-inner-gpios and beam-outer-gpios: both or neither\n");
	if (lane->beam[0])
		info->capabilities |= PASSGATE_CAP_BEAMS;

	lane->alarm = devm_gpiod_get_optional(dev, "alarm", GPIOD_OUT_LOW);
	if (IS_ERR(lane->alarm))
		return dev_err_probe(dev, PTR_ERR(lane->alarm), "alarm-gpios\n");
	if (lane->alarm)
		info->capabilities |= PASSGATE_CAP_ALARM;

	lane->green = devm_gpiod_get_optional(dev, "indicator-green",
					      GPIOD_OUT_LOW);
	if (IS_ERR(lane->green))
		return dev_err_probe(dev, PTR_ERR(lane->green),
				     "indicator-green-gpios\n");
	lane->red = devm_gpiod_get_optional(dev, "indicator-red",
					    GPIOD_OUT_LOW);
	if (IS_ERR(lane->red))
		return dev_err_probe(dev, PTR_ERR(lane->red),
				     "indicator-red-gpios\n");
	if (lane->green && lane->red)
		info->capabilities |= PASSGATE_CAP_INDICATOR;
	return 0;
}

static void passgate_lane_release(struct passgate_live *live)
{
	kfree(to_passgate_lane(live));
}

static void passgate_lane_put_action(void *data)
{
	struct passgate_lane *lane = data;

	passgate_chrdev_live_put(&lane->live);
}

static int passgate_lane_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct fwnode_handle *gate_node;
	struct passgate_lane *lane;
	int ret;

	lane = kzalloc(sizeof(*lane), GFP_KERNEL);
	if (!lane)
		return -ENOMEM;
	passgate_chrdev_live_init(&lane->live, passgate_lane_release);
	lane->dev = dev;
	/* Open files keep the lane; the driver's reference goes at unbind. */
	ret = devm_add_action_or_reset(dev, passgate_lane_put_action, lane);
	if (ret)
		return ret;

	gate_node = fwnode_find_reference(dev_fwnode(dev), "passgate,gate", 0);
	if (IS_ERR(gate_node))
		return dev_err_probe(dev, PTR_ERR(gate_node),
				     "no passgate,gate reference\n");
	lane->gate = passgate_gate_find(gate_node);
	fwnode_handle_put(gate_node);
	if (!lane->gate)
		return dev_err_probe(dev, -EPROBE_DEFER, "gate not bound yet\n");
	if (!device_link_add(dev, lane->gate->dev, DL_FLAG_AUTOPROBE_CONSUMER))
		return dev_err_probe(dev, -EINVAL, "cannot link to gate\n");

	ret = passgate_lane_read_config(lane);
	if (ret)
		return ret;
	ret = passgate_lane_check_egress(lane);
	if (ret)
		return ret;
	ret = passgate_lane_get_gpios(lane);
	if (ret)
		return ret;
	ret = passgate_lane_read_directions(lane);
	if (ret)
		return ret;

	lane->info.abi_version = PASSGATE_ABI_VERSION;
	lane->info.gate = lane->gate->id;
	lane->info.lane = lane->id;

	/*
	 * Unbind undoes these in reverse: nodes gone, interrupts freed, the
	 * outputs take their fail mode (open in a fire), the gate lets go of
	 * the lane, then its GPIOs go.
	 */
	ret = passgate_turnstile_init(lane);
	if (ret)
		return ret;
	ret = passgate_turnstile_start(lane);
	if (ret)
		return ret;
	ret = passgate_decide_init(lane);
	if (ret)
		return ret;
	ret = passgate_stats_add(lane);
	if (ret)
		return ret;
	ret = passgate_chrdev_add_lane(lane);
	if (ret)
		return dev_err_probe(dev, ret, "cannot add device nodes\n");

	platform_set_drvdata(pdev, lane);
	dev_info(dev, "gate %u lane %u ready\n", lane->gate->id, lane->id);
	return 0;
}

static const struct of_device_id passgate_lane_of_match[] = {
	{ .compatible = "passgate,turnstile" },
	{ }
};
MODULE_DEVICE_TABLE(of, passgate_lane_of_match);

static void passgate_lane_shutdown(struct platform_device *pdev)
{
	struct passgate_lane *lane = platform_get_drvdata(pdev);

	if (lane)
		passgate_turnstile_release(lane);
}

struct platform_driver passgate_lane_driver = {
	.probe = passgate_lane_probe,
	.shutdown = passgate_lane_shutdown,
	.driver = {
		.name = "passgate-turnstile",
		.of_match_table = passgate_lane_of_match,
	},
};
