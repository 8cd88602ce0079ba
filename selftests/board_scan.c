// SPDX-License-Identifier: GPL-2.0-only
/*
 * board-scan: play lane 0's scanner board for one scan, for a test that
 * has no harness of its own (qemu/install-test.sh, in the Debian guest):
 * send one SCAN on /dev/ttyS2 and print the gate's answer, the INDICATE,
 * as "green|red|amber REASON".  CENTI_C, the passenger's temperature in
 * hundredths of a degree, goes with the scan (fever screening).
 *
 * usage: board-scan code|id|ticket TOKEN [CENTI_C]
 * Exit status: 0 answered, 1 no answer in time or a line error, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"

static const char *const lights[] = { "off", "green", "red", "amber" };

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		__u8 kind;
	} kinds[] = {
		{ "code", PASSGATE_CRED_HEALTH_CODE },
		{ "id", PASSGATE_CRED_ID_CARD },
		{ "ticket", PASSGATE_CRED_TICKET },
	};
	struct board_reply reply;
	int fd, err, centi_c = -1;
	unsigned int i = 0;
	char *end;

	if (argc == 4) {
		centi_c = strtol(argv[3], &end, 10);
		if (*end || centi_c < 0 || centi_c > 0xffff)
			argc = 0;
	}
	for (; (argc == 3 || argc == 4) &&
	     i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(argv[1], kinds[i].name))
			break;
	if ((argc != 3 && argc != 4) || i == sizeof(kinds) / sizeof(kinds[0])) {
		fputs("usage: board-scan code|id|ticket TOKEN [CENTI_C]\n",
		      stderr);
		return 2;
	}
	fd = board_open();
	if (fd < 0) {
		fprintf(stderr, "board-scan: %s: %s\n", BOARD_TTY, strerror(-fd));
		return 1;
	}
	err = board_forget(fd);
	if (!err)
		err = board_send_scan(fd, 1, kinds[i].kind, argv[2], centi_c);
	if (!err)
		err = board_expect(fd, PASSGATE_FRAME_INDICATE, 1, &reply);
	if (err) {
		fprintf(stderr, "board-scan: %s\n", strerror(-err));
		return 1;
	}
	printf("%s %u\n", reply.payload[1] < 4 ? lights[reply.payload[1]] : "?",
	       reply.payload[3] | reply.payload[4] << 8);
	return 0;
}
