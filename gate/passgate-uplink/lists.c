// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lists down: a delta arrives inline (its .minisig, then the list), a full
 * generation as an announcement whose URL is fetched with libcurl.  Either
 * way both files land in the spool's inbox under temporary names and are
 * renamed into place, signature first, so the daemon verifies and loads
 * them exactly as files dropped there by hand.
 *
 * Nothing here trusts the broker, and nothing here decides what the gate
 * has: that is the daemon's durable record, read back.  A topic's or an
 * announcement's generation is only a hint to skip what the gate already
 * has; the daemon reads the real one from the signed file.  Retained
 * messages come again on every connection: the same bytes are spooled
 * once per run (their SHA-256 remembered), so a message the daemon
 * refused is logged once and never spooled again and again, and a forged
 * one cannot hide a genuine list behind a generation it made up.  A full
 * generation is fetched by a thread of its own, bounded in size and time,
 * never on libmosquitto's thread.
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
#define SIG_MAX 4096
#define FETCH_TIMEOUT_S 120
#define CONNECT_TIMEOUT_S 10

/* What the gate has: the daemon's record of the last accepted list. */
static uint64_t have_generation(const struct uplink *u)
{
	struct passgate_record rec;

	if (passgate_record_read(u->cfg.state_dir, u->cfg.gate, &rec))
		return 0;
	return rec.generation;
}

/*
 * A generation as a topic or an announcement writes it: decimal digits
 * only, no sign, no leading zero, no overflow.
 */
static int parse_generation(const char *s, size_t len, uint64_t *gen)
{
	uint64_t v = 0;
	size_t i;

	if (!len || len > 20 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*gen = v;
	return 0;
}

/* Whether these bytes were spooled before in this run; remembers them. */
static bool seen_before(struct uplink *u, const void *sig, size_t sig_len,
			const void *list, size_t list_len)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	unsigned int i;
	bool seen = false;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, sig, sig_len);
	crypto_hash_sha256_update(&st, list, list_len);
	crypto_hash_sha256_final(&st, digest);
	pthread_mutex_lock(&u->lists_lock);
	for (i = 0; i < UPLINK_SEEN_MAX && !seen; i++)
		seen = !memcmp(u->seen[i], digest, sizeof(digest));
	if (!seen)
		memcpy(u->seen[u->nseen++ % UPLINK_SEEN_MAX], digest,
		       sizeof(digest));
	pthread_mutex_unlock(&u->lists_lock);
	return seen;
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
static void spool_list(struct uplink *u, uint64_t gen, const void *sig,
		       size_t sig_len, const void *list, size_t list_len)
{
	char name[64], signame[80];

	if (seen_before(u, sig, sig_len, list, list_len))
		return;
	snprintf(name, sizeof(name), "list-%06" PRIu64 ".pgl", gen);
	snprintf(signame, sizeof(signame), "%s.minisig", name);
	if (spool_write(u, signame, sig, sig_len) ||
	    spool_write(u, name, list, list_len)) {
		passgate_log_pri(LOG_ERR,
				 PASSGATE_LOG_FIELDS(.generation = gen),
				 "spool %s: %s", name, strerror(errno));
		return;
	}
	pthread_mutex_lock(&u->lock);
	u->lists_spooled = gen;
	pthread_mutex_unlock(&u->lock);
	passgate_log_pri(LOG_INFO, PASSGATE_LOG_FIELDS(.generation = gen),
			 "generation %" PRIu64 " (as its topic says) spooled; "
			 "the daemon verifies it", gen);
}

static void on_delta(struct uplink *u, uint64_t gen, const char *p, int len)
{
	int i, lines = 0;

	for (i = 0; i < len && lines < SIG_LINES; i++)
		if (p[i] == '\n')
			lines++;
	if (lines < SIG_LINES || i == len) {
		if (!seen_before(u, p, len, NULL, 0))
			passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
					 .generation = gen,
					 .reason = "no signature and list"),
					 "delta %" PRIu64 ": no signature and "
					 "list", gen);
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

/* A stop request ends a download at once. */
static int progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct uplink *u = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return u->lists_stop;
}

/* @gen: the generation as announced, for the log. */
static int fetch(struct uplink *u, uint64_t gen, const char *url, size_t max,
		 struct buffer *b)
{
	CURL *c = curl_easy_init();
	CURLcode rc;
	long status = 0;

	memset(b, 0, sizeof(*b));
	b->max = max;
	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (u->cfg.mqtt_ca[0]) {
		/*
		 * A station with a CA: https only, redirects included, and
		 * the server's certificate from the station's CA, for the
		 * URL's host; no other CA (the system's are turned off).
		 */
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
		curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
		curl_easy_setopt(c, CURLOPT_CAINFO, u->cfg.mqtt_ca);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	} else {
		/* http and https only (never file:, ftp:...). */
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	}
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)FETCH_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, u);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK || status != 200) {
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
				 .generation = gen),
				 "fetch %s: %s (HTTP %ld)", url,
				 curl_easy_strerror(rc), status);
		free(b->data);
		b->data = NULL;
		return -1;
	}
	return 0;
}

static void fetch_announced(struct uplink *u, const struct uplink_fetch *f)
{
	char sigurl[sizeof(f->url) + 16], got[65];
	unsigned char digest[crypto_hash_sha256_BYTES];
	struct buffer list, sig;

	snprintf(sigurl, sizeof(sigurl), "%s.minisig", f->url);
	if (fetch(u, f->generation, f->url, f->size, &list))
		return;
	if (fetch(u, f->generation, sigurl, SIG_MAX, &sig)) {
		free(list.data);
		return;
	}
	crypto_hash_sha256(digest, (unsigned char *)list.data, list.len);
	sodium_bin2hex(got, sizeof(got), digest, sizeof(digest));
	if (list.len != f->size || strcmp(got, f->sha256))
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
				 .generation = f->generation,
				 .reason = "not as announced"),
				 "generation %" PRIu64 " from %s: size %zu "
				 "sha256 %s, announced %" PRIu64 " %s: not "
				 "spooled", f->generation, f->url, list.len,
				 got, f->size, f->sha256);
	else
		spool_list(u, f->generation, sig.data, sig.len, list.data,
			   list.len);
	free(list.data);
	free(sig.data);
}

/* The fetch thread: the newest announcement, one at a time. */
static void *fetcher(void *arg)
{
	struct uplink *u = arg;
	struct uplink_fetch f;

	pthread_mutex_lock(&u->lists_lock);
	for (;;) {
		while (!u->lists_stop && !u->fetch_pending)
			pthread_cond_wait(&u->fetch_cond, &u->lists_lock);
		if (u->lists_stop)
			break;
		f = u->fetch;
		u->fetch_pending = false;
		pthread_mutex_unlock(&u->lists_lock);
		if (f.generation > have_generation(u))
			fetch_announced(u, &f);
		pthread_mutex_lock(&u->lists_lock);
	}
	pthread_mutex_unlock(&u->lists_lock);
	return NULL;
}

/*
 * "generation=N size=N sha256=HEX url=URL", one line, single spaces:
 * checked whole here, fetched by the fetch thread.
 */
static void on_full(struct uplink *u, const char *p, int len)
{
	uint64_t max = u->cfg.max_list_bytes;
	struct uplink_fetch f = { 0 };
	char text[1024], gen[24], size[24];
	int n = 0;

	if (len <= 0 || len >= (int)sizeof(text))
		goto malformed;
	memcpy(text, p, len);
	text[len] = '\0';
	if (sscanf(text, "generation=%23[0-9] size=%23[0-9] sha256=%64[0-9a-f] "
		   "url=%899s%n", gen, size, f.sha256, f.url, &n) != 4 ||
	    n != len || strlen(f.sha256) != 64 ||
	    parse_generation(gen, strlen(gen), &f.generation) ||
	    parse_generation(size, strlen(size), &f.size) ||
	    (strncmp(f.url, "http://", 7) && strncmp(f.url, "https://", 8)))
		goto malformed;
	if (f.generation <= have_generation(u))
		return;
	if (u->cfg.mqtt_ca[0] && strncmp(f.url, "https://", 8)) {
		if (!seen_before(u, p, len, NULL, 0))
			passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
					 .generation = f.generation,
					 .reason = "not https"),
					 "generation %" PRIu64 " announced at "
					 "%s: a station with a CA takes https "
					 "only; not fetched", f.generation,
					 f.url);
		return;
	}
	if (!f.size || f.size > max) {
		if (!seen_before(u, p, len, NULL, 0))
			passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
					 .generation = f.generation,
					 .reason = "above max_list_bytes"),
					 "generation %" PRIu64 " announced "
					 "with %" PRIu64 " bytes, above "
					 "max_list_bytes %" PRIu64 ": not "
					 "fetched", f.generation, f.size, max);
		return;
	}
	pthread_mutex_lock(&u->lists_lock);
	u->fetch = f;
	u->fetch_pending = true;
	pthread_cond_signal(&u->fetch_cond);
	pthread_mutex_unlock(&u->lists_lock);
	return;
malformed:
	if (!seen_before(u, p, len > 0 ? len : 0, NULL, 0))
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
				 .reason = "malformed"),
				 "full announcement: malformed, ignored");
}

void lists_on_message(struct uplink *u, const char *topic,
		      const void *payload, int len)
{
	static const char delta_part[] = "/lists/delta/";
	static const struct passgate_log_fields not_generation = {
		.reason = "not a generation",
	};
	const char *delta = strstr(topic, delta_part);
	uint64_t gen;

	if (!len)
		return;		/* a cleared retained message */
	if (delta) {
		delta += strlen(delta_part);
		if (parse_generation(delta, strlen(delta), &gen)) {
			if (!seen_before(u, topic, strlen(topic), NULL, 0))
				passgate_log_pri(LOG_WARNING, &not_generation,
						 "%s: not a generation, "
						 "ignored", topic);
			return;
		}
		if (gen > have_generation(u))
			on_delta(u, gen, payload, len);
	} else if (strstr(topic, "/lists/full")) {
		on_full(u, payload, len);
	}
}

int lists_start(struct uplink *u)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -1;
	pthread_mutex_init(&u->lists_lock, NULL);
	pthread_cond_init(&u->fetch_cond, NULL);
	if (pthread_create(&u->fetch_thread, NULL, fetcher, u))
		return -1;
	u->fetching = true;
	return 0;
}

void lists_stop(struct uplink *u)
{
	if (!u->fetching)
		return;
	pthread_mutex_lock(&u->lists_lock);
	u->lists_stop = 1;
	pthread_cond_signal(&u->fetch_cond);
	pthread_mutex_unlock(&u->lists_lock);
	pthread_join(u->fetch_thread, NULL);
	u->fetching = false;
	curl_global_cleanup();
}
