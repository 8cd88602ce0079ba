#!/bin/sh
# Inside the guest, with the gate loaded: what the operator sees.
set -eu
build=$1
echo "== passgate demo: the test gate as the kernel bound it from firmware"
ls -l /dev/passgate/*/*/
echo
"$build/bin/passgatectl" lanes
echo
"$build/bin/passgatectl" --json lanes
