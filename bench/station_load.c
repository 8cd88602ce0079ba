// SPDX-License-Identifier: GPL-2.0-only
/*
 * make station's load generator: many simulated gates, MQTT clients only.
 *
 *   station_load --prepare DIR [--gates N] [--events M]
 *   station_load --broker HOST:PORT --db CONNINFO --dir DIR [--gates N]
 *                [--events M] [--deltas R] [--cafile CA --certs CERTDIR]
 *                [--figures FILE]
 *
 * --prepare writes, for each simulated gate sim-I, a real journal
 * (DIR/sim-I.db, the gate's own journal code, M events committed 64 at a
 * time, sealed with a key of its own) and the collector's registry
 * (DIR/registry).  Then, against a running broker and collector:
 *
 * 1. Propagation: every simulated gate subscribes to the station's delta
 *    topic, as passgate-uplink does; R deltas are published (QoS 1), each
 *    stamped with its send time, and every gate's receive time gives one
 *    sample of "published to a gate": p50 and p99.
 * 2. Throughput: every gate publishes its journal as the uplink does, as
 *    sealed batches of up to 64 rows (one commit), 64 batches in flight;
 *    the rows count once the collector has verified and stored them
 *    (its chain table, polled): rows per second through broker,
 *    collector and PostgreSQL together.
 *
 * With --cafile, every gate connects on TLS with its own certificate
 * (CERTDIR/gate-sim-I.crt and .key, passgate-station-ca gate).  With
 * --figures, the figures are also written to FILE, one key=value a line
 * (delta_p50_ms, delta_p99_ms, delta_samples, rows_sent, rows_stored,
 * rows_seconds, rows_per_s), for scripts/station.sh.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <mosquitto.h>
#include <sodium.h>

#include "common/batch.h"
#include "gate/core/journal.h"
#include "station/mqtt_tls.h"

#define STATION "load"
#define INFLIGHT 64
#define BATCH_ROWS 64

/* A simulated gate's journal as the batches its uplink would send. */
struct sim_batch {
	uint8_t *data;
	long len;
};

struct sim_gate {
	struct mosquitto *m;
	unsigned int id;
	pthread_mutex_t lock;
	int inflight;
	uint64_t acked;
	double *samples;	/* propagation, per delta */
	unsigned int received;
	int subscribed;
	struct sim_batch *batch;
	unsigned int nbatch;
	uint64_t rows;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void on_message(struct mosquitto *m, void *arg,
		       const struct mosquitto_message *msg)
{
	struct sim_gate *g = arg;
	double sent;

	(void)m;
	if (msg->payloadlen <= 0 || sscanf(msg->payload, "%lf", &sent) != 1)
		return;
	pthread_mutex_lock(&g->lock);
	g->samples[g->received++] = now_s() - sent;
	pthread_mutex_unlock(&g->lock);
}

static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n,
			 const int *qos)
{
	struct sim_gate *g = arg;

	(void)m;
	(void)mid;
	(void)n;
	(void)qos;
	pthread_mutex_lock(&g->lock);
	g->subscribed = 1;
	pthread_mutex_unlock(&g->lock);
}

static void on_publish(struct mosquitto *m, void *arg, int mid)
{
	struct sim_gate *g = arg;

	(void)m;
	(void)mid;
	pthread_mutex_lock(&g->lock);
	g->inflight--;
	g->acked++;
	pthread_mutex_unlock(&g->lock);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Rows verified and stored: the sum of the simulated gates' heads. */
static long long db_count(PGconn *db)
{
	PGresult *r = PQexec(db, "SELECT coalesce(sum(pos), 0) FROM chain"
			     " WHERE gate LIKE 'sim-%'");
	long long n = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

static void sim_seed(unsigned int i, uint8_t *seed)
{
	char name[32];

	snprintf(name, sizeof(name), "passgate bench sim-%u", i);
	crypto_hash_sha256(seed, (const uint8_t *)name, strlen(name));
}

/* Journals and the registry, made before anything is measured. */
static int prepare(const char *dir, unsigned int gates, unsigned int events)
{
	static const uint8_t id[PASSGATE_JOURNAL_STREAM_ID_SIZE] = { 1 };
	uint8_t seed[32], pk[32], sk[64];
	char path[512], hex[65], err[256];
	struct passgate_journal *j;
	FILE *reg;

	snprintf(path, sizeof(path), "%s/registry", dir);
	reg = fopen(path, "we");
	if (!reg)
		return -1;
	for (unsigned int i = 0; i < gates; i++) {
		sim_seed(i, seed);
		crypto_sign_seed_keypair(pk, sk, seed);
		sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
		fprintf(reg, "sim-%u %u %s\n", i, i, hex);
		snprintf(path, sizeof(path), "%s/sim-%u.db", dir, i);
		j = passgate_journal_open(path, i, PASSGATE_JOURNAL_CREATE, err,
					  sizeof(err));
		if (!j || passgate_journal_set_seal_key(j, sk) ||
		    passgate_journal_begin_stream(j, id) ||
		    passgate_journal_set_batch(j, BATCH_ROWS, 10000)) {
			fprintf(stderr, "station_load: %s: %s\n", path,
				j ? passgate_journal_errmsg(j) : err);
			return -1;
		}
		for (unsigned int k = 0; k < events; k++) {
			struct passgate_event ev = {
				.seq = k, .time_ns = k, .type = PASSGATE_EV_SCAN,
				.lane = 0, .arg = PASSGATE_CRED_HEALTH_CODE,
			};

			memset(ev.data, k, sizeof(ev.data));
			if (passgate_journal_append(j, &ev))
				return -1;
		}
		if (passgate_journal_flush(j))
			return -1;
		passgate_journal_close(j);
	}
	return fclose(reg);
}

/* The batches sim-@i's uplink would publish, read from its journal. */
static int load_batches(const char *dir, struct sim_gate *g)
{
	struct passgate_journal *j;
	uint64_t after = 0, last;
	char path[512], err[256];
	uint8_t *buf = malloc(PASSGATE_BATCH_SIZE_MAX);
	long n;

	snprintf(path, sizeof(path), "%s/sim-%u.db", dir, g->id);
	j = passgate_journal_open(path, g->id, PASSGATE_JOURNAL_RDONLY, err,
				  sizeof(err));
	if (!j || !buf)
		return -1;
	while ((n = passgate_journal_export(j, after, BATCH_ROWS, buf,
					    &last)) > 0) {
		g->batch = realloc(g->batch, (g->nbatch + 1) * sizeof(*g->batch));
		g->batch[g->nbatch].data = malloc(n);
		memcpy(g->batch[g->nbatch].data, buf, n);
		g->batch[g->nbatch++].len = n;
		after = last;
	}
	g->rows = after;
	passgate_journal_close(j);
	free(buf);
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "broker", required_argument, NULL, 'b' },
		{ "db", required_argument, NULL, 'd' },
		{ "gates", required_argument, NULL, 'g' },
		{ "events", required_argument, NULL, 'e' },
		{ "deltas", required_argument, NULL, 'r' },
		{ "prepare", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'D' },
		{ "cafile", required_argument, NULL, 'A' },
		{ "certs", required_argument, NULL, 'C' },
		{ "figures", required_argument, NULL, 'F' },
		{ 0 },
	};
	unsigned int gates = 50, events = 200, deltas = 20, i, k, n = 0;
	char *broker = NULL, *conninfo = NULL, *colon, topic[128];
	char *prep = NULL, *dir = NULL, *ca = NULL, *certs = NULL;
	FILE *figures = NULL;
	char payload[512], id[32], crt[512], key[512], err[512];
	long long total = 0;
	struct mosquitto *pubm;
	struct sim_gate *g;
	double *all, t0, t1;
	long long stored, before;
	PGconn *db;
	int opt, port, mid;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'b': broker = optarg; break;
		case 'd': conninfo = optarg; break;
		case 'g': gates = atoi(optarg); break;
		case 'e': events = atoi(optarg); break;
		case 'r': deltas = atoi(optarg); break;
		case 'p': prep = optarg; break;
		case 'D': dir = optarg; break;
		case 'A': ca = optarg; break;
		case 'C': certs = optarg; break;
		case 'F':
			figures = fopen(optarg, "we");
			if (!figures) {
				perror(optarg);
				return 1;
			}
			break;
		default: return 2;
		}
	}
	if (sodium_init() < 0)
		return 1;
	if (prep)
		return gates && !prepare(prep, gates, events) ? 0 : 1;
	if (!broker || !conninfo || !gates || !deltas || !dir ||
	    (ca && !certs) ||
	    !(colon = strrchr(broker, ':')))
		return 2;
	*colon = '\0';
	port = atoi(colon + 1);
	db = PQconnectdb(conninfo);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "station_load: %s", PQerrorMessage(db));
		return 1;
	}
	before = db_count(db);
	mosquitto_lib_init();
	g = calloc(gates, sizeof(*g));
	all = calloc((size_t)gates * deltas, sizeof(*all));
	for (i = 0; i < gates; i++) {
		snprintf(id, sizeof(id), "sim-%u", i);
		g[i].id = i;
		g[i].samples = calloc(deltas, sizeof(double));
		pthread_mutex_init(&g[i].lock, NULL);
		if (load_batches(dir, &g[i])) {
			fprintf(stderr, "station_load: sim-%u's journal\n", i);
			return 1;
		}
		total += g[i].rows;
		g[i].m = mosquitto_new(id, true, &g[i]);
		if (ca) {
			snprintf(crt, sizeof(crt), "%s/gate-sim-%u.crt", certs, i);
			snprintf(key, sizeof(key), "%s/gate-sim-%u.key", certs, i);
			if (passgate_mqtt_tls(g[i].m, ca, crt, key, err,
					      sizeof(err))) {
				fprintf(stderr, "station_load: %s\n", err);
				return 1;
			}
		}
		mosquitto_message_callback_set(g[i].m, on_message);
		mosquitto_publish_callback_set(g[i].m, on_publish);
		mosquitto_subscribe_callback_set(g[i].m, on_subscribe);
		mosquitto_max_inflight_messages_set(g[i].m, INFLIGHT);
		if (mosquitto_connect(g[i].m, broker, port, 30) ||
		    mosquitto_loop_start(g[i].m)) {
			fprintf(stderr, "station_load: gate %u cannot connect\n",
				i);
			return 1;
		}
		snprintf(topic, sizeof(topic), "passgate/" STATION "/lists/delta/#");
		mosquitto_subscribe(g[i].m, NULL, topic, 1);
	}
	/* Every gate's SUBACK before the first delta. */
	for (i = 0; i < gates; i++) {
		for (;;) {
			pthread_mutex_lock(&g[i].lock);
			opt = g[i].subscribed;
			pthread_mutex_unlock(&g[i].lock);
			if (opt)
				break;
			usleep(1000);
		}
	}

	/*
	 * The deltas' publisher: on TLS its own identity (CERTDIR/
	 * publisher.crt), the only one the station's ACL lets publish lists.
	 */
	pubm = mosquitto_new(NULL, true, NULL);
	if (ca) {
		snprintf(crt, sizeof(crt), "%s/publisher.crt", certs);
		snprintf(key, sizeof(key), "%s/publisher.key", certs);
		if (passgate_mqtt_tls(pubm, ca, crt, key, err, sizeof(err))) {
			fprintf(stderr, "station_load: %s\n", err);
			return 1;
		}
	}
	if (mosquitto_connect(pubm, broker, port, 30) ||
	    mosquitto_loop_start(pubm)) {
		fprintf(stderr, "station_load: the publisher cannot connect\n");
		return 1;
	}

	/* 1. Deltas down to every gate. */
	for (k = 0; k < deltas; k++) {
		snprintf(topic, sizeof(topic), "passgate/" STATION
			 "/lists/delta/%u", k + 1);
		snprintf(payload, sizeof(payload), "%.9f", now_s());
		mosquitto_publish(pubm, &mid, topic, strlen(payload) + 1,
				  payload, 1, false);
		for (;;) {
			unsigned int got = 0;

			for (i = 0; i < gates; i++) {
				pthread_mutex_lock(&g[i].lock);
				got += g[i].received > k;
				pthread_mutex_unlock(&g[i].lock);
			}
			if (got == gates)
				break;
			usleep(1000);
		}
	}
	for (i = 0; i < gates; i++)
		for (k = 0; k < deltas; k++)
			all[n++] = g[i].samples[k];
	qsort(all, n, sizeof(*all), cmp);
	printf("delta to %u gates%s: p50 %.1f ms, p99 %.1f ms (%u samples)\n",
	       gates, ca ? " on TLS" : "", 1000 * all[(n - 1) / 2],
	       1000 * all[(n * 99 + 99) / 100 - 1], n);
	if (figures)
		fprintf(figures, "delta_p50_ms=%.1f\ndelta_p99_ms=%.1f\n"
			"delta_samples=%u\n", 1000 * all[(n - 1) / 2],
			1000 * all[(n * 99 + 99) / 100 - 1], n);

	/*
	 * 2. Rows up, through broker and collector into PostgreSQL, batch
	 * by batch, round robin over the gates, at most INFLIGHT batches
	 * of a gate unacknowledged by the broker.
	 */
	t0 = now_s();
	for (k = 0;; k++) {
		unsigned int sent = 0;

		for (i = 0; i < gates; i++) {
			if (k >= g[i].nbatch)
				continue;
			for (;;) {
				pthread_mutex_lock(&g[i].lock);
				if (g[i].inflight < INFLIGHT) {
					g[i].inflight++;
					pthread_mutex_unlock(&g[i].lock);
					break;
				}
				pthread_mutex_unlock(&g[i].lock);
				usleep(200);
			}
			snprintf(topic, sizeof(topic),
				 "passgate/" STATION "/gates/sim-%u/rows", i);
			mosquitto_publish(g[i].m, NULL, topic, g[i].batch[k].len,
					  g[i].batch[k].data, 1, false);
			sent++;
		}
		if (!sent)
			break;
	}
	do {
		stored = db_count(db) - before;
		if (stored < total)
			usleep(20000);
	} while (stored >= 0 && stored < total && now_s() - t0 < 600);
	t1 = now_s();
	printf("rows up%s: %lld from %u gates in %.2f s: %.0f rows/s "
	       "(sealed batches of up to %d rows; broker + collector + "
	       "PostgreSQL)\n", ca ? " on TLS" : "", stored, gates, t1 - t0,
	       stored / (t1 - t0), BATCH_ROWS);
	if (figures && fprintf(figures, "rows_sent=%lld\nrows_stored=%lld\n"
			       "rows_seconds=%.2f\nrows_per_s=%.0f\n", total,
			       stored, t1 - t0, stored / (t1 - t0)) < 0)
		stored = -1;
	if (figures && fclose(figures))
		stored = -1;
	for (i = 0; i < gates; i++) {
		mosquitto_disconnect(g[i].m);
		mosquitto_loop_stop(g[i].m, false);
		mosquitto_destroy(g[i].m);
	}
	mosquitto_disconnect(pubm);
	mosquitto_loop_stop(pubm, false);
	mosquitto_destroy(pubm);
	mosquitto_lib_cleanup();
	PQfinish(db);
	return stored == total ? 0 : 1;
}
