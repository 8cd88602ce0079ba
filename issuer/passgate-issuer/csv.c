// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-issuer: the CSV a list is built from, one entry a line, checked:
 * health codes (CSV_HEADER) or tickets (CSV_TICKET_HEADER).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* Both kinds of entry start with the digest (<common/allowlist.h>). */
struct csv_entry {
	union {
		struct passgate_list_entry code;
		struct passgate_ticket_entry ticket;
	};
	size_t line;
};

static int compare_csv_entries(const void *a, const void *b)
{
	const struct csv_entry *x = a, *y = b;
	int d = memcmp(x->code.digest, y->code.digest, PASSGATE_LIST_DIGEST);

	if (d)
		return d;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* One health-code line into @e; NULL, or what is wrong with it. */
static const char *csv_code(char *line, const uint8_t *id_key,
			    struct csv_entry *row)
{
	struct passgate_list_entry *e = &row->code;
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

/* @v into the NUL-padded @field of @size bytes; -1 if it is no text. */
static int text_field(uint8_t *field, size_t size, const char *v)
{
	size_t n = strlen(v), i;

	if (!n || n > size)
		return -1;
	for (i = 0; i < n; i++)
		if (v[i] <= 0x20 || v[i] > 0x7e)
			return -1;
	memcpy(field, v, n);
	return 0;
}

/* One ticket line into @e; NULL, or what is wrong with it. */
static const char *csv_ticket(char *line, const uint8_t *id_key,
			      struct csv_entry *row)
{
	static char why[128];
	struct passgate_ticket_entry *t = &row->ticket;
	uint8_t digest[PASSGATE_DIGEST_SIZE];
	char *f[CSV_TICKET_FIELDS];
	uint64_t v;

	memset(t, 0, sizeof(*t));
	if (csv_split(line, f, CSV_TICKET_FIELDS) != CSV_TICKET_FIELDS)
		return "not 7 comma-separated fields (" CSV_TICKET_HEADER ")";
	if (!*f[0])
		return "empty id_number";
	if (strlen(f[0]) > PASSGATE_TOKEN_MAX) {
		snprintf(why, sizeof(why), "id_number longer than %d bytes",
			 PASSGATE_TOKEN_MAX);
		return why;
	}
	if (!id_key)
		return "id_number given, but no --id-key";
	passgate_digest_compute(PASSGATE_CRED_ID_CARD, f[0], strlen(f[0]),
				id_key, digest);
	memcpy(t->digest, digest, PASSGATE_LIST_DIGEST);
	sodium_memzero(digest, sizeof(digest));
	t->status = PASSGATE_TICKET_ISSUED;
	if (text_field(t->station, sizeof(t->station), f[1]))
		return "station is not 1 to 16 printable characters, no blanks";
	if (*f[2] && parse_u64(f[2], UINT32_MAX, &v))
		return "valid_from is not empty or unix seconds (32 bits)";
	t->valid_from = *f[2] ? v : 0;
	if (*f[3] && parse_u64(f[3], UINT32_MAX, &v))
		return "valid_until is not empty or unix seconds (32 bits)";
	t->valid_until = *f[3] ? v : 0;
	if (t->valid_until && t->valid_from > t->valid_until)
		return "valid_from is after valid_until";
	if (text_field(t->train, sizeof(t->train), f[4]))
		return "train is not 1 to 8 printable characters, no blanks";
	if (text_field(t->ticket, sizeof(t->ticket), f[5]))
		return "ticket is not 1 to 16 printable characters, no blanks";
	if (!strcmp(f[6], "yes"))
		t->flags = PASSGATE_TICKET_USED;
	else if (*f[6] && strcmp(f[6], "no"))
		return "used is not yes, no or empty";
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
ssize_t read_csv(const char *path, const uint8_t *id_key, unsigned int holds,
		 void **out)
{
	bool tickets = holds == PASSGATE_LIST_TICKETS;
	const char *header = tickets ? CSV_TICKET_HEADER : CSV_HEADER;
	size_t size = passgate_list_entry_size(holds);
	struct csv_entry *rows = NULL, *grown;
	size_t count = 0, cap = 0, lineno = 0, i;
	char *line = NULL, *text;
	uint8_t *entries;
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
			if (strcmp(text, header)) {
				refuse("%s: line 1: header must be \"%s\"%s",
				       path, header, tickets ? " (tickets)" : "");
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
		why = tickets ? csv_ticket(text, id_key, &rows[count]) :
				csv_code(text, id_key, &rows[count]);
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
		refuse("%s: empty, the header line \"%s\" is missing", path,
		       header);
		goto out_free;
	}
	if (count)
		qsort(rows, count, sizeof(*rows), compare_csv_entries);
	/* One ticket per ID card: the list is keyed by the card. */
	for (i = 1; i < count; i++)
		if (!memcmp(rows[i - 1].code.digest, rows[i].code.digest,
			    PASSGATE_LIST_DIGEST)) {
			refuse("%s: line %zu: duplicate %s (first on line %zu)",
			       path, rows[i].line,
			       tickets ? "id_number" : "code",
			       rows[i - 1].line);
			goto out_free;
		}
	entries = malloc((count ? count : 1) * size);
	if (!entries) {
		refuse("%s: out of memory", path);
		goto out_free;
	}
	for (i = 0; i < count; i++)
		memcpy(entries + i * size, &rows[i].code, size);
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
