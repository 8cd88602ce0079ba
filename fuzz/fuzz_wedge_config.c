// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the value of a "wedge =" line,
 * passgate_wedge_config_parse() (gate/core/wedge.c), on a
 * NUL-terminated copy of the input.
 *
 * Invariants checked (abort() on violation): a refusal is -1 with errno
 * EINVAL; an accepted line has every field in its documented range (a
 * name, or by_id with no name; lane 0-255; kind code/id/ticket; a
 * terminator; layout us; timeout_ms 1-10000; prefixes printable, no '"',
 * under 16 bytes, none starting another), and the line written back from
 * the result parses to the same configuration.
 */
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct passgate_wedge_config cfg;
	char *line = malloc(size + 1);
	int ret;

	CHECK(line);
	memcpy(line, data, size);
	line[size] = '\0';
	errno = 0;
	ret = passgate_wedge_config_parse(line, &cfg);
	if (ret) {
		CHECK(ret == -1 && errno == EINVAL);
	} else {
		fuzz_check_wedge_config(&cfg);
	}
	free(line);
	return 0;
}
