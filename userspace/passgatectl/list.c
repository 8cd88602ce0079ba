// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgatectl load LIST: verify a signed list and make it the gate's
 * active generation, exactly as the daemon's spool does.
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
#include "lib/install.h"

int cmd_load(const struct options *o, int argc, char **argv)
{
	const struct passgate_config *cfg = &o->config;
	struct passgate_list_info info;
	struct passgate_policy *policy;
	struct passgate_gate *gate;
	enum passgate_refusal refusal;
	char err[512] = "";
	bool adopted;
	int ret;

	(void)argc;
	policy = passgate_policy_open(cfg->pin_root, cfg->gate, &cfg->policy,
				      &adopted);
	if (!policy)
		return fail("policy");
	gate = passgate_gate_open(cfg->gate, O_RDONLY);
	ret = passgate_install_list(cfg, policy, gate ?
				    passgate_gate_fd(gate) : -1, argv[1],
				    &info, &refusal, err, sizeof(err));
	passgate_gate_close(gate);
	passgate_policy_close(policy);
	if (ret) {
		fprintf(stderr, "passgatectl: %s refused: %s\n", argv[1], err);
		return 1;
	}
	if (o->json)
		printf("{\"generation\":%" PRIu64 ",\"kind\":\"%s\",\"entries\":%"
		       PRIu64 ",\"expires_at\":%" PRIu64 "}\n", info.generation,
		       passgate_list_kind_name(info.kind), info.entry_count,
		       info.expires_at);
	else
		printf("generation %" PRIu64 " (%s, %" PRIu64
		       " entries) active, expires %" PRIu64 "\n",
		       info.generation, passgate_list_kind_name(info.kind),
		       info.entry_count, info.expires_at);
	return 0;
}

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
