// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/allowlist.h"
#include "common/file.h"
#include "gate/core/state.h"

/* STATE_DIR/gateG.generation, or STATE_DIR/gateG.tickets.generation. */
static int record_path(char *buf, size_t len, const char *dir,
		       unsigned int gate, unsigned int holds)
{
	int n;

	if (holds != PASSGATE_LIST_CODES && holds != PASSGATE_LIST_TICKETS) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(buf, len, "%s/gate%u%s.generation", dir, gate,
		     holds == PASSGATE_LIST_TICKETS ? ".tickets" : "");
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Root (an operator's passgatectl) writing into the daemon's folder gives
 * what it makes to the folder's owner, the daemon's user, which must go
 * on using it.  Never through a link: the folder's owner could plant one.
 */
static int own_like_dir(const char *dir, int fd, const char *path)
{
	struct stat st, f;
	int ret, own = fd < 0;

	if (geteuid() != 0 || stat(dir, &st) || st.st_uid == 0)
		return 0;
	if (own)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/*
	 * Only our own file: a hard link to anything else (planted by the
	 * folder's owner) has a second name, or is not root's or theirs.
	 */
	if (fstat(fd, &f) || !S_ISREG(f.st_mode) || f.st_nlink != 1 ||
	    (f.st_uid != 0 && f.st_uid != st.st_uid)) {
		errno = EPERM;
		ret = -1;
	} else {
		ret = fchown(fd, st.st_uid, -1);
	}
	if (own)
		close(fd);
	return ret;
}

int passgate_record_lock(const char *dir, unsigned int gate)
{
	char path[PATH_MAX];
	int fd;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/gate%u.lock", dir, gate);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (own_like_dir(dir, fd, path)) {
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX)) {
		close(fd);
		return -1;
	}
	return fd;
}

void passgate_record_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int passgate_record_read_list(const char *dir, unsigned int gate,
			      unsigned int holds, struct passgate_record *rec)
{
	char path[PATH_MAX], key[17];
	unsigned int i, byte;
	int n;
	FILE *f;

	if (record_path(path, sizeof(path), dir, gate, holds))
		return -1;
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fscanf(f, "generation=%" SCNu64 "\nkey_id=%16s\nexpires_at=%"
		   SCNu64 "\n", &rec->generation, key, &rec->expires_at);
	fclose(f);
	if (n != 3 || strlen(key) != 16) {
		errno = EBADMSG;
		return -1;
	}
	for (i = 0; i < 8; i++) {
		if (sscanf(key + 2 * i, "%2x", &byte) != 1) {
			errno = EBADMSG;
			return -1;
		}
		rec->key_id[i] = byte;
	}
	return 0;
}

int passgate_record_write_list(const char *dir, unsigned int gate,
			       unsigned int holds,
			       const struct passgate_record *rec)
{
	char path[PATH_MAX], text[128];
	int n;

	if (record_path(path, sizeof(path), dir, gate, holds))
		return -1;
	n = snprintf(text, sizeof(text), "generation=%" PRIu64 "\nkey_id=",
		     rec->generation);
	for (int i = 0; i < 8; i++)
		n += snprintf(text + n, sizeof(text) - n, "%02x",
			      rec->key_id[i]);
	n += snprintf(text + n, sizeof(text) - n, "\nexpires_at=%" PRIu64 "\n",
		      rec->expires_at);
	if (passgate_file_replace(path, text, n, 0640))
		return -1;
	return own_like_dir(dir, -1, path);
}

int passgate_record_seed_list(const char *dir, unsigned int gate,
			      unsigned int holds, uint64_t generation)
{
	struct passgate_record rec = { .generation = generation };
	int lock, ret, e;

	lock = passgate_record_lock(dir, gate);
	if (lock < 0)
		return -1;
	ret = passgate_record_write_list(dir, gate, holds, &rec);
	e = errno;
	passgate_record_unlock(lock);
	errno = e;
	return ret;
}

int passgate_record_read(const char *dir, unsigned int gate,
			 struct passgate_record *rec)
{
	return passgate_record_read_list(dir, gate, PASSGATE_LIST_CODES, rec);
}

int passgate_record_write(const char *dir, unsigned int gate,
			  const struct passgate_record *rec)
{
	return passgate_record_write_list(dir, gate, PASSGATE_LIST_CODES, rec);
}

int passgate_record_seed(const char *dir, unsigned int gate,
			 uint64_t generation)
{
	return passgate_record_seed_list(dir, gate, PASSGATE_LIST_CODES,
					 generation);
}
