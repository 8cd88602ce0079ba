// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Capabilities through the raw capget()/capset() interface (version 3,
 * two 32-bit words per set), so nothing beyond libc is needed.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "common/caps.h"

static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capget, &hdr, data);
}

static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

int passgate_caps_effective(uint64_t *caps)
{
	struct __user_cap_data_struct data[2];

	if (caps_get(data))
		return -1;
	*caps = (uint64_t)data[1].effective << 32 | data[0].effective;
	return 0;
}

int passgate_caps_limit(uint64_t keep)
{
	return passgate_caps_keep(keep, keep);
}

int passgate_caps_keep(uint64_t keep, uint64_t effective)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	int cap, last = cap_last();
	unsigned int i;

	if (caps_get(data))
		return -1;
	/* The bounding set first: dropping it needs CAP_SETPCAP. */
	if (data[CAP_SETPCAP / 32].effective & (1u << (CAP_SETPCAP % 32)))
		for (cap = 0; cap <= last; cap++)
			if (!(keep & PASSGATE_CAP(cap)) &&
			    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) &&
			    errno != EINVAL)
				return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		return -1;
	for (i = 0; i < 2; i++) {
		uint32_t k = keep >> (32 * i);

		data[i].effective &= k & (effective >> (32 * i));
		data[i].permitted &= k;
		data[i].inheritable = 0;
	}
	return syscall(SYS_capset, &hdr, data);
}

/* Set @cap in the effective set to @on; *@changed: whether it changed. */
static int caps_set_effective(int cap, bool on, bool *changed)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2], *d;
	uint32_t bit;

	*changed = false;
	if (cap < 0 || cap >= 64) {
		errno = EINVAL;
		return -1;
	}
	if (caps_get(data))
		return -1;
	d = &data[cap / 32];
	bit = 1u << (cap % 32);
	if (!!(d->effective & bit) == on)
		return 0;
	if (on && !(d->permitted & bit)) {
		errno = EPERM;
		return -1;
	}
	if (on)
		d->effective |= bit;
	else
		d->effective &= ~bit;
	if (syscall(SYS_capset, &hdr, data))
		return -1;
	*changed = true;
	return 0;
}

int passgate_caps_raise(int cap, bool *raised)
{
	return caps_set_effective(cap, true, raised);
}

int passgate_caps_lower(int cap)
{
	bool changed;

	return caps_set_effective(cap, false, &changed);
}
