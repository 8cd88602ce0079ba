// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the decision pipeline.  A scan becomes a digest, the fast path
 * (a BPF program on the passgate_decide writable tracepoint) writes a
 * verdict into the decision context, and ACCEPT opens the turnstile right
 * here.  DEFER, or no program, queues the scan for the daemon on the
 * lane's scanboard node; no answer before the decision timeout is DENY.
 */
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "passgate_private.h"

#define CREATE_TRACE_POINTS
#include "passgate_trace.h"

#define PASSGATE_DEFAULT_DECISION_TIMEOUT_MS 1000

/**
 * struct passgate_queued_scan - a scan waiting for the slow path
 * @entry: in &passgate_lane_scans.queue
 * @scan: the record read() returns; denied at its @deadline_ns
 * @board_seq: the frame's seq, for the board's INDICATE
 * @from_board: it came over the UART
 * @read: a reader took it
 */
struct passgate_queued_scan {
	struct list_head entry;
	struct passgate_scan scan;
	u8 board_seq;
	bool from_board;
	bool read;
};

static unsigned int passgate_latency_bucket(u64 ns)
{
	return min_t(unsigned int, ns ? ilog2(ns) : 0,
		     PASSGATE_LATENCY_BUCKETS - 1);
}

/*
 * Apply a verdict: open on ACCEPT, record it, tell the board.  Called
 * without scans.lock, which it takes for the counters.
 */
static void passgate_decide_finish(struct passgate_lane *lane, u64 scan_id,
				   const struct passgate_scan_input *in,
				   u32 verdict, u32 reason, u32 direction,
				   bool fast)
{
	struct passgate_lane_scans *scans = &lane->scans;
	struct passgate_verdict_record rec = {
		.received_ns = in->received_ns,
		.decided_ns = ktime_get_boottime_ns(),
		.fast = fast,
	};
	struct passgate_event_extra extra = { .value = scan_id };

	if (verdict == PASSGATE_VERDICT_ACCEPT &&
	    passgate_turnstile_accept(lane, direction, &rec.actuated_ns)) {
		verdict = PASSGATE_VERDICT_DENY;
		reason = PASSGATE_REASON_LANE_BUSY;
		rec.actuated_ns = 0;
	}
	if (verdict == PASSGATE_VERDICT_ACCEPT) {
		reason = PASSGATE_REASON_NONE;
		rec.direction = direction;
	}
	rec.reason = reason;
	trace_passgate_verdict(lane->gate->id, lane->id, scan_id, verdict,
			       reason, rec.decided_ns - rec.received_ns);

	BUILD_BUG_ON(sizeof(rec) > sizeof(extra.data));
	memcpy(extra.data, &rec, sizeof(rec));
	passgate_events_emit_extra(lane->gate, PASSGATE_EV_VERDICT, lane->id,
				   verdict, &extra);

	mutex_lock(&scans->lock);
	scans->stats.verdicts[verdict]++;
	if (verdict != PASSGATE_VERDICT_ACCEPT)
		scans->stats.reasons[reason]++;
	if (fast)
		scans->stats.fast_ns[passgate_latency_bucket(rec.decided_ns -
							     rec.received_ns)]++;
	if (rec.actuated_ns)
		scans->stats.unlock_ns[passgate_latency_bucket(rec.actuated_ns -
							       rec.received_ns)]++;
	if (in->from_board && scans->indicate)
		scans->indicate(scans->indicator, in->board_seq, verdict,
				reason);
	mutex_unlock(&scans->lock);
}

/*
 * Run the policy on a copy: a program may write anywhere in the context it
 * is given, so only the out fields come back, and every input the module
 * uses afterwards (scan id, digest, lane) is its own.
 */
static void passgate_decide_run(struct passgate_decision *d)
{
	struct passgate_decision ctx = *d;

	trace_passgate_decide(&ctx);
	d->verdict = ctx.verdict;
	d->reason = ctx.reason;
	d->direction = ctx.direction;
}

/* What a program wrote, checked: anything unknown is a DENY. */
static void passgate_decide_check(struct passgate_lane *lane,
				  struct passgate_decision *d)
{
	if (d->verdict > PASSGATE_VERDICT_PENDING ||
	    d->reason >= PASSGATE_REASON_COUNT ||
	    (d->verdict == PASSGATE_VERDICT_ACCEPT &&
	     (d->direction >= PASSGATE_DIRECTIONS ||
	      !(lane->info.directions & BIT(d->direction))))) {
		d->verdict = PASSGATE_VERDICT_DENY;
		d->reason = PASSGATE_REASON_BAD_VERDICT;
	}
}

static void passgate_decide_arm_deadline(struct passgate_lane_scans *scans)
{
	struct passgate_queued_scan *qs;
	u64 now = ktime_get_boottime_ns();

	/* Rounded up a jiffy: never a denial before the deadline told. */
	qs = list_first_entry_or_null(&scans->queue,
				      struct passgate_queued_scan, entry);
	if (qs)
		mod_delayed_work(system_wq, &scans->deadline_work,
				 qs->scan.deadline_ns > now ?
				 nsecs_to_jiffies(qs->scan.deadline_ns - now) +
				 1 : 0);
}

static void passgate_decide_defer(struct passgate_lane *lane,
				  const struct passgate_decision *d,
				  const struct passgate_scan_input *in)
{
	struct passgate_lane_scans *scans = &lane->scans;
	struct passgate_queued_scan *qs;

	qs = kzalloc(sizeof(*qs), GFP_KERNEL);
	mutex_lock(&scans->lock);
	if (!qs || scans->queued >= PASSGATE_SLOW_QUEUE_DEPTH) {
		mutex_unlock(&scans->lock);
		kfree(qs);
		passgate_decide_finish(lane, d->scan_id, in,
				       PASSGATE_VERDICT_DENY,
				       PASSGATE_REASON_BUSY, 0, false);
		return;
	}
	qs->scan = (struct passgate_scan) {
		.size = sizeof(qs->scan),
		.flags = in->flags,
		.scan_id = d->scan_id,
		.time_ns = in->received_ns,
		.deadline_ns = in->received_ns +
			       (u64)lane->decision_timeout_ms * NSEC_PER_MSEC,
		.gate = lane->gate->id,
		.lane = lane->id,
		.kind = in->kind,
		.temperature = in->temperature,
		.token_len = in->token_len,
		.card_valid_until = in->card_valid_until,
	};
	memcpy(qs->scan.digest, d->digest, sizeof(qs->scan.digest));
	memcpy(qs->scan.token, in->token, in->token_len);
	qs->board_seq = in->board_seq;
	qs->from_board = in->from_board;
	list_add_tail(&qs->entry, &scans->queue);
	scans->queued++;
	scans->unread++;
	scans->stats.deferred++;
	passgate_decide_arm_deadline(scans);
	mutex_unlock(&scans->lock);
	/*
	 * The scanboard's readers alone: a wait queue of their own, so that
	 * the turnstile's changes on every fast-path scan do not wake the
	 * slow path's reader for nothing.
	 */
	wake_up_interruptible_all(&scans->wait);
}

void passgate_decide_submit(struct passgate_lane *lane,
			    const struct passgate_scan_input *in)
{
	struct passgate_gate *gate = lane->gate;
	struct passgate_event_extra extra = { };
	struct passgate_decision d = {
		.time_ns = in->received_ns,
		.gate = gate->id,
		.lane = lane->id,
		.kind = in->kind,
		.flags = in->flags,
		.temperature = in->temperature,
		.card_valid_from = in->card_valid_from,
		.card_valid_until = in->card_valid_until,
		.verdict = PASSGATE_VERDICT_DEFER,
		.direction = __ffs(lane->info.directions),
	};
	u8 key[PASSGATE_KEY_SIZE];
	bool has_key;

	d.scan_id = atomic64_inc_return(&gate->scan_ids) - 1;
	d.lane_state = passgate_turnstile_state(lane);

	mutex_lock(&lane->scans.lock);
	lane->scans.stats.scans[in->kind]++;
	mutex_unlock(&lane->scans.lock);

	if (in->kind == PASSGATE_CRED_ID_CARD) {
		spin_lock(&gate->key_lock);
		has_key = gate->has_key;
		memcpy(key, gate->key, sizeof(key));
		spin_unlock(&gate->key_lock);
		if (has_key)
			passgate_digest(in->kind, in->token, in->token_len,
					key, d.digest);
		memzero_explicit(key, sizeof(key));
	} else {
		has_key = true;
		passgate_digest(in->kind, in->token, in->token_len, NULL,
				d.digest);
	}

	extra.value = d.scan_id;
	memcpy(extra.data, d.digest, sizeof(d.digest));
	passgate_events_emit_extra(gate, PASSGATE_EV_SCAN, lane->id, in->kind,
				   &extra);

	if (!has_key) {
		passgate_decide_finish(lane, d.scan_id, in, PASSGATE_VERDICT_DENY,
				       PASSGATE_REASON_NO_KEY, 0, false);
		return;
	}

	passgate_decide_run(&d);
	passgate_decide_check(lane, &d);
	if (d.verdict == PASSGATE_VERDICT_DEFER)
		passgate_decide_defer(lane, &d, in);
	else
		passgate_decide_finish(lane, d.scan_id, in, d.verdict, d.reason,
				       d.direction, true);
}

static void passgate_decide_deadline_work(struct work_struct *work)
{
	struct passgate_lane_scans *scans =
		container_of(to_delayed_work(work), struct passgate_lane_scans,
			     deadline_work);
	struct passgate_lane *lane = container_of(scans, struct passgate_lane,
						  scans);
	struct passgate_queued_scan *qs;
	struct passgate_scan_input in;

	for (;;) {
		mutex_lock(&scans->lock);
		qs = list_first_entry_or_null(&scans->queue,
					      struct passgate_queued_scan,
					      entry);
		if (!qs || ktime_get_boottime_ns() < qs->scan.deadline_ns) {
			passgate_decide_arm_deadline(scans);
			mutex_unlock(&scans->lock);
			return;
		}
		list_del(&qs->entry);
		scans->queued--;
		if (!qs->read)
			scans->unread--;
		/* Stored + 1: a zero slot is empty. */
		scans->late_ids[scans->late_next++ % PASSGATE_LATE_IDS] =
			qs->scan.scan_id + 1;
		mutex_unlock(&scans->lock);

		in = (struct passgate_scan_input) {
			.received_ns = qs->scan.time_ns,
			.board_seq = qs->board_seq,
			.from_board = qs->from_board,
		};
		passgate_decide_finish(lane, qs->scan.scan_id, &in,
				       PASSGATE_VERDICT_DENY,
				       PASSGATE_REASON_TIMEOUT, 0, false);
		kfree_sensitive(qs);
	}
}

int passgate_decide_answer(struct passgate_lane *lane,
			   const struct passgate_verdict_cmd *cmd)
{
	struct passgate_lane_scans *scans = &lane->scans;
	struct passgate_queued_scan *qs, *found = NULL;
	struct passgate_scan_input in;
	int i, ret = -ENOENT;

	if (cmd->verdict == PASSGATE_VERDICT_DEFER ||
	    cmd->verdict > PASSGATE_VERDICT_PENDING ||
	    cmd->reason >= PASSGATE_REASON_COUNT ||
	    (cmd->verdict == PASSGATE_VERDICT_ACCEPT &&
	     (cmd->direction >= PASSGATE_DIRECTIONS ||
	      !(lane->info.directions & BIT(cmd->direction)))))
		return -EINVAL;

	mutex_lock(&scans->lock);
	list_for_each_entry(qs, &scans->queue, entry) {
		if (qs->scan.scan_id == cmd->scan_id) {
			found = qs;
			break;
		}
	}
	if (found) {
		list_del(&found->entry);
		scans->queued--;
		if (!found->read)
			scans->unread--;
		scans->stats.answered++;
		passgate_decide_arm_deadline(scans);
	} else {
		for (i = 0; i < PASSGATE_LATE_IDS; i++)
			if (scans->late_ids[i] == cmd->scan_id + 1)
				ret = -ETIMEDOUT;
		if (ret == -ETIMEDOUT)
			scans->stats.late++;
	}
	mutex_unlock(&scans->lock);
	if (!found)
		return ret;

	in = (struct passgate_scan_input) {
		.received_ns = found->scan.time_ns,
		.board_seq = found->board_seq,
		.from_board = found->from_board,
	};
	passgate_decide_finish(lane, found->scan.scan_id, &in, cmd->verdict,
			       cmd->reason, cmd->direction, false);
	kfree_sensitive(found);
	return 0;
}

bool passgate_decide_pending(struct passgate_lane *lane)
{
	return READ_ONCE(lane->scans.unread) || READ_ONCE(lane->live.gone);
}

/* Take the oldest unread deferred scan; blocks unless @nonblock. */
ssize_t passgate_decide_read(struct passgate_file *pf, char __user *buf,
			     size_t count, bool nonblock)
{
	struct passgate_lane *lane = to_passgate_lane(pf->live);
	struct passgate_lane_scans *scans = &lane->scans;
	struct passgate_queued_scan *qs, *found;
	struct passgate_scan *scan;
	ssize_t ret;

	if (READ_ONCE(lane->live.gone))
		return -ENODEV;
	if (count < sizeof(*scan))
		return -EINVAL;
	scan = kmalloc(sizeof(*scan), GFP_KERNEL);
	if (!scan)
		return -ENOMEM;

	for (;;) {
		down_read(&lane->live.unbind_lock);
		if (lane->live.gone) {
			ret = -ENODEV;
			goto out_unlock;
		}
		found = NULL;
		mutex_lock(&scans->lock);
		list_for_each_entry(qs, &scans->queue, entry) {
			if (!qs->read) {
				found = qs;
				break;
			}
		}
		if (found) {
			found->read = true;
			scans->unread--;
			*scan = found->scan;
		}
		mutex_unlock(&scans->lock);
		if (found)
			break;
		up_read(&lane->live.unbind_lock);

		if (nonblock) {
			ret = -EAGAIN;
			goto out_free;
		}
		ret = wait_event_interruptible(lane->scans.wait,
					       passgate_decide_pending(lane));
		if (ret)
			goto out_free;
	}
	ret = copy_to_user(buf, scan, sizeof(*scan)) ? -EFAULT : sizeof(*scan);
out_unlock:
	up_read(&lane->live.unbind_lock);
out_free:
	kfree_sensitive(scan);
	return ret;
}

/* The lane goes: every scan still waiting is denied, none vanishes. */
static void passgate_decide_exit(void *data)
{
	struct passgate_lane *lane = data;
	struct passgate_lane_scans *scans = &lane->scans;
	struct passgate_queued_scan *qs, *tmp;
	struct passgate_scan_input in;
	LIST_HEAD(queue);

	cancel_delayed_work_sync(&scans->deadline_work);
	mutex_lock(&scans->lock);
	list_splice_init(&scans->queue, &queue);
	scans->queued = 0;
	scans->unread = 0;
	mutex_unlock(&scans->lock);

	list_for_each_entry_safe(qs, tmp, &queue, entry) {
		in = (struct passgate_scan_input) {
			.received_ns = qs->scan.time_ns,
		};
		passgate_decide_finish(lane, qs->scan.scan_id, &in,
				       PASSGATE_VERDICT_DENY,
				       PASSGATE_REASON_LANE_BUSY, 0, false);
		list_del(&qs->entry);
		kfree_sensitive(qs);
	}
}

int passgate_decide_init(struct passgate_lane *lane)
{
	struct passgate_lane_scans *scans = &lane->scans;

	mutex_init(&scans->lock);
	init_waitqueue_head(&scans->wait);
	INIT_LIST_HEAD(&scans->queue);
	INIT_DELAYED_WORK(&scans->deadline_work, passgate_decide_deadline_work);
	lane->decision_timeout_ms = PASSGATE_DEFAULT_DECISION_TIMEOUT_MS;
	device_property_read_u32(lane->dev, "decision-timeout-ms",
				 &lane->decision_timeout_ms);
	if (!lane->decision_timeout_ms)
		return dev_err_probe(lane->dev, -EINVAL,
				     "decision-timeout-ms must not be 0\n");
	return devm_add_action_or_reset(lane->dev, passgate_decide_exit, lane);
}
