/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * passgated.conf (docs/operations.md): shared by the daemon and
 * passgatectl, so both find the same trust store, state and pins.
 */
#ifndef PASSGATE_CONFIG_H
#define PASSGATE_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "gate/policy/policy_maps.h"
#include "gate/core/wedge.h"

#define PASSGATE_CONFIG_FILE "/etc/passgate/gate0.conf"

/* A station or gate name: [a-z0-9-], 1 to this many characters. */
#define PASSGATE_NAME_MAX 32

struct passgate_config {
	unsigned int gate;
	char trust_dir[PATH_MAX];
	char spool_dir[PATH_MAX];
	char state_dir[PATH_MAX];
	char pin_root[PATH_MAX];
	char id_key_file[PATH_MAX];
	uint64_t max_list_bytes;
	/* What the daemon answers for a deferred scan it cannot decide. */
	uint32_t slow_reason;
	/* Credentials the slow path accepts (staff cards): one per line. */
	char staff_file[PATH_MAX];
	/* The audit journal (SQLite); empty: none. */
	char journal[PATH_MAX];
	struct policy_config policy;
	/* The station (docs/station.md): names, broker, uplink. */
	char station[PASSGATE_NAME_MAX + 1];
	char gate_name[PASSGATE_NAME_MAX + 1];
	char mqtt_host[256];
	unsigned int mqtt_port;		/* 0: no broker */
	unsigned int mqtt_inflight;
	char metrics_file[PATH_MAX];	/* passgated's */
	/* The uplink's own: its delivered mark, its metrics. */
	char uplink_dir[PATH_MAX];
	char uplink_metrics_file[PATH_MAX];
	/* The station network's TLS (docs/station.md, "Identities"). */
	char mqtt_ca[PATH_MAX];
	char mqtt_cert[PATH_MAX];
	char mqtt_key[PATH_MAX];
	/* The collector's confirmation key (docs/station.md, "Delivery"). */
	uint8_t collector_key[32];
	bool collector_key_set;
	/* Keyboard-wedge scanners: one per "wedge =" line. */
	struct passgate_wedge_config wedge[PASSGATE_WEDGE_MAX];
	unsigned int wedges;
};

void passgate_config_defaults(struct passgate_config *cfg);
/*
 * The command line of a program that takes only its configuration
 * (passgated, passgate-uplink): -c/--config FILE, -h/--help (@usage on
 * stdout), -V/--version; anything else, @usage on stderr.  -1 to go on,
 * with *@config set when given; else the exit status (0 or 2).
 */
int passgate_config_cli(int argc, char **argv, const char *prog,
			const char *usage, const char **config);
/*
 * Derive what the file left out (the journal's path); load() calls it.
 * -1 (ENAMETOOLONG) when the derived path would not fit.
 */
int passgate_config_finish(struct passgate_config *cfg);
/*
 * Read @path over the defaults.  -1 with errno and a message naming the
 * line in @err on a missing file, an unknown key or a bad value.
 */
int passgate_config_load(const char *path, struct passgate_config *cfg,
			 char *err, size_t errlen);

#endif
