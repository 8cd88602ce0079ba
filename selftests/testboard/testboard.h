/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * passgate test board: the GPIO chip (testboard.c) and the gate factory
 * (factory.c) that builds gates on chips of its own.
 */
#ifndef PASSGATE_TESTBOARD_H
#define PASSGATE_TESTBOARD_H

#define TESTBOARD_DRIVER_NAME	"passgate-testboard"

int testboard_factory_init(void);
void testboard_factory_exit(void);

#endif
