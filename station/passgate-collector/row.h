/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One journal row as a gate publishes it (docs/station.md, "Event row"):
 * a flat JSON object, parsed strictly.
 */
#ifndef PASSGATE_COLLECTOR_ROW_H
#define PASSGATE_COLLECTOR_ROW_H

#include <stddef.h>

#define ROW_NAME_MAX 32
#define ROW_HASH_SIZE 32

/* The fields, in the order of the events table's columns. */
enum row_field {
	ROW_GATE, ROW_POS, ROW_KIND, ROW_STREAM, ROW_SEQ, ROW_TYPE, ROW_LANE,
	ROW_ARG, ROW_VALUE, ROW_TIME_NS, ROW_STORED_NS, ROW_DATA, ROW_HASH,
	ROW_FIELDS
};

/*
 * struct row - a parsed row, every field as the text PostgreSQL takes
 * @text: the field's value (digits, a name, or "\x" and 64 hex digits for
 *	data and hash); NULL when absent or null
 * @buf: storage for @text
 */
struct row {
	const char *text[ROW_FIELDS];
	char buf[ROW_FIELDS][2 + 2 * ROW_HASH_SIZE + 1];
};

extern const char *const row_field_name[ROW_FIELDS];

/*
 * Parse @len bytes of @json into @row.  0 on success; -1 with a one-line
 * reason in @why when the payload is not exactly a row.
 */
int row_parse(const char *json, size_t len, struct row *row,
	      char *why, size_t whylen);

/* A station or gate name: [a-z0-9-]{1,32}. */
int row_valid_name(const char *s, size_t len);

#endif
