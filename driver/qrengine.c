// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: a QR engine in serial mode on a UART, a serdev client bound
 * from firmware ("passgate,qr-engine") that names its lane with
 * "passgate,turnstile".  Each code the engine sends, framed as firmware
 * says (suffix, prefix, AIM identifier, maximum length, inter-byte
 * timeout), becomes a health-code scan of the lane; anything else is
 * counted and dropped without a verdict.  docs/readers.md has the
 * engines' settings.
 */
#include <linux/jiffies.h>
#include <linux/mod_devicetable.h>
#include <linux/property.h>
#include <linux/serdev.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "passgate_private.h"
#include "qrframe.h"

#define PASSGATE_QR_DEFAULT_SPEED 9600
#define PASSGATE_QR_DEFAULT_GAP_MS 50

/**
 * struct passgate_qr - one QR engine
 * @serdev: its UART
 * @lane: the lane it serves
 * @gap_ms: silence that ends or abandons a code
 * @lock: serialises @parser, @before and @flush_work's arming
 * @stopping: the device goes; nothing re-arms @flush_work
 * @flush_work: fires after @gap_ms of silence inside a code
 * @received_ns: %CLOCK_BOOTTIME of the last bytes
 * @before: the parser's counts when last accounted
 * @parser: the framing and what is buffered
 */
struct passgate_qr {
	struct serdev_device *serdev;
	struct passgate_lane *lane;
	u32 gap_ms;
	struct mutex lock;
	bool stopping;
	struct delayed_work flush_work;
	u64 received_ns;
	struct passgate_qr_stats before;
	struct passgate_qr_parser parser;
};

static void passgate_qr_code(void *data, const u8 *code, size_t len)
{
	struct passgate_qr *qr = data;
	struct passgate_scan_input in = {
		.kind = PASSGATE_CRED_HEALTH_CODE,
		.token = code,
		.token_len = len,
		.received_ns = qr->received_ns,
	};

	passgate_decide_submit(qr->lane, &in);
}

/* Move the parser's counts to the lane.  Under @lock. */
static void passgate_qr_account(struct passgate_qr *qr, size_t rx_bytes)
{
	const struct passgate_qr_stats *now = &qr->parser.stats;
	const struct passgate_qr_stats *was = &qr->before;
	struct passgate_reader_stats d = { };

	d.n[PASSGATE_STAT_QR_RX_BYTES] = rx_bytes;
	d.n[PASSGATE_STAT_QR_CODES] = now->codes - was->codes;
	d.n[PASSGATE_STAT_QR_OVERSIZE] = now->oversize - was->oversize;
	d.n[PASSGATE_STAT_QR_TRUNCATED] = now->truncated - was->truncated;
	d.n[PASSGATE_STAT_QR_BINARY] = now->binary - was->binary;
	d.n[PASSGATE_STAT_QR_BAD_PREFIX] = now->bad_prefix - was->bad_prefix;
	d.n[PASSGATE_STAT_QR_WRONG_SYMBOLOGY] = now->wrong_symbology -
						 was->wrong_symbology;
	qr->before = *now;
	passgate_stats_count_reader(qr->lane, &d);
}

/*
 * Codes are decided under @lock, in the order they came: the pipeline
 * takes no lock of ours, and the engine has no indicator to call back.
 */
#if defined(PASSGATE_SERDEV_RECEIVE_SIZE_T)
static size_t passgate_qr_receive(struct serdev_device *serdev,
				  const u8 *data, size_t count)
#else
static int passgate_qr_receive(struct serdev_device *serdev,
			       const unsigned char *data, size_t count)
#endif
{
	struct passgate_qr *qr = serdev_device_get_drvdata(serdev);

	mutex_lock(&qr->lock);
	if (!qr->stopping) {
		qr->received_ns = ktime_get_boottime_ns();
		passgate_qr_feed(&qr->parser, data, count, passgate_qr_code,
				 qr);
		passgate_qr_account(qr, count);
		if (passgate_qr_pending(&qr->parser))
			mod_delayed_work(system_wq, &qr->flush_work,
					 msecs_to_jiffies(qr->gap_ms));
	}
	mutex_unlock(&qr->lock);
	return count;
}

static const struct serdev_device_ops passgate_qr_ops = {
	.receive_buf = passgate_qr_receive,
	.write_wakeup = serdev_device_write_wakeup,
};

static void passgate_qr_flush_work(struct work_struct *work)
{
	struct passgate_qr *qr = container_of(to_delayed_work(work),
					      struct passgate_qr, flush_work);

	mutex_lock(&qr->lock);
	if (!qr->stopping) {
		passgate_qr_flush(&qr->parser, passgate_qr_code, qr);
		passgate_qr_account(qr, 0);
	}
	mutex_unlock(&qr->lock);
}

/* Runs after the UART closed: nothing is received any more. */
static void passgate_qr_stop(void *data)
{
	struct passgate_qr *qr = data;

	mutex_lock(&qr->lock);
	qr->stopping = true;
	mutex_unlock(&qr->lock);
	cancel_delayed_work_sync(&qr->flush_work);
}

static const char * const passgate_qr_suffixes[] = {
	[PASSGATE_QR_SUFFIX_AUTO] = "auto",
	[PASSGATE_QR_SUFFIX_CR] = "cr",
	[PASSGATE_QR_SUFFIX_CRLF] = "crlf",
	[PASSGATE_QR_SUFFIX_LF] = "lf",
	[PASSGATE_QR_SUFFIX_NONE] = "none",
};

static int passgate_qr_read_config(struct device *dev,
				   struct passgate_qr_config *cfg, u32 *gap_ms)
{
	const char *prefix = NULL, *suffix;
	u32 max_len = PASSGATE_QR_DEFAULT_MAX;
	int ret;

	cfg->suffix = PASSGATE_QR_SUFFIX_AUTO;
	if (!device_property_read_string(dev, "passgate,suffix", &suffix)) {
		ret = match_string(passgate_qr_suffixes,
				   ARRAY_SIZE(passgate_qr_suffixes), suffix);
		if (ret < 0)
			return dev_err_probe(dev, -EINVAL,
					     "passgate,suffix must be auto, cr, crlf, lf or none\n");
		cfg->suffix = ret;
	}
	if (!device_property_read_string(dev, "passgate,prefix", &prefix)) {
		if (!prefix[0] || strlen(prefix) > PASSGATE_QR_PREFIX_MAX)
			return dev_err_probe(dev, -EINVAL,
					     "passgate,prefix must be 1 to %u characters\n",
					     PASSGATE_QR_PREFIX_MAX);
		cfg->prefix_len = strlen(prefix);
		memcpy(cfg->prefix, prefix, cfg->prefix_len);
	}
	cfg->aim = device_property_read_bool(dev, "passgate,aim-id");
	device_property_read_u32(dev, "max-length", &max_len);
	if (!max_len || max_len > PASSGATE_TOKEN_MAX)
		return dev_err_probe(dev, -EINVAL,
				     "max-length must be 1 to %u\n",
				     PASSGATE_TOKEN_MAX);
	cfg->max_len = max_len;
	*gap_ms = PASSGATE_QR_DEFAULT_GAP_MS;
	device_property_read_u32(dev, "inter-byte-timeout-ms", gap_ms);
	if (!*gap_ms || *gap_ms > 1000)
		return dev_err_probe(dev, -EINVAL,
				     "inter-byte-timeout-ms must be 1 to 1000\n");
	return 0;
}

static int passgate_qr_probe(struct serdev_device *serdev)
{
	struct device *dev = &serdev->dev;
	struct passgate_qr_config cfg = { };
	u32 speed = PASSGATE_QR_DEFAULT_SPEED;
	struct passgate_qr *qr;
	int ret;

	qr = devm_kzalloc(dev, sizeof(*qr), GFP_KERNEL);
	if (!qr)
		return -ENOMEM;
	qr->serdev = serdev;
	mutex_init(&qr->lock);
	INIT_DELAYED_WORK(&qr->flush_work, passgate_qr_flush_work);

	ret = passgate_qr_read_config(dev, &cfg, &qr->gap_ms);
	if (ret)
		return ret;
	if (passgate_qr_parser_init(&qr->parser, &cfg))
		return dev_err_probe(dev, -EINVAL,
				     "passgate,prefix must be printable ASCII\n");

	qr->lane = passgate_reader_find_lane(dev);
	if (IS_ERR(qr->lane))
		return PTR_ERR(qr->lane);

	ret = devm_add_action_or_reset(dev, passgate_qr_stop, qr);
	if (ret)
		return ret;
	serdev_device_set_drvdata(serdev, qr);
	ret = passgate_reader_open(serdev, &passgate_qr_ops, &speed);
	if (ret)
		return ret;

	dev_info(dev, "QR engine of gate %u lane %u at %u baud, suffix %s\n",
		 qr->lane->gate->id, qr->lane->id, speed,
		 passgate_qr_suffixes[cfg.suffix]);
	return 0;
}

static const struct of_device_id passgate_qr_of_match[] = {
	{ .compatible = "passgate,qr-engine" },
	{ }
};
MODULE_DEVICE_TABLE(of, passgate_qr_of_match);

struct serdev_device_driver passgate_qr_driver = {
	.probe = passgate_qr_probe,
	.driver = {
		.name = "passgate-qr-engine",
		.of_match_table = passgate_qr_of_match,
	},
};
