// SPDX-License-Identifier: GPL-2.0-only
/*
 * The journal's seals and its sealed batches (gate/core/journal_export.c,
 * common/batch.c): every commit seals its head; an export is the rows as
 * committed, chained batch to batch, and checks under the gate's public
 * key and under no other; a changed byte, in the journal or in a batch,
 * is found; a version 1 journal gets its seal table and seals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "kselftest_harness.h"
#include "common/batch.h"
#include "gate/core/journal.h"

#define GATE 7

static const uint8_t id1[PASSGATE_JOURNAL_STREAM_ID_SIZE] = { 1, 1, 1 };

static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL)) {
		sqlite3_close(db);
		return -1;
	}
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc ? -1 : 0;
}

static long long raw_int(const char *path, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static struct passgate_event scan(uint64_t seq)
{
	struct passgate_event ev = {
		.seq = seq, .time_ns = 1000 + seq, .type = PASSGATE_EV_SCAN,
		.lane = seq % 3 ? 1 : PASSGATE_LANE_NONE, .arg = 2,
		.value = 40 + seq,
	};

	for (size_t i = 0; i < sizeof(ev.data); i++)
		ev.data[i] = seq + i;
	return ev;
}

FIXTURE(seal) {
	char dir[64];
	char path[96];
	struct passgate_journal *j;
	uint8_t pk[PASSGATE_SEAL_PUBLIC_SIZE];
	uint8_t sk[PASSGATE_SEAL_SECRET_SIZE];
	uint8_t *buf;
	struct passgate_batch b;
};

FIXTURE_SETUP(seal)
{
	char err[256];

	ASSERT_LE(0, sodium_init());
	crypto_sign_keypair(self->pk, self->sk);
	strcpy(self->dir, "/tmp/passgate-seal-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/j.db", self->dir);
	self->buf = malloc(PASSGATE_BATCH_SIZE_MAX);
	self->b.rows = calloc(PASSGATE_BATCH_ROWS_MAX, sizeof(*self->b.rows));
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->b.rows);
	self->j = passgate_journal_open(self->path, GATE,
					PASSGATE_JOURNAL_CREATE, err,
					sizeof(err));
	ASSERT_NE(NULL, self->j) TH_LOG("%s", err);
}

FIXTURE_TEARDOWN(seal)
{
	char cmd[128];

	passgate_journal_close(self->j);
	free(self->buf);
	free(self->b.rows);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

/* Events @first..@first + @n - 1, committed @per at a time. */
static int append(struct passgate_journal *j, uint64_t first, uint64_t n,
		  uint64_t per)
{
	for (uint64_t s = first; s < first + n; s++) {
		struct passgate_event ev = scan(s);

		if (passgate_journal_append(j, &ev))
			return -1;
		if ((s - first + 1) % per == 0 && passgate_journal_flush(j))
			return -1;
	}
	return passgate_journal_flush(j);
}

TEST_F(seal, every_commit_seals_its_head)
{
	ASSERT_EQ(0, passgate_journal_set_seal_key(self->j, self->sk));
	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id1));
	ASSERT_EQ(0, append(self->j, 0, 10, 4));
	/* The stream mark at 1; events at 2..11 in commits of 4, 4, 2. */
	EXPECT_EQ(4, raw_int(self->path, "SELECT count(*) FROM seal"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM seal WHERE pos = 1"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM seal WHERE pos = 5"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM seal WHERE pos = 9"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM seal WHERE pos = 11"));
	EXPECT_EQ(PASSGATE_JOURNAL_SCHEMA,
		  raw_int(self->path, "PRAGMA user_version"));
}

TEST_F(seal, batches_chain_and_check_under_the_gate_key_only)
{
	uint8_t prev[PASSGATE_CHAIN_HASH_SIZE], other_pk[32], other_sk[64];
	uint8_t hash[PASSGATE_JOURNAL_HASH_SIZE];
	uint64_t after = 0, last, events = 0, marks = 0;
	struct passgate_journal *reader;
	char why[128];
	long n;

	crypto_sign_keypair(other_pk, other_sk);
	ASSERT_EQ(0, passgate_journal_set_seal_key(self->j, self->sk));
	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id1));
	ASSERT_EQ(0, append(self->j, 0, 300, 64));
	reader = passgate_journal_open(self->path, GATE, PASSGATE_JOURNAL_RDONLY,
				       why, sizeof(why));
	ASSERT_NE(NULL, reader);

	passgate_chain_genesis(GATE, prev);
	/* At most 100 rows a batch: each ends at the last seal within. */
	while ((n = passgate_journal_export(reader, after, 100, self->buf,
					    &last)) > 0) {
		ASSERT_EQ(0, passgate_batch_parse(self->buf, n, &self->b, why,
						  sizeof(why))) TH_LOG("%s", why);
		EXPECT_EQ(GATE, self->b.gate);
		EXPECT_EQ(after + 1, self->b.first);
		EXPECT_EQ(last, self->b.last);
		EXPECT_GE(100, self->b.count);
		EXPECT_EQ(0, memcmp(prev, self->b.prev, sizeof(prev)));
		EXPECT_EQ(0, passgate_batch_verify(&self->b, self->pk));
		EXPECT_EQ(-1, passgate_batch_verify(&self->b, other_pk));
		for (uint32_t i = 0; i < self->b.count; i++) {
			const struct passgate_chain_row *r = &self->b.rows[i];
			struct passgate_event ev;

			if (r->kind == PASSGATE_ROW_STREAM) {
				marks++;
				continue;
			}
			ASSERT_EQ(PASSGATE_ROW_EVENT, r->kind);
			ev = scan(r->seq);
			EXPECT_EQ(events, r->seq);
			EXPECT_EQ(ev.type, r->type);
			EXPECT_EQ(ev.lane, r->lane);
			EXPECT_EQ(ev.value, r->value);
			EXPECT_EQ(0, memcmp(ev.data, r->data, sizeof(ev.data)));
			EXPECT_EQ(1, r->stream);
			events++;
		}
		ASSERT_EQ(0, passgate_journal_row_hash(reader, last, hash));
		EXPECT_EQ(0, memcmp(hash, self->b.rows[self->b.count - 1].hash,
				    sizeof(hash)));
		memcpy(prev, hash, sizeof(prev));
		after = last;
	}
	EXPECT_EQ(0, n);
	EXPECT_EQ(301, after);
	EXPECT_EQ(300, events);
	EXPECT_EQ(1, marks);

	/* Fewer rows than the next commit holds: nothing to send yet. */
	EXPECT_EQ(0, passgate_journal_export(reader, 1, 10, self->buf, &last));
	passgate_journal_close(reader);
}

TEST_F(seal, a_changed_byte_is_found)
{
	struct passgate_journal *reader;
	uint64_t last;
	char why[128];
	long n;

	ASSERT_EQ(0, passgate_journal_set_seal_key(self->j, self->sk));
	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id1));
	ASSERT_EQ(0, append(self->j, 0, 20, 20));
	n = passgate_journal_export(self->j, 0, 4096, self->buf, &last);
	ASSERT_LT(0, n);
	ASSERT_EQ(21, last);

	/* In transit: one byte of one row's data. */
	self->buf[PASSGATE_BATCH_HEADER_SIZE + PASSGATE_ROW_STREAM_SIZE +
		  5 * PASSGATE_ROW_EVENT_SIZE + 70] ^= 1;
	ASSERT_EQ(0, passgate_batch_parse(self->buf, n, &self->b, why,
					  sizeof(why)));
	EXPECT_EQ(-1, passgate_batch_verify(&self->b, self->pk));
	/* Cut short, or with a byte more. */
	EXPECT_EQ(-1, passgate_batch_parse(self->buf, n - 1, &self->b, why,
					   sizeof(why)));
	EXPECT_EQ(-1, passgate_batch_parse(self->buf, n + 1, &self->b, why,
					   sizeof(why)));

	/* At rest: the journal's row no longer hashes to its hash. */
	ASSERT_EQ(0, raw_exec(self->path,
			      "UPDATE event SET value = value + 1 WHERE pos = 7"));
	reader = passgate_journal_open(self->path, GATE, PASSGATE_JOURNAL_RDONLY,
				       why, sizeof(why));
	ASSERT_NE(NULL, reader);
	EXPECT_EQ(-1, passgate_journal_export(reader, 0, 4096, self->buf,
					      &last));
	EXPECT_EQ(EBADMSG, errno);
	EXPECT_NE(NULL, strstr(passgate_journal_errmsg(reader), "row 7"))
		TH_LOG("%s", passgate_journal_errmsg(reader));
	/* Past it, the rows are still sent. */
	EXPECT_LT(0, passgate_journal_export(reader, 7, 4096, self->buf, &last));
	passgate_journal_close(reader);
}

TEST_F(seal, rotated_rows_cannot_be_sent)
{
	uint64_t removed, last;
	char why[128];

	ASSERT_EQ(0, passgate_journal_set_seal_key(self->j, self->sk));
	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id1));
	ASSERT_EQ(0, append(self->j, 0, 20, 5));
	ASSERT_EQ(0, passgate_journal_rotate(self->j, 1, 10, &removed));
	ASSERT_EQ(10, removed);
	EXPECT_EQ(-1, passgate_journal_export(self->j, 3, 4096, self->buf,
					      &last));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, passgate_journal_export(self->j, 0, 4096, self->buf,
					      &last));
	EXPECT_EQ(ENOENT, errno);
	/* The seals of the rows rotated out went with them. */
	EXPECT_EQ(0, raw_int(self->path, "SELECT count(*) FROM seal WHERE pos < 12"));
	EXPECT_EQ(22, passgate_journal_head(self->j));
	/* From the first kept row on, checkpoint included: its hash chain
	 * starts from what the checkpoint says row 11 was. */
	ASSERT_LT(0, passgate_journal_export(self->j, 11, 4096, self->buf,
					     &last));
	EXPECT_EQ(22, last);
	ASSERT_EQ(0, passgate_batch_parse(self->buf, 116 + 10 * 93 + 105,
					  &self->b, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(PASSGATE_ROW_CHECKPOINT, self->b.rows[10].kind);
	EXPECT_EQ(0, passgate_batch_verify(&self->b, self->pk));
}

TEST_F(seal, version_1_journal_is_upgraded_and_sealed)
{
	struct passgate_journal *reader;
	uint64_t last;
	char err[256];

	/* A journal as an older passgated wrote it: no seals. */
	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id1));
	ASSERT_EQ(0, append(self->j, 0, 2100, 64));
	passgate_journal_close(self->j);
	self->j = NULL;
	ASSERT_EQ(0, raw_exec(self->path, "DROP TABLE seal;"
			      " PRAGMA user_version = 1"));

	/* A reader takes it as it is: nothing sealed to send. */
	reader = passgate_journal_open(self->path, GATE, PASSGATE_JOURNAL_RDONLY,
				       err, sizeof(err));
	ASSERT_NE(NULL, reader) TH_LOG("%s", err);
	EXPECT_EQ(0, passgate_journal_export(reader, 0, 4096, self->buf,
					     &last));
	/* Another gate's writer leaves it as it is. */
	EXPECT_EQ(NULL, passgate_journal_open(self->path, GATE + 1, 0, err,
					      sizeof(err)));
	EXPECT_EQ(1, raw_int(self->path, "PRAGMA user_version"));

	/* The writer adds the table; the key seals every 1024th row. */
	self->j = passgate_journal_open(self->path, GATE, 0, err, sizeof(err));
	ASSERT_NE(NULL, self->j) TH_LOG("%s", err);
	EXPECT_EQ(2, raw_int(self->path, "PRAGMA user_version"));
	ASSERT_EQ(0, passgate_journal_set_seal_key(self->j, self->sk));
	EXPECT_EQ(3, raw_int(self->path, "SELECT count(*) FROM seal"));
	/* The reader opened before the upgrade sees the seals now. */
	ASSERT_LT(0, passgate_journal_export(reader, 0, 1500, self->buf,
					     &last));
	EXPECT_EQ(1024, last);
	passgate_journal_close(reader);
	ASSERT_LT(0, passgate_journal_export(self->j, 0, 1500, self->buf,
					     &last));
	EXPECT_EQ(1024, last);
	ASSERT_LT(0, passgate_journal_export(self->j, 1024, 4096, self->buf,
					     &last));
	EXPECT_EQ(2101, last);
	/* Once is enough. */
	ASSERT_EQ(0, passgate_journal_set_seal_key(self->j, self->sk));
	EXPECT_EQ(3, raw_int(self->path, "SELECT count(*) FROM seal"));
}

TEST_F(seal, a_broken_journal_is_not_sealed)
{
	char err[256];

	ASSERT_EQ(0, passgate_journal_begin_stream(self->j, id1));
	ASSERT_EQ(0, append(self->j, 0, 10, 10));
	passgate_journal_close(self->j);
	self->j = NULL;
	/* Rewritten behind the writer's back, before sealing began. */
	ASSERT_EQ(0, raw_exec(self->path,
			      "UPDATE event SET value = 1 WHERE pos = 4"));
	self->j = passgate_journal_open(self->path, GATE, 0, err, sizeof(err));
	ASSERT_NE(NULL, self->j) TH_LOG("%s", err);
	EXPECT_EQ(-1, passgate_journal_set_seal_key(self->j, self->sk));
	EXPECT_EQ(EBADMSG, errno);
	EXPECT_EQ(0, raw_int(self->path, "SELECT count(*) FROM seal"));
	EXPECT_EQ(0, passgate_journal_last_seal(self->j));
}

TEST_HARNESS_MAIN
