// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Signed allowlist files.  Nothing in a file is believed before its
 * signature verified: the one pass that hashes it only notes the first
 * bad entry, and the header and entries are judged after the signature.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fail.h"
#include "file.h"
#include "listentry.h"
#include "listfile.h"

#define HEADER_SIZE sizeof(struct passgate_list_header)
/* Bytes per read or write, about: a whole number of entries of any kind. */
#define CHUNK_BYTES 65536
#define MSG_MAX 256

struct passgate_listfile {
	int fd;
	const struct passgate_list_entries *entries;
	struct passgate_list_info info;
	struct passgate_list_header header;
	uint8_t prehash[PASSGATE_PREHASH_SIZE];
	/* The second pass, by passgate_listfile_read(). */
	crypto_generichash_blake2b_state rehash;
	uint64_t next;
	int started;
	int finished;
	int broken;
};

const char *passgate_list_kind_name(unsigned int kind)
{
	switch (kind) {
	case PASSGATE_LIST_FULL:
		return "full";
	case PASSGATE_LIST_DELTA:
		return "delta";
	}
	return NULL;
}

/* The entries of a list that holds @holds; NULL when unknown. */
static const struct passgate_list_entries *list_entries(unsigned int holds)
{
	switch (holds) {
	case PASSGATE_LIST_CODES:
		return &passgate_code_entries;
	case PASSGATE_LIST_TICKETS:
		return &passgate_ticket_entries;
	}
	return NULL;
}

size_t passgate_list_entry_size(unsigned int holds)
{
	const struct passgate_list_entries *ops = list_entries(holds);

	return ops ? ops->size : 0;
}

const char *passgate_list_holds_name(unsigned int holds)
{
	switch (holds) {
	case PASSGATE_LIST_CODES:
		return "codes";
	case PASSGATE_LIST_TICKETS:
		return "tickets";
	}
	return NULL;
}

/* Entries per chunk of about CHUNK_BYTES. */
static size_t chunk_entries(const struct passgate_list_entries *ops)
{
	return CHUNK_BYTES / ops->size;
}

const char *passgate_list_status_name(unsigned int status)
{
	static const char *const names[] = {
		[PASSGATE_STATUS_REMOVE] = "REMOVE",
		[PASSGATE_STATUS_GREEN] = "GREEN",
		[PASSGATE_STATUS_YELLOW] = "YELLOW",
		[PASSGATE_STATUS_RED] = "RED",
	};

	return status < sizeof(names) / sizeof(names[0]) ? names[status] : NULL;
}

int passgate_listfile_comment(const struct passgate_list_info *info,
			      char *buf, size_t len)
{
	const char *kind = passgate_list_kind_name(info->kind);
	const char *holds = passgate_list_holds_name(info->holds);
	int n;

	/* A list of health codes says nothing: its comment is as it was. */
	n = snprintf(buf, len,
		     "passgate-list v%d%s%s kind=%s generation=%" PRIu64
		     " base=%" PRIu64 " not_before=%" PRIu64
		     " expires=%" PRIu64 " entries=%" PRIu64,
		     PASSGATE_LIST_VERSION,
		     info->holds == PASSGATE_LIST_CODES ? "" : " holds=",
		     info->holds == PASSGATE_LIST_CODES ? "" :
		     holds ? holds : "unknown",
		     kind ? kind : "unknown",
		     info->generation, info->base_generation, info->not_before,
		     info->expires_at, info->entry_count);
	if (n < 0 || (size_t)n >= len) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

static void digest_hex(const uint8_t *digest, char out[2 * PASSGATE_LIST_DIGEST + 1])
{
	sodium_bin2hex(out, 2 * PASSGATE_LIST_DIGEST + 1, digest,
		       PASSGATE_LIST_DIGEST);
}

/* The header fields a writer chooses; "" or the reason they are wrong. */
static void header_problem(const struct passgate_list_info *info, char *msg,
			   size_t len)
{
	size_t i;

	*msg = '\0';
	if (!passgate_list_holds_name(info->holds))
		snprintf(msg, len, "header: holds %u is neither health codes "
			 "(%d) nor tickets (%d)", info->holds,
			 PASSGATE_LIST_CODES, PASSGATE_LIST_TICKETS);
	else if (!passgate_list_kind_name(info->kind))
		snprintf(msg, len, "header: kind %u is neither full (%d) nor delta (%d)",
			 info->kind, PASSGATE_LIST_FULL, PASSGATE_LIST_DELTA);
	else if (!info->generation)
		snprintf(msg, len, "header: generation 0 (generations start at 1)");
	else if (info->kind == PASSGATE_LIST_FULL && info->base_generation)
		snprintf(msg, len,
			 "header: full list with base generation %" PRIu64 " (must be 0)",
			 info->base_generation);
	else if (info->kind == PASSGATE_LIST_DELTA && !info->base_generation)
		snprintf(msg, len, "header: delta without a base generation");
	else if (info->kind == PASSGATE_LIST_DELTA &&
		 info->base_generation >= info->generation)
		snprintf(msg, len,
			 "header: delta base generation %" PRIu64
			 " is not below its generation %" PRIu64,
			 info->base_generation, info->generation);
	else if (info->not_before > info->expires_at)
		snprintf(msg, len,
			 "header: not_before %" PRIu64 " is after expires_at %" PRIu64,
			 info->not_before, info->expires_at);
	if (*msg)
		return;
	for (i = 0; info->station[i]; i++)
		if (info->station[i] < 0x20 || info->station[i] > 0x7e) {
			snprintf(msg, len,
				 "header: station code is not printable ASCII");
			return;
		}
}

/* One health-code entry (host byte order) of a list of @kind. */
static void code_problem(const void *entry, unsigned int kind, uint64_t index,
			 char *msg, size_t len)
{
	static const uint8_t zero[PASSGATE_LIST_DIGEST];
	const struct passgate_list_entry *e = entry;

	*msg = '\0';
	if (e->status > PASSGATE_STATUS_RED) {
		snprintf(msg, len, "entry %" PRIu64 ": unknown status %u", index,
			 e->status);
	} else if (e->status == PASSGATE_STATUS_REMOVE &&
		   kind != PASSGATE_LIST_DELTA) {
		snprintf(msg, len,
			 "entry %" PRIu64 ": status REMOVE in a full list", index);
	} else if (e->flags & ~PASSGATE_ENTRY_TICKET) {
		snprintf(msg, len, "entry %" PRIu64 ": unknown flags 0x%02x",
			 index, e->flags & ~PASSGATE_ENTRY_TICKET);
	} else if (e->reserved[0] || e->reserved[1] || e->reserved2) {
		snprintf(msg, len, "entry %" PRIu64 ": reserved bytes not zero",
			 index);
	} else if (e->status == PASSGATE_STATUS_REMOVE &&
		   (e->flags || e->valid_from || e->valid_until ||
		    memcmp(e->id_digest, zero, sizeof(zero)))) {
		snprintf(msg, len,
			 "entry %" PRIu64 ": a REMOVE entry carries only its digest",
			 index);
	} else if (e->valid_until && e->valid_from > e->valid_until) {
		snprintf(msg, len,
			 "entry %" PRIu64 ": valid_from %u is after valid_until %u",
			 index, e->valid_from, e->valid_until);
	}
}

static void code_to_le(void *out, const void *entry)
{
	struct passgate_list_entry *o = out;

	*o = *(const struct passgate_list_entry *)entry;
	o->valid_from = htole32(o->valid_from);
	o->valid_until = htole32(o->valid_until);
	o->reserved2 = htole32(o->reserved2);
}

static void code_from_le(void *entry)
{
	struct passgate_list_entry *e = entry;

	e->valid_from = le32toh(e->valid_from);
	e->valid_until = le32toh(e->valid_until);
	e->reserved2 = le32toh(e->reserved2);
}

const struct passgate_list_entries passgate_code_entries = {
	.name = "health codes",
	.size = sizeof(struct passgate_list_entry),
	.problem = code_problem,
	.to_le = code_to_le,
	.from_le = code_from_le,
};

/*
 * One entry (host byte order) of a list of @kind holding @ops' entries;
 * @prev is the one before it or NULL.  "" or the reason it is refused.
 */
static void entry_problem(const struct passgate_list_entries *ops,
			  const uint8_t *e, const uint8_t *prev,
			  unsigned int kind, uint64_t index, char *msg,
			  size_t len)
{
	char hex[2 * PASSGATE_LIST_DIGEST + 1];
	int order = prev ? memcmp(prev, e, PASSGATE_LIST_DIGEST) : -1;

	*msg = '\0';
	if (!order) {
		digest_hex(e, hex);
		snprintf(msg, len, "entry %" PRIu64 ": duplicate digest %s",
			 index, hex);
	} else if (order > 0) {
		snprintf(msg, len,
			 "entry %" PRIu64 ": digest below the previous one (entries unsorted)",
			 index);
	} else {
		ops->problem(e, kind, index, msg, len);
	}
}

static void header_encode(struct passgate_list_header *h,
			  const struct passgate_list_info *info)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, PASSGATE_LIST_MAGIC, sizeof(h->magic));
	h->version = htole16(PASSGATE_LIST_VERSION);
	h->kind = htole16(info->kind);
	h->header_size = htole32(HEADER_SIZE);
	memcpy(h->key_id, info->key_id, sizeof(h->key_id));
	h->generation = htole64(info->generation);
	h->base_generation = htole64(info->base_generation);
	h->issued_at = htole64(info->issued_at);
	h->not_before = htole64(info->not_before);
	h->expires_at = htole64(info->expires_at);
	h->entry_count = htole64(info->entry_count);
	h->entry_size = htole32(passgate_list_entry_size(info->holds));
	h->digest_size = htole32(PASSGATE_LIST_DIGEST);
	memcpy(h->station, info->station, strnlen(info->station, sizeof(h->station)));
	h->holds = htole16(info->holds);
}

static void header_decode(struct passgate_list_info *info,
			  const struct passgate_list_header *h)
{
	memset(info, 0, sizeof(*info));
	info->kind = le16toh(h->kind);
	info->holds = le16toh(h->holds);
	info->generation = le64toh(h->generation);
	info->base_generation = le64toh(h->base_generation);
	info->issued_at = le64toh(h->issued_at);
	info->not_before = le64toh(h->not_before);
	info->expires_at = le64toh(h->expires_at);
	memcpy(info->station, h->station, sizeof(h->station));
	memcpy(info->key_id, h->key_id, sizeof(h->key_id));
	info->entry_count = le64toh(h->entry_count);
}

/* Every kind of entry starts with its digest. */
static int compare_entries(const void *a, const void *b)
{
	return memcmp(a, b, PASSGATE_LIST_DIGEST);
}

static int write_entries(int fd, const struct passgate_list_entries *ops,
			 const uint8_t *entries, size_t count)
{
	size_t i, n, max = chunk_entries(ops);
	uint8_t *chunk;

	chunk = malloc(max * ops->size);
	if (!chunk)
		return -1;
	while (count) {
		n = count < max ? count : max;
		for (i = 0; i < n; i++)
			ops->to_le(chunk + i * ops->size,
				   entries + i * ops->size);
		if (passgate_file_write_all(fd, chunk, n * ops->size)) {
			free(chunk);
			return -1;
		}
		entries += n * ops->size;
		count -= n;
	}
	free(chunk);
	return 0;
}

int passgate_listfile_write_entries(const char *path,
				    struct passgate_list_info *info,
				    void *entries, size_t count,
				    const struct passgate_seckey *sec, char *err,
				    size_t errlen)
{
	char msg[MSG_MAX], comment[PASSGATE_LIST_COMMENT_MAX];
	const struct passgate_list_entries *ops;
	struct passgate_list_header header;
	struct passgate_file_new nf;
	uint8_t *e = entries;
	char *sig_path;
	size_t i;

	if (strnlen(info->station, sizeof(info->station)) > PASSGATE_LIST_STATION)
		return passgate_fail(err, errlen, EINVAL, "header: station code longer than %zu bytes",
				     PASSGATE_LIST_STATION);
	header_problem(info, msg, sizeof(msg));
	if (*msg)
		return passgate_fail(err, errlen, EINVAL, "%s", msg);
	ops = list_entries(info->holds);
	if (count)
		qsort(entries, count, ops->size, compare_entries);
	for (i = 0; i < count; i++) {
		entry_problem(ops, e + i * ops->size,
			      i ? e + (i - 1) * ops->size : NULL,
			      info->kind, i, msg, sizeof(msg));
		if (*msg)
			return passgate_fail(err, errlen, EINVAL, "%s", msg);
	}
	memcpy(info->key_id, passgate_seckey_id(sec), sizeof(info->key_id));
	info->entry_count = count;
	info->file_size = HEADER_SIZE + (uint64_t)count * ops->size;
	header_encode(&header, info);
	if (passgate_listfile_comment(info, comment, sizeof(comment)))
		return passgate_fail(err, errlen, errno, "trusted comment too long");

	if (asprintf(&sig_path, "%s.minisig", path) < 0)
		return passgate_fail(err, errlen, ENOMEM, "out of memory");
	/* Signed under its temporary name, then renamed into place. */
	if (passgate_file_new_open(&nf, path, 0644)) {
		passgate_fail(err, errlen, errno, "%s: %s", path,
			      strerror(errno));
		goto out_free;
	}
	if (passgate_file_write_all(nf.fd, &header, sizeof(header)) ||
	    write_entries(nf.fd, ops, entries, count) ||
	    passgate_file_new_close(&nf)) {
		passgate_fail(err, errlen, errno, "%s: %s", nf.tmp,
			      strerror(errno));
		goto out_abort;
	}
	if (passgate_seckey_sign_file(sec, nf.tmp, comment, sig_path, err,
				      errlen))
		goto out_abort;
	if (passgate_file_new_commit(&nf)) {
		passgate_fail(err, errlen, errno, "%s: %s", path,
			      strerror(errno));
		goto out_free;
	}
	free(sig_path);
	return 0;

out_abort:
	passgate_file_new_abort(&nf);
out_free:
	free(sig_path);
	return -1;
}

int passgate_listfile_write(const char *path, struct passgate_list_info *info,
			    struct passgate_list_entry *entries, size_t count,
			    const struct passgate_seckey *sec, char *err,
			    size_t errlen)
{
	info->holds = PASSGATE_LIST_CODES;
	return passgate_listfile_write_entries(path, info, entries, count, sec,
					       err, errlen);
}

int passgate_listfile_write_tickets(const char *path,
				    struct passgate_list_info *info,
				    struct passgate_ticket_entry *entries,
				    size_t count,
				    const struct passgate_seckey *sec,
				    char *err, size_t errlen)
{
	info->holds = PASSGATE_LIST_TICKETS;
	return passgate_listfile_write_entries(path, info, entries, count, sec,
					       err, errlen);
}

/* Read up to @len bytes at the current offset; short only at the end. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t have = 0;
	ssize_t n;

	while (have < len) {
		n = read(fd, (char *)buf + have, len - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		have += n;
	}
	return have;
}

/* The fixed fields of a header that a valid list has; "" if all right. */
static void header_format_problem(const struct passgate_list_header *h,
				  char *msg, size_t len)
{
	size_t i, entry_size = passgate_list_entry_size(le16toh(h->holds));

	*msg = '\0';
	if (memcmp(h->magic, PASSGATE_LIST_MAGIC, sizeof(h->magic)))
		snprintf(msg, len, "header: bad magic, not a passgate list");
	else if (le16toh(h->version) != PASSGATE_LIST_VERSION)
		snprintf(msg, len, "header: version %u, only %d is known",
			 le16toh(h->version), PASSGATE_LIST_VERSION);
	else if (le32toh(h->header_size) != HEADER_SIZE)
		snprintf(msg, len, "header: header_size %u, must be %zu",
			 le32toh(h->header_size), HEADER_SIZE);
	else if (!entry_size)
		snprintf(msg, len, "header: holds %u is neither health codes "
			 "(%d) nor tickets (%d)", le16toh(h->holds),
			 PASSGATE_LIST_CODES, PASSGATE_LIST_TICKETS);
	else if (le32toh(h->entry_size) != entry_size)
		snprintf(msg, len, "header: entry_size %u, must be %zu for %s",
			 le32toh(h->entry_size), entry_size,
			 list_entries(le16toh(h->holds))->name);
	else if (le32toh(h->digest_size) != PASSGATE_LIST_DIGEST)
		snprintf(msg, len, "header: digest_size %u, must be %d",
			 le32toh(h->digest_size), PASSGATE_LIST_DIGEST);
	if (*msg)
		return;
	for (i = 0; i < sizeof(h->reserved); i++)
		if (h->reserved[i]) {
			snprintf(msg, len, "header: reserved byte %zu is not zero",
				 offsetof(struct passgate_list_header, reserved) + i);
			return;
		}
	for (i = strnlen((const char *)h->station, sizeof(h->station));
	     i < sizeof(h->station); i++)
		if (h->station[i]) {
			snprintf(msg, len, "header: station code not NUL-padded");
			return;
		}
}

/*
 * The one pass over the file: hash all of it, keep the header, note the
 * first entry that would be refused.  The file has @size bytes.
 */
static int scan_file(struct passgate_listfile *list, uint64_t size,
		     const char *path, char *entry_msg, size_t msg_len,
		     char *err, size_t errlen)
{
	const struct passgate_list_entries *ops;
	crypto_generichash_blake2b_state st;
	uint8_t *chunk, *prev = NULL;
	uint64_t total, index = 0;
	size_t i, entry_size;
	unsigned int kind;
	ssize_t n;
	int e;

	*entry_msg = '\0';
	crypto_generichash_blake2b_init(&st, NULL, 0, PASSGATE_PREHASH_SIZE);
	n = read_full(list->fd, &list->header, HEADER_SIZE);
	if (n != (ssize_t)HEADER_SIZE)
		return passgate_fail(err, errlen, n < 0 ? errno : EBADMSG, "file: %s: %s",
				     path, n < 0 ? strerror(errno) : "changed while being read");
	crypto_generichash_blake2b_update(&st, (const uint8_t *)&list->header,
					  HEADER_SIZE);
	total = HEADER_SIZE;
	kind = le16toh(list->header.kind);
	/*
	 * What the header says it holds, unverified: only to note the first
	 * bad entry.  A kind this code does not know is refused with the
	 * header, after the signature; its entries are not looked at.
	 */
	ops = list_entries(le16toh(list->header.holds));
	entry_size = ops ? ops->size : sizeof(struct passgate_list_entry);

	chunk = malloc(CHUNK_BYTES / entry_size * entry_size + entry_size);
	if (!chunk)
		return passgate_fail(err, errlen, ENOMEM, "out of memory");
	prev = chunk + CHUNK_BYTES / entry_size * entry_size;
	for (;;) {
		n = read_full(list->fd, chunk, CHUNK_BYTES / entry_size *
			      entry_size);
		if (n < 0) {
			e = errno;
			free(chunk);
			return passgate_fail(err, errlen, e, "file: %s: %s", path,
					     strerror(e));
		}
		if (n == 0)
			break;
		crypto_generichash_blake2b_update(&st, chunk, n);
		total += n;
		for (i = 0; ops && !*entry_msg && i < n / entry_size;
		     i++, index++) {
			ops->from_le(chunk + i * entry_size);
			entry_problem(ops, chunk + i * entry_size,
				      index ? prev : NULL, kind, index,
				      entry_msg, msg_len);
			memcpy(prev, chunk + i * entry_size, entry_size);
		}
	}
	free(chunk);
	if (total != size)
		return passgate_fail(err, errlen, EBADMSG,
				     "file: %s: changed size while being read", path);
	crypto_generichash_blake2b_final(&st, list->prehash,
					 PASSGATE_PREHASH_SIZE);
	return 0;
}

/* Everything the header says, against the file and the signature. */
enum passgate_list_window passgate_listfile_window(const struct passgate_list_info *info,
						   uint64_t now, char *msg,
						   size_t len)
{
	if (now >= info->expires_at) {
		snprintf(msg, len, "generation %" PRIu64 " expired at %" PRIu64
			 " (now %" PRIu64 ")", info->generation,
			 info->expires_at, now);
		return PASSGATE_LIST_PAST_EXPIRY;
	}
	if (now < info->not_before) {
		snprintf(msg, len, "generation %" PRIu64 " is valid from %"
			 PRIu64 " (now %" PRIu64 ")", info->generation,
			 info->not_before, now);
		return PASSGATE_LIST_BEFORE_NOT_BEFORE;
	}
	return PASSGATE_LIST_IN_WINDOW;
}

/*
 * What @path's header claims, read without checking the signature: only
 * to say which list a refusal was about.  0, or -1 when there is no
 * header of the known format to read.
 */
int passgate_listfile_peek(const char *path, struct passgate_list_info *info)
{
	struct passgate_list_header h;
	char msg[MSG_MAX];
	ssize_t n;
	int fd;

	memset(info, 0, sizeof(*info));
	fd = passgate_file_open_regular(path, NULL);
	if (fd < 0)
		return -1;
	n = read_full(fd, &h, sizeof(h));
	close(fd);
	if (n != (ssize_t)sizeof(h))
		return -1;
	header_format_problem(&h, msg, sizeof(msg));
	if (*msg)
		return -1;
	header_decode(info, &h);
	info->station[sizeof(info->station) - 1] = '\0';
	return 0;
}

static int check_header(struct passgate_listfile *list, uint64_t size,
			const struct passgate_signature *sig, char *err,
			size_t errlen)
{
	char msg[MSG_MAX], comment[PASSGATE_LIST_COMMENT_MAX];
	char header_id[PASSGATE_KEY_ID_HEX], sig_id[PASSGATE_KEY_ID_HEX];
	struct passgate_list_info *info = &list->info;
	uint64_t announced;

	header_format_problem(&list->header, msg, sizeof(msg));
	if (*msg)
		return passgate_fail(err, errlen, EBADMSG, "%s", msg);
	header_decode(info, &list->header);
	info->file_size = size;
	header_problem(info, msg, sizeof(msg));
	if (*msg)
		return passgate_fail(err, errlen, EBADMSG, "%s", msg);
	list->entries = list_entries(info->holds);
	if (info->entry_count >
	    (UINT64_MAX - HEADER_SIZE) / list->entries->size)
		return passgate_fail(err, errlen, EBADMSG,
				     "header: %" PRIu64 " entries announced, file has %" PRIu64
				     " bytes of entries", info->entry_count,
				     size - HEADER_SIZE);
	announced = info->entry_count * list->entries->size;
	if (announced != size - HEADER_SIZE)
		return passgate_fail(err, errlen, EBADMSG,
				     "header: %" PRIu64 " bytes of entries announced, file has %" PRIu64,
				     announced, size - HEADER_SIZE);
	if (memcmp(info->key_id, passgate_signature_key_id(sig),
		   PASSGATE_KEY_ID_SIZE)) {
		passgate_key_id_format(info->key_id, header_id);
		passgate_key_id_format(passgate_signature_key_id(sig), sig_id);
		return passgate_fail(err, errlen, EBADMSG,
				     "header: key id %s, but the signature's is %s",
				     header_id, sig_id);
	}
	if (passgate_listfile_comment(info, comment, sizeof(comment)) ||
	    strcmp(comment, passgate_signature_trusted_comment(sig)))
		return passgate_fail(err, errlen, EBADMSG,
				     "signature: trusted comment \"%.100s\" does not match the header (\"%s\")",
				     passgate_signature_trusted_comment(sig), comment);
	return 0;
}

struct passgate_listfile *passgate_listfile_open(const char *path,
						 const char *sig_path,
						 const struct passgate_trust *trust,
						 uint64_t max_bytes, char *err,
						 size_t errlen)
{
	char entry_msg[MSG_MAX], *default_sig = NULL;
	struct passgate_signature *sig = NULL;
	struct passgate_listfile *list;
	struct stat st;
	int e;

	if (!max_bytes)
		max_bytes = PASSGATE_LIST_MAX_BYTES;
	list = calloc(1, sizeof(*list));
	if (!list) {
		passgate_fail(err, errlen, ENOMEM, "out of memory");
		return NULL;
	}
	/* Nothing but a regular file is read: never a FIFO, never a link. */
	list->fd = passgate_file_open_regular(path, &st);
	if (list->fd < 0) {
		passgate_fail(err, errlen, errno == EINVAL ? EBADMSG : errno,
			      "file: %s: %s", path,
			      passgate_file_strerror(errno));
		goto out_free;
	}
	if ((uint64_t)st.st_size > max_bytes) {
		passgate_fail(err, errlen, EFBIG,
			      "file: %s: %" PRIu64 " bytes, above the limit of %" PRIu64,
			      path, (uint64_t)st.st_size, max_bytes);
		goto out_close;
	}
	if ((uint64_t)st.st_size < HEADER_SIZE) {
		passgate_fail(err, errlen, EBADMSG,
			      "file: %s: %" PRIu64 " bytes, shorter than the %zu-byte header",
			      path, (uint64_t)st.st_size, HEADER_SIZE);
		goto out_close;
	}
	if (!sig_path) {
		if (asprintf(&default_sig, "%s.minisig", path) < 0) {
			passgate_fail(err, errlen, ENOMEM, "out of memory");
			goto out_close;
		}
		sig_path = default_sig;
	}
	sig = passgate_signature_load(sig_path, err, errlen);
	if (!sig)
		goto out_close;
	if (scan_file(list, st.st_size, path, entry_msg, sizeof(entry_msg),
		      err, errlen) ||
	    passgate_signature_verify(sig, trust, list->prehash, err, errlen) ||
	    check_header(list, st.st_size, sig, err, errlen))
		goto out_close;
	if (*entry_msg) {
		passgate_fail(err, errlen, EBADMSG, "%s", entry_msg);
		goto out_close;
	}
	passgate_signature_free(sig);
	free(default_sig);
	return list;

out_close:
	e = errno;
	close(list->fd);
	errno = e;
out_free:
	e = errno;
	passgate_signature_free(sig);
	free(default_sig);
	free(list);
	errno = e;
	return NULL;
}

const struct passgate_list_info *passgate_listfile_info(const struct passgate_listfile *list)
{
	return &list->info;
}

static int changed(char *err, size_t errlen)
{
	return passgate_fail(err, errlen, EBADMSG, "file: changed since it was checked");
}

ssize_t passgate_listfile_read_entries(struct passgate_listfile *list,
				       void *entries, size_t max, char *err,
				       size_t errlen)
{
	const struct passgate_list_entries *ops = list->entries;
	uint8_t prehash[PASSGATE_PREHASH_SIZE];
	struct passgate_list_header header;
	uint64_t left = list->info.entry_count - list->next;
	size_t i, n;
	ssize_t got;
	char extra;

	/* No second chance: the hash state is spent or out of step. */
	if (list->broken)
		return changed(err, errlen);
	if (!list->started) {
		if (lseek(list->fd, 0, SEEK_SET) < 0)
			return passgate_fail(err, errlen, errno, "file: %s", strerror(errno));
		got = read_full(list->fd, &header, sizeof(header));
		if (got < 0)
			return passgate_fail(err, errlen, errno, "file: %s", strerror(errno));
		if (got != sizeof(header) ||
		    memcmp(&header, &list->header, sizeof(header)))
			return changed(err, errlen);
		crypto_generichash_blake2b_init(&list->rehash, NULL, 0,
						PASSGATE_PREHASH_SIZE);
		crypto_generichash_blake2b_update(&list->rehash,
						  (const uint8_t *)&header,
						  sizeof(header));
		list->started = 1;
	}
	if (!left) {
		if (list->finished)
			return 0;
		got = read_full(list->fd, &extra, 1);
		if (got < 0)
			return passgate_fail(err, errlen, errno, "file: %s", strerror(errno));
		crypto_generichash_blake2b_final(&list->rehash, prehash,
						 sizeof(prehash));
		if (got || sodium_memcmp(prehash, list->prehash, sizeof(prehash))) {
			list->broken = 1;
			return changed(err, errlen);
		}
		list->finished = 1;
		return 0;
	}
	n = max < left ? max : left;
	got = read_full(list->fd, entries, n * ops->size);
	if (got < 0)
		return passgate_fail(err, errlen, errno, "file: %s", strerror(errno));
	if ((size_t)got != n * ops->size) {
		list->broken = 1;
		return changed(err, errlen);
	}
	crypto_generichash_blake2b_update(&list->rehash, entries, got);
	for (i = 0; i < n; i++)
		ops->from_le((uint8_t *)entries + i * ops->size);
	list->next += n;
	return n;
}

/* The list holds @holds, or nothing is read. */
static int holds_checked(const struct passgate_listfile *list,
			 unsigned int holds, char *err, size_t errlen)
{
	if (list->info.holds == holds)
		return 0;
	return passgate_fail(err, errlen, EMEDIUMTYPE,
			     "file: holds %s, not %s", list->entries->name,
			     list_entries(holds)->name);
}

ssize_t passgate_listfile_read(struct passgate_listfile *list,
			       struct passgate_list_entry *entries, size_t max,
			       char *err, size_t errlen)
{
	if (holds_checked(list, PASSGATE_LIST_CODES, err, errlen))
		return -1;
	return passgate_listfile_read_entries(list, entries, max, err, errlen);
}

ssize_t passgate_listfile_read_tickets(struct passgate_listfile *list,
				       struct passgate_ticket_entry *entries,
				       size_t max, char *err, size_t errlen)
{
	if (holds_checked(list, PASSGATE_LIST_TICKETS, err, errlen))
		return -1;
	return passgate_listfile_read_entries(list, entries, max, err, errlen);
}

void passgate_listfile_close(struct passgate_listfile *list)
{
	if (!list)
		return;
	close(list->fd);
	free(list);
}

int passgate_listfile_check(const char *path, const char *sig_path,
			    const struct passgate_trust *trust,
			    uint64_t max_bytes, struct passgate_list_info *info,
			    char *err, size_t errlen)
{
	struct passgate_listfile *list;

	list = passgate_listfile_open(path, sig_path, trust, max_bytes, err,
				      errlen);
	if (!list)
		return -1;
	if (info)
		*info = list->info;
	passgate_listfile_close(list);
	return 0;
}
