// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-issuer: delta, the signed difference between two lists of one
 * kind (health codes or tickets).  Entries of both kinds start with the
 * digest and the status (<common/allowlist.h>), which is all the
 * difference needs; the rest of an entry is compared whole.
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

/* Entries of a checked list, one at a time. */
struct list_cursor {
	struct passgate_listfile *list;
	const char *path;
	uint8_t *buf;		/* READ_BATCH entries of @size bytes */
	size_t size;
	size_t have, next;
	int done;
};

/* The next entry, or NULL at the end (*@failed set on an error). */
static const uint8_t *cursor_next(struct list_cursor *c, int *failed)
{
	char err[ERR_MAX];
	ssize_t n;

	if (c->next < c->have)
		return c->buf + c->next++ * c->size;
	if (c->done)
		return NULL;
	n = passgate_listfile_read_entries(c->list, c->buf, READ_BATCH, err,
					   sizeof(err));
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
	return c->buf;
}

/* Append to a growing array of entries of @size bytes. */
static int push_entry(uint8_t **entries, size_t size, size_t *count,
		      size_t *cap, const uint8_t *e)
{
	uint8_t *grown;

	if (*count == *cap) {
		*cap = *cap ? 2 * *cap : 1024;
		grown = realloc(*entries, *cap * size);
		if (!grown)
			return -1;
		*entries = grown;
	}
	memcpy(*entries + (*count)++ * size, e, size);
	return 0;
}

/* What changed from @old to @new: new or changed entries, and REMOVEs. */
static int diff_lists(struct list_cursor *old, struct list_cursor *new,
		      uint8_t **out, size_t *count)
{
	size_t cap = 0, size = new->size;
	uint8_t removal[sizeof(struct passgate_ticket_entry)];
	const uint8_t *o, *n;
	int failed = 0, d, ret = 0;

	*out = NULL;
	*count = 0;
	o = cursor_next(old, &failed);
	n = cursor_next(new, &failed);
	while (!failed && !ret && (o || n)) {
		d = !o ? 1 : !n ? -1 : memcmp(o, n, PASSGATE_LIST_DIGEST);
		if (d < 0) {
			/* The digest alone; status REMOVE (0) follows it. */
			memset(removal, 0, sizeof(removal));
			memcpy(removal, o, PASSGATE_LIST_DIGEST);
			ret = push_entry(out, size, count, &cap, removal);
			o = cursor_next(old, &failed);
		} else if (d > 0) {
			ret = push_entry(out, size, count, &cap, n);
			n = cursor_next(new, &failed);
		} else {
			if (memcmp(o, n, size))
				ret = push_entry(out, size, count, &cap, n);
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

int cmd_delta(int argc, char **argv)
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
	uint8_t *entries = NULL;
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
	if (oi->holds != ni->holds) {
		refuse("delta: %s holds %s, %s holds %s: not one kind of list",
		       from, passgate_list_holds_name(oi->holds), to,
		       passgate_list_holds_name(ni->holds));
		goto out_close;
	}
	old->size = new->size = passgate_list_entry_size(ni->holds);
	old->buf = malloc(READ_BATCH * old->size);
	new->buf = malloc(READ_BATCH * new->size);
	if (!old->buf || !new->buf) {
		refuse("delta: out of memory");
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
	info.holds = ni->holds;
	info.generation = ni->generation;
	info.base_generation = oi->generation;
	info.issued_at = time(NULL);
	info.not_before = ni->not_before;
	info.expires_at = ni->expires_at;
	strcpy(info.station, ni->station);
	if (passgate_listfile_write_entries(out, &info, entries, count, sec,
					    err, sizeof(err))) {
		refuse("delta: %s", err);
		goto out_close;
	}
	print_written(out, &info);
	ret = 0;
out_close:
	free(entries);
	free(new->buf);
	free(old->buf);
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
