// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgated: the gate daemon.  One epoll loop over signals, the list
 * spool folder (inotify), the active list's expiry (timerfd) and the
 * lanes' slow-path queues.  The fast path never waits for it: the policy
 * is pinned and keeps deciding when the daemon is gone, and the daemon
 * adopts it again on start.
 *
 *   passgated [-c FILE]      (default /etc/passgate/gate0.conf)
 *
 * It prints "ready" on stdout once it decides, so tests and service
 * managers wait on that, not on time.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/capability.h>
#include <sodium.h>

#include "daemon.h"
#include "common/caps.h"
#include "common/digest.h"
#include "common/version.h"
#include "gate/core/service.h"

static int set_id_key(struct daemon *d)
{
	uint8_t key[PASSGATE_KEY_SIZE];
	char err[256];
	int ret = 0;

	if (access(d->cfg.id_key_file, F_OK))
		return 0;
	if (passgate_digest_key_load(d->cfg.id_key_file, key, err,
				     sizeof(err))) {
		passgate_log_pri(LOG_ERR, NULL, "%s", err);
		return -1;
	}
	/* Set once per gate binding: a key already there stays. */
	if (passgate_gate_set_key(d->gate, key, sizeof(key)) &&
	    errno != EEXIST) {
		passgate_log_pri(LOG_ERR, NULL, "setting the ID-card key: %s",
				 strerror(errno));
		ret = -1;
	}
	sodium_memzero(key, sizeof(key));
	return ret;
}

static int open_policy(struct daemon *d)
{
	bool adopted;

	d->policy = passgate_policy_open(d->cfg.pin_root, d->cfg.gate,
					 &d->cfg.policy, &adopted);
	if (!d->policy) {
		passgate_log_pri(LOG_ERR, NULL, "policy: %s", strerror(errno));
		return -1;
	}
	/* The configuration file is the truth, also for an adopted policy. */
	if (adopted && passgate_policy_set_config(d->policy, &d->cfg.policy)) {
		passgate_log_pri(LOG_ERR, NULL, "policy config: %s",
				 strerror(errno));
		return -1;
	}
	passgate_log_pri(LOG_NOTICE, NULL, "%s the policy of gate %u",
			 adopted ? "adopted" : "loaded", d->cfg.gate);
	return 0;
}

/*
 * Loading and attaching the policy program needed CAP_BPF and CAP_PERFMON
 * (a raw_tracepoint_writable program); from here on only bpf() on maps
 * (lists swapped in, settings, counters) is left, which needs CAP_BPF
 * alone (kernel.unprivileged_bpf_disabled).  CAP_PERFMON stays permitted,
 * not effective: the loader raises it around the creation of a compact
 * array alone, which Linux 6.1 would otherwise round up to a power of
 * two elements.  Every other capability goes, from every set, for good
 * (docs/operations.md, "Privileges").
 */
static int drop_capabilities(const struct daemon *d)
{
	char dirs[6][PATH_MAX + 32];
	unsigned int i;

	if (passgate_caps_keep(PASSGATE_CAP(CAP_BPF) | PASSGATE_CAP(CAP_PERFMON),
			       PASSGATE_CAP(CAP_BPF))) {
		passgate_log_pri(LOG_ERR, NULL, "dropping capabilities: %s",
				 strerror(errno));
		return -1;
	}
	/*
	 * Without them, even root writes only where the folders' modes let
	 * it: say so now, not at the first list (a root daemon on folders
	 * that dist/passgate.tmpfiles gave to the passgate user).
	 */
	snprintf(dirs[0], sizeof(dirs[0]), "%s/gate%u", d->cfg.pin_root,
		 d->cfg.gate);
	snprintf(dirs[1], sizeof(dirs[1]), "%s", d->cfg.state_dir);
	snprintf(dirs[2], sizeof(dirs[2]), "%s", d->cfg.spool_dir);
	snprintf(dirs[3], sizeof(dirs[3]), "%s/processed", d->cfg.spool_dir);
	snprintf(dirs[4], sizeof(dirs[4]), "%s/refused", d->cfg.spool_dir);
	snprintf(dirs[5], sizeof(dirs[5]), "%s/inbox", d->cfg.spool_dir);
	for (i = 0; i < 6; i++)
		if (access(dirs[i], W_OK | X_OK)) {
			passgate_log_pri(LOG_ERR, NULL,
					 "%s: %s once its capabilities are "
					 "dropped; run passgated as the "
					 "folder's owner (the passgate user, "
					 "dist/passgated@.service)",
					 dirs[i], strerror(errno));
			return -1;
		}
	return 0;
}

static int setup_signals(struct daemon *d)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -1;
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sigfd < 0)
		return -1;
	return passgate_loop_watch(&d->loop, d->sigfd, SOURCE_SIGNAL, 0);
}

/* SIGHUP: read the configuration again and apply what can change. */
static void reload(struct daemon *d)
{
	struct passgate_config cfg;
	char err[512];

	passgate_config_defaults(&cfg);
	if (passgate_config_load(d->config_path, &cfg, err, sizeof(err)))
		goto refused;
	if (cfg.gate != d->cfg.gate) {
		snprintf(err, sizeof(err), "the gate cannot change");
		goto refused;
	}
	if (passgate_policy_set_config(d->policy, &cfg.policy)) {
		passgate_log_pri(LOG_ERR, NULL, "reload: policy config: %s",
				 strerror(errno));
		return;
	}
	d->cfg = cfg;
	passgate_log_pri(LOG_NOTICE, NULL, "configuration reloaded");
	return;
refused:
	/* The old configuration goes on. */
	passgate_log_pri(LOG_WARNING,
			 PASSGATE_LOG_FIELDS(.reason = err),
			 "reload refused: %s", err);
}

/* Returns false when the daemon should stop. */
static bool handle_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
			continue;
		}
		passgate_log_pri(LOG_NOTICE, NULL,
				 "stopping on signal %u; the policy keeps "
				 "deciding", si.ssi_signo);
		return false;
	}
	return true;
}

/*
 * systemd's watchdog (WatchdogSec= in passgated@.service): pinged from
 * this loop, so a loop that hangs is restarted; the policy decides on.
 */
static int watchdog_open(struct daemon *d)
{
	uint64_t usec = passgate_service_watchdog_usec();

	if (!usec)
		return 0;
	/* Twice per interval; at least every microsecond it asks for. */
	d->watchdog_fd = passgate_loop_timer(&d->loop, usec / 2 ? usec / 2 : 1,
					     SOURCE_WATCHDOG);
	if (d->watchdog_fd < 0) {
		passgate_log_pri(LOG_ERR, NULL, "watchdog: %s",
				 strerror(errno));
		return -1;
	}
	return 0;
}

static void watchdog_handle(struct daemon *d)
{
	uint64_t ticks;

	if (read(d->watchdog_fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		passgate_service_alive();
}

static int run(struct daemon *d)
{
	struct passgate_loop_event events[16];
	int n, i;

	if (watchdog_open(d))
		return -1;
	printf("ready\n");
	fflush(stdout);
	passgate_service_ready();
	for (;;) {
		n = passgate_loop_wait(&d->loop, events, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		for (i = 0; i < n; i++) {
			uint32_t index = events[i].index;

			switch (events[i].source) {
			case SOURCE_SIGNAL:
				if (!handle_signal(d))
					return 0;
				break;
			case SOURCE_SPOOL:
				spool_handle(d);
				break;
			case SOURCE_EXPIRY:
				expiry_handle(d);
				break;
			case SOURCE_SLOW:
				slow_handle(d, index);
				break;
			case SOURCE_WEDGE:
				wedge_handle(d, index);
				break;
			case SOURCE_EVENTS:
				audit_handle(d);
				break;
			case SOURCE_FLUSH:
				audit_flush(d);
				break;
			case SOURCE_METRICS:
				metrics_handle(d);
				break;
			case SOURCE_WATCHDOG:
				watchdog_handle(d);
				break;
			case SOURCE_TICKETS:
				tickets_handle(d);
				break;
			}
		}
	}
}

static void cleanup(struct daemon *d)
{
	passgate_service_stopping();
	if (d->watchdog_fd >= 0)
		close(d->watchdog_fd);
	metrics_close(d);
	tickets_close(d);
	wedge_close(d);
	audit_close(d);
	slow_close(d);
	spool_close(d);
	expiry_close(d);
	if (d->sigfd >= 0)
		close(d->sigfd);
	passgate_loop_close(&d->loop);
	passgate_policy_close(d->policy);
	passgate_gate_close(d->gate);
}

static const char usage_text[] =
	"usage: passgated [-c|--config FILE]\n"
	"       passgated -h|--help | -V|--version\n"
	"The gate's daemon: verifies and loads lists, decides deferred scans,\n"
	"journals every event (docs/operations.md).  FILE defaults to\n"
	PASSGATE_CONFIG_FILE ".\n"
	"Exit status: 0 stopped on a signal, 1 failed, 2 bad usage or config.\n";

int main(int argc, char **argv)
{
	struct daemon d = {
		.config_path = PASSGATE_CONFIG_FILE,
		.sigfd = -1,
		.loop.epfd = -1,
		.flush_fd = -1,
		.metrics_fd = -1,
		.watchdog_fd = -1,
		.tickets_fd = -1,
	};
	char err[512];
	int opt, ret = 1;

	passgate_log_open("passgated");
	opt = passgate_config_cli(argc, argv, "passgated", usage_text,
				  &d.config_path);
	if (opt >= 0)
		return opt;
	passgate_config_defaults(&d.cfg);
	if (passgate_config_load(d.config_path, &d.cfg, err, sizeof(err))) {
		passgate_log_pri(LOG_ERR, NULL, "%s", err);
		return 2;
	}
	passgate_log_gate(d.cfg.gate);

	/* The record of accepted lists and, by default, the journal. */
	if (mkdir(d.cfg.state_dir, 0700) && errno != EEXIST) {
		passgate_log_pri(LOG_ERR, NULL, "%s: %s", d.cfg.state_dir,
				 strerror(errno));
		return 1;
	}
	if (spool_claim(&d))
		goto out;
	d.gate = passgate_gate_open(d.cfg.gate, O_RDWR | O_NONBLOCK);
	if (!d.gate || passgate_loop_init(&d.loop)) {
		passgate_log_pri(LOG_ERR, NULL, "gate %u: %s", d.cfg.gate,
				 strerror(errno));
		goto out;
	}
	/* The journal first: it must see what the others cause. */
	if (set_id_key(&d) || open_policy(&d) || setup_signals(&d) ||
	    audit_open(&d) || slow_open(&d))
		goto out;
	/* Before the expiry timer and the spool: both build on it. */
	restore_run(&d);
	if (tickets_open(&d) || expiry_open(&d) || spool_open(&d) ||
	    wedge_open(&d) ||
	    metrics_open(&d) || drop_capabilities(&d))
		goto out;
	ret = run(&d) ? 1 : 0;
out:
	cleanup(&d);
	return ret;
}
