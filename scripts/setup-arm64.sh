#!/bin/bash
# make arm64's setup: what cross-building passgate for the ARM gate PCs and
# testing it in qemu-system-aarch64 needs, under BUILD_DIR (build/arm64):
#   kernel/<abi>/  Debian's arm64 image and headers (apt-get download +
#                  dpkg -x), the headers fixed up to build with the host's
#                  kbuild (same ABI as the x86 guest)
#   sysroot/       the arm64 libraries and headers the programs link with
#   rootfs/        the guest's root (busybox-static, the runtime libraries,
#                  and what the station test runs: Mosquitto, PostgreSQL,
#                  Python, openssl, and systemd's and udev's tools, which
#                  make the guest a gate PC), shared read-only over 9p by
#                  qemu/run-qemu-arm64.sh
# Root is needed only for apt (the arm64 foreign architecture, the cross
# compiler, QEMU).  Idempotent: a second run touches no network.
#
# usage: scripts/setup-arm64.sh [BUILD_DIR]
set -euo pipefail

build=${1:-build/arm64}
here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
mkdir -p "$build"
build=$(cd "$build" && pwd -P)
stamp=$build/.setup-done
triple=aarch64-linux-gnu

# The cross compiler only recommends the arm64 C library and kernel headers
# (asm/types.h for the BPF build), so they are named here: with
# --no-install-recommends nothing else brings them.
host_packages="gcc-$triple libc6-dev-arm64-cross linux-libc-dev-arm64-cross
	qemu-system-arm device-tree-compiler busybox-static"
# Packages are unpacked, not installed: each list names every package
# whose files are needed, dependencies included (check_needed below finds
# a library the rootfs lacks).  runtime: what the programs link with, in
# the sysroot and the rootfs; the station programs' libmosquitto, libcurl
# (OpenSSL's, as on x86) and libpq come with theirs.
runtime=(libc6 libgcc-s1 libbpf1 libelf1 zlib1g libzstd1 libsodium23
	libsqlite3-0 libnl-3-200 libnl-genl-3-200 libevdev2 libjson-c5
	libncursesw6 libncurses6 libtinfo6 libsystemd0 libcap2 libgcrypt20
	libgpg-error0 liblz4-1 liblzma5
	libmosquitto1 libcurl4 libpq5 libssl3 libbrotli1 libidn2-0
	libunistring2 libnghttp2-14 libpsl5 librtmp1 libssh2-1 libgnutls30
	libhogweed6 libnettle8 libgmp10 libp11-kit0 libffi8 libtasn1-6
	libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libcom-err2
	libkeyutils1 libldap-2.5-0 libsasl2-2 libsasl2-modules-db libdb5.3)
dev=(libbpf-dev libelf-dev zlib1g-dev libsodium-dev libsqlite3-dev
	libnl-3-dev libnl-genl-3-dev libevdev-dev libjson-c-dev libsystemd-dev
	libmosquitto-dev libcurl4-openssl-dev libpq-dev libssl-dev
	libncurses-dev libmicrohttpd-dev libmicrohttpd12)
# (libssl-dev: libpq-dev's Depends.  libmicrohttpd12 here rather than in
# runtime: passgate-overview links with it, and the guest never runs
# the overview; its GnuTLS is in runtime already.)
# The rootfs only: what selftests/station_test.c, top_test.c (tmux, the
# terminal descriptions, the C.UTF-8 locale tmux wants, from libc-bin)
# and qemu/guest-privileges.sh run.  /bin/sh is dash, as on Debian (busybox's
# sh runs its own applets before any program in PATH: util-linux's
# setpriv, say); the broker and its client; PostgreSQL's server and psql
# (with all the server's Depends: llvmjit.so, ICU); the https list server
# (Python: python3.11-minimal only recommends the standard library, with
# ssl and http.server); passgate-station-ca (bash, openssl); setpriv
# (util-linux); the gate PC's users, folders and udev (systemd, udev,
# acl).
station=(dash mosquitto mosquitto-clients libcjson1 libdlt2 libwrap0
	postgresql-15 postgresql-client-15 libicu72 libllvm14 libz3-4
	libedit2 libbsd0 libmd0 libxml2 libxslt1.1 libpam0g libselinux1
	libpcre2-8-0 libaudit1 libcap-ng0 libstdc++6 libuuid1 libreadline8
	tmux libevent-core-2.1-7 libutempter0 ncurses-base libc-bin
	python3-minimal python3.11-minimal libpython3.11-minimal
	libpython3.11-stdlib libexpat1 libbz2-1.0 libcrypt1 libnsl2 libtirpc3
	bash openssl util-linux libsmartcols1 libblkid1 libmount1 libudev1
	systemd libsystemd-shared udev acl libacl1 libcryptsetup12
	libdevmapper1.02.1 libargon2-1 libfdisk1 libkmod2 libseccomp2
	libapparmor1 libip4tc2)

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}
need=()
for p in $host_packages; do installed "$p" || need+=("$p"); done
arch=$(dpkg --print-foreign-architectures | grep -x arm64 || true)
if [[ ${#need[@]} -gt 0 || -z $arch ]]; then
	[[ $(id -u) = 0 ]] || {
		echo "setup-arm64: run as root to add arm64 and install:" "${need[@]}" >&2
		exit 1
	}
	export DEBIAN_FRONTEND=noninteractive
	[[ -n $arch ]] || dpkg --add-architecture arm64
	apt-get update -q
	[[ ${#need[@]} -eq 0 ]] || apt-get install -q -y --no-install-recommends "${need[@]}"
fi

# apt-get download, once per package (the .debs are kept in debs/).
fetch() {
	local p want=()
	mkdir -p "$build/debs"
	for p; do
		compgen -G "$build/debs/${p%%:*}_*.deb" >/dev/null || want+=("$p")
	done
	[[ ${#want[@]} -eq 0 ]] || (cd "$build/debs" && { apt-get download -q "${want[@]}" ||
		{ apt-get update -q && apt-get download -q "${want[@]}"; }; })
}
deb() { echo "$build"/debs/"$1"_*.deb; }

# Bookworm's packages still ship /lib: merge it into /usr like the real
# system, and make absolute links (libz.so -> /lib/...) relative.
usrmerge() {
	local r=$1 d l t
	for d in lib bin sbin; do
		[[ -d $r/$d && ! -L $r/$d ]] || continue
		mkdir -p "$r/usr/$d"; cp -a "$r/$d/." "$r/usr/$d/"; rm -rf "${r:?}/$d"
		ln -s "usr/$d" "$r/$d"
	done
	while IFS= read -r l; do
		t=$(readlink "$l")
		ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$r$t")" "$l"
	done < <(find "$r" -type l -lname '/*')
}

# --- kernel -------------------------------------------------------------
abi=$("$here/kernel-abi.sh")
kver=$abi-arm64
kdir=$build/kernel/$abi
headers=$kdir/usr/src/linux-headers-$kver
common=$kdir/usr/src/linux-headers-$abi-common
if [[ ! -f $kdir/boot/vmlinuz-$kver || ! -f $headers/.config || ! -d $common ]]; then
	echo "setup-arm64: fetching the arm64 kernel $kver into $kdir"
	fetch "linux-image-$kver-unsigned:arm64" "linux-headers-$kver:arm64" \
		"linux-headers-$abi-common"
	rm -rf "$kdir"; mkdir -p "$kdir"
	for p in "linux-image-$kver-unsigned" "linux-headers-$kver" "linux-headers-$abi-common"; do
		dpkg -x "$(deb "$p")" "$kdir"
	done
fi
# The headers' scripts/ and tools/ are relative links into
# ../../lib/linux-kbuild-6.1/: there, the host's kbuild (host binaries, which
# a cross build needs), of the same version as the headers.
mkdir -p "$kdir/usr/lib"
ln -sfn /usr/lib/linux-kbuild-6.1 "$kdir/usr/lib/linux-kbuild-6.1"
hv=$(dpkg-query -W -f='${Version}' "linux-headers-$abi-common" 2>/dev/null || true)
kv=$(dpkg-query -W -f='${Version}' linux-kbuild-6.1)
[[ -z $hv || $hv = "$kv" ]] || {
	echo "setup-arm64: linux-kbuild-6.1 $kv, headers $hv" >&2; exit 1; }
sed -i "s|^include .*|include $common/Makefile|" "$headers/Makefile"
[[ -f $kdir/lib/modules/$kver/modules.dep ]] || /sbin/depmod -b "$kdir" "$kver"

# --- sysroot and rootfs ---------------------------------------------------
# Architecture-independent packages are named without :arm64.
indep=(ncurses-base)
list() {
	local p
	for p; do
		case " ${indep[*]} " in
		*" $p "*) printf '%s ' "$p" ;;
		*) printf '%s:arm64 ' "$p" ;;
		esac
	done
}
# shellcheck disable=SC2046 # package names: no spaces, no globs
fetch $(list "${runtime[@]}" "${dev[@]}" "${station[@]}" busybox-static)
if [[ $(cat "$build/sysroot/.pkgs" 2>/dev/null) != "$(list "${runtime[@]}" "${dev[@]}")" ]]; then
	rm -rf "$build/sysroot"; mkdir -p "$build/sysroot"
	for p in "${runtime[@]}" "${dev[@]}"; do dpkg -x "$(deb "$p")" "$build/sysroot"; done
	usrmerge "$build/sysroot"
	list "${runtime[@]}" "${dev[@]}" >"$build/sysroot/.pkgs"
fi
# Every library an ELF file of the rootfs needs is in it.
check_needed() {
	local r=$1 missing
	missing=$(find "$r" -type f \( -perm -u+x -o -name '*.so*' \) -print0 |
		{ xargs -0 "$triple-readelf" -d 2>/dev/null || :; } |
		awk -v have="$(find "$r" \( -type f -o -type l \) -name '*.so*' -printf '%f\n')" '
		BEGIN { n = split(have, h, "\n"); for (i = 1; i <= n; i++) ok[h[i]] = 1 }
		/^File: / { f = $2 }
		/\(NEEDED\)/ { l = $NF; gsub(/[][]/, "", l); if (!(l in ok)) print f ": " l }')
	[[ -z $missing ]] || {
		echo "setup-arm64: libraries missing from $r:" >&2
		echo "$missing" | sort -u >&2
		return 1
	}
}

r=$build/rootfs
key=$(list "${runtime[@]}" "${station[@]}" busybox-static)
if [[ $(cat "$r/.pkgs" 2>/dev/null) != "$key" ]]; then
	rm -rf "$r"; mkdir -p "$r"
	for p in "${runtime[@]}" "${station[@]}" busybox-static; do
		dpkg -x "$(deb "$p")" "$r"
	done
	usrmerge "$r"
	# busybox's applets as links where no package brought the real tool
	# (merged first: /bin/X and /usr/bin/X are one file): the arm64
	# busybox cannot run here, and the host's busybox-static is the same
	# version and configuration.
	while IFS= read -r a; do
		[[ -e $r/$a || -L $r/$a ]] || { mkdir -p "$r/${a%/*}"; ln -s /bin/busybox "$r/$a"; }
	done < <(busybox --list-full)
	ln -sfn dash "$r/usr/bin/sh"
	usrmerge "$r"
	check_needed "$r"
	mkdir -p "$r"/{proc,sys,dev,tmp,run,etc,root}
	# Users as the packages' maintainer scripts would add them: the
	# station test runs mosquitto (which drops to its user) and
	# PostgreSQL as nobody.  shadow and gshadow are there to be
	# bind-mounted over (qemu/guest-privileges.sh).
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
		'mosquitto:x:100:101::/var/lib/mosquitto:/usr/sbin/nologin' \
		'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$r/etc/passwd"
	printf '%s\n' 'root:x:0:' 'mosquitto:x:101:' 'nogroup:x:65534:' >"$r/etc/group"
	printf '%s\n' 'root:*::0:99999:7:::' 'mosquitto:!::0:99999:7:::' \
		'nobody:!::0:99999:7:::' >"$r/etc/shadow"
	printf '%s\n' 'root:*::' 'mosquitto:!::' 'nogroup:*::' >"$r/etc/gshadow"
	chmod 0640 "$r/etc/shadow" "$r/etc/gshadow"
	echo "$key" >"$r/.pkgs"
fi
# Mount points on the read-only share: the repository, at its own path.
mkdir -p "$r$repo"
# The kernel's modules (evdev, uinput for wedge_test), via the repository.
ln -sfn "$kdir/lib/modules" "$r/usr/lib/modules"

echo "$abi" >"$stamp"
