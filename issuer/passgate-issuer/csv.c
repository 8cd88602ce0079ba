// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-issuer: the CSV a list is built from, one entry a line, checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "issuer.h"
#include "common/digest.h"
#include "common/minisign.h"

/*
 * Split one CSV line (RFC 4180 quoting, no line breaks inside quotes)
 * into @fields in place.  Returns the number of fields, or -1.
 */
static int csv_split(char *line, char **fields, int max)
{
	char *in = line, *out;
	int n = 0;

	for (;;) {
		if (n == max)
			return -1;
		out = in;
		fields[n++] = out;
		if (*in == '"') {
			in++;
			for (;;) {
				if (!*in)
					return -1;
				if (*in == '"' && in[1] == '"') {
					*out++ = '"';
					in += 2;
				} else if (*in == '"') {
					in++;
					break;
				} else {
					*out++ = *in++;
				}
			}
			if (*in && *in != ',')
				return -1;
		} else {
			while (*in && *in != ',') {
				if (*in == '"')
					return -1;
				*out++ = *in++;
			}
		}
		if (!*in) {
			*out = '\0';
			return n;
		}
		*out = '\0';
		in++;
	}
}

struct csv_entry {
	struct passgate_list_entry entry;
	size_t line;
};

static int compare_csv_entries(const void *a, const void *b)
{
	const struct csv_entry *x = a, *y = b;
	int d = memcmp(x->entry.digest, y->entry.digest, PASSGATE_LIST_DIGEST);

	if (d)
		return d;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* One data line into @e; NULL, or what is wrong with it. */
static const char *csv_entry(char *line, const uint8_t *id_key,
			     struct passgate_list_entry *e)
{
	static char why[128];
	uint8_t digest[PASSGATE_DIGEST_SIZE];
	char *f[CSV_FIELDS];
	uint64_t v;

	memset(e, 0, sizeof(*e));
	if (csv_split(line, f, CSV_FIELDS) != CSV_FIELDS)
		return "not 6 comma-separated fields (" CSV_HEADER ")";
	if (!*f[0])
		return "empty code";
	if (strlen(f[0]) > PASSGATE_TOKEN_MAX) {
		snprintf(why, sizeof(why), "code longer than %d bytes",
			 PASSGATE_TOKEN_MAX);
		return why;
	}
	passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, f[0], strlen(f[0]),
				NULL, digest);
	memcpy(e->digest, digest, PASSGATE_LIST_DIGEST);

	if (!strcmp(f[1], "GREEN"))
		e->status = PASSGATE_STATUS_GREEN;
	else if (!strcmp(f[1], "YELLOW"))
		e->status = PASSGATE_STATUS_YELLOW;
	else if (!strcmp(f[1], "RED"))
		e->status = PASSGATE_STATUS_RED;
	else
		return "status is not GREEN, YELLOW or RED";

	if (*f[2]) {
		if (!id_key)
			return "id_number given, but no --id-key";
		if (strlen(f[2]) > PASSGATE_TOKEN_MAX) {
			snprintf(why, sizeof(why), "id_number longer than %d bytes",
				 PASSGATE_TOKEN_MAX);
			return why;
		}
		passgate_digest_compute(PASSGATE_CRED_ID_CARD, f[2],
					strlen(f[2]), id_key, digest);
		memcpy(e->id_digest, digest, PASSGATE_LIST_DIGEST);
	}
	if (*f[3] && parse_u64(f[3], UINT32_MAX, &v))
		return "valid_from is not empty or unix seconds (32 bits)";
	e->valid_from = *f[3] ? v : 0;
	if (*f[4] && parse_u64(f[4], UINT32_MAX, &v))
		return "valid_until is not empty or unix seconds (32 bits)";
	e->valid_until = *f[4] ? v : 0;
	if (e->valid_until && e->valid_from > e->valid_until)
		return "valid_from is after valid_until";
	if (!strcmp(f[5], "yes"))
		e->flags = PASSGATE_ENTRY_TICKET;
	else if (*f[5] && strcmp(f[5], "no"))
		return "ticket is not yes, no or empty";
	sodium_memzero(digest, sizeof(digest));
	return NULL;
}

static void strip_eol(char *line, ssize_t *len)
{
	while (*len && (line[*len - 1] == '\n' || line[*len - 1] == '\r'))
		line[--*len] = '\0';
}

/*
 * All entries of @path, sorted by digest, duplicates refused.  Returns
 * the count, or -1 after printing why.
 */
ssize_t read_csv(const char *path, const uint8_t *id_key,
		 struct passgate_list_entry **out)
{
	struct csv_entry *rows = NULL, *grown;
	struct passgate_list_entry *entries;
	size_t count = 0, cap = 0, lineno = 0, i;
	char *line = NULL, *text;
	const char *why;
	size_t line_cap = 0;
	ssize_t len;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		refuse("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &line_cap, f)) >= 0) {
		lineno++;
		if ((size_t)len != strlen(line)) {
			refuse("%s: line %zu: NUL byte in the line", path, lineno);
			goto out_free;
		}
		strip_eol(line, &len);
		text = line;
		if (lineno == 1) {
			if (!strncmp(text, "\xef\xbb\xbf", 3))
				text += 3;
			if (strcmp(text, CSV_HEADER)) {
				refuse("%s: line 1: header must be \"" CSV_HEADER "\"",
				       path);
				goto out_free;
			}
			continue;
		}
		if (!len)
			continue;
		if (count == cap) {
			cap = cap ? 2 * cap : 1024;
			grown = realloc(rows, cap * sizeof(*rows));
			if (!grown) {
				refuse("%s: out of memory", path);
				goto out_free;
			}
			rows = grown;
		}
		why = csv_entry(text, id_key, &rows[count].entry);
		if (why) {
			refuse("%s: line %zu: %s", path, lineno, why);
			goto out_free;
		}
		rows[count++].line = lineno;
	}
	if (ferror(f)) {
		refuse("%s: %s", path, strerror(errno));
		goto out_free;
	}
	if (!lineno) {
		refuse("%s: empty, the header line \"" CSV_HEADER "\" is missing",
		       path);
		goto out_free;
	}
	if (count)
		qsort(rows, count, sizeof(*rows), compare_csv_entries);
	for (i = 1; i < count; i++)
		if (!memcmp(rows[i - 1].entry.digest, rows[i].entry.digest,
			    PASSGATE_LIST_DIGEST)) {
			refuse("%s: line %zu: duplicate code (first on line %zu)",
			       path, rows[i].line, rows[i - 1].line);
			goto out_free;
		}
	entries = malloc((count ? count : 1) * sizeof(*entries));
	if (!entries) {
		refuse("%s: out of memory", path);
		goto out_free;
	}
	for (i = 0; i < count; i++)
		entries[i] = rows[i].entry;
	free(rows);
	free(line);
	fclose(f);
	*out = entries;
	return count;

out_free:
	free(rows);
	free(line);
	fclose(f);
	return -1;
}
