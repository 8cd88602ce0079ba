#!/bin/sh
# make bench: boot the test gate in QEMU, measure it
# (bench/passgate_bench.c, run by qemu/guest-bench.sh), print
# one table and write it, with the method, the machine and the date, to
# docs/PERFORMANCE.md.  Not part of make check.
#
# Environment: BUILD and GUEST_KERNEL (from make); BENCH_MEM, guest memory
# in MB (default 3584: the list of 10 million needs about 2.3 GB);
# BENCH_ARGS, more passgate_bench options (e.g. "--sizes 1000,100000
# --scans 1000" for a quick look); BENCH_DOC, where the report goes;
# BENCH_ONLY=readers (make bench-readers): the readers' bench alone, its
# section of the report replaced.
set -eu
build=${BUILD:?} kernel=${GUEST_KERNEL:?}
mem=${BENCH_MEM:-3584}
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
# shellcheck disable=SC2086 # BENCH_ARGS are words
qemu/run-qemu.sh --kernel-dir "$kernel" \
	--acpi "$build/selftests/testgate.aml" --out "$out" --mem "$mem" \
	--timeout 2400 -- qemu/guest-gate.sh qemu/guest-bench.sh \
	"$build" $only ${BENCH_ARGS:-} || rc=$?
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

## Results

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

\`scripts/bench.sh\` boots the guest; \`qemu/guest-bench.sh\` mounts
cgroup v2 there and runs \`bench/passgate_bench\` with
\`passgate.ko\` and the test board loaded.  The bench loads the policy
(\`gate/policy/policy.bpf.c\`) with libpassgate exactly as
\`passgated\` does, with the configuration \`unknown = defer\`,
\`slow_reason = unknown\` and the defaults otherwise (anti-passback off).
Lists hold synthetic passengers \`HC:v1:BENCH:<n>\` (a twentieth RED, a
twentieth YELLOW, the rest GREEN, no ID card bound); all scans are health
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
   three ways:
   *slow path*: not on the active list, so the policy defers them, and
   \`passgated\` accepts them from its \`staff_file\`;
   *peer*: the same deferred scans answered by
   \`bench/sqlite_peer\` instead, which verifies the signed list
   and the delta adding the credentials, imports them into an SQLite table
   (\`WITHOUT ROWID\`, digest primary key), \`read()\`s each scan from the
   scanboard node, looks its digest up and answers with
   \`PASSGATE_IOC_VERDICT\`;
   *fast path*: after that delta is loaded into the kernel, the BPF policy
   decides them.  "verdict alone" is \`decided_ns - received_ns\`.  The
   target is the ratio slow ÷ fast and peer ÷ fast, at p50 and at p99;
   the result column is the one to judge it by: the other placement
   depends on how soon the emulator, and the shared host under it, run a
   vCPU that sleeps.
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
   time as it is read), batch-inserting into a new map and swapping it
   into the \`lists\` slot, as \`passgated\` installs a list from its
   spool.  Files live in the guest's tmpfs, so no disk is measured.
   *Batch vs one-by-one* insert the same entries, already in memory, into
   two maps made as libpassgate makes them; *swap alone* swaps the batch
   map in.  *Kernel memory*: memlock is the map's own accounting
   (\`/proc/self/fdinfo\`, what \`bpftool map show\` prints), which on
   Linux 6.1 is \`max_entries × round_up(key + value, 8)\`, an estimate;
   "charged" is what the kernel really charged for the map: the map is
   created in a fresh memory cgroup and \`memory.stat\`'s \`kernel\` grows
   by its elements (slab) and its bucket array (vmalloc).  The minimum is
   one hash-table element as the running kernel lays it out, from its BTF:
   \`struct htab_elem\` + key 16 + value 28 rounded to 32.  On Linux 6.1 a
   map made with \`BPF_F_NO_PREALLOC\` (as libpassgate makes the list
   maps) takes each element from \`bpf_mem_alloc\`, which adds an 8-byte
   list node: 104 bytes, served from the 128-byte kmalloc class, plus
   8 bytes per object for memory-cgroup accounting; the bucket array is
   16 bytes times the smallest power of two not below \`max_entries\`.

## Running it

\`make bench\` runs every size, 10 million entries included, in a guest of
3584 MB with 2 vCPUs (this run: $((elapsed / 60)) min $((elapsed % 60)) s). \`BENCH_MEM\` sets the
guest's memory in MB; \`BENCH_ARGS\` passes options to the bench, e.g.
\`BENCH_ARGS="--sizes 1000,100000 --scans 1000"\` for a quick run.
EOF
} >"$doc.tmp"
mv "$doc.tmp" "$doc"
echo "bench: $elapsed s in all; written to $doc"

# The journal on the host's disk, where a gate keeps it.
{
	printf '\n## The audit journal (item 4)\n\n%s\n\n%s\n%s\n' \
		'On the host disk (the build folder), with bench/journal_bench.' \
		'| # | measurement | result | note |' '|---|---|---|---|'
	"$build/bench/journal_bench" "$build" 20000
} | tee -a "$doc"
