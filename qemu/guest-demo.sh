#!/bin/sh
# Inside the guest, with the gate loaded: the station exit, then what the
# operator's tool shows of it.
set -eu
build=$1
"$build/demo/station_exit"
rc=$?
echo
echo "== passgatectl lanes"
"$build/bin/passgatectl" lanes
exit $rc
