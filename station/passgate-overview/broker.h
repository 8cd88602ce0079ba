/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The gates' status topics (passgate/STATION/gates/+/status: "online",
 * or the retained last will "offline"), read on a thread of its own with
 * the overview's identity; the broker's TLS and ACL vouch that only a
 * gate's own certificate wrote its status.
 */
#ifndef PASSGATE_OVERVIEW_BROKER_H
#define PASSGATE_OVERVIEW_BROKER_H

#include <stddef.h>

#include "gates.h"

struct broker_config {
	const char *client_id;
	const char *station;
	char *host;
	int port;
	const char *cafile, *cert, *key;	/* cafile NULL: plain TCP */
};

struct broker;

/* Start the thread; NULL with why in @err (a TLS file, say). */
struct broker *broker_start(const struct broker_config *cfg,
			    struct gates *gs, char *err, size_t errlen);
/* Disconnect and join the thread. */
void broker_stop(struct broker *b);

#endif
