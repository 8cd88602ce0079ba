// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lists down: a delta arrives inline (its .minisig, then the list), a full
 * generation as an announcement whose URL is fetched with libcurl.  Either
 * way both files land in passgated's spool folder under temporary names
 * and are renamed into place, signature first, so the daemon verifies and
 * loads them exactly as files dropped there by hand.  Nothing here trusts
 * the broker: a bad list is the daemon's to refuse.  Retained messages come
 * again on every connection: a generation already spooled, or at or below
 * the one the gate's durable record says it accepted, is skipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "uplink.h"
#include "common/file.h"
#include "gate/core/state.h"

#define SIG_LINES 4
#define FETCH_TIMEOUT_S 120

/* The newest generation the gate has, or is about to have. */
static uint64_t have_generation(const struct uplink *u)
{
	struct passgate_record rec;

	if (!passgate_record_read(u->cfg.state_dir, u->cfg.gate, &rec) &&
	    rec.generation > u->lists_spooled)
		return rec.generation;
	return u->lists_spooled;
}

static int spool_write(const struct uplink *u, const char *name,
		       const void *data, size_t len)
{
	char path[PATH_MAX];
	int n;

	/* The inbox: the one folder of the spool the uplink may write. */
	n = snprintf(path, sizeof(path), "%s/inbox/%s", u->cfg.spool_dir,
		     name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Readable by the daemon, which owns the inbox but not the file. */
	return passgate_file_replace(path, data, len, 0644);
}

/* LIST.minisig, then LIST: the daemon takes a list once both are there. */
static int spool_list(struct uplink *u, uint64_t gen, const void *sig,
		      size_t sig_len, const void *list, size_t list_len)
{
	char name[64], signame[80];

	snprintf(name, sizeof(name), "list-%06" PRIu64 ".pgl", gen);
	snprintf(signame, sizeof(signame), "%s.minisig", name);
	if (spool_write(u, signame, sig, sig_len) ||
	    spool_write(u, name, list, list_len)) {
		passgate_log("spool %s: %s", name, strerror(errno));
		return -1;
	}
	u->lists_spooled = gen;
	passgate_log("generation %" PRIu64 " spooled", gen);
	return 0;
}

static void on_delta(struct uplink *u, uint64_t gen, const char *p, int len)
{
	int i, lines = 0;

	for (i = 0; i < len && lines < SIG_LINES; i++)
		if (p[i] == '\n')
			lines++;
	if (lines < SIG_LINES || i == len) {
		passgate_log("delta %" PRIu64 ": no signature and list", gen);
		return;
	}
	spool_list(u, gen, p, i, p + i, len - i);
}

struct buffer {
	char *data;
	size_t len, max;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct buffer *b = arg;
	char *grown;

	if (b->len + n > b->max)
		return 0;	/* larger than announced: abort */
	grown = realloc(b->data, b->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + b->len, p, n);
	b->data = grown;
	b->len += n;
	(void)size;
	return n;
}

static int fetch(const char *url, size_t max, struct buffer *b)
{
	CURL *c = curl_easy_init();
	CURLcode rc;
	long status = 0;

	memset(b, 0, sizeof(*b));
	b->max = max;
	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)FETCH_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK || status != 200) {
		passgate_log("fetch %s: %s (HTTP %ld)", url,
			     curl_easy_strerror(rc), status);
		free(b->data);
		b->data = NULL;
		return -1;
	}
	return 0;
}

/* "generation=N size=N sha256=HEX url=URL" */
static void on_full(struct uplink *u, const char *p, int len)
{
	char text[1024], url[900], sigurl[920], want[65], got[65];
	unsigned char digest[crypto_hash_sha256_BYTES];
	unsigned long long gen, size;
	struct buffer list, sig;

	if (len <= 0 || len >= (int)sizeof(text))
		return;
	memcpy(text, p, len);
	text[len] = '\0';
	if (sscanf(text, "generation=%llu size=%llu sha256=%64s url=%899s",
		   &gen, &size, want, url) != 4 || strlen(want) != 64) {
		passgate_log("full announcement: malformed");
		return;
	}
	if (gen <= have_generation(u))
		return;
	snprintf(sigurl, sizeof(sigurl), "%s.minisig", url);
	if (fetch(url, size, &list))
		return;
	if (fetch(sigurl, 4096, &sig)) {
		free(list.data);
		return;
	}
	crypto_hash_sha256(digest, (unsigned char *)list.data, list.len);
	sodium_bin2hex(got, sizeof(got), digest, sizeof(digest));
	if (list.len != size || strcmp(got, want))
		passgate_log("generation %llu from %s: size %zu sha256 %s, "
			     "announced %llu %s: not spooled", gen, url,
			     list.len, got, size, want);
	else
		spool_list(u, gen, sig.data, sig.len, list.data, list.len);
	free(list.data);
	free(sig.data);
}

void lists_on_message(struct uplink *u, const char *topic,
		      const void *payload, int len)
{
	const char *delta = strstr(topic, "/lists/delta/");
	uint64_t gen;

	if (!len)
		return;		/* a cleared retained message */
	if (delta) {
		gen = strtoull(delta + strlen("/lists/delta/"), NULL, 10);
		if (gen > have_generation(u))
			on_delta(u, gen, payload, len);
	} else if (strstr(topic, "/lists/full")) {
		on_full(u, payload, len);
	}
}
