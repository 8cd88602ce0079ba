// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-issuer: make issuer keys, build and sign allowlists from a CSV
 * file, derive deltas between two lists, verify a list, print a digest.
 * docs/allowlist-format.md describes the files and every command.
 *
 * Exit status: 0 done, 1 refused or failed, 2 usage.
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

#include "lib/digest.h"
#include "lib/listfile.h"
#include "lib/minisign.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define ERR_MAX 512
#define CSV_HEADER "code,status,id_number,valid_from,valid_until,ticket"
#define CSV_FIELDS 6
#define READ_BATCH 4096

static const char *prog = "passgate-issuer";

static void usage_text(FILE *out)
{
	fprintf(out,
		"usage:\n"
		"  %1$s keygen --public FILE --secret FILE\n"
		"  %1$s build --secret KEY [--id-key FILE] --csv FILE --generation N\n"
		"      --expires TIME [--not-before TIME] [--station CODE] -o LIST\n"
		"  %1$s delta --secret KEY --from OLD --to NEW [--trust DIR] -o DELTA\n"
		"  %1$s verify --trust DIR [--json] LIST\n"
		"  %1$s digest --kind code|id|ticket [--id-key FILE] TOKEN\n"
		"\n"
		"TIME: unix seconds, or +N followed by d, h, m or s (from now).\n"
		"CSV columns: " CSV_HEADER "\n"
		"Exit status: 0 done, 1 refused or failed, 2 usage.\n", prog);
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", prog);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	usage_text(stderr);
	return EXIT_USAGE;
}

static int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int refuse(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_REFUSED;
}

/* A whole decimal number no larger than @max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Unix seconds, or "+N" and a unit (d, h, m, s) from @now. */
static int parse_time(const char *s, uint64_t now, uint64_t *out)
{
	uint64_t n, unit;
	char *digits, u;
	size_t len = strlen(s);
	int ret;

	if (*s != '+')
		return parse_u64(s, UINT64_MAX, out);
	if (len < 3)
		return -1;
	u = s[len - 1];
	unit = u == 'd' ? 86400 : u == 'h' ? 3600 : u == 'm' ? 60 : u == 's' ? 1 : 0;
	if (!unit)
		return -1;
	digits = strndup(s + 1, len - 2);
	if (!digits)
		return -1;
	ret = parse_u64(digits, (UINT64_MAX - now) / unit, &n);
	free(digits);
	if (ret)
		return -1;
	*out = now + n * unit;
	return 0;
}

static void format_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > (uint64_t)INT64_MAX || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "out of range");
}

static int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public", required_argument, NULL, 'p' },
		{ "secret", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *pub_path = NULL, *sec_path = NULL;
	char err[ERR_MAX], id[PASSGATE_KEY_ID_HEX];
	struct passgate_seckey *sec;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pub_path = optarg;
			break;
		case 's':
			sec_path = optarg;
			break;
		case 'h':
			usage_text(stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (!pub_path || !sec_path || optind != argc)
		return usage("keygen needs --public FILE and --secret FILE, nothing else");
	if (passgate_seckey_generate(pub_path, sec_path, err, sizeof(err)))
		return refuse("keygen: %s", err);
	sec = passgate_seckey_load(sec_path, err, sizeof(err));
	if (!sec)
		return refuse("keygen: %s", err);
	passgate_key_id_format(passgate_seckey_id(sec), id);
	passgate_seckey_free(sec);
	printf("key id %s\npublic key: %s\nsecret key: %s (unencrypted: keep it secret)\n",
	       id, pub_path, sec_path);
	return 0;
}

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
static ssize_t read_csv(const char *path, const uint8_t *id_key,
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

static void print_written(const char *path, const struct passgate_list_info *info)
{
	char id[PASSGATE_KEY_ID_HEX];

	passgate_key_id_format(info->key_id, id);
	printf("%s: %s list, generation %" PRIu64 ", base %" PRIu64 ", %" PRIu64
	       " entries, key id %s\n%s.minisig: signature\n", path,
	       passgate_list_kind_name(info->kind), info->generation,
	       info->base_generation, info->entry_count, id, path);
}

static int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ "id-key", required_argument, NULL, 'k' },
		{ "csv", required_argument, NULL, 'c' },
		{ "generation", required_argument, NULL, 'g' },
		{ "expires", required_argument, NULL, 'e' },
		{ "not-before", required_argument, NULL, 'n' },
		{ "station", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *sec_path = NULL, *key_path = NULL, *csv_path = NULL;
	const char *out = NULL, *expires = NULL, *not_before = NULL;
	const char *generation = NULL, *station = "";
	struct passgate_list_info info = { .kind = PASSGATE_LIST_FULL };
	struct passgate_list_entry *entries;
	uint8_t id_key[PASSGATE_KEY_SIZE];
	struct passgate_seckey *sec;
	uint64_t now = time(NULL);
	char err[ERR_MAX];
	ssize_t count;
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sec_path = optarg; break;
		case 'k': key_path = optarg; break;
		case 'c': csv_path = optarg; break;
		case 'g': generation = optarg; break;
		case 'e': expires = optarg; break;
		case 'n': not_before = optarg; break;
		case 't': station = optarg; break;
		case 'o': out = optarg; break;
		case 'h':
			usage_text(stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (!sec_path || !csv_path || !generation || !expires || !out ||
	    optind != argc)
		return usage("build needs --secret, --csv, --generation, --expires and -o");
	if (parse_u64(generation, UINT64_MAX, &info.generation) ||
	    !info.generation)
		return usage("--generation: a whole number from 1");
	if (parse_time(expires, now, &info.expires_at))
		return usage("--expires: unix seconds or +N[dhms]");
	info.not_before = now;
	if (not_before && parse_time(not_before, now, &info.not_before))
		return usage("--not-before: unix seconds or +N[dhms]");
	if (strlen(station) > PASSGATE_LIST_STATION || strpbrk(station, " \t"))
		return usage("--station: at most %zu characters, no blanks",
			     PASSGATE_LIST_STATION);
	strcpy(info.station, station);
	info.issued_at = now;
	if (info.not_before > info.expires_at)
		return refuse("build: --not-before is after --expires");
	if (info.expires_at <= now)
		fprintf(stderr, "%s: warning: the list expires in the past\n", prog);

	if (key_path && passgate_digest_key_load(key_path, id_key, err, sizeof(err)))
		return refuse("build: %s", err);
	sec = passgate_seckey_load(sec_path, err, sizeof(err));
	if (!sec) {
		ret = refuse("build: %s", err);
		goto out_wipe;
	}
	count = read_csv(csv_path, key_path ? id_key : NULL, &entries);
	if (count < 0) {
		ret = EXIT_REFUSED;
		goto out_free_key;
	}
	if (passgate_listfile_write(out, &info, entries, count, sec, err,
				    sizeof(err))) {
		ret = refuse("build: %s", err);
	} else {
		print_written(out, &info);
		ret = 0;
	}
	free(entries);
out_free_key:
	passgate_seckey_free(sec);
out_wipe:
	sodium_memzero(id_key, sizeof(id_key));
	return ret;
}

/* Entries of a checked list, one at a time. */
struct list_cursor {
	struct passgate_listfile *list;
	const char *path;
	struct passgate_list_entry buf[READ_BATCH];
	size_t have, next;
	int done;
};

/* The next entry, or NULL at the end (*@failed set on an error). */
static const struct passgate_list_entry *cursor_next(struct list_cursor *c,
						     int *failed)
{
	char err[ERR_MAX];
	ssize_t n;

	if (c->next < c->have)
		return &c->buf[c->next++];
	if (c->done)
		return NULL;
	n = passgate_listfile_read(c->list, c->buf, READ_BATCH, err, sizeof(err));
	if (n < 0) {
		refuse("delta: %s: %s", c->path, err);
		*failed = 1;
		c->done = 1;
		return NULL;
	}
	if (!n) {
		c->done = 1;
		return NULL;
	}
	c->have = n;
	c->next = 1;
	return &c->buf[0];
}

/* Append to a growing array of entries. */
static int push_entry(struct passgate_list_entry **entries, size_t *count,
		      size_t *cap, const struct passgate_list_entry *e)
{
	struct passgate_list_entry *grown;

	if (*count == *cap) {
		*cap = *cap ? 2 * *cap : 1024;
		grown = realloc(*entries, *cap * sizeof(*grown));
		if (!grown)
			return -1;
		*entries = grown;
	}
	(*entries)[(*count)++] = *e;
	return 0;
}

/* What changed from @old to @new: new or changed entries, and REMOVEs. */
static int diff_lists(struct list_cursor *old, struct list_cursor *new,
		      struct passgate_list_entry **out, size_t *count)
{
	const struct passgate_list_entry *o, *n;
	struct passgate_list_entry removal;
	size_t cap = 0;
	int failed = 0, d, ret = 0;

	*out = NULL;
	*count = 0;
	o = cursor_next(old, &failed);
	n = cursor_next(new, &failed);
	while (!failed && !ret && (o || n)) {
		d = !o ? 1 : !n ? -1 : memcmp(o->digest, n->digest,
					      PASSGATE_LIST_DIGEST);
		if (d < 0) {
			memset(&removal, 0, sizeof(removal));
			memcpy(removal.digest, o->digest, PASSGATE_LIST_DIGEST);
			removal.status = PASSGATE_STATUS_REMOVE;
			ret = push_entry(out, count, &cap, &removal);
			o = cursor_next(old, &failed);
		} else if (d > 0) {
			ret = push_entry(out, count, &cap, n);
			n = cursor_next(new, &failed);
		} else {
			if (memcmp(o, n, sizeof(*o)))
				ret = push_entry(out, count, &cap, n);
			o = cursor_next(old, &failed);
			n = cursor_next(new, &failed);
		}
	}
	if (ret)
		refuse("delta: out of memory");
	if (ret || failed) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int cmd_delta(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "trust", required_argument, NULL, 'T' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *sec_path = NULL, *from = NULL, *to = NULL, *trust_dir = NULL;
	const char *out = NULL;
	struct list_cursor *old = NULL, *new = NULL;
	const struct passgate_list_info *oi, *ni;
	struct passgate_list_info info = { .kind = PASSGATE_LIST_DELTA };
	char err[ERR_MAX], oid[PASSGATE_KEY_ID_HEX], nid[PASSGATE_KEY_ID_HEX];
	struct passgate_list_entry *entries = NULL;
	struct passgate_trust *trust = NULL;
	struct passgate_pubkey *pub;
	struct passgate_seckey *sec;
	size_t count;
	int c, ret = EXIT_REFUSED;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sec_path = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'T': trust_dir = optarg; break;
		case 'o': out = optarg; break;
		case 'h':
			usage_text(stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (!sec_path || !from || !to || !out || optind != argc)
		return usage("delta needs --secret, --from, --to and -o");

	sec = passgate_seckey_load(sec_path, err, sizeof(err));
	if (!sec)
		return refuse("delta: %s", err);
	if (trust_dir) {
		trust = passgate_trust_open(trust_dir, err, sizeof(err));
		if (!trust) {
			refuse("delta: %s", err);
			goto out_free_sec;
		}
	} else {
		trust = passgate_trust_new();
		pub = passgate_seckey_pubkey(sec);
		if (!trust || !pub ||
		    passgate_trust_add(trust, pub, err, sizeof(err))) {
			passgate_pubkey_free(pub);
			refuse("delta: out of memory");
			goto out_free_trust;
		}
		passgate_pubkey_free(pub);
	}
	old = calloc(1, sizeof(*old));
	new = calloc(1, sizeof(*new));
	if (!old || !new) {
		refuse("delta: out of memory");
		goto out_free_cursors;
	}
	old->path = from;
	new->path = to;
	old->list = passgate_listfile_open(from, NULL, trust, 0, err, sizeof(err));
	if (!old->list) {
		refuse("delta: %s: %s", from, err);
		goto out_free_cursors;
	}
	new->list = passgate_listfile_open(to, NULL, trust, 0, err, sizeof(err));
	if (!new->list) {
		refuse("delta: %s: %s", to, err);
		goto out_close;
	}
	oi = passgate_listfile_info(old->list);
	ni = passgate_listfile_info(new->list);
	passgate_key_id_format(oi->key_id, oid);
	passgate_key_id_format(ni->key_id, nid);
	if (oi->kind != PASSGATE_LIST_FULL || ni->kind != PASSGATE_LIST_FULL) {
		refuse("delta: both --from and --to must be full lists");
		goto out_close;
	}
	if (memcmp(oi->key_id, ni->key_id, PASSGATE_KEY_ID_SIZE)) {
		refuse("delta: %s is signed by key %s, %s by key %s: not the same issuer key",
		       from, oid, to, nid);
		goto out_close;
	}
	if (ni->generation <= oi->generation) {
		refuse("delta: --to generation %" PRIu64 " is not above --from generation %" PRIu64,
		       ni->generation, oi->generation);
		goto out_close;
	}
	if (strcmp(oi->station, ni->station)) {
		refuse("delta: --from is for station \"%s\", --to for \"%s\"",
		       oi->station, ni->station);
		goto out_close;
	}
	if (diff_lists(old, new, &entries, &count))
		goto out_close;
	info.generation = ni->generation;
	info.base_generation = oi->generation;
	info.issued_at = time(NULL);
	info.not_before = ni->not_before;
	info.expires_at = ni->expires_at;
	strcpy(info.station, ni->station);
	if (passgate_listfile_write(out, &info, entries, count, sec, err,
				    sizeof(err))) {
		refuse("delta: %s", err);
		goto out_close;
	}
	print_written(out, &info);
	ret = 0;
out_close:
	free(entries);
	passgate_listfile_close(new->list);
	passgate_listfile_close(old->list);
out_free_cursors:
	free(new);
	free(old);
out_free_trust:
	passgate_trust_free(trust);
out_free_sec:
	passgate_seckey_free(sec);
	return ret;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char err[ERR_MAX], id[PASSGATE_KEY_ID_HEX];
	char issued[32], not_before[32], expires[32];
	const char *trust_dir = NULL, *path;
	struct passgate_list_info info;
	struct passgate_trust *trust;
	int c, json = 0, bad;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'T': trust_dir = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			usage_text(stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (!trust_dir || optind != argc - 1)
		return usage("verify needs --trust DIR and one LIST");
	path = argv[optind];

	trust = passgate_trust_open(trust_dir, err, sizeof(err));
	bad = !trust || passgate_listfile_check(path, NULL, trust, 0, &info,
						err, sizeof(err));
	passgate_trust_free(trust);
	if (bad) {
		if (json) {
			printf("{\"list\":");
			json_string(path);
			printf(",\"accepted\":false,\"error\":");
			json_string(err);
			printf("}\n");
		}
		return refuse("%s: refused: %s", path, err);
	}
	passgate_key_id_format(info.key_id, id);
	if (json) {
		printf("{\"list\":");
		json_string(path);
		printf(",\"accepted\":true,\"kind\":\"%s\",\"generation\":%" PRIu64
		       ",\"base_generation\":%" PRIu64 ",\"issued_at\":%" PRIu64
		       ",\"not_before\":%" PRIu64 ",\"expires_at\":%" PRIu64
		       ",\"entries\":%" PRIu64 ",\"station\":",
		       passgate_list_kind_name(info.kind), info.generation,
		       info.base_generation, info.issued_at, info.not_before,
		       info.expires_at, info.entry_count);
		json_string(info.station);
		printf(",\"key_id\":\"%s\",\"bytes\":%" PRIu64 "}\n", id,
		       info.file_size);
		return 0;
	}
	format_time(info.issued_at, issued, sizeof(issued));
	format_time(info.not_before, not_before, sizeof(not_before));
	format_time(info.expires_at, expires, sizeof(expires));
	printf("%s: accepted\n"
	       "kind:            %s\n"
	       "generation:      %" PRIu64 "\n"
	       "base generation: %" PRIu64 "\n"
	       "issued at:       %" PRIu64 " (%s)\n"
	       "not before:      %" PRIu64 " (%s)\n"
	       "expires at:      %" PRIu64 " (%s)\n"
	       "entries:         %" PRIu64 "\n"
	       "station:         %s\n"
	       "key id:          %s\n",
	       path, passgate_list_kind_name(info.kind), info.generation,
	       info.base_generation, info.issued_at, issued, info.not_before,
	       not_before, info.expires_at, expires, info.entry_count,
	       *info.station ? info.station : "(any)", id);
	return 0;
}

static int cmd_digest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "id-key", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *kind_name = NULL, *key_path = NULL, *token;
	uint8_t id_key[PASSGATE_KEY_SIZE], digest[PASSGATE_DIGEST_SIZE];
	char err[ERR_MAX], hex[2 * PASSGATE_DIGEST_SIZE + 1];
	unsigned int kind;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kind_name = optarg; break;
		case 'i': key_path = optarg; break;
		case 'h':
			usage_text(stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (!kind_name || optind != argc - 1)
		return usage("digest needs --kind and one TOKEN");
	token = argv[optind];
	if (!strcmp(kind_name, "code"))
		kind = PASSGATE_CRED_HEALTH_CODE;
	else if (!strcmp(kind_name, "id"))
		kind = PASSGATE_CRED_ID_CARD;
	else if (!strcmp(kind_name, "ticket"))
		kind = PASSGATE_CRED_TICKET;
	else
		return usage("--kind: code, id or ticket");
	if (kind == PASSGATE_CRED_ID_CARD && !key_path)
		return usage("--kind id needs --id-key FILE");
	if (key_path && kind != PASSGATE_CRED_ID_CARD)
		return usage("--id-key is only for --kind id");
	if (key_path && passgate_digest_key_load(key_path, id_key, err, sizeof(err)))
		return refuse("digest: %s", err);
	if (passgate_digest_compute(kind, token, strlen(token),
				    key_path ? id_key : NULL, digest)) {
		sodium_memzero(id_key, sizeof(id_key));
		return refuse("digest: %s", strerror(errno));
	}
	sodium_memzero(id_key, sizeof(id_key));
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	printf("%s\n", hex);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
		{ "keygen", cmd_keygen },
		{ "build", cmd_build },
		{ "delta", cmd_delta },
		{ "verify", cmd_verify },
		{ "digest", cmd_digest },
	};
	size_t i;

	if (argc < 2)
		return usage("no command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage_text(stdout);
		return 0;
	}
	if (sodium_init() < 0)
		return refuse("libsodium failed to initialise");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	return usage("unknown command \"%s\"", argv[1]);
}
