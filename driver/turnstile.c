// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate: the turnstile's state machine.  See docs/turnstile.md.
 *
 * The lane's effective state follows from, in order: the gate's fire
 * alarm (FREE), the gate's mode (FREE_ALL, LOCK_ALL), the lane's mode
 * (FREE, CLOSED), and in NORMAL mode whether an unlock is pending.  The
 * passage in progress is tracked from the two beams alone: the beam broken
 * first gives its direction, the far beam breaking means the passenger is
 * through the barrier, both clear again ends it.
 */
#include <linux/bits.h>
#include <linux/gpio/consumer.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/timekeeping.h>

#include "passgate_private.h"

static const char * const passgate_beam_names[] = {
	"beam-inner",
	"beam-outer",
};

static u32 passgate_turnstile_effective(struct passgate_lane *lane)
{
	struct passgate_gate *gate = lane->gate;

	if (READ_ONCE(gate->fire))
		return PASSGATE_STATE_FREE;
	switch (READ_ONCE(gate->mode)) {
	case PASSGATE_GATE_FREE_ALL:
		return PASSGATE_STATE_FREE;
	case PASSGATE_GATE_LOCK_ALL:
		return PASSGATE_STATE_CLOSED;
	}
	switch (lane->mode) {
	case PASSGATE_MODE_FREE:
		return PASSGATE_STATE_FREE;
	case PASSGATE_MODE_CLOSED:
		return PASSGATE_STATE_CLOSED;
	}
	return lane->unlocked == PASSGATE_NO_DIRECTION ?
	       PASSGATE_STATE_LOCKED : PASSGATE_STATE_UNLOCKED;
}

static void passgate_turnstile_changed(struct passgate_lane *lane)
{
	lane->change++;
	wake_up_interruptible_all(&lane->live.wait);
}

static void passgate_turnstile_drive(struct gpio_desc *desc, u32 *outputs,
				     u32 bit, bool on)
{
	if (!desc)
		return;
	gpiod_set_value_cansleep(desc, on);
	if (on)
		*outputs |= bit;
	else
		*outputs &= ~bit;
}

/*
 * The outputs of a lane the driver let go of but whose GPIOs it still
 * holds (unbinding, shut down): open in a fire, else the fail mode the
 * firmware gives, open (fail-safe) or locked (fail-secure); no alarm, no
 * indicator.  Called with lane->lock held.
 */
static void passgate_turnstile_let_go(struct passgate_lane *lane)
{
	bool open = (lane->info.capabilities & PASSGATE_CAP_FAIL_SAFE) ||
		    READ_ONCE(lane->gate->fire);
	u32 outputs = 0;
	int dir;

	for (dir = 0; dir < PASSGATE_DIRECTIONS; dir++)
		passgate_turnstile_drive(lane->unlock[dir], &outputs, BIT(dir),
					 open);
	passgate_turnstile_drive(lane->alarm, &outputs, PASSGATE_OUT_ALARM,
				 false);
	passgate_turnstile_drive(lane->green, &outputs, PASSGATE_OUT_GREEN,
				 false);
	passgate_turnstile_drive(lane->red, &outputs, PASSGATE_OUT_RED, false);
	if (outputs != lane->outputs) {
		lane->outputs = outputs;
		lane->state = open ? PASSGATE_STATE_FREE : PASSGATE_STATE_LOCKED;
		passgate_turnstile_changed(lane);
	}
}

/* Drive the outputs for the effective state.  Called with lane->lock held. */
static void passgate_turnstile_apply(struct passgate_lane *lane)
{
	u32 outputs = lane->outputs;
	bool open[PASSGATE_DIRECTIONS];
	u32 state;
	int dir;

	if (lane->released) {
		passgate_turnstile_let_go(lane);
		return;
	}

	state = passgate_turnstile_effective(lane);
	/* An override (fire, FREE, CLOSED) ends a pending unlock. */
	if (state != PASSGATE_STATE_UNLOCKED &&
	    lane->unlocked != PASSGATE_NO_DIRECTION) {
		lane->unlocked = PASSGATE_NO_DIRECTION;
		lane->timed_out = false;
		cancel_delayed_work(&lane->timeout_work);
		cancel_delayed_work(&lane->blocked_work);
	}

	for (dir = 0; dir < PASSGATE_DIRECTIONS; dir++) {
		open[dir] = state == PASSGATE_STATE_FREE ||
			    (state == PASSGATE_STATE_UNLOCKED &&
			     lane->unlocked == dir);
		passgate_turnstile_drive(lane->unlock[dir],
					 &outputs, BIT(dir), open[dir]);
	}
	passgate_turnstile_drive(lane->green, &outputs,
				 PASSGATE_OUT_GREEN, open[0] || open[1]);
	passgate_turnstile_drive(lane->red, &outputs,
				 PASSGATE_OUT_RED, !open[0] && !open[1]);

	if (state != lane->state || outputs != lane->outputs) {
		lane->state = state;
		lane->outputs = outputs;
		passgate_turnstile_changed(lane);
	}
}

static void passgate_turnstile_emit(struct passgate_lane *lane, u32 type,
				    u32 arg)
{
	passgate_events_emit(lane->gate, type, lane->id, arg);
}

static void passgate_turnstile_relock(struct passgate_lane *lane)
{
	lane->unlocked = PASSGATE_NO_DIRECTION;
	lane->timed_out = false;
	cancel_delayed_work(&lane->timeout_work);
	cancel_delayed_work(&lane->blocked_work);
	passgate_turnstile_apply(lane);
}

static void passgate_turnstile_time_out(struct passgate_lane *lane)
{
	int dir = lane->unlocked;

	lane->timeouts++;
	passgate_turnstile_relock(lane);
	passgate_turnstile_emit(lane, PASSGATE_EV_TIMEOUT, dir);
}

static void passgate_turnstile_alarm(struct passgate_lane *lane, u32 alarm,
				     u32 type, int dir)
{
	lane->alarms |= alarm;
	if (lane->alarm && !lane->released) {
		gpiod_set_value_cansleep(lane->alarm, 1);
		lane->outputs |= PASSGATE_OUT_ALARM;
		mod_delayed_work(system_wq, &lane->alarm_work,
				 msecs_to_jiffies(lane->info.alarm_ms));
	}
	passgate_turnstile_changed(lane);
	passgate_turnstile_emit(lane, type, dir);
}

static void passgate_turnstile_alarm_off(struct passgate_lane *lane)
{
	if (!lane->alarm || !(lane->outputs & PASSGATE_OUT_ALARM))
		return;
	gpiod_set_value_cansleep(lane->alarm, 0);
	lane->outputs &= ~PASSGATE_OUT_ALARM;
	passgate_turnstile_changed(lane);
}

static void passgate_turnstile_alarm_work(struct work_struct *work)
{
	struct passgate_lane *lane = container_of(to_delayed_work(work),
						  struct passgate_lane,
						  alarm_work);

	mutex_lock(&lane->lock);
	/* A blocked beam holds the alarm on until both beams are clear. */
	if (!lane->released && !lane->passage.blocked)
		passgate_turnstile_alarm_off(lane);
	mutex_unlock(&lane->lock);
}

/*
 * The passage outlived its timeout and the hold after it: a beam is still
 * broken (a bag, a person stuck, a held door).  The lane is never relocked
 * on a person, so it stays as it is, with the alarm on until the beams
 * clear and BEAM_BLOCKED latched until an operator resets the alarms.
 */
static void passgate_turnstile_blocked_work(struct work_struct *work)
{
	struct passgate_lane *lane = container_of(to_delayed_work(work),
						  struct passgate_lane,
						  blocked_work);
	struct passgate_passage *p = &lane->passage;

	mutex_lock(&lane->lock);
	/* Still the passage that outlived its unlock's timeout. */
	if (!lane->released && lane->timed_out &&
	    lane->unlocked != PASSGATE_NO_DIRECTION &&
	    p->direction != PASSGATE_NO_DIRECTION && !p->blocked) {
		p->blocked = true;
		lane->beam_blocked++;
		passgate_turnstile_alarm(lane, PASSGATE_ALARM_BEAM_BLOCKED,
					 PASSGATE_EV_BEAM_BLOCKED, p->direction);
	}
	mutex_unlock(&lane->lock);
}

static void passgate_turnstile_timeout_work(struct work_struct *work)
{
	struct passgate_lane *lane = container_of(to_delayed_work(work),
						  struct passgate_lane,
						  timeout_work);

	mutex_lock(&lane->lock);
	/*
	 * Never relock on a passenger: wait for the passage to end, and
	 * raise BEAM_BLOCKED if it has not ended after a bounded hold.
	 */
	if (lane->unlocked != PASSGATE_NO_DIRECTION) {
		if (lane->passage.direction == PASSGATE_NO_DIRECTION) {
			passgate_turnstile_time_out(lane);
		} else {
			lane->timed_out = true;
			mod_delayed_work(system_wq, &lane->blocked_work,
					 msecs_to_jiffies(lane->blocked_ms));
		}
	}
	mutex_unlock(&lane->lock);
}

/* A passage ended with both beams clear. */
static void passgate_turnstile_passage_end(struct passgate_lane *lane)
{
	struct passgate_passage *p = &lane->passage;
	int dir = p->direction;

	p->direction = PASSGATE_NO_DIRECTION;
	cancel_delayed_work(&lane->blocked_work);
	if (p->blocked) {
		p->blocked = false;
		/* A FORCED or TAILGATE pulse still running ends on its own. */
		if (!delayed_work_pending(&lane->alarm_work))
			passgate_turnstile_alarm_off(lane);
	}
	if (p->crossed && !p->forced) {
		lane->passages[dir]++;
		passgate_turnstile_changed(lane);
		passgate_turnstile_emit(lane, PASSGATE_EV_PASSAGE, dir);
		if (lane->unlocked != PASSGATE_NO_DIRECTION)
			passgate_turnstile_relock(lane);
	} else if (lane->timed_out) {
		passgate_turnstile_time_out(lane);
	}
}

/*
 * Is someone else inside this unlock?  Every further person is counted
 * once: when the near beam breaks again behind the first (a follower), or
 * when the far beam breaks again with no follower seen (someone through
 * past a near beam held broken, by a bag or a second person).
 */
static bool passgate_turnstile_another(struct passgate_passage *p, u32 old,
				       u32 beams, u32 near, u32 far)
{
	if ((beams & near) && !(old & near)) {
		p->follower = true;
		return true;
	}
	if ((beams & far) && !(old & far)) {
		if (!p->follower)
			return true;
		/* The follower seen at the near beam, now through. */
		p->follower = false;
	}
	return false;
}

/* Sample the beams and follow the passage.  Called with lane->lock held. */
static void passgate_turnstile_sense(struct passgate_lane *lane)
{
	struct passgate_passage *p = &lane->passage;
	u32 old = lane->beams, beams = 0;
	u32 near, far;
	bool allowed;
	int i;

	for (i = 0; i < ARRAY_SIZE(lane->beam); i++)
		if (gpiod_get_value_cansleep(lane->beam[i]) > 0)
			beams |= BIT(i);
	if (beams == old)
		return;
	lane->beams = beams;
	passgate_turnstile_changed(lane);

	if (p->direction == PASSGATE_NO_DIRECTION) {
		if (!beams)
			return;
		*p = (struct passgate_passage) {
			.direction = beams & PASSGATE_BEAM_INNER ?
				     PASSGATE_DIR_EXIT : PASSGATE_DIR_ENTRY,
		};
	}

	near = p->direction == PASSGATE_DIR_EXIT ?
	       PASSGATE_BEAM_INNER : PASSGATE_BEAM_OUTER;
	far = near ^ (PASSGATE_BEAM_INNER | PASSGATE_BEAM_OUTER);

	if (!p->crossed && (beams & far)) {
		p->crossed = true;
		allowed = lane->state == PASSGATE_STATE_FREE ||
			  (lane->state == PASSGATE_STATE_UNLOCKED &&
			   lane->unlocked == p->direction);
		if (!allowed) {
			p->forced = true;
			lane->forced++;
			passgate_turnstile_alarm(lane, PASSGATE_ALARM_FORCED,
						 PASSGATE_EV_FORCED,
						 p->direction);
		}
	} else if (p->crossed && !p->forced &&
		   lane->state == PASSGATE_STATE_UNLOCKED &&
		   passgate_turnstile_another(p, old, beams, near, far)) {
		lane->tailgates++;
		passgate_turnstile_alarm(lane, PASSGATE_ALARM_TAILGATE,
					 PASSGATE_EV_TAILGATE, p->direction);
	}

	if (!beams)
		passgate_turnstile_passage_end(lane);
}

static void passgate_turnstile_debounce_work(struct work_struct *work)
{
	struct passgate_lane *lane = container_of(to_delayed_work(work),
						  struct passgate_lane,
						  debounce_work);

	mutex_lock(&lane->lock);
	passgate_turnstile_sense(lane);
	mutex_unlock(&lane->lock);
}

static irqreturn_t passgate_turnstile_beam_irq(int irq, void *data)
{
	struct passgate_lane *lane = data;

	/* Sample once the beams settled; the handler reads levels, not edges. */
	if (lane->debounce_ms) {
		mod_delayed_work(system_wq, &lane->debounce_work,
				 msecs_to_jiffies(lane->debounce_ms));
		return IRQ_HANDLED;
	}
	mutex_lock(&lane->lock);
	passgate_turnstile_sense(lane);
	mutex_unlock(&lane->lock);
	return IRQ_HANDLED;
}

void passgate_turnstile_refresh(struct passgate_lane *lane)
{
	mutex_lock(&lane->lock);
	passgate_turnstile_apply(lane);
	mutex_unlock(&lane->lock);
}

/* Open for one passage.  Called with lane->lock held, the lane LOCKED. */
static void passgate_turnstile_unlock(struct passgate_lane *lane,
				      u32 direction)
{
	lane->unlocked = direction;
	lane->timed_out = false;
	mod_delayed_work(system_wq, &lane->timeout_work,
			 msecs_to_jiffies(lane->info.passage_timeout_ms));
	passgate_turnstile_apply(lane);
	passgate_turnstile_emit(lane, PASSGATE_EV_UNLOCK, direction);
}

static bool passgate_turnstile_allowed(struct passgate_lane *lane,
				       u32 direction)
{
	return direction < PASSGATE_DIRECTIONS &&
	       (lane->info.directions & BIT(direction));
}

int passgate_turnstile_open(struct passgate_lane *lane, u32 direction)
{
	int ret = 0;

	if (!passgate_turnstile_allowed(lane, direction))
		return -EINVAL;

	mutex_lock(&lane->lock);
	if (lane->released)
		ret = -ENODEV;
	else if (passgate_turnstile_effective(lane) != PASSGATE_STATE_LOCKED)
		ret = -EBUSY;
	else
		passgate_turnstile_unlock(lane, direction);
	mutex_unlock(&lane->lock);
	return ret;
}

/*
 * An ACCEPT verdict: open for one passage, or nothing to do when the lane
 * is FREE anyway.  *actuated_ns gets the time the output was set.
 */
int passgate_turnstile_accept(struct passgate_lane *lane, u32 direction,
			      u64 *actuated_ns)
{
	int ret = 0;
	u32 state;

	if (!passgate_turnstile_allowed(lane, direction))
		return -EINVAL;

	mutex_lock(&lane->lock);
	state = passgate_turnstile_effective(lane);
	/* A lane let go of opens for nobody (its timers are stopped). */
	if (lane->released)
		ret = -ENODEV;
	else if (state == PASSGATE_STATE_LOCKED)
		passgate_turnstile_unlock(lane, direction);
	else if (state != PASSGATE_STATE_FREE)
		ret = -EBUSY;
	*actuated_ns = ktime_get_boottime_ns();
	mutex_unlock(&lane->lock);
	return ret;
}

u32 passgate_turnstile_state(struct passgate_lane *lane)
{
	u32 state;

	mutex_lock(&lane->lock);
	state = passgate_turnstile_effective(lane);
	mutex_unlock(&lane->lock);
	return state;
}

int passgate_turnstile_set_mode(struct passgate_lane *lane, u32 mode,
				const struct passgate_event_extra *who)
{
	if (mode > PASSGATE_MODE_CLOSED)
		return -EINVAL;

	mutex_lock(&lane->lock);
	lane->mode = mode;
	passgate_turnstile_apply(lane);
	passgate_turnstile_changed(lane);
	passgate_events_emit_extra(lane->gate, PASSGATE_EV_LANE_MODE, lane->id,
				   mode, who);
	mutex_unlock(&lane->lock);
	return 0;
}

void passgate_turnstile_reset_alarms(struct passgate_lane *lane,
				     const struct passgate_event_extra *who)
{
	mutex_lock(&lane->lock);
	cancel_delayed_work(&lane->alarm_work);
	lane->alarms = 0;
	passgate_turnstile_alarm_off(lane);
	passgate_turnstile_changed(lane);
	passgate_events_emit_extra(lane->gate, PASSGATE_EV_ALARMS_RESET,
				   lane->id, 0, who);
	mutex_unlock(&lane->lock);
}

void passgate_turnstile_get_state(struct passgate_lane *lane,
				  struct passgate_state *state)
{
	mutex_lock(&lane->lock);
	state->change = lane->change;
	state->state = lane->state;
	state->direction = lane->unlocked == PASSGATE_NO_DIRECTION ?
			   0 : lane->unlocked;
	state->mode = lane->mode;
	state->beams = lane->beams;
	state->outputs = lane->outputs;
	state->alarms = lane->alarms;
	state->passages[0] = lane->passages[0];
	state->passages[1] = lane->passages[1];
	state->timeouts = lane->timeouts;
	state->forced = lane->forced;
	state->tailgates = lane->tailgates;
	state->beam_blocked = lane->beam_blocked;
	mutex_unlock(&lane->lock);
}

/*
 * The driver lets go of the lane (unbind, module unload, shutdown): stop
 * every timer and leave the unlock outputs as the firmware says a dead
 * driver must, open (fail-safe) or locked (fail-secure), or open while
 * the gate's fire alarm stands.  The lane stays on its gate's list until
 * its GPIOs go, so a fire raised after this still opens it.
 */
void passgate_turnstile_release(struct passgate_lane *lane)
{
	mutex_lock(&lane->lock);
	lane->released = true;
	mutex_unlock(&lane->lock);

	cancel_delayed_work_sync(&lane->debounce_work);
	cancel_delayed_work_sync(&lane->timeout_work);
	cancel_delayed_work_sync(&lane->alarm_work);
	cancel_delayed_work_sync(&lane->blocked_work);

	mutex_lock(&lane->lock);
	passgate_turnstile_let_go(lane);
	mutex_unlock(&lane->lock);
}

static void passgate_turnstile_release_action(void *data)
{
	passgate_turnstile_release(data);
}

/*
 * Called once the lane's GPIOs are there, before its interrupts: the
 * lane joins its gate, whose fire alarm and modes drive it from then on.
 * At unbind the devm actions run the other way round: the lane lets go
 * of its outputs, then leaves the gate, then its GPIOs go.
 */
int passgate_turnstile_init(struct passgate_lane *lane)
{
	int ret;

	mutex_init(&lane->lock);
	lane->unlocked = PASSGATE_NO_DIRECTION;
	lane->passage.direction = PASSGATE_NO_DIRECTION;
	lane->state = PASSGATE_STATE_LOCKED;
	INIT_DELAYED_WORK(&lane->timeout_work, passgate_turnstile_timeout_work);
	INIT_DELAYED_WORK(&lane->alarm_work, passgate_turnstile_alarm_work);
	INIT_DELAYED_WORK(&lane->debounce_work,
			  passgate_turnstile_debounce_work);
	INIT_DELAYED_WORK(&lane->blocked_work, passgate_turnstile_blocked_work);
	ret = passgate_gate_add_lane(lane->gate, lane);
	if (ret)
		return ret;
	return devm_add_action_or_reset(lane->dev,
					passgate_turnstile_release_action,
					lane);
}

/* Request the beam interrupts and take the beams' present state. */
int passgate_turnstile_start(struct passgate_lane *lane)
{
	struct device *dev = lane->dev;
	bool chip_debounces = lane->debounce_ms;
	int i, irq, ret;

	/* Without beams no passage is seen: an unlock ends at its timeout. */
	if (!(lane->info.capabilities & PASSGATE_CAP_BEAMS))
		return 0;

	/* A chip that debounces both beams spares us the software debounce. */
	for (i = 0; i < ARRAY_SIZE(lane->beam) && chip_debounces; i++)
		if (gpiod_set_debounce(lane->beam[i],
				       lane->debounce_ms * USEC_PER_MSEC))
			chip_debounces = false;
	if (chip_debounces)
		lane->debounce_ms = 0;

	for (i = 0; i < ARRAY_SIZE(lane->beam); i++) {
		irq = gpiod_to_irq(lane->beam[i]);
		if (irq < 0)
			return dev_err_probe(dev, irq, "%s: no interrupt\n",
					     passgate_beam_names[i]);
		ret = devm_request_threaded_irq(dev, irq, NULL,
						passgate_turnstile_beam_irq,
						IRQF_TRIGGER_RISING |
						IRQF_TRIGGER_FALLING |
						IRQF_ONESHOT,
						passgate_beam_names[i], lane);
		if (ret)
			return dev_err_probe(dev, ret, "%s: request irq\n",
					     passgate_beam_names[i]);
	}

	mutex_lock(&lane->lock);
	passgate_turnstile_sense(lane);
	mutex_unlock(&lane->lock);
	return 0;
}
