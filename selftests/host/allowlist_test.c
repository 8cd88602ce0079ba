// SPDX-License-Identifier: GPL-2.0-only
/*
 * Signed allowlists on the host: write, sign, check and read back a list
 * (common/listfile.c), refuse every kind of bad one with its own
 * message, and compute credential digests as the kernel module does.
 * Bad lists are made byte by byte here and signed with a trusted key, so
 * that each check is reached past the signature.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "kselftest_harness.h"
#include "common/digest.h"
#include "common/listfile.h"
#include "common/minisign.h"

#define ERR_MAX 512
#define RAW_ENTRIES 4

struct raw_list {
	struct passgate_list_header header;
	struct passgate_list_entry entries[RAW_ENTRIES];
	size_t count;
};

FIXTURE(allowlist) {
	char dir[64];
	char list[128];
	char trust_dir[128];
	struct passgate_seckey *sec;
	struct passgate_seckey *other;
	struct passgate_trust *trust;
	char err[ERR_MAX];
};

static void path_in(char *out, size_t len, const char *dir, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

FIXTURE_SETUP(allowlist)
{
	char pub[192], sec[192];

	ASSERT_EQ(0, sodium_init() < 0);
	strcpy(self->dir, "/tmp/passgate-allowlist-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	path_in(self->list, sizeof(self->list), self->dir, "list");
	path_in(self->trust_dir, sizeof(self->trust_dir), self->dir, "trust");
	ASSERT_EQ(0, mkdir(self->trust_dir, 0755));

	path_in(pub, sizeof(pub), self->trust_dir, "issuer.pub");
	path_in(sec, sizeof(sec), self->dir, "issuer.sec");
	ASSERT_EQ(0, passgate_seckey_generate(pub, sec, self->err, ERR_MAX))
		TH_LOG("%s", self->err);
	self->sec = passgate_seckey_load(sec, self->err, ERR_MAX);
	ASSERT_NE(NULL, self->sec) TH_LOG("%s", self->err);

	/* A second key, kept out of the trust store. */
	path_in(pub, sizeof(pub), self->dir, "other.pub");
	path_in(sec, sizeof(sec), self->dir, "other.sec");
	ASSERT_EQ(0, passgate_seckey_generate(pub, sec, self->err, ERR_MAX));
	self->other = passgate_seckey_load(sec, self->err, ERR_MAX);
	ASSERT_NE(NULL, self->other);

	self->trust = passgate_trust_open(self->trust_dir, self->err, ERR_MAX);
	ASSERT_NE(NULL, self->trust) TH_LOG("%s", self->err);
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

FIXTURE_TEARDOWN(allowlist)
{
	passgate_trust_free(self->trust);
	passgate_seckey_free(self->other);
	passgate_seckey_free(self->sec);
	nftw(self->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A valid full list of RAW_ENTRIES entries, digests 0x10.., 0x20.., ... */
static void raw_default(struct raw_list *r, const struct passgate_seckey *sec)
{
	struct passgate_list_header *h = &r->header;
	size_t i;

	memset(r, 0, sizeof(*r));
	memcpy(h->magic, PASSGATE_LIST_MAGIC, sizeof(h->magic));
	h->version = PASSGATE_LIST_VERSION;
	h->kind = PASSGATE_LIST_FULL;
	h->header_size = sizeof(*h);
	memcpy(h->key_id, passgate_seckey_id(sec), sizeof(h->key_id));
	h->generation = 42;
	h->issued_at = 1700000000;
	h->not_before = 1700000000;
	h->expires_at = 1700604800;
	h->entry_size = sizeof(struct passgate_list_entry);
	h->digest_size = PASSGATE_LIST_DIGEST;
	memcpy(h->station, "HZE", 3);
	r->count = RAW_ENTRIES;
	h->entry_count = r->count;
	for (i = 0; i < r->count; i++) {
		memset(r->entries[i].digest, 0x10 * (i + 1), PASSGATE_LIST_DIGEST);
		r->entries[i].status = PASSGATE_STATUS_GREEN;
	}
}

/* The comment the header asks for, as the format defines it. */
static void raw_comment(const struct raw_list *r, char *buf, size_t len)
{
	const struct passgate_list_header *h = &r->header;

	snprintf(buf, len,
		 "passgate-list v1 kind=%s generation=%llu base=%llu not_before=%llu expires=%llu entries=%llu",
		 h->kind == PASSGATE_LIST_FULL ? "full" :
		 h->kind == PASSGATE_LIST_DELTA ? "delta" : "unknown",
		 (unsigned long long)h->generation,
		 (unsigned long long)h->base_generation,
		 (unsigned long long)h->not_before,
		 (unsigned long long)h->expires_at,
		 (unsigned long long)h->entry_count);
}

/* Write @r to @path and sign it with @sec (@comment NULL: the right one). */
static int raw_write(const struct raw_list *r, const char *path,
		     const struct passgate_seckey *sec, const char *comment)
{
	char sig[256], buf[PASSGATE_LIST_COMMENT_MAX];
	size_t len = sizeof(r->header) + r->count * sizeof(r->entries[0]);
	FILE *f;

	f = fopen(path, "w");
	if (!f)
		return -1;
	/* header and entries are adjacent in struct raw_list */
	if (fwrite(r, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	if (fclose(f))
		return -1;
	if (!comment) {
		raw_comment(r, buf, sizeof(buf));
		comment = buf;
	}
	snprintf(sig, sizeof(sig), "%s.minisig", path);
	return passgate_seckey_sign_file(sec, path, comment, sig, NULL, 0);
}

static int check(FIXTURE_DATA(allowlist) *self, uint64_t max_bytes,
		 struct passgate_list_info *info)
{
	self->err[0] = '\0';
	return passgate_listfile_check(self->list, NULL, self->trust, max_bytes,
				       info, self->err, ERR_MAX);
}

/* The raw list @r must be refused with a message holding @expect. */
#define REFUSED(r, expect) do { \
	ASSERT_EQ(0, raw_write(r, self->list, self->sec, NULL)); \
	ASSERT_EQ(-1, check(self, 0, NULL)); \
	ASSERT_NE(NULL, strstr(self->err, expect)) \
		TH_LOG("expected \"%s\", got \"%s\"", expect, self->err); \
} while (0)

static void flip_byte(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	if (fd < 0)
		return;
	if (pread(fd, &c, 1, at) == 1) {
		c ^= 0x01;
		if (pwrite(fd, &c, 1, at) != 1)
			c = 0;
	}
	close(fd);
}

TEST_F(allowlist, raw_default_is_accepted)
{
	struct passgate_list_info info;
	struct raw_list r;

	raw_default(&r, self->sec);
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec, NULL));
	ASSERT_EQ(0, check(self, 0, &info)) TH_LOG("%s", self->err);
	EXPECT_EQ(42, info.generation);
	EXPECT_EQ(RAW_ENTRIES, info.entry_count);
	EXPECT_STREQ("HZE", info.station);
}

TEST_F(allowlist, round_trip)
{
	struct passgate_list_entry in[3], out[2];
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL, .generation = 7,
		.issued_at = 1700000000, .not_before = 1700000100,
		.expires_at = 1700600000, .station = "SHA",
	}, got;
	struct passgate_listfile *list;
	char comment[PASSGATE_TRUSTED_COMMENT_MAX], sig[256];
	ssize_t n;
	size_t total = 0;

	memset(in, 0, sizeof(in));
	memset(in[0].digest, 0xc0, PASSGATE_LIST_DIGEST);
	in[0].status = PASSGATE_STATUS_RED;
	memset(in[1].digest, 0x0a, PASSGATE_LIST_DIGEST);
	in[1].status = PASSGATE_STATUS_GREEN;
	in[1].flags = PASSGATE_ENTRY_TICKET;
	in[1].valid_from = 1700000000;
	in[1].valid_until = 1800000000;
	memset(in[1].id_digest, 0x5a, PASSGATE_LIST_DIGEST);
	memset(in[2].digest, 0x7f, PASSGATE_LIST_DIGEST);
	in[2].status = PASSGATE_STATUS_YELLOW;

	ASSERT_EQ(0, passgate_listfile_write(self->list, &info, in, 3, self->sec,
					     self->err, ERR_MAX))
		TH_LOG("%s", self->err);
	EXPECT_EQ(128 + 3 * 48, info.file_size);
	EXPECT_EQ(3, info.entry_count);
	/* sorted by the writer */
	EXPECT_EQ(0x0a, in[0].digest[0]);
	EXPECT_EQ(0x7f, in[1].digest[0]);
	EXPECT_EQ(0xc0, in[2].digest[0]);

	ASSERT_EQ(0, check(self, 0, &got)) TH_LOG("%s", self->err);
	EXPECT_EQ(PASSGATE_LIST_FULL, got.kind);
	EXPECT_EQ(7, got.generation);
	EXPECT_EQ(0, got.base_generation);
	EXPECT_EQ(1700000000, got.issued_at);
	EXPECT_EQ(1700000100, got.not_before);
	EXPECT_EQ(1700600000, got.expires_at);
	EXPECT_EQ(3, got.entry_count);
	EXPECT_EQ(0, memcmp(got.key_id, passgate_seckey_id(self->sec),
			    PASSGATE_KEY_ID_SIZE));
	EXPECT_STREQ("SHA", got.station);

	/* The signature alone, as minisign -V would check it. */
	snprintf(sig, sizeof(sig), "%s.minisig", self->list);
	ASSERT_EQ(0, passgate_signature_verify_file(self->list, sig, self->trust,
						    comment, sizeof(comment),
						    self->err, ERR_MAX));
	EXPECT_STREQ("passgate-list v1 kind=full generation=7 base=0 not_before=1700000100 expires=1700600000 entries=3",
		     comment);

	/* Read back in batches of two. */
	list = passgate_listfile_open(self->list, NULL, self->trust, 0,
				      self->err, ERR_MAX);
	ASSERT_NE(NULL, list) TH_LOG("%s", self->err);
	while ((n = passgate_listfile_read(list, out, 2, self->err, ERR_MAX)) > 0) {
		ASSERT_EQ(0, memcmp(&in[total], out, n * sizeof(out[0])));
		total += n;
	}
	EXPECT_EQ(0, n) TH_LOG("%s", self->err);
	EXPECT_EQ(3, total);
	EXPECT_EQ(0, passgate_listfile_read(list, out, 2, self->err, ERR_MAX));
	passgate_listfile_close(list);
}

TEST_F(allowlist, empty_list)
{
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL, .generation = 1, .expires_at = 1,
	}, got;

	ASSERT_EQ(0, passgate_listfile_write(self->list, &info, NULL, 0,
					     self->sec, self->err, ERR_MAX));
	ASSERT_EQ(0, check(self, 0, &got)) TH_LOG("%s", self->err);
	EXPECT_EQ(0, got.entry_count);
	EXPECT_EQ(128, got.file_size);
}

TEST_F(allowlist, writer_refuses_duplicates)
{
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL, .generation = 1, .expires_at = 1,
	};
	struct passgate_list_entry in[2];

	memset(in, 0, sizeof(in));
	memset(in[0].digest, 0x33, PASSGATE_LIST_DIGEST);
	memset(in[1].digest, 0x33, PASSGATE_LIST_DIGEST);
	in[0].status = in[1].status = PASSGATE_STATUS_GREEN;
	ASSERT_EQ(-1, passgate_listfile_write(self->list, &info, in, 2,
					      self->sec, self->err, ERR_MAX));
	EXPECT_NE(NULL, strstr(self->err, "duplicate digest 3333"));
	EXPECT_EQ(-1, access(self->list, F_OK));
}

TEST_F(allowlist, writer_refuses_bad_header)
{
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_DELTA, .generation = 5, .base_generation = 5,
		.expires_at = 1,
	};

	ASSERT_EQ(-1, passgate_listfile_write(self->list, &info, NULL, 0,
					      self->sec, self->err, ERR_MAX));
	EXPECT_NE(NULL, strstr(self->err, "is not below its generation"));
	EXPECT_EQ(-1, access(self->list, F_OK));
}

TEST_F(allowlist, tampered_list)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec, NULL));
	flip_byte(self->list, 128 + 48 + 3);
	ASSERT_EQ(-1, check(self, 0, NULL));
	EXPECT_NE(NULL, strstr(self->err, "signature: does not verify"))
		TH_LOG("%s", self->err);
}

/* Ticket lists: the same file, entries of their own. */

/* Three tickets, digests 0x40.., 0x20.., 0x80.. (unsorted on purpose). */
static void tickets_default(struct passgate_ticket_entry t[3])
{
	static const char *const stations[] = { "hze", "sha", "hze" };
	static const char *const numbers[] = { "E123456789", "E2", "E3" };
	size_t i;

	memset(t, 0, 3 * sizeof(*t));
	for (i = 0; i < 3; i++) {
		memset(t[i].digest, 0x40 >> (i == 1) << (i == 2),
		       PASSGATE_LIST_DIGEST);
		t[i].status = PASSGATE_TICKET_ISSUED;
		t[i].valid_from = 1700000000;
		t[i].valid_until = 1700007200;
		memcpy(t[i].station, stations[i], strlen(stations[i]));
		memcpy(t[i].ticket, numbers[i], strlen(numbers[i]));
		memcpy(t[i].train, "G1234", 5);
	}
	t[2].flags = PASSGATE_TICKET_USED;
}

static const struct passgate_list_info ticket_info = {
	.kind = PASSGATE_LIST_FULL, .generation = 3,
	.issued_at = 1700000000, .not_before = 1700000000,
	.expires_at = 1700600000, .station = "hze",
};

TEST_F(allowlist, ticket_list_round_trip)
{
	struct passgate_list_info info = ticket_info, got;
	struct passgate_ticket_entry in[3], out[3];
	char comment[PASSGATE_TRUSTED_COMMENT_MAX], sig[256];
	struct passgate_listfile *list;

	tickets_default(in);
	ASSERT_EQ(0, passgate_listfile_write_tickets(self->list, &info, in, 3,
						     self->sec, self->err,
						     ERR_MAX))
		TH_LOG("%s", self->err);
	EXPECT_EQ(PASSGATE_LIST_TICKETS, info.holds);
	EXPECT_EQ(128 + 3 * 72, info.file_size);
	EXPECT_EQ(0x20, in[0].digest[0]);	/* sorted by the writer */
	EXPECT_EQ(0x80, in[2].digest[0]);

	ASSERT_EQ(0, check(self, 0, &got)) TH_LOG("%s", self->err);
	EXPECT_EQ(PASSGATE_LIST_TICKETS, got.holds);
	EXPECT_EQ(3, got.generation);
	EXPECT_EQ(3, got.entry_count);
	/* The trusted comment says what the list holds. */
	snprintf(sig, sizeof(sig), "%s.minisig", self->list);
	ASSERT_EQ(0, passgate_signature_verify_file(self->list, sig, self->trust,
						    comment, sizeof(comment),
						    self->err, ERR_MAX));
	EXPECT_STREQ("passgate-list v1 holds=tickets kind=full generation=3 base=0 not_before=1700000000 expires=1700600000 entries=3",
		     comment);

	list = passgate_listfile_open(self->list, NULL, self->trust, 0,
				      self->err, ERR_MAX);
	ASSERT_NE(NULL, list) TH_LOG("%s", self->err);
	ASSERT_EQ(3, passgate_listfile_read_tickets(list, out, 3, self->err,
						    ERR_MAX))
		TH_LOG("%s", self->err);
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	EXPECT_EQ(0, passgate_listfile_read_tickets(list, out, 3, self->err,
						    ERR_MAX))
		TH_LOG("%s", self->err);
	passgate_listfile_close(list);
}

TEST_F(allowlist, ticket_list_tampered)
{
	struct passgate_list_info info = ticket_info;
	struct passgate_ticket_entry in[3];

	tickets_default(in);
	ASSERT_EQ(0, passgate_listfile_write_tickets(self->list, &info, in, 3,
						     self->sec, self->err,
						     ERR_MAX));
	/* The USED flag of the first ticket, taken off after signing. */
	flip_byte(self->list, 128 + 17);
	ASSERT_EQ(-1, check(self, 0, NULL));
	EXPECT_NE(NULL, strstr(self->err, "signature: does not verify"))
		TH_LOG("%s", self->err);
	/* The header's kind turned to health codes after signing. */
	info = ticket_info;
	tickets_default(in);
	ASSERT_EQ(0, passgate_listfile_write_tickets(self->list, &info, in, 3,
						     self->sec, self->err,
						     ERR_MAX));
	flip_byte(self->list, 112);
	ASSERT_EQ(-1, check(self, 0, NULL));
	EXPECT_NE(NULL, strstr(self->err, "signature: does not verify"))
		TH_LOG("%s", self->err);
}

/* Neither kind is read as the other, nor signed as the other. */
TEST_F(allowlist, a_list_is_read_only_as_what_it_holds)
{
	struct passgate_list_info info = ticket_info;
	struct passgate_ticket_entry tickets[3];
	struct passgate_list_entry codes[RAW_ENTRIES];
	struct passgate_listfile *list;
	struct raw_list r;

	tickets_default(tickets);
	ASSERT_EQ(0, passgate_listfile_write_tickets(self->list, &info,
						     tickets, 3, self->sec,
						     self->err, ERR_MAX));
	list = passgate_listfile_open(self->list, NULL, self->trust, 0,
				      self->err, ERR_MAX);
	ASSERT_NE(NULL, list) TH_LOG("%s", self->err);
	EXPECT_EQ(-1, passgate_listfile_read(list, codes, RAW_ENTRIES,
					     self->err, ERR_MAX));
	EXPECT_EQ(EMEDIUMTYPE, errno);
	EXPECT_STREQ("file: holds tickets, not health codes", self->err);
	/* Refused before a byte: it reads as tickets all the same. */
	EXPECT_EQ(3, passgate_listfile_read_tickets(list, tickets, 3,
						    self->err, ERR_MAX));
	passgate_listfile_close(list);

	raw_default(&r, self->sec);
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec, NULL));
	list = passgate_listfile_open(self->list, NULL, self->trust, 0,
				      self->err, ERR_MAX);
	ASSERT_NE(NULL, list) TH_LOG("%s", self->err);
	EXPECT_EQ(PASSGATE_LIST_CODES, passgate_listfile_info(list)->holds);
	EXPECT_EQ(-1, passgate_listfile_read_tickets(list, tickets, 3,
						     self->err, ERR_MAX));
	EXPECT_EQ(EMEDIUMTYPE, errno);
	EXPECT_STREQ("file: holds health codes, not tickets", self->err);
	passgate_listfile_close(list);

	/* A code list's header saying tickets: its entry size is wrong. */
	raw_default(&r, self->sec);
	r.header.holds = PASSGATE_LIST_TICKETS;
	REFUSED(&r, "header: entry_size 48, must be 72 for tickets");
	raw_default(&r, self->sec);
	r.header.holds = 7;
	REFUSED(&r, "header: holds 7 is neither health codes (0) nor tickets (1)");
	/* Signed with a health-code list's comment for a ticket header. */
	raw_default(&r, self->sec);
	r.header.holds = PASSGATE_LIST_TICKETS;
	r.header.entry_size = sizeof(struct passgate_ticket_entry);
	r.count = 0;
	r.header.entry_count = 0;
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec,
			       "passgate-list v1 kind=full generation=42 base=0 not_before=1700000000 expires=1700604800 entries=0"));
	ASSERT_EQ(-1, check(self, 0, NULL));
	EXPECT_NE(NULL, strstr(self->err, "signature: trusted comment"))
		TH_LOG("%s", self->err);
}

/* Each ticket entry's fields, checked after the signature. */
static const char *const ticket_spoils[] = {
	"entry 0: unknown ticket status 2",
	"entry 0: status REMOVE in a full list",
	"entry 0: unknown flags 0x02",
	"entry 0: reserved bytes not zero",
	"entry 0: valid_from 1700007201 is after valid_until 1700007200",
	"entry 0: station is not a station code",
	"entry 0: station is not a station code",
	"entry 0: ticket number is not printable ASCII",
	"entry 0: train is not printable ASCII",
};

/* Spoil @t the way ticket_spoils[@i] says it is refused. */
static void ticket_spoil(struct passgate_ticket_entry *t, size_t i)
{
	switch (i) {
	case 0: t->status = 2; break;
	case 1: t->status = PASSGATE_STATUS_REMOVE; break;
	case 2: t->flags = 2; break;
	case 3: t->reserved2 = 1; break;
	case 4: t->valid_from = 1700007201; break;
	case 5: memset(t->station, 0, sizeof(t->station)); break;
	case 6: t->station[10] = 'x'; break;	/* not NUL-padded */
	case 7: t->ticket[1] = ' '; break;
	case 8: memset(t->train, 0, sizeof(t->train)); break;
	}
}

TEST_F(allowlist, ticket_entries_refused)
{
	struct passgate_list_info info = ticket_info;
	struct passgate_ticket_entry t[3];
	struct raw_tickets {
		struct passgate_list_header header;
		struct passgate_ticket_entry entries[3];
	} raw;
	char comment[PASSGATE_LIST_COMMENT_MAX], sig[256];
	size_t i;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(ticket_spoils); i++) {
		tickets_default(t);
		info = ticket_info;
		/* The writer refuses it too: write a good one, then spoil. */
		ASSERT_EQ(0, passgate_listfile_write_tickets(self->list, &info,
							     t, 3, self->sec,
							     self->err,
							     ERR_MAX));
		f = fopen(self->list, "r");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(1, fread(&raw, sizeof(raw), 1, f));
		fclose(f);
		ticket_spoil(&raw.entries[0], i);
		f = fopen(self->list, "w");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(1, fwrite(&raw, sizeof(raw), 1, f));
		fclose(f);
		ASSERT_EQ(0, passgate_listfile_comment(&info, comment,
						       sizeof(comment)));
		snprintf(sig, sizeof(sig), "%s.minisig", self->list);
		ASSERT_EQ(0, passgate_seckey_sign_file(self->sec, self->list,
						       comment, sig, NULL, 0));
		EXPECT_EQ(-1, check(self, 0, NULL)) TH_LOG("%s", ticket_spoils[i]);
		EXPECT_NE(NULL, strstr(self->err, ticket_spoils[i]))
			TH_LOG("want \"%s\", got \"%s\"", ticket_spoils[i],
			       self->err);
		/* ... and the writer before anything is written. */
		unlink(self->list);
		tickets_default(t);
		ticket_spoil(&t[1], i);	/* 0x20..: entry 0 once sorted */
		info = ticket_info;
		EXPECT_EQ(-1, passgate_listfile_write_tickets(self->list, &info,
							      t, 3, self->sec,
							      self->err,
							      ERR_MAX));
		EXPECT_NE(NULL, strstr(self->err, ticket_spoils[i]))
			TH_LOG("writer: want \"%s\", got \"%s\"",
			       ticket_spoils[i], self->err);
		EXPECT_EQ(-1, access(self->list, F_OK));
	}
}

/* A delta of tickets: REMOVE entries bare, as for health codes. */
TEST_F(allowlist, ticket_delta_remove_entries)
{
	struct passgate_list_info info = ticket_info, got;
	struct passgate_ticket_entry t[3];

	tickets_default(t);
	info.kind = PASSGATE_LIST_DELTA;
	info.generation = 4;
	info.base_generation = 3;
	memset(&t[0], 0, sizeof(t[0]));
	memset(t[0].digest, 0x40, PASSGATE_LIST_DIGEST);
	ASSERT_EQ(0, passgate_listfile_write_tickets(self->list, &info, t, 3,
						     self->sec, self->err,
						     ERR_MAX))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, check(self, 0, &got)) TH_LOG("%s", self->err);
	EXPECT_EQ(PASSGATE_LIST_DELTA, got.kind);
	EXPECT_EQ(PASSGATE_LIST_TICKETS, got.holds);
	/* A REMOVE that still carries its train. */
	tickets_default(t);
	memset(&t[0], 0, sizeof(t[0]));
	memset(t[0].digest, 0x40, PASSGATE_LIST_DIGEST);
	memcpy(t[0].train, "G1", 2);
	info = ticket_info;
	info.kind = PASSGATE_LIST_DELTA;
	info.generation = 4;
	info.base_generation = 3;
	EXPECT_EQ(-1, passgate_listfile_write_tickets(self->list, &info, t, 3,
						      self->sec, self->err,
						      ERR_MAX));
	EXPECT_NE(NULL, strstr(self->err, "a REMOVE entry carries only its digest"))
		TH_LOG("%s", self->err);
}

/* Rewrite line @line (0-based) of a signature file through @edit. */
static int edit_sig_line(const char *list, int line,
			 void (*edit)(char *text, size_t len))
{
	char path[256], text[4096], *p;
	size_t len;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s.minisig", list);
	f = fopen(path, "r");
	if (!f)
		return -1;
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	for (p = text, i = 0; i < line && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	edit(p, strcspn(p, "\n"));
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Change the decoded signature blob of a base64 line through @change. */
static void edit_sig_blob(char *text, size_t len,
			  void (*change)(unsigned char *blob))
{
	unsigned char blob[74];
	char b64[128], save;
	size_t bin_len;

	save = text[len];
	text[len] = '\0';
	if (sodium_base642bin(blob, sizeof(blob), text, len, NULL, &bin_len,
			      NULL, sodium_base64_VARIANT_ORIGINAL) ||
	    bin_len != sizeof(blob)) {
		text[len] = save;
		return;
	}
	change(blob);
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob),
			  sodium_base64_VARIANT_ORIGINAL);
	memcpy(text, b64, len);
	text[len] = save;
}

static void flip_bit(unsigned char *blob)
{
	blob[40] ^= 0x01;	/* inside sig[64], after "ED" and the key id */
}

/* Flip one bit of the Ed25519 signature. */
static void flip_sig_bit(char *text, size_t len)
{
	edit_sig_blob(text, len, flip_bit);
}

static void make_legacy(unsigned char *blob)
{
	blob[1] = 'd';		/* "ED" (prehashed) -> "Ed" (legacy) */
}

static void legacy_alg(char *text, size_t len)
{
	edit_sig_blob(text, len, make_legacy);
}

/* "generation=42" becomes "generation=43" in the trusted comment. */
static void bump_comment(char *text, size_t len)
{
	char *g = memmem(text, len, "generation=42", 13);

	if (g)
		g[12] = '3';
}

TEST_F(allowlist, tampered_signature)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec, NULL));
	ASSERT_EQ(0, edit_sig_line(self->list, 1, flip_sig_bit));
	ASSERT_EQ(-1, check(self, 0, NULL));
	EXPECT_NE(NULL, strstr(self->err, "signature: does not verify"))
		TH_LOG("%s", self->err);
}

TEST_F(allowlist, tampered_trusted_comment)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec, NULL));
	ASSERT_EQ(0, edit_sig_line(self->list, 2, bump_comment));
	ASSERT_EQ(-1, check(self, 0, NULL));
	EXPECT_NE(NULL, strstr(self->err, "trusted comment's signature does not verify"))
		TH_LOG("%s", self->err);
}

TEST_F(allowlist, unknown_key_id)
{
	char expect[64], id[PASSGATE_KEY_ID_HEX];
	struct raw_list r;

	raw_default(&r, self->other);
	ASSERT_EQ(0, raw_write(&r, self->list, self->other, NULL));
	ASSERT_EQ(-1, check(self, 0, NULL));
	passgate_key_id_format(passgate_seckey_id(self->other), id);
	snprintf(expect, sizeof(expect), "signature: unknown key id %s", id);
	EXPECT_NE(NULL, strstr(self->err, expect)) TH_LOG("%s", self->err);
}

TEST_F(allowlist, header_key_id_not_the_signers)
{
	struct passgate_pubkey *pub;
	struct raw_list r;

	/* Both keys trusted; the header names one, the other signs. */
	pub = passgate_seckey_pubkey(self->other);
	ASSERT_NE(NULL, pub);
	ASSERT_EQ(0, passgate_trust_add(self->trust, pub, NULL, 0));
	passgate_pubkey_free(pub);
	raw_default(&r, self->other);
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec, NULL));
	ASSERT_EQ(-1, check(self, 0, NULL));
	EXPECT_NE(NULL, strstr(self->err, "but the signature's is"))
		TH_LOG("%s", self->err);
}

TEST_F(allowlist, trusted_comment_not_the_header)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec,
			       "passgate-list v1 kind=full generation=43 base=0 not_before=1700000000 expires=1700604800 entries=4"));
	ASSERT_EQ(-1, check(self, 0, NULL));
	EXPECT_NE(NULL, strstr(self->err, "does not match the header"))
		TH_LOG("%s", self->err);
}

TEST_F(allowlist, count_not_the_size)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	r.header.entry_count = 100;
	REFUSED(&r, "header: 4800 bytes of entries announced, file has 192");
	r.header.entry_count = 3;
	REFUSED(&r, "header: 144 bytes of entries announced, file has 192");
	r.header.entry_count = ~0ull;
	REFUSED(&r, "entries announced, file has 192 bytes of entries");
}

TEST_F(allowlist, size_cap_before_reading)
{
	char sig[256];
	struct raw_list r;

	raw_default(&r, self->sec);
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec, NULL));
	ASSERT_EQ(0, check(self, 128 + 4 * 48, NULL)) TH_LOG("%s", self->err);
	/* Refused on size even with no signature to read. */
	snprintf(sig, sizeof(sig), "%s.minisig", self->list);
	ASSERT_EQ(0, unlink(sig));
	ASSERT_EQ(-1, check(self, 128 + 4 * 48 - 1, NULL));
	EXPECT_EQ(EFBIG, errno);
	EXPECT_NE(NULL, strstr(self->err, "320 bytes, above the limit of 319"))
		TH_LOG("%s", self->err);
}

TEST_F(allowlist, short_file)
{
	FILE *f = fopen(self->list, "w");

	ASSERT_NE(NULL, f);
	fputs("PGLIST\r\n", f);
	fclose(f);
	ASSERT_EQ(-1, check(self, 0, NULL));
	EXPECT_NE(NULL, strstr(self->err, "shorter than the 128-byte header"));
}

TEST_F(allowlist, unsorted_entries)
{
	struct raw_list r;
	struct passgate_list_entry swap;

	raw_default(&r, self->sec);
	swap = r.entries[1];
	r.entries[1] = r.entries[2];
	r.entries[2] = swap;
	REFUSED(&r, "entry 2: digest below the previous one (entries unsorted)");
}

TEST_F(allowlist, duplicate_entries)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	r.entries[3] = r.entries[2];
	REFUSED(&r, "entry 3: duplicate digest 3030");
}

TEST_F(allowlist, bad_status)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	r.entries[1].status = 4;
	REFUSED(&r, "entry 1: unknown status 4");
	r.entries[1].status = PASSGATE_STATUS_REMOVE;
	REFUSED(&r, "entry 1: status REMOVE in a full list");
}

TEST_F(allowlist, delta_remove_entries)
{
	struct passgate_list_info info;
	struct raw_list r;

	raw_default(&r, self->sec);
	r.header.kind = PASSGATE_LIST_DELTA;
	r.header.base_generation = 41;
	r.entries[1].status = PASSGATE_STATUS_REMOVE;
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec, NULL));
	ASSERT_EQ(0, check(self, 0, &info)) TH_LOG("%s", self->err);
	EXPECT_EQ(PASSGATE_LIST_DELTA, info.kind);
	EXPECT_EQ(41, info.base_generation);

	r.entries[1].flags = PASSGATE_ENTRY_TICKET;
	REFUSED(&r, "entry 1: a REMOVE entry carries only its digest");
}

TEST_F(allowlist, entry_reserved_bits)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	r.entries[0].flags = 0x80;
	REFUSED(&r, "entry 0: unknown flags 0x80");
	raw_default(&r, self->sec);
	r.entries[2].reserved[1] = 1;
	REFUSED(&r, "entry 2: reserved bytes not zero");
	raw_default(&r, self->sec);
	r.entries[3].reserved2 = 1;
	REFUSED(&r, "entry 3: reserved bytes not zero");
}

TEST_F(allowlist, entry_validity_window)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	r.entries[0].valid_from = 200;
	r.entries[0].valid_until = 100;
	REFUSED(&r, "entry 0: valid_from 200 is after valid_until 100");
}

TEST_F(allowlist, header_reserved_bytes)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	r.header.reserved[29] = 1;
	REFUSED(&r, "header: reserved byte 127 is not zero");
	raw_default(&r, self->sec);
	r.header.station[10] = 'X';
	REFUSED(&r, "header: station code not NUL-padded");
}

TEST_F(allowlist, delta_base_not_below_generation)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	r.header.kind = PASSGATE_LIST_DELTA;
	r.header.base_generation = 42;
	REFUSED(&r, "header: delta base generation 42 is not below its generation 42");
	r.header.base_generation = 50;
	REFUSED(&r, "header: delta base generation 50 is not below its generation 42");
	r.header.base_generation = 0;
	REFUSED(&r, "header: delta without a base generation");
}

TEST_F(allowlist, full_with_base)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	r.header.base_generation = 3;
	REFUSED(&r, "header: full list with base generation 3 (must be 0)");
}

TEST_F(allowlist, header_fields)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	r.header.magic[0] = 'X';
	REFUSED(&r, "header: bad magic");
	raw_default(&r, self->sec);
	r.header.version = 2;
	REFUSED(&r, "header: version 2, only 1 is known");
	raw_default(&r, self->sec);
	r.header.header_size = 256;
	REFUSED(&r, "header: header_size 256, must be 128");
	raw_default(&r, self->sec);
	r.header.entry_size = 64;
	REFUSED(&r, "header: entry_size 64, must be 48");
	raw_default(&r, self->sec);
	r.header.digest_size = 32;
	REFUSED(&r, "header: digest_size 32, must be 16");
	raw_default(&r, self->sec);
	r.header.kind = 3;
	REFUSED(&r, "header: kind 3 is neither full (1) nor delta (2)");
	raw_default(&r, self->sec);
	r.header.generation = 0;
	REFUSED(&r, "header: generation 0");
	raw_default(&r, self->sec);
	r.header.not_before = r.header.expires_at + 1;
	REFUSED(&r, "header: not_before 1700604801 is after expires_at 1700604800");
}

TEST_F(allowlist, legacy_signature_refused)
{
	struct raw_list r;

	raw_default(&r, self->sec);
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec, NULL));
	ASSERT_EQ(0, edit_sig_line(self->list, 1, legacy_alg));
	ASSERT_EQ(-1, check(self, 0, NULL));
	EXPECT_NE(NULL, strstr(self->err, "legacy (not prehashed)"))
		TH_LOG("%s", self->err);
}

TEST_F(allowlist, changed_after_check)
{
	struct passgate_list_entry out[RAW_ENTRIES];
	struct passgate_listfile *list;
	struct raw_list r;
	ssize_t n;

	raw_default(&r, self->sec);
	ASSERT_EQ(0, raw_write(&r, self->list, self->sec, NULL));
	list = passgate_listfile_open(self->list, NULL, self->trust, 0,
				      self->err, ERR_MAX);
	ASSERT_NE(NULL, list) TH_LOG("%s", self->err);
	flip_byte(self->list, 128 + 20);
	n = passgate_listfile_read(list, out, RAW_ENTRIES, self->err, ERR_MAX);
	EXPECT_EQ(RAW_ENTRIES, n);
	EXPECT_EQ(-1, passgate_listfile_read(list, out, RAW_ENTRIES, self->err,
					     ERR_MAX));
	EXPECT_NE(NULL, strstr(self->err, "changed since it was checked"));
	passgate_listfile_close(list);
}

TEST_F(allowlist, trust_store)
{
	char pub[192], sec[192];
	struct passgate_trust *trust;
	FILE *f;

	/* rotation: two keys in the directory */
	path_in(pub, sizeof(pub), self->trust_dir, "next.pub");
	path_in(sec, sizeof(sec), self->dir, "next.sec");
	ASSERT_EQ(0, passgate_seckey_generate(pub, sec, self->err, ERR_MAX));
	trust = passgate_trust_open(self->trust_dir, self->err, ERR_MAX);
	ASSERT_NE(NULL, trust);
	EXPECT_EQ(2, passgate_trust_count(trust));
	EXPECT_NE(NULL, passgate_trust_find(trust, passgate_seckey_id(self->sec)));
	EXPECT_EQ(NULL, passgate_trust_find(trust, passgate_seckey_id(self->other)));
	passgate_trust_free(trust);

	/* overwriting is refused */
	EXPECT_EQ(-1, passgate_seckey_generate(pub, sec, self->err, ERR_MAX));
	EXPECT_EQ(EEXIST, errno);

	/* a broken key file is refused, naming it */
	path_in(pub, sizeof(pub), self->trust_dir, "broken.pub");
	f = fopen(pub, "w");
	ASSERT_NE(NULL, f);
	fputs("untrusted comment: x\nnot base64!\n", f);
	fclose(f);
	EXPECT_EQ(NULL, passgate_trust_open(self->trust_dir, self->err, ERR_MAX));
	EXPECT_NE(NULL, strstr(self->err, "broken.pub"));
}

/* minisign -G -W leaves the checksum zero; a wrong one is refused. */
TEST_F(allowlist, secret_key_checksum)
{
	char path[192], text[1024], b64[512];
	unsigned char blob[158];
	struct passgate_seckey *sec;
	size_t len;
	char *line;
	FILE *f;

	path_in(path, sizeof(path), self->dir, "issuer.sec");
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	line = strchr(text, '\n') + 1;
	line[strcspn(line, "\n")] = '\0';
	ASSERT_EQ(0, sodium_base642bin(blob, sizeof(blob), line, strlen(line),
				       NULL, &len, NULL,
				       sodium_base64_VARIANT_ORIGINAL));
	ASSERT_EQ(sizeof(blob), len);

	memset(blob + 126, 0, 32);
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob),
			  sodium_base64_VARIANT_ORIGINAL);
	f = fopen(path, "w");
	fprintf(f, "untrusted comment: zero checksum\n%s\n", b64);
	fclose(f);
	sec = passgate_seckey_load(path, self->err, ERR_MAX);
	EXPECT_NE(NULL, sec) TH_LOG("%s", self->err);
	passgate_seckey_free(sec);

	blob[126] = 1;
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob),
			  sodium_base64_VARIANT_ORIGINAL);
	f = fopen(path, "w");
	fprintf(f, "untrusted comment: bad checksum\n%s\n", b64);
	fclose(f);
	EXPECT_EQ(NULL, passgate_seckey_load(path, self->err, ERR_MAX));
	EXPECT_NE(NULL, strstr(self->err, "checksum mismatch"));
}

static void hex_of(const uint8_t *bin, size_t len, char *out)
{
	sodium_bin2hex(out, 2 * len + 1, bin, len);
}

TEST(digest_known_answers)
{
	uint8_t key[PASSGATE_KEY_SIZE], out[PASSGATE_DIGEST_SIZE];
	char hex[2 * PASSGATE_DIGEST_SIZE + 1];
	int i;

	ASSERT_EQ(0, sodium_init() < 0);
	/* printf 'passgate/v1\x01HC' | sha256sum */
	ASSERT_EQ(0, passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, "HC", 2,
					     NULL, out));
	hex_of(out, sizeof(out), hex);
	EXPECT_STREQ("8a0a7cf88c798a4e64fcfe772c86a0ee4f0432d1ff3a18e295dfff9975ed290e",
		     hex);
	/* printf 'passgate/v1\x03T-G1234-20240101' | sha256sum */
	ASSERT_EQ(0, passgate_digest_compute(PASSGATE_CRED_TICKET,
					     "T-G1234-20240101", 16, NULL, out));
	hex_of(out, sizeof(out), hex);
	EXPECT_STREQ("fd1b95e04c090285cbb9e68dadf6c32946788fe4a1a1c5dfce9ceb1582753f14",
		     hex);
	/*
	 * printf 'passgate/v1\x02110101199001011234' |
	 *   openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f
	 */
	for (i = 0; i < PASSGATE_KEY_SIZE; i++)
		key[i] = i;
	ASSERT_EQ(0, passgate_digest_compute(PASSGATE_CRED_ID_CARD,
					     "110101199001011234", 18, key, out));
	hex_of(out, sizeof(out), hex);
	EXPECT_STREQ("7811d8e68ac97d0b02b0d47b36f01d98fd66cf6f91fdaa5e49bdacf977e866fe",
		     hex);
}

/* The same digests, computed here from the concatenated message. */
TEST(digest_independent)
{
	static const char token[] = "https://hc.example/qr?u=5a1c&v=2";
	uint8_t msg[64], want[32], got[32], key[32];
	size_t len = 0;

	ASSERT_EQ(0, sodium_init() < 0);
	memcpy(msg, "passgate/v1", 11);
	msg[11] = PASSGATE_CRED_HEALTH_CODE;
	memcpy(msg + 12, token, sizeof(token) - 1);
	len = 12 + sizeof(token) - 1;
	crypto_hash_sha256(want, msg, len);
	ASSERT_EQ(0, passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, token,
					     sizeof(token) - 1, NULL, got));
	EXPECT_EQ(0, memcmp(want, got, sizeof(want)));

	/* a key passed with a health code changes nothing */
	randombytes_buf(key, sizeof(key));
	ASSERT_EQ(0, passgate_digest_compute(PASSGATE_CRED_HEALTH_CODE, token,
					     sizeof(token) - 1, key, got));
	EXPECT_EQ(0, memcmp(want, got, sizeof(want)));

	msg[11] = PASSGATE_CRED_ID_CARD;
	crypto_auth_hmacsha256(want, msg, len, key);
	ASSERT_EQ(0, passgate_digest_compute(PASSGATE_CRED_ID_CARD, token,
					     sizeof(token) - 1, key, got));
	EXPECT_EQ(0, memcmp(want, got, sizeof(want)));
}

TEST(digest_refusals)
{
	uint8_t out[PASSGATE_DIGEST_SIZE], key[PASSGATE_KEY_SIZE] = { 0 };
	static char token[PASSGATE_TOKEN_MAX + 1];

	EXPECT_EQ(-1, passgate_digest_compute(PASSGATE_CRED_ID_CARD, "1", 1,
					      NULL, out));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, passgate_digest_compute(0, "1", 1, NULL, out));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, passgate_digest_compute(4, "1", 1, key, out));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, passgate_digest_compute(PASSGATE_CRED_TICKET, token,
					      sizeof(token), NULL, out));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(0, passgate_digest_compute(PASSGATE_CRED_TICKET, token,
					     PASSGATE_TOKEN_MAX, NULL, out));
}

TEST_HARNESS_MAIN
