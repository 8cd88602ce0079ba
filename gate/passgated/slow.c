// SPDX-License-Identifier: GPL-2.0-only
/*
 * The slow path: scans the fast path deferred (unknown credentials or a
 * degraded gate, by configuration), read from each lane's scanboard node
 * and answered before their deadline.  The gate PC's own source of truth
 * is the staff file: credentials that are not the health authority's
 * business (staff and maintenance cards), accepted here; an expired ID
 * card is refused as the fast path refuses it; every other deferred scan
 * is denied with slow_reason (gate/core/deferred.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/passgate.h>

#include "daemon.h"
#include "common/digest.h"
#include "gate/core/deferred.h"

static int digest_cmp(const void *a, const void *b)
{
	return memcmp(a, b, PASSGATE_DIGEST_SIZE);
}

/* One token per line (health-code kind); blank lines and # comments. */
static int staff_load(struct daemon *d)
{
	char line[PASSGATE_TOKEN_MAX + 2];
	size_t len, cap = 0;
	uint8_t *grown;
	FILE *f;

	if (!d->cfg.staff_file[0])
		return 0;
	f = fopen(d->cfg.staff_file, "re");
	if (!f) {
		passgate_log_pri(LOG_ERR, NULL, "staff file %s: %s",
				 d->cfg.staff_file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (!len || line[0] == '#')
			continue;
		if (d->staff_count == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(d->staff, cap * PASSGATE_DIGEST_SIZE);
			if (!grown) {
				fclose(f);
				return -1;
			}
			d->staff = grown;
		}
		passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, line, len,
					NULL, d->staff + d->staff_count *
					PASSGATE_DIGEST_SIZE);
		d->staff_count++;
	}
	fclose(f);
	qsort(d->staff, d->staff_count, PASSGATE_DIGEST_SIZE, digest_cmp);
	passgate_log("slow path: %zu staff credentials", d->staff_count);
	return 0;
}

int slow_open(struct daemon *d)
{
	char pattern[64];
	struct passgate_scanboard *sb;
	unsigned int lane;
	glob_t g;
	size_t i;

	if (staff_load(d))
		return -1;
	snprintf(pattern, sizeof(pattern), "/dev/passgate/gate%u/lane*/scanboard",
		 d->cfg.gate);
	if (glob(pattern, 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc && d->boards < DAEMON_MAX_BOARDS; i++) {
		if (sscanf(g.gl_pathv[i], "/dev/passgate/gate%*u/lane%u/",
			   &lane) != 1)
			continue;
		sb = passgate_scanboard_open(d->cfg.gate, lane,
					     O_RDWR | O_NONBLOCK);
		if (!sb || passgate_loop_watch(&d->loop,
					       passgate_scanboard_fd(sb),
					       SOURCE_SLOW, d->boards)) {
			passgate_log_pri(LOG_WARNING, PASSGATE_LOG_LANE(lane),
					 "%s: %s", g.gl_pathv[i],
					 strerror(errno));
			passgate_scanboard_close(sb);
			continue;
		}
		d->board[d->boards++] = sb;
	}
	globfree(&g);
	return 0;
}

static bool slow_is_staff(const struct daemon *d, const struct passgate_scan *s)
{
	return s->kind == PASSGATE_CRED_HEALTH_CODE && d->staff_count &&
	       bsearch(s->digest, d->staff, d->staff_count,
		       PASSGATE_DIGEST_SIZE, digest_cmp);
}

void slow_handle(struct daemon *d, unsigned int index)
{
	struct passgate_scanboard *sb = d->board[index];
	enum passgate_verdict verdict;
	struct passgate_scan scan;
	uint32_t reason;
	int ret;

	while (passgate_scanboard_read_scan(sb, &scan) == 1) {
		verdict = passgate_deferred_verdict(&scan,
						    slow_is_staff(d, &scan),
						    d->cfg.slow_reason,
						    time(NULL), &reason);
		ret = passgate_scanboard_answer(sb, scan.scan_id, verdict,
						reason,
						verdict == PASSGATE_VERDICT_ACCEPT ?
						d->cfg.policy.direction : 0);
		if (ret)
			passgate_log_pri(LOG_WARNING,
					 PASSGATE_LOG_LANE(scan.lane),
					 "lane %u scan %" PRIu64 ": %s",
					 scan.lane, (uint64_t)scan.scan_id,
					 strerror(errno));
		/* The token must not linger in memory. */
		memset(&scan, 0, sizeof(scan));
	}
}

void slow_close(struct daemon *d)
{
	for (unsigned int i = 0; i < d->boards; i++)
		passgate_scanboard_close(d->board[i]);
	free(d->staff);
}
