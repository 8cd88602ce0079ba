// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the scanner board on a UART, a serdev client bound from
 * firmware ("passgate,scanboard") that names its lane with the reference
 * "passgate,turnstile".  The board edge of the driver: every frame that
 * comes in, over the UART or written to a lane's scanboard node by a
 * bridge, becomes a scan here and goes to the decision pipeline (decide.c),
 * which answers through the indicator hook the board registers at attach
 * time (INDICATE frames).  A board that stops sending raises
 * SCANNER_OFFLINE.
 */
#include <linux/jiffies.h>
#include <linux/mod_devicetable.h>
#include <linux/property.h>
#include <linux/serdev.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "passgate_private.h"
#include "scanframe.h"

#define PASSGATE_BOARD_DEFAULT_SPEED 115200
#define PASSGATE_BOARD_DEFAULT_HEARTBEAT_MS 3000
/* A write() takes at most this many bytes of frames. */
#define PASSGATE_BOARD_WRITE_MAX (4 * PASSGATE_FRAME_MAX)
/* Silence this long inside a frame means the rest is not coming. */
#define PASSGATE_BOARD_GAP_NS (200 * NSEC_PER_MSEC)

/**
 * struct passgate_board - one scanner board
 * @serdev: its UART
 * @lane: the lane it serves
 * @health: SCANNER_OFFLINE after silence, ONLINE when heard again
 * @rx_lock: serialises @parser between receiving and @flush_work
 * @parser: frame parser
 * @flush_work: gives up a frame cut off by silence
 * @tx_lock: serialises transmission and @tx_seq
 * @tx_seq: sequence number of the next frame to the board
 */
struct passgate_board {
	struct serdev_device *serdev;
	struct passgate_lane *lane;
	struct passgate_reader_health health;
	struct mutex rx_lock;
	struct passgate_frame_parser parser;
	struct delayed_work flush_work;
	struct mutex tx_lock;
	u8 tx_seq;
};

static void passgate_board_send(struct passgate_board *board, u8 type,
				const void *payload, u16 len)
{
	u8 frame[PASSGATE_FRAME_HEADER + 8 + PASSGATE_FRAME_TRAILER];
	size_t n;

	mutex_lock(&board->tx_lock);
	n = passgate_frame_encode(frame, sizeof(frame), type, board->tx_seq++,
				  payload, len);
	if (n)
		serdev_device_write_buf(board->serdev, frame, n);
	mutex_unlock(&board->tx_lock);
}

/* The lane's indicator hook: a verdict, shown by the board that sent it. */
static void passgate_board_indicate(void *data, u8 seq, u32 verdict,
				    u32 reason)
{
	struct passgate_board *board = data;
	u8 payload[PASSGATE_INDICATE_LEN] = { seq, PASSGATE_LIGHT_RED, PASSGATE_BEEP_LONG,
			  reason & 0xff, reason >> 8 };

	if (verdict == PASSGATE_VERDICT_ACCEPT) {
		payload[1] = PASSGATE_LIGHT_GREEN;
		payload[2] = PASSGATE_BEEP_SHORT;
	} else if (verdict == PASSGATE_VERDICT_PENDING) {
		payload[1] = PASSGATE_LIGHT_AMBER;
		payload[2] = PASSGATE_BEEP_SHORT;
	}
	passgate_board_send(board, PASSGATE_FRAME_INDICATE, payload,
			    sizeof(payload));
}

struct passgate_board_rx {
	struct passgate_board *board;
	u64 received_ns;
	/* The parser's counts when last accounted, and what came since. */
	struct passgate_frame_stats before;
	struct passgate_scan_stats delta;
	u64 frames;
};

/*
 * Count what the parser found since the last call.  Before a SCAN is
 * acknowledged too: whoever sees the ACK sees the counters of every byte
 * that came before it.  Called under rx_lock.
 */
static void passgate_board_rx_account(struct passgate_board_rx *rx)
{
	struct passgate_board *board = rx->board;
	const struct passgate_frame_stats *now = &board->parser.stats;

	rx->delta.frames = now->frames - rx->before.frames;
	rx->delta.bad_crc = now->bad_crc - rx->before.bad_crc;
	rx->delta.oversize = now->oversize - rx->before.oversize;
	rx->delta.truncated = now->truncated - rx->before.truncated;
	rx->delta.garbage = now->garbage - rx->before.garbage;
	rx->frames += rx->delta.frames;
	passgate_stats_count_frames(board->lane, &rx->delta);
	rx->before = *now;
	memset(&rx->delta, 0, sizeof(rx->delta));
}

/*
 * The one conversion of a parsed SCAN frame into a scan, for the UART and
 * for bridges' write().
 */
static void passgate_board_scan(struct passgate_lane *lane,
				const struct passgate_frame *f,
				const struct passgate_scan_payload *sp,
				u64 received_ns, bool from_board)
{
	struct passgate_scan_input in = {
		.kind = sp->kind,
		.flags = sp->flags,
		.temperature = sp->temperature,
		.token = sp->token,
		.token_len = sp->token_len,
		.received_ns = received_ns,
		.board_seq = f->seq,
		.from_board = from_board,
	};

	passgate_decide_submit(lane, &in);
}

static void passgate_board_frame(void *data, const struct passgate_frame *f)
{
	struct passgate_board_rx *rx = data;
	struct passgate_board *board = rx->board;
	struct passgate_scan_payload sp;

	rx->delta.frame_bytes += PASSGATE_FRAME_HEADER + f->len +
				 PASSGATE_FRAME_TRAILER;
	switch (f->type) {
	case PASSGATE_FRAME_HEARTBEAT:
		return;
	case PASSGATE_FRAME_SCAN:
		if (passgate_frame_scan_parse(f, &sp)) {
			rx->delta.bad_scans++;
			return;
		}
		passgate_board_rx_account(rx);
		passgate_board_send(board, PASSGATE_FRAME_ACK, &f->seq, 1);
		passgate_board_scan(board->lane, f, &sp, rx->received_ns, true);
		return;
	default:
		rx->delta.unknown_frames++;
	}
}

/*
 * Feed received bytes (or, with @data NULL, give up a cut-off frame) and
 * account for what the parser found.  A valid frame is what proves the
 * board alive: line noise does not.
 */
static void passgate_board_rx(struct passgate_board *board, const u8 *data,
			      size_t count)
{
	struct passgate_board_rx rx = {
		.board = board,
		.received_ns = ktime_get_boottime_ns(),
		.delta.rx_bytes = data ? count : 0,
	};

	mutex_lock(&board->rx_lock);
	rx.before = board->parser.stats;
	if (data)
		passgate_frame_feed(&board->parser, data, count,
				    passgate_board_frame, &rx);
	else
		passgate_frame_flush(&board->parser, passgate_board_frame, &rx);
	if (board->parser.have)
		mod_delayed_work(system_wq, &board->flush_work,
				 nsecs_to_jiffies(PASSGATE_BOARD_GAP_NS));
	passgate_board_rx_account(&rx);
	mutex_unlock(&board->rx_lock);

	if (rx.frames)
		passgate_reader_heard(&board->health);
}

struct passgate_write_ctx {
	struct passgate_lane *lane;
	u64 received_ns;
	bool submit;
	int bad;
};

static void passgate_write_frame(void *data, const struct passgate_frame *f)
{
	struct passgate_write_ctx *ctx = data;
	struct passgate_scan_payload sp;

	if (f->type == PASSGATE_FRAME_HEARTBEAT)
		return;
	if (f->type != PASSGATE_FRAME_SCAN ||
	    passgate_frame_scan_parse(f, &sp)) {
		ctx->bad++;
		return;
	}
	if (ctx->submit)
		passgate_board_scan(ctx->lane, f, &sp, ctx->received_ns, false);
}

/*
 * Frames from a userspace bridge (write() on the lane's scanboard node),
 * the board edge's second door.  The write is checked whole first: one
 * malformed byte and nothing in it acts (EBADMSG).
 */
ssize_t passgate_board_write(struct passgate_lane *lane,
			     const char __user *ubuf, size_t count)
{
	struct passgate_write_ctx ctx = {
		.lane = lane,
		.received_ns = ktime_get_boottime_ns(),
	};
	struct passgate_frame_parser *parser;
	struct passgate_scan_stats delta = { };
	bool truncated;
	u8 *buf;
	ssize_t ret;

	if (!count)
		return 0;
	if (count > PASSGATE_BOARD_WRITE_MAX)
		return -EMSGSIZE;

	buf = memdup_user(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	parser = kmalloc(sizeof(*parser), GFP_KERNEL);
	if (!parser) {
		ret = -ENOMEM;
		goto out_free_buf;
	}

	passgate_frame_parser_init(parser);
	passgate_frame_feed(parser, buf, count, passgate_write_frame, &ctx);
	truncated = passgate_frame_flush(parser, passgate_write_frame, &ctx);
	if (ctx.bad || truncated || parser->stats.bad_crc ||
	    parser->stats.oversize || parser->stats.garbage) {
		delta = (struct passgate_scan_stats) {
			.bad_crc = parser->stats.bad_crc,
			.oversize = parser->stats.oversize,
			.truncated = parser->stats.truncated,
			.garbage = parser->stats.garbage,
			.bad_scans = ctx.bad,
			.bad_writes = 1,
		};
		passgate_stats_count_frames(lane, &delta);
		ret = -EBADMSG;
		goto out_free_parser;
	}

	delta.frames = parser->stats.frames;
	passgate_stats_count_frames(lane, &delta);
	ctx.submit = true;
	passgate_frame_parser_init(parser);
	passgate_frame_feed(parser, buf, count, passgate_write_frame, &ctx);
	ret = count;

out_free_parser:
	kfree(parser);
out_free_buf:
	kfree_sensitive(buf);
	return ret;
}

static void passgate_board_flush_work(struct work_struct *work)
{
	struct passgate_board *board =
		container_of(to_delayed_work(work), struct passgate_board,
			     flush_work);

	passgate_board_rx(board, NULL, 0);
}

#if defined(PASSGATE_SERDEV_RECEIVE_SIZE_T)
static size_t passgate_board_receive(struct serdev_device *serdev,
				     const u8 *data, size_t count)
#else
static int passgate_board_receive(struct serdev_device *serdev,
				  const unsigned char *data, size_t count)
#endif
{
	passgate_board_rx(serdev_device_get_drvdata(serdev), data, count);
	return count;
}

static const struct serdev_device_ops passgate_board_ops = {
	.receive_buf = passgate_board_receive,
	.write_wakeup = serdev_device_write_wakeup,
};

static void passgate_board_stop(void *data)
{
	struct passgate_board *board = data;

	cancel_delayed_work_sync(&board->flush_work);
	passgate_reader_health_stop(&board->health);
}

static void passgate_board_detach(void *data)
{
	struct passgate_board *board = data;
	struct passgate_lane *lane = board->lane;

	mutex_lock(&lane->scans.lock);
	lane->scans.indicate = NULL;
	lane->scans.indicator = NULL;
	mutex_unlock(&lane->scans.lock);
}

static int passgate_board_attach(struct passgate_board *board)
{
	struct passgate_lane *lane = board->lane;
	int ret = 0;

	mutex_lock(&lane->scans.lock);
	if (lane->scans.indicate) {
		ret = -EBUSY;
	} else {
		lane->scans.indicate = passgate_board_indicate;
		lane->scans.indicator = board;
	}
	mutex_unlock(&lane->scans.lock);
	if (ret)
		return dev_err_probe(&board->serdev->dev, ret,
				     "lane %u has a board already\n", lane->id);
	return devm_add_action_or_reset(&board->serdev->dev,
					passgate_board_detach, board);
}

static int passgate_board_probe(struct serdev_device *serdev)
{
	struct device *dev = &serdev->dev;
	struct passgate_board *board;
	u32 speed = PASSGATE_BOARD_DEFAULT_SPEED;
	u32 heartbeat_ms = PASSGATE_BOARD_DEFAULT_HEARTBEAT_MS;
	int ret;

	board = devm_kzalloc(dev, sizeof(*board), GFP_KERNEL);
	if (!board)
		return -ENOMEM;
	board->serdev = serdev;
	mutex_init(&board->tx_lock);
	mutex_init(&board->rx_lock);
	passgate_frame_parser_init(&board->parser);
	INIT_DELAYED_WORK(&board->flush_work, passgate_board_flush_work);

	board->lane = passgate_reader_find_lane(dev);
	if (IS_ERR(board->lane))
		return PTR_ERR(board->lane);
	device_property_read_u32(dev, "heartbeat-timeout-ms", &heartbeat_ms);
	if (!heartbeat_ms)
		return dev_err_probe(dev, -EINVAL,
				     "heartbeat-timeout-ms must not be 0\n");
	passgate_reader_health_start(&board->health, board->lane,
				     PASSGATE_READER_BOARD, heartbeat_ms);

	/* Undone after the UART closes, so nothing re-arms it. */
	ret = devm_add_action_or_reset(dev, passgate_board_stop, board);
	if (ret)
		return ret;

	serdev_device_set_drvdata(serdev, board);
	ret = passgate_reader_open(serdev, &passgate_board_ops, &speed);
	if (ret)
		return ret;
	ret = passgate_board_attach(board);
	if (ret)
		return ret;

	dev_info(dev, "scanner board of gate %u lane %u at %u baud\n",
		 board->lane->gate->id, board->lane->id, speed);
	return 0;
}

static const struct of_device_id passgate_board_of_match[] = {
	{ .compatible = "passgate,scanboard" },
	{ }
};
MODULE_DEVICE_TABLE(of, passgate_board_of_match);

struct serdev_device_driver passgate_board_driver = {
	.probe = passgate_board_probe,
	.driver = {
		.name = "passgate-scanboard",
		.of_match_table = passgate_board_of_match,
	},
};
