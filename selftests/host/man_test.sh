#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The man pages (man/*.scd, built into BUILD_DIR/man by make): every
# program passgate installs has one, in the section its kind calls for;
# every long option the program's own --help names is in its page; every
# key passgated.conf knows (gate/core/config.c) is in passgated.conf(5);
# man(1) renders each one without a warning where man is installed.
# TAP lines, then a kselftest "# Totals:" line.
#
# usage: selftests/host/man_test.sh [BUILD_DIR]   (default $BUILD, else build)
set -u

build=${1:-${BUILD:-build}}
here=$(cd "$(dirname "$0")" && pwd -P)
top=$here/../..
# shellcheck source=selftests/host/tap.sh
. "$here/tap.sh"

echo "TAP version 13"
for page in passgated.8 passgate-uplink.8 passgate-collector.8 passgate-overview.8 \
	passgatectl.8 passgate-publish.1 passgate-issuer.1 passgate-station-ca.1; do
	prog=${page%.*}
	man=$build/man/$page
	if [ ! -s "$man" ]; then
		not_ok "$page: not built ($man; make man)"
		continue
	fi
	if ! help=$("$build/bin/$prog" --help) || [ -z "$help" ]; then
		not_ok "$page: $prog --help failed"
		continue
	fi
	missing=
	for opt in $(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "*$opt*" "$top/man/$page.scd" || missing="$missing $opt"
	done
	if [ -z "$missing" ]; then
		ok "$page: every option of $prog --help"
	else
		not_ok "$page: missing$missing"
	fi
done
missing=
for key in $(sed -n 's/.*{ \.name = "\([a-z_]*\)".*/\1/p' "$top/gate/core/config.c"); do
	grep -q "\*$key\*" "$top/man/passgated.conf.5.scd" || missing="$missing $key"
done
if [ -z "$missing" ]; then
	ok "passgated.conf.5: every key gate/core/config.c knows"
else
	not_ok "passgated.conf.5: missing$missing"
fi
if command -v man >/dev/null; then
	for man in "$build"/man/*; do
		warn=$(MANWIDTH=80 man --warnings -l "$man" 2>&1 >/dev/null)
		if [ -z "$warn" ]; then
			ok "$(basename "$man"): man renders it without a warning"
		else
			not_ok "$(basename "$man"): $warn"
		fi
	done
else
	skipped "man -l" "man is not installed here"
fi
totals
