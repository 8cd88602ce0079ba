// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mosquitto.h>

#include "station/mqtt_tls.h"

/* SSL_VERIFY_PEER, without including OpenSSL for one constant. */
#define VERIFY_PEER 1

static int key_private(const char *key, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(key, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", key, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO))) {
		snprintf(err, errlen, "%s: %s", key, S_ISREG(st.st_mode) ?
			 "group or others may read it (chmod 600)" :
			 "not a regular file");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int passgate_mqtt_tls(struct mosquitto *m, const char *ca, const char *cert,
		      const char *key, char *err, size_t errlen)
{
	int rc;

	if (!*ca || !*cert || !*key) {
		snprintf(err, errlen, "TLS needs the station CA, a "
			 "certificate and its key");
		return -1;
	}
	if (key_private(key, err, errlen))
		return -1;
	rc = mosquitto_tls_set(m, ca, NULL, cert, key, NULL);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_tls_opts_set(m, VERIFY_PEER, "tlsv1.2", NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "TLS with %s, %s, %s: %s", ca, cert, key,
			 rc == MOSQ_ERR_ERRNO ? strerror(errno) :
			 mosquitto_strerror(rc));
		return -1;
	}
	return 0;
}
