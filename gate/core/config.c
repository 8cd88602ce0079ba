// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/passgate.h>

#include "common/version.h"
#include "gate/core/config.h"
#include "common/allowlist.h"
#include "gate/core/state.h"
#include "gate/policy/loader.h"

int passgate_config_cli(int argc, char **argv, const char *prog,
			const char *usage, const char **config)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			*config = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			return passgate_print_version(prog);
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	return -1;
}

void passgate_config_defaults(struct passgate_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->trust_dir, sizeof(cfg->trust_dir), "/etc/passgate/trust");
	snprintf(cfg->spool_dir, sizeof(cfg->spool_dir), "/var/spool/passgate");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), PASSGATE_STATE_DIR);
	snprintf(cfg->pin_root, sizeof(cfg->pin_root), PASSGATE_PIN_ROOT);
	snprintf(cfg->uplink_dir, sizeof(cfg->uplink_dir),
		 "/var/lib/passgate-uplink");
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

/*
 * One row a key: where its value goes and how it is read.  @offset and
 * @size place the field in struct passgate_config; a number is at most
 * @max, at least @min, and stored times @scale; a choice is one of
 * @choices, stored as its index or, with @values, as values[index].
 */
struct config_key {
	const char *name;
	int (*set)(struct passgate_config *cfg, const struct config_key *key,
		   const char *v);
	size_t offset;
	size_t size;
	uint64_t min, max, scale;
	const char *const *choices;
	const uint32_t *values;
};

static void *field(struct passgate_config *cfg, const struct config_key *key)
{
	return (char *)cfg + key->offset;
}

static int set_uint(struct passgate_config *cfg, const struct config_key *key,
		    const char *v)
{
	uint64_t n;

	if (parse_u64(v, key->max, &n) || n < key->min)
		return -1;
	n *= key->scale ? key->scale : 1;
	if (key->size == sizeof(uint64_t))
		*(uint64_t *)field(cfg, key) = n;
	else
		*(uint32_t *)field(cfg, key) = n;
	return 0;
}

static int set_choice(struct passgate_config *cfg,
		      const struct config_key *key, const char *v)
{
	int n = 0, c;

	while (key->choices[n])
		n++;
	c = parse_choice(v, key->choices, n);
	if (c < 0)
		return -1;
	*(uint32_t *)field(cfg, key) = key->values ? key->values[c] :
				       (uint32_t)c;
	return 0;
}

static int set_path(struct passgate_config *cfg, const struct config_key *key,
		    const char *v)
{
	return parse_path(v, field(cfg, key), key->size);
}

static int set_name(struct passgate_config *cfg, const struct config_key *key,
		    const char *v)
{
	return parse_name(v, field(cfg, key));
}

/* A 32-byte public key as 64 hex digits. */
static int set_key32(struct passgate_config *cfg, const struct config_key *key,
		     const char *v)
{
	uint8_t *out = field(cfg, key);

	if (strlen(v) != 64)
		goto bad;
	for (int i = 0; i < 32; i++) {
		unsigned int b;

		if (!isxdigit((unsigned char)v[2 * i]) ||
		    !isxdigit((unsigned char)v[2 * i + 1]) ||
		    sscanf(v + 2 * i, "%2x", &b) != 1)
			goto bad;
		out[i] = b;
	}
	cfg->collector_key_set = true;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

static int set_celsius(struct passgate_config *cfg,
		       const struct config_key *key, const char *v)
{
	return parse_celsius(v, field(cfg, key));
}

static int set_broker(struct passgate_config *cfg,
		      const struct config_key *key, const char *v)
{
	(void)key;
	return parse_broker(cfg, v);
}

static int set_wedge(struct passgate_config *cfg, const struct config_key *key,
		     const char *v)
{
	(void)key;
	if (cfg->wedges == PASSGATE_WEDGE_MAX ||
	    passgate_wedge_config_parse(v, &cfg->wedge[cfg->wedges]))
		return -1;
	cfg->wedges++;
	return 0;
}

static const char *const fallbacks[] = { "deny", "defer", NULL };
static const char *const yesno[] = { "no", "yes", NULL };
static const char *const directions[] = { "exit", "entry", NULL };
/* By &enum policy_ticket. */
static const char *const tickets[] = { "off", "id-card", NULL };
static const char *const slow_reasons[] = { "manual_check", "unknown", NULL };
static const uint32_t slow_reason_values[] = {
	PASSGATE_REASON_MANUAL_CHECK, PASSGATE_REASON_UNKNOWN,
};

#define FIELD(f) .offset = offsetof(struct passgate_config, f), \
	.size = sizeof(((struct passgate_config *)0)->f)

/* Every key passgated.conf knows (docs/operations.md). */
static const struct config_key config_keys[] = {
	{ .name = "gate", .set = set_uint, FIELD(gate), .max = 255 },
	{ .name = "trust_dir", .set = set_path, FIELD(trust_dir) },
	{ .name = "spool_dir", .set = set_path, FIELD(spool_dir) },
	{ .name = "state_dir", .set = set_path, FIELD(state_dir) },
	{ .name = "pin_root", .set = set_path, FIELD(pin_root) },
	{ .name = "id_key_file", .set = set_path, FIELD(id_key_file) },
	{ .name = "journal", .set = set_path, FIELD(journal) },
	{ .name = "staff_file", .set = set_path, FIELD(staff_file) },
	{ .name = "slow_reason", .set = set_choice, FIELD(slow_reason),
	  .choices = slow_reasons, .values = slow_reason_values },
	{ .name = "max_list_bytes", .set = set_uint, FIELD(max_list_bytes),
	  .max = PASSGATE_LIST_LIMIT_BYTES },
	{ .name = "unknown", .set = set_choice, FIELD(policy.unknown),
	  .choices = fallbacks },
	{ .name = "degraded", .set = set_choice, FIELD(policy.degraded),
	  .choices = fallbacks },
	{ .name = "no_temperature", .set = set_choice, FIELD(policy.no_temperature),
	  .choices = fallbacks },
	{ .name = "require_ticket", .set = set_choice, FIELD(policy.require_ticket),
	  .choices = yesno },
	{ .name = "ticket", .set = set_choice, FIELD(policy.ticket),
	  .choices = tickets },
	{ .name = "direction", .set = set_choice, FIELD(policy.direction),
	  .choices = directions },
	{ .name = "fever_celsius", .set = set_celsius, FIELD(policy.fever_centi_c) },
	{ .name = "pair_window_ms", .set = set_uint, FIELD(policy.pair_window_ns),
	  .min = 1, .max = 3600000, .scale = 1000000 },
	{ .name = "passback_s", .set = set_uint, FIELD(policy.passback_ns),
	  .max = 86400, .scale = 1000000000ull },
	{ .name = "station", .set = set_name, FIELD(station) },
	{ .name = "gate_name", .set = set_name, FIELD(gate_name) },
	{ .name = "mqtt_broker", .set = set_broker },
	{ .name = "mqtt_inflight", .set = set_uint, FIELD(mqtt_inflight),
	  .min = 1, .max = 1000 },
	{ .name = "metrics_file", .set = set_path, FIELD(metrics_file) },
	{ .name = "uplink_dir", .set = set_path, FIELD(uplink_dir) },
	{ .name = "mqtt_ca", .set = set_path, FIELD(mqtt_ca) },
	{ .name = "mqtt_cert", .set = set_path, FIELD(mqtt_cert) },
	{ .name = "mqtt_key", .set = set_path, FIELD(mqtt_key) },
	{ .name = "uplink_metrics_file", .set = set_path,
	  FIELD(uplink_metrics_file) },
	{ .name = "collector_key", .set = set_key32, FIELD(collector_key) },
	{ .name = "wedge", .set = set_wedge },
};

static int set_key(struct passgate_config *cfg, const char *k, const char *v)
{
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(*config_keys); i++)
		if (!strcmp(k, config_keys[i].name))
			return config_keys[i].set(cfg, &config_keys[i], v);
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
