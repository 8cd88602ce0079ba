/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the station programs' command lines share: the broker's address
 * and the station's and gates' names (docs/station.md, "Names").
 */
#ifndef PASSGATE_STATION_ARGS_H
#define PASSGATE_STATION_ARGS_H

#include <stddef.h>

#define PASSGATE_STATION_NAME_MAX 32

/* @s[0..@len) is a station or gate name, [a-z0-9-]{1,32}: 1, else 0. */
int passgate_station_valid_name(const char *s, size_t len);

/*
 * HOST, HOST:PORT or [V6]:PORT in @arg (changed in place): *@host points
 * into it, *@port is 1883 when none is given.  0, or -1 when malformed.
 */
int passgate_station_parse_broker(char *arg, char **host, int *port);

#endif
