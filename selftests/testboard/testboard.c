// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate test board: a gpio_chip with a gpiolib irqchip whose input lines
 * a test drives and whose output lines it reads, through debugfs.
 *
 * The stock Debian kernel has neither gpio-sim nor gpio-mockup, so the
 * selftests bring this board and bind it from firmware (ACPI PRP0001 + _DSD
 * or a device tree node) exactly like the gate's real GPIO controller, or
 * from a software node when the gate factory (factory.c) builds a gate.
 */

#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/gpio/driver.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/lockdep.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "testboard.h"

#define TESTBOARD_DEFAULT_LINES	16
#define TESTBOARD_MAX_LINES	64

struct testboard;

struct testboard_line {
	struct testboard *board;
	unsigned int offset;
	unsigned int irq_type;
	bool is_output;
	bool output_value;
	bool driven_value;
	bool irq_unmasked;
};

struct testboard {
	struct gpio_chip gc;
	/* Raw: the irq_chip callbacks run under the irq_desc's raw lock. */
	raw_spinlock_t lock;
	/* Serialises test writes so interrupts arrive in the order of changes. */
	struct mutex drive_lock;
	/* Input lines to invert at shutdown, after their consumers shut down. */
	u64 shutdown_flip;
	struct testboard_line lines[];
};

static struct dentry *testboard_debugfs_root;

static struct testboard *to_testboard(struct gpio_chip *gc)
{
	return container_of(gc, struct testboard, gc);
}

static struct testboard_line *to_testboard_line(struct irq_data *d)
{
	struct gpio_chip *gc = irq_data_get_irq_chip_data(d);

	return &to_testboard(gc)->lines[irqd_to_hwirq(d)];
}

static bool testboard_line_value(const struct testboard_line *line)
{
	return line->is_output ? line->output_value : line->driven_value;
}

static int testboard_get(struct gpio_chip *gc, unsigned int offset)
{
	struct testboard *board = to_testboard(gc);
	unsigned long flags;
	bool value;

	raw_spin_lock_irqsave(&board->lock, flags);
	value = testboard_line_value(&board->lines[offset]);
	raw_spin_unlock_irqrestore(&board->lock, flags);

	return value;
}

static void testboard_set(struct gpio_chip *gc, unsigned int offset, int value)
{
	struct testboard *board = to_testboard(gc);
	unsigned long flags;

	raw_spin_lock_irqsave(&board->lock, flags);
	board->lines[offset].output_value = value;
	raw_spin_unlock_irqrestore(&board->lock, flags);
}

static int testboard_direction_input(struct gpio_chip *gc, unsigned int offset)
{
	struct testboard *board = to_testboard(gc);
	unsigned long flags;

	raw_spin_lock_irqsave(&board->lock, flags);
	board->lines[offset].is_output = false;
	raw_spin_unlock_irqrestore(&board->lock, flags);

	return 0;
}

static int testboard_direction_output(struct gpio_chip *gc,
				      unsigned int offset, int value)
{
	struct testboard *board = to_testboard(gc);
	unsigned long flags;

	raw_spin_lock_irqsave(&board->lock, flags);
	board->lines[offset].output_value = value;
	board->lines[offset].is_output = true;
	raw_spin_unlock_irqrestore(&board->lock, flags);

	return 0;
}

static int testboard_get_direction(struct gpio_chip *gc, unsigned int offset)
{
	struct testboard *board = to_testboard(gc);
	unsigned long flags;
	bool is_output;

	raw_spin_lock_irqsave(&board->lock, flags);
	is_output = board->lines[offset].is_output;
	raw_spin_unlock_irqrestore(&board->lock, flags);

	return is_output ? GPIO_LINE_DIRECTION_OUT : GPIO_LINE_DIRECTION_IN;
}

static void testboard_irq_mask(struct irq_data *d)
{
	struct testboard_line *line = to_testboard_line(d);
	struct testboard *board = line->board;
	unsigned long flags;

	raw_spin_lock_irqsave(&board->lock, flags);
	line->irq_unmasked = false;
	raw_spin_unlock_irqrestore(&board->lock, flags);
	gpiochip_disable_irq(&board->gc, line->offset);
}

static void testboard_irq_unmask(struct irq_data *d)
{
	struct testboard_line *line = to_testboard_line(d);
	struct testboard *board = line->board;
	unsigned long flags;

	gpiochip_enable_irq(&board->gc, line->offset);
	raw_spin_lock_irqsave(&board->lock, flags);
	line->irq_unmasked = true;
	raw_spin_unlock_irqrestore(&board->lock, flags);
}

static int testboard_irq_set_type(struct irq_data *d, unsigned int type)
{
	struct testboard_line *line = to_testboard_line(d);
	struct testboard *board = line->board;
	unsigned long flags;

	switch (type) {
	case IRQ_TYPE_EDGE_RISING:
	case IRQ_TYPE_EDGE_FALLING:
	case IRQ_TYPE_EDGE_BOTH:
	case IRQ_TYPE_LEVEL_HIGH:
	case IRQ_TYPE_LEVEL_LOW:
		break;
	default:
		return -EINVAL;
	}

	raw_spin_lock_irqsave(&board->lock, flags);
	line->irq_type = type;
	raw_spin_unlock_irqrestore(&board->lock, flags);

	return 0;
}

static const struct irq_chip testboard_irqchip = {
	.name = "passgate-testboard",
	.irq_mask = testboard_irq_mask,
	.irq_unmask = testboard_irq_unmask,
	.irq_set_type = testboard_irq_set_type,
	.flags = IRQCHIP_IMMUTABLE,
	GPIOCHIP_IRQ_RESOURCE_HELPERS,
};

static bool testboard_irq_fires(const struct testboard_line *line, bool value)
{
	lockdep_assert_held(&line->board->lock);

	if (!line->irq_unmasked || line->driven_value == value)
		return false;

	switch (line->irq_type) {
	case IRQ_TYPE_EDGE_RISING:
	case IRQ_TYPE_LEVEL_HIGH:
		return value;
	case IRQ_TYPE_EDGE_FALLING:
	case IRQ_TYPE_LEVEL_LOW:
		return !value;
	case IRQ_TYPE_EDGE_BOTH:
		return true;
	default:
		return false;
	}
}

/* @quiet: change the value without an interrupt, as a lost edge would. */
static int testboard_drive(struct testboard_line *line, bool value,
			   bool quiet)
{
	struct testboard *board = line->board;
	unsigned long flags;
	bool fire = false;
	int ret = 0;

	mutex_lock(&board->drive_lock);

	raw_spin_lock_irqsave(&board->lock, flags);
	if (line->is_output) {
		ret = -EPERM;
	} else {
		fire = !quiet && testboard_irq_fires(line, value);
		line->driven_value = value;
	}
	raw_spin_unlock_irqrestore(&board->lock, flags);

	/*
	 * A real controller raises this from its own interrupt: run the flow
	 * handler the same way, with local interrupts off, so the consumer's
	 * hard-irq part has run when the test's write() returns.
	 */
	if (fire) {
		local_irq_save(flags);
		ret = generic_handle_domain_irq(board->gc.irq.domain,
						line->offset);
		local_irq_restore(flags);
	}

	mutex_unlock(&board->drive_lock);

	return ret;
}

static ssize_t testboard_line_read(struct file *file, char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct testboard_line *line = file->private_data;
	char text[2] = { '0', '\n' };

	if (testboard_get(&line->board->gc, line->offset))
		text[0] = '1';

	return simple_read_from_buffer(ubuf, count, ppos, text, sizeof(text));
}

static ssize_t testboard_line_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	struct testboard_line *line = file->private_data;
	char text[3];
	size_t len = count;
	bool quiet;
	int ret;

	if (!count || count > sizeof(text))
		return -EINVAL;
	if (copy_from_user(text, ubuf, count))
		return -EFAULT;
	if (text[len - 1] == '\n')
		len--;
	/* "0" or "1"; "q0" or "q1" drive the line with no interrupt. */
	quiet = len == 2 && text[0] == 'q';
	if (len != 1 + quiet || (text[quiet] != '0' && text[quiet] != '1'))
		return -EINVAL;

	ret = testboard_drive(line, text[quiet] == '1', quiet);

	return ret ?: count;
}

static const struct file_operations testboard_line_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = testboard_line_read,
	.write = testboard_line_write,
	.llseek = default_llseek,
};

static ssize_t testboard_directions_read(struct file *file, char __user *ubuf,
					 size_t count, loff_t *ppos)
{
	struct testboard *board = file->private_data;
	char text[TESTBOARD_MAX_LINES + 1];
	unsigned int ngpio = board->gc.ngpio;
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&board->lock, flags);
	for (i = 0; i < ngpio; i++)
		text[i] = board->lines[i].is_output ? 'o' : 'i';
	raw_spin_unlock_irqrestore(&board->lock, flags);
	text[ngpio] = '\n';

	return simple_read_from_buffer(ubuf, count, ppos, text, ngpio + 1);
}

static const struct file_operations testboard_directions_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = testboard_directions_read,
	.llseek = default_llseek,
};

static void testboard_debugfs_remove(void *data)
{
	struct dentry *dir = data;

	debugfs_remove(dir);
}

static int testboard_debugfs_add(struct testboard *board)
{
	struct device *dev = board->gc.parent;
	struct dentry *dir;
	char name[4];
	unsigned int i;
	int ret;

	dir = debugfs_create_dir(board->gc.label, testboard_debugfs_root);
	/*
	 * Registered after the gpio_chip, so it runs before the chip goes:
	 * debugfs_remove() waits for writes still delivering interrupts.
	 */
	ret = devm_add_action_or_reset(dev, testboard_debugfs_remove, dir);
	if (ret)
		return ret;

	for (i = 0; i < board->gc.ngpio; i++) {
		snprintf(name, sizeof(name), "%u", i);
		debugfs_create_file(name, 0644, dir, &board->lines[i],
				    &testboard_line_fops);
	}
	debugfs_create_file("directions", 0444, dir, board,
			    &testboard_directions_fops);
	debugfs_create_x64("shutdown_flip", 0644, dir, &board->shutdown_flip);

	return 0;
}

static void testboard_mutex_destroy(void *data)
{
	struct mutex *lock = data;

	mutex_destroy(lock);
}

/*
 * "driven-high-lines": inputs that read 1 from power-on, as a normally
 * closed contact holds its line (a cut wire then reads 0).
 */
static int testboard_read_driven_high(struct testboard *board,
				      struct device *dev)
{
	u32 lines[TESTBOARD_MAX_LINES];
	int i, n;

	n = device_property_count_u32(dev, "driven-high-lines");
	if (n == -EINVAL)
		return 0;
	if (n <= 0 || n > ARRAY_SIZE(lines) ||
	    device_property_read_u32_array(dev, "driven-high-lines", lines, n))
		return dev_err_probe(dev, -EINVAL, "bad driven-high-lines\n");
	for (i = 0; i < n; i++) {
		if (lines[i] >= board->gc.ngpio)
			return dev_err_probe(dev, -EINVAL,
					     "driven-high-lines: no line %u\n",
					     lines[i]);
		board->lines[lines[i]].driven_value = true;
	}
	return 0;
}

static int testboard_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct testboard *board;
	struct gpio_irq_chip *girq;
	struct gpio_chip *gc;
	unsigned int i;
	u32 ngpio;
	int ret;

	ret = device_property_read_u32(dev, "ngpios", &ngpio);
	if (ret == -EINVAL)
		ngpio = TESTBOARD_DEFAULT_LINES;
	else if (ret)
		return dev_err_probe(dev, ret, "cannot read ngpios\n");
	if (!ngpio || ngpio > TESTBOARD_MAX_LINES)
		return dev_err_probe(dev, -EINVAL, "ngpios %u not in 1..%u\n",
				     ngpio, TESTBOARD_MAX_LINES);

	board = devm_kzalloc(dev, struct_size(board, lines, ngpio), GFP_KERNEL);
	if (!board)
		return -ENOMEM;

	raw_spin_lock_init(&board->lock);
	mutex_init(&board->drive_lock);
	ret = devm_add_action_or_reset(dev, testboard_mutex_destroy,
				       &board->drive_lock);
	if (ret)
		return ret;

	for (i = 0; i < ngpio; i++) {
		board->lines[i].board = board;
		board->lines[i].offset = i;
	}

	gc = &board->gc;
	gc->label = dev_name(dev);
	/* ACPI GpioIo/GpioInt and DT phandles find the chip by its parent. */
	gc->parent = dev;
	gc->owner = THIS_MODULE;
	gc->base = -1;
	gc->ngpio = ngpio;
	gc->can_sleep = false;
	gc->get = testboard_get;
	gc->set = testboard_set;
	gc->direction_input = testboard_direction_input;
	gc->direction_output = testboard_direction_output;
	gc->get_direction = testboard_get_direction;

	girq = &gc->irq;
	gpio_irq_chip_set_chip(girq, &testboard_irqchip);
	girq->handler = handle_simple_irq;
	girq->default_type = IRQ_TYPE_NONE;

	ret = testboard_read_driven_high(board, dev);
	if (ret)
		return ret;

	ret = devm_gpiochip_add_data(dev, gc, board);
	if (ret)
		return dev_err_probe(dev, ret, "cannot add gpio chip\n");

	platform_set_drvdata(pdev, board);
	return testboard_debugfs_add(board);
}

/*
 * The machine goes down.  The board was bound before the gate's devices,
 * so their .shutdown ran already; now invert the input lines a test asked
 * for (a fire alarm during shutdown), wait until their consumers'
 * interrupt threads are done, and print every line's value on the console
 * for the host to check (selftests/shutdown.sh).
 */
static void testboard_shutdown(struct platform_device *pdev)
{
	struct testboard *board = platform_get_drvdata(pdev);
	char text[TESTBOARD_MAX_LINES + 1];
	unsigned int i, ngpio;
	int irq;

	if (!board)
		return;
	ngpio = board->gc.ngpio;
	for (i = 0; i < ngpio; i++) {
		if (!(board->shutdown_flip & BIT_ULL(i)))
			continue;
		testboard_drive(&board->lines[i],
				!board->lines[i].driven_value, false);
		irq = irq_find_mapping(board->gc.irq.domain, i);
		if (irq > 0)
			synchronize_irq(irq);
	}
	for (i = 0; i < ngpio; i++)
		text[i] = testboard_get(&board->gc, i) ? '1' : '0';
	text[ngpio] = '\0';
	dev_info(&pdev->dev, "at shutdown, lines 0..%u: %s\n", ngpio - 1, text);
}

static const struct of_device_id testboard_of_match[] = {
	{ .compatible = "passgate,testboard-gpio" },
	{ }
};
MODULE_DEVICE_TABLE(of, testboard_of_match);

static struct platform_driver testboard_driver = {
	.driver = {
		.name = TESTBOARD_DRIVER_NAME,
		/* Not of_match_ptr(): x86 matches it through ACPI PRP0001. */
		.of_match_table = testboard_of_match,
	},
	.probe = testboard_probe,
	.shutdown = testboard_shutdown,
};

static int __init testboard_init(void)
{
	int ret;

	testboard_debugfs_root = debugfs_create_dir("passgate-testboard", NULL);

	ret = platform_driver_register(&testboard_driver);
	if (ret) {
		debugfs_remove(testboard_debugfs_root);
		return ret;
	}
	return testboard_factory_init();
}
module_init(testboard_init);

static void __exit testboard_exit(void)
{
	testboard_factory_exit();
	platform_driver_unregister(&testboard_driver);
	debugfs_remove(testboard_debugfs_root);
}
module_exit(testboard_exit);

MODULE_DESCRIPTION("passgate test board: GPIO lines driven and read through debugfs");
MODULE_LICENSE("GPL");
