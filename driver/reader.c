// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: what every reader on a UART does alike (the scanner board,
 * the ID-card SAM module, a QR engine): find the lane its firmware node
 * names, open the UART, and tell the gate when it falls silent
 * (SCANNER_OFFLINE) and when it is heard again (SCANNER_ONLINE).
 */
#include <linux/device.h>
#include <linux/jiffies.h>
#include <linux/property.h>
#include <linux/serdev.h>

#include "passgate_private.h"

/**
 * passgate_reader_find_lane() - the lane a reader's node names
 * @dev: the reader (a serdev device)
 *
 * Follows "passgate,turnstile" and links @dev to the lane's device, so
 * the lane going unbinds the reader first.
 *
 * Return: the lane, or an ERR_PTR (-EPROBE_DEFER until the lane binds).
 */
struct passgate_lane *passgate_reader_find_lane(struct device *dev)
{
	struct fwnode_handle *lane_node;
	struct passgate_lane *lane;

	lane_node = fwnode_find_reference(dev_fwnode(dev),
					  "passgate,turnstile", 0);
	if (IS_ERR(lane_node))
		return ERR_PTR(dev_err_probe(dev, PTR_ERR(lane_node),
					     "no passgate,turnstile reference\n"));
	lane = passgate_chrdev_find_lane(lane_node);
	fwnode_handle_put(lane_node);
	if (!lane)
		return ERR_PTR(dev_err_probe(dev, -EPROBE_DEFER,
					     "lane not bound yet\n"));
	if (!device_link_add(dev, lane->dev, DL_FLAG_AUTOPROBE_CONSUMER))
		return ERR_PTR(dev_err_probe(dev, -EINVAL,
					     "cannot link to lane\n"));
	return lane;
}

/**
 * passgate_reader_open() - open a reader's UART: 8N1, no flow control
 * @serdev: the reader
 * @ops: its receive hooks (drvdata must be set already)
 * @speed: in: the default baud rate; out: the one firmware set
 *
 * The UART closes when @serdev unbinds (devm).
 *
 * Return: 0 or a negative errno, logged.
 */
int passgate_reader_open(struct serdev_device *serdev,
			 const struct serdev_device_ops *ops, u32 *speed)
{
	struct device *dev = &serdev->dev;
	int ret;

	device_property_read_u32(dev, "current-speed", speed);
	serdev_device_set_client_ops(serdev, ops);
	ret = devm_serdev_device_open(dev, serdev);
	if (ret)
		return dev_err_probe(dev, ret, "cannot open the UART\n");
	if (serdev_device_set_baudrate(serdev, *speed) != *speed)
		return dev_err_probe(dev, -EINVAL, "baud rate %u refused\n",
				     *speed);
	serdev_device_set_flow_control(serdev, false);
	ret = serdev_device_set_parity(serdev, SERDEV_PARITY_NONE);
	if (ret)
		return dev_err_probe(dev, ret, "cannot set parity\n");
	return 0;
}

static void passgate_reader_silent(struct work_struct *work)
{
	struct passgate_reader_health *h =
		container_of(to_delayed_work(work),
			     struct passgate_reader_health, work);

	if (!READ_ONCE(h->offline)) {
		WRITE_ONCE(h->offline, true);
		passgate_events_emit(h->lane->gate, PASSGATE_EV_SCANNER_OFFLINE,
				     h->lane->id, h->kind);
	}
}

/**
 * passgate_reader_health_start() - count silence from now on
 * @h: the reader's health
 * @lane: its lane
 * @kind: &enum passgate_reader, the events' arg
 * @timeout_ms: silence after which it is offline
 */
void passgate_reader_health_start(struct passgate_reader_health *h,
				  struct passgate_lane *lane, u32 kind,
				  u32 timeout_ms)
{
	h->lane = lane;
	h->kind = kind;
	h->timeout_ms = timeout_ms;
	h->offline = false;
	INIT_DELAYED_WORK(&h->work, passgate_reader_silent);
	mod_delayed_work(system_wq, &h->work, msecs_to_jiffies(timeout_ms));
}

/**
 * passgate_reader_heard() - the reader sent something valid
 * @h: its health
 */
void passgate_reader_heard(struct passgate_reader_health *h)
{
	mod_delayed_work(system_wq, &h->work, msecs_to_jiffies(h->timeout_ms));
	if (READ_ONCE(h->offline)) {
		WRITE_ONCE(h->offline, false);
		passgate_events_emit(h->lane->gate, PASSGATE_EV_SCANNER_ONLINE,
				     h->lane->id, h->kind);
	}
}

/**
 * passgate_reader_health_stop() - no more events; for a reader going
 * @h: its health, after its UART closed (nothing re-arms it then)
 */
void passgate_reader_health_stop(struct passgate_reader_health *h)
{
	cancel_delayed_work_sync(&h->work);
}
