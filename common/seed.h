/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Key files (a gate's seal key, the collector's confirmation key): the
 * 32-byte Ed25519 seed in hex and a newline, mode 0600.
 */
#ifndef PASSGATE_COMMON_SEED_H
#define PASSGATE_COMMON_SEED_H

#include <stdint.h>

#define PASSGATE_SEED_SIZE 32

/* A new random seed in @path, which must not exist (EEXIST); 0 or -1. */
int passgate_seed_create(const char *path, uint8_t seed[PASSGATE_SEED_SIZE]);
/*
 * Read one back: 0, or -1 with errno, EBADMSG when it is not 64 hex
 * digits, and as passgate_file_read_secret() when others may read it.
 */
int passgate_seed_read(const char *path, uint8_t seed[PASSGATE_SEED_SIZE]);

#endif
