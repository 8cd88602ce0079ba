#!/bin/sh
# Inside the guest: run each kselftest binary; non-zero if any failed.
rc=0
for t in "$@"; do
	echo "# == $t"
	"$t" || rc=1
done
exit $rc
