/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * minisign keys and signatures, made and checked with libsodium, in the
 * exact file formats of the minisign tool (docs/allowlist-format.md,
 * "Signing"), so that `minisign -V` checks what we sign and we check what
 * `minisign -S` signs.  Only prehashed ("ED") signatures are made and
 * accepted; files are hashed as a stream, never held in memory.
 *
 * Objects: a secret key (passgate_seckey_*), a public key
 * (passgate_pubkey_*), a trust store of public keys (passgate_trust_*) and
 * a parsed signature file (passgate_signature_*).
 *
 * Error contract: <common/fail.h>.  errno says which class of failure it
 * was, here and in <common/listfile.h>: EBADMSG for a file that is not
 * in the expected format or fails a check, EKEYREJECTED for a signature
 * that does not verify, ENOKEY for an unknown key id (or an empty trust
 * store), EFBIG for a list above the size limit, EACCES for an encrypted
 * key without its password, EEXIST for a file that would be overwritten,
 * EINVAL for invalid input to a writer, or the errno of the system call
 * that failed.
 */
#ifndef PASSGATE_MINISIGN_H
#define PASSGATE_MINISIGN_H

#include <stddef.h>
#include <stdint.h>

/* A minisign key id: 8 random bytes, compared as stored. */
#define PASSGATE_KEY_ID_SIZE 8
/* BLAKE2b-512 of the signed file: what a prehashed signature signs. */
#define PASSGATE_PREHASH_SIZE 64
/* Longest trusted comment, with its NUL (minisign's own limit). */
#define PASSGATE_TRUSTED_COMMENT_MAX 8192
/*
 * An encrypted (scrypt) secret key is read only when this environment
 * variable holds its password.
 */
#define PASSGATE_KEY_PASSWORD_ENV "PASSGATE_KEY_PASSWORD"

struct passgate_seckey;
struct passgate_pubkey;
struct passgate_trust;
struct passgate_signature;

/*
 * Write a new key pair: @pub_path (0644) and an unencrypted @sec_path
 * (0600), as `minisign -G -W` would.  Neither file may exist (EEXIST).
 */
int passgate_seckey_generate(const char *pub_path, const char *sec_path,
			     char *err, size_t errlen);
struct passgate_seckey *passgate_seckey_load(const char *path, char *err,
					     size_t errlen);
void passgate_seckey_free(struct passgate_seckey *sec);
const uint8_t *passgate_seckey_id(const struct passgate_seckey *sec);
/* The public half, for checking what this key signed. */
struct passgate_pubkey *passgate_seckey_pubkey(const struct passgate_seckey *sec);
/*
 * Sign the file at @path (hashed as a stream) with @trusted_comment (one
 * line) into @sig_path, written atomically (temporary file, fsync, rename).
 */
int passgate_seckey_sign_file(const struct passgate_seckey *sec,
			      const char *path, const char *trusted_comment,
			      const char *sig_path, char *err, size_t errlen);

struct passgate_pubkey *passgate_pubkey_load(const char *path, char *err,
					     size_t errlen);
void passgate_pubkey_free(struct passgate_pubkey *pub);
const uint8_t *passgate_pubkey_id(const struct passgate_pubkey *pub);

/*
 * A trust store: the public keys whose signatures are accepted, several
 * at once so that an issuer key can be rotated.  Lookup is by the key id
 * a signature names.
 */
struct passgate_trust *passgate_trust_new(void);
/* New store holding every *.pub file of @dir; refuses an empty @dir. */
struct passgate_trust *passgate_trust_open(const char *dir, char *err,
					   size_t errlen);
/* Add a copy of @pub; a different key with the same id is refused. */
int passgate_trust_add(struct passgate_trust *trust,
		       const struct passgate_pubkey *pub, char *err,
		       size_t errlen);
size_t passgate_trust_count(const struct passgate_trust *trust);
/* NULL (errno ENOKEY) when no key has @key_id. */
const struct passgate_pubkey *passgate_trust_find(const struct passgate_trust *trust,
						  const uint8_t *key_id);
void passgate_trust_free(struct passgate_trust *trust);

/* A .minisig file, parsed; a legacy "Ed" signature is refused here. */
struct passgate_signature *passgate_signature_load(const char *path,
						   char *err, size_t errlen);
void passgate_signature_free(struct passgate_signature *sig);
const uint8_t *passgate_signature_key_id(const struct passgate_signature *sig);
/* The trusted comment (not yet verified until _verify() succeeded). */
const char *passgate_signature_trusted_comment(const struct passgate_signature *sig);
/*
 * Check @sig over @prehash (BLAKE2b-512 of the file) and over its trusted
 * comment, with the key of @trust that the signature names.
 */
int passgate_signature_verify(const struct passgate_signature *sig,
			      const struct passgate_trust *trust,
			      const uint8_t *prehash, char *err, size_t errlen);
/*
 * Load @sig_path, hash the file at @path as a stream and verify; on
 * success copy the trusted comment to @comment (@comment_len bytes, may
 * be 0).  The convenience form of the three calls above.
 */
int passgate_signature_verify_file(const char *path, const char *sig_path,
				   const struct passgate_trust *trust,
				   char *comment, size_t comment_len,
				   char *err, size_t errlen);

/* Key ids are shown as minisign shows them: 16 hex digits, little-endian. */
#define PASSGATE_KEY_ID_HEX (2 * PASSGATE_KEY_ID_SIZE + 1)
void passgate_key_id_format(const uint8_t *key_id,
			    char out[PASSGATE_KEY_ID_HEX]);

#endif
