#!/bin/sh
# make bench: boot the test gate in QEMU, measure it
# (bench/passgate_bench.c, run by qemu/guest-bench.sh), print
# one table and write it, with the method, the machine and the date, to
# docs/PERFORMANCE.md.  Not part of make check.
#
# First, on the host, the station collector's events/s into PostgreSQL
# batched and one INSERT per row (scripts/station.sh, its host part), whose
# figures the guest's bench reads for its table of goals.
#
# Environment: BUILD and GUEST_KERNEL (from make); BENCH_MEM, guest memory
# in MB (default 12288: the list of 60 million is a file of 2.9 GB in the
# guest's tmpfs, its entries as many again while it is issued, and the
# kernel's array 1.5 GB);
# BENCH_COLLECTOR=0 leaves the collector out (its goal then reads "not
# measured"); BENCH_ARGS, more passgate_bench options (e.g. "--sizes 1000,100000
# --scans 1000" for a quick look); BENCH_DOC, where the report goes;
# BENCH_ONLY=readers (make bench-readers): the readers' bench alone, its
# section of the report replaced.
set -eu
build=${BUILD:?} kernel=${GUEST_KERNEL:?}
mem=${BENCH_MEM:-12288}
doc=${BENCH_DOC:-docs/PERFORMANCE.md}
out=$build/bench-guest
table=$out/scratch/bench-table.md
readers=$out/scratch/readers-table.md
only=
[ "${BENCH_ONLY:-}" = readers ] && only=--readers-only

# Other guests on this host take host cores from ours: note how many ran.
mkdir -p "$out"
mine=$(cd "$out" && pwd -P)/initrd
monitor=$out/host-monitor.txt
while :; do
	all=$(pgrep -c qemu-system || true)
	ours=$(pgrep -c -f -- "^qemu-system.*$mine" || true)
	echo "$((all - ours)) $(cut -d' ' -f1 /proc/loadavg)"
	sleep 5
done >"$monitor" 2>/dev/null &
monitor_pid=$!
trap 'kill $monitor_pid 2>/dev/null || true' EXIT

start=$(date +%s)
rc=0
# The collector on the host first: the guest reads its figures through
# the host's root, which it sees read-only.
collector=$(pwd -P)/$build/station-figures.env
collector_arg=
if [ -z "$only" ] && [ "${BENCH_COLLECTOR:-1}" = 1 ]; then
	rm -f "$collector"
	# A run that stored a row twice or lost one fails, and its figures
	# still go to the table, which says so.
	BUILD=$build GUEST_KERNEL=$kernel STATION_GUEST=0 scripts/station.sh ||
		echo "bench: the collector's measurement failed" >&2
	[ -s "$collector" ] && collector_arg="--collector $collector"
fi
# shellcheck disable=SC2086 # BENCH_ARGS are words
qemu/run-qemu.sh --kernel-dir "$kernel" \
	--acpi "$build/selftests/testgate.aml" --out "$out" --mem "$mem" \
	--timeout 6000 -- qemu/guest-gate.sh qemu/guest-bench.sh \
	"$build" $only $collector_arg ${BENCH_ARGS:-} || rc=$?
elapsed=$(($(date +%s) - start))
kill "$monitor_pid" 2>/dev/null || true
others=$(awk '{ if ($1 > m) m = $1 } END { print m + 0 }' "$monitor")
busy=$(awk '$1 > 0 { n++ } END { print 5 * n }' "$monitor")
load_max=$(awk '{ if ($2 > m) m = $2 } END { print m + 0 }' "$monitor")
guests="other QEMU guests"
[ "$others" -eq 1 ] && guests="other QEMU guest"
if [ "$others" -gt 0 ]; then
	contention="Up to $others $guests ran on the host during
  about $busy s of the run (sampled every 5 s; highest 1-minute load
  average $load_max):
  they took host cores from this guest's vCPUs, which hurts most where a
  process must wake another (the slow path and the peer).  Run again on a
  quiet host before comparing."
else
	contention="No other QEMU guest ran on the host during the bench
  (sampled every 5 s; highest 1-minute load average $load_max)."
fi

# The readers' section, written from this run's table only.
readers_section() {
	cat <<EOF
## Off-the-shelf readers (item 5)

Measured by \`make bench\` (or \`make bench-readers\`, this section
alone) on $(date -u '+%Y-%m-%d %H:%M UTC') in the same guest: gate 0's
lane 1 with the ID-card SAM module (polled every 100 ms, as the test
gate's firmware sets) and the QR engine, lane 0 with the board, the real
policy, and the far ends (\`selftests/readersim.c\`) pacing every line at
115200 baud as a wire would.  \`bench/readers_bench.c\` has the method:
the card is laid on the reader after the health code was shown, and the
wait ends when the unlock output is set (the VERDICT's \`actuated_ns\`);
for the codes the ID card came first.  $contention

EOF
	cat "$readers"
}

if [ -n "$only" ]; then
	if [ "$rc" -ne 0 ] || [ ! -s "$readers" ]; then
		echo "bench: readers failed (exit $rc); $doc left as it was;" \
			"see $out/console.log" >&2
		exit $((rc ? rc : 1))
	fi
	# Replace the section (up to the next "## "), or add it at the end.
	readers_section >"$out/readers-section.md"
	awk -v sec="$out/readers-section.md" '
		/^## Off-the-shelf readers/ {
			skip = 1; done = 1
			while ((getline l < sec) > 0) print l
			next
		}
		skip && /^## / { skip = 0; print "" }
		!skip { print }
		END { if (!done) { print ""; while ((getline l < sec) > 0) print l } }
	' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
	echo "bench: readers in $elapsed s; written to $doc"
	exit 0
fi

if [ "$rc" -ne 0 ] || [ ! -s "$table" ]; then
	echo "bench: failed (exit $rc) after $elapsed s; $doc left as it" \
		"was; see $out/console.log" >&2
	exit $((rc ? rc : 1))
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
cores=$(nproc)
host_mem=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
qemu=$(qemu-system-x86_64 --version | head -n 1)
debian=$(cat /etc/debian_version 2>/dev/null || echo unknown)

{
	cat <<EOF
# Performance

Measured by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'); the whole
run (building the initramfs, booting the guest, the bench, powering off)
took $((elapsed / 60)) min $((elapsed % 60)) s.  This file is written by
\`scripts/bench.sh\`: run \`make bench\` again to refresh it.

EOF
	cat "$table"
	echo
	readers_section
	cat <<EOF

## Machine

- Host: $cpu, $cores cores, $host_mem GB, Debian $debian, Linux
  $(uname -r), shared with other people's QEMU runs.  $contention
- Guest: $qemu, TCG (no KVM), \`-M pc\`, 2 vCPUs, $mem MB, Debian's stock
  kernel (release above) booted by \`qemu/run-qemu.sh\` with the test
  gate (\`selftests/testgate.asl\`).  TCG makes every instruction several
  times slower than on hardware: the absolute numbers are those of this
  emulator, the ratios between them are what carries over.

## Method

\`scripts/bench.sh\` first measures the station collector on the host
(\`scripts/station.sh\`'s host part: 200 simulated gates' sealed
batches through a real Mosquitto into \`passgate-collector\` and a real
PostgreSQL, on plain TCP and on TLS, once batched (a burst of batches a
transaction, one \`COPY\`) and once with one \`INSERT\` per row, the
baseline; rows counted against what the gates sent after each), then boots the guest; \`qemu/guest-bench.sh\` mounts
cgroup v2 there and runs \`bench/passgate_bench\` with \`passgate.ko\`
and the test board loaded.  The bench loads the policy
(\`gate/policy/policy.bpf.c\`) with libpassgate exactly as \`passgated\`
does, with the configuration \`unknown = defer\`, \`slow_reason = unknown\`
and the defaults otherwise (anti-passback off): first in the **hash
layout**, the baseline (each health-code generation a BPF hash map, a
delta applied to a copy of it; the same program built with
\`-DPOLICY_LAYOUT_HASH\`), for the lists of 1M and 10M; then unpinned, and
loaded again in the **compact layout** that \`passgated\` uses
([list-layout.md](list-layout.md)), for every size, the big lists from
the very same files.  Lists hold synthetic passengers
\`HC:v1:BENCH:<n>\` (a twentieth RED, a twentieth YELLOW, the rest
GREEN, no ID card bound) and the size pool's 1,000; all scans are health
codes on lane 1 through \`write()\` on
\`/dev/passgate/gate0/lane1/scanboard\` (lane 0's UART at 115200 baud
would measure the wire).

1. **Scan-to-unlock latency**: \`actuated_ns - received_ns\` of each
   VERDICT event's \`struct passgate_verdict_record\` (the kernel's stamps:
   frame taken by \`write()\`, unlock output set), waited for on the gate's
   event stream, one scan at a time; after each ACCEPT the lane is set
   CLOSED and NORMAL so that the next scan unlocks it again.  The bench
   runs on CPU 0; the process that answers (\`passgated\`, the peer) runs
   on CPU 0 too (the result column: a deferred scan is answered as soon
   as the bench waits, no wake-up of another CPU) and then on CPU 1 (the
   note).  The same 10,100 credentials (the first 100 are warm-up) go
   three ways on the list of 1M:
   *slow path*: not on the active list, so the policy defers them, and
   \`passgated\` accepts them from its \`staff_file\`;
   *peer*: the same deferred scans answered by
   \`bench/sqlite_peer\` instead, which verifies the signed list
   and the delta adding the credentials, imports them into an SQLite table
   (\`WITHOUT ROWID\`, digest primary key), \`read()\`s each scan from the
   scanboard node, looks its digest up and answers with
   \`PASSGATE_IOC_VERDICT\`;
   *fast path*: after that delta is loaded into the kernel, the BPF policy
   decides them.  "verdict alone" is \`decided_ns - received_ns\`.
   \`passgated\` runs and journals every event throughout.  *Against the
   list's size*: the 1,000 credentials of the size pool, scanned again
   and again (10,100 scans), on a list of those alone and on the largest
   list, which holds them in its base; \`passgated\` on CPU 0, then on
   CPU 1.  The goal is judged with it on CPU 1: what differs between the
   two lists is then the lookup, not how often the daemon's work on the
   bench's CPU falls into a scan.
2. **Throughput**: one process pinned to CPU 0 writes pre-built SCAN
   frames, 4 per \`write()\`, as fast as the kernel takes them, for a set
   time after a warm-up; the lane is FREE so that every scan is an ACCEPT
   without waiting for a passage (digest, SCAN event, policy, verdict,
   VERDICT event); the policy's own counters confirm every scan was
   accepted.  The scanned credentials (up to 65,536 distinct ones) are
   spread over the whole list.
3. **Lists**: *issue + sign* is \`passgate_listfile_write()\` (sort,
   check, write, fsync, minisign signature: BLAKE2b-512 of the file and
   Ed25519) from digests already computed (computing them is its own row);
   *verify* is \`passgate_listfile_open()\` (the signature over the whole
   file read as a stream, the header, every entry); *load + swap* is
   \`passgate_policy_load()\` reading the verified file (hashed a second
   time as it is read) and swapping the new generation in, as
   \`passgated\` installs a list from its spool.  Files live in the
   guest's tmpfs, so no disk is measured.  *Delta*: 10,000 entries
   signed as a delta on the active generation, 4,000 of its entries with
   another status, 4,000 new ones, 2,000 removed; verified, then loaded
   and swapped.  *Kernel memory*: "charged" is what the kernel really
   charged: the load runs in a fresh memory cgroup and \`memory.stat\`'s
   \`kernel\` grows by what the new generation holds (slab for a hash
   map's elements, vmalloc for its buckets or for an array); memlock is
   the map's own accounting (\`/proc/self/fdinfo\`, what \`bpftool map
   show\` prints).  Per entry counts the size pool too.

## Running it

\`make bench\` runs every size, 60 million entries included, in a guest of
$mem MB with 2 vCPUs (this run: $((elapsed / 60)) min $((elapsed % 60)) s). \`BENCH_MEM\` sets the
guest's memory in MB; \`BENCH_ARGS\` passes options to the bench, e.g.
\`BENCH_ARGS="--sizes 1000,100000 --scans 1000"\` for a quick run.
EOF
} >"$doc.tmp"
# make station's own section (scripts/station.sh) is its run's, not
# this one's: kept as it was, at the end.
station_section=$(awk '/^## Station \(make station/ { p = 1 } p && /^## / && !/^## Station/ { p = 0 } p' "$doc" 2>/dev/null || true)
mv "$doc.tmp" "$doc"
echo "bench: $elapsed s in all; written to $doc"

# The journal on the host's disk, where a gate keeps it.
{
	printf '\n## The audit journal (item 4)\n\n%s\n\n%s\n%s\n' \
		'On the host disk (the build folder), with bench/journal_bench.' \
		'| # | measurement | result | note |' '|---|---|---|---|'
	"$build/bench/journal_bench" "$build" 20000
} | tee -a "$doc"
if [ -n "$station_section" ]; then
	printf '\n%s\n' "$station_section" >>"$doc"
fi
