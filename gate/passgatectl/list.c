// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgatectl list: the active generations (health codes, tickets) and
 * the policy's counters.
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
	struct passgate_policy_active active, tickets;
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
	if (passgate_policy_active_list(policy, PASSGATE_LIST_TICKETS,
					&tickets)) {
		if (errno != ENOENT) {
			passgate_policy_close(policy);
			return fail("active ticket list");
		}
		memset(&tickets, 0, sizeof(tickets));
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
		printf("gate %u: ticket generation %" PRIu64 ", %" PRIu64
		       " entries, expires (TAI) %u; ticket checking %s\n",
		       cfg->gate, tickets.generation, tickets.entries,
		       tickets.expires_tai, pc.ticket ? "id-card" : "off");
		for (v = 0; v < 4; v++)
			for (r = 0; r < POLICY_REASONS; r++)
				if (counters[v * POLICY_REASONS + r])
					printf("  %s reason %d: %" PRIu64 "\n",
					       verdicts[v], r,
					       counters[v * POLICY_REASONS + r]);
		return 0;
	}
	printf("{\"gate\":%u,\"generation\":%" PRIu64 ",\"entries\":%" PRIu64
	       ",\"expires_tai\":%u,\"ticket_generation\":%" PRIu64
	       ",\"ticket_entries\":%" PRIu64 ",\"ticket_expires_tai\":%u,"
	       "\"ticket\":\"%s\",\"unknown\":\"%s\",\"degraded\":\"%s\","
	       "\"counters\":[", cfg->gate, active.generation, active.entries,
	       active.expires_tai, tickets.generation, tickets.entries,
	       tickets.expires_tai, pc.ticket ? "id-card" : "off",
	       pc.unknown ? "defer" : "deny", pc.degraded ? "defer" : "deny");
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
