// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-collector: every gate's journal rows from the station's MQTT
 * broker into PostgreSQL (docs/station.md, "Collector").
 *
 * A gate publishes its rows as sealed batches (common/batch.h).  The
 * collector checks each against the gate's public key from the registry
 * and against the chain it already holds, stores it (with the others of
 * the same read from the broker, burst.c) in one transaction, and only
 * then confirms: a retained "stored" message with the gate's verified
 * head, which is what moves the gate's delivered mark (answer.c).  A
 * batch that does not follow the head is not stored: the collector asks
 * the gate to resend from the head.
 *
 * One thread, libmosquitto's own loop driven from here so that a stop
 * request and the reconnect pauses stay ours.  While PostgreSQL is down
 * the store waits for it, so the loop reads nothing more.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <sodium.h>

#include "common/file.h"
#include "common/seed.h"
#include "common/version.h"
#include "gate/core/log.h"
#include "gate/core/service.h"
#include "collector.h"
#include "station/mqtt_tls.h"
#include "station/station_args.h"

#define KEEPALIVE_S 30
#define RECONNECT_MIN_MS 250
#define RECONNECT_MAX_MS 8000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: passgate-collector --client-id ID --gates REGISTRY\n"
		"                          --station NAME --confirm-key FILE\n"
		"                          [--broker HOST[:PORT]]\n"
		"                          [--db CONNINFO] [--keepalive SECONDS]\n"
		"                          [--once N] [--cafile CA --cert CRT --key KEY]\n"
		"                          [--store batch|row]\n"
		"Verifies the sealed batches of journal rows every enrolled gate\n"
		"publishes on passgate/STATION/gates/GATE/rows and stores them in\n"
		"PostgreSQL (docs/station.md).  --store row: one INSERT per row,\n"
		"the baseline make station measures against, not for use.\n"
		"       passgate-collector -h|--help | -V|--version\n"
		"       passgate-collector --keygen FILE\n"
		"Makes a confirmation key (FILE, 0600) and prints its public half\n"
		"for the gates' collector_key.\n"
		"Exit status: 0 stopped on a signal, 1 failed, 2 bad usage.\n");
}

/* passgate/<station>/gates/<gate>/rows: the gate, or NULL. */
static const char *topic_gate(const struct collector *c, const char *topic,
			      size_t *len)
{
	size_t n = strlen(c->station);
	const char *gate, *p;

	if (strncmp(topic, "passgate/", 9) || strncmp(topic + 9, c->station, n) ||
	    strncmp(topic + 9 + n, "/gates/", 7))
		return NULL;
	gate = topic + 9 + n + 7;
	p = strchr(gate, '/');
	if (!p || strcmp(p, "/rows") || !passgate_station_valid_name(gate, p - gate))
		return NULL;
	*len = p - gate;
	return gate;
}

/*
 * A new connection to PostgreSQL may be to a restored database: read
 * every gate's head from it again.
 */
static void forget_heads_if_reconnected(struct collector *c)
{
	unsigned long n = store_connections(c->store);

	if (n == c->db_connections)
		return;
	c->db_connections = n;
	for (size_t i = 0; i < c->registry.count; i++)
		c->registry.gate[i].head_known = 0;
}

/*
 * libmosquitto has already acknowledged the message when it calls this;
 * that acknowledgement promises nothing: the gate counts a row delivered
 * only on answer_stored(), after the COMMIT.  A batch that passes every
 * check waits in the burst, which run() stores once the broker's socket
 * has nothing more to read (or here, once the burst is full).
 */
static void on_message(struct mosquitto *mosq, void *obj,
		       const struct mosquitto_message *msg)
{
	struct collector *c = obj;
	struct passgate_batch *b = &c->batch;
	struct registry_gate *g;
	const char *gate;
	char why[256];
	uint32_t from;
	size_t len;

	gate = topic_gate(c, msg->topic, &len);
	if (!gate)
		return;		/* not a rows topic of this station */
	g = registry_find(&c->registry, gate, len);
	if (!g) {
		answer_refused(c, NULL, gate, len, "not in the gate registry");
		return;
	}
	b->rows = burst_rows(&c->burst);
	if (msg->payloadlen <= 0 ||
	    passgate_batch_parse(msg->payload, msg->payloadlen, b, why,
				 sizeof(why))) {
		answer_refused(c, g, gate, len,
			       msg->payloadlen <= 0 ? "empty" : why);
		return;
	}
	if (b->gate != g->number) {
		snprintf(why, sizeof(why), "rows of gate number %u, enrolled"
			 " as %u", b->gate, g->number);
		answer_refused(c, g, gate, len, why);
		return;
	}
	if (passgate_batch_verify(b, g->pk)) {
		snprintf(why, sizeof(why), "positions %" PRIu64 "..%" PRIu64
			 ": the seal is not the gate's", b->first, b->last);
		answer_refused(c, g, gate, len, why);
		return;
	}
	forget_heads_if_reconnected(c);
	if (!g->head_known && burst_read_head(mosq, c, g))
		return;
	/* Against the queued head: the burst's batches count as stored. */
	if (b->last <= g->queued_pos) {
		c->duplicates++;
		/* Else the burst's COMMIT confirms it. */
		if (b->last <= g->head_pos)
			answer_stored(mosq, c, g);
		return;
	}
	if (b->first > g->queued_pos + 1) {
		c->gaps++;
		answer_resend(mosq, c, g, false);
		return;
	}
	/* The row before the first new one must be the head we hold. */
	from = g->queued_pos + 1 - b->first;
	if (memcmp(from ? b->rows[from - 1].hash : b->prev, g->queued_hash,
		   sizeof(g->queued_hash))) {
		snprintf(why, sizeof(why), "positions %" PRIu64 "..%" PRIu64
			 " do not follow the verified row %" PRIu64, b->first,
			 b->last, g->queued_pos);
		answer_refused(c, g, gate, len, why);
		return;
	}
	burst_add(&c->burst, g, b, from, msg->payload, msg->payloadlen);
	if (!burst_room(&c->burst))
		burst_flush(mosq, c);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct collector *c = obj;

	if (rc) {
		passgate_log_pri(LOG_ERR, NULL, "broker refused: %s",
				 mosquitto_connack_string(rc));
		return;
	}
	/*
	 * The session survives (clean session off), its subscription too;
	 * subscribing again costs nothing and covers a broker that lost it.
	 */
	rc = mosquitto_subscribe(mosq, NULL, c->topic, 1);
	if (rc)
		passgate_log_pri(LOG_ERR, NULL, "subscribe: %s",
				 mosquitto_strerror(rc));
	/*
	 * Whatever was in flight while we were away is gone with the clean
	 * session: every gate sends again from what the database holds.
	 */
	for (size_t i = 0; i < c->registry.count; i++) {
		struct registry_gate *g = &c->registry.gate[i];

		if (!g->head_known && burst_read_head(mosq, c, g))
			continue;
		answer_stored(mosq, c, g);
		answer_resend(mosq, c, g, true);
	}
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid,
			 int count, const int *granted)
{
	struct collector *c = obj;

	(void)mosq;
	(void)mid;
	if (count != 1 || granted[0] != 1)
		passgate_log_pri(LOG_ERR, NULL, "%s: not granted QoS 1",
				 c->topic);
	else
		passgate_log_pri(LOG_NOTICE, NULL, "subscribed to %s",
				 c->topic);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	(void)mosq;
	(void)obj;
	if (rc && !stop)
		passgate_log_pri(LOG_WARNING, NULL, "broker connection lost");
}

static void pause_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A new confirmation key (0600), its public half printed. */
static int keygen(const char *path)
{
	uint8_t seed[PASSGATE_SEED_SIZE], pk[32], sk[64];
	char hex[2 * sizeof(pk) + 1];

	if (sodium_init() < 0)
		return 1;
	if (passgate_seed_create(path, seed)) {
		passgate_log_pri(LOG_ERR, NULL, "%s: %s", path,
				 errno == EEXIST ? "exists already" :
				 strerror(errno));
		return 1;
	}
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
	printf("%s\n", hex);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

static int load_key(const char *path, uint8_t *sk, char *err, size_t errlen)
{
	uint8_t seed[PASSGATE_SEED_SIZE], pk[32];

	if (passgate_seed_read(path, seed)) {
		snprintf(err, errlen, "%s: %s", path, errno == EBADMSG ?
			 "not 64 hex digits" : passgate_file_strerror(errno));
		return -1;
	}
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

static int parse_count(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || end == s || s[0] == '-' ? -1 : 0;
}

/* The broker's socket has more to read now. */
static bool readable(struct mosquitto *mosq)
{
	struct pollfd p = { .fd = mosquitto_socket(mosq), .events = POLLIN };

	return p.fd >= 0 && poll(&p, 1, 0) == 1;
}

/*
 * One round: whatever the broker has sent, read, and the batches among
 * it stored together.  It stops reading once the burst is stored from
 * the message callback (full): the confirmations made there go out with
 * the next mosquitto_loop(), which also keeps the connection alive.
 */
static int read_burst(struct mosquitto *mosq, struct collector *c)
{
	unsigned long flushes = c->burst.flushes;
	int rc;

	rc = mosquitto_loop(mosq, 1000, 1);
	while (rc == MOSQ_ERR_SUCCESS && !stop &&
	       c->burst.flushes == flushes && readable(mosq))
		rc = mosquitto_loop_read(mosq, 1);
	/* Read, verified: stored now, even if the connection was lost. */
	burst_flush(mosq, c);
	return rc;
}

/* Connect, then run until stopped, reconnecting with a growing pause. */
static int run(struct mosquitto *mosq, struct collector *c, const char *host,
	       int port, int keepalive)
{
	unsigned int ms = RECONNECT_MIN_MS;
	int rc;

	rc = mosquitto_connect(mosq, host, port, keepalive);
	while (!stop) {
		/* Each round is at most a second, or a store's pause. */
		passgate_service_alive();
		if (rc == MOSQ_ERR_SUCCESS) {
			ms = RECONNECT_MIN_MS;
			rc = read_burst(mosq, c);
			continue;
		}
		if (rc != MOSQ_ERR_NO_CONN && rc != MOSQ_ERR_CONN_LOST)
			passgate_log_pri(LOG_WARNING, NULL,
					 "broker %s:%d: %s", host, port,
					 rc == MOSQ_ERR_ERRNO ?
					 strerror(errno) :
					 mosquitto_strerror(rc));
		pause_ms(ms);
		ms = ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : ms * 2;
		if (!stop)
			rc = mosquitto_reconnect(mosq);
	}
	passgate_service_stopping();
	mosquitto_disconnect(mosq);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "broker", required_argument, NULL, 'b' },
		{ "client-id", required_argument, NULL, 'i' },
		{ "db", required_argument, NULL, 'd' },
		{ "station", required_argument, NULL, 's' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "once", required_argument, NULL, 'n' },
		{ "cafile", required_argument, NULL, 'A' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "gates", required_argument, NULL, 'g' },
		{ "confirm-key", required_argument, NULL, 'S' },
		{ "keygen", required_argument, NULL, 'G' },
		{ "store", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct collector c = { 0 };
	char broker_default[] = "127.0.0.1:1883";
	char *broker = broker_default, *host;
	const char *id = NULL, *db = "", *station = NULL, *gates = NULL;
	const char *confirm_key = NULL;
	const char *ca = NULL, *cert = "", *key = "";
	char err[512];
	unsigned long keepalive = KEEPALIVE_S;
	struct sigaction sa = { .sa_handler = on_signal };
	enum store_mode mode = STORE_MODE_BATCH;
	struct mosquitto *mosq;
	int opt, port;

	passgate_log_open("passgate-collector");
	while ((opt = getopt_long(argc, argv, "b:i:d:s:k:n:hV", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'V':
			return passgate_print_version("passgate-collector");
		case 'A':
			ca = optarg;
			break;
		case 'g':
			gates = optarg;
			break;
		case 'S':
			confirm_key = optarg;
			break;
		case 'G':
			return keygen(optarg);
		case 'T':
			if (!strcmp(optarg, "batch")) {
				mode = STORE_MODE_BATCH;
			} else if (!strcmp(optarg, "row")) {
				mode = STORE_MODE_ROW;
			} else {
				usage(stderr);
				return 2;
			}
			break;
		case 'C':
			cert = optarg;
			break;
		case 'K':
			key = optarg;
			break;
		case 'b':
			broker = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 's':
			station = optarg;
			break;
		case 'k':
			if (parse_count(optarg, &keepalive) || keepalive < 5 ||
			    keepalive > 65535) {
				usage(stderr);
				return 2;
			}
			break;
		case 'n':
			if (parse_count(optarg, &c.once) || !c.once) {
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/*
	 * A fixed client id is what makes the session persistent: the broker
	 * queues for that id while the collector is away.
	 */
	if (optind != argc || !id || !*id || !gates || !station || !confirm_key ||
	    passgate_station_parse_broker(broker, &host, &port) ||
	    !passgate_station_valid_name(station, strlen(station))) {
		usage(stderr);
		return 2;
	}
	snprintf(c.station, sizeof(c.station), "%s", station);
	snprintf(c.topic, sizeof(c.topic), "passgate/%s/gates/+/rows",
		 station);
	if (sodium_init() < 0 ||
	    load_key(confirm_key, c.sk, err, sizeof(err)) ||
	    registry_load(gates, &c.registry, err, sizeof(err))) {
		passgate_log_pri(LOG_ERR, NULL, "%s", err);
		return 2;
	}
	/* The baseline stores each batch alone, as the collector used to. */
	if (burst_init(&c.burst, mode == STORE_MODE_ROW ? 1 : BURST_ITEMS)) {
		passgate_log_pri(LOG_ERR, NULL, "%s", strerror(errno));
		return 1;
	}
	c.stop = &stop;

	/* No SA_RESTART: a stop request cuts a wait or a select() short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * Ready: it runs, and stores once PostgreSQL is there (waiting for
	 * it pings systemd's watchdog).  The database first: nothing is
	 * taken from the broker before there is somewhere to put it.
	 */
	passgate_service_ready();
	c.store = store_open(db, mode, &stop);
	if (!c.store)
		return stop ? 0 : 1;
	/* Heads are read on connecting to the broker: not again at once. */
	c.db_connections = store_connections(c.store);

	mosquitto_lib_init();
	/*
	 * A clean session: the broker keeps nothing for the collector while
	 * it is away (no digests at rest there); the gates resend from the
	 * verified heads it states on connecting.
	 */
	mosq = mosquitto_new(id, true, &c);
	if (!mosq) {
		passgate_log_pri(LOG_ERR, NULL, "mosquitto_new: %s",
				 strerror(errno));
		store_close(c.store);
		return 1;
	}
	mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION,
			     MQTT_PROTOCOL_V311);
	/* The collector's own identity, once the station has a CA. */
	if (ca && passgate_mqtt_tls(mosq, ca, cert, key, err, sizeof(err))) {
		passgate_log_pri(LOG_ERR, NULL, "%s", err);
		mosquitto_destroy(mosq);
		store_close(c.store);
		return 2;
	}
	mosquitto_connect_callback_set(mosq, on_connect);
	mosquitto_disconnect_callback_set(mosq, on_disconnect);
	mosquitto_subscribe_callback_set(mosq, on_subscribe);
	mosquitto_message_callback_set(mosq, on_message);

	run(mosq, &c, host, port, keepalive);

	passgate_log_pri(LOG_NOTICE, NULL, "stopped: stored %lu rows in %lu"
			 " batches; duplicate %lu, gap %lu, refused %lu",
			 c.inserted, c.batches, c.duplicates, c.gaps,
			 c.refused);
	mosquitto_destroy(mosq);
	mosquitto_lib_cleanup();
	store_close(c.store);
	registry_free(&c.registry);
	burst_free(&c.burst);
	return 0;
}
