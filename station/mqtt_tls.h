/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The station network's TLS for a libmosquitto client: the gate's uplink,
 * the collector and the publisher (docs/station.md, "Identities").
 */
#ifndef PASSGATE_MQTT_TLS_H
#define PASSGATE_MQTT_TLS_H

#include <stddef.h>

struct mosquitto;

/*
 * Connect @m on TLS only: the station CA @ca pinned (the broker's name
 * checked against its certificate), this client's certificate @cert and
 * key @key.  The key is refused when group or others may read it, or
 * when it is not a regular file.  0, or -1 with why in @err.
 */
int passgate_mqtt_tls(struct mosquitto *m, const char *ca, const char *cert,
		      const char *key, char *err, size_t errlen);

#endif
