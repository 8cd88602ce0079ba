// SPDX-License-Identifier: GPL-2.0-only
/*
 * The spool folder: drop LIST and LIST.minisig in (in either order; a
 * list is taken once both are there), and the daemon verifies and loads
 * it, then moves both to processed/ or, with a LIST.why, to refused/.
 * Lists are taken in name order, so name them by generation.
 *
 * SPOOL/inbox/ is taken from the same way.  It is the one folder the
 * uplink may write (docs/operations.md, "Privileges"): what it drops there
 * is verified like everything else, and it cannot touch the spool itself,
 * processed/ or refused/.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "common/file.h"
#include "gate/core/install.h"

#define LIST_SUFFIX ".pgl"

static bool is_list(const char *name)
{
	size_t n = strlen(name);

	return n > strlen(LIST_SUFFIX) &&
	       !strcmp(name + n - strlen(LIST_SUFFIX), LIST_SUFFIX);
}

/* SPOOL/SUB/NAME[SUFFIX]; names too long for a path were never listed. */
static void spool_path(char *buf, const struct daemon *d, const char *sub,
		       const char *name, const char *suffix)
{
	int n = snprintf(buf, PATH_MAX, "%s%s%s/%s", d->cfg.spool_dir,
			 *sub ? "/" : "", sub, name);

	if (n >= 0 && n < PATH_MAX)
		snprintf(buf + n, PATH_MAX - n, "%s", suffix);
}

#define INBOX "inbox"

static void spool_move(const struct daemon *d, const char *sub,
		       const char *name, const char *to, const char *why)
{
	char from[PATH_MAX], dest[PATH_MAX], text[1024];
	int n;

	spool_path(from, d, sub, name, ".minisig");
	spool_path(dest, d, to, name, ".minisig");
	rename(from, dest);
	spool_path(from, d, sub, name, "");
	spool_path(dest, d, to, name, "");
	if (rename(from, dest))
		passgate_log_pri(LOG_WARNING, NULL, "spool: moving %s: %s",
				 name, strerror(errno));
	if (!why)
		return;
	/* Replaced whole: whoever sees the file sees all of it. */
	spool_path(dest, d, to, name, ".why");
	n = snprintf(text, sizeof(text), "%s\n", why);
	if (n >= (int)sizeof(text))
		n = sizeof(text) - 1;
	if (passgate_file_replace(dest, text, n, 0644))
		passgate_log_pri(LOG_WARNING, NULL, "spool: %s.why: %s", name,
				 strerror(errno));
}

static void spool_take(struct daemon *d, const char *sub, const char *name)
{
	struct passgate_list_info info;
	enum passgate_refusal refusal;
	char path[PATH_MAX], err[512] = "";

	spool_path(path, d, sub, name, "");
	if (passgate_install_list(&d->cfg, d->policy, d->gate, path, &info,
				  &refusal, err, sizeof(err))) {
		/* Its generation, if its signature verified. */
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
				 .generation = info.generation, .reason = err),
				 "list %s refused: %s", name, err);
		spool_move(d, sub, name, "refused", err);
		return;
	}
	passgate_log_pri(LOG_NOTICE, PASSGATE_LOG_FIELDS(
			 .generation = info.generation),
			 "list %s: %sgeneration %" PRIu64 " (%s, %" PRIu64
			 " entries) active", name,
			 info.holds == PASSGATE_LIST_TICKETS ? "ticket " : "",
			 info.generation, passgate_list_kind_name(info.kind),
			 info.entry_count);
	/* Active, but a restart would not find it again. */
	if (err[0])
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
				 .generation = info.generation, .reason = err),
				 "list %s: %s", name, err);
	spool_move(d, sub, name, "processed", NULL);
	if (info.holds == PASSGATE_LIST_TICKETS)
		d->expired_tickets = 0;
	else
		d->expired_generation = 0;
	expiry_arm(d);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int list_complete(const struct dirent *de)
{
	return is_list(de->d_name);
}

/* Take every list of SPOOL/@sub whose signature is there too. */
static void spool_scan_dir(struct daemon *d, const char *sub)
{
	char dir[PATH_MAX], sig[PATH_MAX];
	struct dirent **names;
	int n, i;

	n = snprintf(dir, sizeof(dir), "%s%s%s", d->cfg.spool_dir,
		     *sub ? "/" : "", sub);
	if (n < 0 || n >= (int)sizeof(dir))
		return;
	n = scandir(dir, &names, list_complete, by_name);
	if (n < 0) {
		passgate_log_pri(LOG_WARNING, NULL, "spool %s: %s", dir,
				 strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		spool_path(sig, d, sub, names[i]->d_name, ".minisig");
		if (!access(sig, F_OK))
			spool_take(d, sub, names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

static void spool_scan(struct daemon *d)
{
	spool_scan_dir(d, "");
	spool_scan_dir(d, INBOX);
}

/*
 * Lists name no gate: a daemon that shared the folder with another gate's
 * daemon would take half of that gate's lists.  One folder, one daemon:
 * claimed before the daemon touches anything else, and the lock goes with
 * the process however it ends.
 */
int spool_claim(struct daemon *d)
{
	if (mkdir(d->cfg.spool_dir, 0700) && errno != EEXIST) {
		passgate_log_pri(LOG_ERR, NULL, "spool %s: %s",
				 d->cfg.spool_dir, strerror(errno));
		return -1;
	}
	d->spool_lock = open(d->cfg.spool_dir,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->spool_lock < 0) {
		passgate_log_pri(LOG_ERR, NULL, "spool %s: %s",
				 d->cfg.spool_dir, strerror(errno));
		return -1;
	}
	if (flock(d->spool_lock, LOCK_EX | LOCK_NB)) {
		passgate_log_pri(LOG_ERR, NULL, "spool %s: %s",
				 d->cfg.spool_dir, errno == EWOULDBLOCK ?
				 "in use by another passgated (each gate's "
				 "daemon needs a spool_dir of its own)" :
				 strerror(errno));
		return -1;
	}
	return 0;
}

int spool_open(struct daemon *d)
{
	static const char *const subdirs[] = {
		"", "/processed", "/refused", "/" INBOX,
	};
	char path[PATH_MAX];
	unsigned int i;

	/* The inbox is the uplink's to write: its owner is set at install. */
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s%s", d->cfg.spool_dir,
			 subdirs[i]);
		if (mkdir(path, 0700) && errno != EEXIST) {
			passgate_log_pri(LOG_ERR, NULL, "spool %s: %s", path,
					 strerror(errno));
			return -1;
		}
	}
	d->spool_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->spool_fd < 0 ||
	    inotify_add_watch(d->spool_fd, d->cfg.spool_dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO) < 0 ||
	    inotify_add_watch(d->spool_fd, path,
			      IN_CLOSE_WRITE | IN_MOVED_TO) < 0 ||
	    passgate_loop_watch(&d->loop, d->spool_fd, SOURCE_SPOOL, 0)) {
		passgate_log_pri(LOG_ERR, NULL, "spool %s: %s",
				 d->cfg.spool_dir, strerror(errno));
		return -1;
	}
	/* What arrived while no daemon ran. */
	spool_scan(d);
	return 0;
}

void spool_handle(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(d->spool_fd, buf, sizeof(buf)) > 0)
		;
	spool_scan(d);
}

void spool_close(struct daemon *d)
{
	if (d->spool_fd > 0)
		close(d->spool_fd);
	if (d->spool_lock > 0)
		close(d->spool_lock);
}
