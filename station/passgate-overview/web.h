/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The overview's https server (libmicrohttpd with GnuTLS): the page (its
 * three static files), /api/state (the whole state, JSON) and /events
 * (the changes, server-sent events), read-only, every request with HTTP
 * Basic authentication (auth.h).  A thread per connection, at most
 * @max_clients of them.
 */
#ifndef PASSGATE_OVERVIEW_WEB_H
#define PASSGATE_OVERVIEW_WEB_H

#include <stddef.h>

#include "auth.h"
#include "gates.h"

struct web_config {
	const char *listen;	/* ADDRESS:PORT, [V6ADDRESS]:PORT */
	const char *cert;	/* the server's certificate chain (PEM) */
	const char *key;	/* its key (PEM), refused if others may read it */
	const char *static_dir;	/* index.html, overview.css, overview.js */
	unsigned int max_clients;
};

struct web;

/* Listen, or NULL with why in @err. */
struct web *web_start(const struct web_config *cfg, struct gates *gs,
		      struct auth *auth, char *err, size_t errlen);
/* End every event stream, stop listening, join the threads. */
void web_stop(struct web *w);

#endif
