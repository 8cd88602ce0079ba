// SPDX-License-Identifier: LGPL-2.1-or-later
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

int passgate_file_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int passgate_file_open_regular(const char *path, struct stat *st)
{
	struct stat buf;
	int fd, e;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!st)
		st = &buf;
	if (fstat(fd, st)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	/* A regular file: blocking reads, as everywhere else. */
	if (fcntl(fd, F_SETFL, 0)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int passgate_file_open_secret(const char *path)
{
	struct stat st;
	int fd = passgate_file_open_regular(path, &st);

	if (fd >= 0 && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

const char *passgate_file_strerror(int errnum)
{
	switch (errnum) {
	case ELOOP:
		return "a symbolic link, not followed";
	case EINVAL:
		return "not a regular file";
	case EPERM:
		return "group or others may read it (chmod 600)";
	default:
		return strerror(errnum);
	}
}

static ssize_t read_whole(int fd, char *buf, size_t size)
{
	size_t have = 0;
	ssize_t n;
	int e;

	if (fd < 0)
		return -1;
	if (!size) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	while (have < size - 1) {
		n = read(fd, buf + have, size - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		have += n;
	}
	if (have == size - 1) {
		errno = EFBIG;
		goto fail;
	}
	close(fd);
	buf[have] = '\0';
	return have;

fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

ssize_t passgate_file_read_small(const char *path, char *buf, size_t size)
{
	return read_whole(passgate_file_open_regular(path, NULL), buf, size);
}

ssize_t passgate_file_read_secret(const char *path, char *buf, size_t size)
{
	return read_whole(passgate_file_open_secret(path), buf, size);
}

int passgate_file_sync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, ret;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

int passgate_file_new_open(struct passgate_file_new *nf, const char *path,
			   mode_t mode)
{
	const char *base = strrchr(path, '/');
	int dirlen = base ? (int)(base - path + 1) : 0;
	int n;

	base = base ? base + 1 : path;
	nf->fd = -1;
	nf->path = path;
	n = snprintf(nf->tmp, sizeof(nf->tmp), "%.*s.%s.XXXXXX", dirlen, path,
		     base);
	if (n < 0 || (size_t)n >= sizeof(nf->tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	nf->fd = mkostemp(nf->tmp, O_CLOEXEC);
	if (nf->fd < 0)
		return -1;
	if (fchmod(nf->fd, mode)) {
		passgate_file_new_abort(nf);
		return -1;
	}
	return 0;
}

int passgate_file_new_close(struct passgate_file_new *nf)
{
	int fd = nf->fd;

	nf->fd = -1;
	if (fsync(fd)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

int passgate_file_new_commit(struct passgate_file_new *nf)
{
	if ((nf->fd >= 0 && passgate_file_new_close(nf)) ||
	    rename(nf->tmp, nf->path)) {
		passgate_file_new_abort(nf);
		return -1;
	}
	return passgate_file_sync_dir(nf->path);
}

void passgate_file_new_abort(struct passgate_file_new *nf)
{
	int e = errno;

	if (nf->fd >= 0)
		close(nf->fd);
	nf->fd = -1;
	unlink(nf->tmp);
	errno = e;
}

int passgate_file_replace(const char *path, const void *data, size_t len,
			  mode_t mode)
{
	struct passgate_file_new nf;

	if (passgate_file_new_open(&nf, path, mode))
		return -1;
	if (passgate_file_write_all(nf.fd, data, len)) {
		passgate_file_new_abort(&nf);
		return -1;
	}
	return passgate_file_new_commit(&nf);
}
