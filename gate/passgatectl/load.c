// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgatectl load LIST [--timeout SECONDS]: hand a signed list to the
 * gate's daemon through its spool folder and report the daemon's answer.
 * passgatectl itself installs nothing: the daemon verifies and installs
 * or refuses this list exactly as every other one, and is the only writer
 * of the gate's list state.  The answer is the daemon's move of the list
 * into spool/processed/ or spool/refused/ (with NAME.why), watched with
 * inotify from before the list is spooled.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "common/file.h"
#include "common/listfile.h"

#define LOAD_TIMEOUT_S 30
#define SIG_MAX 4096
/* Room for SPOOL/processed/NAME.why whatever the config says. */
#define SPOOL_PATH_MAX (PATH_MAX + NAME_MAX + 32)

enum answer { NONE, PROCESSED, REFUSED, WHY };

struct spool_watch {
	int fd;
	int processed;
	int refused;
};

static int watch_open(struct spool_watch *w, const char *spool)
{
	char path[SPOOL_PATH_MAX];

	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/processed", spool);
	w->processed = inotify_add_watch(w->fd, path, IN_MOVED_TO);
	snprintf(path, sizeof(path), "%s/refused", spool);
	w->refused = inotify_add_watch(w->fd, path, IN_MOVED_TO);
	return w->processed < 0 || w->refused < 0 ? -1 : 0;
}

/* What the daemon did with @name since the last call, by its moves. */
static enum answer watch_read(struct spool_watch *w, const char *name,
			      enum answer now)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char why[NAME_MAX + 1];
	ssize_t n;

	snprintf(why, sizeof(why), "%s.why", name);
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;

			p += sizeof(*e) + e->len;
			if (!e->len)
				continue;
			if (e->wd == w->processed && !strcmp(e->name, name))
				now = PROCESSED;
			else if (e->wd == w->refused && !strcmp(e->name, name))
				now = now == WHY ? WHY : REFUSED;
			else if (e->wd == w->refused && !strcmp(e->name, why) &&
				 now == REFUSED)
				now = WHY;
		}
	}
	return now;
}

/* Copy @from into the spool as @to: whole, synced, renamed into place. */
static int spool_copy(const char *from, const char *to)
{
	struct passgate_file_new nf;
	char buf[65536];
	ssize_t n;
	int in;

	in = passgate_file_open_regular(from, NULL);
	if (in < 0)
		return -1;
	if (passgate_file_new_open(&nf, to, 0644)) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (passgate_file_write_all(nf.fd, buf, n))
			break;
	if (n != 0) {
		passgate_file_new_abort(&nf);
		close(in);
		return -1;
	}
	close(in);
	return passgate_file_new_commit(&nf);
}

/* "passgatectl: PATH: why" for a file that is not read; returns 1. */
static int refuse_file(const char *path)
{
	fprintf(stderr, "passgatectl: %s: %s\n", path,
		passgate_file_strerror(errno));
	return 1;
}

static int report_active(const struct options *o, const char *path)
{
	const struct passgate_list_info *info;
	struct passgate_listfile *list;
	struct passgate_trust *trust;
	char err[512];

	/* The file the daemon took, read back for its header. */
	trust = passgate_trust_open(o->config.trust_dir, err, sizeof(err));
	list = trust ? passgate_listfile_open(path, NULL, trust,
					      o->config.max_list_bytes, err,
					      sizeof(err)) : NULL;
	passgate_trust_free(trust);
	if (!list) {
		printf("%s: taken by passgated\n", path);
		return 0;
	}
	info = passgate_listfile_info(list);
	/* The daemon told the kind from the header; so does this. */
	if (o->json)
		printf("{\"generation\":%" PRIu64 ",\"kind\":\"%s\",\"entries\":%"
		       PRIu64 ",\"expires_at\":%" PRIu64 ",\"holds\":\"%s\"}\n",
		       info->generation, passgate_list_kind_name(info->kind),
		       info->entry_count, info->expires_at,
		       passgate_list_holds_name(info->holds));
	else
		printf("%sgeneration %" PRIu64 " (%s, %" PRIu64
		       " entries) active, expires %" PRIu64 "\n",
		       info->holds == PASSGATE_LIST_TICKETS ? "ticket " : "",
		       info->generation, passgate_list_kind_name(info->kind),
		       info->entry_count, info->expires_at);
	passgate_listfile_close(list);
	return 0;
}

static void report_refused(const char *spool, const char *name)
{
	char path[SPOOL_PATH_MAX], why[1024];

	snprintf(path, sizeof(path), "%s/refused/%s.why", spool, name);
	if (passgate_file_read_small(path, why, sizeof(why)) < 0)
		snprintf(why, sizeof(why), "(no reason given)\n");
	fprintf(stderr, "passgatectl: %s refused by passgated: %s", name, why);
}

int cmd_load(const struct options *o, int argc, char **argv)
{
	const char *spool = o->config.spool_dir;
	char copy[PATH_MAX], name[NAME_MAX + 1], sig[SPOOL_PATH_MAX];
	char to[SPOOL_PATH_MAX], text[SIG_MAX];
	struct spool_watch w = { .fd = -1 };
	enum answer answer = NONE;
	long timeout_s = LOAD_TIMEOUT_S;
	struct timespec end, now;
	ssize_t n;
	int ret = 1, fd;

	if (argc == 4 && !strcmp(argv[2], "--timeout")) {
		timeout_s = strtol(argv[3], NULL, 10);
		if (timeout_s <= 0)
			return 2;
	} else if (argc != 2) {
		return 2;
	}
	snprintf(copy, sizeof(copy), "%s", argv[1]);
	snprintf(name, sizeof(name), "%s", basename(copy));
	if (strlen(name) <= 4 || strcmp(name + strlen(name) - 4, ".pgl")) {
		fprintf(stderr, "passgatectl: %s: a list's name ends in .pgl\n",
			argv[1]);
		return 2;
	}
	snprintf(sig, sizeof(sig), "%s.minisig", argv[1]);
	n = passgate_file_read_small(sig, text, sizeof(text));
	if (n < 0)
		return refuse_file(sig);
	/* A list that is no regular file is refused here, not spooled. */
	fd = passgate_file_open_regular(argv[1], NULL);
	if (fd < 0)
		return refuse_file(argv[1]);
	close(fd);
	if (watch_open(&w, spool)) {
		fprintf(stderr, "passgatectl: spool %s: %s (has passgated "
			"run with this configuration?)\n", spool,
			strerror(errno));
		goto out;
	}
	/* The signature first: the daemon takes a list once both are in. */
	snprintf(to, sizeof(to), "%s/%s.minisig", spool, name);
	if (passgate_file_replace(to, text, n, 0644)) {
		fail(to);
		goto out;
	}
	snprintf(to, sizeof(to), "%s/%s", spool, name);
	if (spool_copy(argv[1], to)) {
		fail(to);
		goto out;
	}

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_s;
	while (answer != PROCESSED && answer != WHY) {
		struct pollfd pfd = { .fd = w.fd, .events = POLLIN };
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (end.tv_sec - now.tv_sec) * 1000 +
		     (end.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			break;
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
			fail("spool");
			goto out;
		}
		answer = watch_read(&w, name, answer);
	}
	switch (answer) {
	case PROCESSED:
		snprintf(to, sizeof(to), "%s/processed/%s", spool, name);
		ret = report_active(o, to);
		break;
	case REFUSED:
	case WHY:
		report_refused(spool, name);
		break;
	case NONE:
		fprintf(stderr, "passgatectl: no answer from passgated in %ld "
			"s; %s stays in %s for it to take\n", timeout_s, name,
			spool);
		break;
	}
out:
	if (w.fd >= 0)
		close(w.fd);
	return ret;
}
