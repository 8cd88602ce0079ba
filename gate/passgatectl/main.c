// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgatectl: the operator's tool.  Every command that prints has a
 * stable machine-readable form with --json (one JSON document; `events`
 * prints one JSON object per line).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/version.h"
#include "ctl.h"
#include "gate/policy/loader.h"

static const char *const capability_names[] = {
	"unlock-exit", "unlock-entry", "beams", "alarm", "indicator",
	"fail-safe",
};

int fail(const char *what)
{
	fprintf(stderr, "passgatectl: %s: %s\n", what, strerror(errno));
	return 1;
}

static void print_capabilities(unsigned int caps, int json)
{
	const char *sep = "";
	unsigned int i;

	for (i = 0; i < sizeof(capability_names) / sizeof(*capability_names); i++) {
		if (!(caps & (1u << i)))
			continue;
		printf(json ? "%s\"%s\"" : "%s%s", sep, capability_names[i]);
		sep = json ? "," : " ";
	}
}

static void print_lane(const struct passgate_info *info,
		       const struct passgate_state *st, int json, int first)
{
	const char *dirs = info->directions == 3 ? "both" :
			   info->directions == 1 ? "exit" : "entry";

	if (!json) {
		printf("%-5u %-9s %-7s %-6s %-5u %-8llu %-8llu"
		       " %-7llu %-9llu ",
		       info->lane, passgate_lane_state_name(st->state),
		       passgate_lane_mode_name(st->mode), dirs, st->beams,
		       st->passages[PASSGATE_DIR_EXIT],
		       st->passages[PASSGATE_DIR_ENTRY], st->forced,
		       st->tailgates);
		print_capabilities(info->capabilities, 0);
		printf("\n");
		return;
	}
	printf("%s{\"gate\":%u,\"lane\":%u,\"state\":\"%s\",\"mode\":\"%s\","
	       "\"directions\":\"%s\",\"beams\":%u,\"outputs\":%u,"
	       "\"alarms\":%u,\"passages_exit\":%llu"
	       ",\"passages_entry\":%llu,\"timeouts\":%llu"
	       ",\"forced\":%llu,\"tailgates\":%llu"
	       ",\"passage_timeout_ms\":%u,\"alarm_ms\":%u,\"capabilities\":[",
	       first ? "" : ",", info->gate, info->lane,
	       passgate_lane_state_name(st->state),
	       passgate_lane_mode_name(st->mode), dirs, st->beams,
	       st->outputs, st->alarms, st->passages[PASSGATE_DIR_EXIT],
	       st->passages[PASSGATE_DIR_ENTRY], st->timeouts, st->forced,
	       st->tailgates, info->passage_timeout_ms, info->alarm_ms);
	print_capabilities(info->capabilities, 1);
	printf("]}");
}

static int cmd_lanes(const struct options *o, int argc, char **argv)
{
	struct passgate_state st;
	struct passgate_info info;
	char pattern[64];
	unsigned int lane;
	int status = 0;
	size_t i;
	glob_t g;

	(void)argc;
	(void)argv;
	snprintf(pattern, sizeof(pattern), "/dev/passgate/gate%u/lane*", o->gate);
	if (glob(pattern, 0, NULL, &g)) {
		errno = ENOENT;
		return fail("no lanes (is passgate.ko loaded?)");
	}
	printf(o->json ? "[" :
	       "lane  state     mode    dirs   beams exit     entry    forced  tailgates capabilities\n");
	for (i = 0; i < g.gl_pathc; i++) {
		struct passgate_lane *l;

		if (sscanf(strrchr(g.gl_pathv[i], '/'), "/lane%u", &lane) != 1)
			continue;
		l = passgate_lane_open(o->gate, lane, O_RDONLY);
		if (!l || passgate_lane_get_info(l, &info) ||
		    passgate_lane_get_state(l, &st)) {
			status = fail(g.gl_pathv[i]);
			passgate_lane_close(l);
			continue;
		}
		print_lane(&info, &st, o->json, i == 0);
		passgate_lane_close(l);
	}
	if (o->json)
		printf("]\n");
	globfree(&g);
	return status;
}

static struct passgate_gate *open_gate(const struct options *o, int flags)
{
	struct passgate_gate *gate = passgate_gate_open(o->gate, flags);

	if (!gate)
		fail("gate");
	return gate;
}

static int cmd_gate(const struct options *o, int argc, char **argv)
{
	struct passgate_gate_state st;
	struct passgate_gate *gate;

	(void)argc;
	(void)argv;
	gate = open_gate(o, O_RDONLY);
	if (!gate)
		return 1;
	if (passgate_gate_get_state(gate, &st)) {
		passgate_gate_close(gate);
		return fail("gate state");
	}
	printf(o->json ?
	       "{\"gate\":%u,\"mode\":\"%s\",\"fire\":{\"alarm\":%s,\"fault\":%s,"
	       "\"latched\":%s},\"fire_alarms\":%llu,\"lanes\":%u,"
	       "\"event_first\":%llu,\"event_next\":%llu"
	       ",\"event_ring_size\":%u}\n" :
	       "gate %u: mode %s, fire alarm %s fault %s latched %s, "
	       "%llu fire alarms, %u lanes, events %llu"
	       "..%llu (ring %u)\n",
	       o->gate, passgate_gate_mode_name(st.mode),
	       st.fire & PASSGATE_FIRE_ALARM ? "true" : "false",
	       st.fire & PASSGATE_FIRE_FAULT ? "true" : "false",
	       st.fire & PASSGATE_FIRE_LATCHED ? "true" : "false",
	       st.fire_alarms, st.lanes, st.event_first, st.event_next,
	       st.event_ring_size);
	passgate_gate_close(gate);
	return 0;
}

/* One event, one line, in the format every printer shares. */
void print_event(const struct passgate_event *ev,
		 const struct passgate_event_origin *origin, int json)
{
	char line[PASSGATE_EVENT_LINE_MAX];

	if (passgate_event_format(ev, origin, json ? PASSGATE_EVENT_JSON :
				  PASSGATE_EVENT_TEXT, line, sizeof(line)) < 0)
		fprintf(stderr, "passgatectl: event %llu: %s\n",
			(unsigned long long)ev->seq, strerror(errno));
	else
		puts(line);
}

static int cmd_events(const struct options *o, int argc, char **argv)
{
	struct passgate_event ev[64];
	struct passgate_gate *gate;
	struct pollfd pfd;
	ssize_t n, i;

	(void)argc;
	(void)argv;
	gate = open_gate(o, O_RDONLY | O_NONBLOCK);
	if (!gate)
		return 1;
	if (passgate_gate_seek_events(gate, o->from)) {
		passgate_gate_close(gate);
		return fail("seek");
	}
	pfd = (struct pollfd){ .fd = passgate_gate_fd(gate), .events = POLLIN };
	for (;;) {
		n = passgate_gate_read_events(gate, ev, 64);
		if (n < 0 && errno == EAGAIN) {
			if (!o->follow)
				break;
			fflush(stdout);
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				break;
			continue;
		}
		if (n < 0) {
			passgate_gate_close(gate);
			return fail("events");
		}
		for (i = 0; i < n; i++)
			print_event(&ev[i], NULL, o->json);
	}
	passgate_gate_close(gate);
	return 0;
}

/* status: the gate, its lanes and the active lists at a glance. */
static int cmd_status(const struct options *o, int argc, char **argv)
{
	struct passgate_policy_active active = { 0 }, tickets = { 0 };
	struct passgate_policy *policy;
	int ret;

	policy = passgate_policy_adopt(o->config.pin_root, o->gate);
	if (policy && passgate_policy_active(policy, &active))
		memset(&active, 0, sizeof(active));
	if (policy && passgate_policy_active_list(policy, PASSGATE_LIST_TICKETS,
						  &tickets))
		memset(&tickets, 0, sizeof(tickets));
	passgate_policy_close(policy);
	if (o->json)
		printf("{\"policy\":%s,\"generation\":%llu,\"entries\":%llu,"
		       "\"expires_tai\":%u,\"ticket_generation\":%llu,"
		       "\"ticket_entries\":%llu,\"ticket_expires_tai\":%u,"
		       "\"gate\":", policy ? "true" : "false",
		       (unsigned long long)active.generation,
		       (unsigned long long)active.entries, active.expires_tai,
		       (unsigned long long)tickets.generation,
		       (unsigned long long)tickets.entries,
		       tickets.expires_tai);
	else
		printf("policy %s, list generation %llu (%llu entries, "
		       "expires TAI %u), ticket list generation %llu (%llu "
		       "entries, expires TAI %u)\n",
		       policy ? "pinned" : "NOT LOADED",
		       (unsigned long long)active.generation,
		       (unsigned long long)active.entries, active.expires_tai,
		       (unsigned long long)tickets.generation,
		       (unsigned long long)tickets.entries,
		       tickets.expires_tai);
	fflush(stdout);
	ret = cmd_gate(o, argc, argv);
	if (o->json)
		printf(",\"lanes\":");
	ret |= cmd_lanes(o, argc, argv);
	if (o->json)
		printf("}\n");
	return ret;
}

static int cmd_gate_mode(const struct options *o, int argc, char **argv)
{
	int mode = passgate_gate_mode_parse(argv[1]);
	struct passgate_gate *gate;
	int ret;

	(void)argc;
	if (mode < 0) {
		fprintf(stderr, "passgatectl: not a gate mode (normal, free-all"
			" or lock-all): %s\n", argv[1]);
		return 2;
	}
	gate = open_gate(o, O_RDWR);
	if (!gate)
		return 1;
	ret = passgate_gate_set_mode(gate, mode);
	passgate_gate_close(gate);
	return ret ? fail("gate-mode") : 0;
}

static int cmd_fire_reset(const struct options *o, int argc, char **argv)
{
	struct passgate_gate *gate;
	int ret;

	(void)argc;
	(void)argv;
	gate = open_gate(o, O_RDWR);
	if (!gate)
		return 1;
	ret = passgate_gate_reset_fire(gate);
	passgate_gate_close(gate);
	if (ret && errno == EBUSY) {
		fprintf(stderr, "passgatectl: fire-reset: the fire alarm is still active\n");
		return 1;
	}
	return ret ? fail("fire-reset") : 0;
}

static const struct command {
	const char *name;
	const char *args;
	int argc;
	int max_argc;
	int (*run)(const struct options *o, int argc, char **argv);
} commands[] = {
	{ "open", "LANE|all [exit|entry]", 2, 3, cmd_open },
	{ "free", "LANE|all", 2, 0, cmd_free },
	{ "close", "LANE|all", 2, 0, cmd_close },
	{ "normal", "LANE|all", 2, 0, cmd_normal },
	{ "reset", "LANE|all", 2, 0, cmd_reset },
	{ "status", "", 1, 0, cmd_status },
	{ "monitor", "", 1, 0, cmd_monitor },
	{ "top", "", 1, 0, cmd_top },
	{ "log", "[--lane N] [--type TYPE] [--limit N]", 1, 7, cmd_log },
	{ "log-verify", "", 1, 0, cmd_log_verify },
	{ "stats", "", 1, 0, cmd_stats },
	{ "lanes", "", 1, 0, cmd_lanes },
	{ "gate", "", 1, 0, cmd_gate },
	{ "events", "", 1, 0, cmd_events },
	{ "gate-mode", "normal|free-all|lock-all", 2, 0, cmd_gate_mode },
	{ "fire-reset", "", 1, 0, cmd_fire_reset },
	{ "load", "LIST [--timeout SECONDS]", 2, 4, cmd_load },
	{ "list", "", 1, 0, cmd_list },
	{ "seed-generation", "[--tickets] N", 2, 3, cmd_seed },
};

static void usage_to(FILE *f)
{
	size_t i;

	fprintf(f, "usage: passgatectl [--json] [--config FILE] [--gate N] COMMAND\n"
		"       passgatectl -h|--help | -V|--version\n"
		"       (events also takes --from SEQ and --follow)\n");
	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(f, "  %s %s\n", commands[i].name, commands[i].args);
	fprintf(f, "Exit status: 0 done, 1 failed, 2 bad usage or config.\n");
}

static int usage(void)
{
	usage_to(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct options o = { .config_path = PASSGATE_CONFIG_FILE };
	char gate_config[64];
	unsigned long long from;
	char err[512];
	char *end;
	size_t i;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage_to(stdout);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")))
		return passgate_print_version("passgatectl");
	while (argc > 1 && !strncmp(argv[1], "--", 2)) {
		if (!strcmp(argv[1], "--json")) {
			o.json = 1;
		} else if (!strcmp(argv[1], "--follow")) {
			o.follow = 1;
		} else if (!strcmp(argv[1], "--config") && argc > 2) {
			o.config_path = argv[2];
			o.config_given = 1;
			argc--;
			argv++;
		} else if (!strcmp(argv[1], "--gate") && argc > 2) {
			if (!*argv[2] || strspn(argv[2], "0123456789") !=
			    strlen(argv[2]) || strlen(argv[2]) > 3)
				return usage();
			from = strtoull(argv[2], &end, 10);
			if (from > 255)
				return usage();
			o.gate_given = 1;
			o.gate_arg = from;
			argc--;
			argv++;
		} else if (!strcmp(argv[1], "--from") && argc > 2) {
			errno = 0;
			from = strtoull(argv[2], &end, 10);
			if (errno || *end || !*argv[2])
				return usage();
			o.from = from;
			argc--;
			argv++;
		} else {
			return usage();
		}
		argc--;
		argv++;
	}
	if (argc < 2)
		return usage();
	/*
	 * --gate N without --config: gate N's own file, as the units name it
	 * (/etc/passgate/gateN.conf), else the defaults for gate N.
	 */
	if (o.gate_given && !o.config_given) {
		snprintf(gate_config, sizeof(gate_config),
			 "/etc/passgate/gate%u.conf", o.gate_arg);
		o.config_path = gate_config;
	}
	/* Without a config file the defaults describe gate 0. */
	passgate_config_defaults(&o.config);
	if ((o.config_given || !access(o.config_path, F_OK)) &&
	    passgate_config_load(o.config_path, &o.config, err, sizeof(err))) {
		fprintf(stderr, "passgatectl: %s\n", err);
		return 2;
	}
	if (o.gate_given && access(o.config_path, F_OK))
		o.config.gate = o.gate_arg;
	if (o.gate_given && o.config.gate != o.gate_arg) {
		fprintf(stderr, "passgatectl: %s is gate %u's, not gate %u's\n",
			o.config_path, o.config.gate, o.gate_arg);
		return 2;
	}
	if (passgate_config_finish(&o.config))
		return fail("config");
	o.gate = o.config.gate;
	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			if (argc - 1 < commands[i].argc ||
			    argc - 1 > (commands[i].max_argc ?
					commands[i].max_argc : commands[i].argc))
				return usage();
			return commands[i].run(&o, argc - 1, argv + 1);
		}
	return usage();
}
