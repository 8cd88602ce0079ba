#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Replay the saved crash inputs (fuzz/regressions/<target>/),
# then fuzz every built target (BUILD_DIR/fuzz/fuzz_*) for SECONDS on a
# copy of its seed corpus.  kselftest-style lines, then a "# Totals:" line;
# exits non-zero on any crash.
#
# usage: fuzz/run.sh [BUILD_DIR [SECONDS]]
#        (defaults: $BUILD, else build; $FUZZ_SECONDS, else 10)
#
# Under BUILD_DIR/fuzz/: work/<target>/ the corpus (the seeds copied in,
# plus what fuzzing found, kept from run to run), crashes/<target>/ the
# inputs that crashed, logs/<target>.log and <target>.regressions.log
# libFuzzer's output.
set -u

build=${1:-${BUILD:-build}}
seconds=${2:-${FUZZ_SECONDS:-10}}
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build/fuzz" || exit 1
out=$(cd "$build/fuzz" && pwd)

# UBSan is built with -fno-sanitize-recover=all: a finding aborts; show
# where.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS

targets=
for t in "$src"/fuzz_*.c; do
	targets="$targets $(basename "$t" .c)"
done

n=0 pass=0 fail=0 skip=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
skipped() { n=$((n + 1)); skip=$((skip + 1)); echo "ok $n $1 # SKIP $2"; }

count=0
for t in $targets; do
	count=$((count + 1))
	[ -d "$src/regressions/$t" ] &&
		count=$((count + $(find "$src/regressions/$t" -type f | wc -l)))
done
echo "TAP version 13"
echo "1..$count"

for t in $targets; do
	bin=$out/$t
	if [ ! -x "$bin" ]; then
		skipped "$t" "not built ($bin)"
		for r in $(find "$src/regressions/$t" -type f 2>/dev/null | sort); do
			skipped "$t regression $(basename "$r")" "not built"
		done
		continue
	fi
	mkdir -p "$out/logs" "$out/crashes/$t" "$out/work/$t"
	log=$out/logs/$t.log
	: > "$log"

	# Each saved crash once: libFuzzer runs the files it is given.
	rlog=$out/logs/$t.regressions.log
	: > "$rlog"
	for r in $(find "$src/regressions/$t" -type f 2>/dev/null | sort); do
		if "$bin" -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$out/crashes/$t/replay-" "$r" >> "$rlog" 2>&1; then
			ok "$t regression $(basename "$r")"
		else
			not_ok "$t regression $(basename "$r"): crash: $r (see $rlog)"
		fi
	done

	cp "$src/corpus/$t/"* "$out/work/$t/" 2>/dev/null
	dict=
	[ -f "$src/$t.dict" ] && dict=-dict=$src/$t.dict
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=8192 -print_final_stats=1 $dict \
		-artifact_prefix="$out/crashes/$t/" "$out/work/$t" >> "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(sed -n 's/^#[0-9]*.*[[:space:]]cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
	if [ $rc = 0 ] && [ -z "$artifact" ]; then
		ok "$t: ${runs:-0} runs, ${cov:-0} edges"
		echo "# TALLY|libFuzzer ($t), ASan + UBSan, $seconds s|${runs:-0}|no crash, no sanitizer finding|none; ${cov:-0} edges covered"
	else
		not_ok "$t: crash: ${artifact:-exit $rc, no artifact} (see $log)"
	fi
done

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ $fail = 0 ]
