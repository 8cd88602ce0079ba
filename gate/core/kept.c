// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/core/kept.h"
#include "common/file.h"
#include "common/minisign.h"

#define LIST_SUFFIX ".pgl"
#define SIG_SUFFIX ".pgl.minisig"
/* A minisign signature is a few hundred bytes. */
#define SIG_MAX_BYTES 4096

/* What a kept list's name says it holds: "list", "tickets". */
static const char *kept_kind(unsigned int holds)
{
	return holds == PASSGATE_LIST_TICKETS ? "tickets" : "list";
}

int passgate_kept_path(const struct passgate_config *cfg, unsigned int holds,
		       uint64_t generation, int sig, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/gate%u.%s-%" PRIu64 "%s",
			 cfg->state_dir, cfg->gate, kept_kind(holds),
			 generation, sig ? SIG_SUFFIX : LIST_SUFFIX);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* @from copied into a new file for @to, synced, still under its temp name. */
static int copy_new(const char *from, uint64_t max, struct passgate_file_new *nf,
		    const char *to)
{
	char buf[65536];
	uint64_t total = 0;
	ssize_t n;
	int in, e;

	in = passgate_file_open_regular(from, NULL);
	if (in < 0)
		return -1;
	if (passgate_file_new_open(nf, to, 0600)) {
		e = errno;
		close(in);
		errno = e;
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		total += n;
		if (total > max) {
			errno = EFBIG;
			goto fail;
		}
		if (passgate_file_write_all(nf->fd, buf, n))
			goto fail;
	}
	close(in);
	if (passgate_file_new_close(nf)) {
		passgate_file_new_abort(nf);
		return -1;
	}
	return 0;
fail:
	e = errno;
	close(in);
	passgate_file_new_abort(nf);
	errno = e;
	return -1;
}

/* The copy holds the list that was verified, not another one. */
static int check_copy(const struct passgate_config *cfg, const char *list,
		      const char *sig, const struct passgate_list_info *info,
		      char *err, size_t errlen)
{
	struct passgate_list_info copy;
	struct passgate_trust *trust;
	int ret;

	trust = passgate_trust_open(cfg->trust_dir, err, errlen);
	if (!trust)
		return -1;
	ret = passgate_listfile_check(list, sig, trust, cfg->max_list_bytes,
				      &copy, err, errlen);
	passgate_trust_free(trust);
	if (ret)
		return -1;
	if (copy.generation != info->generation || copy.kind != info->kind ||
	    copy.holds != info->holds ||
	    copy.base_generation != info->base_generation ||
	    memcmp(copy.key_id, info->key_id, sizeof(copy.key_id))) {
		snprintf(err, errlen, "the copy is not the list that was "
			 "verified (generation %" PRIu64 ", not %" PRIu64 ")",
			 copy.generation, info->generation);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

int passgate_kept_store(const struct passgate_config *cfg, const char *path,
			const struct passgate_list_info *info, char *err,
			size_t errlen)
{
	char list[PATH_MAX], sig[PATH_MAX], from_sig[PATH_MAX], why[256];
	struct passgate_file_new list_nf, sig_nf;
	uint64_t max = cfg->max_list_bytes ?: PASSGATE_LIST_MAX_BYTES;

	if (passgate_kept_path(cfg, info->holds, info->generation, 0, list,
			       sizeof(list)) ||
	    passgate_kept_path(cfg, info->holds, info->generation, 1, sig,
			       sizeof(sig)) ||
	    snprintf(from_sig, sizeof(from_sig), "%s.minisig", path) >=
	    (int)sizeof(from_sig)) {
		snprintf(err, errlen, "%s: %s", cfg->state_dir,
			 strerror(ENAMETOOLONG));
		return -1;
	}
	if (copy_new(from_sig, SIG_MAX_BYTES, &sig_nf, sig)) {
		snprintf(err, errlen, "copying %s: %s", from_sig,
			 passgate_file_strerror(errno));
		return -1;
	}
	if (copy_new(path, max, &list_nf, list)) {
		snprintf(err, errlen, "copying %s: %s", path,
			 passgate_file_strerror(errno));
		passgate_file_new_abort(&sig_nf);
		return -1;
	}
	if (check_copy(cfg, list_nf.tmp, sig_nf.tmp, info, why, sizeof(why))) {
		snprintf(err, errlen, "the copy of %s: %s", path, why);
		goto abort;
	}
	/* The signature first: a list is never there without it. */
	if (passgate_file_new_commit(&sig_nf)) {
		snprintf(err, errlen, "%s: %s", sig, strerror(errno));
		goto abort;
	}
	if (passgate_file_new_commit(&list_nf)) {
		snprintf(err, errlen, "%s: %s", list, strerror(errno));
		return -1;
	}
	return 0;
abort:
	passgate_file_new_abort(&sig_nf);
	passgate_file_new_abort(&list_nf);
	return -1;
}

/*
 * A kept file's generation from its name "gateG.list-N.pgl[.minisig]"
 * (or gateG.tickets-N... for @holds tickets); *@temp for the hidden
 * copies a crash left (".gateG.list-..."), whose generation does not
 * matter.  false: not a kept file of this gate and kind.
 */
static bool kept_name(const char *name, unsigned int gate, unsigned int holds,
		      uint64_t *gen, bool *temp)
{
	char prefix[32];
	const char *p;
	char *end;
	int n;

	n = snprintf(prefix, sizeof(prefix), "gate%u.%s-", gate,
		     kept_kind(holds));
	*temp = name[0] == '.';
	p = name + *temp;
	if (strncmp(p, prefix, n))
		return false;
	if (*temp)
		return true;
	p += n;
	if (*p < '0' || *p > '9')
		return false;
	errno = 0;
	*gen = strtoull(p, &end, 10);
	return !errno && (!strcmp(end, LIST_SUFFIX) || !strcmp(end, SIG_SUFFIX));
}

void passgate_kept_prune(const struct passgate_config *cfg,
			 unsigned int holds, uint64_t generation)
{
	uint64_t chain[PASSGATE_KEPT_CHAIN_MAX], gen = generation;
	struct passgate_list_info info;
	char path[PATH_MAX];
	struct dirent *de;
	size_t n = 0, i;
	bool temp;
	DIR *dir;

	while (gen && n < PASSGATE_KEPT_CHAIN_MAX) {
		chain[n++] = gen;
		if (passgate_kept_path(cfg, holds, gen, 0, path,
				       sizeof(path)) ||
		    passgate_listfile_peek(path, &info) ||
		    info.kind != PASSGATE_LIST_DELTA ||
		    info.base_generation >= gen)
			break;
		gen = info.base_generation;
	}
	dir = opendir(cfg->state_dir);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (!kept_name(de->d_name, cfg->gate, holds, &gen, &temp))
			continue;
		for (i = 0; !temp && i < n && chain[i] != gen; i++)
			;
		if (temp || i == n)
			unlinkat(dirfd(dir), de->d_name, 0);
	}
	fsync(dirfd(dir));
	closedir(dir);
}
