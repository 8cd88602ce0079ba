// SPDX-License-Identifier: GPL-2.0-only
/*
 * The https server (web.h).  Every answer, refusals included, carries
 * the same security headers: a Content-Security-Policy that allows the
 * page's own files and nothing else (no inline script or style, no
 * frame around it), nosniff, no caching.  The order of the checks: the
 * method (GET and HEAD only: 405), then the credentials (401), then the
 * path (404): nobody learns which paths exist without logging in.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "common/file.h"
#include "gate/core/log.h"
#include "web.h"

#define STATIC_MAX (512 * 1024)
#define PEM_MAX (64 * 1024)
/* A comment line on a quiet event stream this often: a dead peer shows. */
#define KEEPALIVE_MS 15000
/* Per address: a browser's event stream, its page and a few reloads. */
#define PER_IP_MAX 16
#define IDLE_S 60

static const char csp[] =
	"default-src 'self'; base-uri 'none'; form-action 'none';"
	" frame-ancestors 'none'; object-src 'none'";

static const struct {
	const char *path, *file, *type;
} files[] = {
	{ "/", "index.html", "text/html; charset=utf-8" },
	{ "/overview.css", "overview.css", "text/css; charset=utf-8" },
	{ "/overview.js", "overview.js", "text/javascript; charset=utf-8" },
};
#define FILES (sizeof(files) / sizeof(files[0]))

struct web {
	struct MHD_Daemon *daemon;
	struct gates *gs;
	struct auth *auth;
	char *body[FILES];
	size_t len[FILES];
	char *cert, *key;
	atomic_bool started;
	pthread_mutex_t log_lock;
	time_t refused_at;	/* the last refusal logged (monotonic s) */
	unsigned long refused_quiet;	/* refusals not logged since */
};

/* One event stream: what is left to send, and where in the feed it is. */
struct sse {
	struct gates *gs;
	uint64_t seq;
	char *buf;
	size_t len, off;
};

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	struct web *w = cls;
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strcspn(line, "\n");
	line[n] = '\0';
	/* Before it listens, the reason it cannot; after, a peer's error. */
	passgate_log_pri(w->started ? LOG_INFO : LOG_ERR, NULL, "https: %s",
			 line);
}

static void secure(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy",
				"same-origin");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy",
				"same-origin");
	MHD_add_response_header(r, "Strict-Transport-Security",
				"max-age=31536000");
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

/* Queue @r with the headers every answer has, then let go of it. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	secure(r);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static struct MHD_Response *text(const char *body)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	if (r)
		MHD_add_response_header(r, "Content-Type",
					"text/plain; charset=utf-8");
	return r;
}

static void peer(struct MHD_Connection *c, char *out, size_t size)
{
	const union MHD_ConnectionInfo *info;

	snprintf(out, size, "?");
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info && info->client_addr)
		getnameinfo(info->client_addr,
			    info->client_addr->sa_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in),
			    out, size, NULL, 0, NI_NUMERICHOST);
}

/* A wrong password is logged, at most once a second (the rest counted). */
static void log_refusal(struct web *w, struct MHD_Connection *c,
			const char *user)
{
	struct timespec now;
	unsigned long quiet;
	char from[64];

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&w->log_lock);
	if (now.tv_sec == w->refused_at) {
		w->refused_quiet++;
		pthread_mutex_unlock(&w->log_lock);
		return;
	}
	quiet = w->refused_quiet;
	w->refused_quiet = 0;
	w->refused_at = now.tv_sec;
	pthread_mutex_unlock(&w->log_lock);
	peer(c, from, sizeof(from));
	passgate_log_pri(LOG_WARNING, PASSGATE_LOG_FIELDS(
			 .reason = "authentication failed"),
			 "authentication failed for \"%s\" from %s"
			 " (%lu more in the second before)",
			 *user ? user : "?", from, quiet);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sse *s = cls;
	char *state;
	size_t n;

	(void)pos;
	while (s->off == s->len) {
		free(s->buf);
		s->buf = NULL;
		s->off = s->len = 0;
		switch (feed_next(gates_feed(s->gs), &s->seq, &s->buf, &s->len,
				  KEEPALIVE_MS)) {
		case FEED_MESSAGE:
			break;
		case FEED_TIMEOUT:
			s->buf = strdup(": keepalive\n\n");
			s->len = s->buf ? strlen(s->buf) : 0;
			break;
		case FEED_BEHIND:
			/* Too slow a reader: the whole state again. */
			state = gates_state(s->gs, &s->seq, &n);
			s->len = state ? n + 32 : 0;
			s->buf = state ? malloc(s->len) : NULL;
			if (s->buf)
				s->len = snprintf(s->buf, s->len, "event: state"
						  "\ndata: %s\n\n", state);
			free(state);
			break;
		case FEED_CLOSED:
			return MHD_CONTENT_READER_END_OF_STREAM;
		case FEED_NOMEM:
			break;
		}
		if (!s->buf)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(out, s->buf + s->off, n);
	s->off += n;
	return n;
}

static void sse_free(void *cls)
{
	struct sse *s = cls;

	free(s->buf);
	free(s);
}

/* The whole state first, then every change. */
static struct MHD_Response *events(struct web *w)
{
	struct MHD_Response *r;
	struct sse *s = calloc(1, sizeof(*s));
	char *state;
	size_t n;

	if (!s)
		return NULL;
	s->gs = w->gs;
	state = gates_state(w->gs, &s->seq, &n);
	s->len = state ? n + 48 : 0;
	s->buf = state ? malloc(s->len) : NULL;
	if (!s->buf) {
		free(state);
		free(s);
		return NULL;
	}
	/* retry: the browser reconnects after 2 s */
	s->len = snprintf(s->buf, s->len, "retry: 2000\nevent: state\n"
			  "data: %s\n\n", state);
	free(state);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
					      sse_read, s, sse_free);
	if (!r) {
		sse_free(s);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	return r;
}

static struct MHD_Response *state(struct web *w)
{
	struct MHD_Response *r;
	uint64_t seq;
	size_t n;
	char *json = gates_state(w->gs, &seq, &n);

	if (!json)
		return NULL;
	r = MHD_create_response_from_buffer(n, json, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(json);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **request)
{
	struct web *w = cls;
	struct MHD_Response *r;
	char user[AUTH_NAME_MAX + 1];
	const char *header;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)request;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		r = text("read-only: GET and HEAD only\n");
		if (r)
			MHD_add_response_header(r, "Allow", "GET, HEAD");
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
	}
	header = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					     MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth_check(w->auth, header, user, sizeof(user))) {
		if (header)
			log_refusal(w, c, user);
		r = text("log in, please\n");
		if (r)
			MHD_add_response_header(r, "WWW-Authenticate",
				"Basic realm=\"passgate overview\", "
				"charset=\"UTF-8\"");
		return reply(c, MHD_HTTP_UNAUTHORIZED, r);
	}
	for (size_t i = 0; i < FILES; i++) {
		if (strcmp(url, files[i].path))
			continue;
		r = MHD_create_response_from_buffer(w->len[i], w->body[i],
						    MHD_RESPMEM_PERSISTENT);
		if (r)
			MHD_add_response_header(r, "Content-Type",
						files[i].type);
		return reply(c, MHD_HTTP_OK, r);
	}
	if (!strcmp(url, "/api/state"))
		return reply(c, MHD_HTTP_OK, state(w));
	if (!strcmp(url, "/events"))
		return reply(c, MHD_HTTP_OK, events(w));
	return reply(c, MHD_HTTP_NOT_FOUND, text("not found\n"));
}

/* ADDRESS:PORT or [V6ADDRESS]:PORT, numeric: into @ss. */
static int parse_listen(const char *arg, struct sockaddr_storage *ss,
			char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *ai;
	char host[256], *port, *end;
	long p;

	if (snprintf(host, sizeof(host), "%s", arg) >= (int)sizeof(host))
		goto bad;
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end || end[1] != ':')
			goto bad;
		*end = '\0';
		port = end + 2;
		memmove(host, host + 1, strlen(host));
	} else {
		port = strrchr(host, ':');
		if (!port)
			goto bad;
		*port++ = '\0';
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (errno || *end || end == port || p < 1 || p > 65535 || !*host)
		goto bad;
	if (getaddrinfo(host, port, &hints, &ai))
		goto bad;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
bad:
	snprintf(err, errlen, "--listen %s: not ADDRESS:PORT or "
		 "[V6ADDRESS]:PORT, numeric (0.0.0.0:PORT for every "
		 "interface, said so)", arg);
	return -1;
}

/* A file read whole into a new buffer; @secret: refused if others read. */
static char *slurp(const char *path, size_t max, bool secret, size_t *len,
		   char *err, size_t errlen)
{
	char *buf = malloc(max);
	ssize_t n;

	if (!buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	n = secret ? passgate_file_read_secret(path, buf, max) :
	    passgate_file_read_small(path, buf, max);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 secret && errno == EPERM ?
			 "group or others may read it (chmod 600)" :
			 passgate_file_strerror(errno));
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static void web_free(struct web *w)
{
	for (size_t i = 0; i < FILES; i++)
		free(w->body[i]);
	free(w->cert);
	if (w->key) {
		explicit_bzero(w->key, strlen(w->key));
		free(w->key);
	}
	pthread_mutex_destroy(&w->log_lock);
	free(w);
}

struct web *web_start(const struct web_config *cfg, struct gates *gs,
		      struct auth *auth, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_TLS |
			     MHD_USE_ERROR_LOG;
	unsigned int per_ip;
	struct web *w;
	char path[4096];
	size_t n;

	if (parse_listen(cfg->listen, &ss, err, errlen))
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w || pthread_mutex_init(&w->log_lock, NULL)) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		free(w);
		return NULL;
	}
	w->gs = gs;
	w->auth = auth;
	for (size_t i = 0; i < FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", cfg->static_dir,
			 files[i].file);
		w->body[i] = slurp(path, STATIC_MAX, false, &w->len[i], err,
				   errlen);
		if (!w->body[i])
			goto free_web;
	}
	w->cert = slurp(cfg->cert, PEM_MAX, false, &n, err, errlen);
	if (!w->cert)
		goto free_web;
	w->key = slurp(cfg->key, PEM_MAX, true, &n, err, errlen);
	if (!w->key)
		goto free_web;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	per_ip = cfg->max_clients < PER_IP_MAX ? cfg->max_clients : PER_IP_MAX;
	w->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, w,
		MHD_OPTION_EXTERNAL_LOGGER, log_mhd, w,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_HTTPS_MEM_KEY, w->key,
		MHD_OPTION_HTTPS_MEM_CERT, w->cert,
		MHD_OPTION_HTTPS_PRIORITIES,
		"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		MHD_OPTION_CONNECTION_LIMIT, cfg->max_clients,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_END);
	if (!w->daemon) {
		snprintf(err, errlen, "https on %s did not start (the log"
			 " says why: the address, the certificate or its key)",
			 cfg->listen);
		goto free_web;
	}
	w->started = true;
	return w;
free_web:
	web_free(w);
	return NULL;
}

void web_stop(struct web *w)
{
	if (!w)
		return;
	/* Event streams end first: their threads wait in the feed. */
	feed_close(gates_feed(w->gs));
	MHD_stop_daemon(w->daemon);
	web_free(w);
}
