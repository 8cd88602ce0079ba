#!/bin/sh
# make demo: boot the test gate in QEMU and show what passgate made of it.
set -eu
build=${BUILD:?} kernel=${GUEST_KERNEL:?}
exec qemu/run-qemu.sh --kernel-dir "$kernel" \
	--acpi "$build/selftests/testgate.aml" --out "$build/demo" \
	--timeout 600 -- qemu/guest-gate.sh qemu/guest-demo.sh "$build"
