/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The gate's durable record of the last list generation it accepted,
 * which survives reboots (the BPF maps do not): a replayed older list is
 * refused even on a freshly booted gate.  Health codes and tickets have a
 * record each (their generations are separate sequences):
 * STATE_DIR/gateG.generation and STATE_DIR/gateG.tickets.generation.
 * Error contract: <common/fail.h>.
 */
#ifndef PASSGATE_STATE_H
#define PASSGATE_STATE_H

#include <stdint.h>

#define PASSGATE_STATE_DIR "/var/lib/passgate"

struct passgate_record {
	uint64_t generation;
	uint8_t key_id[8];
	uint64_t expires_at;
};

/* Take the gate's state lock (flock), creating @dir; returns an fd. */
int passgate_record_lock(const char *dir, unsigned int gate);
void passgate_record_unlock(int fd);
/*
 * The record of the lists that hold @holds (&enum passgate_list_holds).
 * ENOENT: the gate never accepted such a list.
 */
int passgate_record_read_list(const char *dir, unsigned int gate,
			      unsigned int holds, struct passgate_record *rec);
/* Written to a new file, synced, renamed over the old, directory synced. */
int passgate_record_write_list(const char *dir, unsigned int gate,
			       unsigned int holds,
			       const struct passgate_record *rec);
/*
 * An operator's explicit start: the record says @generation (lists must
 * be above it), under the gate's state lock, @dir made if need be.  For a
 * new gate (0) and after the record was lost.
 */
int passgate_record_seed_list(const char *dir, unsigned int gate,
			      unsigned int holds, uint64_t generation);

/* The same for the health codes' record. */
int passgate_record_read(const char *dir, unsigned int gate,
			 struct passgate_record *rec);
int passgate_record_write(const char *dir, unsigned int gate,
			  const struct passgate_record *rec);
int passgate_record_seed(const char *dir, unsigned int gate,
			 uint64_t generation);

#endif
