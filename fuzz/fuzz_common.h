/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the libFuzzer targets: the invariant check, a temporary
 * folder, and the checks of a keyboard-wedge configuration.
 */
#ifndef PASSGATE_FUZZ_COMMON_H
#define PASSGATE_FUZZ_COMMON_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/core/wedge.h"

/* An invariant: abort() (a crash for libFuzzer) when it does not hold. */
#ifndef CHECK
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)
#endif

/*
 * A folder of our own, /dev/shm/passgate-<name>.<pid> (/tmp without
 * /dev/shm), removed at exit.  A crash skips that, so the folders of
 * processes that are gone are removed when the next one starts.
 */
static char fuzz_dir[96];

static __attribute__((unused)) void fuzz_dir_clean(const char *path)
{
	char file[256];
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
			unlink(file);
		}
	closedir(d);
	rmdir(path);
}

static __attribute__((unused)) void fuzz_dir_remove(void)
{
	fuzz_dir_clean(fuzz_dir);
}

static __attribute__((unused)) const char *fuzz_dir_get(const char *name)
{
	char prefix[64], stale[256];
	const char *base;
	struct dirent *de;
	long pid;
	DIR *d;

	if (fuzz_dir[0])
		return fuzz_dir;
	base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(prefix, sizeof(prefix), "passgate-%s.", name);
	d = opendir(base);
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		pid = strtol(de->d_name + strlen(prefix), NULL, 10);
		if (pid > 0 && pid != getpid() && kill(pid, 0) && errno == ESRCH) {
			snprintf(stale, sizeof(stale), "%s/%s", base, de->d_name);
			fuzz_dir_clean(stale);
		}
	}
	if (d)
		closedir(d);
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/%s%d", base, prefix, (int)getpid());
	fuzz_dir_clean(fuzz_dir);
	CHECK(mkdir(fuzz_dir, 0700) == 0);
	atexit(fuzz_dir_remove);
	return fuzz_dir;
}

/* 0600: a secret key readable by others is refused, as on a gate. */
static __attribute__((unused)) void fuzz_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	CHECK(len == 0 || write(fd, data, len) == (ssize_t)len);
	CHECK(close(fd) == 0);
}

/*
 * What passgate_wedge_config_parse() promises of a line it accepted
 * (lib/wedge.h, docs/wedge.md), and that the line written back from it
 * parses to the same configuration.
 */
static __attribute__((unused)) void fuzz_check_wedge_config(const struct passgate_wedge_config *c)
{
	struct passgate_wedge_config again;
	static const char *const kinds[] = { NULL, "code", "id", "ticket" };
	char line[512];
	size_t n, len;
	int k, j;

	CHECK(strnlen(c->name, sizeof(c->name)) < sizeof(c->name));
	if (c->by_id)
		CHECK(c->name[0] == '\0');
	else
		CHECK(c->name[0] && !strchr(c->name, '"'));
	CHECK(c->lane <= 255);
	CHECK(c->kind >= PASSGATE_CRED_HEALTH_CODE &&
	      c->kind <= PASSGATE_CRED_TICKET);
	CHECK(c->terminators >= 1 &&
	      c->terminators <= (PASSGATE_WEDGE_TERM_ENTER | PASSGATE_WEDGE_TERM_TAB));
	CHECK(c->layout == PASSGATE_WEDGE_LAYOUT_US);
	CHECK(c->timeout_ms >= 1 && c->timeout_ms <= PASSGATE_WEDGE_TIMEOUT_MS_MAX);
	CHECK(c->prefix[0][0] == '\0');
	for (k = 0; k < PASSGATE_WEDGE_KINDS; k++) {
		len = strnlen(c->prefix[k], sizeof(c->prefix[k]));
		CHECK(len < sizeof(c->prefix[k]));
		for (n = 0; n < len; n++)
			CHECK(isgraph((unsigned char)c->prefix[k][n]) &&
			      c->prefix[k][n] != '"');
		for (j = 0; j < PASSGATE_WEDGE_KINDS; j++)
			if (j != k && len && c->prefix[j][0])
				CHECK(strncmp(c->prefix[j], c->prefix[k], len));
	}

	/* Written back as a line, it reads the same. */
	if (c->by_id)
		n = snprintf(line, sizeof(line), "%04x:%04x", c->vendor, c->product);
	else
		n = snprintf(line, sizeof(line), "\"%s\"", c->name);
	n += snprintf(line + n, sizeof(line) - n, " lane=%u kind=%s terminator=%s timeout_ms=%u layout=us",
		      c->lane, kinds[c->kind],
		      c->terminators == PASSGATE_WEDGE_TERM_ENTER ? "enter" :
		      c->terminators == PASSGATE_WEDGE_TERM_TAB ? "tab" : "any",
		      c->timeout_ms);
	for (k = 1; k < PASSGATE_WEDGE_KINDS; k++)
		if (c->prefix[k][0])
			n += snprintf(line + n, sizeof(line) - n, " %s_prefix=%s",
				      kinds[k], c->prefix[k]);
	CHECK(n < sizeof(line));
	CHECK(passgate_wedge_config_parse(line, &again) == 0);
	CHECK(!strcmp(again.name, c->name));
	CHECK(again.by_id == c->by_id);
	if (c->by_id)
		CHECK(again.vendor == c->vendor && again.product == c->product);
	CHECK(again.lane == c->lane && again.kind == c->kind);
	CHECK(again.terminators == c->terminators);
	CHECK(again.layout == c->layout && again.timeout_ms == c->timeout_ms);
	for (k = 0; k < PASSGATE_WEDGE_KINDS; k++)
		CHECK(!strcmp(again.prefix[k], c->prefix[k]));
}

#endif
