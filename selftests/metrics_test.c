// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgated's metrics as an operator gets them (docs/operations.md,
 * "Metrics and alerts"): passgated on the test gate, bound afresh so that
 * its counters and event stream start at 0, writes metrics_file into a
 * folder; a real prometheus-node-exporter serves that folder (the
 * textfile collector alone, TLS with a client certificate required) and
 * a real Prometheus scrapes it every second with its own certificate.
 * The gate starts without a list (degraded), then takes one; scans are
 * accepted, denied for their reasons and deferred to the slow path, a
 * tailgater follows a passenger, the scanner board falls silent and the
 * fire alarm goes off.  Then the textfile is checked (every family with
 * HELP and TYPE before its samples, promtool's linter), and Prometheus's
 * HTTP API is asked for every family and for the values driven.
 *
 * x86 guest only (selftests.mk: the arm64 rootfs has no Prometheus).
 * Prometheus's own listener (loopback, basic auth) is the test's.  Its
 * answers are polled until they say what is expected, within WAIT_MS:
 * scrapes are other processes' progress, with no event to wait on.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "kselftest_harness.h"
#include "gate_fixture.h"
#include "board.h"
#include "policy_env.h"
#include "common/listfile.h"
#include "common/minisign.h"
#include "gate/core/state.h"
#include "gate/policy/loader.h"

#define WAIT_MS 60000
#define PIN_ROOT "/sys/fs/bpf/passgate-metrics-test"
#define GATE "gate0"
/*
 * Prometheus's web config wants a bcrypt hash; the test's user, its
 * password ("passgate-metrics-test") as the hash and as the header.
 */
#define PROM_USER "metrics-test"
#define PROM_HASH "$2b$04$JR1P/VzTT4Nslx64QgAZF.NI8b5KY1sgVy.rJ7uG1KgeLCBDgyXYW"
#define PROM_AUTH "bWV0cmljcy10ZXN0OnBhc3NnYXRlLW1ldHJpY3MtdGVzdA=="
#define FAMILIES_MAX 64

static const struct {
	const char *code;
	__u8 status;
} list_codes[] = {
	{ "HC:M:GREEN1", PASSGATE_STATUS_GREEN },
	{ "HC:M:GREEN2", PASSGATE_STATUS_GREEN },
	{ "HC:M:GREEN3", PASSGATE_STATUS_GREEN },
	{ "HC:M:RED", PASSGATE_STATUS_RED },
	{ "HC:M:YELLOW", PASSGATE_STATUS_YELLOW },
};
#define LIST_ENTRIES (sizeof(list_codes) / sizeof(list_codes[0]))

FIXTURE(metrics) {
	char dir[64];
	char config[PATH_MAX];
	char textfile[PATH_MAX];
	struct passgate_seckey *sec;
	uint64_t expires_at;
	int events;		/* gate 0 from its binding on, O_NONBLOCK */
	int bridge;		/* lane 1's scanboard node */
	int exporter_port, prom_port;
	pid_t daemon, exporter, prometheus;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -1;
}

static int loopback_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	struct timeval tmo = { .tv_sec = 10 };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		close(s);
		return -1;
	}
	return s;
}

/* A server is up once it accepts a connection on loopback. */
static int wait_port(int port)
{
	long long end = now_ms() + WAIT_MS;
	int s;

	do {
		s = loopback_connect(port);
		if (s >= 0) {
			close(s);
			return 0;
		}
		poll(NULL, 0, 50);
	} while (now_ms() < end);
	return -1;
}

static pid_t spawn(const char *log, char *const argv[])
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
	execvp(argv[0], argv);
	_exit(127);
}

static void stop(pid_t *pid)
{
	if (*pid > 0)
		process_stop(*pid, SIGTERM);
	*pid = -1;
}

/*
 * GET @target from Prometheus (HTTP/1.0: the answer ends with the
 * connection), with the test's credentials if @auth: the HTTP status and
 * the body in @body, or -1 when nothing answered.
 */
static int prom_get(FIXTURE_DATA(metrics) *self, const char *target,
		    bool auth, char *body, size_t len)
{
	char request[4096], *start;
	size_t have = 0;
	int s, status, n;
	ssize_t got;

	n = snprintf(request, sizeof(request),
		     "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s\r\n", target,
		     auth ? "Authorization: Basic " PROM_AUTH "\r\n" : "");
	s = loopback_connect(self->prom_port);
	if (s < 0)
		return -1;
	if (n >= (int)sizeof(request) || write(s, request, n) != n) {
		close(s);
		return -1;
	}
	while (have < len - 1 &&
	       (got = read(s, body + have, len - 1 - have)) > 0)
		have += got;
	close(s);
	body[have] = '\0';
	if (sscanf(body, "HTTP/%*s %d", &status) != 1)
		return -1;
	start = strstr(body, "\r\n\r\n");
	if (start)
		memmove(body, start + 4, strlen(start + 4) + 1);
	else
		body[0] = '\0';
	return status;
}

/*
 * Ask Prometheus for the instant vector @query: how many samples it has
 * (-1: no answer, or not a vector), the first one's value in *@value.
 */
static int prom_query(FIXTURE_DATA(metrics) *self, const char *query,
		      double *value)
{
	static char body[1 << 18];
	char target[2048], *out;
	json_object *root, *data, *result, *pair;
	const char *p;
	int n = -1;

	out = target + snprintf(target, sizeof(target), "/api/v1/query?query=");
	for (p = query; *p && out < target + sizeof(target) - 4; p++) {
		if (isalnum((unsigned char)*p) || strchr("-._~", *p))
			*out++ = *p;
		else
			out += sprintf(out, "%%%02X", (unsigned char)*p);
	}
	*out = '\0';
	if (prom_get(self, target, true, body, sizeof(body)) != 200)
		return -1;
	root = json_tokener_parse(body);
	if (root && json_object_object_get_ex(root, "data", &data) &&
	    json_object_object_get_ex(data, "result", &result) &&
	    json_object_is_type(result, json_type_array)) {
		n = json_object_array_length(result);
		if (n && json_object_object_get_ex(
				json_object_array_get_idx(result, 0), "value",
				&pair))
			*value = strtod(json_object_get_string(
					json_object_array_get_idx(pair, 1)),
					NULL);
	}
	json_object_put(root);
	return n;
}

/*
 * Until @query gives one sample whose value is @want, within WAIT_MS: 0,
 * or -1 with what it gave last said.
 */
static int prom_expect(FIXTURE_DATA(metrics) *self, const char *query,
		       double want)
{
	long long end = now_ms() + WAIT_MS;
	double value = NAN;
	int n;

	do {
		n = prom_query(self, query, &value);
		if (n == 1 && value == want)
			return 0;
		poll(NULL, 0, 200);
	} while (now_ms() < end);
	fprintf(stderr, "# %s: %d samples, the first %.9g; expected one, "
		"%.9g\n", query, n, value, want);
	return -1;
}

/* The same for a query written with printf's format. */
static int prom_expectf(FIXTURE_DATA(metrics) *self, double want,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int prom_expectf(FIXTURE_DATA(metrics) *self, double want,
			const char *fmt, ...)
{
	char query[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(query, sizeof(query), fmt, ap);
	va_end(ap);
	return prom_expect(self, query, want);
}

/* node_exporter over TLS, with or without the client certificate. */
static const char tls_probe[] =
	"import ssl, sys, urllib.request\n"
	"port, ca = sys.argv[1:3]\n"
	"c = ssl.create_default_context(cafile=ca)\n"
	"if len(sys.argv) > 3:\n"
	"    c.load_cert_chain(sys.argv[3], sys.argv[4])\n"
	"try:\n"
	"    r = urllib.request.urlopen('https://127.0.0.1:%s/metrics' % port,"
	" context=c, timeout=10)\n"
	"    body = r.read()\n"
	"except Exception as e:\n"
	"    print('#', e)\n"
	"    sys.exit(1)\n"
	"sys.exit(0 if b'passgate_build_info' in body else 2)\n";

static int exporter_fetch(FIXTURE_DATA(metrics) *self, bool with_cert)
{
	char port[16], ca[96], cert[96], key[96];
	char *argv[] = { "python3", "-c", (char *)tls_probe, port, ca,
			 with_cert ? cert : NULL, key, NULL };
	int status;
	pid_t pid;

	snprintf(port, sizeof(port), "%d", self->exporter_port);
	snprintf(ca, sizeof(ca), "%s/tls/ca.crt", self->dir);
	snprintf(cert, sizeof(cert), "%s/tls/client.crt", self->dir);
	snprintf(key, sizeof(key), "%s/tls/client.key", self->dir);
	pid = fork();
	if (!pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A CA, node_exporter's certificate for 127.0.0.1, Prometheus's. */
static int make_certificates(FIXTURE_DATA(metrics) *self)
{
	static const char key[] = "-newkey ec -pkeyopt "
				  "ec_paramgen_curve:prime256v1 -nodes";

	return run("cd %s && mkdir tls && cd tls && "
		   "openssl req -x509 %s -days 1 -subj /CN=metrics-test-ca "
		   "-keyout ca.key -out ca.crt 2>/dev/null && "
		   "openssl req %s -subj /CN=node-exporter -keyout server.key "
		   "-out server.csr 2>/dev/null && "
		   "openssl req %s -subj /CN=prometheus -keyout client.key "
		   "-out client.csr 2>/dev/null && "
		   "printf 'subjectAltName=IP:127.0.0.1\\n"
		   "extendedKeyUsage=serverAuth\\n' >server.ext && "
		   "printf 'extendedKeyUsage=clientAuth\\n' >client.ext && "
		   "for who in server client; do openssl x509 -req -in "
		   "$who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 "
		   "-extfile $who.ext -out $who.crt 2>/dev/null || exit 1; "
		   "done", self->dir, key, key, key);
}

/* node_exporter: the textfile collector alone, TLS, client certificates. */
static int start_exporter(FIXTURE_DATA(metrics) *self)
{
	char listen[48], folder[PATH_MAX + 40], web[PATH_MAX + 20];
	char path[PATH_MAX], log[PATH_MAX], text[1024];
	char *argv[] = { "prometheus-node-exporter",
			 "--collector.disable-defaults", "--collector.textfile",
			 folder, listen, web, "--web.disable-exporter-metrics",
			 NULL };

	snprintf(text, sizeof(text),
		 "tls_server_config:\n"
		 "  cert_file: %s/tls/server.crt\n"
		 "  key_file: %s/tls/server.key\n"
		 "  client_auth_type: RequireAndVerifyClientCert\n"
		 "  client_ca_file: %s/tls/ca.crt\n",
		 self->dir, self->dir, self->dir);
	snprintf(path, sizeof(path), "%s/exporter-web.yml", self->dir);
	if (file_write(path, text, strlen(text)))
		return -1;
	self->exporter_port = free_port();
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d",
		 self->exporter_port);
	snprintf(web, sizeof(web), "--web.config.file=%s", path);
	snprintf(folder, sizeof(folder),
		 "--collector.textfile.directory=%s/textfiles", self->dir);
	snprintf(log, sizeof(log), "%s/exporter.log", self->dir);
	self->exporter = spawn(log, argv);
	return wait_port(self->exporter_port);
}

/* Prometheus: every second, node_exporter with its client certificate. */
static int start_prometheus(FIXTURE_DATA(metrics) *self)
{
	char config[PATH_MAX + 20], web[PATH_MAX + 20], data[PATH_MAX + 30];
	char listen[48], path[PATH_MAX], log[PATH_MAX], text[2048];
	char *argv[] = { "prometheus", config, data, listen, web,
			 "--storage.tsdb.retention.time=1h", NULL };
	char body[256];
	long long end;

	snprintf(text, sizeof(text), "basic_auth_users:\n  " PROM_USER ": "
		 PROM_HASH "\n");
	snprintf(path, sizeof(path), "%s/prometheus-web.yml", self->dir);
	if (file_write(path, text, strlen(text)))
		return -1;
	snprintf(web, sizeof(web), "--web.config.file=%s", path);
	snprintf(text, sizeof(text),
		 "global:\n"
		 "  scrape_interval: 1s\n"
		 "  scrape_timeout: 1s\n"
		 "  evaluation_interval: 1s\n"
		 "scrape_configs:\n"
		 "  - job_name: gate\n"
		 "    scheme: https\n"
		 "    tls_config:\n"
		 "      ca_file: %s/tls/ca.crt\n"
		 "      cert_file: %s/tls/client.crt\n"
		 "      key_file: %s/tls/client.key\n"
		 "    static_configs:\n"
		 "      - targets: ['127.0.0.1:%d']\n",
		 self->dir, self->dir, self->dir, self->exporter_port);
	snprintf(path, sizeof(path), "%s/prometheus.yml", self->dir);
	if (file_write(path, text, strlen(text)))
		return -1;
	snprintf(config, sizeof(config), "--config.file=%s", path);
	snprintf(data, sizeof(data), "--storage.tsdb.path=%s/prometheus",
		 self->dir);
	self->prom_port = free_port();
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d",
		 self->prom_port);
	snprintf(log, sizeof(log), "%s/prometheus.log", self->dir);
	self->prometheus = spawn(log, argv);
	end = now_ms() + WAIT_MS;
	do {
		if (prom_get(self, "/-/ready", true, body, sizeof(body)) == 200)
			return 0;
		poll(NULL, 0, 100);
	} while (now_ms() < end);
	return -1;
}

FIXTURE_SETUP(metrics)
{
	char path[PATH_MAX], pub[PATH_MAX], text[8192], err[256], dev[64];
	struct passgate_gate_state gst;

	self->daemon = self->exporter = self->prometheus = -1;
	self->events = self->bridge = -1;
	ASSERT_EQ(0, gate_restore());
	/* Bound afresh: counters, latches and the event stream from 0. */
	ASSERT_EQ(0, gate_device_name(0, dev, sizeof(dev)));
	ASSERT_EQ(0, driver_bind("passgate-gate", dev, false));
	ASSERT_EQ(0, gate_restore());
	self->events = gate_open(0, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->events);
	ASSERT_EQ(0, gate_get_state(self->events, &gst));
	ASSERT_EQ(0, gst.fire_alarms);
	ASSERT_LE(0, lseek(self->events, 0, SEEK_END));
	self->bridge = lane_open(0, 1, "scanboard", O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->bridge);
	ASSERT_EQ(0, run("ip link set lo up"));

	snprintf(self->dir, sizeof(self->dir), "/tmp/metrics-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, run("cd %s && mkdir trust spool state textfiles && "
			 "echo HC:M:STAFF >staff.txt", self->dir));
	snprintf(pub, sizeof(pub), "%s/trust/issuer.pub", self->dir);
	snprintf(path, sizeof(path), "%s/issuer.key", self->dir);
	ASSERT_EQ(0, passgate_seckey_generate(pub, path, err, sizeof(err)));
	self->sec = passgate_seckey_load(path, err, sizeof(err));
	ASSERT_NE(NULL, self->sec);
	/* Unknown codes to the slow path, where only the staff card passes. */
	snprintf(self->textfile, sizeof(self->textfile),
		 "%s/textfiles/passgate-" GATE ".prom", self->dir);
	snprintf(text, sizeof(text),
		 "gate = 0\ntrust_dir = %1$s/trust\nspool_dir = %1$s/spool\n"
		 "state_dir = %1$s/state\njournal = %1$s/state/journal.db\n"
		 "id_key_file = %1$s/no-id.key\npin_root = " PIN_ROOT "\n"
		 "staff_file = %1$s/staff.txt\nunknown = defer\n"
		 "metrics_file = %2$s\n", self->dir, self->textfile);
	snprintf(self->config, sizeof(self->config), "%s/passgated.conf",
		 self->dir);
	ASSERT_EQ(0, file_write(self->config, text, strlen(text)));
	snprintf(path, sizeof(path), "%s/state", self->dir);
	ASSERT_EQ(0, passgate_record_seed(path, 0, 0));
	passgate_policy_unpin(PIN_ROOT, 0);

	ASSERT_EQ(0, make_certificates(self));
	snprintf(path, sizeof(path), "%s/passgated.log", self->dir);
	self->daemon = passgated_start(self->config, path);
	ASSERT_LT(0, self->daemon);
	ASSERT_EQ(0, start_exporter(self));
	ASSERT_EQ(0, start_prometheus(self));
}

FIXTURE_TEARDOWN(metrics)
{
	if (!_metadata->passed)
		run("tail -n 30 %1$s/passgated.log %1$s/exporter.log "
		    "%1$s/prometheus.log %2$s | sed 's/^/# /'", self->dir,
		    self->textfile);
	stop(&self->prometheus);
	stop(&self->exporter);
	stop(&self->daemon);
	close(self->bridge);
	close(self->events);
	passgate_policy_unpin(PIN_ROOT, 0);
	passgate_seckey_free(self->sec);
	run("rm -rf %s", self->dir);
	gate_restore();
}

/*
 * Generation 1, signed beside the spool and then moved in (signature
 * first), as an operator drops a list: the daemon takes it at once.
 */
static int deliver_list(FIXTURE_DATA(metrics) *self)
{
	struct passgate_list_entry e[LIST_ENTRIES] = { 0 };
	struct passgate_list_info info = {
		.kind = PASSGATE_LIST_FULL, .generation = 1,
		.issued_at = time(NULL), .not_before = time(NULL) - 60,
		.expires_at = self->expires_at,
	};
	char path[PATH_MAX], err[256];
	unsigned int i;

	for (i = 0; i < LIST_ENTRIES; i++) {
		policy_env_code_digest(list_codes[i].code, e[i].digest,
				       sizeof(e[i].digest));
		e[i].status = list_codes[i].status;
	}
	snprintf(path, sizeof(path), "%s/list-000001.pgl", self->dir);
	if (passgate_listfile_write(path, &info, e, LIST_ENTRIES, self->sec,
				    err, sizeof(err))) {
		fprintf(stderr, "# %s: %s\n", path, err);
		return -1;
	}
	return run("cd %s && mv list-000001.pgl.minisig spool/ && "
		   "mv list-000001.pgl spool/", self->dir);
}

/* A code on lane 1's bridge: its verdict, its reason in *@reason. */
static int scan(FIXTURE_DATA(metrics) *self, const char *code,
		unsigned int *reason)
{
	return lane_scan(self->bridge, self->events, 1,
			 PASSGATE_CRED_HEALTH_CODE, code, -1, reason);
}

/*
 * A passenger through lane 0 on the ACCEPT of a code shown to its
 * scanner board, and a second one close behind (TAILGATE).
 */
static int board_passage_with_tailgater(FIXTURE_DATA(metrics) *self,
					struct __test_metadata *_metadata)
{
	struct passgate_event ev;
	int tty, lane, ret = -1;

	tty = board_open();
	lane = lane_open(0, 0, "turnstile", O_RDWR | O_NONBLOCK);
	if (tty < 0 || lane < 0)
		goto out;
	if (board_send_scan(tty, 1, PASSGATE_CRED_HEALTH_CODE,
			    list_codes[2].code, -1) ||
	    gate_wait_event(self->events, PASSGATE_EV_VERDICT, 0, &ev))
		goto out;
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, ev.arg);
	if (lane_beam(lane, 0, PASSGATE_BEAM_INNER, 1) ||
	    lane_beam(lane, 0, PASSGATE_BEAM_OUTER, 1) ||
	    lane_beam(lane, 0, PASSGATE_BEAM_INNER, 0) ||
	    lane_beam(lane, 0, PASSGATE_BEAM_INNER, 1) ||
	    gate_wait_event(self->events, PASSGATE_EV_TAILGATE, 0, NULL) ||
	    lane_beam(lane, 0, PASSGATE_BEAM_OUTER, 0) ||
	    lane_beam(lane, 0, PASSGATE_BEAM_INNER, 0) ||
	    gate_wait_event(self->events, PASSGATE_EV_PASSAGE, 0, NULL))
		goto out;
	ret = 0;
out:
	if (tty >= 0)
		close(tty);
	if (lane >= 0)
		close(lane);
	return ret;
}

/* A metric family of the textfile: its name, type and series. */
struct family {
	char name[128];
	char type[16];
	unsigned int samples;
};

static struct family *family_find(struct family *fam, unsigned int n,
				  const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(fam[i].name, name))
			return &fam[i];
	return NULL;
}

/* Does sample @name belong to family @f? */
static bool family_has(const struct family *f, const char *name)
{
	size_t n = strlen(f->name);

	if (!strcmp(f->name, name))
		return strcmp(f->type, "histogram") != 0;
	return !strcmp(f->type, "histogram") && !strncmp(name, f->name, n) &&
	       (!strcmp(name + n, "_bucket") || !strcmp(name + n, "_sum") ||
		!strcmp(name + n, "_count"));
}

/*
 * The textfile's families into @fam, as the text format wants them: HELP
 * then TYPE, once each, before the family's samples, which are together;
 * a counter's name ends in _total; every family has a sample.  How many,
 * or -1 with what is wrong said.
 */
static int textfile_families(char *text, struct family *fam,
			     unsigned int max)
{
	struct family *cur = NULL, *f;
	char *line, *save, name[128], type[16];
	unsigned int n = 0;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "# HELP %127s", name) == 1) {
			if (family_find(fam, n, name) || n == max)
				goto bad;
			cur = &fam[n++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->name, sizeof(cur->name), "%s", name);
		} else if (sscanf(line, "# TYPE %127s %15s", name, type) == 2) {
			if (!cur || strcmp(cur->name, name) || cur->type[0])
				goto bad;
			snprintf(cur->type, sizeof(cur->type), "%s", type);
		} else if (line[0] != '#') {
			snprintf(name, sizeof(name), "%.*s",
				 (int)strcspn(line, "{ "), line);
			if (!cur || !cur->type[0] || !family_has(cur, name))
				goto bad;
			cur->samples++;
		}
	}
	for (f = fam; f < fam + n; f++) {
		size_t len = strlen(f->name);

		if (!f->samples || (!strcmp(f->type, "counter") &&
				    (len < 6 || strcmp(f->name + len - 6,
						       "_total")))) {
			line = f->name;
			goto bad;
		}
	}
	return n;
bad:
	fprintf(stderr, "# textfile: at \"%s\"\n", line);
	return -1;
}

/* Until the textfile holds every line of @want: 0, or -1 after WAIT_MS. */
static int textfile_wait(FIXTURE_DATA(metrics) *self, char *text,
			 size_t len, const char *const *want, unsigned int n)
{
	long long end = now_ms() + WAIT_MS;
	unsigned int i;
	ssize_t got;
	int fd;

	do {
		fd = open(self->textfile, O_RDONLY | O_CLOEXEC);
		got = fd < 0 ? -1 : read(fd, text, len - 1);
		if (fd >= 0)
			close(fd);
		if (got > 0) {
			text[got] = '\0';
			for (i = 0; i < n && strstr(text, want[i]); i++)
				;
			if (i == n)
				return 0;
		}
		poll(NULL, 0, 200);
	} while (now_ms() < end);
	return -1;
}

TEST_F_TIMEOUT(metrics, what_the_gate_did_reaches_prometheus, 600)
{
	static char text[1 << 16];
	static const char *const settled[] = {
		"passgate_fire_alarm_active{gate=\"" GATE "\"} 1\n",
		"passgate_reader_offline{gate=\"" GATE "\",lane=\"0\","
		"reader=\"board\"} 1\n",
	};
	struct family fam[FAMILIES_MAX];
	struct passgate_event ev;
	unsigned int reason, verdicts = 0, i;
	int readers, n;
	char body[256];

	/* Both listeners want credentials: no certificate, no password. */
	EXPECT_EQ(1, exporter_fetch(self, false));
	EXPECT_EQ(0, exporter_fetch(self, true));
	EXPECT_EQ(401, prom_get(self, "/api/v1/query?query=up", false, body,
				sizeof(body)));
	EXPECT_EQ(0, prom_expect(self, "up{job=\"gate\"}", 1));

	/* No list yet: degraded, as Prometheus saw. */
	ASSERT_EQ(0, prom_expect(self, "passgate_degraded{list=\"codes\"}", 1));
	self->expires_at = time(NULL) + 6 * 3600;
	ASSERT_EQ(0, deliver_list(self));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_LIST_ACTIVATED,
				     PASSGATE_LANE_NONE, NULL));

	/* Lane 1: the fast path's verdicts, and two unknowns deferred. */
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, scan(self, "HC:M:GREEN1", &reason));
	ASSERT_EQ(0, lane_relock(1));
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, scan(self, "HC:M:GREEN2", &reason));
	ASSERT_EQ(0, lane_relock(1));
	EXPECT_EQ(PASSGATE_VERDICT_DENY, scan(self, "HC:M:RED", &reason));
	EXPECT_EQ(PASSGATE_REASON_RED, reason);
	EXPECT_EQ(PASSGATE_VERDICT_DENY, scan(self, "HC:M:YELLOW", &reason));
	EXPECT_EQ(PASSGATE_REASON_MANUAL_CHECK, reason);
	EXPECT_EQ(PASSGATE_VERDICT_DENY, scan(self, "HC:M:WHO1", &reason));
	EXPECT_EQ(PASSGATE_VERDICT_DENY, scan(self, "HC:M:WHO2", &reason));
	EXPECT_EQ(PASSGATE_VERDICT_ACCEPT, scan(self, "HC:M:STAFF", &reason));
	ASSERT_EQ(0, lane_relock(1));
	verdicts = 7;

	/* Lane 0: its board's scan, a passenger and a tailgater. */
	readers = gate_open(0, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, readers);
	ASSERT_LE(0, lseek(readers, 0, SEEK_END));
	ASSERT_EQ(0, board_passage_with_tailgater(self, _metadata));
	verdicts++;
	/* Heard on that scan, the board falls silent again. */
	do {
		ASSERT_EQ(0, gate_wait_event(readers,
					     PASSGATE_EV_SCANNER_OFFLINE, 0,
					     &ev));
	} while (ev.arg != PASSGATE_READER_BOARD);
	close(readers);

	ASSERT_EQ(0, tb_drive(TB_FIRE_ALARM, 1));
	ASSERT_EQ(0, gate_wait_event(self->events, PASSGATE_EV_FIRE_ALARM,
				     PASSGATE_LANE_NONE, NULL));

	/* The textfile: what the text format and promtool's linter want. */
	ASSERT_EQ(0, textfile_wait(self, text, sizeof(text), settled, 2));
	ASSERT_EQ(0, run("promtool check metrics <%s", self->textfile));
	n = textfile_families(text, fam, FAMILIES_MAX);
	ASSERT_LT(0, n);

	/* Every family reaches Prometheus, every series of it. */
	for (i = 0; i < (unsigned int)n; i++) {
		const char *fmt = strcmp(fam[i].type, "histogram") ?
			"count(%1$s)" : "count({__name__=~"
			"\"%1$s_bucket|%1$s_sum|%1$s_count\"})";

		EXPECT_EQ(0, prom_expectf(self, fam[i].samples, fmt,
					  fam[i].name));
	}
	EXPECT_EQ(0, prom_expect(self, "node_textfile_scrape_error", 0));

	/* What was driven, as Prometheus has it. */
	EXPECT_EQ(0, prom_expectf(self, 1, "passgate_build_info{version="
				  "\"%s\"}", PASSGATE_VERSION));
	EXPECT_EQ(0, prom_expect(self, "passgate_verdicts_total{verdict="
				 "\"accept\",reason=\"none\"}", 3));
	EXPECT_EQ(0, prom_expect(self, "passgate_verdicts_total{verdict="
				 "\"deny\",reason=\"red\"}", 1));
	EXPECT_EQ(0, prom_expect(self, "passgate_verdicts_total{verdict="
				 "\"deny\",reason=\"manual_check\"}", 1));
	EXPECT_EQ(0, prom_expect(self, "passgate_verdicts_total{verdict="
				 "\"defer\",reason=\"unknown\"}", 3));
	EXPECT_EQ(0, prom_expect(self, "sum(passgate_verdicts_total)",
				 verdicts));
	EXPECT_EQ(0, prom_expect(self, "passgate_decision_duration_seconds_"
				 "count{path=\"fast\"}", 5));
	EXPECT_EQ(0, prom_expect(self, "passgate_decision_duration_seconds_"
				 "count{path=\"slow\"}", 3));
	EXPECT_EQ(0, prom_expect(self, "sum(passgate_decision_duration_seconds"
				 "_bucket{le=\"+Inf\"})", verdicts));
	/* Slow ones waited for passgated: above the fastest bucket. */
	EXPECT_EQ(0, prom_expect(self, "passgate_decision_duration_seconds"
				 "_bucket{path=\"slow\",le=\"1e-05\"}", 0));
	EXPECT_EQ(0, prom_expect(self, "count(passgate_decision_duration_"
				 "seconds_sum{path=\"slow\"} > 0)", 1));

	EXPECT_EQ(0, prom_expect(self, "passgate_fire_alarms_total", 1));
	EXPECT_EQ(0, prom_expect(self, "passgate_fire_alarm_active", 1));
	EXPECT_EQ(0, prom_expect(self, "passgate_fire_alarm_latched", 1));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, prom_expectf(self, 1, "passgate_lane_state{lane="
					  "\"%u\",state=\"free\"}", i));
		EXPECT_EQ(0, prom_expectf(self, 1, "sum(passgate_lane_state{"
					  "lane=\"%u\"})", i));
		EXPECT_EQ(0, prom_expectf(self, 1, "passgate_lane_mode{lane="
					  "\"%u\",mode=\"normal\"}", i));
	}
	EXPECT_EQ(0, prom_expect(self, "passgate_gate_mode{mode=\"normal\"}",
				 1));
	EXPECT_EQ(0, prom_expect(self, "passgate_lane_tailgates_total{lane="
				 "\"0\"}", 1));
	EXPECT_EQ(0, prom_expect(self, "passgate_lane_alarm{lane=\"0\","
				 "alarm=\"tailgate\"}", 1));
	EXPECT_EQ(0, prom_expect(self, "passgate_lane_alarm{lane=\"0\","
				 "alarm=\"forced\"}", 0));
	EXPECT_EQ(0, prom_expect(self, "passgate_lane_passages_total{lane="
				 "\"0\",direction=\"exit\"}", 1));
	EXPECT_EQ(0, prom_expect(self, "passgate_reader_offline{lane=\"0\","
				 "reader=\"board\"}", 1));
	EXPECT_EQ(0, prom_expect(self, "count(passgate_reader_offline_events_"
				 "total{lane=\"0\",reader=\"board\"} >= 1)",
				 1));

	EXPECT_EQ(0, prom_expect(self, "passgate_list_generation{list="
				 "\"codes\"}", 1));
	EXPECT_EQ(0, prom_expect(self, "passgate_list_entries{list=\"codes\"}",
				 LIST_ENTRIES));
	EXPECT_EQ(0, prom_expect(self, "passgate_list_expiry_timestamp_seconds"
				 "{list=\"codes\"}", self->expires_at));
	EXPECT_EQ(0, prom_expect(self, "passgate_degraded{list=\"codes\"}", 0));
	EXPECT_EQ(0, prom_expect(self, "max_over_time(passgate_degraded{list="
				 "\"codes\"}[10m])", 1));

	EXPECT_EQ(0, prom_expect(self, "passgate_journal_failures_total", 0));
	EXPECT_EQ(0, prom_expect(self, "count(passgate_journal_events_total "
				 "> 0)", 1));
	EXPECT_EQ(0, prom_expect(self, "count(time() - passgate_journal_last_"
				 "commit_timestamp_seconds < 300)", 1));
}

TEST_HARNESS_MAIN
