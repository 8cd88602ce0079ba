// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: passgated.conf, passgate_config_load()
 * (gate/core/config.c, with the "wedge =" lines of lib/wedge.c), on a
 * temporary file (on /dev/shm if there is one) holding the input.
 *
 * Invariants checked (abort() on violation), for a file it accepts:
 * - every field in its range (config.c, docs/operations.md, policy.md,
 *   wedge.md): gate 0-255 and policy.gate == gate; paths absolute and
 *   NUL-terminated (staff_file may be empty); max_list_bytes at most
 *   PASSGATE_LIST_LIMIT_BYTES; slow_reason MANUAL_CHECK or UNKNOWN;
 *   unknown, degraded, require_ticket, direction 0 or 1; fever 0-50.00 °C
 *   (0-5000); pair window 1 ms-1 h in whole ms; passback 0-86400 s in
 *   whole s; at most PASSGATE_WEDGE_MAX wedge lines, each as
 *   fuzz_check_wedge_config() wants;
 * - when the file sets no journal, it is <state_dir>/journal-gate<N>.db;
 * - comment lines change nothing: the file without them loads the same
 *   (accepted or refused alike, the same configuration);
 * a refusal is -1, errno EINVAL (or the open's), and a message.
 */
#include <stdint.h>

#include "fuzz_common.h"
#include "gate/core/config.h"
#include "common/allowlist.h"

static char path[128];

static int load(const uint8_t *data, size_t size, struct passgate_config *cfg,
		const char *journal)
{
	char err[PATH_MAX + 256];
	int ret;

	fuzz_write_file(path, data, size);
	passgate_config_defaults(cfg);
	if (journal)
		snprintf(cfg->journal, sizeof(cfg->journal), "%s", journal);
	err[0] = '\0';
	errno = 0;
	ret = passgate_config_load(path, cfg, err, sizeof(err));
	if (ret)
		CHECK(ret == -1 && errno == EINVAL && err[0]);
	return ret;
}

static void check_path(const char *p, bool may_be_empty)
{
	size_t n = strnlen(p, PATH_MAX);

	CHECK(n < PATH_MAX);
	CHECK(n ? p[0] == '/' : may_be_empty);
}

static void check_config(const struct passgate_config *c)
{
	const struct policy_config *p = &c->policy;

	CHECK(c->gate <= 255 && p->gate == c->gate);
	check_path(c->trust_dir, false);
	check_path(c->spool_dir, false);
	check_path(c->state_dir, false);
	check_path(c->pin_root, false);
	check_path(c->id_key_file, false);
	check_path(c->staff_file, true);
	check_path(c->journal, false);
	CHECK(c->max_list_bytes <= PASSGATE_LIST_LIMIT_BYTES);
	CHECK(c->slow_reason == PASSGATE_REASON_MANUAL_CHECK ||
	      c->slow_reason == PASSGATE_REASON_UNKNOWN);
	CHECK(p->unknown <= POLICY_FALLBACK_DEFER);
	CHECK(p->degraded <= POLICY_FALLBACK_DEFER);
	CHECK(p->require_ticket <= 1);
	CHECK(p->direction == PASSGATE_DIR_EXIT || p->direction == PASSGATE_DIR_ENTRY);
	CHECK(p->fever_centi_c >= 0 && p->fever_centi_c <= 5000);
	CHECK(p->pair_window_ns >= 1000000ull &&
	      p->pair_window_ns <= 3600000ull * 1000000ull &&
	      p->pair_window_ns % 1000000ull == 0);
	CHECK(p->passback_ns <= 86400ull * 1000000000ull &&
	      p->passback_ns % 1000000000ull == 0);
	CHECK(c->wedges <= PASSGATE_WEDGE_MAX);
	for (unsigned int i = 0; i < c->wedges; i++)
		fuzz_check_wedge_config(&c->wedge[i]);
}

/* The input without its comment lines (first non-blank character '#'). */
static size_t strip_comments(const uint8_t *data, size_t size, uint8_t *out)
{
	size_t i = 0, n = 0, end, j;

	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);

		end = nl ? (size_t)(nl - data) + 1 : size;
		for (j = i; j < end && isspace(data[j]); j++)
			;
		if (j == end || data[j] != '#') {
			memcpy(out + n, data + i, end - i);
			n += end - i;
		}
		i = end;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct passgate_config cfg, again, preset1, preset2;
	char want[PATH_MAX + 64];
	uint8_t *stripped;
	size_t n;
	int ret;

	if (!path[0])
		snprintf(path, sizeof(path), "%s/passgated.conf",
			 fuzz_dir_get("fuzz-config"));

	ret = load(data, size, &cfg, NULL);
	if (!ret) {
		check_config(&cfg);
		/* Did the file set the journal?  Not if two presets stay. */
		CHECK(load(data, size, &preset1, "/preset/1") == 0);
		CHECK(load(data, size, &preset2, "/preset/2") == 0);
		if (strcmp(preset1.journal, preset2.journal)) {
			snprintf(want, sizeof(want), "%s/journal-gate%u.db",
				 cfg.state_dir, cfg.gate);
			CHECK(!strcmp(cfg.journal, want));
		}
	}

	stripped = malloc(size ? size : 1);
	CHECK(stripped);
	n = strip_comments(data, size, stripped);
	if (n != size) {
		CHECK(load(stripped, n, &again, NULL) == ret);
		if (!ret)
			CHECK(!memcmp(&cfg, &again, sizeof(cfg)));
	}
	free(stripped);
	unlink(path);
	return 0;
}
