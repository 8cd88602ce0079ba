/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Signed allowlist files (<common/allowlist.h>, docs/allowlist-format.md):
 * write and sign one, check one, read a checked one's entries.  A list
 * holds health codes or train tickets (@holds); each has its own entry
 * type, and the typed calls refuse a list of the other kind, so a ticket
 * list is never read as health codes or the reverse.
 *
 * Error contract: <common/fail.h>, errno as in <common/minisign.h>.
 * Every refusal has its own
 * message, starting with what was refused: "file:", "signature:",
 * "header:" or "entry N:".
 *
 * What is checked here is the file: signature, format, consistency.
 * Whether a list is still valid now (not_before, expires_at) and whether
 * its generation may follow the one loaded (rollback, delta base) is for
 * the caller to decide from &struct passgate_list_info.
 */
#ifndef PASSGATE_LISTFILE_H
#define PASSGATE_LISTFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "allowlist.h"
#include "minisign.h"

#define PASSGATE_LIST_STATION ((size_t)PASSGATE_LIST_STATION_SIZE)
/* Room for the trusted comment of any list, with its NUL. */
#define PASSGATE_LIST_COMMENT_MAX 192

/**
 * struct passgate_list_info - a list's header, decoded
 * @kind: &enum passgate_list_kind
 * @holds: &enum passgate_list_holds (set by the writers)
 * @generation: this list's generation (> 0)
 * @base_generation: delta: the generation it applies to; full: 0
 * @issued_at: unix seconds, when it was made
 * @not_before: unix seconds, not to be used before
 * @expires_at: unix seconds, not to be used after
 * @station: station code, NUL-terminated; "" for every station
 * @key_id: the issuer key that signed it (out only, for the writer)
 * @entry_count: entries in the file (out only, for the writer)
 * @file_size: bytes of the file (out only, for the writer)
 */
struct passgate_list_info {
	unsigned int kind;
	unsigned int holds;
	uint64_t generation;
	uint64_t base_generation;
	uint64_t issued_at;
	uint64_t not_before;
	uint64_t expires_at;
	char station[PASSGATE_LIST_STATION + 1];
	uint8_t key_id[PASSGATE_KEY_ID_SIZE];
	uint64_t entry_count;
	uint64_t file_size;
};

/*
 * The trusted comment that a list with @info's header (entry_count
 * included) must be signed with; -1 (ERANGE) if @len is too small.
 */
int passgate_listfile_comment(const struct passgate_list_info *info,
			      char *buf, size_t len);

/* Bytes of one entry of a list that holds @holds; 0 when unknown. */
size_t passgate_list_entry_size(unsigned int holds);

/*
 * Write @count @entries, of the type @info->holds says, with the header
 * from @info to @path and sign it with @sec into <path>.minisig.
 * @entries are sorted here; duplicates, and anything the checker would
 * refuse, are refused before anything is written.  Both files are
 * replaced atomically (temporary file, fsync, rename; the signature
 * first).  Fills @info's out fields.
 */
int passgate_listfile_write_entries(const char *path,
				    struct passgate_list_info *info,
				    void *entries, size_t count,
				    const struct passgate_seckey *sec, char *err,
				    size_t errlen);
/* The same for health codes and for tickets: @info->holds is set here. */
int passgate_listfile_write(const char *path, struct passgate_list_info *info,
			    struct passgate_list_entry *entries, size_t count,
			    const struct passgate_seckey *sec, char *err,
			    size_t errlen);
int passgate_listfile_write_tickets(const char *path,
				    struct passgate_list_info *info,
				    struct passgate_ticket_entry *entries,
				    size_t count,
				    const struct passgate_seckey *sec,
				    char *err, size_t errlen);

struct passgate_listfile;

/*
 * Open and check the list at @path against @sig_path (NULL:
 * <path>.minisig), signed by a key of @trust: the size (at most
 * @max_bytes, 0 for PASSGATE_LIST_MAX_BYTES, checked before anything is
 * read), the signature over the whole file, read as a stream, then the
 * header, the trusted comment against it, and every entry.
 */
struct passgate_listfile *passgate_listfile_open(const char *path,
						 const char *sig_path,
						 const struct passgate_trust *trust,
						 uint64_t max_bytes, char *err,
						 size_t errlen);
const struct passgate_list_info *passgate_listfile_info(const struct passgate_listfile *list);
/*
 * Read up to @max entries (of the type the list holds: @max of
 * passgate_list_entry_size() bytes), in file order; returns how many, 0
 * at the end.
 * The file is read again and hashed again as it goes: the entries count
 * as verified only once this returned 0, which it does only if what was
 * read is what was signed (else -1, "file: changed since it was checked").
 */
ssize_t passgate_listfile_read_entries(struct passgate_listfile *list,
				       void *entries, size_t max, char *err,
				       size_t errlen);
/*
 * The same, typed: a list that holds the other kind is refused
 * (EMEDIUMTYPE, "file: holds tickets, not health codes") before anything
 * is read.
 */
ssize_t passgate_listfile_read(struct passgate_listfile *list,
			       struct passgate_list_entry *entries, size_t max,
			       char *err, size_t errlen);
ssize_t passgate_listfile_read_tickets(struct passgate_listfile *list,
				       struct passgate_ticket_entry *entries,
				       size_t max, char *err, size_t errlen);
void passgate_listfile_close(struct passgate_listfile *list);

/* _open() and _close(): fills @info when the list is accepted. */
int passgate_listfile_check(const char *path, const char *sig_path,
			    const struct passgate_trust *trust,
			    uint64_t max_bytes, struct passgate_list_info *info,
			    char *err, size_t errlen);

/* "full", "delta"; NULL when unknown. */
const char *passgate_list_kind_name(unsigned int kind);
/* "codes", "tickets"; NULL when unknown. */
const char *passgate_list_holds_name(unsigned int holds);
/* "REMOVE", "GREEN", "YELLOW", "RED"; NULL when unknown. */
const char *passgate_list_status_name(unsigned int status);

/* Where @now (unix seconds) stands in a list's validity window. */
enum passgate_list_window {
	PASSGATE_LIST_IN_WINDOW,
	PASSGATE_LIST_PAST_EXPIRY,
	PASSGATE_LIST_BEFORE_NOT_BEFORE,
};

/*
 * Whether @info is valid at @now; outside its window, why, in @msg (the
 * words a gate and the issuer's verify both use).
 */
enum passgate_list_window passgate_listfile_window(const struct passgate_list_info *info,
						   uint64_t now, char *msg,
						   size_t len);

/*
 * What @path's header claims, unverified (no signature checked): for
 * reporting a refusal only, never for a decision.
 */
int passgate_listfile_peek(const char *path, struct passgate_list_info *info);

#endif
