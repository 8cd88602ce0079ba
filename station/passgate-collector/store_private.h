/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Between store.c (the connection, its retries) and the two ways of
 * storing a transaction's batches: store_copy.c (batched, the default)
 * and store_row.c (one INSERT per row, the baseline).
 */
#ifndef PASSGATE_COLLECTOR_STORE_PRIVATE_H
#define PASSGATE_COLLECTOR_STORE_PRIVATE_H

#include <libpq-fe.h>

#include "store.h"

/*
 * One try of store_items(): BEGIN, every gate's head checked and locked,
 * the rows, the heads and seals, the notifications (delivered on COMMIT,
 * and only then), COMMIT.  0 committed; 1 a gate's head moved (@why
 * says which, that gate is no longer head_known; rolled back); -1 failed,
 * with the server's word in *@res (NULL: PQerrorMessage() has it).
 */
int store_copy_once(PGconn *conn, const struct store_item *item, size_t n,
		    PGresult **res, char *why, size_t whylen);
/* The baseline stores one batch a transaction, as before. */
int store_row_once(PGconn *conn, const struct store_item *it,
		   PGresult **res, char *why, size_t whylen);

#endif
