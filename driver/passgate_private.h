/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * passgate: objects shared by the module's files.
 *
 * Lock order: gate->lock, then gate->fire_lock, then lane->lock, then
 * gate->ring_lock.  The fire path takes only gate->fire_lock and
 * lane->lock: no path holds either while it sleeps or allocates.
 */
#ifndef _PASSGATE_H
#define _PASSGATE_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <linux/passgate.h>

struct dentry;
struct gpio_desc;
struct passgate_event_extra;
struct sk_buff;

#define PASSGATE_MAX_GATES 16
#define PASSGATE_MAX_LANES 128
#define PASSGATE_DIRECTIONS 2
#define PASSGATE_NO_DIRECTION (-1)

/**
 * struct passgate_live - what an object behind a device node shares with
 *	the files open on it
 * @ref: held by the bound driver and by every open file
 * @unbind_lock: file operations hold it for reading, unbind for writing
 * @gone: set once, at unbind; file operations then fail with -ENODEV
 * @wait: woken on every change and at unbind (a lane's scanboard
 *	readers wait on &passgate_lane_scans.wait instead)
 * @release: frees the object when @ref drops to zero
 */
struct passgate_live {
	struct kref ref;
	struct rw_semaphore unbind_lock;
	bool gone;
	wait_queue_head_t wait;
	void (*release)(struct passgate_live *live);
};

/* Which node of an object a file has open. */
enum passgate_node {
	PASSGATE_NODE_TURNSTILE,
	PASSGATE_NODE_SCANBOARD,
	PASSGATE_LANE_NODES,
	PASSGATE_NODE_GATE = PASSGATE_LANE_NODES,
};

/**
 * struct passgate_gate - one gate unit: lanes, fire alarm, event ring
 * @live: lifetime shared with open files of the gate node
 * @dev: the gate's platform device; only valid while bound
 * @id: gate number from firmware
 * @list: entry in the gate registry
 * @lock: serialises @mode and changes of @lanes
 * @fire_lock: serialises @fire, @fire_alarms and fire handling; held with
 *	@lock to change @lanes, so the fire path walks @lanes with it alone
 * @mode: &enum passgate_gate_mode
 * @fire: bitmask of &enum passgate_fire
 * @fire_alarms: fire alarms since probe
 * @fire_alarm: fire-alarm input, optional
 * @fire_fault: fire supervision input, optional
 * @fire_poll: re-samples the fire inputs every @fire_poll_ms
 * @fire_poll_ms: the re-sample period
 * @lanes: lanes whose GPIOs the driver holds, by &passgate_lane.gate_entry
 * @nr_lanes: entries in @lanes
 * @ring_lock: serialises the event ring
 * @ring: @ring_size events, @ring[seq % @ring_size]
 * @ring_size: events the ring holds
 * @ring_next: sequence number of the next event
 * @stream_id: random per binding; names this run of sequence numbers
 * @scan_ids: scan numbers handed out
 * @key_lock: serialises @key and @has_key
 * @key: the ID-card HMAC key, write-only from userspace
 * @has_key: @key was set
 */
struct passgate_gate {
	struct passgate_live live;
	struct device *dev;
	u32 id;
	struct list_head list;

	struct mutex lock;
	struct mutex fire_lock;
	u32 mode;
	u32 fire;
	u64 fire_alarms;
	struct gpio_desc *fire_alarm;
	struct gpio_desc *fire_fault;
	struct delayed_work fire_poll;
	u32 fire_poll_ms;
	struct list_head lanes;
	u32 nr_lanes;

	spinlock_t ring_lock;
	struct passgate_event *ring;
	u32 ring_size;
	u64 ring_next;

	u8 stream_id[16];
	atomic64_t scan_ids;
	spinlock_t key_lock;
	u8 key[PASSGATE_KEY_SIZE];
	bool has_key;
};

#define PASSGATE_LATENCY_BUCKETS 24
#define PASSGATE_LATE_IDS 32

/*
 * A lane's counters of its SAM module and QR engine, shown in debugfs
 * under these names in lower case: SAM frames, bad checksums, malformed
 * or cut-off frames, bytes skipped, answers that never came, module
 * faults, reads refused, reads that were not a well-formed card, cards
 * decided, cards still on the reader not decided again, answers to
 * nothing asked; QR codes taken, over-long, cut off, binary, without the
 * prefix, not a QR code, bytes received.
 */
enum passgate_reader_stat {
	PASSGATE_STAT_SAM_FRAMES,
	PASSGATE_STAT_SAM_BAD_CHECKSUM,
	PASSGATE_STAT_SAM_BAD_FRAMES,
	PASSGATE_STAT_SAM_GARBAGE,
	PASSGATE_STAT_SAM_TIMEOUTS,
	PASSGATE_STAT_SAM_FAULTS,
	PASSGATE_STAT_SAM_READ_FAILURES,
	PASSGATE_STAT_SAM_BAD_CARDS,
	PASSGATE_STAT_SAM_CARDS,
	PASSGATE_STAT_SAM_CARDS_REPEATED,
	PASSGATE_STAT_SAM_UNEXPECTED,
	PASSGATE_STAT_QR_CODES,
	PASSGATE_STAT_QR_OVERSIZE,
	PASSGATE_STAT_QR_TRUNCATED,
	PASSGATE_STAT_QR_BINARY,
	PASSGATE_STAT_QR_BAD_PREFIX,
	PASSGATE_STAT_QR_WRONG_SYMBOLOGY,
	PASSGATE_STAT_QR_RX_BYTES,
	PASSGATE_READER_STAT_COUNT
};

/**
 * struct passgate_reader_stats - counters of a lane's off-the-shelf readers
 * @n: by &enum passgate_reader_stat
 */
struct passgate_reader_stats {
	u64 n[PASSGATE_READER_STAT_COUNT];
};

/**
 * struct passgate_scan_stats - a lane's scan counters (debugfs)
 * @rx_bytes: bytes the UART board's driver received
 * @frame_bytes: bytes of valid frames among @rx_bytes
 * @frames: valid frames received, UART and write()
 * @bad_crc: frames with a wrong CRC
 * @oversize: frame headers announcing too long a payload
 * @truncated: frames cut off by silence
 * @garbage: bytes skipped between frames
 * @bad_writes: write() calls refused for malformed frames
 * @bad_scans: SCAN frames with a malformed payload
 * @unknown_frames: frames of a type the gate does not take
 * @scans: scans by &enum passgate_credential
 * @verdicts: verdicts by &enum passgate_verdict
 * @reasons: DENY and PENDING verdicts by &enum passgate_reason
 * @deferred: scans sent to the slow path
 * @answered: slow-path answers taken
 * @late: answers for scans that had timed out
 * @fast_ns: fast-path decision latency histogram, log2 of nanoseconds
 * @unlock_ns: scan-to-unlock latency histogram, log2 of nanoseconds
 * @readers: the SAM module's and QR engine's counters
 */
struct passgate_scan_stats {
	u64 rx_bytes;
	u64 frame_bytes;
	u64 frames;
	u64 bad_crc;
	u64 oversize;
	u64 truncated;
	u64 garbage;
	u64 bad_writes;
	u64 bad_scans;
	u64 unknown_frames;
	u64 scans[4];
	u64 verdicts[4];
	u64 reasons[PASSGATE_REASON_COUNT];
	u64 deferred;
	u64 answered;
	u64 late;
	u64 fast_ns[PASSGATE_LATENCY_BUCKETS];
	u64 unlock_ns[PASSGATE_LATENCY_BUCKETS];
	struct passgate_reader_stats readers;
};

/**
 * struct passgate_lane_scans - a lane's decision pipeline
 * @lock: serialises everything below but @wait
 * @wait: the scanboard's readers and pollers: woken when a scan is
 *	queued and at unbind, not by the turnstile's changes
 * @indicate: shows a verdict to the board a scan came from, if one is
 *	bound (the UART board registers it at attach time)
 * @indicator: @indicate's data
 * @queue: deferred scans waiting for the slow path, oldest first
 * @queued: entries in @queue
 * @unread: entries in @queue no reader has taken yet
 * @deadline_work: denies queued scans whose decision timeout passed
 * @late_ids: scan ids that timed out recently, to tell a late answer
 * @late_next: next slot in @late_ids
 * @stats: counters
 */
struct passgate_lane_scans {
	struct mutex lock;
	wait_queue_head_t wait;
	void (*indicate)(void *indicator, u8 seq, u32 verdict, u32 reason);
	void *indicator;
	struct list_head queue;
	u32 queued;
	u32 unread;
	struct delayed_work deadline_work;
	u64 late_ids[PASSGATE_LATE_IDS];
	u32 late_next;
	struct passgate_scan_stats stats;
};

/**
 * struct passgate_scan_input - one scan as it arrives
 * @kind: &enum passgate_credential
 * @flags: %PASSGATE_SCAN_F_*
 * @temperature: 0.01 °C if flagged
 * @token: the credential
 * @token_len: its length, 1 to %PASSGATE_TOKEN_MAX
 * @received_ns: %CLOCK_BOOTTIME of the frame's arrival
 * @board_seq: the frame's seq, for the board's INDICATE
 * @from_board: the scan came over the UART (answer with INDICATE)
 * @card_valid_from: with %PASSGATE_SCAN_F_CARD_DATES (&struct
 *	passgate_decision)
 * @card_valid_until: likewise
 */
struct passgate_scan_input {
	u8 kind;
	u8 flags;
	s16 temperature;
	const u8 *token;
	u16 token_len;
	u32 card_valid_from;
	u32 card_valid_until;
	u64 received_ns;
	u8 board_seq;
	bool from_board;
};

/**
 * struct passgate_passage - the passage in progress through a lane
 * @direction: the way the passenger goes (the beam broken first), or
 *	%PASSGATE_NO_DIRECTION while both beams are clear
 * @crossed: the far beam was broken: the passenger is through the barrier
 * @forced: this passage raised FORCED
 * @follower: the near beam broke again behind the first person, and that
 *	follower has not crossed the far beam yet
 * @blocked: this passage raised BEAM_BLOCKED
 */
struct passgate_passage {
	int direction;
	bool crossed;
	bool forced;
	bool follower;
	bool blocked;
};

/**
 * struct passgate_lane - one lane: a turnstile and its scanner board
 * @live: lifetime shared with open files of the lane's nodes
 * @dev: the lane's platform device; only valid while bound
 * @gate: the lane's gate; only valid while bound
 * @gate_entry: entry in the gate's @lanes
 * @id: lane number within the gate
 * @index: index in the lane registry; minors are index * 2 + node
 * @info: what PASSGATE_IOC_GET_INFO reports (size and flags unused)
 * @debounce_ms: beam debounce, 0 when the GPIO chip debounces
 * @unlock: unlock outputs, by &enum passgate_direction
 * @beam: inner and outer passage beam inputs
 * @alarm: alarm output, optional
 * @green: green indicator output, optional
 * @red: red indicator output, optional
 * @lock: serialises everything below
 * @released: the driver let go of the outputs (unbind, shutdown)
 * @change: state change counter
 * @mode: &enum passgate_lane_mode
 * @state: &enum passgate_lane_state as last applied
 * @unlocked: direction of the pending unlock, or %PASSGATE_NO_DIRECTION
 * @timed_out: the pending unlock's timeout expired during a passage
 * @passage: the passage in progress
 * @beams: bitmask of &enum passgate_beam
 * @outputs: bitmask of &enum passgate_output
 * @alarms: bitmask of &enum passgate_alarm
 * @passages: completed passages by direction
 * @timeouts: relocks with no passage
 * @forced: forced passages
 * @tailgates: tailgates
 * @beam_blocked: passages that raised BEAM_BLOCKED
 * @blocked_ms: how long a passage may go on past its timeout
 * @timeout_work: relocks an unlock that saw no passage
 * @alarm_work: ends the alarm pulse
 * @debounce_work: samples the beams once they settled
 * @blocked_work: raises BEAM_BLOCKED when a passage outlived its hold
 * @decision_timeout_ms: how long the slow path may take
 * @scans: the decision pipeline
 */
struct passgate_lane {
	struct passgate_live live;
	struct device *dev;
	struct passgate_gate *gate;
	struct list_head gate_entry;
	u32 id;
	u32 index;
	struct passgate_info info;
	u32 debounce_ms;

	struct gpio_desc *unlock[PASSGATE_DIRECTIONS];
	struct gpio_desc *beam[2];
	struct gpio_desc *alarm;
	struct gpio_desc *green;
	struct gpio_desc *red;

	struct mutex lock;
	bool released;
	u64 change;
	u32 mode;
	u32 state;
	int unlocked;
	bool timed_out;
	struct passgate_passage passage;
	u32 beams;
	u32 outputs;
	u32 alarms;
	u64 passages[PASSGATE_DIRECTIONS];
	u64 timeouts;
	u64 forced;
	u64 tailgates;
	u64 beam_blocked;
	u32 blocked_ms;

	struct delayed_work timeout_work;
	struct delayed_work alarm_work;
	struct delayed_work debounce_work;
	struct delayed_work blocked_work;

	u32 decision_timeout_ms;
	struct passgate_lane_scans scans;
};

/**
 * struct passgate_file - an open passgate node
 * @live: the object, referenced
 * @node: which node was opened
 * @seen: turnstile: the lane's @change as last returned by read()
 * @primed: turnstile: read() has returned a record already
 */
struct passgate_file {
	struct passgate_live *live;
	enum passgate_node node;
	u64 seen;
	bool primed;
};

static inline struct passgate_lane *to_passgate_lane(struct passgate_live *live)
{
	return container_of(live, struct passgate_lane, live);
}

static inline struct passgate_gate *to_passgate_gate(struct passgate_live *live)
{
	return container_of(live, struct passgate_gate, live);
}

extern struct platform_driver passgate_gate_driver;
extern struct platform_driver passgate_lane_driver;

/* chrdev.c */
int passgate_chrdev_init(void);
void passgate_chrdev_exit(void);
void passgate_chrdev_live_init(struct passgate_live *live,
			       void (*release)(struct passgate_live *live));
void passgate_chrdev_live_put(struct passgate_live *live);
int passgate_chrdev_add_lane(struct passgate_lane *lane);
int passgate_chrdev_add_gate(struct passgate_gate *gate);
struct passgate_lane *passgate_chrdev_find_lane(struct fwnode_handle *fwnode);

/* ioctl.c */
long passgate_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* gate.c */
struct passgate_gate *passgate_gate_find(struct fwnode_handle *fwnode);
struct passgate_gate *passgate_gate_get(u32 id);
int passgate_gate_add_lane(struct passgate_gate *gate,
			   struct passgate_lane *lane);
int passgate_gate_set_mode(struct passgate_gate *gate, u32 mode,
			   const struct passgate_event_extra *who);
int passgate_gate_reset_fire(struct passgate_gate *gate,
			     const struct passgate_event_extra *who);
void passgate_gate_get_state(struct passgate_gate *gate,
			     struct passgate_gate_state *state);
int passgate_gate_set_key(struct passgate_gate *gate,
			  const struct passgate_key *key);

/* events.c */
struct passgate_event_extra {
	u64 value;
	u8 data[32];
};

int passgate_events_init(struct passgate_gate *gate);
void passgate_events_actor_current(struct passgate_event_extra *who,
				   u32 nl_port);
void passgate_events_emit_extra(struct passgate_gate *gate, u32 type,
				u32 lane, u32 arg,
				const struct passgate_event_extra *extra);
void passgate_events_emit(struct passgate_gate *gate, u32 type, u32 lane,
			  u32 arg);
ssize_t passgate_events_read(struct passgate_file *pf, char __user *buf,
			     size_t count, loff_t *ppos, bool nonblock);
bool passgate_events_pending(struct passgate_gate *gate, loff_t pos);
bool passgate_events_next(struct passgate_gate *gate, u64 *pos,
			  struct passgate_event *ev);
u64 passgate_events_end(struct passgate_gate *gate);
loff_t passgate_events_llseek(struct file *file, loff_t offset, int whence);

/* netlink.c */
int passgate_nl_init(void);
void passgate_nl_exit(void);
struct sk_buff *passgate_nl_event_alloc(void);
void passgate_nl_event_send(struct sk_buff *msg, u32 gate,
			    const struct passgate_event *ev);

/* digest.c */
void passgate_digest(u8 kind, const u8 *token, size_t len, const u8 *key,
		     u8 *out);

/* decide.c */
int passgate_decide_init(struct passgate_lane *lane);
void passgate_decide_submit(struct passgate_lane *lane,
			    const struct passgate_scan_input *in);
int passgate_decide_answer(struct passgate_lane *lane,
			   const struct passgate_verdict_cmd *cmd);
ssize_t passgate_decide_read(struct passgate_file *pf, char __user *buf,
			     size_t count, bool nonblock);
bool passgate_decide_pending(struct passgate_lane *lane);

/* stats.c */
void passgate_stats_init(void);
void passgate_stats_exit(void);
int passgate_stats_add(struct passgate_lane *lane);
void passgate_stats_count_frames(struct passgate_lane *lane,
				 const struct passgate_scan_stats *delta);
void passgate_stats_count_reader(struct passgate_lane *lane,
				 const struct passgate_reader_stats *delta);

/**
 * struct passgate_reader_health - a reader's silence watch (reader.c)
 * @lane: the lane whose events tell it
 * @kind: &enum passgate_reader
 * @timeout_ms: silence after which it is offline
 * @offline: SCANNER_OFFLINE was raised and nothing heard since
 * @work: fires after @timeout_ms of silence
 */
struct passgate_reader_health {
	struct passgate_lane *lane;
	u32 kind;
	u32 timeout_ms;
	bool offline;
	struct delayed_work work;
};

/* reader.c */
struct serdev_device;
struct serdev_device_ops;
struct passgate_lane *passgate_reader_find_lane(struct device *dev);
int passgate_reader_open(struct serdev_device *serdev,
			 const struct serdev_device_ops *ops, u32 *speed);
void passgate_reader_health_start(struct passgate_reader_health *h,
				  struct passgate_lane *lane, u32 kind,
				  u32 timeout_ms);
void passgate_reader_heard(struct passgate_reader_health *h);
void passgate_reader_health_stop(struct passgate_reader_health *h);

/* scanboard.c */
extern struct serdev_device_driver passgate_board_driver;
/* samreader.c */
extern struct serdev_device_driver passgate_sam_driver;
/* qrengine.c */
extern struct serdev_device_driver passgate_qr_driver;
ssize_t passgate_board_write(struct passgate_lane *lane,
			     const char __user *buf, size_t count);

/* turnstile.c */
int passgate_turnstile_init(struct passgate_lane *lane);
void passgate_turnstile_release(struct passgate_lane *lane);
int passgate_turnstile_start(struct passgate_lane *lane);
void passgate_turnstile_refresh(struct passgate_lane *lane);
int passgate_turnstile_open(struct passgate_lane *lane, u32 direction);
int passgate_turnstile_accept(struct passgate_lane *lane, u32 direction,
			      u64 *actuated_ns);
u32 passgate_turnstile_state(struct passgate_lane *lane);
int passgate_turnstile_set_mode(struct passgate_lane *lane, u32 mode,
				const struct passgate_event_extra *who);
void passgate_turnstile_reset_alarms(struct passgate_lane *lane,
				     const struct passgate_event_extra *who);
void passgate_turnstile_get_state(struct passgate_lane *lane,
				  struct passgate_state *state);

#endif /* _PASSGATE_H */
