/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * passgate: objects shared by the module's files.
 */
#ifndef _PASSGATE_H
#define _PASSGATE_H

#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <linux/passgate.h>

struct gpio_desc;

/* Each lane owns a pair of minors: turnstile, then scanboard. */
enum passgate_node {
	PASSGATE_NODE_TURNSTILE,
	PASSGATE_NODE_SCANBOARD,
	PASSGATE_NODES
};

#define PASSGATE_MAX_LANES 128

/**
 * struct passgate_gate - one gate unit: lanes and gate-wide inputs
 * @dev: the gate's platform device
 * @id: gate number from firmware
 * @list: entry in passgate_gates
 */
struct passgate_gate {
	struct device *dev;
	u32 id;
	struct list_head list;
};

/**
 * struct passgate_lane - one lane: a turnstile and its scanner board
 * @ref: held by the bound driver and by every open file
 * @unbind_lock: file operations hold it for reading; unbind for writing
 * @gone: set once, at unbind; file operations then fail with -ENODEV
 * @dev: the lane's platform device; only valid while !@gone
 * @gate: the gate the lane belongs to; only valid while !@gone
 * @id: lane number within the gate
 * @index: index in passgate_lanes; minors are index * PASSGATE_NODES + node
 * @info: what PASSGATE_IOC_GET_INFO reports (size and flags unused)
 * @unlock: unlock outputs, by &enum passgate_direction
 * @beam: inner and outer passage beam inputs
 * @alarm: alarm output, optional
 * @green: green indicator output, optional
 * @red: red indicator output, optional
 * @state_lock: serialises @change, @beams, @outputs
 * @change: state change counter
 * @beams: bitmask of &enum passgate_beam
 * @outputs: bitmask of &enum passgate_output
 * @wait: woken on every state change and at unbind
 */
struct passgate_lane {
	struct kref ref;
	struct rw_semaphore unbind_lock;
	bool gone;
	struct device *dev;
	struct passgate_gate *gate;
	u32 id;
	u32 index;
	struct passgate_info info;

	struct gpio_desc *unlock[2];
	struct gpio_desc *beam[2];
	struct gpio_desc *alarm;
	struct gpio_desc *green;
	struct gpio_desc *red;

	struct mutex state_lock;
	u64 change;
	u32 beams;
	u32 outputs;
	wait_queue_head_t wait;
};

/**
 * struct passgate_file - an open lane device
 * @lane: the lane, referenced
 * @node: which of the lane's devices was opened
 * @seen: the lane's @change as last returned by read()
 * @primed: read() has returned a record already
 */
struct passgate_file {
	struct passgate_lane *lane;
	enum passgate_node node;
	u64 seen;
	bool primed;
};

extern struct class passgate_class;
extern struct platform_driver passgate_gate_driver;
extern struct platform_driver passgate_lane_driver;
extern const struct file_operations passgate_lane_fops;

int passgate_chrdev_init(void);
void passgate_chrdev_exit(void);
int passgate_lane_nodes_add(struct passgate_lane *lane);
void passgate_lane_put(struct passgate_lane *lane);

struct passgate_gate *passgate_gate_get_by_fwnode(struct fwnode_handle *fwnode);

long passgate_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
void passgate_lane_state(struct passgate_lane *lane,
			 struct passgate_state *state);

#endif /* _PASSGATE_H */
