// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-collector: every gate's journal rows from the station's MQTT
 * broker into PostgreSQL (docs/station.md, "Collector").
 *
 * One thread, libmosquitto's own loop driven from here so that a stop
 * request and the reconnect pauses stay ours.  A row is stored and
 * committed inside the message callback; while PostgreSQL is down the
 * callback waits for it, so the loop reads nothing more from the broker
 * and acknowledges nothing more (see "What acknowledged means").
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "row.h"
#include "store.h"
#include "station/mqtt_tls.h"

#define KEEPALIVE_S 30
#define RECONNECT_MIN_MS 250
#define RECONNECT_MAX_MS 8000

static volatile sig_atomic_t stop;

struct collector {
	struct store *store;
	char topic[128];
	unsigned long once;	/* stop after this many new rows; 0: never */
	unsigned long inserted, duplicates, conflicts, refused;
	int failed;		/* a row was acknowledged but not stored */
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: passgate-collector --client-id ID [--broker HOST[:PORT]]\n"
		"                          [--db CONNINFO] [--station NAME|+]\n"
		"                          [--keepalive SECONDS] [--once N]\n"
		"                          [--cafile CA --cert CRT --key KEY]\n"
		"Stores every journal row published on passgate/STATION/gates/+/events\n"
		"into the events table of PostgreSQL (docs/station.md).\n");
}

/* passgate/<station>/gates/<gate>/events: the gate, or NULL. */
static const char *topic_gate(const char *topic, size_t *len)
{
	const char *p = topic, *gate;

	if (strncmp(p, "passgate/", 9))
		return NULL;
	p += 9;
	gate = strchr(p, '/');
	if (!gate || !row_valid_name(p, gate - p) || strncmp(gate, "/gates/", 7))
		return NULL;
	gate += 7;
	p = strchr(gate, '/');
	if (!p || strcmp(p, "/events") || !row_valid_name(gate, p - gate))
		return NULL;
	*len = p - gate;
	return gate;
}

static void refuse(struct collector *c, const char *topic, const char *why,
		   const struct mosquitto_message *msg)
{
	c->refused++;
	fprintf(stderr,
		"passgate-collector: refused row (refused %lu) on %s: %s: %.*s\n",
		c->refused, topic, why,
		msg->payloadlen > 200 ? 200 : msg->payloadlen,
		(const char *)msg->payload);
}

/*
 * libmosquitto has already queued, and written, the PUBACK of a QoS 1
 * message when it calls this (lib/handle_publish.c: send__puback() and
 * then callback__on_message()).  So the broker forgets the row before it
 * is committed here: docs/station.md says what that costs.
 */
static void on_message(struct mosquitto *mosq, void *obj,
		       const struct mosquitto_message *msg)
{
	struct collector *c = obj;
	const char *gate, *payload = msg->payload;
	char why[256];
	struct row row;
	size_t len;

	gate = topic_gate(msg->topic, &len);
	if (!gate) {
		refuse(c, msg->topic, "not an events topic", msg);
		return;
	}
	if (msg->payloadlen <= 0 ||
	    row_parse(payload, msg->payloadlen, &row, why, sizeof(why))) {
		refuse(c, msg->topic, msg->payloadlen <= 0 ? "empty" : why, msg);
		return;
	}
	if (strlen(row.text[ROW_GATE]) != len ||
	    memcmp(row.text[ROW_GATE], gate, len)) {
		refuse(c, msg->topic, "gate is not the topic's gate", msg);
		return;
	}
	switch (store_row(c->store, &row, why, sizeof(why))) {
	case STORE_INSERTED:
		c->inserted++;
		break;
	case STORE_DUPLICATE:
		c->duplicates++;
		break;
	case STORE_CONFLICT:
		c->conflicts++;
		fprintf(stderr, "passgate-collector: CONFLICT (%lu): %s, "
			"kept the stored row, not this one: %.*s\n",
			c->conflicts, why, msg->payloadlen, payload);
		break;
	case STORE_REFUSED:
		refuse(c, msg->topic, why, msg);
		break;
	case STORE_STOPPED:
		/* Acknowledged to the broker already: say so, for replay. */
		c->failed = 1;
		fprintf(stderr, "passgate-collector: stopped before storing "
			"(acknowledged, NOT STORED) %s: %.*s\n", msg->topic,
			msg->payloadlen, payload);
		mosquitto_disconnect(mosq);
		return;
	}
	if (c->once && c->inserted >= c->once) {
		stop = 1;
		mosquitto_disconnect(mosq);
	}
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct collector *c = obj;

	if (rc) {
		fprintf(stderr, "passgate-collector: broker refused: %s\n",
			mosquitto_connack_string(rc));
		return;
	}
	/*
	 * The session survives (clean session off), its subscription too;
	 * subscribing again costs nothing and covers a broker that lost it.
	 */
	rc = mosquitto_subscribe(mosq, NULL, c->topic, 1);
	if (rc)
		fprintf(stderr, "passgate-collector: subscribe: %s\n",
			mosquitto_strerror(rc));
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid,
			 int count, const int *granted)
{
	struct collector *c = obj;

	(void)mosq;
	(void)mid;
	if (count != 1 || granted[0] != 1)
		fprintf(stderr, "passgate-collector: %s: not granted QoS 1\n",
			c->topic);
	else
		fprintf(stderr, "passgate-collector: subscribed to %s\n",
			c->topic);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	(void)mosq;
	(void)obj;
	if (rc && !stop)
		fprintf(stderr, "passgate-collector: broker connection lost\n");
}

static void pause_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* HOST, HOST:PORT or [V6]:PORT. */
static int parse_broker(char *arg, char **host, int *port)
{
	char *colon, *end;
	long p = 1883;

	if (arg[0] == '[') {
		*host = arg + 1;
		colon = strchr(arg, ']');
		if (!colon)
			return -1;
		*colon++ = '\0';
		if (*colon && *colon != ':')
			return -1;
	} else {
		*host = arg;
		colon = strrchr(arg, ':');
	}
	if (colon && *colon == ':') {
		*colon = '\0';
		errno = 0;
		p = strtol(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1 || p < 1 || p > 65535)
			return -1;
	}
	*port = p;
	return **host ? 0 : -1;
}

static int parse_count(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || end == s || s[0] == '-' ? -1 : 0;
}

/* Connect, then run until stopped, reconnecting with a growing pause. */
static int run(struct mosquitto *mosq, const char *host, int port,
	       int keepalive)
{
	unsigned int ms = RECONNECT_MIN_MS;
	int rc;

	rc = mosquitto_connect(mosq, host, port, keepalive);
	while (!stop) {
		if (rc == MOSQ_ERR_SUCCESS) {
			ms = RECONNECT_MIN_MS;
			rc = mosquitto_loop(mosq, 1000, 1);
			continue;
		}
		if (rc != MOSQ_ERR_NO_CONN && rc != MOSQ_ERR_CONN_LOST)
			fprintf(stderr, "passgate-collector: broker %s:%d: %s\n",
				host, port, rc == MOSQ_ERR_ERRNO ?
				strerror(errno) : mosquitto_strerror(rc));
		pause_ms(ms);
		ms = ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : ms * 2;
		if (!stop)
			rc = mosquitto_reconnect(mosq);
	}
	/* Not a clean session: the broker keeps queueing for us. */
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct collector c = { 0 };
	char broker_default[] = "127.0.0.1:1883";
	char *broker = broker_default, *host;
	const char *id = NULL, *db = "", *station = "+";
	const char *ca = NULL, *cert = "", *key = "";
	char err[512];
	unsigned long keepalive = KEEPALIVE_S;
	struct sigaction sa = { .sa_handler = on_signal };
	struct mosquitto *mosq;
	int opt, port;

	while ((opt = getopt_long(argc, argv, "b:i:d:s:k:n:h", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'A':
			ca = optarg;
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
	if (optind != argc || !id || !*id ||
	    parse_broker(broker, &host, &port) ||
	    (strcmp(station, "+") &&
	     !row_valid_name(station, strlen(station)))) {
		usage(stderr);
		return 2;
	}
	snprintf(c.topic, sizeof(c.topic), "passgate/%s/gates/+/events",
		 station);

	/* No SA_RESTART: a stop request cuts a wait or a select() short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The database first: nothing is acknowledged until it is there. */
	c.store = store_open(db, &stop);
	if (!c.store)
		return stop ? 0 : 1;

	mosquitto_lib_init();
	mosq = mosquitto_new(id, false, &c);
	if (!mosq) {
		fprintf(stderr, "passgate-collector: mosquitto_new: %s\n",
			strerror(errno));
		store_close(c.store);
		return 1;
	}
	mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION,
			     MQTT_PROTOCOL_V311);
	/* The collector's own identity, once the station has a CA. */
	if (ca && passgate_mqtt_tls(mosq, ca, cert, key, err, sizeof(err))) {
		fprintf(stderr, "passgate-collector: %s\n", err);
		mosquitto_destroy(mosq);
		store_close(c.store);
		return 2;
	}
	mosquitto_connect_callback_set(mosq, on_connect);
	mosquitto_disconnect_callback_set(mosq, on_disconnect);
	mosquitto_subscribe_callback_set(mosq, on_subscribe);
	mosquitto_message_callback_set(mosq, on_message);

	run(mosq, host, port, keepalive);

	fprintf(stderr, "passgate-collector: stopped: stored %lu, "
		"duplicate %lu, conflict %lu, refused %lu\n", c.inserted,
		c.duplicates, c.conflicts, c.refused);
	mosquitto_destroy(mosq);
	mosquitto_lib_cleanup();
	store_close(c.store);
	return c.failed ? 1 : 0;
}
