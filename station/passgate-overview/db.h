/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The overview's side of the collector's PostgreSQL: one connection, read
 * only, LISTENing on passgate_stored (the collector's NOTIFY in the
 * transaction that stores a gate's batch, delivered on its COMMIT).
 * Everything here runs on the main thread.
 */
#ifndef PASSGATE_OVERVIEW_DB_H
#define PASSGATE_OVERVIEW_DB_H

#include "gates.h"

struct db;

/* @window_min: how far back a gate's verdicts are read. */
struct db *db_new(const char *conninfo, struct gates *gs,
		  unsigned int window_min);
void db_free(struct db *d);

/*
 * Connect, LISTEN, then read every gate the database holds (its chain
 * table) into the gates.  0, or -1 (logged; try again later).
 */
int db_connect(struct db *d);
/* The connection's socket, -1 while there is none. */
int db_socket(const struct db *d);
/*
 * The socket is readable: read every gate the notifications name again
 * (the rows after what was folded).  -1 when the connection is lost.
 */
int db_notified(struct db *d);

#endif
