// SPDX-License-Identifier: GPL-2.0-only
/*
 * The outbox is the journal: its rows go up in chain order as sealed
 * batches (common/batch.h) at QoS 1, and a row counts as delivered only
 * when the collector says it has stored and verified it: a retained
 * "stored" message carrying the position and hash of its verified head
 * (docs/station.md, "Delivery").  A broker's PUBACK means nothing here:
 * a broker that dies, or a collector that dies between the PUBACK and
 * its COMMIT, loses nothing the gate considers delivered.
 *
 * What is published and not confirmed goes again after a reconnect, on
 * the collector's "resend" request (it found a gap), or when nothing has
 * been confirmed for UPLINK_STALL_MS (then one batch at a time, and the
 * wait doubles, until the collector confirms again).  The delivered mark is kept in a
 * file of its own (written atomically), so a restart resumes after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <sodium.h>

#include "uplink.h"
#include "common/batch.h"
#include "common/file.h"
#include "gate/core/journal.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static int64_t timespec_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

int outbox_open(struct uplink *u)
{
	char err[256], line[64];
	struct timespec now;
	struct stat st;
	FILE *f;

	u->journal = passgate_journal_open(u->cfg.journal, u->cfg.gate,
					   PASSGATE_JOURNAL_RDONLY, err,
					   sizeof(err));
	if (!u->journal) {
		/* Said once: this is retried every poll until it exists. */
		if (!u->journal_waiting)
			passgate_log_pri(LOG_WARNING, NULL,
					 "journal %s: %s (waiting for "
					 "passgated)", u->cfg.journal, err);
		u->journal_waiting = true;
		return -1;
	}
	u->journal_waiting = false;
	/* The mark's own time says since when nothing was delivered. */
	clock_gettime(CLOCK_REALTIME, &now);
	f = fopen(u->outbox_path, "re");
	if (f) {
		if (fgets(line, sizeof(line), f))
			u->delivered = strtoull(line, NULL, 10);
		if (!fstat(fileno(f), &st))
			now = st.st_mtim;
		fclose(f);
	}
	u->delivered_ns = timespec_ns(&now);
	u->saved = u->delivered;
	u->sent = u->delivered;
	u->progress_ms = now_ms();
	u->stall_ms = UPLINK_STALL_MS;
	passgate_log("outbox: delivered through pos %" PRIu64, u->delivered);
	return 0;
}

static void mismatch(const struct uplink *u, uint64_t pos, const char *hex)
{
	passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
			 .reason = "not this journal's hash"),
			 "collector says it holds pos %" PRIu64 " with hash "
			 "%s: not this journal's; delivered mark stays at %"
			 PRIu64, pos, hex, u->delivered);
}

/* Everything after @pos goes again (locked). */
static void rewind_to(struct uplink *u, uint64_t pos)
{
	if (u->sent > pos)
		u->sent = pos;
	while (u->nflight && u->flight[u->nflight - 1] > pos)
		u->nflight--;
}

/*
 * The collector's word, taken here, on the thread that owns the journal:
 * a confirmation moves the delivered mark only if the hash it names is
 * the journal's own at that position; a resend request rewinds.
 */
static void take_reports(struct uplink *u)
{
	uint8_t hash[PASSGATE_JOURNAL_HASH_SIZE], mine[PASSGATE_JOURNAL_HASH_SIZE];
	uint64_t pos, resend;
	struct timespec now;
	bool stored;
	char hex[2 * sizeof(hash) + 1];
	unsigned int i, done;

	pthread_mutex_lock(&u->lock);
	stored = u->stored_new;
	pos = u->stored_pos;
	memcpy(hash, u->stored_hash, sizeof(hash));
	resend = u->resend_from;
	u->stored_new = false;
	u->resend_from = 0;
	pthread_mutex_unlock(&u->lock);

	if (stored && pos > u->delivered) {
		if (passgate_journal_row_hash(u->journal, pos, mine) ||
		    sodium_memcmp(mine, hash, sizeof(hash))) {
			sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
			if (pos != u->mismatch_pos)
				mismatch(u, pos, hex);
			u->mismatch_pos = pos;
		} else {
			clock_gettime(CLOCK_REALTIME, &now);
			pthread_mutex_lock(&u->lock);
			u->delivered = pos;
			u->delivered_ns = timespec_ns(&now);
			u->confirmed++;
			u->progress_ms = now_ms();
			u->stall_ms = UPLINK_STALL_MS;
			u->probing = false;
			for (i = 0, done = 0; i < u->nflight; i++)
				if (u->flight[i] <= pos)
					done++;
			memmove(u->flight, u->flight + done,
				(u->nflight - done) * sizeof(*u->flight));
			u->nflight -= done;
			if (u->sent < pos)
				u->sent = pos;
			pthread_mutex_unlock(&u->lock);
		}
	}
	if (resend) {
		pthread_mutex_lock(&u->lock);
		/* A collector that lost rows (a restored database) says so. */
		if (resend - 1 < u->delivered)
			u->delivered = resend - 1;
		rewind_to(u, resend - 1);
		u->resends++;
		u->progress_ms = now_ms();
		pthread_mutex_unlock(&u->lock);
		passgate_log("collector asks for the rows from pos %" PRIu64,
			     resend);
	}
}

int outbox_pump(struct uplink *u)
{
	uint64_t after, last;
	long n;
	int rc;

	if (!u->journal)
		return 0;
	take_reports(u);
	u->head = passgate_journal_head(u->journal);
	for (;;) {
		pthread_mutex_lock(&u->lock);
		if (u->sent > u->delivered &&
		    now_ms() - u->progress_ms > u->stall_ms) {
			/*
			 * Nothing confirmed for a while: a batch got lost, or
			 * the collector is slow.  Send again, one batch at a
			 * time until it confirms, and wait twice as long
			 * before the next time (up to UPLINK_STALL_MAX_MS).
			 */
			rewind_to(u, u->delivered);
			u->stalls++;
			u->probing = true;
			u->progress_ms = now_ms();
			if (u->stall_ms < UPLINK_STALL_MAX_MS)
				u->stall_ms *= 2;
		}
		after = u->sent;
		if (!u->connected || after >= u->head ||
		    u->nflight >= (u->probing ? 1 : u->cfg.mqtt_inflight)) {
			pthread_mutex_unlock(&u->lock);
			return 0;
		}
		pthread_mutex_unlock(&u->lock);

		n = passgate_journal_export(u->journal, after,
					    PASSGATE_BATCH_ROWS_MAX, u->batch,
					    &last);
		if (n < 0) {
			int e = errno;

			/* Said once per cause: it is tried every poll. */
			if (e != u->export_errno)
				passgate_log_pri(LOG_ERR, NULL,
						 "journal after pos %" PRIu64
						 ": %s", after,
						 passgate_journal_errmsg(
						 u->journal));
			u->export_errno = e;
			return -1;
		}
		u->export_errno = 0;
		if (!n)
			return 0;	/* the next commit brings a seal */

		pthread_mutex_lock(&u->lock);
		/* A report or a reconnect in between: start over. */
		if (!u->connected || u->sent != after) {
			pthread_mutex_unlock(&u->lock);
			continue;
		}
		rc = mosquitto_publish(u->mosq, NULL, u->rows_topic, n,
				       u->batch, 1, false);
		if (rc == MOSQ_ERR_SUCCESS) {
			if (!u->nflight)
				u->progress_ms = now_ms();
			u->flight[u->nflight++] = last;
			u->sent = last;
			u->published += last - after;
			u->batches++;
		}
		pthread_mutex_unlock(&u->lock);
		if (rc != MOSQ_ERR_SUCCESS)
			return 0;
	}
}

/* A new connection: whatever was not confirmed goes again. */
void outbox_on_connect(struct uplink *u)
{
	mosquitto_subscribe(u->mosq, NULL, u->stored_topic, 1);
	mosquitto_subscribe(u->mosq, NULL, u->resend_topic, 1);
	pthread_mutex_lock(&u->lock);
	u->connected = true;
	u->connects++;
	rewind_to(u, u->delivered);
	u->progress_ms = now_ms();
	pthread_cond_broadcast(&u->moved);
	pthread_mutex_unlock(&u->lock);
}

/*
 * "POS[ HASH][ SIG]": a decimal position without sign or leading zero;
 * for "stored" the hash there (64 lower-case hex digits); with a
 * collector key configured, its signature (128 hex digits).
 */
static int parse_report(const char *p, int len, bool with_hash, uint64_t *pos,
			uint8_t *hash, uint8_t *sig, bool *signed_)
{
	char text[256], *end, *field[3], *save = NULL;
	size_t got, want[3] = { 0, 2 * PASSGATE_JOURNAL_HASH_SIZE, 128 };
	int n = 0, need = with_hash ? 2 : 1;

	if (len <= 0 || len >= (int)sizeof(text))
		return -1;
	memcpy(text, p, len);
	text[len] = '\0';
	if (strchr(text, '\0') != text + len || strstr(text, "  ") ||
	    text[0] == ' ' || text[len - 1] == ' ')
		return -1;
	for (char *t = strtok_r(text, " ", &save); t;
	     t = strtok_r(NULL, " ", &save)) {
		if (n == 3)
			return -1;
		field[n++] = t;
	}
	if (n != need && n != need + 1)
		return -1;
	if (field[0][0] < '1' || field[0][0] > '9')
		return -1;
	errno = 0;
	*pos = strtoull(field[0], &end, 10);
	if (errno || *end || *pos > INT64_MAX)
		return -1;
	for (int i = 1; i < n; i++) {
		size_t w = i < need ? want[1] : want[2];
		uint8_t *out = i < need ? hash : sig;

		if (strlen(field[i]) != w ||
		    strspn(field[i], "0123456789abcdef") != w ||
		    sodium_hex2bin(out, w / 2, field[i], w, NULL, &got, NULL) ||
		    got != w / 2)
			return -1;
	}
	*signed_ = n == need + 1;
	return 0;
}

/* With a collector key configured, only its signed word counts. */
static bool report_trusted(struct uplink *u, enum passgate_confirm_kind kind,
			   uint64_t pos, const uint8_t *hash, const uint8_t *sig,
			   bool signed_)
{
	if (!u->cfg.collector_key_set)
		return true;
	return signed_ &&
	       !passgate_confirm_verify(u->cfg.collector_key, kind,
					u->cfg.station, u->cfg.gate_name, pos,
					hash, sig);
}

bool outbox_on_message(struct uplink *u, const char *topic,
		       const void *payload, int len)
{
	uint8_t hash[PASSGATE_JOURNAL_HASH_SIZE], sig[PASSGATE_SEAL_SIZE];
	bool stored, signed_;
	uint64_t pos;

	stored = !strcmp(topic, u->stored_topic);
	if (!stored && strcmp(topic, u->resend_topic))
		return false;
	if (parse_report(payload, len, stored, &pos, hash, sig, &signed_)) {
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
				 .reason = "malformed"),
				 "%s: not \"POS%s SIGNATURE\"; ignored", topic,
				 stored ? " HASH" : "");
		return true;
	}
	if (!report_trusted(u, stored ? PASSGATE_CONFIRM_STORED :
			    PASSGATE_CONFIRM_RESEND, pos, hash, sig, signed_)) {
		passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
				 .reason = "not signed by the collector's key"),
				 "%s %" PRIu64 ": not signed by the collector's"
				 " key; ignored", topic, pos);
		pthread_mutex_lock(&u->lock);
		u->forged++;
		pthread_mutex_unlock(&u->lock);
		return true;
	}
	pthread_mutex_lock(&u->lock);
	if (stored && (pos > u->stored_pos || !u->stored_new)) {
		u->stored_pos = pos;
		memcpy(u->stored_hash, hash, sizeof(hash));
		u->stored_new = true;
	} else if (!stored && (!u->resend_from || pos < u->resend_from)) {
		u->resend_from = pos;
	}
	pthread_cond_broadcast(&u->moved);
	pthread_mutex_unlock(&u->lock);
	return true;
}

void outbox_save(struct uplink *u)
{
	char text[32];
	uint64_t delivered;
	int n;

	pthread_mutex_lock(&u->lock);
	delivered = u->delivered;
	pthread_mutex_unlock(&u->lock);
	if (delivered == u->saved)
		return;
	n = snprintf(text, sizeof(text), "%" PRIu64 "\n", delivered);
	if (passgate_file_replace(u->outbox_path, text, n, 0600)) {
		passgate_log_pri(LOG_WARNING, NULL, "outbox %s: %s",
				 u->outbox_path, strerror(errno));
		return;
	}
	u->saved = delivered;
}

void outbox_close(struct uplink *u)
{
	outbox_save(u);
	passgate_journal_close(u->journal);
	u->journal = NULL;
}
