// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tickets used at this gate, kept across a reboot.  The policy
 * program remembers each use in a pinned map and reports it on a ring
 * buffer; the daemon appends what it reports to the state folder's log
 * (gate/core/ticketlog.h), synced, as it arrives.  At start the log and
 * the map are joined: what the log holds goes back into the map (a fresh
 * policy after a reboot or module upgrade has an empty one), and the log
 * is rewritten from the map, without the uses whose window is over.  A
 * use reported while no daemon ran waits in the ring buffer (or, if that
 * overflowed, is in the map, and so in the rewritten log).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "daemon.h"
#include "gate/core/ticketlog.h"

#define TICKET_BATCH 256

/* The uses batched so far, into the log. */
static void tickets_flush(struct daemon *d)
{
	if (!d->tickets_batched)
		return;
	if (d->tickets_fd < 0 ||
	    passgate_ticket_log_append(d->tickets_fd, d->tickets_batch,
				       d->tickets_batched))
		passgate_log_pri(LOG_WARNING, NULL, "%zu ticket uses not kept "
				 "for a restart: %s", d->tickets_batched,
				 d->tickets_fd < 0 ? "no log" :
				 strerror(errno));
	d->tickets_batched = 0;
}

/* libbpf has taken the record off the ring before it calls this. */
static int on_use(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;

	if (size != sizeof(struct policy_ticket_record))
		return 0;
	if (d->tickets_batched == TICKET_BATCH)
		tickets_flush(d);
	memcpy(&d->tickets_batch[d->tickets_batched++], data, size);
	return 0;
}

/* Uses the ring buffer holds, into the log: one synced write a batch. */
void tickets_handle(struct daemon *d)
{
	ring_buffer__consume(d->tickets_ring);
	tickets_flush(d);
}

/* The log and the map joined; the log rewritten. */
static int tickets_join(struct daemon *d, const char *path)
{
	uint32_t now = passgate_policy_tai_seconds(time(NULL));
	struct policy_ticket_record *kept, *all;
	ssize_t n, m, i, live = 0;
	int ret = 0;

	n = passgate_ticket_log_read(path, now, &kept);
	if (n < 0) {
		passgate_log_pri(LOG_WARNING, NULL, "%s: %s; tickets used "
				 "before are not known", path, strerror(errno));
		n = 0;
	}
	for (i = 0; i < n; i++)
		if (passgate_policy_ticket_use_add(d->policy, &kept[i]))
			break;
	free(kept);
	if (i < n) {
		passgate_log_pri(LOG_ERR, NULL, "ticket uses: %s",
				 strerror(errno));
		return -1;
	}
	m = passgate_policy_ticket_uses(d->policy, &all);
	if (m < 0) {
		passgate_log_pri(LOG_ERR, NULL, "ticket uses: %s",
				 strerror(errno));
		return -1;
	}
	for (i = 0; i < m; i++)
		if (!all[i].use.valid_until || all[i].use.valid_until > now)
			all[live++] = all[i];
	if ((live || !access(path, F_OK)) &&
	    passgate_ticket_log_write(path, all, live)) {
		passgate_log_pri(LOG_ERR, NULL, "%s: %s", path,
				 strerror(errno));
		ret = -1;
	}
	if (n || live)
		passgate_log("ticket uses: %zd kept, %zd remembered", n, live);
	free(all);
	return ret;
}

int tickets_open(struct daemon *d)
{
	char path[PATH_MAX];

	d->tickets_fd = -1;
	if (passgate_ticket_log_path(&d->cfg, path, sizeof(path))) {
		passgate_log_pri(LOG_ERR, NULL, "%s: %s", d->cfg.state_dir,
				 strerror(errno));
		return -1;
	}
	d->tickets_batch = calloc(TICKET_BATCH, sizeof(*d->tickets_batch));
	if (!d->tickets_batch || tickets_join(d, path))
		return -1;
	d->tickets_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
			     O_NOFOLLOW, 0640);
	d->tickets_ring = ring_buffer__new(passgate_policy_ticket_log_fd(d->policy),
					   on_use, d, NULL);
	if (d->tickets_fd < 0 || !d->tickets_ring ||
	    passgate_loop_watch(&d->loop, ring_buffer__epoll_fd(d->tickets_ring),
				SOURCE_TICKETS, 0)) {
		passgate_log_pri(LOG_ERR, NULL, "ticket uses %s: %s", path,
				 strerror(errno));
		return -1;
	}
	/* What the program reported while no daemon ran. */
	tickets_handle(d);
	return 0;
}

void tickets_close(struct daemon *d)
{
	if (d->tickets_ring) {
		tickets_handle(d);
		ring_buffer__free(d->tickets_ring);
	}
	if (d->tickets_fd >= 0)
		close(d->tickets_fd);
	free(d->tickets_batch);
}
