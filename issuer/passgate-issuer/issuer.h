/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * passgate-issuer's parts: main.c (commands, usage, numbers and times),
 * keygen.c, csv.c (the CSV a list is built from), build.c, delta.c,
 * verify.c, digest.c.
 */
#ifndef PASSGATE_ISSUER_H
#define PASSGATE_ISSUER_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/listfile.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define ERR_MAX 512
#define CSV_HEADER "code,status,id_number,valid_from,valid_until,ticket"
#define CSV_FIELDS 6
#define CSV_TICKET_HEADER "id_number,station,valid_from,valid_until,train,ticket,used"
#define CSV_TICKET_FIELDS 7
#define READ_BATCH 4096

extern const char *const prog;

/* Usage on @out; usage() says what was wrong first (@fmt may be NULL). */
void usage_text(FILE *out);
int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "passgate-issuer: ..." on stderr; returns EXIT_REFUSED. */
int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A whole decimal number no larger than @max. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
/* Unix seconds, or "+N" and a unit (d, h, m, s) from @now. */
int parse_time(const char *s, uint64_t now, uint64_t *out);
void format_time(uint64_t t, char *buf, size_t len);

/*
 * csv.c: the entries of @path, of the list that holds @holds (struct
 * passgate_list_entry or passgate_ticket_entry), sorted; how many, or -1
 * (said why).
 */
ssize_t read_csv(const char *path, const uint8_t *id_key, unsigned int holds,
		 void **out);
/* build.c: what a written list holds, on stdout. */
void print_written(const char *path, const struct passgate_list_info *info);

int cmd_keygen(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_delta(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_digest(int argc, char **argv);

#endif
