// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgatectl seed-generation [--tickets] N: the operator's explicit
 * start of the gate's rollback record (with --tickets, the ticket lists'
 * record, which is separate: their generations are their own).  Without
 * the record the daemon takes no list (a lost record must not silently
 * reset rollback protection), so a new gate is seeded once at install
 * (N = 0), and a gate whose record was lost is seeded by someone who
 * knows the last generation it ran.  The seeding enters the gate's event
 * stream (RECORD_SEEDED, marked PASSGATE_CLAIM_TICKETS for tickets), and
 * so the journal and the station.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "common/allowlist.h"
#include "gate/core/state.h"

int cmd_seed(const struct options *o, int argc, char **argv)
{
	struct passgate_list_claim claim = { .flags = PASSGATE_CLAIM_TICKETS };
	unsigned int holds = PASSGATE_LIST_CODES;
	struct passgate_gate *gate;
	unsigned long long n;
	const char *arg;
	char *end;

	if (argc == 3 && strcmp(argv[1], "--tickets")) {
		fprintf(stderr, "passgatectl: seed-generation: %s: not "
			"--tickets\n", argv[1]);
		return 2;
	}
	if (argc == 3)
		holds = PASSGATE_LIST_TICKETS;
	arg = argv[argc - 1];
	errno = 0;
	n = strtoull(arg, &end, 10);
	if (errno || *end || !*arg || *arg == '-') {
		fprintf(stderr, "passgatectl: seed-generation: %s: not a "
			"generation\n", arg);
		return 2;
	}
	if (passgate_record_seed_list(o->config.state_dir, o->gate, holds, n))
		return fail("seed-generation");
	gate = passgate_gate_open(o->gate, O_RDWR);
	if (!gate || passgate_gate_note(gate, PASSGATE_EV_RECORD_SEEDED, 0, n,
					holds == PASSGATE_LIST_TICKETS ?
					&claim : NULL,
					holds == PASSGATE_LIST_TICKETS ?
					sizeof(claim) : 0))
		fprintf(stderr, "passgatectl: seeded, but the gate's event "
			"stream did not take the note: %s\n", strerror(errno));
	passgate_gate_close(gate);
	printf("gate %u: %sgeneration record seeded at %llu; %slists above "
	       "it are taken\n", o->gate,
	       holds == PASSGATE_LIST_TICKETS ? "ticket " : "", n,
	       holds == PASSGATE_LIST_TICKETS ? "ticket " : "");
	return 0;
}
