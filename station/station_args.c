// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "station/station_args.h"

int passgate_station_valid_name(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > PASSGATE_STATION_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int passgate_station_parse_broker(char *arg, char **host, int *port)
{
	char *colon, *end;
	long p = 1883;

	if (arg[0] == '[') {
		*host = arg + 1;
		colon = strchr(arg, ']');
		if (!colon)
			return -1;
		*colon++ = '\0';
		if (*colon && *colon != ':')
			return -1;
	} else {
		*host = arg;
		colon = strrchr(arg, ':');
	}
	if (colon && *colon == ':') {
		*colon = '\0';
		errno = 0;
		p = strtol(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1 || p < 1 || p > 65535)
			return -1;
	}
	*port = p;
	return **host ? 0 : -1;
}
