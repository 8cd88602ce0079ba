// SPDX-License-Identifier: GPL-2.0-only
/*
 * The status topics (broker.h).  libmosquitto's loop is driven here, as
 * the collector drives it, so that a broker lost to a TLS error is
 * connected to again (libmosquitto's own loop would give up) and a stop
 * request is heard within a second.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "gate/core/log.h"
#include "station/mqtt_tls.h"
#include "station/station_args.h"
#include "broker.h"

#define KEEPALIVE_S 30
#define RECONNECT_MIN_MS 250
#define RECONNECT_MAX_MS 8000

struct broker {
	struct mosquitto *mosq;
	struct gates *gs;
	pthread_t thread;
	atomic_bool stop;
	char host[256];
	int port;
	char prefix[64];	/* passgate/STATION/gates/ */
	char topic[80];		/* ...+/status */
};

/* passgate/STATION/gates/GATE/status: the gate; NULL for anything else. */
static const char *topic_gate(const struct broker *b, const char *topic,
			      size_t *len)
{
	size_t n = strlen(b->prefix);
	const char *gate = topic + n, *slash;

	if (strncmp(topic, b->prefix, n))
		return NULL;
	slash = strchr(gate, '/');
	if (!slash || strcmp(slash, "/status") ||
	    !passgate_station_valid_name(gate, slash - gate))
		return NULL;
	*len = slash - gate;
	return gate;
}

static void on_message(struct mosquitto *mosq, void *obj,
		       const struct mosquitto_message *msg)
{
	struct broker *b = obj;
	char name[PASSGATE_STATION_NAME_MAX + 1];
	enum gate_status status;
	const char *gate;
	size_t len;

	(void)mosq;
	gate = topic_gate(b, msg->topic, &len);
	if (!gate)
		return;
	memcpy(name, gate, len);
	name[len] = '\0';
	/* An empty retained message clears the status. */
	if (msg->payloadlen == 6 && !memcmp(msg->payload, "online", 6))
		status = GATE_STATUS_ONLINE;
	else if (msg->payloadlen == 7 && !memcmp(msg->payload, "offline", 7))
		status = GATE_STATUS_OFFLINE;
	else if (!msg->payloadlen)
		status = GATE_STATUS_UNKNOWN;
	else {
		passgate_log_pri(LOG_WARNING, NULL, "%s: not a status,"
				 " ignored", msg->topic);
		return;
	}
	gates_set_status(b->gs, name, status);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct broker *b = obj;

	if (rc) {
		passgate_log_pri(LOG_ERR, NULL, "broker refused: %s",
				 mosquitto_connack_string(rc));
		return;
	}
	rc = mosquitto_subscribe(mosq, NULL, b->topic, 1);
	if (rc)
		passgate_log_pri(LOG_ERR, NULL, "subscribe: %s",
				 mosquitto_strerror(rc));
}

/* The broker's answer: only then are the statuses it sends known. */
static void on_subscribe(struct mosquitto *mosq, void *obj, int mid,
			 int count, const int *granted)
{
	struct broker *b = obj;

	(void)mosq;
	(void)mid;
	if (count != 1 || granted[0] > 2) {
		passgate_log_pri(LOG_ERR, NULL, "%s: subscription refused"
				 " (the broker's ACL?)", b->topic);
		return;
	}
	passgate_log_pri(LOG_NOTICE, NULL, "subscribed to %s", b->topic);
	gates_set_broker(b->gs, true);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	struct broker *b = obj;

	(void)mosq;
	gates_set_broker(b->gs, false);
	if (rc && !b->stop)
		passgate_log_pri(LOG_WARNING, NULL, "broker connection lost");
}

static void pause_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void *run(void *arg)
{
	struct broker *b = arg;
	unsigned int ms = RECONNECT_MIN_MS;
	int rc;

	rc = mosquitto_connect(b->mosq, b->host, b->port, KEEPALIVE_S);
	while (!b->stop) {
		if (rc == MOSQ_ERR_SUCCESS) {
			ms = RECONNECT_MIN_MS;
			rc = mosquitto_loop(b->mosq, 1000, 1);
			continue;
		}
		if (rc != MOSQ_ERR_NO_CONN && rc != MOSQ_ERR_CONN_LOST)
			passgate_log_pri(LOG_WARNING, NULL, "broker %s:%d: %s",
					 b->host, b->port,
					 rc == MOSQ_ERR_ERRNO ?
					 strerror(errno) :
					 mosquitto_strerror(rc));
		gates_set_broker(b->gs, false);
		pause_ms(ms);
		ms = ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : ms * 2;
		if (!b->stop)
			rc = mosquitto_reconnect(b->mosq);
	}
	mosquitto_disconnect(b->mosq);
	return NULL;
}

struct broker *broker_start(const struct broker_config *cfg,
			    struct gates *gs, char *err, size_t errlen)
{
	struct broker *b = calloc(1, sizeof(*b));
	int rc;

	if (!b) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	b->gs = gs;
	snprintf(b->host, sizeof(b->host), "%s", cfg->host);
	b->port = cfg->port;
	snprintf(b->prefix, sizeof(b->prefix), "passgate/%s/gates/",
		 cfg->station);
	snprintf(b->topic, sizeof(b->topic), "%s+/status", b->prefix);
	mosquitto_lib_init();
	/* A clean session: the retained statuses come again on connect. */
	b->mosq = mosquitto_new(cfg->client_id, true, b);
	if (!b->mosq) {
		snprintf(err, errlen, "mosquitto_new: %s", strerror(errno));
		goto cleanup;
	}
	mosquitto_int_option(b->mosq, MOSQ_OPT_PROTOCOL_VERSION,
			     MQTT_PROTOCOL_V311);
	if (cfg->cafile && passgate_mqtt_tls(b->mosq, cfg->cafile, cfg->cert,
					     cfg->key, err, errlen))
		goto destroy;
	mosquitto_connect_callback_set(b->mosq, on_connect);
	mosquitto_disconnect_callback_set(b->mosq, on_disconnect);
	mosquitto_subscribe_callback_set(b->mosq, on_subscribe);
	mosquitto_message_callback_set(b->mosq, on_message);
	rc = pthread_create(&b->thread, NULL, run, b);
	if (rc) {
		snprintf(err, errlen, "a thread for the broker: %s",
			 strerror(rc));
		goto destroy;
	}
	return b;
destroy:
	mosquitto_destroy(b->mosq);
cleanup:
	mosquitto_lib_cleanup();
	free(b);
	return NULL;
}

void broker_stop(struct broker *b)
{
	if (!b)
		return;
	b->stop = true;
	pthread_join(b->thread, NULL);
	mosquitto_destroy(b->mosq);
	mosquitto_lib_cleanup();
	free(b);
}
