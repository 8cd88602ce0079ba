// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: station exit gate driver.
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/serdev.h>

#include "passgate_private.h"

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
	passgate_stats_init();
	/* Before any gate can emit an event, gone after the last one. */
	ret = passgate_nl_init();
	if (ret)
		goto err_exit_chrdev;

	ret = platform_register_drivers(passgate_drivers,
					ARRAY_SIZE(passgate_drivers));
	if (ret)
		goto err_exit_netlink;
	ret = serdev_device_driver_register(&passgate_board_driver);
	if (ret)
		goto err_unregister_platform;
	ret = serdev_device_driver_register(&passgate_sam_driver);
	if (ret)
		goto err_unregister_board;
	ret = serdev_device_driver_register(&passgate_qr_driver);
	if (ret)
		goto err_unregister_sam;
	return 0;

err_unregister_sam:
	serdev_device_driver_unregister(&passgate_sam_driver);
err_unregister_board:
	serdev_device_driver_unregister(&passgate_board_driver);
err_unregister_platform:
	platform_unregister_drivers(passgate_drivers,
				    ARRAY_SIZE(passgate_drivers));
err_exit_netlink:
	passgate_nl_exit();
err_exit_chrdev:
	passgate_stats_exit();
	passgate_chrdev_exit();
	return ret;
}
module_init(passgate_init);

static void __exit passgate_exit(void)
{
	serdev_device_driver_unregister(&passgate_qr_driver);
	serdev_device_driver_unregister(&passgate_sam_driver);
	serdev_device_driver_unregister(&passgate_board_driver);
	platform_unregister_drivers(passgate_drivers,
				    ARRAY_SIZE(passgate_drivers));
	passgate_nl_exit();
	passgate_stats_exit();
	passgate_chrdev_exit();
}
module_exit(passgate_exit);

MODULE_DESCRIPTION("passgate station exit gate: lanes, turnstiles, scanner boards, ID-card and QR readers");
MODULE_LICENSE("GPL");
