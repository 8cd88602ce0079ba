// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-uplink -c passgated.conf: the gate's link to the station
 * (docs/station.md).  libmosquitto runs the connection on its own thread
 * (reconnecting with backoff); this thread moves journal rows up, saves the
 * delivered mark and writes the metrics.  The journal is polled every
 * POLL_MS when idle: it is another process's file.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "uplink.h"
#include "common/batch.h"
#include "common/version.h"
#include "gate/core/service.h"
#include "common/caps.h"
#include "station/mqtt_tls.h"
#include "gate/core/journal.h"

#define POLL_MS 100
#define KEEPALIVE_S 10

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct uplink *u = arg;

	if (rc) {
		passgate_log_pri(LOG_ERR, PASSGATE_LOG_FIELDS(
				 .reason = mosquitto_connack_string(rc)),
				 "broker refused the connection: %s",
				 mosquitto_connack_string(rc));
		return;
	}
	passgate_log_pri(LOG_NOTICE, NULL, "connected to %s:%u",
			 u->cfg.mqtt_host, u->cfg.mqtt_port);
	mosquitto_publish(m, NULL, u->status_topic, 6, "online", 1, true);
	mosquitto_subscribe(m, NULL, u->lists_topic, 1);
	outbox_on_connect(u);
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	struct uplink *u = arg;

	(void)m;
	pthread_mutex_lock(&u->lock);
	u->connected = false;
	pthread_mutex_unlock(&u->lock);
	passgate_log_pri(LOG_WARNING, NULL, "disconnected (%s); reconnecting",
			 mosquitto_strerror(rc));
}

static void on_message(struct mosquitto *m, void *arg,
		       const struct mosquitto_message *msg)
{
	(void)m;
	if (!outbox_on_message(arg, msg->topic, msg->payload, msg->payloadlen))
		lists_on_message(arg, msg->topic, msg->payload,
				 msg->payloadlen);
}

/*
 * The network thread.  libmosquitto's own (mosquitto_loop_start()) ends
 * for good on a "fatal" error, and a TLS connection cut without a
 * close_notify (a broker killed, a cable pulled) is one: the gate would
 * never reconnect.  Here every end of mosquitto_loop_forever() but a stop
 * is followed by a pause and another round, which reconnects.
 */
static void *net_loop(void *arg)
{
	struct uplink *u = arg;
	int rc, said = MOSQ_ERR_SUCCESS;

	while (!stopping) {
		rc = mosquitto_loop_forever(u->mosq, 1000, 1);
		if (stopping)
			break;
		if (rc != said)
			passgate_log_pri(LOG_WARNING, NULL,
					 "network: %s; connecting again",
					 rc == MOSQ_ERR_ERRNO ?
					 strerror(errno) :
					 mosquitto_strerror(rc));
		said = rc;
		sleep(1);
		mosquitto_reconnect_async(u->mosq);
	}
	return NULL;
}

static int setup(struct uplink *u)
{
	const struct passgate_config *c = &u->cfg;
	char id[128], err[PATH_MAX * 3 + 64];

	snprintf(u->rows_topic, sizeof(u->rows_topic),
		 "passgate/%s/gates/%s/rows", c->station, c->gate_name);
	snprintf(u->stored_topic, sizeof(u->stored_topic),
		 "passgate/%s/gates/%s/stored", c->station, c->gate_name);
	snprintf(u->resend_topic, sizeof(u->resend_topic),
		 "passgate/%s/gates/%s/resend", c->station, c->gate_name);
	snprintf(u->status_topic, sizeof(u->status_topic),
		 "passgate/%s/gates/%s/status", c->station, c->gate_name);
	snprintf(u->lists_topic, sizeof(u->lists_topic), "passgate/%s/lists/#",
		 c->station);
	snprintf(u->outbox_path, sizeof(u->outbox_path),
		 "%s/uplink-%s.delivered", c->uplink_dir, c->gate_name);
	if (!c->collector_key_set)
		passgate_log_pri(LOG_WARNING, NULL,
				 "no collector_key: the collector's "
				 "confirmations are taken unsigned "
				 "(docs/station.md, \"Delivery\")");
	if (mkdir(c->uplink_dir, 0700) && errno != EEXIST) {
		passgate_log_pri(LOG_ERR, NULL, "%s: %s", c->uplink_dir,
				 strerror(errno));
		return -1;
	}
	snprintf(id, sizeof(id), "passgate-%s-%s", c->station, c->gate_name);
	u->flight = calloc(c->mqtt_inflight, sizeof(*u->flight));
	u->batch = malloc(PASSGATE_BATCH_SIZE_MAX);
	if (!u->flight || !u->batch)
		return -1;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->moved, NULL);

	if (lists_start(u))
		return -1;
	mosquitto_lib_init();
	/* Clean session: what was in flight is published again from the
	 * delivered mark; the lists are retained on the broker. */
	u->mosq = mosquitto_new(id, true, u);
	if (!u->mosq)
		return -1;
	/* TLS with the gate's own identity once the station has a CA. */
	if (c->mqtt_ca[0] &&
	    passgate_mqtt_tls(u->mosq, c->mqtt_ca, c->mqtt_cert, c->mqtt_key,
			      err, sizeof(err))) {
		passgate_log_pri(LOG_ERR, NULL, "%s", err);
		return -2;	/* said */
	}
	mosquitto_will_set(u->mosq, u->status_topic, 7, "offline", 1, true);
	mosquitto_max_inflight_messages_set(u->mosq, c->mqtt_inflight);
	mosquitto_connect_callback_set(u->mosq, on_connect);
	mosquitto_disconnect_callback_set(u->mosq, on_disconnect);
	mosquitto_message_callback_set(u->mosq, on_message);
	mosquitto_reconnect_delay_set(u->mosq, 1, 5, false);
	/* Unreachable now is fine: the loop thread keeps trying. */
	if (mosquitto_connect_async(u->mosq, c->mqtt_host, c->mqtt_port,
				    KEEPALIVE_S) != MOSQ_ERR_SUCCESS)
		passgate_log_pri(LOG_WARNING, NULL,
				 "broker %s:%u not reachable yet", c->mqtt_host,
				 c->mqtt_port);
	mosquitto_threaded_set(u->mosq, true);
	return pthread_create(&u->net_thread, NULL, net_loop, u) ? -1 : 0;
}

static void wait_a_moment(struct uplink *u)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += POLL_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&u->lock);
	pthread_cond_timedwait(&u->moved, &u->lock, &until);
	pthread_mutex_unlock(&u->lock);
}

static const char usage_text[] =
	"usage: passgate-uplink [-c|--config FILE]\n"
	"       passgate-uplink -h|--help | -V|--version\n"
	"One gate's link to the station: its journal up as sealed batches,\n"
	"lists down into the spool's inbox (docs/station.md).  FILE, the\n"
	"gate's passgated.conf, defaults to " PASSGATE_CONFIG_FILE ".\n"
	"Exit status: 0 stopped on a signal, 1 failed, 2 bad usage.\n";

int main(int argc, char **argv)
{
	static struct uplink u;
	struct sigaction sa = { .sa_handler = on_signal };
	const char *config = PASSGATE_CONFIG_FILE;
	char err[256];
	int opt, ret;

	passgate_log_open("passgate-uplink");
	opt = passgate_config_cli(argc, argv, "passgate-uplink", usage_text,
				  &config);
	if (opt >= 0)
		return opt;
	passgate_config_defaults(&u.cfg);
	if (passgate_config_load(config, &u.cfg, err, sizeof(err))) {
		passgate_log_pri(LOG_ERR, NULL, "%s", err);
		return 1;
	}
	passgate_log_gate(u.cfg.gate);
	if (!u.cfg.mqtt_port) {
		passgate_log_pri(LOG_ERR, NULL, "%s: no mqtt_broker", config);
		return 1;
	}
	/* It talks to the network and needs no capability at all. */
	if (passgate_caps_limit(0)) {
		passgate_log_pri(LOG_ERR, NULL, "dropping capabilities: %s",
				 strerror(errno));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = setup(&u);
	if (ret) {
		if (ret != -2)
			passgate_log_pri(LOG_ERR, NULL, "setup: %s",
					 strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	passgate_service_ready();
	while (!stopping) {
		/* The loop turns every POLL_MS: a hang stops the pings. */
		passgate_service_alive();
		if (!u.journal && outbox_open(&u)) {
			wait_a_moment(&u);
			continue;
		}
		outbox_pump(&u);	/* says what failed, once */
		outbox_save(&u);
		metrics_write(&u);
		wait_a_moment(&u);
	}
	passgate_service_stopping();
	mosquitto_publish(u.mosq, NULL, u.status_topic, 7, "offline", 1, true);
	mosquitto_disconnect(u.mosq);
	pthread_join(u.net_thread, NULL);
	lists_stop(&u);
	outbox_close(&u);
	metrics_write(&u);
	mosquitto_destroy(u.mosq);
	mosquitto_lib_cleanup();
	return 0;
}
