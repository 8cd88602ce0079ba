#!/bin/sh
# make check: host tests, checkpatch, then every kselftest in one QEMU boot
# of the Debian kernel against the test gate.  Ends with one line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
#
# usage: BUILD=build GUEST_KERNEL=build/kernel/<abi> \
#        scripts/check.sh HOST_TEST... -- GUEST_TEST...
set -u

build=${BUILD:?} kernel=${GUEST_KERNEL:?}
logs=$build/logs
mkdir -p "$logs"
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
counted scripts/check-dkms.sh "$build" "${KERNEL_RELEASE:?}"

echo "== checkpatch"
if ! perl "$build/ksrc/scripts/checkpatch.pl" --no-tree --quiet --show-types \
	-f driver/*.c driver/*.h uapi/linux/passgate.h \
	selftests/testboard/passgate-testboard.c; then
	echo "not ok checkpatch"
	extra_failed=$((extra_failed + 1))
fi

echo "== guest tests"
selftests/run-qemu.sh --kernel-dir "$kernel" \
	--acpi "$build/selftests/testgate.aml" --out "$build/guest" \
	--timeout 1500 -- scripts/guest-gate.sh selftests/run-tests.sh "$@"
guest_rc=$?
[ $guest_rc = 0 ] || echo "guest run failed: see $build/guest/console.log"

# Each kselftest binary ends with "# Totals: pass:P fail:F xfail:X
# xpass:Y skip:S error:E"; a guest that died before its marker counts as a
# failure even when every binary that ran passed.
scripts/reliability.sh "$build" "$logs/RELIABILITY.md" &&
	echo "reliability tally: $logs/RELIABILITY.md ($(grep -c '^| [^-w]' \
		"$logs/RELIABILITY.md") rows; make reliability puts it in docs/)"

awk -v extra="$extra_failed" -v guest_rc="$guest_rc" -v guest="$build/guest/console.log" '
	/# Totals: / {
		for (i = 1; i <= NF; i++) {
			split($i, kv, ":")
			if (kv[1] == "pass" || kv[1] == "xfail") pass += kv[2]
			if (kv[1] == "fail" || kv[1] == "xpass" || kv[1] == "error") {
				fail += kv[2]
				if (FILENAME == guest) guest_fail += kv[2]
			}
			if (kv[1] == "skip") skip += kv[2]
		}
	}
	END {
		fail += extra
		if (guest_rc != 0 && guest_fail == 0) fail += 1
		printf "%d passed, %d failed, %d skipped\n", pass, fail, skip
		exit fail > 0
	}' "$logs/host.log" "$build/guest/console.log"
