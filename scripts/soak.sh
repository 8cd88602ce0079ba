#!/bin/sh
# make soak: the long versions of the reliability tests.  One boot runs
# the soak for SOAK_SECONDS (default 300) with the outage test's module
# reloads at 20 and the hostile input; then three power cuts.  Everything
# goes to BUILD/soak/soak.log (scripts/reliability.sh reads its tallies);
# ends with "N passed, N failed, N skipped".
#
# usage: BUILD=build GUEST_KERNEL=build/kernel/<abi> [SOAK_SECONDS=300] \
#        scripts/soak.sh
set -u

build=${BUILD:?} kernel=${GUEST_KERNEL:?} seconds=${SOAK_SECONDS:-300}
out=$build/soak
log=$out/soak.log
mkdir -p "$out"
: >"$log"
rm -f "$out/soak.rc"

qemu/run-qemu.sh --kernel-dir "$kernel" \
	--acpi "$build/selftests/testgate.aml" --out "$out/guest" \
	--timeout $((seconds + 1200)) -- \
	env PASSGATE_SOAK_SECONDS="$seconds" PASSGATE_RELOADS=20 \
	qemu/guest-gate.sh selftests/run-tests.sh \
	"$build/selftests/soak_test" "$build/selftests/outage_test" \
	"$build/selftests/hostile_test" 2>&1 | tee -a "$log"
for i in 1 2 3; do
	echo "# == power cut $i" | tee -a "$log"
	selftests/powercut.sh "$build" "$kernel" 2>&1 | tee -a "$log"
done

awk '/# Totals: / {
		for (i = 1; i <= NF; i++) {
			split($i, kv, ":")
			if (kv[1] == "pass") pass += kv[2]
			if (kv[1] == "fail" || kv[1] == "error") fail += kv[2]
			if (kv[1] == "skip") skip += kv[2]
		}
		runs++
	}
	END {
		# one boot of three binaries and three power cuts
		if (runs < 6) fail += 6 - runs
		printf "%d passed, %d failed, %d skipped\n", pass, fail, skip
		exit fail > 0
	}' "$log"
rc=$?
# scripts/reliability.sh marks the tally of a failed run.
echo $rc >"$out/soak.rc"
exit $rc
