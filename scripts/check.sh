#!/bin/sh
# make check: host tests, checkpatch, then every kselftest in one QEMU boot
# of the Debian kernel against the test gate, on x86_64 (ACPI) and on arm64
# (device tree).  Ends with one line "N passed, N failed, N skipped" that
# counts both guests, and exits non-zero on any failure.
#
# usage: BUILD=build GUEST_KERNEL=build/kernel/<abi> A64=build/arm64 \
#        A64_KERNEL=build/arm64/kernel/<abi> \
#        scripts/check.sh HOST_TEST... -- X86_TEST... -- ARM64_TEST...
#
# The arm64 tests are absolute paths: they run from the arm64 module's
# folder (qemu/guest-gate.sh loads ./passgate.ko).
set -u

build=${BUILD:?} kernel=${GUEST_KERNEL:?}
logs=$build/logs
mkdir -p "$logs"
rm -f "$logs/check.rc"
: > "$logs/host.log"
extra_failed=0

# Run one step whose output ends in kselftest totals.  A step that fails
# without its totals saying so (it crashed, or has none) counts as one
# failure more.
counted() {
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | tee -a "$logs/host.log"
	if [ $rc != 0 ] && ! printf '%s\n' "$out" |
		grep -q '^# Totals: pass:[0-9]* fail:[1-9]'; then
		echo "not ok $1 exited $rc"
		extra_failed=$((extra_failed + 1))
	fi
}

echo "== host tests"
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	counted "$1"
	shift
done
[ $# -gt 0 ] && shift

counted scripts/check-dt.sh "$build" "${DT_INCLUDE:?}"
counted selftests/powercut.sh "$build" "$kernel"
counted selftests/shutdown.sh "$build" "$kernel"
counted scripts/check-dkms.sh "$build" "${KERNEL_RELEASE:?}"

echo "== checkpatch"
if ! perl "$build/ksrc/scripts/checkpatch.pl" --no-tree --quiet --show-types \
	-f driver/*.c driver/*.h uapi/linux/passgate.h \
	selftests/testboard/testboard.c selftests/testboard/factory.c \
	selftests/testboard/testboard.h; then
	echo "not ok checkpatch"
	extra_failed=$((extra_failed + 1))
fi

x86_tests=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	x86_tests="$x86_tests $1"
	shift
done
[ $# -gt 0 ] && shift

echo "== guest tests, x86_64 (ACPI)"
# shellcheck disable=SC2086 # the list of tests
qemu/run-qemu.sh --kernel-dir "$kernel" \
	--acpi "$build/selftests/testgate.aml" --out "$build/guest" \
	--timeout 1500 -- qemu/guest-gate.sh selftests/run-tests.sh $x86_tests
guest_rc=$?
[ $guest_rc = 0 ] || echo "guest run failed: see $build/guest/console.log"

a64=${A64:?}
echo "== guest tests, arm64 (device tree)"
qemu/run-qemu-arm64.sh --kernel-dir "${A64_KERNEL:?}" \
	--dtbo "$a64/dt/passgate-testgate-virt.dtbo" --rootfs "$a64/rootfs" \
	--out "$a64/guest" --timeout 1500 -- \
	sh -c 'cd "$0" && exec "$@"' "$(pwd -P)/$a64/module" \
	"$(pwd -P)/qemu/guest-gate.sh" "$(pwd -P)/selftests/run-tests.sh" "$@"
a64_rc=$?
[ $a64_rc = 0 ] || echo "arm64 guest run failed: see $a64/guest/console.log"
counted selftests/powercut.sh --arm64 "$a64" "$A64_KERNEL"
counted selftests/shutdown.sh --arm64 "$a64" "$A64_KERNEL"

# Each kselftest binary ends with "# Totals: pass:P fail:F xfail:X
# xpass:Y skip:S error:E"; a guest that died before its marker counts as a
# failure even when every binary that ran passed.
summary=$(awk -v extra="$extra_failed" -v guest_rc="$guest_rc" -v a64_rc="$a64_rc" \
	-v guest="$build/guest/console.log" -v a64="$a64/guest/console.log" '
	/# Totals: / {
		for (i = 1; i <= NF; i++) {
			split($i, kv, ":")
			if (kv[1] == "pass" || kv[1] == "xfail") pass += kv[2]
			if (kv[1] == "fail" || kv[1] == "xpass" || kv[1] == "error") {
				fail += kv[2]
				if (FILENAME == guest) guest_fail += kv[2]
				if (FILENAME == a64) a64_fail += kv[2]
			}
			if (kv[1] == "skip") skip += kv[2]
		}
	}
	END {
		fail += extra
		if (guest_rc != 0 && guest_fail == 0) fail += 1
		if (a64_rc != 0 && a64_fail == 0) fail += 1
		printf "%d passed, %d failed, %d skipped\n", pass, fail, skip
		exit fail > 0
	}' "$logs/host.log" "$build/guest/console.log" "$a64/guest/console.log")
rc=$?
# scripts/reliability.sh marks the tally of a failed run as such.
echo $rc >"$logs/check.rc"
scripts/reliability.sh "$build" "$logs/RELIABILITY.md" &&
	echo "reliability tally: $logs/RELIABILITY.md ($(grep -c '^| [^-w]' \
		"$logs/RELIABILITY.md") rows; make reliability puts it in docs/)"
echo "$summary"
exit $rc
