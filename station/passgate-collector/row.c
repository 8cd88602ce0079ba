// SPDX-License-Identifier: GPL-2.0-only
/*
 * A strict parser for the one JSON shape a gate publishes: a flat object
 * of known keys whose values are names, integers, 64 hex digits or (lane
 * only) null.  Anything else is refused with a reason, never guessed at:
 * a row the collector stores is a row the gate wrote.  No escapes, no
 * floats, no nesting, no unknown or repeated keys, nothing after the
 * closing brace.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row.h"

const char *const row_field_name[ROW_FIELDS] = {
	[ROW_GATE] = "gate", [ROW_POS] = "pos", [ROW_KIND] = "kind",
	[ROW_STREAM] = "stream", [ROW_SEQ] = "seq", [ROW_TYPE] = "type",
	[ROW_LANE] = "lane", [ROW_ARG] = "arg", [ROW_VALUE] = "value",
	[ROW_TIME_NS] = "time_ns", [ROW_STORED_NS] = "stored_ns",
	[ROW_DATA] = "data", [ROW_HASH] = "hash",
};

enum shape { NAME, UNSIGNED, SIGNED, HEX };

/*
 * @max: the largest value of an integer field (the column's range: pos is
 * a bigint, the kernel's u64 fields are numeric(20)); @nullable: may be
 * null (lane: a gate-wide event); @mark: present on marks too, where the
 * event-only fields may be absent.
 */
static const struct {
	enum shape shape;
	uint64_t max;
	int nullable;
	int mark;
} spec[ROW_FIELDS] = {
	[ROW_GATE] = { NAME, 0, 0, 1 },
	[ROW_POS] = { UNSIGNED, INT64_MAX, 0, 1 },
	[ROW_KIND] = { NAME, 0, 0, 1 },
	[ROW_STREAM] = { UNSIGNED, UINT32_MAX, 0, 1 },
	[ROW_SEQ] = { UNSIGNED, UINT64_MAX, 0, 0 },
	[ROW_TYPE] = { NAME, 0, 0, 0 },
	[ROW_LANE] = { UNSIGNED, UINT32_MAX, 1, 0 },
	[ROW_ARG] = { UNSIGNED, UINT32_MAX, 0, 0 },
	[ROW_VALUE] = { UNSIGNED, UINT64_MAX, 0, 0 },
	[ROW_TIME_NS] = { UNSIGNED, UINT64_MAX, 0, 0 },
	[ROW_STORED_NS] = { SIGNED, 0, 0, 1 },
	[ROW_DATA] = { HEX, 0, 0, 0 },
	[ROW_HASH] = { HEX, 0, 0, 1 },
};

struct cursor {
	const char *start, *p, *end;
	char *why;
	size_t whylen;
};

static int refuse(struct cursor *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static void skip_space(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
				 *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int expect(struct cursor *c, char ch)
{
	skip_space(c);
	if (c->p >= c->end || *c->p != ch)
		return refuse(c, "expected '%c' at byte %td", ch,
			      c->p - c->start);
	c->p++;
	return 0;
}

int row_valid_name(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > ROW_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/*
 * A string of printable ASCII without escapes (no row needs one) into
 * @out; its length, or -1.
 */
static int string(struct cursor *c, char *out, size_t size, const char *what)
{
	size_t n = 0;

	if (expect(c, '"'))
		return refuse(c, "%s: expected a string", what);
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = *c->p++;

		if (ch == '\\')
			return refuse(c, "%s: escapes are not used in rows", what);
		if (ch < 0x20 || ch > 0x7e)
			return refuse(c, "%s: byte 0x%02x in a string", what, ch);
		if (n + 1 >= size)
			return refuse(c, "%s: string too long", what);
		out[n++] = ch;
	}
	if (c->p >= c->end)
		return refuse(c, "%s: unterminated string", what);
	c->p++;
	out[n] = '\0';
	return n;
}

/* Digits in canonical JSON form (no leading zeros, fraction or exponent). */
static int integer(struct cursor *c, int field, char *out, size_t size)
{
	const char *name = row_field_name[field], *start = c->p;
	size_t n;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return refuse(c, "%s: expected an integer", name);
	if (*c->p == '0' && c->p + 1 < c->end && c->p[1] >= '0' &&
	    c->p[1] <= '9')
		return refuse(c, "%s: leading zero", name);
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
		return refuse(c, "%s: not an integer", name);
	n = c->p - start;
	if (n >= size)
		return refuse(c, "%s: out of range", name);
	memcpy(out, start, n);
	out[n] = '\0';

	/* The text goes to PostgreSQL as is; strto*() only checks range. */
	errno = 0;
	if (spec[field].shape == SIGNED) {
		strtoll(out, NULL, 10);
	} else {
		if (out[0] == '-')
			return refuse(c, "%s: negative", name);
		if (strtoull(out, NULL, 10) > spec[field].max)
			errno = ERANGE;
	}
	if (errno)
		return refuse(c, "%s: out of range", name);
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return 1;
	return ch >= 'a' && ch <= 'f';
}

static int value(struct cursor *c, int field, struct row *row)
{
	const char *name = row_field_name[field];
	char *out = row->buf[field];
	size_t size = sizeof(row->buf[field]);
	int n, i;

	skip_space(c);
	if (spec[field].nullable && c->end - c->p >= 4 &&
	    !memcmp(c->p, "null", 4)) {
		c->p += 4;
		row->text[field] = NULL;
		return 0;
	}
	switch (spec[field].shape) {
	case NAME:
		n = string(c, out, size, name);
		if (n < 0)
			return -1;
		if (!row_valid_name(out, n))
			return refuse(c, "%s: not [a-z0-9-]{1,32}", name);
		break;
	case UNSIGNED:
	case SIGNED:
		if (integer(c, field, out, size))
			return -1;
		break;
	case HEX:
		/* bytea's hex input form, "\x" then the digits */
		out[0] = '\\';
		out[1] = 'x';
		n = string(c, out + 2, size - 2, name);
		if (n < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (!hexval(out[2 + i]))
				break;
		if (n != 2 * ROW_HASH_SIZE || i != n)
			return refuse(c, "%s: not 64 lower-case hex digits", name);
		break;
	}
	row->text[field] = out;
	return 0;
}

static int check_kind(struct cursor *c, struct row *row, unsigned int seen)
{
	const char *kind = row->text[ROW_KIND];
	int event, f;

	event = !strcmp(kind, "event");
	if (!event && strcmp(kind, "stream") && strcmp(kind, "checkpoint"))
		return refuse(c, "kind: not event, stream or checkpoint");
	for (f = 0; f < ROW_FIELDS; f++)
		if (!(seen & (1u << f)) && (event || spec[f].mark))
			return refuse(c, "%s: missing", row_field_name[f]);
	return 0;
}

int row_parse(const char *json, size_t len, struct row *row,
	      char *why, size_t whylen)
{
	struct cursor c = { json, json, json + len, why, whylen };
	unsigned int seen = 0;
	char key[16];
	int f;

	memset(row->text, 0, sizeof(row->text));
	if (memchr(json, '\0', len))
		return refuse(&c, "a NUL byte in the payload");
	if (expect(&c, '{'))
		return refuse(&c, "not a JSON object");
	skip_space(&c);
	if (c.p < c.end && *c.p == '}')
		return refuse(&c, "an empty object");
	for (;;) {
		if (string(&c, key, sizeof(key), "key") < 0)
			return -1;
		for (f = 0; f < ROW_FIELDS; f++)
			if (!strcmp(key, row_field_name[f]))
				break;
		if (f == ROW_FIELDS)
			return refuse(&c, "unknown key \"%s\"", key);
		if (seen & (1u << f))
			return refuse(&c, "%s: repeated", key);
		seen |= 1u << f;
		if (expect(&c, ':') || value(&c, f, row))
			return -1;
		skip_space(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			continue;
		}
		if (expect(&c, '}'))
			return refuse(&c, "expected ',' or '}' after %s", key);
		break;
	}
	skip_space(&c);
	if (c.p != c.end)
		return refuse(&c, "bytes after the object");
	return check_kind(&c, row, seen);
}
