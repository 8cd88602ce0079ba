/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who may see the overview: HTTP Basic authentication against a users
 * file, one "NAME:HASH" line per user, HASH an Argon2id string as
 * libsodium's crypto_pwhash_str() writes it ("passgate-overview
 * --hash-password NAME" makes such a line), '#' starts a comment line.
 * The file is refused when group or others may read it.
 *
 * A header verified once is remembered for AUTH_CACHE_S seconds, as a
 * keyed hash (a key of this process's own), so that the page's requests
 * and its event stream's reconnects do not cost an Argon2id each; the
 * Argon2id verifications themselves run one at a time, so that wrong
 * passwords cannot take more than one hash's memory.
 */
#ifndef PASSGATE_OVERVIEW_AUTH_H
#define PASSGATE_OVERVIEW_AUTH_H

#include <stddef.h>
#include <stdio.h>

#define AUTH_USERS_MAX 256
#define AUTH_NAME_MAX 64
#define AUTH_PASSWORD_MAX 1024
#define AUTH_CACHE_S 300

struct auth;

/* Read the users file; NULL with why in @err. */
struct auth *auth_load(const char *path, char *err, size_t errlen);
void auth_free(struct auth *a);

/*
 * 1 when @header (an Authorization header's value, NULL for none) is
 * "Basic" with a user of the file and that user's password; @user then
 * gets the name (for the log, also on a wrong password).  0 otherwise.
 */
int auth_check(struct auth *a, const char *header, char *user,
	       size_t userlen);

/*
 * The users file's line for @name, with the password read from @in (one
 * line): 0, or -1 with why in @err.
 */
int auth_hash_line(const char *name, FILE *in, FILE *out, char *err,
		   size_t errlen);

#endif
