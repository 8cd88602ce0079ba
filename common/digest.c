// SPDX-License-Identifier: LGPL-2.1-or-later
/* The userspace twin of driver/digest.c, with libsodium. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "digest.h"
#include "fail.h"
#include "file.h"

_Static_assert(crypto_hash_sha256_BYTES == PASSGATE_DIGEST_SIZE, "digest");
_Static_assert(crypto_auth_hmacsha256_KEYBYTES == PASSGATE_KEY_SIZE, "key");

int passgate_digest_compute(unsigned int kind, const void *token, size_t len,
			    const uint8_t *id_key, uint8_t *out)
{
	crypto_auth_hmacsha256_state hmac;
	crypto_hash_sha256_state sha;
	uint8_t kind_byte = kind;

	if (kind != PASSGATE_CRED_HEALTH_CODE && kind != PASSGATE_CRED_ID_CARD &&
	    kind != PASSGATE_CRED_TICKET) {
		errno = EINVAL;
		return -1;
	}
	if (len > PASSGATE_TOKEN_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (sodium_init() < 0) {
		errno = EIO;
		return -1;
	}
	if (kind == PASSGATE_CRED_ID_CARD) {
		if (!id_key) {
			errno = EINVAL;
			return -1;
		}
		crypto_auth_hmacsha256_init(&hmac, id_key, PASSGATE_KEY_SIZE);
		crypto_auth_hmacsha256_update(&hmac,
					      (const uint8_t *)PASSGATE_DIGEST_DOMAIN,
					      sizeof(PASSGATE_DIGEST_DOMAIN) - 1);
		crypto_auth_hmacsha256_update(&hmac, &kind_byte, 1);
		crypto_auth_hmacsha256_update(&hmac, token, len);
		crypto_auth_hmacsha256_final(&hmac, out);
		sodium_memzero(&hmac, sizeof(hmac));
		return 0;
	}
	crypto_hash_sha256_init(&sha);
	crypto_hash_sha256_update(&sha, (const uint8_t *)PASSGATE_DIGEST_DOMAIN,
				  sizeof(PASSGATE_DIGEST_DOMAIN) - 1);
	crypto_hash_sha256_update(&sha, &kind_byte, 1);
	crypto_hash_sha256_update(&sha, token, len);
	crypto_hash_sha256_final(&sha, out);
	return 0;
}

int passgate_digest_key_load(const char *path, uint8_t *id_key, char *err,
			     size_t errlen)
{
	/* Room for the hex form, its newline and one byte too many. */
	char buf[2 * PASSGATE_KEY_SIZE + 3];
	size_t have = 0, bin_len;
	ssize_t n;
	int fd, ret = 0;

	fd = passgate_file_open_secret(path);
	if (fd < 0)
		return passgate_fail(err, errlen, errno, "ID key: %s: %s", path,
				     passgate_file_strerror(errno));
	while (have < sizeof(buf)) {
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = passgate_fail(err, errlen, errno, "ID key: %s: %s", path,
					    strerror(errno));
			goto out_wipe;
		}
		if (n == 0)
			break;
		have += n;
	}
	if (have == PASSGATE_KEY_SIZE) {
		memcpy(id_key, buf, PASSGATE_KEY_SIZE);
		goto out_wipe;
	}
	if (have == 2 * PASSGATE_KEY_SIZE + 1 && buf[have - 1] == '\n')
		have--;
	if (have != 2 * PASSGATE_KEY_SIZE ||
	    sodium_hex2bin(id_key, PASSGATE_KEY_SIZE, buf, have, NULL,
			   &bin_len, NULL) || bin_len != PASSGATE_KEY_SIZE)
		ret = passgate_fail(err, errlen, EBADMSG,
				    "ID key: %s: must hold %d raw bytes or %d hex digits",
				    path, PASSGATE_KEY_SIZE, 2 * PASSGATE_KEY_SIZE);
out_wipe:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return ret;
}
