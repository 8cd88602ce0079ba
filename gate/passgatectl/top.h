/* SPDX-License-Identifier: GPL-2.0-only */
/* passgatectl top: the loop (top.c) and the screen (top_draw.c). */
#ifndef PASSGATECTL_TOP_H
#define PASSGATECTL_TOP_H

#include <time.h>

#include "top_model.h"

/* "Now" on both clocks: events carry CLOCK_BOOTTIME, people read wall time. */
struct top_clock {
	uint64_t boot_ns;
	time_t real_s;
};

void top_draw_init(void);
void top_draw(const struct top_model *m, const struct top_clock *c);

#endif
