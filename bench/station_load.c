// SPDX-License-Identifier: GPL-2.0-only
/*
 * make station's load generator: many simulated gates, MQTT clients only.
 *
 *   station_load --broker HOST:PORT --db CONNINFO [--gates N]
 *                [--events M] [--deltas R]
 *
 * 1. Propagation: every simulated gate subscribes to the station's delta
 *    topic, as passgate-uplink does; R deltas are published (retained,
 *    QoS 1), each stamped with its send time, and every gate's receive
 *    time gives one sample of "published to a gate": p50 and p99.
 * 2. Throughput: every gate publishes M journal rows at QoS 1 as fast as
 *    the broker acknowledges them (64 in flight, as the uplink); the rows
 *    count once they are in PostgreSQL (the collector's table, polled):
 *    events per second through broker and collector together.
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

#define STATION "load"
#define INFLIGHT 64

struct sim_gate {
	struct mosquitto *m;
	unsigned int id;
	pthread_mutex_t lock;
	int inflight;
	uint64_t acked;
	double *samples;	/* propagation, per delta */
	unsigned int received;
	int subscribed;
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

static long long db_count(PGconn *db)
{
	PGresult *r = PQexec(db, "SELECT count(*) FROM events WHERE gate "
			     "LIKE 'sim-%'");
	long long n = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "broker", required_argument, NULL, 'b' },
		{ "db", required_argument, NULL, 'd' },
		{ "gates", required_argument, NULL, 'g' },
		{ "events", required_argument, NULL, 'e' },
		{ "deltas", required_argument, NULL, 'r' },
		{ 0 },
	};
	unsigned int gates = 50, events = 200, deltas = 20, i, k, n = 0;
	char *broker = NULL, *conninfo = NULL, *colon, topic[128];
	char payload[512], id[32];
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
		default: return 2;
		}
	}
	if (!broker || !conninfo || !gates || !deltas ||
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
		g[i].m = mosquitto_new(id, true, &g[i]);
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

	/* 1. Deltas down to every gate. */
	for (k = 0; k < deltas; k++) {
		snprintf(topic, sizeof(topic), "passgate/" STATION
			 "/lists/delta/%u", k + 1);
		snprintf(payload, sizeof(payload), "%.9f", now_s());
		mosquitto_publish(g[0].m, &mid, topic, strlen(payload) + 1,
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
	printf("delta to %u gates: p50 %.1f ms, p99 %.1f ms (%u samples)\n",
	       gates, 1000 * all[(n - 1) / 2], 1000 * all[(n * 99 + 99) / 100 - 1],
	       n);

	/* 2. Events up, through broker and collector into PostgreSQL. */
	t0 = now_s();
	for (k = 0; k < events; k++) {
		for (i = 0; i < gates; i++) {
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
				 "passgate/" STATION "/gates/sim-%u/events", i);
			snprintf(payload, sizeof(payload),
				 "{\"gate\":\"sim-%u\",\"pos\":%u,\"kind\":\"event\","
				 "\"stream\":1,\"seq\":%u,\"type\":\"scan\","
				 "\"lane\":0,\"arg\":1,\"value\":0,\"time_ns\":%u,"
				 "\"stored_ns\":%lld,\"data\":\"%064d\","
				 "\"hash\":\"%064d\"}", i, k + 1, k, k,
				 (long long)(now_s() * 1e9), 0, 0);
			mosquitto_publish(g[i].m, NULL, topic, strlen(payload),
					  payload, 1, false);
		}
	}
	do {
		stored = db_count(db) - before;
		if (stored < (long long)gates * events)
			usleep(20000);
	} while (stored >= 0 && stored < (long long)gates * events &&
		 now_s() - t0 < 600);
	t1 = now_s();
	printf("events up: %lld from %u gates in %.2f s: %.0f events/s "
	       "(broker + collector + PostgreSQL)\n", stored, gates, t1 - t0,
	       stored / (t1 - t0));
	for (i = 0; i < gates; i++) {
		mosquitto_disconnect(g[i].m);
		mosquitto_loop_stop(g[i].m, false);
		mosquitto_destroy(g[i].m);
	}
	mosquitto_lib_cleanup();
	PQfinish(db);
	return stored == (long long)gates * events ? 0 : 1;
}
