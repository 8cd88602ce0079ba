// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gate factory: a test writes what gate it needs into
 * debugfs passgate-testboard-factory/new and gets exactly that, built the
 * way gpio-sim builds chips: platform devices described by software
 * nodes, which passgate binds like any gate from firmware.  Linux 6.1's
 * gpiolib reads no GPIOs from software nodes, so each gate's lines come
 * from a GPIO lookup table on a test board chip of its own:
 *
 *   line 0 fire-alarm, 1 fire-fault, then 7 lines a lane from 2 + 7 * L:
 *   unlock-exit, unlock-entry, beam-inner, beam-outer, alarm,
 *   indicator-green, indicator-red
 *
 * The chip is debugfs passgate-testboard/passgate-testboard.<1000 + G>/.
 * "new" takes one line of key=value words (docs/testboard.md):
 *
 *   gate=G lanes=N [fire=none|alarm|both] [beams=MASK] [one-beam=MASK]
 *   [fail-secure=MASK] [no-interlock=MASK] [entry=MASK]
 *   [passage-timeout-ms=MS,...] [beam-blocked-ms=MS,...] [debounce-ms=MS,...]
 *   [event-ring-size=N]
 *
 * (a list gives lane 0, 1, ... their own value; its last one goes on)
 *
 * "delete" takes G.  Bad input is refused with EINVAL and builds nothing.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/gpio/machine.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "testboard.h"

#define FACTORY_MAX_LANES	8
#define FACTORY_GATE_LINES	2
#define FACTORY_LANE_LINES	7
#define FACTORY_BOARD_ID	1000
#define FACTORY_LANE_ID		100
#define FACTORY_SPEC_MAX	256

enum {
	LINE_UNLOCK_EXIT, LINE_UNLOCK_ENTRY, LINE_BEAM_INNER, LINE_BEAM_OUTER,
	LINE_ALARM, LINE_GREEN, LINE_RED,
};

static const char * const factory_lane_con_ids[FACTORY_LANE_LINES] = {
	"unlock-exit", "unlock-entry", "beam-inner", "beam-outer", "alarm",
	"indicator-green", "indicator-red",
};

struct factory_spec {
	u32 gate;
	u32 lanes;
	u32 fire;		/* inputs: 0 none, 1 alarm, 2 alarm and fault */
	u32 beams;		/* lanes with both beams */
	u32 one_beam;		/* lanes with the inner beam only */
	u32 fail_secure;	/* fail-secure lanes, with the interlock */
	u32 no_interlock;	/* fail-secure lanes without it */
	u32 entry;		/* lanes unlock for entry too */
	u32 event_ring_size;	/* 0: the driver's default */
	u32 passage_timeout_ms[FACTORY_MAX_LANES];
	u32 beam_blocked_ms[FACTORY_MAX_LANES];
	u32 debounce_ms[FACTORY_MAX_LANES];
};

struct factory_lane {
	struct software_node node;
	struct property_entry props[16];
	struct software_node_ref_args gate_ref;
	const char *directions[2];
	char name[32];
	char dev_id[32];
	struct gpiod_lookup_table *lookup;
	struct platform_device *pdev;
};

struct factory_gate {
	struct list_head entry;
	struct factory_spec spec;
	char board_label[32];
	struct software_node board_node;
	struct property_entry board_props[2];
	struct platform_device *board;
	struct software_node node;
	struct property_entry props[5];
	char name[32];
	char dev_id[32];
	struct gpiod_lookup_table *lookup;
	struct platform_device *pdev;
	struct factory_lane lane[FACTORY_MAX_LANES];
};

static LIST_HEAD(factory_gates);
static DEFINE_MUTEX(factory_lock);

static unsigned int factory_lane_line(unsigned int lane, unsigned int line)
{
	return FACTORY_GATE_LINES + lane * FACTORY_LANE_LINES + line;
}

/* "a,b,c": lane 0 a, lane 1 b, every other lane c. */
static int factory_parse_list(char *value, u32 *per_lane)
{
	unsigned int lane = 0;
	char *item;
	u32 v = 0;

	while ((item = strsep(&value, ","))) {
		if (lane == FACTORY_MAX_LANES || kstrtou32(item, 0, &v))
			return -EINVAL;
		per_lane[lane++] = v;
	}
	while (lane < FACTORY_MAX_LANES)
		per_lane[lane++] = v;
	return 0;
}

static void factory_fill(u32 *per_lane, u32 v)
{
	for (unsigned int lane = 0; lane < FACTORY_MAX_LANES; lane++)
		per_lane[lane] = v;
}

static int factory_parse(char *text, struct factory_spec *spec)
{
	static const char * const fire_names[] = { "none", "alarm", "both" };
	char *word, *value;
	bool have_gate = false;
	u32 *field;
	int ret;

	*spec = (struct factory_spec) { .fire = 2, .beams = ~0u, .entry = ~0u };
	factory_fill(spec->passage_timeout_ms, 2000);
	factory_fill(spec->beam_blocked_ms, 500);
	factory_fill(spec->debounce_ms, 0);
	while ((word = strsep(&text, " \t\n"))) {
		if (!*word)
			continue;
		value = strchr(word, '=');
		if (!value)
			return -EINVAL;
		*value++ = '\0';
		if (!strcmp(word, "fire")) {
			ret = match_string(fire_names, ARRAY_SIZE(fire_names),
					   value);
			if (ret < 0)
				return -EINVAL;
			spec->fire = ret;
			continue;
		}
		if (!strcmp(word, "passage-timeout-ms") ||
		    !strcmp(word, "beam-blocked-ms") ||
		    !strcmp(word, "debounce-ms")) {
			if (factory_parse_list(value, word[0] == 'p' ?
					       spec->passage_timeout_ms :
					       word[0] == 'b' ?
					       spec->beam_blocked_ms :
					       spec->debounce_ms))
				return -EINVAL;
			continue;
		}
		if (!strcmp(word, "gate"))
			field = &spec->gate, have_gate = true;
		else if (!strcmp(word, "lanes"))
			field = &spec->lanes;
		else if (!strcmp(word, "beams"))
			field = &spec->beams;
		else if (!strcmp(word, "one-beam"))
			field = &spec->one_beam;
		else if (!strcmp(word, "fail-secure"))
			field = &spec->fail_secure;
		else if (!strcmp(word, "no-interlock"))
			field = &spec->no_interlock;
		else if (!strcmp(word, "entry"))
			field = &spec->entry;
		else if (!strcmp(word, "event-ring-size"))
			field = &spec->event_ring_size;
		else
			return -EINVAL;
		if (kstrtou32(value, 0, field))
			return -EINVAL;
	}
	/* Gates 0 and 1 are the firmware's; a factory gate is its own. */
	if (!have_gate || spec->gate < 2 || spec->gate >= FACTORY_LANE_ID ||
	    !spec->lanes || spec->lanes > FACTORY_MAX_LANES)
		return -EINVAL;
	return 0;
}

static struct factory_gate *factory_find(u32 gate)
{
	struct factory_gate *fg;

	list_for_each_entry(fg, &factory_gates, entry)
		if (fg->spec.gate == gate)
			return fg;
	return NULL;
}

static struct gpiod_lookup_table *factory_table(const char *dev_id,
						unsigned int n)
{
	struct gpiod_lookup_table *t;

	/* n entries and the empty one that ends the table. */
	t = kzalloc(struct_size(t, table, n + 1), GFP_KERNEL);
	if (t)
		t->dev_id = dev_id;
	return t;
}

static struct platform_device *factory_device(const char *name, int id,
					      const struct software_node *node)
{
	struct platform_device_info info = {
		.name = name,
		.id = id,
		.fwnode = software_node_fwnode(node),
	};

	return platform_device_register_full(&info);
}

/* Undo whatever factory_build() did, in reverse. */
static void factory_destroy(struct factory_gate *fg)
{
	int l;

	for (l = fg->spec.lanes - 1; l >= 0; l--) {
		struct factory_lane *lane = &fg->lane[l];

		if (!IS_ERR_OR_NULL(lane->pdev))
			platform_device_unregister(lane->pdev);
		if (lane->lookup) {
			gpiod_remove_lookup_table(lane->lookup);
			kfree(lane->lookup);
		}
		if (software_node_fwnode(&lane->node))
			software_node_unregister(&lane->node);
	}
	if (!IS_ERR_OR_NULL(fg->pdev))
		platform_device_unregister(fg->pdev);
	if (fg->lookup) {
		gpiod_remove_lookup_table(fg->lookup);
		kfree(fg->lookup);
	}
	if (software_node_fwnode(&fg->node))
		software_node_unregister(&fg->node);
	if (!IS_ERR_OR_NULL(fg->board))
		platform_device_unregister(fg->board);
	if (software_node_fwnode(&fg->board_node))
		software_node_unregister(&fg->board_node);
	kfree(fg);
}

static int factory_add_lane(struct factory_gate *fg, unsigned int l)
{
	const struct factory_spec *s = &fg->spec;
	struct factory_lane *lane = &fg->lane[l];
	struct property_entry *p = lane->props;
	unsigned int i, n = 0;
	int id = s->gate * FACTORY_LANE_ID + l;

	snprintf(lane->name, sizeof(lane->name), "factory-gate%u-lane%u",
		 s->gate, l);
	snprintf(lane->dev_id, sizeof(lane->dev_id), "passgate-turnstile.%d",
		 id);
	lane->lookup = factory_table(lane->dev_id, FACTORY_LANE_LINES);
	if (!lane->lookup)
		return -ENOMEM;
	for (i = 0; i < FACTORY_LANE_LINES; i++) {
		if (i == LINE_BEAM_INNER &&
		    !(s->beams & BIT(l)) && !(s->one_beam & BIT(l)))
			continue;
		if (i == LINE_BEAM_OUTER &&
		    (!(s->beams & BIT(l)) || (s->one_beam & BIT(l))))
			continue;
		lane->lookup->table[n++] =
			GPIO_LOOKUP(fg->board_label, factory_lane_line(l, i),
				    factory_lane_con_ids[i], GPIO_ACTIVE_HIGH);
	}
	gpiod_add_lookup_table(lane->lookup);

	lane->gate_ref = (struct software_node_ref_args) { .node = &fg->node };
	lane->directions[0] = "exit";
	lane->directions[1] = "entry";
	*p++ = PROPERTY_ENTRY_STRING("compatible", "passgate,turnstile");
	*p++ = PROPERTY_ENTRY_REF_ARRAY_LEN("passgate,gate", &lane->gate_ref, 1);
	*p++ = PROPERTY_ENTRY_U32("passgate,lane", l);
	*p++ = PROPERTY_ENTRY_STRING_ARRAY_LEN("passgate,directions",
					       lane->directions,
					       s->entry & BIT(l) ? 2 : 1);
	*p++ = PROPERTY_ENTRY_U32("passage-timeout-ms",
				  s->passage_timeout_ms[l]);
	*p++ = PROPERTY_ENTRY_U32("alarm-ms", 200);
	*p++ = PROPERTY_ENTRY_U32("debounce-ms", s->debounce_ms[l]);
	*p++ = PROPERTY_ENTRY_U32("decision-timeout-ms", 500);
	*p++ = PROPERTY_ENTRY_U32("beam-blocked-ms", s->beam_blocked_ms[l]);
	if ((s->fail_secure | s->no_interlock) & BIT(l))
		*p++ = PROPERTY_ENTRY_STRING("passgate,fail-mode",
					     "fail-secure");
	if (s->fail_secure & BIT(l))
		*p++ = PROPERTY_ENTRY_BOOL("passgate,fire-interlock");
	lane->node = (struct software_node) {
		.name = lane->name,
		.properties = lane->props,
	};
	if (software_node_register(&lane->node))
		return -EINVAL;
	lane->pdev = factory_device("passgate-turnstile", id, &lane->node);
	return PTR_ERR_OR_ZERO(lane->pdev);
}

static int factory_build(struct factory_gate *fg)
{
	const struct factory_spec *s = &fg->spec;
	struct property_entry *p = fg->props;
	unsigned int l, n = 0;
	int ret;

	/* The gate's own chip. */
	snprintf(fg->board_label, sizeof(fg->board_label), "%s.%u",
		 TESTBOARD_DRIVER_NAME, FACTORY_BOARD_ID + s->gate);
	fg->board_props[0] = PROPERTY_ENTRY_U32("ngpios",
						factory_lane_line(s->lanes, 0));
	fg->board_node = (struct software_node) {
		.properties = fg->board_props,
	};
	ret = software_node_register(&fg->board_node);
	if (ret)
		return ret;
	fg->board = factory_device(TESTBOARD_DRIVER_NAME,
				   FACTORY_BOARD_ID + s->gate,
				   &fg->board_node);
	if (IS_ERR(fg->board))
		return PTR_ERR(fg->board);

	snprintf(fg->name, sizeof(fg->name), "factory-gate%u", s->gate);
	snprintf(fg->dev_id, sizeof(fg->dev_id), "passgate-gate.%u", s->gate);
	fg->lookup = factory_table(fg->dev_id, FACTORY_GATE_LINES);
	if (!fg->lookup)
		return -ENOMEM;
	if (s->fire >= 1)
		fg->lookup->table[n++] = GPIO_LOOKUP(fg->board_label, 0,
						     "fire-alarm",
						     GPIO_ACTIVE_HIGH);
	if (s->fire >= 2)
		fg->lookup->table[n++] = GPIO_LOOKUP(fg->board_label, 1,
						     "fire-fault",
						     GPIO_ACTIVE_HIGH);
	gpiod_add_lookup_table(fg->lookup);
	*p++ = PROPERTY_ENTRY_STRING("compatible", "passgate,gate");
	*p++ = PROPERTY_ENTRY_U32("passgate,id", s->gate);
	*p++ = PROPERTY_ENTRY_U32("passgate,fire-poll-ms", 200);
	if (s->event_ring_size)
		*p++ = PROPERTY_ENTRY_U32("passgate,event-ring-size",
					  s->event_ring_size);
	fg->node = (struct software_node) {
		.name = fg->name,
		.properties = fg->props,
	};
	ret = software_node_register(&fg->node);
	if (ret)
		return ret;
	fg->pdev = factory_device("passgate-gate", s->gate, &fg->node);
	if (IS_ERR(fg->pdev))
		return PTR_ERR(fg->pdev);

	for (l = 0; l < s->lanes; l++) {
		ret = factory_add_lane(fg, l);
		if (ret)
			return ret;
	}
	return 0;
}

static ssize_t factory_new_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char text[FACTORY_SPEC_MAX];
	struct factory_gate *fg;
	int ret;

	if (!count || count >= sizeof(text))
		return -EINVAL;
	if (copy_from_user(text, ubuf, count))
		return -EFAULT;
	text[count] = '\0';
	fg = kzalloc(sizeof(*fg), GFP_KERNEL);
	if (!fg)
		return -ENOMEM;
	ret = factory_parse(text, &fg->spec);
	if (ret) {
		kfree(fg);
		return ret;
	}
	mutex_lock(&factory_lock);
	if (factory_find(fg->spec.gate)) {
		mutex_unlock(&factory_lock);
		kfree(fg);
		return -EEXIST;
	}
	/* Built whole or not at all. */
	ret = factory_build(fg);
	if (ret)
		factory_destroy(fg);
	else
		list_add(&fg->entry, &factory_gates);
	mutex_unlock(&factory_lock);
	return ret ?: count;
}

static ssize_t factory_delete_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	struct factory_gate *fg;
	u32 gate;
	int ret;

	ret = kstrtou32_from_user(ubuf, count, 0, &gate);
	if (ret)
		return ret;
	mutex_lock(&factory_lock);
	fg = factory_find(gate);
	if (fg)
		list_del(&fg->entry);
	mutex_unlock(&factory_lock);
	if (!fg)
		return -ENOENT;
	factory_destroy(fg);
	return count;
}

static const struct file_operations factory_new_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = factory_new_write,
	.llseek = no_llseek,
};

static const struct file_operations factory_delete_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = factory_delete_write,
	.llseek = no_llseek,
};

/*
 * A folder of its own: passgate-testboard/ lists the boards' chips only,
 * as tests that look for their board expect.
 */
static struct dentry *factory_debugfs;

int testboard_factory_init(void)
{
	factory_debugfs = debugfs_create_dir("passgate-testboard-factory",
					     NULL);
	debugfs_create_file("new", 0200, factory_debugfs, NULL,
			    &factory_new_fops);
	debugfs_create_file("delete", 0200, factory_debugfs, NULL,
			    &factory_delete_fops);
	return 0;
}

/* Every gate still built goes with the module. */
void testboard_factory_exit(void)
{
	struct factory_gate *fg, *tmp;

	debugfs_remove(factory_debugfs);
	mutex_lock(&factory_lock);
	list_for_each_entry_safe(fg, tmp, &factory_gates, entry) {
		list_del(&fg->entry);
		factory_destroy(fg);
	}
	mutex_unlock(&factory_lock);
}
