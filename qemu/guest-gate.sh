#!/bin/sh
# Inside the guest (chrooted into the host root, in the repository): load
# the test board and passgate, which bind to the test gate of the SSDT,
# make the machine a gate PC (qemu/guest-privileges.sh), run the command,
# then unload both so that a leak or a warning on removal shows up in the
# guest log.
#
# usage: qemu/guest-gate.sh COMMAND [ARG...]
set -u

insmod selftests/testboard/passgate-testboard.ko || exit 1
insmod passgate.ko || exit 1
# The gate PC's users, folders and udev rule (tests run as those users).
# shellcheck source=qemu/guest-privileges.sh
. "$(dirname "$0")/guest-privileges.sh" || exit 1

"$@"
rc=$?
privileges_stop

rmmod passgate || rc=1
rmmod passgate-testboard || rc=1
exit $rc
