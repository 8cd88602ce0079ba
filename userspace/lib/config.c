// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/passgate.h>

#include "lib/config.h"
#include "lib/allowlist.h"
#include "lib/state.h"
#include "lib/policy.h"

void passgate_config_defaults(struct passgate_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->trust_dir, sizeof(cfg->trust_dir), "/etc/passgate/trust");
	snprintf(cfg->spool_dir, sizeof(cfg->spool_dir), "/var/spool/passgate");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), PASSGATE_STATE_DIR);
	snprintf(cfg->pin_root, sizeof(cfg->pin_root), PASSGATE_PIN_ROOT);
	snprintf(cfg->id_key_file, sizeof(cfg->id_key_file),
		 "/etc/passgate/id.key");
	cfg->max_list_bytes = PASSGATE_LIST_MAX_BYTES;
	cfg->slow_reason = PASSGATE_REASON_MANUAL_CHECK;
	cfg->policy.direction = PASSGATE_DIR_EXIT;
	cfg->policy.unknown = POLICY_FALLBACK_DENY;
	cfg->policy.degraded = POLICY_FALLBACK_DENY;
	/*
	 * Off: a board without a thermometer cannot screen, and screening
	 * denies (or defers) every scan without a temperature.
	 */
	cfg->policy.fever_centi_c = 0;
	cfg->policy.no_temperature = POLICY_FALLBACK_DENY;
	cfg->policy.pair_window_ns = 30ull * 1000000000ull;
	snprintf(cfg->station, sizeof(cfg->station), "station");
	cfg->mqtt_inflight = 64;
}

int passgate_config_finish(struct passgate_config *cfg)
{
	int n;

	cfg->policy.gate = cfg->gate;
	if (!cfg->gate_name[0])
		snprintf(cfg->gate_name, sizeof(cfg->gate_name), "gate%u",
			 cfg->gate);
	if (cfg->journal[0])
		return 0;
	/* By default the journal lives with the gate's other state. */
	n = snprintf(cfg->journal, sizeof(cfg->journal), "%s/journal-gate%u.db",
		     cfg->state_dir, cfg->gate);
	if (n < 0 || (size_t)n >= sizeof(cfg->journal)) {
		cfg->journal[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n > max)
		return -1;
	*out = n;
	return 0;
}

static int parse_choice(const char *v, const char *const *names, int count)
{
	for (int i = 0; i < count; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -1;
}

static int parse_path(const char *v, char *out, size_t len)
{
	if (*v != '/' || strlen(v) >= len)
		return -1;
	snprintf(out, len, "%s", v);
	return 0;
}

/* Temperature in °C with up to two decimals, e.g. 37.3; 0 = off. */
static int parse_celsius(const char *v, int32_t *out)
{
	double c;
	char *end;

	errno = 0;
	c = strtod(v, &end);
	/* Written so that NaN fails too. */
	if (errno || *end || end == v || !(c >= 0 && c <= 50))
		return -1;
	*out = (int32_t)(c * 100 + 0.5);
	return 0;
}

/* [a-z0-9-]{1,PASSGATE_NAME_MAX}: safe in a topic, a path, a label. */
static int parse_name(const char *v, char *out)
{
	size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-");

	if (!n || v[n] || n > PASSGATE_NAME_MAX)
		return -1;
	memcpy(out, v, n + 1);
	return 0;
}

/* host:port, or "none" */
static int parse_broker(struct passgate_config *cfg, const char *v)
{
	const char *colon = strrchr(v, ':');
	uint64_t port;

	if (!strcmp(v, "none")) {
		cfg->mqtt_port = 0;
		return 0;
	}
	if (!colon || colon == v ||
	    (size_t)(colon - v) >= sizeof(cfg->mqtt_host) ||
	    parse_u64(colon + 1, 65535, &port) || !port)
		return -1;
	memcpy(cfg->mqtt_host, v, colon - v);
	cfg->mqtt_host[colon - v] = '\0';
	cfg->mqtt_port = port;
	return 0;
}

static int set_key(struct passgate_config *cfg, const char *k, const char *v)
{
	static const char *const fallback[] = { "deny", "defer" };
	static const char *const yesno[] = { "no", "yes" };
	static const char *const dirs[] = { "exit", "entry" };
	uint64_t n;
	int c;

	if (!strcmp(k, "gate"))
		return parse_u64(v, 255, &n) ? -1 : (cfg->gate = n, 0);
	if (!strcmp(k, "trust_dir"))
		return parse_path(v, cfg->trust_dir, sizeof(cfg->trust_dir));
	if (!strcmp(k, "spool_dir"))
		return parse_path(v, cfg->spool_dir, sizeof(cfg->spool_dir));
	if (!strcmp(k, "state_dir"))
		return parse_path(v, cfg->state_dir, sizeof(cfg->state_dir));
	if (!strcmp(k, "pin_root"))
		return parse_path(v, cfg->pin_root, sizeof(cfg->pin_root));
	if (!strcmp(k, "id_key_file"))
		return parse_path(v, cfg->id_key_file,
				  sizeof(cfg->id_key_file));
	if (!strcmp(k, "journal"))
		return parse_path(v, cfg->journal, sizeof(cfg->journal));
	if (!strcmp(k, "staff_file"))
		return parse_path(v, cfg->staff_file, sizeof(cfg->staff_file));
	if (!strcmp(k, "slow_reason")) {
		static const char *const reasons[] = {
			"manual_check", "unknown",
		};
		c = parse_choice(v, reasons, 2);
		if (c < 0)
			return -1;
		cfg->slow_reason = c ? PASSGATE_REASON_UNKNOWN :
			PASSGATE_REASON_MANUAL_CHECK;
		return 0;
	}
	if (!strcmp(k, "max_list_bytes"))
		return parse_u64(v, PASSGATE_LIST_MAX_BYTES,
				 &cfg->max_list_bytes);
	if (!strcmp(k, "unknown") || !strcmp(k, "degraded") ||
	    !strcmp(k, "no_temperature")) {
		c = parse_choice(v, fallback, 2);
		if (c < 0)
			return -1;
		*(!strcmp(k, "unknown") ? &cfg->policy.unknown :
		  !strcmp(k, "degraded") ? &cfg->policy.degraded :
		  &cfg->policy.no_temperature) = c;
		return 0;
	}
	if (!strcmp(k, "require_ticket")) {
		c = parse_choice(v, yesno, 2);
		return c < 0 ? -1 : (cfg->policy.require_ticket = c, 0);
	}
	if (!strcmp(k, "direction")) {
		c = parse_choice(v, dirs, 2);
		return c < 0 ? -1 : (cfg->policy.direction = c, 0);
	}
	if (!strcmp(k, "fever_celsius"))
		return parse_celsius(v, &cfg->policy.fever_centi_c);
	if (!strcmp(k, "pair_window_ms")) {
		if (parse_u64(v, 3600000, &n) || !n)
			return -1;
		cfg->policy.pair_window_ns = n * 1000000;
		return 0;
	}
	if (!strcmp(k, "passback_s")) {
		if (parse_u64(v, 86400, &n))
			return -1;
		cfg->policy.passback_ns = n * 1000000000ull;
		return 0;
	}
	if (!strcmp(k, "station"))
		return parse_name(v, cfg->station);
	if (!strcmp(k, "gate_name"))
		return parse_name(v, cfg->gate_name);
	if (!strcmp(k, "mqtt_broker"))
		return parse_broker(cfg, v);
	if (!strcmp(k, "mqtt_inflight")) {
		if (parse_u64(v, 1000, &n) || !n)
			return -1;
		cfg->mqtt_inflight = n;
		return 0;
	}
	if (!strcmp(k, "metrics_file"))
		return parse_path(v, cfg->metrics_file,
				  sizeof(cfg->metrics_file));
	if (!strcmp(k, "wedge")) {
		if (cfg->wedges == PASSGATE_WEDGE_MAX ||
		    passgate_wedge_config_parse(v, &cfg->wedge[cfg->wedges]))
			return -1;
		cfg->wedges++;
		return 0;
	}
	errno = ENOENT;
	return -1;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int passgate_config_load(const char *path, struct passgate_config *cfg,
			 char *err, size_t errlen)
{
	char *line = NULL, *k, *v, *eq;
	int lineno = 0, saved;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	/* Lines of any length; a NUL byte is allowed in a comment only. */
	while ((len = getline(&line, &cap, f)) >= 0) {
		bool nul = strlen(line) != (size_t)len;

		lineno++;
		k = trim(line);
		if (*k == '#')
			continue;
		if (nul) {
			snprintf(err, errlen, "%s:%d: NUL byte", path, lineno);
			goto bad;
		}
		if (!*k)
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected key = value",
				 path, lineno);
			goto bad;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		errno = 0;
		if (set_key(cfg, k, v)) {
			snprintf(err, errlen, errno == ENOENT ?
				 "%s:%d: unknown key \"%s\"" :
				 "%s:%d: bad value for %s", path, lineno, k);
			goto bad;
		}
	}
	free(line);
	fclose(f);
	if (passgate_config_finish(cfg)) {
		snprintf(err, errlen, "%s: state_dir too long for the journal's "
			 "path", path);
		errno = EINVAL;
		return -1;
	}
	return 0;
bad:
	free(line);
	fclose(f);
	errno = EINVAL;
	return -1;
}
