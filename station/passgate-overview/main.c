// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-overview: every gate of the station at a glance, over https
 * (docs/station.md, "The overview page").
 *
 * Read-only throughout: the collector's verified rows from PostgreSQL,
 * re-read for a gate when the collector's NOTIFY says it stored a batch
 * of it; the gates' status topics from the broker; both folded into one
 * snapshot per gate (gates.c), which the browsers get whole (/api/state)
 * and as it changes (/events).  Threads: this one (the database, the
 * tick and the signals, in one poll()), the broker's, and the web
 * server's, one per connection.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include "common/version.h"
#include "gate/core/log.h"
#include "gate/core/service.h"
#include "station/station_args.h"
#include "auth.h"
#include "broker.h"
#include "db.h"
#include "gates.h"
#include "web.h"

/* Windows age and lists expire on this tick; rows never wait for it. */
#define TICK_S 10
#define WINDOW_MIN_DEFAULT 5
#define MAX_CLIENTS_DEFAULT 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: passgate-overview --station NAME --listen ADDRESS:PORT\n"
		"                         --https-cert CRT --https-key KEY\n"
		"                         --users FILE [--db CONNINFO]\n"
		"                         [--broker HOST[:PORT]] [--client-id ID]\n"
		"                         [--cafile CA --cert CRT --key KEY]\n"
		"                         [--static DIR] [--window MINUTES]\n"
		"                         [--max-clients N]\n"
		"Serves a read-only overview of every gate of the station over\n"
		"https: status, lists, alarms, verdicts (docs/station.md).\n"
		"       passgate-overview --hash-password NAME\n"
		"Reads a password from standard input and prints the users file's\n"
		"line for NAME (an Argon2id hash).\n"
		"       passgate-overview -h|--help | -V|--version\n"
		"Exit status: 0 stopped on a signal, 1 failed, 2 bad usage or\n"
		"a refused file.\n");
}

static int parse_count(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || end == s || s[0] == '-' || *out < min ||
	       *out > max ? -1 : 0;
}

/*
 * The users file's line for @name.  From a terminal the password is
 * asked for and not echoed; from a pipe it is the first line.
 */
static int hash_password(const char *name)
{
	struct termios was, quiet;
	bool tty = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &was);
	char err[256];
	int rc;

	if (tty) {
		quiet = was;
		quiet.c_lflag &= ~ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		fprintf(stderr, "password for %s: ", name);
	}
	rc = auth_hash_line(name, stdin, stdout, err, sizeof(err));
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &was);
		fputc('\n', stderr);
	}
	if (rc) {
		passgate_log_pri(LOG_ERR, NULL, "%s", err);
		return 2;
	}
	return 0;
}

struct options {
	const char *station, *db, *users, *static_dir, *client_id;
	const char *cafile, *cert, *key;
	char *broker;
	struct web_config web;
	unsigned long window_min;
};

/* The tick's timer and the signals, as descriptors for poll(). */
static int open_fds(int *timer, int *signals)
{
	struct itimerspec every = { { TICK_S, 0 }, { TICK_S, 0 } };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Blocked before any thread starts: theirs are blocked too. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	*signals = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	*timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (*signals < 0 || *timer < 0 ||
	    timerfd_settime(*timer, 0, &every, NULL))
		return -1;
	return 0;
}

/* Until a signal: the database's notifications, the tick. */
static void run(struct db *d, struct gates *gs, int timer, int signals)
{
	struct pollfd fds[3] = {
		{ .fd = signals, .events = POLLIN },
		{ .fd = timer, .events = POLLIN },
		{ .events = POLLIN },
	};
	uint64_t ticks;

	for (;;) {
		fds[2].fd = db_socket(d);
		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		if (fds[2].fd >= 0 && fds[2].revents)
			db_notified(d);
		if (fds[1].revents && read(timer, &ticks, sizeof(ticks)) > 0) {
			passgate_service_alive();
			/* Away from the database: try again every tick. */
			if (db_socket(d) < 0)
				db_connect(d);
			gates_tick(gs);
		}
	}
}

static int serve(struct options *o)
{
	struct broker_config bc = {
		.client_id = o->client_id, .station = o->station,
		.cafile = o->cafile, .cert = o->cert ? o->cert : "",
		.key = o->key ? o->key : "",
	};
	struct auth *auth;
	struct gates *gs;
	struct broker *b;
	struct web *w;
	struct db *d;
	char err[512];
	int timer = -1, signals = -1, rc = 1;

	if (passgate_station_parse_broker(o->broker, &bc.host, &bc.port)) {
		usage(stderr);
		return 2;
	}
	auth = auth_load(o->users, err, sizeof(err));
	if (!auth) {
		passgate_log_pri(LOG_ERR, NULL, "%s", err);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	gs = gates_new(o->station, o->window_min);
	d = gs ? db_new(o->db, gs, o->window_min) : NULL;
	if (!d || open_fds(&timer, &signals)) {
		passgate_log_pri(LOG_ERR, NULL, "%s", strerror(errno));
		goto free_db;
	}
	w = web_start(&o->web, gs, auth, err, sizeof(err));
	if (!w) {
		passgate_log_pri(LOG_ERR, NULL, "%s", err);
		rc = 2;
		goto free_db;
	}
	b = broker_start(&bc, gs, err, sizeof(err));
	if (!b) {
		passgate_log_pri(LOG_ERR, NULL, "%s", err);
		rc = 2;
		goto stop_web;
	}
	passgate_log_pri(LOG_NOTICE, NULL, "serving https on %s",
			 o->web.listen);
	/* It serves: what it cannot reach yet, the page shows as such. */
	passgate_service_ready();
	db_connect(d);
	run(d, gs, timer, signals);
	passgate_service_stopping();
	rc = 0;
	broker_stop(b);
stop_web:
	web_stop(w);
free_db:
	if (timer >= 0)
		close(timer);
	if (signals >= 0)
		close(signals);
	db_free(d);
	gates_free(gs);
	auth_free(auth);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "station", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "https-cert", required_argument, NULL, 'c' },
		{ "https-key", required_argument, NULL, 'k' },
		{ "users", required_argument, NULL, 'u' },
		{ "db", required_argument, NULL, 'd' },
		{ "broker", required_argument, NULL, 'b' },
		{ "client-id", required_argument, NULL, 'i' },
		{ "cafile", required_argument, NULL, 'A' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "static", required_argument, NULL, 'S' },
		{ "window", required_argument, NULL, 'w' },
		{ "max-clients", required_argument, NULL, 'm' },
		{ "hash-password", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char broker_default[] = "127.0.0.1:1883";
	struct options o = {
		.db = "", .client_id = "passgate-overview",
		.static_dir = "/usr/share/passgate/overview",
		.broker = broker_default, .window_min = WINDOW_MIN_DEFAULT,
		.web.max_clients = MAX_CLIENTS_DEFAULT,
	};
	unsigned long n;
	int opt;

	passgate_log_open("passgate-overview");
	while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			o.station = optarg;
			break;
		case 'l':
			o.web.listen = optarg;
			break;
		case 'c':
			o.web.cert = optarg;
			break;
		case 'k':
			o.web.key = optarg;
			break;
		case 'u':
			o.users = optarg;
			break;
		case 'd':
			o.db = optarg;
			break;
		case 'b':
			o.broker = optarg;
			break;
		case 'i':
			o.client_id = optarg;
			break;
		case 'A':
			o.cafile = optarg;
			break;
		case 'C':
			o.cert = optarg;
			break;
		case 'K':
			o.key = optarg;
			break;
		case 'S':
			o.static_dir = optarg;
			break;
		case 'w':
			if (parse_count(optarg, 1, 60, &o.window_min)) {
				usage(stderr);
				return 2;
			}
			break;
		case 'm':
			if (parse_count(optarg, 1, 1024, &n)) {
				usage(stderr);
				return 2;
			}
			o.web.max_clients = n;
			break;
		case 'H':
			if (optind != argc) {
				usage(stderr);
				return 2;
			}
			return hash_password(optarg);
		case 'V':
			return passgate_print_version("passgate-overview");
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	o.web.static_dir = o.static_dir;
	if (optind != argc || !o.station || !o.web.listen || !o.web.cert ||
	    !o.web.key || !o.users || !*o.client_id ||
	    !passgate_station_valid_name(o.station, strlen(o.station))) {
		usage(stderr);
		return 2;
	}
	return serve(&o);
}
