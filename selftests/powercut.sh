#!/bin/bash
# The power cut (docs/RELIABILITY.md): two boots of the test gate on one
# ext4 disk image.  Boot 1 journals a stream of scans onto the disk and is
# killed (QEMU, SIGKILL) once the guest has reported enough events
# acknowledged; boot 2 checks the journal against the last acknowledgement
# the host saw (selftests/powercut_test.c).  Output ends in the kselftest
# totals of boot 2.
#
# usage: selftests/powercut.sh BUILD KERNEL_DIR          (x86_64, ACPI)
#        selftests/powercut.sh --arm64 A64 KERNEL_DIR    (arm64, device tree)
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
arch=x86_64
if [[ ${1:-} = --arm64 ]]; then
	arch=arm64
	shift
fi
[[ $# -eq 2 ]] || { sed -n '9,10p' "$0" >&2; exit 2; }
build=$1 kernel=$2
out=$build/powercut
img=$out/disk.img
PATH=$PATH:/usr/sbin:/sbin

mkdir -p "$out"
rm -f "$img"
truncate -s 64M "$img"
mkfs.ext4 -q -F "$img"

repo=$(pwd -P)
boot() { # out-dir [run-qemu options] -- env-assignments...
	local dir=$1 opts=()
	shift
	while [[ $1 != -- ]]; do opts+=("$1"); shift; done
	shift
	if [[ $arch = x86_64 ]]; then
		qemu/run-qemu.sh --kernel-dir "$kernel" \
			--acpi "$build/selftests/testgate.aml" --disk "$img" \
			--timeout 600 --out "$out/$dir" "${opts[@]}" -- \
			qemu/guest-gate.sh env "$@" "$build/selftests/powercut_test"
	else
		# From the arm64 module's folder, as make check runs the tests.
		qemu/run-qemu-arm64.sh --kernel-dir "$kernel" \
			--dtbo "$build/dt/passgate-testgate-virt.dtbo" \
			--rootfs "$build/rootfs" --disk "$img" \
			--timeout 600 --out "$out/$dir" "${opts[@]}" -- \
			sh -c 'cd "$0" && exec "$@"' "$repo/$build/module" \
			"$repo/qemu/guest-gate.sh" env "$@" \
			"$repo/$build/selftests/powercut_test"
	fi
}

echo "# power cut ($arch): boot 1 journals a stream of scans until QEMU is killed"
# A seq of 3 digits or more: a few hundred events acknowledged.
boot boot1 --cut-on 'POWERCUT-ACKED [0-9]{3,}' -- PASSGATE_POWERCUT=stream \
	>"$out/boot1.log" 2>&1 ||
	{ tail -n 30 "$out/boot1.log"; die "boot 1 failed (see $out/boot1.log)"; }
acked=$(grep -a -o 'POWERCUT-ACKED [0-9]*' "$out/boot1/console.log" |
	tail -n 1 | cut -d' ' -f2)
[[ -n $acked ]] || die "boot 1 reported nothing acknowledged"
echo "# power cut: the host saw seq $acked acknowledged; boot 2 checks the journal"

boot boot2 -- PASSGATE_POWERCUT=verify PASSGATE_POWERCUT_ACKED="$acked"
