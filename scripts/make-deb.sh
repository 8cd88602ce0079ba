#!/bin/bash
# make deb: passgate's Debian packages (debian/, docs/packaging.md) built
# from an export of this tree (its files as they are now, no build
# output) with dpkg-buildpackage: natively for amd64 (passgate,
# passgate-station and the arch-independent passgate-dkms), then
# cross-built for arm64 against the sysroot of scripts/setup-arm64.sh,
# whose .debs also give dpkg-shlibdeps the arm64 libraries' shlibs.  Each
# package is checked by lintian, which must report no error (there are
# no overrides; docs/packaging.md).
#
# usage: scripts/make-deb.sh OUT_DIR ARM64_DIR
#   OUT_DIR    gets the .debs, build logs and lintian.log (made afresh)
#   ARM64_DIR  scripts/setup-arm64.sh's folder (sysroot/, debs/)
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || { sed -n '11,13s/^# \{0,1\}//p' "$0" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd -P)
a64=$(cd "$2" && pwd -P)
[[ -d $a64/sysroot && -d $a64/debs ]] || die "$a64: no arm64 sysroot (make arm64)"
version=$(cat "$repo/VERSION")
rm -rf "$1"
mkdir -p "$1"
out=$(cd "$1" && pwd -P)

# The tree's files, tracked or new (not ignored), as they are now.
src=$out/src/passgate-$version
mkdir -p "$src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done |
	cpio -0 -pdm --quiet "$src")

# The arm64 libraries' shlibs, from the packages the sysroot was made of.
for deb in "$a64"/debs/*.deb; do
	dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./shlibs 2>/dev/null || true
done >"$out/arm64.shlibs"

export DEB_BUILD_OPTIONS=nocheck
build() { # ARCH ARGS...
	local arch=$1 start=$SECONDS
	shift
	if ! (cd "$src" && dpkg-buildpackage "$@" -us -uc) >"$out/build-$arch.log" 2>&1; then
		tail -n 40 "$out/build-$arch.log" >&2
		die "dpkg-buildpackage for $arch failed (log: $out/build-$arch.log)"
	fi
	echo "$prog: $arch built in $((SECONDS - start)) s"
}
build amd64 -b
PASSGATE_SYSROOT=$a64/sysroot PASSGATE_SHLIBS=$out/arm64.shlibs \
	build arm64 -B -a arm64 -d
mv "$out"/src/*.deb "$out"/
rm -rf "$out/src"

ls -1 "$out"/*.deb
if lintian --fail-on error --info "$out"/*.deb >"$out/lintian.log" 2>&1; then
	echo "$prog: lintian: $(grep -c '^E: ' "$out/lintian.log") errors," \
		"$(grep -c '^W: ' "$out/lintian.log") warnings (see $out/lintian.log)"
else
	cat "$out/lintian.log" >&2
	die "lintian reports errors"
fi
