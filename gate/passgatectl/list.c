// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgatectl list: the active generation and the policy's counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/passgate.h>

#include "ctl.h"
#include "gate/policy/loader.h"

int cmd_list(const struct options *o, int argc, char **argv)
{
	static const char *const verdicts[] = {
		"defer", "accept", "deny", "pending",
	};
	const struct passgate_config *cfg = &o->config;
	struct passgate_policy_active active;
	uint64_t counters[POLICY_COUNTERS];
	struct passgate_policy *policy;
	struct policy_config pc;
	const char *sep = "";
	int v, r;

	(void)argc;
	(void)argv;
	policy = passgate_policy_adopt(cfg->pin_root, cfg->gate);
	if (!policy)
		return fail("no policy pinned for this gate");
	if (passgate_policy_active(policy, &active)) {
		if (errno != ENOENT) {
			passgate_policy_close(policy);
			return fail("active list");
		}
		memset(&active, 0, sizeof(active));
	}
	if (passgate_policy_get_config(policy, &pc) ||
	    passgate_policy_counters(policy, counters)) {
		passgate_policy_close(policy);
		return fail("policy");
	}
	passgate_policy_close(policy);

	if (!o->json) {
		printf("gate %u: generation %" PRIu64 ", %" PRIu64
		       " entries, expires (TAI) %u\n", cfg->gate,
		       active.generation, active.entries, active.expires_tai);
		for (v = 0; v < 4; v++)
			for (r = 0; r < POLICY_REASONS; r++)
				if (counters[v * POLICY_REASONS + r])
					printf("  %s reason %d: %" PRIu64 "\n",
					       verdicts[v], r,
					       counters[v * POLICY_REASONS + r]);
		return 0;
	}
	printf("{\"gate\":%u,\"generation\":%" PRIu64 ",\"entries\":%" PRIu64
	       ",\"expires_tai\":%u,\"unknown\":\"%s\",\"degraded\":\"%s\","
	       "\"counters\":[", cfg->gate, active.generation, active.entries,
	       active.expires_tai, pc.unknown ? "defer" : "deny",
	       pc.degraded ? "defer" : "deny");
	for (v = 0; v < 4; v++)
		for (r = 0; r < POLICY_REASONS; r++) {
			if (!counters[v * POLICY_REASONS + r])
				continue;
			printf("%s{\"verdict\":\"%s\",\"reason\":%d,\"count\":%"
			       PRIu64 "}", sep, verdicts[v], r,
			       counters[v * POLICY_REASONS + r]);
			sep = ",";
		}
	printf("]}\n");
	return 0;
}
