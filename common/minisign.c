// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * minisign's formats, byte for byte (all fields as stored, multi-byte
 * numbers little-endian):
 *
 *   public key  "Ed" key_id[8] pk[32]
 *   secret key  "Ed" kdf[2] "B2" salt[32] opslimit[8] memlimit[8]
 *               key_id[8] sk[64] checksum[32]
 *   signature   "ED" key_id[8] sig[64], then the trusted comment and
 *               global_sig[64] = Ed25519(sig || trusted comment)
 *
 * each base64 on the line after an "untrusted comment: " line.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fail.h"
#include "file.h"
#include "minisign.h"

#define SIG_ALG "Ed"
#define SIG_ALG_HASHED "ED"
#define KDF_NONE "\0\0"
#define KDF_SCRYPT "Sc"
#define CHK_ALG "B2"
#define COMMENT_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "

#define PK_BYTES crypto_sign_PUBLICKEYBYTES
#define SK_BYTES crypto_sign_SECRETKEYBYTES
#define SIG_BYTES crypto_sign_BYTES
#define CHK_BYTES crypto_generichash_BYTES

/* Offsets in the decoded key and signature blobs. */
#define PUB_ID 2
#define PUB_PK (PUB_ID + PASSGATE_KEY_ID_SIZE)
#define PUB_SIZE (PUB_PK + PK_BYTES)

#define SEC_KDF 2
#define SEC_CHK_ALG 4
#define SEC_SALT 6
#define SEC_OPSLIMIT (SEC_SALT + crypto_pwhash_scryptsalsa208sha256_SALTBYTES)
#define SEC_MEMLIMIT (SEC_OPSLIMIT + 8)
#define SEC_ID (SEC_MEMLIMIT + 8)
#define SEC_SK (SEC_ID + PASSGATE_KEY_ID_SIZE)
#define SEC_CHK (SEC_SK + SK_BYTES)
#define SEC_SIZE (SEC_CHK + CHK_BYTES)

#define SIGF_ID 2
#define SIGF_SIG (SIGF_ID + PASSGATE_KEY_ID_SIZE)
#define SIGF_SIZE (SIGF_SIG + SIG_BYTES)

/* Key and signature files are a few lines; a bigger one is not one. */
#define KEY_FILE_MAX 4096
#define SIG_FILE_MAX (PASSGATE_TRUSTED_COMMENT_MAX + 1024)
#define HASH_CHUNK (64 * 1024)

struct passgate_pubkey {
	uint8_t key_id[PASSGATE_KEY_ID_SIZE];
	uint8_t pk[PK_BYTES];
};

/* Allocated with sodium_malloc(): guarded, and wiped when freed. */
struct passgate_seckey {
	uint8_t key_id[PASSGATE_KEY_ID_SIZE];
	uint8_t sk[SK_BYTES];
};

struct passgate_trust {
	struct passgate_pubkey *keys;
	size_t count;
};

struct passgate_signature {
	uint8_t key_id[PASSGATE_KEY_ID_SIZE];
	uint8_t sig[SIG_BYTES];
	uint8_t global_sig[SIG_BYTES];
	char comment[PASSGATE_TRUSTED_COMMENT_MAX];
};

static int sodium_ready(char *err, size_t errlen)
{
	if (sodium_init() < 0)
		return passgate_fail(err, errlen, EIO, "libsodium failed to initialise");
	return 0;
}

void passgate_key_id_format(const uint8_t *key_id,
			    char out[PASSGATE_KEY_ID_HEX])
{
	int i;

	for (i = 0; i < PASSGATE_KEY_ID_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02X",
			 key_id[PASSGATE_KEY_ID_SIZE - 1 - i]);
}

/*
 * A key or signature file, whole: its length, or -1 with the reason.  A
 * secret key must be its owner's alone.
 */
static ssize_t read_small(const char *path, const char *what, char *buf,
			  size_t size, char *err, size_t errlen)
{
	ssize_t n = strcmp(what, "secret key") ?
		    passgate_file_read_small(path, buf, size) :
		    passgate_file_read_secret(path, buf, size);

	if (n >= 0)
		return n;
	if (errno == EFBIG)
		return passgate_fail(err, errlen, EBADMSG,
				     "%s: %s: larger than %zu bytes, not a minisign file",
				     what, path, size - 1);
	return passgate_fail(err, errlen, errno, "%s: %s: %s", what, path,
			     passgate_file_strerror(errno));
}

/*
 * Cut the next line off *@cursor: returns it without "\n" or "\r\n", or
 * NULL at the end of the text.
 */
static char *next_line(char **cursor)
{
	char *line = *cursor, *end;
	size_t len;

	if (!line || !*line)
		return NULL;
	end = strchr(line, '\n');
	if (end) {
		*end = '\0';
		*cursor = end + 1;
	} else {
		*cursor = line + strlen(line);
	}
	len = strlen(line);
	if (len && line[len - 1] == '\r')
		line[len - 1] = '\0';
	return line;
}

/* Decode a base64 line that must hold exactly @size bytes. */
static int decode_line(const char *line, uint8_t *out, size_t size)
{
	size_t len;

	if (!line || sodium_base642bin(out, size, line, strlen(line), NULL,
				       &len, NULL,
				       sodium_base64_VARIANT_ORIGINAL) ||
	    len != size)
		return -1;
	return 0;
}

/*
 * The comment line and the base64 line of a key file, decoded into
 * @blob; @text is modified.
 */
static int key_file_blob(char *text, const char *what, const char *path,
			 uint8_t *blob, size_t size, char *err, size_t errlen)
{
	char *cursor = text, *comment, *b64;

	comment = next_line(&cursor);
	if (!comment || strncmp(comment, COMMENT_PREFIX,
				sizeof(COMMENT_PREFIX) - 1))
		return passgate_fail(err, errlen, EBADMSG,
				     "%s: %s: first line is not \"" COMMENT_PREFIX "...\"",
				     what, path);
	b64 = next_line(&cursor);
	if (decode_line(b64, blob, size))
		return passgate_fail(err, errlen, EBADMSG,
				     "%s: %s: second line is not a base64 minisign %s",
				     what, path, what);
	return 0;
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void seckey_checksum(const uint8_t *blob, uint8_t chk[CHK_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, CHK_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)SIG_ALG, 2);
	crypto_generichash_update(&st, blob + SEC_ID, PASSGATE_KEY_ID_SIZE);
	crypto_generichash_update(&st, blob + SEC_SK, SK_BYTES);
	crypto_generichash_final(&st, chk, CHK_BYTES);
}

/* Undo minisign's password encryption of key_id || sk || checksum. */
static int seckey_decrypt(uint8_t *blob, const char *path, char *err,
			  size_t errlen)
{
	const size_t len = SEC_SIZE - SEC_ID;
	const char *password = getenv(PASSGATE_KEY_PASSWORD_ENV);
	uint64_t opslimit, memlimit;
	uint8_t *stream;
	size_t i;

	if (!password)
		return passgate_fail(err, errlen, EACCES,
				     "secret key: %s is encrypted with a password: set "
				     PASSGATE_KEY_PASSWORD_ENV
				     ", or store it unencrypted (minisign -C -W)", path);
	opslimit = load_le64(blob + SEC_OPSLIMIT);
	memlimit = load_le64(blob + SEC_MEMLIMIT);
	if (memlimit > SIZE_MAX)
		return passgate_fail(err, errlen, EBADMSG,
				     "secret key: %s: scrypt memory limit %" PRIu64
				     " is too large", path, memlimit);
	stream = sodium_malloc(len);
	if (!stream)
		return passgate_fail(err, errlen, ENOMEM, "secret key: out of memory");
	if (crypto_pwhash_scryptsalsa208sha256(stream, len, password,
					       strlen(password),
					       blob + SEC_SALT, opslimit,
					       memlimit)) {
		sodium_free(stream);
		return passgate_fail(err, errlen, ENOMEM,
				     "secret key: %s: scrypt key derivation failed (out of memory?)",
				     path);
	}
	for (i = 0; i < len; i++)
		blob[SEC_ID + i] ^= stream[i];
	sodium_free(stream);
	return 0;
}

struct passgate_seckey *passgate_seckey_load(const char *path, char *err,
					     size_t errlen)
{
	struct passgate_seckey *sec = NULL;
	uint8_t chk[CHK_BYTES], pk[PK_BYTES], seed_sk[SK_BYTES];
	static const uint8_t zero[CHK_BYTES];
	char *text;
	uint8_t *blob;
	int encrypted;

	if (sodium_ready(err, errlen))
		return NULL;
	text = sodium_malloc(KEY_FILE_MAX);
	blob = sodium_malloc(SEC_SIZE);
	if (!text || !blob) {
		passgate_fail(err, errlen, ENOMEM, "secret key: out of memory");
		goto out_free;
	}
	if (read_small(path, "secret key", text, KEY_FILE_MAX, err, errlen) < 0 ||
	    key_file_blob(text, "secret key", path, blob, SEC_SIZE, err,
			  errlen))
		goto out_free;
	if (memcmp(blob, SIG_ALG, 2)) {
		passgate_fail(err, errlen, EBADMSG,
			      "secret key: %s: unsupported signature algorithm", path);
		goto out_free;
	}
	if (memcmp(blob + SEC_CHK_ALG, CHK_ALG, 2)) {
		passgate_fail(err, errlen, EBADMSG,
			      "secret key: %s: unsupported checksum algorithm", path);
		goto out_free;
	}
	encrypted = !memcmp(blob + SEC_KDF, KDF_SCRYPT, 2);
	if (!encrypted && memcmp(blob + SEC_KDF, KDF_NONE, 2)) {
		passgate_fail(err, errlen, EBADMSG,
			      "secret key: %s: unsupported key derivation function", path);
		goto out_free;
	}
	if (encrypted && seckey_decrypt(blob, path, err, errlen))
		goto out_free;
	/*
	 * minisign leaves the checksum of an unencrypted key all zero (it is
	 * only computed when encrypting); a non-zero one must match.
	 */
	seckey_checksum(blob, chk);
	if ((encrypted || sodium_memcmp(blob + SEC_CHK, zero, CHK_BYTES)) &&
	    sodium_memcmp(blob + SEC_CHK, chk, CHK_BYTES)) {
		passgate_fail(err, errlen, encrypted ? EACCES : EBADMSG,
			      encrypted ? "secret key: %s: wrong password (checksum mismatch)"
			      : "secret key: %s: checksum mismatch, the file is damaged",
			      path);
		goto out_wipe;
	}
	/* The Ed25519 secret key is seed || public key: they must agree. */
	crypto_sign_seed_keypair(pk, seed_sk, blob + SEC_SK);
	if (sodium_memcmp(pk, blob + SEC_SK + crypto_sign_SEEDBYTES, PK_BYTES)) {
		passgate_fail(err, errlen, EBADMSG,
			      "secret key: %s: the key's two halves disagree, the file is damaged",
			      path);
		goto out_wipe;
	}
	sec = sodium_malloc(sizeof(*sec));
	if (!sec) {
		passgate_fail(err, errlen, ENOMEM, "secret key: out of memory");
		goto out_wipe;
	}
	memcpy(sec->key_id, blob + SEC_ID, PASSGATE_KEY_ID_SIZE);
	memcpy(sec->sk, blob + SEC_SK, SK_BYTES);
out_wipe:
	sodium_memzero(seed_sk, sizeof(seed_sk));
	sodium_memzero(chk, sizeof(chk));
out_free:
	sodium_free(blob);
	sodium_free(text);
	return sec;
}

void passgate_seckey_free(struct passgate_seckey *sec)
{
	if (sec)
		sodium_free(sec);
}

const uint8_t *passgate_seckey_id(const struct passgate_seckey *sec)
{
	return sec->key_id;
}

struct passgate_pubkey *passgate_seckey_pubkey(const struct passgate_seckey *sec)
{
	struct passgate_pubkey *pub = calloc(1, sizeof(*pub));

	if (!pub)
		return NULL;
	memcpy(pub->key_id, sec->key_id, PASSGATE_KEY_ID_SIZE);
	crypto_sign_ed25519_sk_to_pk(pub->pk, sec->sk);
	return pub;
}

/* "untrusted comment: ...\n" + base64(@blob) + "\n" into @fd. */
static int write_blob_lines(int fd, const char *comment, const uint8_t *blob,
			    size_t size)
{
	char b64[sodium_base64_ENCODED_LEN(SEC_SIZE,
					   sodium_base64_VARIANT_ORIGINAL)];
	int ret;

	sodium_bin2base64(b64, sizeof(b64), blob, size,
			  sodium_base64_VARIANT_ORIGINAL);
	ret = passgate_file_write_all(fd, COMMENT_PREFIX, strlen(COMMENT_PREFIX)) ||
	      passgate_file_write_all(fd, comment, strlen(comment)) ||
	      passgate_file_write_all(fd, "\n", 1) ||
	      passgate_file_write_all(fd, b64, strlen(b64)) ||
	      passgate_file_write_all(fd, "\n", 1);
	sodium_memzero(b64, sizeof(b64));
	return ret ? -1 : 0;
}

/* Create @path (which must not exist) holding one key blob. */
static int write_key_file(const char *path, mode_t mode, const char *comment,
			  const uint8_t *blob, size_t size, char *err,
			  size_t errlen)
{
	int fd, e;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return passgate_fail(err, errlen, errno, "%s: %s", path,
				     errno == EEXIST ? "exists, not overwritten"
				     : strerror(errno));
	if (write_blob_lines(fd, comment, blob, size) || fsync(fd)) {
		e = errno;
		close(fd);
		unlink(path);
		return passgate_fail(err, errlen, e, "%s: %s", path, strerror(e));
	}
	if (close(fd)) {
		e = errno;
		unlink(path);
		return passgate_fail(err, errlen, e, "%s: %s", path, strerror(e));
	}
	return 0;
}

int passgate_seckey_generate(const char *pub_path, const char *sec_path,
			     char *err, size_t errlen)
{
	uint8_t pub_blob[PUB_SIZE];
	char comment[64], id[PASSGATE_KEY_ID_HEX];
	uint8_t *blob;
	int ret = -1;

	if (sodium_ready(err, errlen))
		return -1;
	if (!access(pub_path, F_OK))
		return passgate_fail(err, errlen, EEXIST, "%s: exists, not overwritten",
				     pub_path);
	blob = sodium_malloc(SEC_SIZE);
	if (!blob)
		return passgate_fail(err, errlen, ENOMEM, "out of memory");
	memset(blob, 0, SEC_SIZE);
	memcpy(blob, SIG_ALG, 2);
	memcpy(blob + SEC_KDF, KDF_NONE, 2);
	memcpy(blob + SEC_CHK_ALG, CHK_ALG, 2);
	randombytes_buf(blob + SEC_ID, PASSGATE_KEY_ID_SIZE);
	crypto_sign_keypair(pub_blob + PUB_PK, blob + SEC_SK);
	seckey_checksum(blob, blob + SEC_CHK);
	memcpy(pub_blob, SIG_ALG, 2);
	memcpy(pub_blob + PUB_ID, blob + SEC_ID, PASSGATE_KEY_ID_SIZE);

	passgate_key_id_format(blob + SEC_ID, id);
	snprintf(comment, sizeof(comment), "minisign public key %s", id);
	if (write_key_file(sec_path, 0600,
			   "minisign secret key (unencrypted)", blob, SEC_SIZE,
			   err, errlen))
		goto out_free;
	if (write_key_file(pub_path, 0644, comment, pub_blob, PUB_SIZE, err,
			   errlen)) {
		unlink(sec_path);
		goto out_free;
	}
	ret = 0;
out_free:
	sodium_free(blob);
	return ret;
}

struct passgate_pubkey *passgate_pubkey_load(const char *path, char *err,
					     size_t errlen)
{
	uint8_t blob[PUB_SIZE];
	char text[KEY_FILE_MAX];
	struct passgate_pubkey *pub;

	if (sodium_ready(err, errlen) ||
	    read_small(path, "public key", text, sizeof(text), err, errlen) < 0 ||
	    key_file_blob(text, "public key", path, blob, sizeof(blob), err,
			  errlen))
		return NULL;
	if (memcmp(blob, SIG_ALG, 2)) {
		passgate_fail(err, errlen, EBADMSG,
			      "public key: %s: unsupported signature algorithm", path);
		return NULL;
	}
	pub = calloc(1, sizeof(*pub));
	if (!pub) {
		passgate_fail(err, errlen, ENOMEM, "public key: out of memory");
		return NULL;
	}
	memcpy(pub->key_id, blob + PUB_ID, PASSGATE_KEY_ID_SIZE);
	memcpy(pub->pk, blob + PUB_PK, PK_BYTES);
	return pub;
}

void passgate_pubkey_free(struct passgate_pubkey *pub)
{
	free(pub);
}

const uint8_t *passgate_pubkey_id(const struct passgate_pubkey *pub)
{
	return pub->key_id;
}

struct passgate_trust *passgate_trust_new(void)
{
	return calloc(1, sizeof(struct passgate_trust));
}

int passgate_trust_add(struct passgate_trust *trust,
		       const struct passgate_pubkey *pub, char *err,
		       size_t errlen)
{
	const struct passgate_pubkey *have;
	struct passgate_pubkey *keys;
	char id[PASSGATE_KEY_ID_HEX];

	have = passgate_trust_find(trust, pub->key_id);
	if (have) {
		if (!memcmp(have->pk, pub->pk, PK_BYTES))
			return 0;
		passgate_key_id_format(pub->key_id, id);
		return passgate_fail(err, errlen, EBADMSG,
				     "trust: two different keys have the key id %s", id);
	}
	keys = realloc(trust->keys, (trust->count + 1) * sizeof(*keys));
	if (!keys)
		return passgate_fail(err, errlen, ENOMEM, "trust: out of memory");
	keys[trust->count++] = *pub;
	trust->keys = keys;
	return 0;
}

static int is_pub_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 4 && !strcmp(name + len - 4, ".pub");
}

struct passgate_trust *passgate_trust_open(const char *dir, char *err,
					   size_t errlen)
{
	struct passgate_trust *trust;
	struct passgate_pubkey *pub;
	struct dirent *de;
	char path[4096];
	DIR *d;
	int e;

	trust = passgate_trust_new();
	if (!trust) {
		passgate_fail(err, errlen, ENOMEM, "trust: out of memory");
		return NULL;
	}
	d = opendir(dir);
	if (!d) {
		passgate_fail(err, errlen, errno, "trust: %s: %s", dir, strerror(errno));
		goto out_free;
	}
	while ((errno = 0, de = readdir(d))) {
		if (!is_pub_name(de->d_name))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name) >= sizeof(path)) {
			passgate_fail(err, errlen, ENAMETOOLONG, "trust: %s/%s: name too long",
				      dir, de->d_name);
			goto out_close;
		}
		pub = passgate_pubkey_load(path, err, errlen);
		if (!pub)
			goto out_close;
		e = passgate_trust_add(trust, pub, err, errlen);
		passgate_pubkey_free(pub);
		if (e)
			goto out_close;
	}
	if (errno) {
		passgate_fail(err, errlen, errno, "trust: %s: %s", dir, strerror(errno));
		goto out_close;
	}
	closedir(d);
	if (!trust->count) {
		passgate_fail(err, errlen, ENOKEY, "trust: %s: no *.pub key in it", dir);
		goto out_free;
	}
	return trust;

out_close:
	e = errno;
	closedir(d);
	errno = e;
out_free:
	e = errno;
	passgate_trust_free(trust);
	errno = e;
	return NULL;
}

size_t passgate_trust_count(const struct passgate_trust *trust)
{
	return trust->count;
}

const struct passgate_pubkey *passgate_trust_find(const struct passgate_trust *trust,
						  const uint8_t *key_id)
{
	size_t i;

	for (i = 0; i < trust->count; i++)
		if (!memcmp(trust->keys[i].key_id, key_id, PASSGATE_KEY_ID_SIZE))
			return &trust->keys[i];
	errno = ENOKEY;
	return NULL;
}

void passgate_trust_free(struct passgate_trust *trust)
{
	if (!trust)
		return;
	free(trust->keys);
	free(trust);
}

struct passgate_signature *passgate_signature_load(const char *path,
						   char *err, size_t errlen)
{
	struct passgate_signature *sig;
	uint8_t blob[SIGF_SIZE];
	char *text, *cursor, *line;

	if (sodium_ready(err, errlen))
		return NULL;
	sig = calloc(1, sizeof(*sig));
	text = malloc(SIG_FILE_MAX);
	if (!sig || !text) {
		passgate_fail(err, errlen, ENOMEM, "signature: out of memory");
		goto out_free;
	}
	if (read_small(path, "signature", text, SIG_FILE_MAX, err, errlen) < 0)
		goto out_free;
	cursor = text;
	line = next_line(&cursor);
	if (!line || strncmp(line, COMMENT_PREFIX, sizeof(COMMENT_PREFIX) - 1)) {
		passgate_fail(err, errlen, EBADMSG,
			      "signature: %s: first line is not \"" COMMENT_PREFIX "...\"",
			      path);
		goto out_free;
	}
	if (decode_line(next_line(&cursor), blob, sizeof(blob))) {
		passgate_fail(err, errlen, EBADMSG,
			      "signature: %s: second line is not a base64 minisign signature",
			      path);
		goto out_free;
	}
	if (!memcmp(blob, SIG_ALG, 2)) {
		passgate_fail(err, errlen, EBADMSG,
			      "signature: %s: legacy (not prehashed) minisign signature; "
			      "only prehashed ones are accepted: sign without -l", path);
		goto out_free;
	}
	if (memcmp(blob, SIG_ALG_HASHED, 2)) {
		passgate_fail(err, errlen, EBADMSG,
			      "signature: %s: unsupported signature algorithm", path);
		goto out_free;
	}
	memcpy(sig->key_id, blob + SIGF_ID, PASSGATE_KEY_ID_SIZE);
	memcpy(sig->sig, blob + SIGF_SIG, SIG_BYTES);
	line = next_line(&cursor);
	if (!line || strncmp(line, TRUSTED_PREFIX, sizeof(TRUSTED_PREFIX) - 1)) {
		passgate_fail(err, errlen, EBADMSG,
			      "signature: %s: third line is not \"" TRUSTED_PREFIX "...\"",
			      path);
		goto out_free;
	}
	line += sizeof(TRUSTED_PREFIX) - 1;
	if (strlen(line) >= sizeof(sig->comment)) {
		passgate_fail(err, errlen, EBADMSG, "signature: %s: trusted comment too long",
			      path);
		goto out_free;
	}
	strcpy(sig->comment, line);
	if (decode_line(next_line(&cursor), sig->global_sig, SIG_BYTES)) {
		passgate_fail(err, errlen, EBADMSG,
			      "signature: %s: fourth line is not a base64 comment signature",
			      path);
		goto out_free;
	}
	while ((line = next_line(&cursor)))
		if (*line) {
			passgate_fail(err, errlen, EBADMSG,
				      "signature: %s: unexpected text after the comment signature",
				      path);
			goto out_free;
		}
	free(text);
	return sig;

out_free:
	free(text);
	free(sig);
	return NULL;
}

void passgate_signature_free(struct passgate_signature *sig)
{
	free(sig);
}

const uint8_t *passgate_signature_key_id(const struct passgate_signature *sig)
{
	return sig->key_id;
}

const char *passgate_signature_trusted_comment(const struct passgate_signature *sig)
{
	return sig->comment;
}

/* sig || trusted comment: what the global signature covers. */
static uint8_t *comment_message(const uint8_t *sig, const char *comment,
				size_t *len)
{
	size_t clen = strlen(comment);
	uint8_t *msg = malloc(SIG_BYTES + clen);

	if (!msg)
		return NULL;
	memcpy(msg, sig, SIG_BYTES);
	memcpy(msg + SIG_BYTES, comment, clen);
	*len = SIG_BYTES + clen;
	return msg;
}

int passgate_signature_verify(const struct passgate_signature *sig,
			      const struct passgate_trust *trust,
			      const uint8_t *prehash, char *err, size_t errlen)
{
	const struct passgate_pubkey *pub;
	char id[PASSGATE_KEY_ID_HEX];
	uint8_t *msg;
	size_t len;
	int bad;

	pub = passgate_trust_find(trust, sig->key_id);
	if (!pub) {
		passgate_key_id_format(sig->key_id, id);
		return passgate_fail(err, errlen, ENOKEY,
				     "signature: unknown key id %s (not in the trust store)",
				     id);
	}
	if (crypto_sign_verify_detached(sig->sig, prehash, PASSGATE_PREHASH_SIZE,
					pub->pk))
		return passgate_fail(err, errlen, EKEYREJECTED,
				     "signature: does not verify: the file was modified or signed by another key");
	msg = comment_message(sig->sig, sig->comment, &len);
	if (!msg)
		return passgate_fail(err, errlen, ENOMEM, "signature: out of memory");
	bad = crypto_sign_verify_detached(sig->global_sig, msg, len, pub->pk);
	free(msg);
	if (bad)
		return passgate_fail(err, errlen, EKEYREJECTED,
				     "signature: the trusted comment's signature does not verify: the comment was modified");
	return 0;
}

/* BLAKE2b-512 of everything @fd reads, in chunks. */
static int prehash_fd(int fd, const char *path, uint8_t *out, char *err,
		      size_t errlen)
{
	crypto_generichash_blake2b_state st;
	uint8_t *buf;
	ssize_t n;

	buf = malloc(HASH_CHUNK);
	if (!buf)
		return passgate_fail(err, errlen, ENOMEM, "out of memory");
	crypto_generichash_blake2b_init(&st, NULL, 0, PASSGATE_PREHASH_SIZE);
	for (;;) {
		n = read(fd, buf, HASH_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return passgate_fail(err, errlen, e, "%s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		crypto_generichash_blake2b_update(&st, buf, n);
	}
	free(buf);
	crypto_generichash_blake2b_final(&st, out, PASSGATE_PREHASH_SIZE);
	return 0;
}

static int prehash_file(const char *path, uint8_t *out, char *err,
			size_t errlen)
{
	int fd, ret;

	fd = passgate_file_open_regular(path, NULL);
	if (fd < 0)
		return passgate_fail(err, errlen, errno, "%s: %s", path,
				     passgate_file_strerror(errno));
	ret = prehash_fd(fd, path, out, err, errlen);
	close(fd);
	return ret;
}

int passgate_signature_verify_file(const char *path, const char *sig_path,
				   const struct passgate_trust *trust,
				   char *comment, size_t comment_len,
				   char *err, size_t errlen)
{
	uint8_t prehash[PASSGATE_PREHASH_SIZE];
	struct passgate_signature *sig;
	int ret;

	sig = passgate_signature_load(sig_path, err, errlen);
	if (!sig)
		return -1;
	ret = prehash_file(path, prehash, err, errlen);
	if (!ret)
		ret = passgate_signature_verify(sig, trust, prehash, err, errlen);
	if (!ret && comment_len)
		snprintf(comment, comment_len, "%s", sig->comment);
	passgate_signature_free(sig);
	return ret;
}

int passgate_seckey_sign_file(const struct passgate_seckey *sec,
			      const char *path, const char *trusted_comment,
			      const char *sig_path, char *err, size_t errlen)
{
	uint8_t prehash[PASSGATE_PREHASH_SIZE], blob[SIGF_SIZE];
	uint8_t global_sig[SIG_BYTES];
	char blob_b64[sodium_base64_ENCODED_LEN(SIGF_SIZE,
						sodium_base64_VARIANT_ORIGINAL)];
	char global_b64[sodium_base64_ENCODED_LEN(SIG_BYTES,
						  sodium_base64_VARIANT_ORIGINAL)];
	char id[PASSGATE_KEY_ID_HEX];
	char *text;
	uint8_t *msg;
	size_t len;
	int ret;

	if (sodium_ready(err, errlen))
		return -1;
	if (strpbrk(trusted_comment, "\r\n") ||
	    strlen(trusted_comment) >= PASSGATE_TRUSTED_COMMENT_MAX)
		return passgate_fail(err, errlen, EINVAL,
				     "signature: the trusted comment must be one line of less than %d bytes",
				     PASSGATE_TRUSTED_COMMENT_MAX);
	if (prehash_file(path, prehash, err, errlen))
		return -1;
	memcpy(blob, SIG_ALG_HASHED, 2);
	memcpy(blob + SIGF_ID, sec->key_id, PASSGATE_KEY_ID_SIZE);
	crypto_sign_detached(blob + SIGF_SIG, NULL, prehash, sizeof(prehash),
			     sec->sk);
	msg = comment_message(blob + SIGF_SIG, trusted_comment, &len);
	if (!msg)
		return passgate_fail(err, errlen, ENOMEM, "out of memory");
	crypto_sign_detached(global_sig, NULL, msg, len, sec->sk);
	free(msg);

	sodium_bin2base64(blob_b64, sizeof(blob_b64), blob, sizeof(blob),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(global_b64, sizeof(global_b64), global_sig,
			  sizeof(global_sig), sodium_base64_VARIANT_ORIGINAL);
	passgate_key_id_format(sec->key_id, id);
	if (asprintf(&text,
		     COMMENT_PREFIX "signature from minisign secret key %s\n"
		     "%s\n" TRUSTED_PREFIX "%s\n%s\n",
		     id, blob_b64, trusted_comment, global_b64) < 0)
		return passgate_fail(err, errlen, ENOMEM, "out of memory");
	ret = passgate_file_replace(sig_path, text, strlen(text), 0644);
	if (ret)
		passgate_fail(err, errlen, errno, "%s: %s", sig_path,
			      strerror(errno));
	free(text);
	return ret;
}
