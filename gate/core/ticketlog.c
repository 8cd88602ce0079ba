// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "gate/core/ticketlog.h"

/* 32 hex digits, a ticket number, two numbers, blanks and a newline. */
#define LINE_MAX_BYTES (2 * POLICY_DIGEST + POLICY_TICKET_NUMBER + 2 * 10 + 8)

int passgate_ticket_log_path(const struct passgate_config *cfg, char *buf,
			     size_t len)
{
	int n = snprintf(buf, len, "%s/gate%u.tickets-used", cfg->state_dir,
			 cfg->gate);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* One use as a line; its length. */
static int format_use(char *line, size_t len,
		      const struct policy_ticket_record *rec)
{
	char hex[2 * POLICY_DIGEST + 1];
	int i;

	for (i = 0; i < POLICY_DIGEST; i++)
		snprintf(hex + 2 * i, 3, "%02x", rec->key.id_digest[i]);
	return snprintf(line, len, "%s %.*s %" PRIu32 " %" PRIu32 "\n", hex,
			POLICY_TICKET_NUMBER, (const char *)rec->key.ticket,
			rec->use.used_at, rec->use.valid_until);
}

/* One line back; 0, or -1 when it is not a whole use. */
static int parse_use(const char *line, struct policy_ticket_record *rec)
{
	char hex[2 * POLICY_DIGEST + 1], ticket[POLICY_TICKET_NUMBER + 1];
	unsigned int byte;
	char end;
	int i;

	memset(rec, 0, sizeof(*rec));
	/* The newline must be there: a torn line is not a use. */
	if (sscanf(line, "%32[0-9a-f] %16[!-~] %" SCNu32 " %" SCNu32 "%c",
		   hex, ticket, &rec->use.used_at, &rec->use.valid_until,
		   &end) != 5 || end != '\n' ||
	    strlen(hex) != 2 * POLICY_DIGEST)
		return -1;
	for (i = 0; i < POLICY_DIGEST; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -1;
		rec->key.id_digest[i] = byte;
	}
	memcpy(rec->key.ticket, ticket, strlen(ticket));
	return 0;
}

ssize_t passgate_ticket_log_read(const char *path, uint32_t now_tai,
				 struct policy_ticket_record **out)
{
	struct policy_ticket_record rec, *all = NULL, *grown;
	size_t n = 0, cap = 0;
	char line[LINE_MAX_BYTES];
	int saved;
	FILE *f;

	*out = NULL;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		if (parse_use(line, &rec))
			continue;
		/* Its window is over: no exit on it is let through anyway. */
		if (rec.use.valid_until && rec.use.valid_until <= now_tai)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(all, cap * sizeof(*all));
			if (!grown)
				goto fail;
			all = grown;
		}
		all[n++] = rec;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	*out = all;
	return n;
fail:
	saved = errno;
	fclose(f);
	free(all);
	errno = saved;
	return -1;
}

static char *format_all(const struct policy_ticket_record *recs, size_t n,
			size_t *len)
{
	char *text = malloc(n * LINE_MAX_BYTES + 1);
	size_t i;

	*len = 0;
	if (!text)
		return NULL;
	for (i = 0; i < n; i++)
		*len += format_use(text + *len, LINE_MAX_BYTES, &recs[i]);
	return text;
}

int passgate_ticket_log_write(const char *path,
			      const struct policy_ticket_record *recs,
			      size_t n)
{
	size_t len;
	char *text = format_all(recs, n, &len);
	int ret, saved;

	if (!text)
		return -1;
	ret = passgate_file_replace(path, text, len, 0640);
	saved = errno;
	free(text);
	errno = saved;
	return ret;
}

int passgate_ticket_log_append(int fd, const struct policy_ticket_record *recs,
			       size_t n)
{
	size_t len;
	char *text = format_all(recs, n, &len);
	int ret, saved;

	if (!text)
		return -1;
	/* One write: the lines of a batch go in whole or torn at the end. */
	ret = passgate_file_write_all(fd, text, len) || fdatasync(fd) ? -1 : 0;
	saved = errno;
	free(text);
	errno = saved;
	return ret;
}
