#!/bin/bash
# make check-install (amd64) and make check-install-arm64: the packages of
# `make deb` installed, run, upgraded and purged on a real Debian bookworm
# with systemd, in the QEMU guest of that architecture.  The guest's
# disk is built here with mmdebstrap from this machine's apt sources
# (systemd, udev, DKMS with the guest kernel's headers, Mosquitto, and
# what the packages depend on, so that apt needs no network in the guest),
# plus the guest kernel's modules, the test's files and
# passgate-install-test.service, which runs qemu/install-test.sh after
# boot.  qemu/run-qemu.sh --boot-disk boots it with the test gate's ACPI
# tables, qemu/run-qemu-arm64.sh --boot-disk with its device-tree overlay;
# an arm64 root is built through qemu-user-static (binfmt_misc), which
# this installs and registers on first use.  The upgrade installs the same packages repacked one version
# up (VERSION+test1): what dpkg, DKMS and the units do is what a real
# upgrade does.
#
# usage: scripts/install-check.sh BUILD_DIR [amd64|arm64]
#        (as root; after make deb)
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 2; }
[[ $# -eq 1 || $# -eq 2 ]] || die "usage: $prog BUILD_DIR [amd64|arm64]"
[[ $(id -u) == 0 ]] || die "run as root (it builds a root file system)"
build=$(cd "$1" && pwd -P)
arch=${2:-amd64}
repo=$(cd "$(dirname "$0")/.." && pwd -P)
abi=$(cat "$build/.setup-done")
kver=$abi-$arch
version=$(cat "$repo/VERSION")
up=$version+test1
case $arch in
amd64)
	out=$build/install
	kdir=$build/kernel/$abi
	tools=$build
	testboard=$repo/selftests/testboard/passgate-testboard.ko
	;;
arm64)
	out=$build/install-arm64
	kdir=$build/arm64/kernel/$abi
	tools=$build/arm64
	testboard=$build/arm64/module/selftests/testboard/passgate-testboard.ko
	;;
*) die "no architecture $arch (amd64 or arm64)" ;;
esac
shopt -s nullglob
debs=()
for f in "$build"/deb/passgate*_"$version"_{"$arch",all}.deb; do
	[[ $f == *-dbgsym_* ]] || debs+=("$f")
done
[[ ${#debs[@]} -eq 3 ]] || die "want 3 packages in $build/deb (make deb)"

rm -rf "$out"
mkdir -p "$out/files/v1" "$out/files/v2"
files=$out/files

# --- the test's files ---------------------------------------------------
for deb in "${debs[@]}"; do
	cp "$deb" "$files/v1/"
	# The same package one version up, its dependencies on its siblings
	# too.
	tmp=$(mktemp -d "$out/repack.XXXXXX")
	dpkg-deb -R "$deb" "$tmp"
	sed -i -e "s/^Version: .*/Version: $up/" \
		-e "/^Depends:/s/(= $version)/(= $up)/g" "$tmp/DEBIAN/control"
	dpkg-deb -b -Zxz "$tmp" "$files/v2/" >/dev/null
	rm -rf "$tmp"
done
echo "$up" >"$files/v2.version"
cp "$tools/selftests/board-scan" "$testboard" "$files/"
issuer=$build/bin/passgate-issuer
"$issuer" keygen --public "$files/issuer.pub" --secret "$out/issuer.key" >/dev/null
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$files/id.key")
printf 'code,status,id_number,valid_from,valid_until,ticket\nHC-GREEN-1,GREEN,,,,\nHC-GREEN-2,GREEN,,,,\n' \
	>"$out/list.csv"
for g in 1 2; do
	"$issuer" build --secret "$out/issuer.key" --id-key "$files/id.key" \
		--csv "$out/list.csv" --generation $g --expires +30d \
		-o "$files/list$g.pgl" >/dev/null
done
install -m 755 "$repo/qemu/install-test.sh" "$files/"

# --- the guest's root ---------------------------------------------------
# Every bookworm suite (bookworm-security, bookworm-updates): the guest
# installs linux-headers of this machine's kernel ABI (.setup-done, which
# follows this machine's linux-headers-amd64), and those come from
# bookworm-security as often as not.
# shellcheck source=scripts/apt-sources.sh
. "$repo/scripts/apt-sources.sh"
mapfile -t src < <(apt_sources '^bookworm')
[[ ${#src[@]} -gt 0 ]] || die "no bookworm apt sources on this machine"
# What the packages depend on (first alternatives, versions dropped),
# but the packages themselves.
deps=$(for deb in "$files"/v1/*.deb; do dpkg-deb -f "$deb" Depends; done |
	tr ',' '\n' | sed 's/|.*//; s/(.*//; s/[[:space:]]//g' |
	grep -v '^passgate' | grep . | sort -u | paste -sd, -)
root=$out/root
start=$SECONDS
if [[ $arch != amd64 ]]; then
	command -v qemu-aarch64-static >/dev/null || {
		apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -q -y \
			--no-install-recommends qemu-user-static >/dev/null
	}
	bm=/proc/sys/fs/binfmt_misc
	[[ -e $bm/register ]] || mount -t binfmt_misc binfmt_misc $bm
	[[ -e $bm/qemu-aarch64 ]] ||
		cat /usr/lib/binfmt.d/qemu-aarch64.conf >$bm/register
fi
mmdebstrap -q --variant=minbase --architectures="$arch" \
	--include="systemd,systemd-sysv,udev,kmod,dbus,mosquitto,$deps,linux-headers-$kver" \
	bookworm "$root" "${src[@]}" >"$out/mmdebstrap.log" 2>&1 ||
	{ cat "$out/mmdebstrap.log"; die "mmdebstrap failed"; }
echo "$prog: root built in $((SECONDS - start)) s"

# The guest kernel's modules (9p for the scratch share; DKMS installs
# beside them), as linux-image would put them.
cp -a "$kdir/lib/modules/$kver" "$root/lib/modules/"
depmod -b "$root" "$kver"
cp -a "$files" "$root/root/passgate-install"
cat >"$root/etc/systemd/system/passgate-install-test.service" <<'EOF'
[Unit]
Description=passgate install test (make check-install)
After=basic.target systemd-udev-settle.service mosquitto.service

[Service]
Type=oneshot
ExecStart=/root/passgate-install/install-test.sh
StandardOutput=journal+console
StandardError=journal+console
EOF
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -s ../passgate-install-test.service \
	"$root/etc/systemd/system/multi-user.target.wants/"
# No login prompt on the console the test writes to.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@hvc0.service"
# arm64: the far end of the board's cable is the PCI 16550, ttyS0; the
# test opens /dev/ttyS2, as on x86 (qemu/guest-init-arm64.sh does the same).
[[ $arch = amd64 ]] ||
	echo 'L+ /dev/ttyS2 - - - - ttyS0' >"$root/etc/tmpfiles.d/passgate-test.conf"
echo passgate-test >"$root/etc/hostname"

img=$out/disk.img
start=$SECONDS
truncate -s 4G "$img"
mke2fs -q -t ext4 -d "$root" -L root "$img"
rm -rf "$root"
echo "$prog: disk image made in $((SECONDS - start)) s"

cd "$repo"
start=$SECONDS
set +e
if [[ $arch = amd64 ]]; then
	qemu/run-qemu.sh --kernel-dir "$kdir" \
		--acpi "$build/selftests/testgate.aml" --out "$out/guest" \
		--timeout 2400 --mem 2048 --disk "$img" --boot-disk \
		>"$out/console.log" 2>&1
else
	qemu/run-qemu-arm64.sh --kernel-dir "$kdir" \
		--dtbo "$build/arm64/dt/passgate-testgate-virt.dtbo" \
		--rootfs "$build/arm64/rootfs" --out "$out/guest" \
		--timeout 5400 --mem 2048 --disk "$img" --boot-disk \
		>"$out/console.log" 2>&1
fi
rc=$?
set -e
rm -f "$img"
# The test's own lines, as journald put them on the console.
sed -n 's/^.*install-test\.sh\[[0-9]*\]: //p' "$out/guest/console.log" |
	grep -E '^(TAP|ok |not ok |#)' || true
tail -n 3 "$out/console.log"
echo "$prog: the guest ran $((SECONDS - start)) s (exit $rc); console:" \
	"$out/guest/console.log, journal and dmesg: $out/guest/scratch/"
exit $rc
