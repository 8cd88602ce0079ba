/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The collector's gate registry (docs/station.md, "Gate registry"): the
 * gates of the station, each with its number and the public half of its
 * seal key, enrolled by the operator.  One line per gate:
 *
 *   NAME NUMBER PUBLIC-KEY-HEX
 *
 * '#' starts a comment line.  Rows from a gate not in it are refused.
 */
#ifndef PASSGATE_COLLECTOR_REGISTRY_H
#define PASSGATE_COLLECTOR_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "station/station_args.h"

#define REGISTRY_NAME_MAX PASSGATE_STATION_NAME_MAX
#define REGISTRY_GATES_MAX 1024

/**
 * struct registry_gate - one enrolled gate, and what the collector holds
 * @name: the gate's name in topics and in the events table
 * @number: the gate number its journal's rows carry
 * @pk: its seal key's public half
 * @head_known: @head_pos and @head_hash were read from the database
 * @head_pos: contiguous and verified up to here (0: nothing yet)
 * @head_hash: the hash of the row at @head_pos (the genesis at 0)
 * @queued_pos: verified up to here, counting the batches that wait in the
 *	burst for their transaction (burst.c); @head_pos when none waits
 * @queued_hash: the hash of the row at @queued_pos
 * @asked_pos: the position a resend was last asked from
 * @asked_ms: when (CLOCK_MONOTONIC)
 */
struct registry_gate {
	char name[REGISTRY_NAME_MAX + 1];
	uint32_t number;
	uint8_t pk[32];
	int head_known;
	uint64_t head_pos;
	uint8_t head_hash[32];
	uint64_t queued_pos;
	uint8_t queued_hash[32];
	uint64_t asked_pos;
	uint64_t asked_ms;
};

struct registry {
	struct registry_gate *gate;
	size_t count;
};

/* Load @path; 0, or -1 with a line-numbered reason in @err. */
int registry_load(const char *path, struct registry *r, char *err,
		  size_t errlen);
void registry_free(struct registry *r);
struct registry_gate *registry_find(struct registry *r, const char *name,
				    size_t len);
#endif
