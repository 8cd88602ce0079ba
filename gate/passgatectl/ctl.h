/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef PASSGATECTL_H
#define PASSGATECTL_H

#include <stdint.h>

#include "gate/core/config.h"
#include "lib/libpassgate.h"

struct options {
	int json;
	unsigned int gate;
	int follow;
	uint64_t from;
	const char *config_path;
	int config_given;
	/* --gate N: act on gate N, whatever the configuration says */
	int gate_given;
	unsigned int gate_arg;
	struct passgate_config config;
};

/* Print "passgatectl: WHAT: strerror(errno)"; returns 1. */
int fail(const char *what);
/* One event as one line on stdout, text or JSON (docs/events-json.md). */
void print_event(const struct passgate_event *ev,
		 const struct passgate_event_origin *origin, int json);

int cmd_load(const struct options *o, int argc, char **argv);
int cmd_open(const struct options *o, int argc, char **argv);
int cmd_free(const struct options *o, int argc, char **argv);
int cmd_close(const struct options *o, int argc, char **argv);
int cmd_normal(const struct options *o, int argc, char **argv);
int cmd_reset(const struct options *o, int argc, char **argv);
int cmd_log(const struct options *o, int argc, char **argv);
int cmd_log_verify(const struct options *o, int argc, char **argv);
int cmd_stats(const struct options *o, int argc, char **argv);
int cmd_monitor(const struct options *o, int argc, char **argv);
int cmd_top(const struct options *o, int argc, char **argv);
int cmd_list(const struct options *o, int argc, char **argv);
int cmd_seed(const struct options *o, int argc, char **argv);

#endif
