#!/bin/bash
# make fresh-check: the README's two commands, `make demo` then `make check`,
# on a brand-new Debian bookworm root, as on a new user's machine.  A used
# machine hides install steps that only it has (a package installed by
# hand, or by another package's recommendations); this does not.
#
# The root is built with mmdebstrap (installed on first use) from this
# machine's own apt sources, with nothing but make, git and
# ca-certificates; the committed HEAD is cloned into it and each command
# runs there as root, chrooted, with a clean environment.  Their output
# goes to BUILD/fresh/*.log; this prints one TAP line per command and the
# kselftest totals.  The root is removed at the end (FRESH_KEEP=1 keeps it).
#
# usage: scripts/fresh-check.sh [BUILD_DIR]        (as root)
set -euo pipefail

build=${1:-build}
prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "run as root (it builds a root file system)"
repo=$(git rev-parse --show-toplevel)
mkdir -p "$build/fresh"
logs=$(cd "$build/fresh" && pwd -P)

command -v mmdebstrap >/dev/null || {
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -q -y \
		--no-install-recommends mmdebstrap >/dev/null
}
# The release suite alone (not -security, not -updates): nothing in the
# root needs the others, as its own setup.sh takes the guest kernel's ABI
# from the root's linux-headers-amd64 (scripts/kernel-abi.sh), so image
# and headers come from that suite.
# shellcheck source=scripts/apt-sources.sh
. "$(dirname "$0")/apt-sources.sh"
src=$(apt_sources '^bookworm$')
[[ -n $src ]] || { apt-get update -q >/dev/null; src=$(apt_sources '^bookworm$'); }
[[ -n $src ]] || die "no bookworm apt sources on this machine"

root=$(mktemp -d /var/tmp/passgate-fresh.XXXXXX)
cleanup() {
	local m
	for m in dev/pts dev proc sys; do
		umount -R -l "$root/$m" 2>/dev/null || true
	done
	# Never delete through a mount that is still there (/dev, /sys).
	if findmnt -rn -o TARGET | grep -q "^$root/"; then
		echo "$prog: mounts left under $root; not removing it" >&2
	elif [[ ${FRESH_KEEP:-0} == 1 ]]; then
		echo "$prog: kept $root"
	else
		rm -rf --one-file-system "$root"
	fi
}
trap cleanup EXIT

echo "# $prog: a brand-new bookworm root in $root"
mapfile -t lines <<<"$src"
mmdebstrap -q --variant=minbase --include=make,git,ca-certificates \
	bookworm "$root" "${lines[@]}" >"$logs/mmdebstrap.log" 2>&1 ||
	{ cat "$logs/mmdebstrap.log"; die "mmdebstrap failed"; }
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
git clone -q "$repo" "$root/root/passgate"

pass=0 fail=0 n=0
for cmd in "make demo" "make check"; do
	n=$((n + 1))
	log=$logs/${cmd// /-}.log
	start=$(date +%s)
	rc=0
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb CI=true \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		bash -c "cd /root/passgate && $cmd" </dev/null >"$log" 2>&1 || rc=$?
	took=$(($(date +%s) - start))
	if [[ $rc == 0 ]]; then
		pass=$((pass + 1))
		echo "ok $n fresh root: $cmd (${took} s; last line: $(tail -n 1 "$log"))"
	else
		fail=$((fail + 1))
		tail -n 40 "$log" | sed 's/^/# /'
		echo "not ok $n fresh root: $cmd exited $rc after ${took} s (see $log)"
	fi
done
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[[ $fail == 0 ]]
