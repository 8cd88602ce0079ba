#!/bin/bash
# make check-install: the amd64 packages of `make deb` installed, run,
# upgraded and purged on a real Debian bookworm with systemd.  The guest's
# disk is built here with mmdebstrap from this machine's apt sources
# (systemd, udev, DKMS with the guest kernel's headers, Mosquitto, and
# what the packages depend on, so that apt needs no network in the guest),
# plus the guest kernel's modules, the test's files and
# passgate-install-test.service, which runs qemu/install-test.sh after
# boot.  qemu/run-qemu.sh --boot-disk boots it with the test gate's ACPI
# tables.  The upgrade installs the same packages repacked one version
# up (VERSION+test1): what dpkg, DKMS and the units do is what a real
# upgrade does.
#
# usage: scripts/install-check.sh BUILD_DIR        (as root; after make deb)
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 2; }
[[ $# -eq 1 ]] || die "usage: $prog BUILD_DIR"
[[ $(id -u) == 0 ]] || die "run as root (it builds a root file system)"
build=$(cd "$1" && pwd -P)
repo=$(cd "$(dirname "$0")/.." && pwd -P)
abi=$(cat "$build/.setup-done")
kver=$abi-amd64
version=$(cat "$repo/VERSION")
up=$version+test1
out=$build/install
shopt -s nullglob
debs=()
for f in "$build"/deb/passgate*_"$version"_{amd64,all}.deb; do
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
cp "$build/selftests/board-scan" "$repo/selftests/testboard/passgate-testboard.ko" \
	"$files/"
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
# Every bookworm source: the guest kernel's headers come from
# bookworm-security as often as not.
sources() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
		'Created-By: Packages' 2>/dev/null | sort -u |
		awk '$2 ~ /^bookworm/ { printf "deb %s %s main\n", $1, $2 }'
}
mapfile -t src < <(sources)
[[ ${#src[@]} -gt 0 ]] || die "no bookworm apt sources on this machine"
# What the packages depend on (first alternatives, versions dropped),
# but the packages themselves.
deps=$(for deb in "$files"/v1/*.deb; do dpkg-deb -f "$deb" Depends; done |
	tr ',' '\n' | sed 's/|.*//; s/(.*//; s/[[:space:]]//g' |
	grep -v '^passgate' | grep . | sort -u | paste -sd, -)
root=$out/root
start=$SECONDS
mmdebstrap -q --variant=minbase \
	--include="systemd,systemd-sysv,udev,kmod,dbus,mosquitto,$deps,linux-headers-$kver" \
	bookworm "$root" "${src[@]}" >"$out/mmdebstrap.log" 2>&1 ||
	{ cat "$out/mmdebstrap.log"; die "mmdebstrap failed"; }
echo "$prog: root built in $((SECONDS - start)) s"

# The guest kernel's modules (9p for the scratch share; DKMS installs
# beside them), as linux-image would put them.
cp -a "$build/kernel/$abi/lib/modules/$kver" "$root/lib/modules/"
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
qemu/run-qemu.sh --kernel-dir "$build/kernel/$abi" \
	--acpi "$build/selftests/testgate.aml" --out "$out/guest" \
	--timeout 2400 --mem 2048 --disk "$img" --boot-disk >"$out/console.log" 2>&1
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
