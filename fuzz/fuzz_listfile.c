// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the signed-list checker (common/listfile.c,
 * minisign.c), past the signature.
 *
 * A fixed test key (derived from a constant seed, written as minisign key
 * files and loaded with passgate_seckey_load() / passgate_pubkey_load())
 * is the only key in the trust store; a second fixed key is not in it.
 * Each input becomes a list file and its .minisig in a temporary folder
 * (/dev/shm if there is one, else /tmp), removed at the end.
 *
 * Input: byte 0 is the mode, the rest depends on mode & 3:
 *   0 (a)  the list; signed with the trusted comment that
 *          passgate_listfile_comment() makes of the list's own header
 *          (an empty comment when it has none)
 *   1 (b)  L = byte 1, then L bytes of trusted comment (up to a NUL), then
 *          the list; signed with that comment
 *   2 (c)  n = bytes 1-2 (LE), then n bytes of list, then the .minisig
 *          file itself
 *   3      as (a), but signed with the key outside the trust store
 * Other mode bits: 0x04 put the test key's id into the header, 0x08 set
 * the header's entry_count from the file's size, 0x10 max_bytes = the
 * list's size, 0x40 max_bytes = the list's size - 1, 0x20 change the
 * file between _open() and the end of _read(), 0x80 read one entry at a
 * time.
 *
 * Invariants checked (abort() on violation):
 * - for (a) and (b), whose signature is good, the checker accepts exactly
 *   the lists that docs/allowlist-format.md describes (judged here from
 *   the bytes, independently), trusted comment included; a refusal is
 *   then EBADMSG (EFBIG over max_bytes) and its message starts with
 *   "file:", "header:", "entry " or "signature: trusted comment";
 * - 3 and a max_bytes below the size are never accepted (ENOKEY, EFBIG);
 * - an accepted list (any mode) is well-formed by that same judgement,
 *   its info matches the header bytes, and its trusted comment is the
 *   one the format defines;
 * - _open()/_read() of an accepted list returns every entry, in file
 *   order, equal to the bytes (host order), strictly increasing digests,
 *   status in range, then 0, and 0 again; with the file changed after
 *   _open() it never returns 0 (the end) but -1 EBADMSG; the typed read
 *   of the other kind (health codes, tickets: the header's holds) is
 *   refused, EMEDIUMTYPE;
 * - flipping any one byte of an accepted list makes it refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/allowlist.h"
#include "common/listfile.h"
#include "common/minisign.h"

#define HDR 128
#define ENT 48		/* a health code's entry */
#define TICKET_ENT 72	/* a ticket's */
#define ERR_MAX 512
#define MAX_ENTRIES 4096

/* The library's last message, shown when an invariant fails. */
static char err[ERR_MAX];

/* Before fuzz_common.h, which then uses it too. */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",\
				__FILE__, __LINE__, #cond);		\
			if (err[0])					\
				fprintf(stderr, "last message: %s\n", err);\
			abort();					\
		}							\
	} while (0)

#include "fuzz_common.h"

/* The test keys: fixed, so that a saved input reproduces. */
static const uint8_t test_key_id[8] = { 0x46, 0x55, 0x5a, 0x5a, 0x50, 0x47, 0x01, 0x00 };
static const uint8_t other_key_id[8] = { 0x46, 0x55, 0x5a, 0x5a, 0x50, 0x47, 0x02, 0x00 };

static char list_path[128], sig_path[128], scratch[128];
static struct passgate_seckey *sec, *other;
static struct passgate_trust *trust;
static uint8_t entries[MAX_ENTRIES * TICKET_ENT];

static uint16_t le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

/* minisign key files for a key derived from @seed, loaded back. */
static struct passgate_seckey *make_key(const uint8_t *key_id, uint8_t seed_byte,
					bool trusted)
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t blob[2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32] = { 0 };
	uint8_t pub[2 + 8 + 32];
	char b64[256], text[512];
	struct passgate_seckey *key;
	struct passgate_pubkey *pubkey;

	memset(seed, seed_byte, sizeof(seed));
	memcpy(blob, "Ed", 2);		/* kdf: none (zero), checksum "B2" */
	memcpy(blob + 4, "B2", 2);
	memcpy(blob + 54, key_id, 8);
	crypto_sign_seed_keypair(pk, blob + 62, seed);
	/* checksum left zero, as minisign writes an unencrypted key */
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob),
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof(text), "untrusted comment: fuzz key\n%s\n", b64);
	fuzz_write_file(scratch, text, strlen(text));
	key = passgate_seckey_load(scratch, err, sizeof(err));
	CHECK(key);
	unlink(scratch);
	CHECK(!memcmp(passgate_seckey_id(key), key_id, 8));

	if (trusted) {
		memcpy(pub, "Ed", 2);
		memcpy(pub + 2, key_id, 8);
		memcpy(pub + 10, pk, 32);
		sodium_bin2base64(b64, sizeof(b64), pub, sizeof(pub),
				  sodium_base64_VARIANT_ORIGINAL);
		snprintf(text, sizeof(text), "untrusted comment: fuzz key\n%s\n", b64);
		fuzz_write_file(scratch, text, strlen(text));
		pubkey = passgate_pubkey_load(scratch, err, sizeof(err));
		CHECK(pubkey);
		unlink(scratch);
		CHECK(passgate_trust_add(trust, pubkey, err, sizeof(err)) == 0);
		passgate_pubkey_free(pubkey);
	}
	return key;
}

static void setup(void)
{
	const char *dir = fuzz_dir_get("fuzz-list");

	CHECK(sodium_init() >= 0);
	snprintf(list_path, sizeof(list_path), "%s/list", dir);
	snprintf(sig_path, sizeof(sig_path), "%s/list.minisig", dir);
	snprintf(scratch, sizeof(scratch), "%s/scratch", dir);
	trust = passgate_trust_new();
	CHECK(trust);
	sec = make_key(test_key_id, 0x11, true);
	other = make_key(other_key_id, 0x22, false);
	CHECK(passgate_trust_count(trust) == 1);
}

/* The entry size of a header's holds: 0 when it holds neither kind. */
static size_t entry_size(const uint8_t *h)
{
	unsigned int holds = le16(h + 96);

	return holds == 0 ? ENT : holds == 1 ? TICKET_ENT : 0;
}

/* The comment the format defines (allowlist-format.md, "Signing"). */
static void format_comment(const uint8_t *h, char *out, size_t len)
{
	unsigned int kind = le16(h + 10);

	snprintf(out, len,
		 "passgate-list v1%s kind=%s generation=%" PRIu64 " base=%" PRIu64
		 " not_before=%" PRIu64 " expires=%" PRIu64 " entries=%" PRIu64,
		 le16(h + 96) == 1 ? " holds=tickets" : "",
		 kind == 1 ? "full" : kind == 2 ? "delta" : "unknown",
		 le64(h + 24), le64(h + 32), le64(h + 48), le64(h + 56),
		 le64(h + 64));
}

/* A ticket's text field: printable, no blank, NUL-padded, not empty. */
static bool text_ok(const uint8_t *f, size_t n)
{
	size_t i = 0;

	while (i < n && f[i] > 0x20 && f[i] <= 0x7e)
		i++;
	if (!i)
		return false;
	for (; i < n; i++)
		if (f[i])
			return false;
	return true;
}

/* One health-code entry @e of a list of @kind. */
static bool code_entry_ok(const uint8_t *e, unsigned int kind)
{
	static const uint8_t zero[16];
	uint8_t status = e[16], flags = e[17];
	uint32_t from = le32(e + 20), until = le32(e + 24);

	if (status > 3 || (status == 0 && kind != 2))
		return false;
	if (flags & ~1u)
		return false;
	if (e[18] || e[19] || le32(e + 28))
		return false;
	if (status == 0 && (flags || from || until ||
			    memcmp(e + 32, zero, 16)))
		return false;
	return !until || from <= until;
}

/* One ticket entry @e of a list of @kind. */
static bool ticket_entry_ok(const uint8_t *e, unsigned int kind)
{
	static const uint8_t zero[TICKET_ENT];
	uint32_t from = le32(e + 20), until = le32(e + 24);
	uint8_t status = e[16];

	if (status > 1 || (status == 0 && kind != 2))
		return false;
	if (status == 0)
		return !memcmp(e + 17, zero, TICKET_ENT - 17);
	if ((e[17] & ~1u) || e[18] || e[19] || le32(e + 28))
		return false;
	if (until && from > until)
		return false;
	return text_ok(e + 32, 16) && text_ok(e + 48, 16) && text_ok(e + 64, 8);
}

/*
 * Whether @list (@size bytes) is a list the format allows, signed by the
 * test key with @comment (NULL: the comment is not judged).
 */
static bool list_valid(const uint8_t *l, size_t size, const char *comment)
{
	char want[256];
	uint64_t gen, base, count;
	unsigned int kind;
	size_t i, s, ent;
	bool nul;

	if (size < HDR)
		return false;
	ent = entry_size(l);
	if (!ent)
		return false;
	kind = le16(l + 10);
	gen = le64(l + 24);
	base = le64(l + 32);
	count = le64(l + 64);
	if (memcmp(l, "PGLIST\r\n", 8) || le16(l + 8) != 1 ||
	    (kind != 1 && kind != 2) || le32(l + 12) != HDR ||
	    memcmp(l + 16, test_key_id, 8) || !gen ||
	    (kind == 1 && base) || (kind == 2 && (!base || base >= gen)) ||
	    le64(l + 48) > le64(l + 56) || le32(l + 72) != ent ||
	    le32(l + 76) != 16)
		return false;
	if ((size - HDR) % ent || count != (size - HDR) / ent)
		return false;
	for (s = 0, nul = false; s < 16; s++) {
		uint8_t c = l[80 + s];

		if (!c)
			nul = true;
		else if (nul || c < 0x20 || c > 0x7e)
			return false;
	}
	for (i = 98; i < HDR; i++)
		if (l[i])
			return false;
	if (comment) {
		format_comment(l, want, sizeof(want));
		if (strcmp(want, comment))
			return false;
	}
	for (i = 0; i < count; i++) {
		const uint8_t *e = l + HDR + i * ent;

		if (i && memcmp(e - ent, e, 16) >= 0)
			return false;
		if (ent == ENT ? !code_entry_ok(e, kind) :
		    !ticket_entry_ok(e, kind))
			return false;
	}
	return true;
}

static bool message_ok(void)
{
	return !strncmp(err, "file:", 5) || !strncmp(err, "header:", 7) ||
	       !strncmp(err, "entry ", 6) || !strncmp(err, "signature:", 10);
}

/* An accepted list: info against the bytes, then every entry. */
static void check_accepted(const uint8_t *l, size_t size,
			   const struct passgate_list_info *info,
			   bool tamper, bool one_by_one)
{
	struct passgate_listfile *list;
	uint64_t count = le64(l + 64), got = 0;
	size_t ent = entry_size(l);
	bool tickets = ent == TICKET_ENT;
	uint8_t *copy = NULL;
	const uint8_t *cur = l;	/* what the file holds now */
	ssize_t n;
	size_t max;

	CHECK(list_valid(l, size, NULL));
	CHECK(info->kind == le16(l + 10));
	CHECK(info->holds == le16(l + 96));
	CHECK(info->generation == le64(l + 24));
	CHECK(info->base_generation == le64(l + 32));
	CHECK(info->issued_at == le64(l + 40));
	CHECK(info->not_before == le64(l + 48));
	CHECK(info->expires_at == le64(l + 56));
	CHECK(info->entry_count == count);
	CHECK(info->file_size == size);
	CHECK(HDR + info->entry_count * ent == info->file_size);
	CHECK(!memcmp(info->key_id, test_key_id, 8));
	CHECK(strnlen(info->station, sizeof(info->station)) <= 16);
	CHECK(!strncmp(info->station, (const char *)l + 80, 16));

	list = passgate_listfile_open(list_path, NULL, trust, 0, err, sizeof(err));
	CHECK(list);
	CHECK(!memcmp(passgate_listfile_info(list), info, sizeof(*info)));
	/* Never read as the other kind; refused before a byte is read. */
	if (tickets)
		CHECK(passgate_listfile_read(list, (void *)entries, 1, err,
					     sizeof(err)) == -1);
	else
		CHECK(passgate_listfile_read_tickets(list, (void *)entries, 1,
						     err, sizeof(err)) == -1);
	CHECK(errno == EMEDIUMTYPE);
	if (tamper && count) {
		/* same size, one entry byte changed after the check */
		copy = malloc(size);
		CHECK(copy);
		memcpy(copy, l, size);
		copy[HDR + (size - HDR) / 2] ^= 0x01;
		fuzz_write_file(list_path, copy, size);
		cur = copy;
	}
	max = one_by_one ? 1 : MAX_ENTRIES;
	for (;;) {
		n = passgate_listfile_read_entries(list, entries, max, err,
						   sizeof(err));
		if (n < 0) {
			CHECK(tamper && count);
			CHECK(errno == EBADMSG);
			break;
		}
		if (n == 0) {
			CHECK(!(tamper && count));
			CHECK(got == count);
			CHECK(passgate_listfile_read_entries(list, entries, max,
							     err, sizeof(err)) == 0);
			break;
		}
		CHECK((size_t)n <= max && got + n <= count);
		for (ssize_t i = 0; i < n; i++) {
			/* Both kinds: digest, status, flags, two u32 times. */
			const struct passgate_list_entry *e =
				(const void *)(entries + i * ent);
			const uint8_t *raw = cur + HDR + (got + i) * ent;

			CHECK(!memcmp(e->digest, raw, 16));
			CHECK(e->status == raw[16] && e->flags == raw[17]);
			CHECK(e->valid_from == le32(raw + 20));
			CHECK(e->valid_until == le32(raw + 24));
			CHECK(!memcmp((const uint8_t *)e + 32, raw + 32,
				      ent - 32));
			if (cur != l)
				continue;
			CHECK(e->status <= (tickets ? PASSGATE_TICKET_ISSUED :
					    PASSGATE_STATUS_RED));
			CHECK(tickets || passgate_list_status_name(e->status));
			CHECK(e->status != PASSGATE_STATUS_REMOVE ||
			      info->kind == PASSGATE_LIST_DELTA);
			if (got + i)
				CHECK(memcmp(raw - ent, raw, 16) < 0);
		}
		got += n;
	}
	passgate_listfile_close(list);
	free(copy);
	if (tamper)
		return;

	/* Any one byte changed: refused. */
	copy = malloc(size);
	CHECK(copy);
	memcpy(copy, l, size);
	copy[(count * 131 + size * 7) % size] ^= 0x80;
	fuzz_write_file(list_path, copy, size);
	free(copy);
	CHECK(passgate_listfile_check(list_path, NULL, trust, 0, NULL, err,
				      sizeof(err)) == -1);
}

/*
 * Seed writing (FUZZ_LISTFILE_SEED_OUT=FILE): an accepted mode-0 input is
 * written to FILE again in mode 2, with the .minisig made for it.
 */
static void write_seed(const char *path, const uint8_t *l, size_t len)
{
	uint8_t sig[1024], head[3] = { 2, len & 0xff, len >> 8 };
	ssize_t n;
	FILE *f;
	int fd;

	fd = open(sig_path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	n = read(fd, sig, sizeof(sig));
	close(fd);
	CHECK(n > 0);
	f = fopen(path, "wb");
	CHECK(f);
	fwrite(head, 1, sizeof(head), f);
	fwrite(l, 1, len, f);
	fwrite(sig, 1, n, f);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *list;
	static size_t list_cap;
	struct passgate_list_info info, parsed;
	char comment[PASSGATE_LIST_COMMENT_MAX + 256];
	const char *judged = NULL;
	const struct passgate_seckey *key;
	uint64_t max_bytes = 0;
	size_t len, n;
	unsigned int mode, sel;
	bool good_sig = true, efbig = false;
	int ret, signed_ok;

	if (!trust)
		setup();
	key = sec;
	if (size < 1)
		return 0;
	mode = data[0];
	sel = mode & 3;
	data++;
	size--;
	err[0] = '\0';
	comment[0] = '\0';

	if (sel == 1) {
		if (!size)
			return 0;
		n = data[0] < size - 1 ? data[0] : size - 1;
		memcpy(comment, data + 1, n);
		comment[n] = '\0';
		data += 1 + n;
		size -= 1 + n;
	} else if (sel == 2) {
		if (size < 2)
			return 0;
		n = le16(data);
		data += 2;
		size -= 2;
		len = n < size ? n : size;
		fuzz_write_file(sig_path, data + len, size - len);
		size = len;
		good_sig = false;
	}
	if (size > list_cap) {
		list = realloc(list, size);
		CHECK(list);
		list_cap = size;
	}
	if (size)
		memcpy(list, data, size);
	len = size;

	if (sel != 2 && len >= HDR) {
		if (mode & 0x04)
			memcpy(list + 16, test_key_id, 8);
		if (mode & 0x08)
			put_le64(list + 64, (len - HDR) /
				 (entry_size(list) ?: ENT));
	}
	fuzz_write_file(list_path, list, len);

	if (sel == 0 || sel == 3) {
		/* The header's own fields, decoded here, as the comment. */
		if (len >= HDR) {
			memset(&parsed, 0, sizeof(parsed));
			parsed.kind = le16(list + 10);
			parsed.holds = le16(list + 96);
			parsed.generation = le64(list + 24);
			parsed.base_generation = le64(list + 32);
			parsed.not_before = le64(list + 48);
			parsed.expires_at = le64(list + 56);
			parsed.entry_count = le64(list + 64);
			CHECK(passgate_listfile_comment(&parsed, comment,
							sizeof(comment)) == 0);
		}
		if (sel == 3) {
			key = other;
			good_sig = false;
		}
	}
	if (sel != 2) {
		signed_ok = passgate_seckey_sign_file(key, list_path, comment,
						      sig_path, err, sizeof(err));
		if (strpbrk(comment, "\r\n")) {
			CHECK(signed_ok == -1 && errno == EINVAL);
			/* nothing to check against */
			unlink(list_path);
			return 0;
		}
		CHECK(signed_ok == 0);
		judged = comment;
	}

	if (mode & 0x10)
		max_bytes = len;
	if ((mode & 0x40) && len > 1) {
		max_bytes = len - 1;
		efbig = true;
	}
	err[0] = '\0';
	memset(&info, 0xa5, sizeof(info));
	ret = passgate_listfile_check(list_path, NULL, trust, max_bytes, &info,
				      err, sizeof(err));
	if (ret) {
		CHECK(ret == -1);
		CHECK(err[0] && message_ok());
	}
	if (efbig) {
		CHECK(ret == -1 && errno == EFBIG);
	} else if (sel == 3) {
		CHECK(ret == -1);
		CHECK(len < HDR ? errno == EBADMSG : errno == ENOKEY);
	} else if (good_sig) {
		CHECK((ret == 0) == list_valid(list, len, judged));
		if (ret)
			CHECK(errno == EBADMSG);
	}
	if (ret == 0) {
		format_comment(list, comment, sizeof(comment));
		if (judged)
			CHECK(!strcmp(comment, judged));
		if (sel == 0 && getenv("FUZZ_LISTFILE_SEED_OUT"))
			write_seed(getenv("FUZZ_LISTFILE_SEED_OUT"), list, len);
		check_accepted(list, len, &info, mode & 0x20, mode & 0x80);
	}
	unlink(list_path);
	unlink(sig_path);
	return 0;
}
