#!/bin/bash
# Egress at power-off (docs/turnstile.md): the guest powers off with the
# module loaded (qemu/guest-shutdown.sh), gate 0's fire alarm raised
# before and gate 1's raised during the shutdown, after every lane's and
# gate's .shutdown ran.  The test board prints its lines last; every
# unlock output must read open: gate 0's lanes (fail-safe, on fire) and
# gate 1's lane (fail-secure, opened by the alarm while the driver still
# holds its GPIOs).  TAP lines, then the kselftest totals.
#
# usage: selftests/shutdown.sh BUILD KERNEL_DIR          (x86_64, ACPI)
#        selftests/shutdown.sh --arm64 A64 KERNEL_DIR    (arm64, device tree)
set -uo pipefail

arch=x86_64
if [[ ${1:-} = --arm64 ]]; then
	arch=arm64
	shift
fi
[[ $# -eq 2 ]] || { sed -n '10,11p' "$0" >&2; exit 2; }
build=$1 kernel=$2
out=$build/shutdown
repo=$(pwd -P)
mkdir -p "$out"

echo "# shutdown ($arch): power-off with the alarms raised"
if [[ $arch = x86_64 ]]; then
	qemu/run-qemu.sh --kernel-dir "$kernel" \
		--acpi "$build/selftests/testgate.aml" --timeout 300 \
		--out "$out/guest" -- qemu/guest-shutdown.sh >"$out/run.log" 2>&1
else
	# hvc0 falls silent at shutdown: the board's report comes on ttyS1.
	qemu/run-qemu-arm64.sh --kernel-dir "$kernel" \
		--dtbo "$build/dt/passgate-testgate-virt.dtbo" \
		--rootfs "$build/rootfs" --timeout 300 --out "$out/guest" \
		--shutdown-log "$out/guest/shutdown.log" -- \
		sh -c 'cd "$0" && exec "$@"' "$repo/$build/module" \
		"$repo/qemu/guest-shutdown.sh" >"$out/run.log" 2>&1
fi
rc=$?
lines=$(cat "$out/guest/console.log" "$out/guest/shutdown.log" 2>/dev/null |
	tr -d '\r' |
	sed -n 's/.*at shutdown, lines 0\.\.[0-9]*: \([01]*\)$/\1/p' | tail -n 1)

pass=0 fail=0 n=0
check() { # name condition...
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		pass=$((pass + 1)); echo "ok $n $name"
	else
		fail=$((fail + 1)); echo "not ok $n $name"
	fi
}
line() { [[ ${lines:$1:1} = 1 ]]; }
check "shutdown ($arch): the guest ran and powered off cleanly" [ $rc = 0 ]
check "shutdown ($arch): the test board reported its lines" [ -n "$lines" ]
check "shutdown ($arch): gate 0 lane 0 open both ways" eval 'line 0 && line 1'
check "shutdown ($arch): gate 0 lane 1 open both ways" eval 'line 8 && line 9'
check "shutdown ($arch): gate 1 lane 0 (fail-secure) opened by a fire during shutdown" \
	eval 'line 24 && line 25'
# The whole report, the shutdown console included, free of kernel warnings.
. qemu/qemu-common.sh
check "shutdown ($arch): no kernel warning during the shutdown" \
	eval '! cat "$out/guest/console.log" "$out/guest/shutdown.log" 2>/dev/null | grep -aEq "$QEMU_BAD_LOG"'
[[ $fail = 0 ]] || { echo "# lines 0..: ${lines:-none}; see $out/guest/console.log"; tail -n 20 "$out/run.log" | sed 's/^/# /'; }
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[[ $fail = 0 ]]
