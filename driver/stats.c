// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: per-lane counters and latency histograms in debugfs,
 * /sys/kernel/debug/passgate/gateG-laneL, one "name value" per line (see
 * docs/operations.md).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "passgate_private.h"

static struct dentry *passgate_debugfs;

static const char * const passgate_verdict_names[] = {
	"defer", "accept", "deny", "pending",
};

static const char * const passgate_reason_names[PASSGATE_REASON_COUNT] = {
	"none", "unknown", "red", "manual_check", "id_mismatch", "fever",
	"passback", "no_ticket", "timeout", "busy", "no_key", "list_expired",
	"lane_busy", "bad_verdict", "wait_id", "wait_code", "not_valid",
	"no_temperature", "id_expired", "ticket_used", "fare_adjustment",
};

static const char * const passgate_reader_stat_names[] = {
	[PASSGATE_STAT_SAM_FRAMES] = "sam_frames",
	[PASSGATE_STAT_SAM_BAD_CHECKSUM] = "sam_bad_checksum",
	[PASSGATE_STAT_SAM_BAD_FRAMES] = "sam_bad_frames",
	[PASSGATE_STAT_SAM_GARBAGE] = "sam_garbage",
	[PASSGATE_STAT_SAM_TIMEOUTS] = "sam_timeouts",
	[PASSGATE_STAT_SAM_FAULTS] = "sam_faults",
	[PASSGATE_STAT_SAM_READ_FAILURES] = "sam_read_failures",
	[PASSGATE_STAT_SAM_BAD_CARDS] = "sam_bad_cards",
	[PASSGATE_STAT_SAM_CARDS] = "sam_cards",
	[PASSGATE_STAT_SAM_CARDS_REPEATED] = "sam_cards_repeated",
	[PASSGATE_STAT_SAM_UNEXPECTED] = "sam_unexpected",
	[PASSGATE_STAT_QR_CODES] = "qr_codes",
	[PASSGATE_STAT_QR_OVERSIZE] = "qr_oversize",
	[PASSGATE_STAT_QR_TRUNCATED] = "qr_truncated",
	[PASSGATE_STAT_QR_BINARY] = "qr_binary",
	[PASSGATE_STAT_QR_BAD_PREFIX] = "qr_bad_prefix",
	[PASSGATE_STAT_QR_WRONG_SYMBOLOGY] = "qr_wrong_symbology",
	[PASSGATE_STAT_QR_RX_BYTES] = "qr_rx_bytes",
};
static_assert(ARRAY_SIZE(passgate_reader_stat_names) ==
	      PASSGATE_READER_STAT_COUNT);

static void passgate_stats_histogram(struct seq_file *m, const char *name,
				     const u64 *buckets)
{
	int i;

	for (i = 0; i < PASSGATE_LATENCY_BUCKETS; i++)
		if (buckets[i])
			seq_printf(m, "%s_le_%lluns %llu\n", name,
				   (2ULL << i) - 1, buckets[i]);
}

static int passgate_stats_show(struct seq_file *m, void *unused)
{
	struct passgate_lane *lane = m->private;
	struct passgate_scan_stats *s;
	int i;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	mutex_lock(&lane->scans.lock);
	*s = lane->scans.stats;
	mutex_unlock(&lane->scans.lock);

	seq_printf(m, "rx_bytes %llu\nframe_bytes %llu\n", s->rx_bytes,
		   s->frame_bytes);
	seq_printf(m, "frames %llu\nbad_crc %llu\noversize %llu\n"
		   "truncated %llu\ngarbage %llu\nbad_writes %llu\n"
		   "bad_scans %llu\nunknown_frames %llu\n",
		   s->frames, s->bad_crc, s->oversize, s->truncated,
		   s->garbage, s->bad_writes, s->bad_scans, s->unknown_frames);
	seq_printf(m, "scans_health_code %llu\nscans_id_card %llu\n"
		   "scans_ticket %llu\n",
		   s->scans[PASSGATE_CRED_HEALTH_CODE],
		   s->scans[PASSGATE_CRED_ID_CARD],
		   s->scans[PASSGATE_CRED_TICKET]);
	for (i = 0; i < ARRAY_SIZE(passgate_verdict_names); i++)
		seq_printf(m, "verdict_%s %llu\n", passgate_verdict_names[i],
			   s->verdicts[i]);
	for (i = 0; i < PASSGATE_REASON_COUNT; i++)
		seq_printf(m, "reason_%s %llu\n", passgate_reason_names[i],
			   s->reasons[i]);
	seq_printf(m, "deferred %llu\nanswered %llu\nlate %llu\n",
		   s->deferred, s->answered, s->late);
	passgate_stats_histogram(m, "fast_decision", s->fast_ns);
	passgate_stats_histogram(m, "scan_to_unlock", s->unlock_ns);
	for (i = 0; i < PASSGATE_READER_STAT_COUNT; i++)
		seq_printf(m, "%s %llu\n", passgate_reader_stat_names[i],
			   s->readers.n[i]);
	kfree(s);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(passgate_stats);

/* What the board edge counted in one go, into the lane's counters. */
void passgate_stats_count_frames(struct passgate_lane *lane,
				 const struct passgate_scan_stats *delta)
{
	struct passgate_scan_stats *stats = &lane->scans.stats;

	mutex_lock(&lane->scans.lock);
	stats->rx_bytes += delta->rx_bytes;
	stats->frame_bytes += delta->frame_bytes;
	stats->frames += delta->frames;
	stats->bad_crc += delta->bad_crc;
	stats->oversize += delta->oversize;
	stats->truncated += delta->truncated;
	stats->garbage += delta->garbage;
	stats->bad_writes += delta->bad_writes;
	stats->bad_scans += delta->bad_scans;
	stats->unknown_frames += delta->unknown_frames;
	mutex_unlock(&lane->scans.lock);
}

/* What a SAM module or QR engine counted in one go. */
void passgate_stats_count_reader(struct passgate_lane *lane,
				 const struct passgate_reader_stats *delta)
{
	struct passgate_reader_stats *stats = &lane->scans.stats.readers;

	int i;

	mutex_lock(&lane->scans.lock);
	for (i = 0; i < PASSGATE_READER_STAT_COUNT; i++)
		stats->n[i] += delta->n[i];
	mutex_unlock(&lane->scans.lock);
}

static void passgate_stats_remove(void *data)
{
	debugfs_remove(data);
}

int passgate_stats_add(struct passgate_lane *lane)
{
	struct dentry *file;
	char name[32];

	snprintf(name, sizeof(name), "gate%u-lane%u", lane->gate->id,
		 lane->id);
	file = debugfs_create_file(name, 0400, passgate_debugfs, lane,
				   &passgate_stats_fops);
	return devm_add_action_or_reset(lane->dev, passgate_stats_remove, file);
}

void passgate_stats_init(void)
{
	passgate_debugfs = debugfs_create_dir("passgate", NULL);
}

void passgate_stats_exit(void)
{
	debugfs_remove(passgate_debugfs);
}
