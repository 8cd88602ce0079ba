// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgatectl seed-generation N: the operator's explicit start of the
 * gate's rollback record.  Without the record the daemon takes no list
 * (a lost record must not silently reset rollback protection), so a new
 * gate is seeded once at install (N = 0), and a gate whose record was
 * lost is seeded by someone who knows the last generation it ran.  The
 * seeding enters the gate's event stream (RECORD_SEEDED), and so the
 * journal and the station.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "gate/core/state.h"

int cmd_seed(const struct options *o, int argc, char **argv)
{
	struct passgate_gate *gate;
	unsigned long long n;
	char *end;

	(void)argc;
	errno = 0;
	n = strtoull(argv[1], &end, 10);
	if (errno || *end || !*argv[1] || *argv[1] == '-') {
		fprintf(stderr, "passgatectl: seed-generation: %s: not a "
			"generation\n", argv[1]);
		return 2;
	}
	if (passgate_record_seed(o->config.state_dir, o->gate, n))
		return fail("seed-generation");
	gate = passgate_gate_open(o->gate, O_RDWR);
	if (!gate || passgate_gate_note(gate, PASSGATE_EV_RECORD_SEEDED, 0,
					n, NULL, 0))
		fprintf(stderr, "passgatectl: seeded, but the gate's event "
			"stream did not take the note: %s\n", strerror(errno));
	passgate_gate_close(gate);
	printf("gate %u: generation record seeded at %llu; lists above it "
	       "are taken\n", o->gate, n);
	return 0;
}
