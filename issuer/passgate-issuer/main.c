// SPDX-License-Identifier: GPL-2.0-only
/*
 * passgate-issuer: make issuer keys, build and sign allowlists (health
 * codes, or tickets) from a CSV file, derive deltas between two lists,
 * verify a list, print a digest.
 * docs/allowlist-format.md describes the files and every command.
 *
 * Exit status: 0 done, 1 refused or failed, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/version.h"
#include "issuer.h"
#include "common/digest.h"
#include "common/minisign.h"

const char *const prog = "passgate-issuer";

void usage_text(FILE *out)
{
	fprintf(out,
		"usage: %1$s COMMAND [OPTIONS]\n"
		"  %1$s -h|--help | -V|--version\n"
		"  %1$s keygen --public FILE --secret FILE\n"
		"  %1$s build --secret KEY [--id-key FILE] --csv FILE --generation N\n"
		"      --expires TIME [--not-before TIME] [--station CODE] [--tickets]\n"
		"      -o LIST\n"
		"  %1$s delta --secret KEY --from OLD --to NEW [--trust DIR] -o DELTA\n"
		"  %1$s verify --trust DIR [--json] LIST\n"
		"  %1$s digest --kind code|id|ticket [--id-key FILE] TOKEN\n"
		"\n"
		"TIME: unix seconds, or +N followed by d, h, m or s (from now).\n"
		"CSV columns: " CSV_HEADER "\n"
		"  with --tickets (--id-key needed): " CSV_TICKET_HEADER "\n"
		"Exit status: 0 done, 1 refused or failed, 2 usage.\n", prog);
}

int usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", prog);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	usage_text(stderr);
	return EXIT_USAGE;
}

int refuse(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_REFUSED;
}

/* A whole decimal number no larger than @max. */
int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Unix seconds, or "+N" and a unit (d, h, m, s) from @now. */
int parse_time(const char *s, uint64_t now, uint64_t *out)
{
	uint64_t n, unit;
	char *digits, u;
	size_t len = strlen(s);
	int ret;

	if (*s != '+')
		return parse_u64(s, UINT64_MAX, out);
	if (len < 3)
		return -1;
	u = s[len - 1];
	unit = u == 'd' ? 86400 : u == 'h' ? 3600 : u == 'm' ? 60 : u == 's' ? 1 : 0;
	if (!unit)
		return -1;
	digits = strndup(s + 1, len - 2);
	if (!digits)
		return -1;
	ret = parse_u64(digits, (UINT64_MAX - now) / unit, &n);
	free(digits);
	if (ret)
		return -1;
	*out = now + n * unit;
	return 0;
}

void format_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > (uint64_t)INT64_MAX || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "out of range");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
		{ "keygen", cmd_keygen },
		{ "build", cmd_build },
		{ "delta", cmd_delta },
		{ "verify", cmd_verify },
		{ "digest", cmd_digest },
	};
	size_t i;

	if (argc < 2)
		return usage("no command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage_text(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return passgate_print_version(prog);
	if (sodium_init() < 0)
		return refuse("libsodium failed to initialise");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	return usage("unknown command \"%s\"", argv[1]);
}
