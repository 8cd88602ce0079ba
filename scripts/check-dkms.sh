#!/bin/sh
# make check: the module builds through DKMS, as a gate PC rebuilds it on
# a kernel update, against the guest kernel's headers.  Private trees
# under BUILD_DIR: nothing is installed.
#
# usage: scripts/check-dkms.sh BUILD_DIR KERNEL_RELEASE
set -u
build=$1 kver=$2
version=$(cat VERSION)
src=$build/dkms/src tree=$build/dkms/tree
rm -rf "$build/dkms"
mkdir -p "$src/passgate-$version" "$tree"
cp -r Kbuild driver uapi "$src/passgate-$version/"
sed "s/@PASSGATE_VERSION@/$version/" dkms.conf >"$src/passgate-$version/dkms.conf"
# Only sources: no objects a build in the work tree may have left.
find "$src" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \) -delete

echo "# dkms"
if dkms build -m passgate -v "$version" -k "$kver" \
	--sourcetree "$(realpath "$src")" --dkmstree "$(realpath "$tree")" \
	>"$build/dkms/build.log" 2>&1 &&
   [ -f "$tree/passgate/$version/$kver/x86_64/module/passgate.ko" ] ||
   [ -f "$tree/passgate/$version/$kver/x86_64/module/passgate.ko.xz" ]; then
	echo "ok 1 dkms build passgate $version for $kver"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
	exit 0
fi
cat "$build/dkms/build.log"
find "$tree" -name 'make.log' -exec cat {} \;
echo "not ok 1 dkms build passgate $version for $kver"
echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
exit 1
