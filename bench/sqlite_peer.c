// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench: the peer a user would otherwise build instead of the fast
 * path.  It imports the signed lists (checked with libpassgate, as the
 * daemon checks them) into an SQLite table, then answers the scans the
 * kernel defers on one lane: read() a struct passgate_scan from the lane's
 * scanboard node, look the digest up in SQLite, PASSGATE_IOC_VERDICT.
 *
 *   sqlite_peer TRUST_DIR DB LANE LIST [DELTA...]
 *
 * Prints "ready IMPORT_SECONDS ROWS" on stdout once it answers; runs
 * until killed.  Its decisions follow the policy for a health code alone:
 * not on the list DENY(UNKNOWN), outside its window DENY(NOT_VALID), RED,
 * YELLOW (manual check), GREEN bound to an ID (PENDING: the peer does not
 * pair credentials), GREEN ACCEPT.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <linux/passgate.h>

#include "common/listfile.h"
#include "common/minisign.h"

#define BATCH 8192

static void die(const char *what, const char *why)
{
	fprintf(stderr, "sqlite_peer: %s: %s\n", what, why);
	exit(2);
}

static void sql(sqlite3 *db, const char *text)
{
	char *msg = NULL;

	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		die(text, msg ? msg : sqlite3_errmsg(db));
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *text)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, text, -1, &st, NULL) != SQLITE_OK)
		die(text, sqlite3_errmsg(db));
	return st;
}

static int is_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* Verify @path and apply its entries to the table. */
static void import(sqlite3 *db, const struct passgate_trust *trust,
		      const char *path, sqlite3_stmt *put, sqlite3_stmt *del)
{
	struct passgate_list_entry *buf = calloc(BATCH, sizeof(*buf));
	struct passgate_listfile *list;
	char err[512];
	ssize_t n, i;

	list = passgate_listfile_open(path, NULL, trust,
				      PASSGATE_LIST_LIMIT_BYTES, err, sizeof(err));
	if (!list || !buf)
		die(path, list ? "out of memory" : err);
	sql(db, "BEGIN");
	while ((n = passgate_listfile_read(list, buf, BATCH, err,
					   sizeof(err))) > 0) {
		for (i = 0; i < n; i++) {
			const struct passgate_list_entry *e = &buf[i];
			sqlite3_stmt *st = e->status == PASSGATE_STATUS_REMOVE ?
					   del : put;

			sqlite3_bind_blob(st, 1, e->digest, sizeof(e->digest),
					  SQLITE_STATIC);
			if (st == put) {
				sqlite3_bind_int(st, 2, e->status);
				sqlite3_bind_int(st, 3, e->flags);
				sqlite3_bind_int64(st, 4, e->valid_from);
				sqlite3_bind_int64(st, 5, e->valid_until);
				if (is_zero(e->id_digest, sizeof(e->id_digest)))
					sqlite3_bind_null(st, 6);
				else
					sqlite3_bind_blob(st, 6, e->id_digest,
							  sizeof(e->id_digest),
							  SQLITE_STATIC);
			}
			if (sqlite3_step(st) != SQLITE_DONE)
				die(path, sqlite3_errmsg(db));
			sqlite3_reset(st);
		}
	}
	/* Only a list read to its end without error counts as verified. */
	if (n < 0)
		die(path, err);
	sql(db, "COMMIT");
	passgate_listfile_close(list);
	free(buf);
}

static void decide(sqlite3_stmt *get, const struct passgate_scan *scan,
		   struct passgate_verdict_cmd *cmd)
{
	int64_t from, until, now = time(NULL);
	int status;

	cmd->verdict = PASSGATE_VERDICT_DENY;
	cmd->reason = PASSGATE_REASON_UNKNOWN;
	cmd->direction = PASSGATE_DIR_EXIT;
	if (scan->kind == PASSGATE_CRED_ID_CARD) {
		cmd->reason = PASSGATE_REASON_MANUAL_CHECK;
		return;
	}
	sqlite3_bind_blob(get, 1, scan->digest, PASSGATE_LIST_DIGEST,
			  SQLITE_STATIC);
	if (sqlite3_step(get) == SQLITE_ROW) {
		status = sqlite3_column_int(get, 0);
		from = sqlite3_column_int64(get, 1);
		until = sqlite3_column_int64(get, 2);
		if ((from && now < from) || (until && now >= until))
			cmd->reason = PASSGATE_REASON_NOT_VALID;
		else if (status == PASSGATE_STATUS_RED)
			cmd->reason = PASSGATE_REASON_RED;
		else if (status != PASSGATE_STATUS_GREEN)
			cmd->reason = PASSGATE_REASON_MANUAL_CHECK;
		else if (sqlite3_column_type(get, 3) != SQLITE_NULL) {
			cmd->verdict = PASSGATE_VERDICT_PENDING;
			cmd->reason = PASSGATE_REASON_WAIT_ID;
		} else {
			cmd->verdict = PASSGATE_VERDICT_ACCEPT;
			cmd->reason = PASSGATE_REASON_NONE;
		}
	}
	sqlite3_reset(get);
}

int main(int argc, char **argv)
{
	struct passgate_verdict_cmd cmd = { .size = sizeof(cmd) };
	sqlite3_stmt *put, *del, *get;
	struct passgate_trust *trust;
	struct passgate_scan scan;
	struct timespec t0, t1;
	char path[128], err[512];
	int64_t rows = 0;
	sqlite3 *db;
	int fd, i;

	if (argc < 5) {
		fprintf(stderr,
			"usage: sqlite_peer TRUST_DIR DB LANE LIST [DELTA...]\n");
		return 2;
	}
	trust = passgate_trust_open(argv[1], err, sizeof(err));
	if (!trust)
		die(argv[1], err);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	unlink(argv[2]);
	if (sqlite3_open(argv[2], &db) != SQLITE_OK)
		die(argv[2], sqlite3_errmsg(db));
	/* A rebuildable cache of signed files: no journal needed. */
	sql(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
		"CREATE TABLE list (digest BLOB PRIMARY KEY, status INTEGER "
		"NOT NULL, flags INTEGER NOT NULL, valid_from INTEGER NOT NULL, "
		"valid_until INTEGER NOT NULL, id_digest BLOB) WITHOUT ROWID");
	put = prepare(db, "INSERT OR REPLACE INTO list VALUES (?1, ?2, ?3, "
			  "?4, ?5, ?6)");
	del = prepare(db, "DELETE FROM list WHERE digest = ?1");
	for (i = 4; i < argc; i++)
		import(db, trust, argv[i], put, del);
	sqlite3_finalize(put);
	sqlite3_finalize(del);
	passgate_trust_free(trust);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	get = prepare(db, "SELECT count(*) FROM list");
	if (sqlite3_step(get) != SQLITE_ROW)
		die(argv[2], sqlite3_errmsg(db));
	rows = sqlite3_column_int64(get, 0);
	sqlite3_finalize(get);
	get = prepare(db, "SELECT status, valid_from, valid_until, id_digest "
			  "FROM list WHERE digest = ?1");
	snprintf(path, sizeof(path), "/dev/passgate/gate0/lane%s/scanboard",
		 argv[3]);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(path, strerror(errno));
	printf("ready %.3f %" PRId64 "\n", (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9, rows);
	fflush(stdout);

	/* Blocking read: woken by the kernel when a scan is deferred. */
	for (;;) {
		ssize_t n = read(fd, &scan, sizeof(scan));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(scan))
			die(path, n < 0 ? strerror(errno) : "short read");
		cmd.scan_id = scan.scan_id;
		decide(get, &scan, &cmd);
		if (ioctl(fd, PASSGATE_IOC_VERDICT, &cmd))
			fprintf(stderr, "sqlite_peer: scan %" PRIu64 ": %s\n",
				(uint64_t)scan.scan_id, strerror(errno));
		memset(&scan, 0, sizeof(scan));
	}
}
