#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Command-line hygiene of every program passgate installs: -h/--help
# prints the usage to stdout and exits 0; -V/--version prints
# "PROGRAM (passgate) VERSION", VERSION being the tree's VERSION file,
# and exits 0; an unknown option prints the usage to stderr, nothing to
# stdout, and exits 2.  The module's dkms.conf takes the same version
# when installed, and the Debian packages' is the same number.  TAP lines,
# then a kselftest "# Totals:" line.
#
# usage: selftests/host/cli_test.sh [BUILD_DIR]   (default $BUILD, else build)
set -u

build=${1:-${BUILD:-build}}
here=$(cd "$(dirname "$0")" && pwd -P)
version=$(cat "$here/../../VERSION")
# shellcheck source=selftests/host/tap.sh
. "$here/tap.sh"
work=$(mktemp -d /tmp/passgate-cli-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "TAP version 13"
for prog in passgated passgatectl passgate-uplink passgate-collector passgate-overview \
	passgate-publish passgate-issuer passgate-station-ca; do
	bin=$build/bin/$prog
	if [ ! -x "$bin" ]; then
		not_ok "$prog: not built ($bin)"
		continue
	fi
	for opt in -h --help; do
		"$bin" "$opt" >"$work/out" 2>"$work/err"
		rc=$?
		if [ $rc = 0 ] && grep -q '^usage: ' "$work/out" &&
			[ ! -s "$work/err" ]; then
			ok "$prog $opt: the usage on stdout, exit 0"
		else
			not_ok "$prog $opt: exit $rc, stdout $(head -c 60 "$work/out" | head -n 1), stderr $(head -c 60 "$work/err" | head -n 1)"
		fi
	done
	for opt in -V --version; do
		got=$("$bin" "$opt" 2>"$work/err")
		rc=$?
		if [ $rc = 0 ] && [ "$got" = "$prog (passgate) $version" ] &&
			[ ! -s "$work/err" ]; then
			ok "$prog $opt: $got"
		else
			not_ok "$prog $opt: exit $rc, \"$got\", want \"$prog (passgate) $version\""
		fi
	done
	"$bin" --no-such-option >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc = 2 ] && [ ! -s "$work/out" ] && grep -q 'usage' "$work/err"; then
		ok "$prog --no-such-option: the usage on stderr, exit 2"
	else
		not_ok "$prog --no-such-option: exit $rc"
	fi
done
# A bad value is bad usage: exit 2, the reason named, before any node is
# opened (none is here).
for args in "open 1 sideways" "gate-mode sometimes"; do
	# shellcheck disable=SC2086 # the words on purpose
	"$build/bin/passgatectl" $args >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc = 2 ] && grep -q "not a .*: ${args##* }" "$work/err"; then
		ok "passgatectl $args: exit 2, $(head -n 1 "$work/err")"
	else
		not_ok "passgatectl $args: exit $rc, $(head -n 1 "$work/err")"
	fi
done

# The module's DKMS version is filled in from VERSION (make install,
# scripts/check-dkms.sh), and debian/changelog names the same.
dkms=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$here/../../dkms.conf")
if [ "$dkms" = "@PASSGATE_VERSION@" ]; then
	ok "dkms.conf's PACKAGE_VERSION is filled in from VERSION"
else
	not_ok "dkms.conf's PACKAGE_VERSION is $dkms, not @PASSGATE_VERSION@"
fi
deb=$(sed -n '1s/^passgate (\([^)]*\)).*/\1/p' "$here/../../debian/changelog")
if [ "$deb" = "$version" ]; then
	ok "debian/changelog's version is VERSION ($version)"
else
	not_ok "debian/changelog's version $deb, VERSION $version"
fi
totals
