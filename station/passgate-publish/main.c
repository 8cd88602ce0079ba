// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-publish: put a signed list generation on the station's broker
 * (docs/station.md).  The list must verify against --trust first: nothing
 * goes out that a gate would refuse for its signature.
 *
 *   passgate-publish --broker HOST:PORT --station S --trust DIR
 *       [--url URL] LIST
 *
 * A delta goes inline, retained on passgate/S/lists/delta/<generation>
 * (its .minisig, then the list).  A full list is announced, retained on
 * passgate/S/lists/full, with --url, the size and the SHA-256; the file and
 * its .minisig must be served at URL and URL.minisig.  After a full list,
 * the deltas below its generation are cleared (--clear-from G: from G on).
 * Exits 0 once the broker acknowledged every message (QoS 1).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mosquitto.h>
#include <sodium.h>

#include "common/version.h"
#include "gate/core/log.h"
#include "station/mqtt_tls.h"
#include "common/listfile.h"
#include "common/minisign.h"

#define SIG_MAX 4096
#define TIMEOUT_MS 10000

static int pending;

static void on_publish(struct mosquitto *m, void *arg, int mid)
{
	(void)m;
	(void)arg;
	(void)mid;
	pending--;
}

/* The whole file, if it is at most @max bytes. */
static char *slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	char *buf = NULL;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || (uint64_t)st.st_size > max) {
		errno = errno ? errno : EFBIG;
		fclose(f);
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	if (buf) {
		*len = fread(buf, 1, st.st_size, f);
		if (*len != (size_t)st.st_size) {
			free(buf);
			buf = NULL;
			errno = EIO;
		}
	}
	fclose(f);
	return buf;
}

static int publish(struct mosquitto *m, const char *topic, const void *p,
		   size_t len)
{
	int rc = mosquitto_publish(m, NULL, topic, len, p, 1, true);

	if (rc != MOSQ_ERR_SUCCESS) {
		passgate_log_pri(LOG_ERR, NULL, "%s: %s", topic,
				 mosquitto_strerror(rc));
		return -1;
	}
	pending++;
	return 0;
}

static void usage_to(FILE *f)
{
	fprintf(f, "usage: passgate-publish --broker HOST:PORT --station S"
		" --trust DIR [--url URL] [--clear-from G]\n"
		"                        [--cafile CA --cert CRT --key KEY] LIST\n"
		"       passgate-publish -h|--help | -V|--version\n"
		"Checks LIST (and LIST.minisig) against the trust folder, then\n"
		"publishes it to the station's gates: a delta inline, a full list\n"
		"announced at URL (docs/station.md).\n"
		"Exit status: 0 published, 1 refused or failed, 2 bad usage.\n");
}

static void usage(void)
{
	usage_to(stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "broker", required_argument, NULL, 'b' },
		{ "station", required_argument, NULL, 's' },
		{ "trust", required_argument, NULL, 't' },
		{ "url", required_argument, NULL, 'u' },
		{ "clear-from", required_argument, NULL, 'c' },
		{ "cafile", required_argument, NULL, 'A' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *ca = NULL, *cert = "", *key = "";
	const char *broker = NULL, *station = NULL, *trust_dir = NULL;
	const char *url = NULL, *list;
	unsigned long long clear_from = 1;
	struct passgate_list_info info;
	struct passgate_trust *trust;
	char sigpath[4200], topic[256], err[256], *host, *colon;
	char text[1200], hexdigest[65];
	unsigned char digest[crypto_hash_sha256_BYTES];
	char *sig, *data, *payload;
	size_t sig_len, data_len;
	struct mosquitto *m;
	int opt, waited;

	passgate_log_open("passgate-publish");
	while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage_to(stdout);
			return 0;
		case 'V':
			return passgate_print_version("passgate-publish");
		case 'b': broker = optarg; break;
		case 's': station = optarg; break;
		case 't': trust_dir = optarg; break;
		case 'u': url = optarg; break;
		case 'c': clear_from = strtoull(optarg, NULL, 10); break;
		case 'A': ca = optarg; break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		default: usage();
		}
	}
	if (!broker || !station || !trust_dir || optind != argc - 1)
		usage();
	list = argv[optind];
	snprintf(sigpath, sizeof(sigpath), "%s.minisig", list);
	trust = passgate_trust_open(trust_dir, err, sizeof(err));
	if (!trust ||
	    passgate_listfile_check(list, sigpath, trust, 0, &info, err,
				    sizeof(err))) {
		/* Nothing goes out that a gate would refuse. */
		passgate_log_pri(LOG_WARNING,
				 PASSGATE_LOG_FIELDS(.reason = err),
				 "%s: %s", list, err);
		return 1;
	}
	passgate_trust_free(trust);
	if (info.kind == PASSGATE_LIST_FULL && !url) {
		passgate_log_pri(LOG_ERR, PASSGATE_LOG_FIELDS(
				 .generation = info.generation),
				 "a full list needs --url");
		return 2;
	}
	sig = slurp(sigpath, SIG_MAX, &sig_len);
	data = slurp(list, PASSGATE_LIST_MAX_BYTES, &data_len);
	if (!sig || !data || sodium_init() < 0) {
		passgate_log_pri(LOG_ERR, NULL, "read: %s", strerror(errno));
		return 1;
	}

	host = strdup(broker);
	colon = strrchr(host, ':');
	if (!colon)
		usage();
	*colon = '\0';
	mosquitto_lib_init();
	m = mosquitto_new(NULL, true, NULL);
	if (m && ca && passgate_mqtt_tls(m, ca, cert, key, err, sizeof(err))) {
		passgate_log_pri(LOG_ERR, NULL, "%s", err);
		return 1;
	}
	mosquitto_publish_callback_set(m, on_publish);
	if (!m || mosquitto_connect(m, host, atoi(colon + 1), 10)) {
		passgate_log_pri(LOG_ERR, NULL, "cannot connect to %s", broker);
		return 1;
	}

	if (info.kind == PASSGATE_LIST_DELTA) {
		payload = malloc(sig_len + data_len);
		memcpy(payload, sig, sig_len);
		memcpy(payload + sig_len, data, data_len);
		snprintf(topic, sizeof(topic), "passgate/%s/lists/delta/%" PRIu64,
			 station, info.generation);
		if (publish(m, topic, payload, sig_len + data_len))
			return 1;
	} else {
		crypto_hash_sha256(digest, (unsigned char *)data, data_len);
		sodium_bin2hex(hexdigest, sizeof(hexdigest), digest,
			       sizeof(digest));
		snprintf(text, sizeof(text),
			 "generation=%" PRIu64 " size=%zu sha256=%s url=%s",
			 info.generation, data_len, hexdigest, url);
		snprintf(topic, sizeof(topic), "passgate/%s/lists/full",
			 station);
		if (publish(m, topic, text, strlen(text)))
			return 1;
		/* Deltas below a full generation are history now. */
		for (; clear_from < info.generation; clear_from++) {
			snprintf(topic, sizeof(topic),
				 "passgate/%s/lists/delta/%llu", station,
				 clear_from);
			if (publish(m, topic, "", 0))
				return 1;
		}
	}
	for (waited = 0; pending > 0 && waited < TIMEOUT_MS; waited += 100)
		if (mosquitto_loop(m, 100, 1) != MOSQ_ERR_SUCCESS)
			break;
	mosquitto_disconnect(m);
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	if (pending > 0) {
		passgate_log_pri(LOG_ERR, PASSGATE_LOG_FIELDS(
				 .generation = info.generation),
				 "%d not acknowledged", pending);
		return 1;
	}
	printf("generation %" PRIu64 " (%s) published\n", info.generation,
	       info.kind == PASSGATE_LIST_FULL ? "full" : "delta");
	return 0;
}
