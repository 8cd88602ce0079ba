// SPDX-License-Identifier: GPL-2.0-only
/* HTTP Basic against Argon2id hashes (auth.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "common/file.h"
#include "auth.h"

#define USERS_FILE_MAX (AUTH_USERS_MAX * (AUTH_NAME_MAX + crypto_pwhash_STRBYTES + 2))
#define CACHE_SLOTS 64

struct auth_user {
	char name[AUTH_NAME_MAX + 1];
	char hash[crypto_pwhash_STRBYTES];
};

struct auth_cached {
	uint8_t digest[crypto_generichash_BYTES];
	char name[AUTH_NAME_MAX + 1];
	time_t until;		/* CLOCK_MONOTONIC seconds; 0: empty */
};

struct auth {
	struct auth_user user[AUTH_USERS_MAX];
	size_t count;
	/* verified against when the name is not a user's: the same time */
	char decoy[crypto_pwhash_STRBYTES];
	uint8_t key[crypto_generichash_KEYBYTES];
	pthread_mutex_t cache_lock;
	struct auth_cached cache[CACHE_SLOTS];
	pthread_mutex_t argon_lock;
};

static bool valid_name(const char *s, size_t len)
{
	if (!len || len > AUTH_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static time_t monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* One line "NAME:HASH" into @u; NULL, or what is wrong with it. */
static const char *parse_user(struct auth *a, char *line,
			      struct auth_user *u)
{
	char *colon = strchr(line, ':');
	size_t n;

	if (!colon || !valid_name(line, colon - line))
		return "not NAME:HASH with a NAME of [A-Za-z0-9._-]{1,64}";
	*colon = '\0';
	for (size_t i = 0; i < a->count; i++)
		if (!strcmp(a->user[i].name, line))
			return "a second line for this name";
	n = strlen(colon + 1);
	/* Argon2id only: libsodium would take argon2i hashes too. */
	if (strncmp(colon + 1, crypto_pwhash_STRPREFIX,
		    strlen(crypto_pwhash_STRPREFIX)) ||
	    n >= sizeof(u->hash))
		return "the hash is not an Argon2id string"
		       " (passgate-overview --hash-password)";
	snprintf(u->name, sizeof(u->name), "%s", line);
	memcpy(u->hash, colon + 1, n + 1);
	return NULL;
}

struct auth *auth_load(const char *path, char *err, size_t errlen)
{
	struct auth *a;
	char *text, *line, *next;
	const char *why;
	unsigned int lineno = 0;
	ssize_t len;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium did not start");
		return NULL;
	}
	text = malloc(USERS_FILE_MAX);
	a = calloc(1, sizeof(*a));
	if (!text || !a) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto free_all;
	}
	len = passgate_file_read_secret(path, text, USERS_FILE_MAX);
	if (len < 0) {
		snprintf(err, errlen, "%s: %s", path, errno == EPERM ?
			 "group or others may read it (chmod 600)" :
			 passgate_file_strerror(errno));
		goto free_all;
	}
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (!*line || *line == '#')
			continue;
		if (a->count == AUTH_USERS_MAX) {
			snprintf(err, errlen, "%s:%u: more than %d users",
				 path, lineno, AUTH_USERS_MAX);
			goto free_all;
		}
		why = parse_user(a, line, &a->user[a->count]);
		if (why) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto free_all;
		}
		a->count++;
	}
	if (!a->count) {
		snprintf(err, errlen, "%s: no user", path);
		goto free_all;
	}
	/* The decoy costs what a real user's hash costs. */
	randombytes_buf(a->key, sizeof(a->key));
	if (crypto_pwhash_str(a->decoy, (const char *)a->key, sizeof(a->key),
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE)) {
		snprintf(err, errlen, "Argon2id: out of memory");
		goto free_all;
	}
	randombytes_buf(a->key, sizeof(a->key));
	pthread_mutex_init(&a->cache_lock, NULL);
	pthread_mutex_init(&a->argon_lock, NULL);
	sodium_memzero(text, USERS_FILE_MAX);
	free(text);
	return a;
free_all:
	free(text);
	free(a);
	return NULL;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->cache_lock);
	pthread_mutex_destroy(&a->argon_lock);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

/* A cached verification of @digest: its user's name into @user. */
static bool cached(struct auth *a, const uint8_t *digest, char *user,
		   size_t userlen)
{
	time_t now = monotonic_s();
	bool hit = false;

	pthread_mutex_lock(&a->cache_lock);
	for (size_t i = 0; i < CACHE_SLOTS && !hit; i++) {
		struct auth_cached *c = &a->cache[i];

		if (c->until > now && !sodium_memcmp(c->digest, digest,
						      sizeof(c->digest))) {
			snprintf(user, userlen, "%s", c->name);
			hit = true;
		}
	}
	pthread_mutex_unlock(&a->cache_lock);
	return hit;
}

static void remember(struct auth *a, const uint8_t *digest, const char *user)
{
	time_t now = monotonic_s();
	struct auth_cached *slot = &a->cache[0];

	pthread_mutex_lock(&a->cache_lock);
	/* an empty or expired slot, else the one expiring first */
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		if (a->cache[i].until <= now) {
			slot = &a->cache[i];
			break;
		}
		if (a->cache[i].until < slot->until)
			slot = &a->cache[i];
	}
	memcpy(slot->digest, digest, sizeof(slot->digest));
	snprintf(slot->name, sizeof(slot->name), "%s", user);
	slot->until = now + AUTH_CACHE_S;
	pthread_mutex_unlock(&a->cache_lock);
}

int auth_check(struct auth *a, const char *header, char *user,
	       size_t userlen)
{
	uint8_t digest[crypto_generichash_BYTES];
	char decoded[AUTH_NAME_MAX + 1 + AUTH_PASSWORD_MAX + 1];
	const char *hash = a->decoy, *b64;
	size_t len, n;
	char *colon;
	int ok;

	user[0] = '\0';
	if (!header || strncasecmp(header, "Basic ", 6))
		return 0;
	for (b64 = header + 6; *b64 == ' '; b64++)
		;
	n = strlen(b64);
	if (!n || n > 4 * (sizeof(decoded) / 3))
		return 0;
	crypto_generichash(digest, sizeof(digest), (const uint8_t *)b64, n,
			   a->key, sizeof(a->key));
	if (cached(a, digest, user, userlen))
		return 1;
	if (sodium_base642bin((unsigned char *)decoded, sizeof(decoded) - 1,
			      b64, n, NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL))
		return 0;
	decoded[len] = '\0';
	colon = memchr(decoded, ':', len);
	if (!colon || strlen(decoded) != len)
		goto wrong;
	*colon = '\0';
	if (!valid_name(decoded, colon - decoded))
		goto wrong;
	snprintf(user, userlen, "%s", decoded);
	for (size_t i = 0; i < a->count; i++)
		if (!strcmp(a->user[i].name, decoded))
			hash = a->user[i].hash;
	pthread_mutex_lock(&a->argon_lock);
	ok = !crypto_pwhash_str_verify(hash, colon + 1, strlen(colon + 1)) &&
	     hash != a->decoy;
	pthread_mutex_unlock(&a->argon_lock);
	sodium_memzero(decoded, sizeof(decoded));
	if (ok)
		remember(a, digest, user);
	return ok;
wrong:
	sodium_memzero(decoded, sizeof(decoded));
	return 0;
}

int auth_hash_line(const char *name, FILE *in, FILE *out, char *err,
		   size_t errlen)
{
	char password[AUTH_PASSWORD_MAX + 2];
	char hash[crypto_pwhash_STRBYTES];
	size_t n;

	if (!valid_name(name, strlen(name))) {
		snprintf(err, errlen, "%s: not a user name ([A-Za-z0-9._-]"
			 "{1,64})", name);
		return -1;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium did not start");
		return -1;
	}
	if (!fgets(password, sizeof(password), in)) {
		snprintf(err, errlen, "no password on standard input");
		return -1;
	}
	n = strcspn(password, "\r\n");
	if (password[n] == '\0' && n > AUTH_PASSWORD_MAX) {
		snprintf(err, errlen, "the password is longer than %d bytes",
			 AUTH_PASSWORD_MAX);
		goto wipe;
	}
	password[n] = '\0';
	if (n < 8) {
		snprintf(err, errlen, "the password is shorter than 8 bytes");
		goto wipe;
	}
	if (crypto_pwhash_str(hash, password, n,
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE)) {
		snprintf(err, errlen, "Argon2id: out of memory");
		goto wipe;
	}
	sodium_memzero(password, sizeof(password));
	fprintf(out, "%s:%s\n", name, hash);
	return fflush(out) ? -1 : 0;
wipe:
	sodium_memzero(password, sizeof(password));
	return -1;
}
