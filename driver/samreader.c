// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the resident-ID-card reader's security module (SAM, GA 467)
 * on a UART, a serdev client bound from firmware ("passgate,id-sam") that
 * names its lane with "passgate,turnstile".  It polls: find card, select
 * card, read the base information; the ID number and the validity dates
 * become an ID-card scan of the lane, digested like a board's, and the
 * rest of the card (name, address, photo) is wiped as it leaves the
 * parser.  A card left on the reader is decided once.  A module that
 * stops answering raises SCANNER_OFFLINE; nothing it sends or fails to
 * send holds the lane.  docs/readers.md has the protocol.
 */
#include <linux/jiffies.h>
#include <linux/mod_devicetable.h>
#include <linux/property.h>
#include <linux/random.h>
#include <linux/serdev.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "passgate_private.h"
#include "samframe.h"

#define PASSGATE_SAM_DEFAULT_SPEED 115200
#define PASSGATE_SAM_DEFAULT_POLL_MS 250
/*
 * Longest wait for an answer, by default: a second, and twice the time
 * the longest answer (base information, 1295 bytes of 10 bits) takes on
 * the wire at the line's rate.
 */
#define PASSGATE_SAM_RESPONSE_MS(speed) (1000 + 2 * 12950 * 1000 / (speed))
#define PASSGATE_SAM_DEFAULT_HEARTBEAT_MS 3000

/**
 * struct passgate_sam - one SAM module
 * @serdev: its UART
 * @lane: the lane it serves
 * @poll_ms: pause between polls
 * @response_ms: longest wait for an answer
 * @health: SCANNER_OFFLINE after silence, ONLINE when heard again
 * @lock: serialises everything below
 * @step_work: the next poll, or the deadline of the answer awaited
 * @stopping: the device goes; nothing re-arms @step_work
 * @waiting: the command whose answer is awaited; 0 for none
 * @parser: frame parser
 * @card_tag: a keyed hash of the last card decided, while it stays
 * @have_card: @card_tag is set: no "no card" answer since
 * @tag_key: this boot's key for @card_tag
 * @before: the parser's counts when last accounted
 * @stats: counts since the last accounting, moved to the lane's counters
 */
struct passgate_sam {
	struct serdev_device *serdev;
	struct passgate_lane *lane;
	u32 poll_ms;
	u32 response_ms;
	struct passgate_reader_health health;
	struct mutex lock;
	struct delayed_work step_work;
	bool stopping;
	u16 waiting;
	struct passgate_sam_parser parser;
	u64 card_tag;
	bool have_card;
	siphash_key_t tag_key;
	struct passgate_sam_stats before;
	struct passgate_reader_stats stats;
};

/* What one receive produced: a card to decide, outside the lock. */
struct passgate_sam_rx {
	struct passgate_sam *sam;
	struct passgate_id_card card;
	bool have_card;
	bool heard;
	u64 received_ns;
};

static void passgate_sam_send(struct passgate_sam *sam, u16 cmd)
{
	u8 frame[PASSGATE_SAM_HEADER + 3];
	size_t n;

	n = passgate_sam_encode_command(frame, sizeof(frame), cmd);
	sam->waiting = cmd;
	serdev_device_write_buf(sam->serdev, frame, n);
	mod_delayed_work(system_wq, &sam->step_work,
			 msecs_to_jiffies(sam->response_ms));
}

/* Done with a command: poll again after the pause.  Under @lock. */
static void passgate_sam_idle(struct passgate_sam *sam)
{
	sam->waiting = 0;
	if (!sam->stopping)
		mod_delayed_work(system_wq, &sam->step_work,
				 msecs_to_jiffies(sam->poll_ms));
}

/* Move the parser's and the driver's counts to the lane.  Under @lock. */
static void passgate_sam_account(struct passgate_sam *sam)
{
	const struct passgate_sam_stats *now = &sam->parser.stats;
	const struct passgate_sam_stats *was = &sam->before;
	u64 *n = sam->stats.n;

	n[PASSGATE_STAT_SAM_FRAMES] += now->frames - was->frames;
	n[PASSGATE_STAT_SAM_BAD_CHECKSUM] += now->bad_checksum -
					     was->bad_checksum;
	n[PASSGATE_STAT_SAM_BAD_FRAMES] += now->oversize - was->oversize +
					   now->truncated - was->truncated;
	n[PASSGATE_STAT_SAM_GARBAGE] += now->garbage - was->garbage;
	sam->before = *now;
	passgate_stats_count_reader(sam->lane, &sam->stats);
	memset(&sam->stats, 0, sizeof(sam->stats));
}

static void passgate_sam_read(struct passgate_sam_rx *rx, u8 status,
			      const u8 *data, size_t len)
{
	struct passgate_sam *sam = rx->sam;
	u64 tag;

	if (status != PASSGATE_SAM_OK) {
		sam->stats.n[PASSGATE_STAT_SAM_READ_FAILURES]++;
		return;
	}
	if (passgate_sam_base_info(data, len, &rx->card)) {
		sam->stats.n[PASSGATE_STAT_SAM_BAD_CARDS]++;
		return;
	}
	tag = siphash(rx->card.number, sizeof(rx->card.number),
		      &sam->tag_key);
	if (sam->have_card && tag == sam->card_tag) {
		/* Still on the reader: decided already. */
		sam->stats.n[PASSGATE_STAT_SAM_CARDS_REPEATED]++;
		memzero_explicit(&rx->card, sizeof(rx->card));
		return;
	}
	sam->card_tag = tag;
	sam->have_card = true;
	sam->stats.n[PASSGATE_STAT_SAM_CARDS]++;
	rx->have_card = true;
}

static void passgate_sam_frame(void *data, const struct passgate_sam_frame *f)
{
	struct passgate_sam_rx *rx = data;
	struct passgate_sam *sam = rx->sam;
	u16 cmd = sam->waiting;
	u8 status;

	rx->heard = true;
	/* An answer carries SW1 SW2 SW3; only SW3 varies. */
	if (f->len < PASSGATE_SAM_STATUS_LEN || f->body[0] || f->body[1]) {
		sam->stats.n[PASSGATE_STAT_SAM_FAULTS]++;
		if (cmd)
			passgate_sam_idle(sam);
		return;
	}
	status = f->body[2];
	switch (cmd) {
	case PASSGATE_SAM_CMD_FIND:
		if (status == PASSGATE_SAM_FOUND) {
			passgate_sam_send(sam, PASSGATE_SAM_CMD_SELECT);
			return;
		}
		if (status == PASSGATE_SAM_NO_CARD)
			sam->have_card = false;
		else
			sam->stats.n[PASSGATE_STAT_SAM_FAULTS]++;
		break;
	case PASSGATE_SAM_CMD_SELECT:
		if (status == PASSGATE_SAM_OK) {
			passgate_sam_send(sam, PASSGATE_SAM_CMD_READ_BASE);
			return;
		}
		if (status != PASSGATE_SAM_SELECT_FAILED)
			sam->stats.n[PASSGATE_STAT_SAM_FAULTS]++;
		break;
	case PASSGATE_SAM_CMD_READ_BASE:
		rx->received_ns = ktime_get_boottime_ns();
		passgate_sam_read(rx, status, f->body + PASSGATE_SAM_STATUS_LEN,
				  f->len - PASSGATE_SAM_STATUS_LEN);
		break;
	default:
		/* Nothing asked: an answer too late, or noise that parsed. */
		sam->stats.n[PASSGATE_STAT_SAM_UNEXPECTED]++;
		return;
	}
	passgate_sam_idle(sam);
}

static void passgate_sam_submit(struct passgate_sam_rx *rx)
{
	struct passgate_scan_input in = {
		.kind = PASSGATE_CRED_ID_CARD,
		.flags = PASSGATE_SCAN_F_CARD_DATES,
		.token = rx->card.number,
		.token_len = sizeof(rx->card.number),
		.card_valid_from = rx->card.valid_from,
		.card_valid_until = rx->card.valid_until,
		.received_ns = rx->received_ns,
	};

	passgate_decide_submit(rx->sam->lane, &in);
	memzero_explicit(&rx->card, sizeof(rx->card));
}

#if defined(PASSGATE_SERDEV_RECEIVE_SIZE_T)
static size_t passgate_sam_receive(struct serdev_device *serdev,
				   const u8 *data, size_t count)
#else
static int passgate_sam_receive(struct serdev_device *serdev,
				const unsigned char *data, size_t count)
#endif
{
	struct passgate_sam_rx rx = { .sam = serdev_device_get_drvdata(serdev) };
	struct passgate_sam *sam = rx.sam;

	mutex_lock(&sam->lock);
	if (!sam->stopping) {
		passgate_sam_feed(&sam->parser, data, count,
				  passgate_sam_frame, &rx);
		passgate_sam_account(sam);
	}
	mutex_unlock(&sam->lock);

	if (rx.heard)
		passgate_reader_heard(&sam->health);
	if (rx.have_card)
		passgate_sam_submit(&rx);
	return count;
}

static const struct serdev_device_ops passgate_sam_ops = {
	.receive_buf = passgate_sam_receive,
	.write_wakeup = serdev_device_write_wakeup,
};

/* The pause is over (poll), or an answer did not come in time. */
static void passgate_sam_step_work(struct work_struct *work)
{
	struct passgate_sam *sam = container_of(to_delayed_work(work),
						struct passgate_sam, step_work);

	mutex_lock(&sam->lock);
	if (sam->stopping)
		goto out;
	if (sam->waiting) {
		sam->stats.n[PASSGATE_STAT_SAM_TIMEOUTS]++;
		/* Whatever came of the answer will not be completed. */
		passgate_sam_flush(&sam->parser);
		passgate_sam_account(sam);
		passgate_sam_idle(sam);
	} else {
		passgate_sam_send(sam, PASSGATE_SAM_CMD_FIND);
	}
out:
	mutex_unlock(&sam->lock);
}

/*
 * Runs before the UART closes: no poll is sent after this, and none that
 * the module has not taken yet is left for the close to wait on.
 */
static void passgate_sam_stop(void *data)
{
	struct passgate_sam *sam = data;

	mutex_lock(&sam->lock);
	sam->stopping = true;
	mutex_unlock(&sam->lock);
	cancel_delayed_work_sync(&sam->step_work);
	serdev_device_write_flush(sam->serdev);
}

/* Runs after the UART closed: nothing is received any more. */
static void passgate_sam_release(void *data)
{
	struct passgate_sam *sam = data;

	passgate_reader_health_stop(&sam->health);
	memzero_explicit(&sam->parser, sizeof(sam->parser));
}

static int passgate_sam_check_ms(struct device *dev, const char *name,
				 u32 value, u32 min, u32 max)
{
	if (value < min || value > max)
		return dev_err_probe(dev, -EINVAL, "%s must be %u to %u\n",
				     name, min, max);
	return 0;
}

static int passgate_sam_probe(struct serdev_device *serdev)
{
	struct device *dev = &serdev->dev;
	u32 heartbeat_ms = PASSGATE_SAM_DEFAULT_HEARTBEAT_MS;
	u32 speed = PASSGATE_SAM_DEFAULT_SPEED;
	struct passgate_sam *sam;
	int ret;

	sam = devm_kzalloc(dev, sizeof(*sam), GFP_KERNEL);
	if (!sam)
		return -ENOMEM;
	sam->serdev = serdev;
	mutex_init(&sam->lock);
	INIT_DELAYED_WORK(&sam->step_work, passgate_sam_step_work);
	passgate_sam_parser_init(&sam->parser);
	get_random_bytes(&sam->tag_key, sizeof(sam->tag_key));

	sam->poll_ms = PASSGATE_SAM_DEFAULT_POLL_MS;
	device_property_read_u32(dev, "current-speed", &speed);
	if (speed < 1200)
		return dev_err_probe(dev, -EINVAL, "current-speed %u too low\n",
				     speed);
	sam->response_ms = PASSGATE_SAM_RESPONSE_MS(speed);
	device_property_read_u32(dev, "poll-interval-ms", &sam->poll_ms);
	device_property_read_u32(dev, "response-timeout-ms", &sam->response_ms);
	device_property_read_u32(dev, "heartbeat-timeout-ms", &heartbeat_ms);
	ret = passgate_sam_check_ms(dev, "poll-interval-ms", sam->poll_ms,
				    50, 5000) ?:
	      passgate_sam_check_ms(dev, "response-timeout-ms",
				    sam->response_ms, 100, 10000) ?:
	      passgate_sam_check_ms(dev, "heartbeat-timeout-ms", heartbeat_ms,
				    1, U32_MAX);
	if (ret)
		return ret;

	sam->lane = passgate_reader_find_lane(dev);
	if (IS_ERR(sam->lane))
		return PTR_ERR(sam->lane);

	passgate_reader_health_start(&sam->health, sam->lane,
				     PASSGATE_READER_ID_SAM, heartbeat_ms);
	ret = devm_add_action_or_reset(dev, passgate_sam_release, sam);
	if (ret)
		return ret;
	serdev_device_set_drvdata(serdev, sam);
	ret = passgate_reader_open(serdev, &passgate_sam_ops, &speed);
	if (ret)
		return ret;
	ret = devm_add_action_or_reset(dev, passgate_sam_stop, sam);
	if (ret)
		return ret;

	mod_delayed_work(system_wq, &sam->step_work, 0);
	dev_info(dev, "ID-card SAM module of gate %u lane %u at %u baud\n",
		 sam->lane->gate->id, sam->lane->id, speed);
	return 0;
}

static const struct of_device_id passgate_sam_of_match[] = {
	{ .compatible = "passgate,id-sam" },
	{ }
};
MODULE_DEVICE_TABLE(of, passgate_sam_of_match);

struct serdev_device_driver passgate_sam_driver = {
	.probe = passgate_sam_probe,
	.driver = {
		.name = "passgate-id-sam",
		.of_match_table = passgate_sam_of_match,
	},
};
