#!/bin/bash
# The power cut (docs/RELIABILITY.md): two boots of the test gate on one
# ext4 disk image.  Boot 1 journals a stream of scans onto the disk and is
# killed (QEMU, SIGKILL) once the guest has reported enough events
# acknowledged; boot 2 checks the journal against the last acknowledgement
# the host saw (selftests/powercut_test.c).  Output ends in the kselftest
# totals of boot 2.
#
# usage: selftests/powercut.sh BUILD KERNEL_DIR
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || { sed -n '9p' "$0" >&2; exit 2; }
build=$1 kernel=$2
out=$build/powercut
img=$out/disk.img
PATH=$PATH:/usr/sbin:/sbin

mkdir -p "$out"
rm -f "$img"
truncate -s 64M "$img"
mkfs.ext4 -q -F "$img"

boot() { # out-dir [run-qemu options] -- command...
	local dir=$1
	shift
	selftests/run-qemu.sh --kernel-dir "$kernel" \
		--acpi "$build/selftests/testgate.aml" --disk "$img" \
		--timeout 600 --out "$out/$dir" "$@"
}

echo "# power cut: boot 1 journals a stream of scans until QEMU is killed"
# A seq of 3 digits or more: a few hundred events acknowledged.
boot boot1 --cut-on 'POWERCUT-ACKED [0-9]{3,}' -- \
	scripts/guest-gate.sh env PASSGATE_POWERCUT=stream \
	"$build/selftests/powercut_test" >"$out/boot1.log" 2>&1 ||
	{ tail -n 30 "$out/boot1.log"; die "boot 1 failed (see $out/boot1.log)"; }
acked=$(grep -a -o 'POWERCUT-ACKED [0-9]*' "$out/boot1/console.log" |
	tail -n 1 | cut -d' ' -f2)
[[ -n $acked ]] || die "boot 1 reported nothing acknowledged"
echo "# power cut: the host saw seq $acked acknowledged; boot 2 checks the journal"

boot boot2 -- scripts/guest-gate.sh env PASSGATE_POWERCUT=verify \
	PASSGATE_POWERCUT_ACKED="$acked" "$build/selftests/powercut_test"
