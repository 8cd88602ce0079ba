/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files as passgate writes them: whole, synced, and replaced atomically,
 * so that a power cut leaves the old file or the new one, never a torn
 * one.  Error contract: <common/fail.h> (these set errno only).
 */
#ifndef PASSGATE_COMMON_FILE_H
#define PASSGATE_COMMON_FILE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct stat;

/*
 * Open @path to read, refusing what is not a regular file before a byte
 * is read: a symbolic link as its last part (ELOOP), a FIFO, a socket or
 * a device (EINVAL; opened O_NONBLOCK, so a FIFO never waits for a
 * writer).  @st, when not NULL, gets the file's fstat().
 */
int passgate_file_open_regular(const char *path, struct stat *st);
/*
 * The same for a secret (a signing key, the ID-card HMAC key): also
 * EPERM when its group or others may read or write it.
 */
int passgate_file_open_secret(const char *path);
/* strerror() that names the refusals above for what they are. */
const char *passgate_file_strerror(int errnum);

/* Write all of @buf to @fd, through short writes and EINTR. */
int passgate_file_write_all(int fd, const void *buf, size_t len);

/*
 * Read the small regular file @path whole into @buf, NUL-terminated: its
 * length.  EFBIG when it does not fit in @size - 1 bytes; what
 * passgate_file_open_regular() refuses, refused the same.
 */
ssize_t passgate_file_read_small(const char *path, char *buf, size_t size);
/* The same for a secret (passgate_file_open_secret()). */
ssize_t passgate_file_read_secret(const char *path, char *buf, size_t size);

/**
 * struct passgate_file_new - a file being written to replace @path
 * @fd: write here; -1 once closed
 * @path: the file it replaces
 * @tmp: its name until then: a hidden file beside @path
 */
struct passgate_file_new {
	int fd;
	const char *path;
	char tmp[PATH_MAX];
};

/* Sync the folder holding @path: a rename or create in it lasts. */
int passgate_file_sync_dir(const char *path);

/* Start a new file with mode @mode that will replace @path. */
int passgate_file_new_open(struct passgate_file_new *nf, const char *path,
			   mode_t mode);
/* Sync and close it, still under its temporary name (to sign it, say). */
int passgate_file_new_close(struct passgate_file_new *nf);
/*
 * Sync and close it if still open, rename it over @path and sync the
 * folder.  On failure it is removed and @path is as it was.
 */
int passgate_file_new_commit(struct passgate_file_new *nf);
/* Give it up: closed and removed.  Keeps errno. */
void passgate_file_new_abort(struct passgate_file_new *nf);

/* The four above for contents already in memory. */
int passgate_file_replace(const char *path, const void *data, size_t len,
			  mode_t mode);

#endif
