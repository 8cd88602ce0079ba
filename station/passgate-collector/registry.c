// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gate registry: a small text file the operator writes, read once at
 * start and checked whole (registry.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "registry.h"

struct registry_gate *registry_find(struct registry *r, const char *name,
				    size_t len)
{
	for (size_t i = 0; i < r->count; i++)
		if (strlen(r->gate[i].name) == len &&
		    !memcmp(r->gate[i].name, name, len))
			return &r->gate[i];
	return NULL;
}

static int parse_line(char *line, struct registry_gate *g, const char **why)
{
	char *name, *number, *key, *extra, *end, *save = NULL;
	unsigned long n;
	size_t got;

	name = strtok_r(line, " \t", &save);
	number = strtok_r(NULL, " \t", &save);
	key = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (!name || !number || !key || extra) {
		*why = "not NAME NUMBER PUBLIC-KEY-HEX";
		return -1;
	}
	if (!passgate_station_valid_name(name, strlen(name))) {
		*why = "name not [a-z0-9-]{1,32}";
		return -1;
	}
	errno = 0;
	n = strtoul(number, &end, 10);
	if (errno || *end || number[0] < '0' || number[0] > '9' ||
	    n >= UINT32_MAX) {
		*why = "gate number not 0..4294967294";
		return -1;
	}
	if (strlen(key) != 2 * sizeof(g->pk) ||
	    sodium_hex2bin(g->pk, sizeof(g->pk), key, strlen(key), NULL, &got,
			   NULL) || got != sizeof(g->pk)) {
		*why = "public key not 64 hex digits";
		return -1;
	}
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->number = n;
	return 0;
}

int registry_load(const char *path, struct registry *r, char *err,
		  size_t errlen)
{
	struct registry_gate g;
	const char *why = NULL;
	char line[256];
	unsigned int lineno = 0;
	FILE *f;

	memset(r, 0, sizeof(*r));
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	r->gate = calloc(REGISTRY_GATES_MAX, sizeof(*r->gate));
	if (!r->gate) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			why = "line too long";
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t")] == '#' ||
		    !line[strspn(line, " \t")])
			continue;
		memset(&g, 0, sizeof(g));
		if (parse_line(line, &g, &why))
			break;
		if (registry_find(r, g.name, strlen(g.name))) {
			why = "gate listed twice";
			break;
		}
		/* Numbers are per gate PC: two gates may share one. */
		for (size_t i = 0; i < r->count; i++)
			if (!memcmp(r->gate[i].pk, g.pk, sizeof(g.pk)))
				why = "seal key listed twice";
		if (why)
			break;
		if (r->count == REGISTRY_GATES_MAX) {
			why = "too many gates";
			break;
		}
		r->gate[r->count++] = g;
	}
	fclose(f);
	if (why) {
		snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
		registry_free(r);
		return -1;
	}
	if (!r->count) {
		snprintf(err, errlen, "%s: no gate enrolled", path);
		registry_free(r);
		return -1;
	}
	return 0;
}

void registry_free(struct registry *r)
{
	free(r->gate);
	r->gate = NULL;
	r->count = 0;
}
