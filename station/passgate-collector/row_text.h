/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A chain row's columns as PostgreSQL's text input takes them
 * (row_text.c): one text for both ways of storing rows (store_copy.c,
 * store_row.c), so they cannot store a row differently.
 */
#ifndef PASSGATE_COLLECTOR_ROW_TEXT_H
#define PASSGATE_COLLECTOR_ROW_TEXT_H

#include <stddef.h>

#include "common/batch.h"

/* The events table's columns a row fills, in row_text's order. */
#define ROW_TEXT_COLUMNS "gate, pos, kind, stream, seq, type, lane, arg," \
	" value, time_ns, stored_ns, data, hash, encoding"

enum row_field {
	F_GATE, F_POS, F_KIND, F_STREAM, F_SEQ, F_TYPE, F_LANE, F_ARG,
	F_VALUE, F_TIME_NS, F_STORED_NS, F_DATA, F_HASH, F_ENCODING, F_COUNT
};

/* "\x" and hex, bytea's text form: 2 * @len + 3 bytes at @out. */
#define ROW_TEXT_BYTEA_SIZE(len) (2 * (len) + 3)

/**
 * struct row_text - a row's columns as text
 * @field: each column's text, in ROW_TEXT_COLUMNS' order; NULL for NULL
 * @num, @type, @data, @hash, @enc: where the texts are kept
 */
struct row_text {
	const char *field[F_COUNT];
	char num[F_COUNT][24];
	char type[32];
	char data[ROW_TEXT_BYTEA_SIZE(32)];
	char hash[ROW_TEXT_BYTEA_SIZE(PASSGATE_CHAIN_HASH_SIZE)];
	char enc[ROW_TEXT_BYTEA_SIZE(PASSGATE_ROW_SIZE_MAX)];
};

void row_text(struct row_text *t, const char *gate,
	      const struct passgate_chain_row *r);
/*
 * The row as one line of COPY's text format, at most @size bytes at @out:
 * its length, or 0 if it did not fit.
 */
size_t row_text_copy_line(char *out, size_t size, const struct row_text *t);
void row_text_bytea(char *out, const void *p, size_t len);

#endif
