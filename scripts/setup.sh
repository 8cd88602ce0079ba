#!/bin/sh
# Install everything passgate needs on a fresh Debian bookworm machine and
# fetch the guest kernel into the build folder.  Idempotent: a second run
# that finds everything in place does nothing and touches no network.
#
# Packages are installed without their recommendations, so every package
# whose files the build, the tests or the guest (which runs in the host's
# root) use is named here, even where another one happens to pull it in:
# perl (checkpatch), python3 (the station test's HTTP server,
# check-names.py), procps (pgrep in make bench), iproute2 (ip, the
# station test's loopback), mmdebstrap (make check-install's Debian
# guest).  scripts/fresh-check.sh proves the list on a
# brand-new root.
#
# usage: scripts/setup.sh [BUILD_DIR]
set -eu

build=${1:-build}
stamp=$build/.setup-done
here=$(cd "$(dirname "$0")" && pwd)

packages="
	make gcc libc6-dev cpio xz-utils kmod busybox-static e2fsprogs
	perl python3 procps iproute2 util-linux
	systemd udev acl openssl
	qemu-system-x86 acpica-tools
	clang llvm libclang-rt-14-dev bpftool libbpf-dev libelf-dev zlib1g-dev
	libnl-3-dev libnl-genl-3-dev libevdev-dev libsodium-dev libsqlite3-dev
	libjson-c-dev libsystemd-dev libncurses-dev tmux
	libmicrohttpd-dev chromium fonts-dejavu-core
	prometheus prometheus-node-exporter
	pkg-config minisign dkms scdoc man-db
	debhelper dh-dkms lintian mmdebstrap
	mosquitto mosquitto-clients libmosquitto-dev libcurl4-openssl-dev
	postgresql libpq-dev
	device-tree-compiler dt-schema
	linux-source-6.1 linux-headers-amd64
"

missing() {
	for p in $packages; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

need=$(missing)
if [ -n "$need" ]; then
	[ "$(id -u)" = 0 ] || { echo "setup: run as root to install:" $need >&2; exit 1; }
	echo "setup: installing" $need
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -q -y --no-install-recommends $need
fi

# The guest kernel ABI follows the headers meta package, so image and
# headers always match.
abi=$("$here/kernel-abi.sh")
kdir=$build/kernel/$abi
if [ ! -f "$kdir/boot/vmlinuz-$abi-amd64" ]; then
	echo "setup: fetching linux-image-$abi-amd64 into $kdir"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q "linux-image-$abi-amd64" ||
		{ apt-get update -q && apt-get download -q "linux-image-$abi-amd64"; })
	mkdir -p "$kdir"
	dpkg -x "$tmp"/linux-image-*.deb "$kdir"
	rm -rf "$tmp"
fi
test -d "/usr/src/linux-headers-$abi-amd64" || {
	echo "setup: /usr/src/linux-headers-$abi-amd64 missing" >&2; exit 1; }

mkdir -p "$build"
echo "$abi" > "$stamp"
