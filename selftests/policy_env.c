// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy_env.h"
#include "gate/core/state.h"
#include "gate_fixture.h"
#include "board.h"
#include "common/digest.h"
#include "gate/core/install.h"

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "# policy_env: %s: %s\n", what, why);
	return -1;
}

int policy_env_setup(struct policy_env *env, const char *name,
		     const char *extra)
{
	return policy_env_setup_on(env, name, extra, POLICY_ENV_GATE);
}

int policy_env_setup_on(struct policy_env *env, const char *name,
			const char *extra, unsigned int gate)
{
	if (policy_env_setup_gate(env, name, extra, gate))
		return -1;
	return policy_env_open_policy(env);
}

int policy_env_setup_gate(struct policy_env *env, const char *name,
			  const char *extra, unsigned int gate)
{
	char path[PATH_MAX], pub[PATH_MAX], text[2048], err[256];
	struct passgate_key k = { .size = sizeof(k) };

	memset(env, 0, sizeof(*env));
	env->events = env->board = env->turnstile = -1;
	env->gate_id = gate;
	/* Lanes as gate 0's: lane 1, the bridge's, exit only. */
	if (gate == POLICY_ENV_GATE) {
		if (factory_gate_new(&env->fg, env->gate_id,
				     "lanes=2 entry=1 passage-timeout-ms=2000,1000 "
				     "debounce-ms=0,10 beam-blocked-ms=5000,500"))
			return fail("gate", "not built");
		env->built = 1;
	}
	snprintf(env->dir, sizeof(env->dir), "/tmp/%s-XXXXXX", name);
	if (!mkdtemp(env->dir))
		return fail(env->dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/trust", env->dir);
	if (mkdir(path, 0700))
		return fail(path, strerror(errno));
	snprintf(pub, sizeof(pub), "%s/trust/issuer.pub", env->dir);
	snprintf(path, sizeof(path), "%s/issuer.key", env->dir);
	if (passgate_seckey_generate(pub, path, err, sizeof(err)))
		return fail("issuer key", err);
	env->sec = passgate_seckey_load(path, err, sizeof(err));
	if (!env->sec)
		return fail("issuer key", err);
	snprintf(path, sizeof(path), "%s/id.key", env->dir);
	if (file_write(path, POLICY_ENV_ID_KEY, 32))
		return fail(path, strerror(errno));

	snprintf(text, sizeof(text),
		 "gate = %u\ntrust_dir = %s/trust\nspool_dir = %s/spool\n"
		 "state_dir = %s/state\nid_key_file = %s/id.key\n"
		 "pin_root = /sys/fs/bpf/passgate-%s\n%s",
		 env->gate_id, env->dir, env->dir, env->dir, env->dir, name,
		 extra ? extra : "");
	snprintf(path, sizeof(path), "%s/passgated.conf", env->dir);
	if (file_write(path, text, strlen(text)))
		return fail(path, strerror(errno));
	passgate_config_defaults(&env->cfg);
	if (passgate_config_load(path, &env->cfg, err, sizeof(err)))
		return fail(path, err);
	/* A new gate's rollback record, as its install seeds it. */
	if (passgate_record_seed(env->cfg.state_dir, env->gate_id, 0))
		return fail("seed", strerror(errno));

	env->events = gate_open(env->gate_id, O_RDWR | O_NONBLOCK);
	if (env->events < 0 || lseek(env->events, 0, SEEK_END) < 0)
		return fail("gate node", strerror(errno));
	env->gate = passgate_gate_open(env->gate_id, O_RDWR);
	if (!env->gate)
		return fail("gate node", strerror(errno));
	memcpy(k.key, POLICY_ENV_ID_KEY, sizeof(k.key));
	if (ioctl(env->events, PASSGATE_IOC_GATE_SET_KEY, &k) &&
	    errno != EEXIST)
		return fail("ID key", strerror(errno));
	env->board = lane_open(env->gate_id, POLICY_ENV_LANE, "scanboard",
			       O_RDWR | O_NONBLOCK);
	env->turnstile = lane_open(env->gate_id, POLICY_ENV_LANE,
				   "turnstile", O_RDWR | O_NONBLOCK);
	if (env->board < 0 || env->turnstile < 0)
		return fail("lane 1", strerror(errno));
	return 0;
}

int policy_env_open_policy(struct policy_env *env)
{
	bool adopted;

	passgate_policy_unpin(env->cfg.pin_root, env->gate_id);
	env->policy = passgate_policy_open(env->cfg.pin_root, env->gate_id,
					   &env->cfg.policy, &adopted);
	if (!env->policy)
		return fail("policy", strerror(errno));
	return 0;
}

void policy_env_teardown(struct policy_env *env)
{
	char cmd[128];

	if (env->policy)
		passgate_policy_close(env->policy);
	passgate_policy_unpin(env->cfg.pin_root, env->gate_id);
	if (env->sec)
		passgate_seckey_free(env->sec);
	if (env->events >= 0)
		close(env->events);
	passgate_gate_close(env->gate);
	if (env->board >= 0)
		close(env->board);
	if (env->turnstile >= 0)
		close(env->turnstile);
	if (env->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", env->dir);
		if (system(cmd))
			fprintf(stderr, "# policy_env: %s left\n", env->dir);
	}
	if (env->built)
		factory_gate_delete(&env->fg);
}

int policy_env_install(struct policy_env *env, struct passgate_list_info *info,
		       struct passgate_list_entry *entries, size_t n)
{
	enum passgate_refusal refusal;
	char path[PATH_MAX], err[512];

	snprintf(path, sizeof(path), "%s/g%llu.pgl", env->dir,
		 (unsigned long long)info->generation);
	if (passgate_listfile_write(path, info, entries, n, env->sec, err,
				    sizeof(err)) ||
	    passgate_install_list(&env->cfg, env->policy, env->gate, path,
				  info, &refusal, err, sizeof(err)))
		return fail(path, err);
	return 0;
}

int policy_env_install_tickets(struct policy_env *env,
			       struct passgate_list_info *info,
			       struct passgate_ticket_entry *tickets,
			       size_t n)
{
	enum passgate_refusal refusal;
	char path[PATH_MAX], err[512];
	struct passgate_record rec;

	if (passgate_record_read_list(env->cfg.state_dir, env->gate_id,
				      PASSGATE_LIST_TICKETS, &rec) &&
	    passgate_record_seed_list(env->cfg.state_dir, env->gate_id,
				      PASSGATE_LIST_TICKETS, 0))
		return fail("ticket record", strerror(errno));
	snprintf(path, sizeof(path), "%s/t%llu.pgl", env->dir,
		 (unsigned long long)info->generation);
	if (passgate_listfile_write_tickets(path, info, tickets, n, env->sec,
					    err, sizeof(err)) ||
	    passgate_install_list(&env->cfg, env->policy, env->gate, path,
				  info, &refusal, err, sizeof(err)))
		return fail(path, err);
	return 0;
}

void policy_env_ticket(struct passgate_ticket_entry *t, const char *id,
		       const char *station, uint32_t from, uint32_t until,
		       const char *train, const char *number, bool used)
{
	memset(t, 0, sizeof(*t));
	policy_env_id_digest(id, t->digest, sizeof(t->digest));
	t->status = PASSGATE_TICKET_ISSUED;
	t->flags = used ? PASSGATE_TICKET_USED : 0;
	t->valid_from = from;
	t->valid_until = until;
	/* NUL-padded, as the format has them; the test's are short. */
	memcpy(t->station, station, strnlen(station, sizeof(t->station)));
	memcpy(t->train, train, strnlen(train, sizeof(t->train)));
	memcpy(t->ticket, number, strnlen(number, sizeof(t->ticket)));
}

int policy_env_scan(struct policy_env *env, unsigned int kind,
		    const char *token, int temperature, unsigned int *reason)
{
	return lane_scan(env->board, env->events, POLICY_ENV_LANE, kind, token,
			 temperature, reason);
}

int lane_scan(int board, int events, unsigned int lane, unsigned int kind,
	      const char *token, int temperature, unsigned int *reason)
{
	struct passgate_verdict_record rec;
	__u8 frame[PASSGATE_FRAME_MAX];
	struct passgate_event ev;
	size_t n;

	n = board_scan_frame(frame, sizeof(frame), 1, kind, token,
			     temperature);
	if (write(board, frame, n) != (ssize_t)n)
		return -errno;
	if (gate_wait_event(events, PASSGATE_EV_VERDICT, lane, &ev))
		return -ETIMEDOUT;
	memcpy(&rec, ev.data, sizeof(rec));
	*reason = rec.reason;
	return ev.arg;
}

void policy_env_code_digest(const char *code, __u8 *out, size_t len)
{
	uint8_t digest[PASSGATE_DIGEST_SIZE];

	passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, code, strlen(code),
				NULL, digest);
	memcpy(out, digest, len < sizeof(digest) ? len : sizeof(digest));
}

void policy_env_id_digest(const char *id, __u8 *out, size_t len)
{
	uint8_t digest[PASSGATE_DIGEST_SIZE];

	passgate_digest_compute(PASSGATE_CRED_ID_CARD, id, strlen(id),
				(const uint8_t *)POLICY_ENV_ID_KEY, digest);
	memcpy(out, digest, len < sizeof(digest) ? len : sizeof(digest));
}
