// SPDX-License-Identifier: GPL-2.0-only
/*
 * A station in one guest (docs/station.md): a real Mosquitto on TLS with
 * a certificate per gate, a real PostgreSQL with passgate-collector, an
 * HTTP server for full lists, and per gate of this machine a passgated
 * and a passgate-uplink.  A full generation is announced and fetched, a
 * delta published inline while scans stream (one gate's uplink down then:
 * it catches up from the retained delta), the collector and then the
 * broker killed with SIGKILL during the stream and started again; at the
 * end every gate is on the newest generation and every row of every
 * journal is in PostgreSQL exactly once, verified under the gate's seal
 * key, with no gap.  PASSGATE_STATION_SCANS scans per gate and phase
 * (default 15; make station runs more).
 *
 * Servers are started as processes and waited for by connecting (bounded);
 * the database is polled until it holds what the journals hold (bounded):
 * both are other processes' progress, with no event to wait on.
 *
 * The same in the x86_64 guest (the host's root) and in the arm64 one (its
 * rootfs, scripts/setup-arm64.sh): PostgreSQL's programs by their own
 * folder (psql in PATH is a Perl wrapper on Debian), PostgreSQL as nobody
 * by setpriv (runuser would want PAM), the repository's
 * station/passgate-station-ca below $PASSGATE_REPO (the guests set it;
 * the arm64 tests run in the arm64 module's folder), else in the working
 * directory.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "policy_env.h"
#include "gate/core/journal.h"
#include "gate/core/state.h"
#include "common/listfile.h"
#include "common/minisign.h"

#define GATES_MAX 4
#define WAIT_MS 60000
#define PGBIN "/usr/lib/postgresql/15/bin"
/* PostgreSQL will not run as root. */
#define AS_NOBODY "setpriv --reuid nobody --regid nogroup --clear-groups -- "
#define STATION "st1"
#define PIN_ROOT "/sys/fs/bpf/passgate-station"

struct station_gate {
	unsigned int id;
	unsigned int lane;
	char name[32];
	char config[PATH_MAX];
	char journal[PATH_MAX];
	int bridge;
	int events;
	pid_t daemon, uplink;
};

FIXTURE(station) {
	char dir[64];
	char bin[PATH_MAX];
	char ca_tool[PATH_MAX];	/* station/passgate-station-ca */
	char conninfo[256];
	char publisher[320];	/* its TLS options, mosquitto_pub's names */
	char confirm_pk[72];	/* the collector's confirmation key */
	int mqtt_port, pg_port, http_port;
	pid_t mosquitto, collector, http;
	struct passgate_seckey *sec;
	struct station_gate gate[GATES_MAX];
	unsigned int gates;
	bool pg_started;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* A server is up once it accepts a connection on loopback. */
static int wait_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	long long end = now_ms() + WAIT_MS;
	int s, ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	do {
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ok = s >= 0 && !connect(s, (struct sockaddr *)&a, sizeof(a));
		close(s);
		if (ok)
			return 0;
		poll(NULL, 0, 50);
	} while (now_ms() < end);
	return -1;
}

/* Run @argv, as @user with no capability unless @user is NULL. */
static pid_t spawn_as(const char *log, const char *user, char *const argv[])
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (user)
		exec_as(user, "", argv);
	else
		execvp(argv[0], argv);
	_exit(127);
}

static pid_t spawn(const char *log, char *const argv[])
{
	return spawn_as(log, NULL, argv);
}

static void stop(pid_t *pid, int sig)
{
	if (*pid > 0)
		process_stop(*pid, sig);
	*pid = -1;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -1;
}

/* One number from psql, or -1. */
static long long sql(FIXTURE_DATA(station) *self, const char *query)
{
	char cmd[1024], out[64] = "";
	long long v = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 PGBIN "/psql '%s' -XAtq -c \"%s\" 2>/dev/null",
		 self->conninfo, query);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fgets(out, sizeof(out), p))
		v = strtoll(out, NULL, 10);
	pclose(p);
	return v;
}

static int start_mosquitto(FIXTURE_DATA(station) *self)
{
	char conf[PATH_MAX], log[PATH_MAX], text[1536];
	char *argv[] = { "mosquitto", "-c", conf, NULL };

	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", self->dir);
	snprintf(log, sizeof(log), "%s/mosquitto.log", self->dir);
	/*
	 * Persistence: retained lists and the collector's session survive a
	 * restart.  Started as root, mosquitto runs as user mosquitto: its
	 * folder is that user's.
	 */
	if (run("mkdir -p %s/mq && cp %s/ca/ca.crt %s/ca/broker.crt "
		"%s/ca/broker.key %s/mq/ && %s acl %s/ca > %s/mq/acl && "
		"chown -R mosquitto %s/mq", self->dir, self->dir, self->dir,
		self->dir, self->dir, self->ca_tool, self->dir, self->dir,
		self->dir))
		return -1;
	/* TLS only, a client certificate required, its CN the user name. */
	snprintf(text, sizeof(text),
		 "listener %d 127.0.0.1\ncafile %s/mq/ca.crt\n"
		 "certfile %s/mq/broker.crt\nkeyfile %s/mq/broker.key\n"
		 "tls_version tlsv1.2\nrequire_certificate true\n"
		 "use_identity_as_username true\nallow_anonymous false\n"
		 "acl_file %s/mq/acl\n"
		 "persistence true\npersistence_location %s/mq/\n"
		 "autosave_interval 1\nmax_queued_messages 0\n"
		 "log_type error\nlog_type warning\nlog_type notice\n"
		 "log_type information\nlog_type subscribe\n",
		 self->mqtt_port, self->dir, self->dir, self->dir, self->dir,
		 self->dir);
	if (file_write(conf, text, strlen(text)))
		return -1;
	self->mosquitto = spawn(log, argv);
	return wait_port(self->mqtt_port);
}

static int start_postgres(FIXTURE_DATA(station) *self)
{
	char pg[PATH_MAX];

	snprintf(pg, sizeof(pg), "%s/pg", self->dir);
	if (run("mkdir -p %s && chown nobody %s %s && " AS_NOBODY
		PGBIN "/initdb -D %s -A trust -U postgres --no-sync "
		">%s/initdb.log 2>&1", pg, pg, self->dir, pg, self->dir))
		return -1;
	self->pg_started = true;
	if (run(AS_NOBODY PGBIN "/pg_ctl -D %s -w -t 60 -l %s/pg.log"
		" -o '-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off'"
		" start >/dev/null", pg, self->dir, self->pg_port, pg))
		return -1;
	snprintf(self->conninfo, sizeof(self->conninfo),
		 "host=127.0.0.1 port=%d user=postgres dbname=postgres",
		 self->pg_port);
	return 0;
}

/*
 * The collector's gate registry, as the operator enrolls each gate: its
 * name, number and the seal key its passgated made on first start.
 */
static int write_registry(FIXTURE_DATA(station) *self)
{
	char path[PATH_MAX];
	unsigned int i;

	snprintf(path, sizeof(path), "%s/gates", self->dir);
	if (run(": > %s", path))
		return -1;
	for (i = 0; i < self->gates; i++)
		if (run("echo %s %u $(cat %s/%s/state/seal-gate%u.pub) >> %s",
			self->gate[i].name, self->gate[i].id, self->dir,
			self->gate[i].name, self->gate[i].id, path))
			return -1;
	return 0;
}

static int start_collector(FIXTURE_DATA(station) *self)
{
	char bin[PATH_MAX + 32], broker[32], log[PATH_MAX];
	char ca[96], cert[96], key[96], gates[96], confirm[96];
	char *argv[] = { bin, "--client-id", "collector-" STATION, "--broker",
			 broker, "--db", self->conninfo, "--cafile", ca,
			 "--cert", cert, "--key", key, "--station", STATION,
			 "--gates", gates, "--confirm-key", confirm, NULL };

	snprintf(gates, sizeof(gates), "%s/gates", self->dir);
	snprintf(confirm, sizeof(confirm), "%s/confirm.key", self->dir);
	snprintf(ca, sizeof(ca), "%s/ca/ca.crt", self->dir);
	snprintf(cert, sizeof(cert), "%s/ca/collector.crt", self->dir);
	snprintf(key, sizeof(key), "%s/ca/collector.key", self->dir);

	snprintf(bin, sizeof(bin), "%s/passgate-collector", self->bin);
	snprintf(broker, sizeof(broker), "127.0.0.1:%d", self->mqtt_port);
	snprintf(log, sizeof(log), "%s/collector.log", self->dir);
	self->collector = spawn(log, argv);
	return self->collector > 0 ? 0 : -1;
}

/*
 * The list server: https with a certificate from the station's CA for
 * 127.0.0.1, Python's own http.server behind TLS.
 */
static const char https_server[] =
	"import functools, http.server, ssl, sys\n"
	"port, www, crt, key = sys.argv[1:]\n"
	"h = functools.partial(http.server.SimpleHTTPRequestHandler,"
	" directory=www)\n"
	"s = http.server.ThreadingHTTPServer(('127.0.0.1', int(port)), h)\n"
	"c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
	"c.load_cert_chain(crt, key)\n"
	"s.socket = c.wrap_socket(s.socket, server_side=True)\n"
	"s.serve_forever()\n";

static int start_http(FIXTURE_DATA(station) *self)
{
	char www[PATH_MAX], port[16], log[PATH_MAX], crt[96], key[96];
	char *argv[] = { "python3", "-c", (char *)https_server, port, www,
			 crt, key, NULL };

	snprintf(crt, sizeof(crt), "%s/ca/lists.crt", self->dir);
	snprintf(key, sizeof(key), "%s/ca/lists.key", self->dir);
	snprintf(www, sizeof(www), "%s/www", self->dir);
	snprintf(port, sizeof(port), "%d", self->http_port);
	snprintf(log, sizeof(log), "%s/http.log", self->dir);
	if (mkdir(www, 0755))
		return -1;
	self->http = spawn(log, argv);
	return wait_port(self->http_port);
}

static int setup_gate(FIXTURE_DATA(station) *self, struct station_gate *g)
{
	char path[256], text[4096];

	snprintf(g->name, sizeof(g->name), "exit-%u", g->id);
	snprintf(path, sizeof(path), "%s/%s", self->dir, g->name);
	if (run("mkdir -p %s/trust %s/spool/inbox %s/state %s/uplink && "
		"cp %s/issuer.pub %s/trust/ && cp %s/id.key %s/", path, path,
		path, path, self->dir, path, self->dir, path))
		return -1;
	/* The gate's identity, issued when the station was set up. */
	if (run("cp %s/ca/ca.crt %s/uplink/ca.crt && cp %s/ca/gate-%s.crt "
		"%s/uplink/gate.crt && cp %s/ca/gate-%s.key %s/uplink/gate.key",
		self->dir, path, self->dir, g->name, path, self->dir, g->name,
		path))
		return -1;
	snprintf(g->journal, sizeof(g->journal), "%s/state/journal.db", path);
	snprintf(text, sizeof(text),
		 "gate = %u\ngate_name = %s\nstation = " STATION "\n"
		 "trust_dir = %s/trust\nspool_dir = %s/spool\n"
		 "state_dir = %s/state\nid_key_file = %s/id.key\n"
		 "journal = %s\npin_root = " PIN_ROOT "\n"
		 "mqtt_broker = 127.0.0.1:%d\n"
		 "metrics_file = %s/state/metrics.prom\n"
		 "uplink_dir = %s/uplink\n"
		 "uplink_metrics_file = %s/uplink/metrics.prom\n"
		 "mqtt_ca = %s/uplink/ca.crt\n"
		 "mqtt_cert = %s/uplink/gate.crt\n"
		 "mqtt_key = %s/uplink/gate.key\n"
		 "collector_key = %s\n",
		 g->id, g->name, path, path, path, path, g->journal,
		 self->mqtt_port, path, path, path, path, path, path,
		 self->confirm_pk);
	snprintf(g->config, sizeof(g->config), "%s/passgated.conf", path);
	if (file_write(g->config, text, strlen(text)) ||
	    chmod(g->config, 0644))
		return -1;
	/* A new gate's rollback record, as its install seeds it. */
	snprintf(text, sizeof(text), "%s/state", path);
	if (passgate_record_seed(text, g->id, 0))
		return -1;
	/* Owners and modes as dist/passgate.tmpfiles gives them. */
	if (run("chown passgate:passgate-uplink %s/spool && chmod 0710 %s/spool"
		" && chown passgate:passgate-uplink %s/spool/inbox && "
		"chmod 1770 %s/spool/inbox && chown -R passgate:passgate-uplink"
		" %s/state && chmod 2750 %s/state && chown passgate-uplink %s/uplink"
		" && chmod 0700 %s/uplink && chown -R passgate-uplink %s/uplink"
		" && chmod 0600 %s/uplink/gate.key && chown passgate %s/id.key && "
		"chmod 0600 %s/id.key", path, path, path, path, path, path, path,
		path, path, path, path, path))
		return -1;
	g->events = gate_open(g->id, O_RDWR | O_NONBLOCK);
	g->bridge = lane_open(g->id, g->lane, "scanboard", O_RDWR | O_NONBLOCK);
	if (g->events < 0 || g->bridge < 0 || lseek(g->events, 0, SEEK_END) < 0)
		return -1;
	snprintf(text, sizeof(text), "%s/passgated.log", path);
	/* As dist/passgated@.service runs it. */
	g->daemon = passgated_start_as(g->config, text, "passgate",
				       "+bpf,+perfmon");
	return g->daemon > 0 ? 0 : -1;
}

static int start_uplink(FIXTURE_DATA(station) *self, struct station_gate *g)
{
	char bin[PATH_MAX + 32], log[PATH_MAX];
	char *argv[] = { bin, "-c", g->config, NULL };

	snprintf(bin, sizeof(bin), "%s/passgate-uplink", self->bin);
	snprintf(log, sizeof(log), "%s/%s/uplink.log", self->dir, g->name);
	/* As dist/passgate-uplink@.service runs it: no capability. */
	g->uplink = spawn_as(log, "passgate-uplink", argv);
	return g->uplink > 0 ? 0 : -1;
}

FIXTURE_SETUP(station)
{
	char path[PATH_MAX], pub[PATH_MAX], err[256];
	const char *repo;
	unsigned int id;

	self->mosquitto = self->collector = self->http = -1;
	ASSERT_EQ(0, gate_restore());
	if (!gatepc_ready())
		SKIP(return, "not a gate PC: no passgate users or udev rule "
		     "(qemu/guest-privileges.sh said why)");
	/* The nodes of the restored gate have the rule's group. */
	ASSERT_EQ(0, gatepc_settle());
	ASSERT_EQ(0, build_bin_dir(self->bin, sizeof(self->bin)));
	ASSERT_EQ(0, run("mkdir -p " PIN_ROOT " && chown passgate:passgate "
			 PIN_ROOT " && chmod 0750 " PIN_ROOT));
	ASSERT_EQ(0, run("ip link set lo up"));
	snprintf(self->dir, sizeof(self->dir), "/tmp/station-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, chmod(self->dir, 0755));
	snprintf(pub, sizeof(pub), "%s/issuer.pub", self->dir);
	snprintf(path, sizeof(path), "%s/issuer.key", self->dir);
	ASSERT_EQ(0, passgate_seckey_generate(pub, path, err, sizeof(err)));
	self->sec = passgate_seckey_load(path, err, sizeof(err));
	ASSERT_NE(NULL, self->sec);
	snprintf(path, sizeof(path), "%s/id.key", self->dir);
	ASSERT_EQ(0, file_write(path, POLICY_ENV_ID_KEY,
				strlen(POLICY_ENV_ID_KEY)));

	/*
	 * The station's CA (station/passgate-station-ca): the broker's
	 * certificate, the collector's, the publisher's and one per gate
	 * of this machine's firmware, named as setup_gate() names them.
	 */
	repo = getenv("PASSGATE_REPO");
	snprintf(self->ca_tool, sizeof(self->ca_tool), "%s%sstation/%s",
		 repo ? repo : "", repo ? "/" : "", "passgate-station-ca");
	ASSERT_EQ(0, run("%1$s init %2$s/ca " STATION " >/dev/null && "
			 "%1$s broker %2$s/ca 127.0.0.1 >/dev/null && "
			 "%1$s collector %2$s/ca >/dev/null && "
			 "%1$s publisher %2$s/ca >/dev/null && "
			 "%1$s lists %2$s/ca 127.0.0.1 >/dev/null",
			 self->ca_tool, self->dir));
	for (id = 0; id < GATES_MAX; id++) {
		int fd = gate_open(id, O_RDWR);

		if (fd < 0)
			continue;
		close(fd);
		ASSERT_EQ(0, run("%s gate %s/ca exit-%u >/dev/null",
				 self->ca_tool, self->dir, id));
	}

	/* The collector's confirmation key; each gate pins its public half. */
	{
		char cmd[PATH_MAX * 2];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "%s/passgate-collector --keygen "
			 "%s/confirm.key", self->bin, self->dir);
		p = popen(cmd, "r");
		ASSERT_NE(NULL, p);
		ASSERT_NE(NULL, fgets(self->confirm_pk, sizeof(self->confirm_pk),
				      p));
		pclose(p);
		self->confirm_pk[strcspn(self->confirm_pk, "\n")] = '\0';
		ASSERT_EQ(64, strlen(self->confirm_pk));
	}

	snprintf(self->publisher, sizeof(self->publisher),
		 "--cafile %s/ca/ca.crt --cert %s/ca/publisher.crt "
		 "--key %s/ca/publisher.key", self->dir, self->dir, self->dir);

	self->mqtt_port = free_port();
	self->pg_port = free_port();
	self->http_port = free_port();
	ASSERT_EQ(0, start_mosquitto(self));
	ASSERT_EQ(0, start_postgres(self));
	ASSERT_EQ(0, start_http(self));

	/* Every gate this machine's firmware describes, on its last lane. */
	for (id = 0; id < GATES_MAX; id++) {
		struct station_gate *g = &self->gate[self->gates];
		int fd = gate_open(id, O_RDWR);

		if (fd < 0)
			continue;
		close(fd);
		g->id = id;
		g->lane = id == 0 ? 1 : 0;
		g->daemon = g->uplink = -1;
		ASSERT_EQ(0, setup_gate(self, g)) TH_LOG("gate %u", id);
		ASSERT_EQ(0, start_uplink(self, g));
		self->gates++;
	}
	ASSERT_LT(0, self->gates);
	ASSERT_EQ(0, write_registry(self));
	ASSERT_EQ(0, start_collector(self));
}

FIXTURE_TEARDOWN(station)
{
	unsigned int i;

	if (!_metadata->passed)
		run("tail -n 40 %s/*/uplink.log %s/*/passgated.log "
		    "%s/collector.log | sed 's/^/# /'; grep -v 'Saving in-memory'"
		    " %s/mosquitto.log | tail -n 60 | sed 's/^/# /'", self->dir,
		    self->dir, self->dir, self->dir);

	for (i = 0; i < self->gates; i++) {
		stop(&self->gate[i].uplink, SIGTERM);
		stop(&self->gate[i].daemon, SIGTERM);
		close(self->gate[i].events);
		close(self->gate[i].bridge);
	}
	passgate_policy_unpin(PIN_ROOT, 0);
	for (i = 0; i < GATES_MAX; i++)
		passgate_policy_unpin(PIN_ROOT, i);
	stop(&self->collector, SIGTERM);
	stop(&self->http, SIGTERM);
	stop(&self->mosquitto, SIGTERM);
	if (self->pg_started)
		run(AS_NOBODY PGBIN "/pg_ctl -D %s/pg -m immediate "
		    "stop >/dev/null 2>&1", self->dir);
	passgate_seckey_free(self->sec);
	run("rm -rf %s", self->dir);
	gate_restore();
}

/* Sign generation @gen (full: codes 0..n-1 GREEN; delta: @n GREEN, 0 gone). */
static int make_list(FIXTURE_DATA(station) *self, char *path, uint64_t gen,
		     bool full, unsigned int n)
{
	struct passgate_list_info info = {
		.kind = full ? PASSGATE_LIST_FULL : PASSGATE_LIST_DELTA,
		.generation = gen, .base_generation = full ? 0 : gen - 1,
		.issued_at = time(NULL), .not_before = time(NULL) - 60,
		.expires_at = time(NULL) + 3600,
	};
	struct passgate_list_entry e[64] = { 0 };
	char code[32], err[256];
	unsigned int i, count = 0;

	if (full) {
		for (i = 0; i < n && i < 64; i++, count++) {
			snprintf(code, sizeof(code), "HC:S:%u", i);
			policy_env_code_digest(code, e[i].digest,
					       sizeof(e[i].digest));
			e[i].status = PASSGATE_STATUS_GREEN;
		}
	} else {
		snprintf(code, sizeof(code), "HC:S:%u", n);
		policy_env_code_digest(code, e[0].digest, sizeof(e[0].digest));
		e[0].status = PASSGATE_STATUS_GREEN;
		policy_env_code_digest("HC:S:0", e[1].digest,
				       sizeof(e[1].digest));
		count = 2;	/* e[1]: REMOVE */
	}
	snprintf(path, PATH_MAX, "%s/www/list-%06llu.pgl", self->dir,
		 (unsigned long long)gen);
	if (passgate_listfile_write(path, &info, e, count, self->sec, err,
				    sizeof(err))) {
		fprintf(stderr, "# %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

/* A delta goes inline, retained. */
static int publish_delta(FIXTURE_DATA(station) *self, const char *list)
{
	return run("%s/passgate-publish %s --broker 127.0.0.1:%d --station "
		   STATION " --trust %s/exit-%u/trust %s >/dev/null", self->bin,
		   self->publisher, self->mqtt_port, self->dir,
		   self->gate[0].id, list);
}

/* Every gate activates generation @gen (its LIST_ACTIVATED event). */
static int gate_activates(struct station_gate *g, uint64_t gen)
{
	struct passgate_event ev;

	do {
		if (gate_wait_event(g->events, PASSGATE_EV_LIST_ACTIVATED,
				    PASSGATE_LANE_NONE, &ev))
			return -1;
	} while (ev.value < gen);
	return ev.value == gen ? 0 : -1;
}

static int all_activate(FIXTURE_DATA(station) *self, uint64_t gen)
{
	struct passgate_event ev;
	unsigned int i;

	for (i = 0; i < self->gates; i++) {
		do {
			if (gate_wait_event(self->gate[i].events,
					    PASSGATE_EV_LIST_ACTIVATED,
					    PASSGATE_LANE_NONE, &ev))
				return -1;
		} while (ev.value < gen);
		if (ev.value != gen)
			return -1;
	}
	return 0;
}

/* @n scans of unknown codes on every gate; all decided. */
static int stream(FIXTURE_DATA(station) *self, unsigned int n)
{
	unsigned int i, k, reason;
	char code[32];

	for (k = 0; k < n; k++)
		for (i = 0; i < self->gates; i++) {
			snprintf(code, sizeof(code), "HC:X:%u:%u", i, k);
			if (lane_scan(self->gate[i].bridge,
				      self->gate[i].events, self->gate[i].lane,
				      PASSGATE_CRED_HEALTH_CODE, code, -1,
				      &reason) != PASSGATE_VERDICT_DENY)
				return -1;
		}
	return 0;
}

/*
 * The metrics file of the gate's @who ("state": passgated's, "uplink")
 * has every line of @want, within WAIT_MS.
 */
static int metrics_show(FIXTURE_DATA(station) *self,
			const struct station_gate *g, const char *who,
			const char *const *want, unsigned int n)
{
	long long end = now_ms() + WAIT_MS;
	char path[256], text[16384];
	unsigned int i;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s/metrics.prom", self->dir,
		 g->name, who);
	do {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		len = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
		if (fd >= 0)
			close(fd);
		if (len > 0) {
			text[len] = '\0';
			for (i = 0; i < n && strstr(text, want[i]); i++)
				;
			if (i == n)
				return 0;
		}
		poll(NULL, 0, 200);
	} while (now_ms() < end);
	fprintf(stderr, "# %s:\n%s\n", path, len > 0 ? text : "(none)");
	return -1;
}

/* The gate's journal: how many rows (events and marks), its last row. */
static long long journal_head(const struct station_gate *g, char *hash_hex)
{
	uint8_t hash[PASSGATE_JOURNAL_HASH_SIZE];
	struct passgate_journal_report rep;
	struct passgate_journal *j;
	char err[256];
	long long n = -1;

	j = passgate_journal_open(g->journal, g->id, PASSGATE_JOURNAL_RDONLY,
				  err, sizeof(err));
	if (!j)
		return -1;
	if (!passgate_journal_verify(j, &rep) &&
	    !passgate_journal_row_hash(j, rep.head_pos, hash)) {
		n = rep.head_pos;
		for (size_t i = 0; i < sizeof(hash); i++)
			sprintf(hash_hex + 2 * i, "%02x", hash[i]);
	}
	passgate_journal_close(j);
	return n;
}

TEST_F_TIMEOUT(station, lists_down_events_up_through_an_outage, 900)
{
	const char *env = getenv("PASSGATE_STATION_SCANS");
	unsigned int n = env ? strtoul(env, NULL, 10) : 15, i, reason;
	char list[PATH_MAX], query[256], url[64];
	long long rows[GATES_MAX], total = 0, end, distinct, stored;
	unsigned int current = 0;
	bool on_newest[GATES_MAX] = { false };
	struct station_gate *last;
	int ret;

	ASSERT_LT(0, n);
	/* A full generation: announced on the broker, fetched over https. */
	ASSERT_EQ(0, make_list(self, list, 1, true, 20));
	snprintf(url, sizeof(url), "%d", self->http_port);
	ASSERT_EQ(0, run("%s/passgate-publish %s --broker 127.0.0.1:%d "
			 "--station " STATION " --trust %s/exit-%u/trust --url "
			 "https://127.0.0.1:%s/list-000001.pgl %s >/dev/null",
			 self->bin, self->publisher, self->mqtt_port, self->dir,
			 self->gate[0].id, url, list));
	ASSERT_EQ(0, all_activate(self, 1));
	ASSERT_EQ(0, stream(self, n));

	/*
	 * Forgeries, retained so that they come again on every connection:
	 * a delta of junk under the highest generation there is, a topic
	 * that is no generation, an announcement whose file is not what it
	 * says, one over plain http (a station with a CA takes https only).
	 * None of them may keep a gate from the genuine list next.
	 * Only the publisher's identity may publish lists at all: these
	 * stand for a publisher that erred or was taken over.
	 */
	ASSERT_EQ(0, run("mosquitto_pub %s -h 127.0.0.1 -p %d -q 1 -r -t "
			 "passgate/" STATION "/lists/delta/18446744073709551615"
			 " -m \"$(printf 'a\\nb\\nc\\nd\\njunk')\"",
			 self->publisher, self->mqtt_port));
	ASSERT_EQ(0, run("mosquitto_pub %s -h 127.0.0.1 -p %d -q 1 -r -t "
			 "passgate/" STATION "/lists/delta/007 -m junk",
			 self->publisher, self->mqtt_port));
	ASSERT_EQ(0, run("mosquitto_pub %s -h 127.0.0.1 -p %d -q 1 -r -t "
			 "passgate/" STATION "/lists/full -m 'generation="
			 "99999 size=64 sha256=%064d url=https://127.0.0.1:%d"
			 "/list-000001.pgl'", self->publisher, self->mqtt_port,
			 0, self->http_port));
	ASSERT_EQ(0, run("mosquitto_pub %s -h 127.0.0.1 -p %d -q 1 -t "
			 "passgate/" STATION "/lists/full -m 'generation="
			 "99998 size=64 sha256=%064d url=http://127.0.0.1:%d"
			 "/list-000001.pgl'", self->publisher, self->mqtt_port,
			 0, self->http_port));

	/*
	 * A delta, inline, while the scans go on; the last gate's uplink is
	 * down then, and catches up from the retained delta when it is back.
	 */
	last = &self->gate[self->gates - 1];
	stop(&last->uplink, SIGTERM);
	ASSERT_EQ(0, make_list(self, list, 2, false, 20));
	ASSERT_EQ(0, publish_delta(self, list));
	for (i = 0; i + 1 < self->gates; i++) {
		ASSERT_EQ(0, gate_activates(&self->gate[i], 2));
		EXPECT_EQ(0, run("grep -q 'generation 99998 announced at http:"
				 ".*https only; not fetched' %s/%s/uplink.log",
				 self->dir, self->gate[i].name));
	}
	ASSERT_EQ(0, start_uplink(self, last));
	ASSERT_EQ(0, gate_activates(last, 2));
	for (i = 0; i < self->gates; i++) {
		EXPECT_EQ(PASSGATE_VERDICT_DENY,
			  lane_scan(self->gate[i].bridge, self->gate[i].events,
				    self->gate[i].lane, PASSGATE_CRED_HEALTH_CODE,
				    "HC:S:0", -1, &reason));
		EXPECT_EQ(PASSGATE_REASON_UNKNOWN, reason);
	}
	ASSERT_EQ(0, stream(self, n));

	/*
	 * The collector, then the broker, killed outright mid-stream: what
	 * either had taken and not yet committed is lost with it, and no
	 * gate counted it delivered (its mark moves on the collector's
	 * confirmation only), so the gates send it again.  The gates decide
	 * and journal on meanwhile.
	 */
	stop(&self->collector, SIGKILL);
	ASSERT_EQ(0, stream(self, n));
	ASSERT_EQ(0, start_collector(self));
	ASSERT_EQ(0, stream(self, n));
	stop(&self->mosquitto, SIGKILL);
	ASSERT_EQ(0, stream(self, n));
	ASSERT_EQ(0, start_mosquitto(self));
	ASSERT_EQ(0, stream(self, n));

	/* Each daemon, still running, says which list it decides with. */
	for (i = 0; i < self->gates; i++) {
		char want[96];
		const char *const lines[] = { want };

		snprintf(want, sizeof(want),
			 "passgate_list_generation{gate=\"%s\",list=\"codes\"}"
			 " 2\n",
			 self->gate[i].name);
		ret = metrics_show(self, &self->gate[i], "state", lines, 1);
		EXPECT_EQ(0, ret);
		on_newest[i] = ret == 0;
	}
	/*
	 * Every row of every journal in PostgreSQL exactly once, no gap:
	 * the collector's verified head is the journal's last row, hash and
	 * all, and the gate's rows are positions 1 to it.
	 */
	for (i = 0; i < self->gates; i++) {
		struct station_gate *g = &self->gate[i];
		char hash[2 * PASSGATE_JOURNAL_HASH_SIZE + 1] = "";

		/* Stopping commits everything the daemon read: all of it. */
		stop(&g->daemon, SIGTERM);
		rows[i] = journal_head(g, hash);
		ASSERT_LT(0, rows[i]);
		snprintf(query, sizeof(query),
			 "SELECT pos FROM chain WHERE gate = '%s' AND hash ="
			 " '\\x%s'", g->name, hash);
		end = now_ms() + WAIT_MS;
		while (sql(self, query) != rows[i] && now_ms() < end)
			poll(NULL, 0, 100);
		EXPECT_EQ(rows[i], sql(self, query)) TH_LOG("%s", g->name);
		snprintf(query, sizeof(query),
			 "SELECT count(*) FROM events WHERE gate = '%s' AND"
			 " pos BETWEEN 1 AND %lld", g->name, rows[i]);
		EXPECT_EQ(rows[i], sql(self, query)) TH_LOG("%s", g->name);
		total += rows[i];
	}
	EXPECT_EQ(total, sql(self, "SELECT count(*) FROM events"));
	EXPECT_EQ(0, sql(self, "SELECT count(*) FROM seals s JOIN chain c"
			 " USING (gate) WHERE s.pos > c.pos"));
	/* Each uplink says so in its metrics: connected, nothing behind. */
	for (i = 0; i < self->gates; i++) {
		char want[2][96];
		const char *const lines[] = { want[0], want[1] };
		const char *g = self->gate[i].name;

		snprintf(want[0], sizeof(want[0]),
			 "passgate_broker_connected{gate=\"%s\"} 1\n", g);
		snprintf(want[1], sizeof(want[1]),
			 "passgate_journal_backlog_rows{gate=\"%s\"} 0\n", g);
		ret = metrics_show(self, &self->gate[i], "uplink", lines, 2);
		EXPECT_EQ(0, ret);
		current += on_newest[i] && ret == 0;
	}
	distinct = sql(self, "SELECT count(DISTINCT (gate, pos)) FROM events");
	stored = sql(self, "SELECT count(*) FROM events");
	EXPECT_EQ(total, distinct);
	tally("a station on TLS: full list over https, a delta inline (one "
	      "uplink down, caught up from the retained delta), the collector "
	      "and the broker killed mid-stream, sealed rows into PostgreSQL",
	      total, "every gate on the newest generation; every journal row "
	      "verified and stored once",
	      "%u of %u gates connected, on generation 2, nothing behind; "
	      "%lld rows journaled, %lld rows in PostgreSQL, %lld distinct",
	      current, self->gates, total, stored, distinct);
}

TEST_HARNESS_MAIN
