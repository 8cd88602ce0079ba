// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgatectl: the operator's tool.
 *
 *   passgatectl [--json] lanes     list every lane with its wiring and state
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/passgate.h>

#define LANE_GLOB "/dev/passgate/gate*/lane*/turnstile"

static const char *const capability_names[] = {
	"unlock-exit", "unlock-entry", "beams", "alarm", "indicator",
	"fail-safe",
};

static int lane_query(const char *path, struct passgate_info *info,
		      struct passgate_state *state)
{
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	memset(state, 0, sizeof(*state));
	state->size = sizeof(*state);
	if (ioctl(fd, PASSGATE_IOC_GET_INFO, info) ||
	    ioctl(fd, PASSGATE_IOC_GET_STATE, state))
		ret = -errno;
	close(fd);
	return ret;
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

static int cmd_lanes(int json)
{
	struct passgate_state state;
	struct passgate_info info;
	glob_t g;
	size_t i;
	int ret, status = 0;

	ret = glob(LANE_GLOB, 0, NULL, &g);
	if (ret == GLOB_NOMATCH) {
		if (json)
			printf("[]\n");
		else
			fprintf(stderr, "passgatectl: no lanes (is passgate.ko loaded?)\n");
		return json ? 0 : 1;
	}
	if (ret)
		return 1;

	printf(json ? "[" : "%-5s %-5s %-10s %-6s %-8s %s\n",
	       "gate", "lane", "directions", "beams", "timeout", "capabilities");
	for (i = 0; i < g.gl_pathc; i++) {
		ret = lane_query(g.gl_pathv[i], &info, &state);
		if (ret) {
			fprintf(stderr, "passgatectl: %s: %s\n", g.gl_pathv[i],
				strerror(-ret));
			status = 1;
			continue;
		}
		if (json) {
			printf("%s{\"gate\":%u,\"lane\":%u,\"directions\":%u,"
			       "\"beams\":%u,\"outputs\":%u,"
			       "\"passage_timeout_ms\":%u,\"alarm_ms\":%u,"
			       "\"capabilities\":[",
			       i ? "," : "", info.gate, info.lane,
			       info.directions, state.beams, state.outputs,
			       info.passage_timeout_ms, info.alarm_ms);
			print_capabilities(info.capabilities, 1);
			printf("]}");
		} else {
			printf("%-5u %-5u %-10s %-6u %-8u ", info.gate,
			       info.lane,
			       info.directions == 3 ? "both" :
			       info.directions == 1 ? "exit" : "entry",
			       state.beams, info.passage_timeout_ms);
			print_capabilities(info.capabilities, 0);
			printf("\n");
		}
	}
	if (json)
		printf("]\n");
	globfree(&g);
	return status;
}

static int usage(void)
{
	fprintf(stderr, "usage: passgatectl [--json] lanes\n");
	return 2;
}

int main(int argc, char **argv)
{
	int json = 0;

	if (argc > 1 && !strcmp(argv[1], "--json")) {
		json = 1;
		argc--;
		argv++;
	}
	if (argc != 2)
		return usage();
	if (!strcmp(argv[1], "lanes"))
		return cmd_lanes(json);
	return usage();
}
