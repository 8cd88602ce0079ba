#!/bin/sh
# Inside the guest, with the gate loaded (qemu/guest-gate.sh): make
# bench.  Mounts cgroup v2 with the memory controller, so that the bench
# can read what a list map charges, then runs it; the table goes to the
# console and to $PASSGATE_SCRATCH/bench-table.md for scripts/bench.sh.
#
# Then bench/readers_bench (the SAM module's and the QR engine's lane),
# its table to $PASSGATE_SCRATCH/readers-table.md; with --readers-only
# that alone.
#
# usage: qemu/guest-bench.sh BUILD_DIR [--readers-only] [passgate_bench option...]
set -u
build=$1
shift
readers_only=0
[ "${1:-}" = --readers-only ] && { readers_only=1; shift; }

"$build/bench/readers_bench" --out "$PASSGATE_SCRATCH/readers-table.md" || exit
[ $readers_only = 1 ] && exit 0

cg=/sys/fs/cgroup
if ! grep -q " $cg cgroup2 " /proc/mounts; then
	mount -t cgroup2 cgroup2 "$cg" ||
		echo "guest-bench: no cgroup v2: kernel memory is not measured"
fi
[ -w "$cg/cgroup.subtree_control" ] &&
	echo +memory >"$cg/cgroup.subtree_control"

"$build/bench/passgate_bench" --passgated "$build/bin/passgated" \
	--peer "$build/bench/sqlite_peer" \
	--out "$PASSGATE_SCRATCH/bench-table.md" "$@"
rc=$?

# The bench's cgroups are empty again; leave the hierarchy as found.
for d in "$cg"/passgate-bench-*; do
	[ -d "$d" ] && rmdir "$d"
done
exit $rc
