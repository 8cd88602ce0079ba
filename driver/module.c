// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: station exit gate driver.
 */
#include <linux/module.h>
#include <linux/platform_device.h>

#include "passgate.h"

static struct platform_driver * const passgate_drivers[] = {
	&passgate_gate_driver,
	&passgate_lane_driver,
};

static int __init passgate_init(void)
{
	int ret;

	ret = passgate_chrdev_init();
	if (ret)
		return ret;

	ret = platform_register_drivers(passgate_drivers,
					ARRAY_SIZE(passgate_drivers));
	if (ret)
		passgate_chrdev_exit();
	return ret;
}
module_init(passgate_init);

static void __exit passgate_exit(void)
{
	platform_unregister_drivers(passgate_drivers,
				    ARRAY_SIZE(passgate_drivers));
	passgate_chrdev_exit();
}
module_exit(passgate_exit);

MODULE_DESCRIPTION("passgate station exit gate: lanes, turnstiles, scanner boards");
MODULE_LICENSE("GPL");
