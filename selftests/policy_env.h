/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A gate with a pinned policy program and an issuer of signed lists, in a
 * temporary folder, for the tests that drive the policy through lane 1's
 * write() path: soak_test, vectors_test.
 */
#ifndef PASSGATE_POLICY_ENV_H
#define PASSGATE_POLICY_ENV_H

#include <limits.h>
#include <stddef.h>

#include "gate/core/config.h"
#include "common/listfile.h"
#include "factory_gate.h"
#include "common/minisign.h"
#include "gate/policy/loader.h"

#define POLICY_ENV_ID_KEY "passgate-selftest-deployment-key"
#define POLICY_ENV_LANE 1
/* The gate the environment builds (the test board's factory). */
#define POLICY_ENV_GATE 40

struct policy_env {
	struct factory_gate fg;	/* the gate, two lanes as gate 0 has */
	int built;
	unsigned int gate_id;	/* POLICY_ENV_GATE, or the test gate's 0 */
	char dir[64];
	struct passgate_config cfg;
	struct passgate_seckey *sec;
	struct passgate_policy *policy;
	struct passgate_gate *gate;	/* gate 0, for the lists' notes */
	int events;		/* gate 0, O_NONBLOCK, at the ring's end */
	int board;		/* lane 1's scanboard node (the bridge) */
	int turnstile;		/* lane 1's turnstile node, O_NONBLOCK */
};

/*
 * Build a gate of its own (POLICY_ENV_GATE), make the folder
 * (/tmp/<name>-XXXXXX), an issuer key,
 * the ID-card key and a config (@extra: more "key = value" lines, or
 * NULL), and open the policy pinned under /sys/fs/bpf/passgate-<name>.
 * 0, or -1 with the reason printed.
 */
int policy_env_setup(struct policy_env *env, const char *name,
		     const char *extra);
/* The same on the firmware's test gate 0 (@gate 0), whose lane 1 has the
 * SAM module and the QR engine; POLICY_ENV_GATE builds one as above. */
int policy_env_setup_on(struct policy_env *env, const char *name,
			const char *extra, unsigned int gate);
/*
 * The same in two steps, for a test that attaches a program of its own
 * to the decision before the policy's (it then runs first).
 */
int policy_env_setup_gate(struct policy_env *env, const char *name,
			  const char *extra, unsigned int gate);
int policy_env_open_policy(struct policy_env *env);
void policy_env_teardown(struct policy_env *env);

/* Sign @entries as the list @info into the folder and install it. */
int policy_env_install(struct policy_env *env, struct passgate_list_info *info,
		       struct passgate_list_entry *entries, size_t n);
/* The same for a ticket list (its record seeded at 0 if it has none). */
int policy_env_install_tickets(struct policy_env *env,
			       struct passgate_list_info *info,
			       struct passgate_ticket_entry *tickets,
			       size_t n);
/*
 * A ticket for ID card @id (its digest under the gate's key): leave
 * @station between @from and @until (unix seconds, 0: no bound) on ticket
 * @number of @train; @used as the railway says.
 */
void policy_env_ticket(struct passgate_ticket_entry *t, const char *id,
		       const char *station, uint32_t from, uint32_t until,
		       const char *train, const char *number, bool used);

/*
 * A scan on lane 1 through the bridge; the verdict (>= 0) and its reason,
 * or -errno.  @temperature < 0: none.  lane_scan() takes the bridge and
 * an O_NONBLOCK gate file of one's own.
 */
int policy_env_scan(struct policy_env *env, unsigned int kind,
		    const char *token, int temperature, unsigned int *reason);
/* The same on any lane: its bridge, its gate's events file, its number. */
int lane_scan(int board, int events, unsigned int lane, unsigned int kind,
	      const char *token, int temperature, unsigned int *reason);

/*
 * The first @len bytes of the digest of a health code or of an ID card
 * number (with the gate's key), as list entries hold them.
 */
void policy_env_code_digest(const char *code, __u8 *out, size_t len);
void policy_env_id_digest(const char *id, __u8 *out, size_t len);

#endif
