// SPDX-License-Identifier: LGPL-2.1-or-later
/* Key files: a 32-byte seed in hex (seed.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "file.h"
#include "seed.h"

int passgate_seed_create(const char *path, uint8_t seed[PASSGATE_SEED_SIZE])
{
	char hex[2 * PASSGATE_SEED_SIZE + 2];
	int ret;

	if (!access(path, F_OK)) {
		errno = EEXIST;
		return -1;
	}
	randombytes_buf(seed, PASSGATE_SEED_SIZE);
	sodium_bin2hex(hex, sizeof(hex), seed, PASSGATE_SEED_SIZE);
	strcat(hex, "\n");
	ret = passgate_file_replace(path, hex, strlen(hex), 0600);
	sodium_memzero(hex, sizeof(hex));
	return ret;
}

int passgate_seed_read(const char *path, uint8_t seed[PASSGATE_SEED_SIZE])
{
	char hex[2 * PASSGATE_SEED_SIZE + 8];
	size_t got = 0;
	ssize_t n;
	int ret = 0;

	n = passgate_file_read_secret(path, hex, sizeof(hex));
	if (n < 0)
		return -1;
	if (sodium_hex2bin(seed, PASSGATE_SEED_SIZE, hex, n, "\n", &got,
			   NULL) || got != PASSGATE_SEED_SIZE) {
		errno = EBADMSG;
		ret = -1;
	}
	sodium_memzero(hex, sizeof(hex));
	return ret;
}
