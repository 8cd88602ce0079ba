#!/bin/sh
# Inside the guest (chrooted into the host root, in the repository): load
# the test board and passgate, which bind to the test gate of the SSDT, run
# the command, then unload both so that a leak or a warning on removal
# shows up in the guest log.
#
# usage: qemu/guest-gate.sh COMMAND [ARG...]
set -u

insmod selftests/testboard/passgate-testboard.ko || exit 1
insmod passgate.ko || exit 1

"$@"
rc=$?

rmmod passgate || rc=1
rmmod passgate-testboard || rc=1
exit $rc
