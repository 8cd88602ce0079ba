#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Least privilege, proven: every systemd unit in dist/ as
# "systemd-analyze security --offline=yes" rates it.  Per unit: systemd
# understands every directive (one it ignores is hardening that is not
# there), the overall exposure is 3.0 or below ("OK" or better),
# "systemd-analyze verify" passes, and the analyzer finds no exposure
# beyond the ones accepted for that unit below, each with its reason.
# Then the sysusers.d and tmpfiles.d files are applied to an empty root,
# and the udev rule's KERNEL patterns are matched against node names (no
# udevadm needed).  TAP lines, then a kselftest "# Totals:" line.
#
# usage: selftests/host/units_test.sh [DIST_DIR]
#        (default: the dist/ folder of this tree)
set -u

dist=${1:-$(dirname "$0")/../../dist}
dist=$(realpath -m "$dist")
# --threshold= counts tenths: 30 is an exposure of 3.0.
threshold=30
# shellcheck source=selftests/host/tap.sh
. "$(dirname "$0")/tap.sh"

# The analyzer's failed checks ("- NAME" rows, in the C locale) that a
# unit may keep, and why.  Anything else it reports fails the test.
#   RootDirectory=/RootImage=   the programs use the host's libraries
#   DeviceAllow=                ProtectClock= itself allows char-rtc, read
#   RestrictAddressFamilies=~AF_UNIX   logging goes to journald's sockets
accepted_common="RootDirectory=/RootImage= DeviceAllow="
accepted_common="$accepted_common RestrictAddressFamilies=~AF_UNIX"
accepted() {
	case $1 in
	passgated@.service)
		# bpf() and capset() (both in @privileged); CAP_BPF and
		# CAP_PERFMON, ambient since the user is not root; not in a
		# user namespace, where they would count for nothing; the
		# /dev/passgate nodes; UMask=0027, since the uplink's group
		# reads the journal.
		echo "SystemCallFilter=~@privileged AmbientCapabilities=" \
			"CapabilityBoundingSet=~CAP_BPF PrivateUsers=" \
			"PrivateDevices= UMask=" ;;
	passgate-uplink@.service)
		# the station's broker and list server, addresses from the
		# configuration; UMask=0027 as the daemon; capset() (in
		# @privileged), to drop what capabilities it might hold.
		echo "RestrictAddressFamilies=~AF_(INET|INET6) PrivateNetwork=" \
			"IPAddressDeny= UMask= SystemCallFilter=~@privileged" ;;
	passgate-collector.service)
		# the broker and the database, addresses from the configuration
		echo "RestrictAddressFamilies=~AF_(INET|INET6) PrivateNetwork=" \
			"IPAddressDeny=" ;;
	passgate-overview.service)
		# its https port, the broker and the database, addresses
		# from the configuration
		echo "RestrictAddressFamilies=~AF_(INET|INET6) PrivateNetwork=" \
			"IPAddressDeny=" ;;
	esac
}

echo "TAP version 13"
if ! command -v systemd-analyze >/dev/null; then
	skipped "units" "systemd-analyze is not installed (package systemd)"
	totals
fi

work=$(mktemp -d /tmp/passgate-units-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

# -- the units.  A template (name@.service) is analysed as it is: the
# analyzer instantiates it itself (name@i.service).
units=$(cd "$dist" 2>/dev/null && ls -- *.service 2>/dev/null)
if [ -z "$units" ]; then
	not_ok "no *.service in $dist"
	totals
fi
for unit in $units; do
	LC_ALL=C SYSTEMD_COLORS=0 systemd-analyze security --no-pager \
		--offline=yes --threshold=$threshold "$dist/$unit" \
		>"$work/out" 2>"$work/err"
	rc=$?

	if [ -s "$work/err" ]; then
		not_ok "$unit: systemd ignores part of it"
		sed 's/^/#   /' "$work/err"
	else
		ok "$unit: every directive understood"
	fi

	line=$(grep 'Overall exposure level for' "$work/out")
	value=$(printf '%s\n' "$line" |
		sed -n 's/.*: \([0-9][0-9]*\.[0-9]\) \([A-Z][A-Z]*\).*/\1 \2/p')
	if [ -z "$value" ]; then
		not_ok "$unit exposure: no overall level (exit $rc)"
		sed 's/^/#   /' "$work/out" "$work/err"
	else
		tenths=$(awk -v x="${value% *}" 'BEGIN { printf "%d", x * 10 + 0.5 }')
		if [ "$tenths" -le $threshold ] && [ $rc = 0 ]; then
			ok "$unit exposure $value"
		else
			not_ok "$unit exposure $value (at most 3.0; exit $rc)"
		fi
	fi

	# verify: the programs are not installed here, so ExecStart= runs
	# /bin/true; a template is verified as instance 0.
	mkdir -p "$work/verify"
	copy=$work/verify/${unit/@./@0.}
	sed 's#^\(ExecStart=[-+!:@]*\)[^ ]*#\1/bin/true#' "$dist/$unit" >"$copy"
	if systemd-analyze verify --man=no "$copy" >"$work/verr" 2>&1 &&
		! [ -s "$work/verr" ]; then
		ok "$unit: systemd-analyze verify"
	else
		not_ok "$unit: systemd-analyze verify"
		sed 's/^/#   /' "$work/verr"
	fi

	extra=
	while read -r mark check _; do
		[ "$mark" = - ] || continue
		case " $accepted_common $(accepted "$unit") " in
		*" $check "*) ;;
		*) extra="$extra $check" ;;
		esac
	done <"$work/out"
	if [ -z "$extra" ]; then
		ok "$unit: no exposure beyond the accepted ones"
	else
		not_ok "$unit: exposed beyond the accepted ones:$extra"
		awk -v extra="$extra " '$1 == "-" && index(extra, " " $2 " ")' \
			"$work/out" | sed 's/^/#   /'
	fi
done

# -- sysusers.d on an empty root (works without root)
root=$work/root
mkdir -p "$root/etc"
if ! command -v systemd-sysusers >/dev/null; then
	skipped "passgate.sysusers" "systemd-sysusers is not installed"
elif ! systemd-sysusers --root="$root" "$dist/passgate.sysusers" \
	>"$work/out" 2>&1; then
	not_ok "passgate.sysusers: systemd-sysusers failed"
	sed 's/^/#   /' "$work/out"
elif grep -q '^passgate:' "$root/etc/passwd" &&
	grep -q '^passgate-uplink:' "$root/etc/passwd" &&
	grep -q '^passgate-monitor:' "$root/etc/group"; then
	ok "passgate.sysusers: users passgate, passgate-uplink, group monitor"
else
	not_ok "passgate.sysusers: users passgate, passgate-uplink, group monitor"
	sed 's/^/#   /' "$root/etc/passwd" "$root/etc/group"
fi

# -- tmpfiles.d on that root: names resolve against its users, and each
# folder gets its owners and mode (chown needs root)
mode_of() {	# PATH: "MODE UID:GID"
	stat -c '%a %u:%g' "$root/$1" 2>/dev/null
}
id_of() {	# FILE NAME: the number the root's passwd or group gives NAME
	awk -F: -v name="$2" '$1 == name { print $3 }' "$root/etc/$1"
}
if [ "$(id -u)" != 0 ]; then
	skipped "passgate.tmpfiles" "not root: tmpfiles cannot chown"
elif ! command -v systemd-tmpfiles >/dev/null ||
	! [ -s "$root/etc/passwd" ]; then
	skipped "passgate.tmpfiles" \
		"no systemd-tmpfiles, or no users to own the folders"
elif ! install -d -m 0700 "$root/sys/fs/bpf" ||	# as systemd mounts it
	! systemd-tmpfiles --root="$root" --create "$dist/passgate.tmpfiles" \
	>"$work/out" 2>&1; then
	not_ok "passgate.tmpfiles: systemd-tmpfiles failed"
	sed 's/^/#   /' "$work/out"
else
	pg=$(id_of passwd passgate) pu=$(id_of passwd passgate-uplink)
	gg=$(id_of group passgate) gu=$(id_of group passgate-uplink)
	bad=
	for want in "var/spool/passgate 710 $pg:$gu" \
		"var/lib/passgate 2750 $pg:$gu" \
		"sys/fs/bpf 710 0:$gg" \
		"sys/fs/bpf/passgate 750 $pg:$gg"; do
		got=$(mode_of "${want%% *}")
		[ "$got" = "${want#* }" ] ||
			bad="$bad ${want%% *} ($got, expected ${want#* })"
	done
	if [ -z "$bad" ]; then
		ok "passgate.tmpfiles: owners and modes"
	else
		not_ok "passgate.tmpfiles: owners and modes:$bad"
	fi
fi

# -- the udev rule: group passgate-monitor reads turnstile and gate nodes,
# never a scanboard, whether KERNEL shows the kernel's '!' or udev's '/'.
rules=$dist/60-passgate.rules
mapfile -t acl_patterns < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$rules" |
	sed -n '/setfacl/{s/.*KERNEL=="\([^"]*\)".*/\1/p}')
monitor_reads() {	# NAME: some setfacl rule matches NAME
	local p
	for p in "${acl_patterns[@]}"; do
		# shellcheck disable=SC2053 # a glob, as udev's fnmatch()
		[[ $1 == $p ]] && return 0
	done
	return 1
}
bad=
for sep in '!' /; do
	for name in "passgate${sep}gate0${sep}lane0${sep}turnstile" \
		"passgate${sep}gate12${sep}lane3${sep}turnstile" \
		"passgate${sep}gate0${sep}gate"; do
		monitor_reads "$name" || bad="$bad $name(no ACL)"
	done
	for name in "passgate${sep}gate0${sep}lane0${sep}scanboard" \
		"passgate${sep}gate12${sep}lane3${sep}scanboard"; do
		monitor_reads "$name" && bad="$bad $name(ACL)"
	done
done
if ! grep -q '^GROUP="passgate", MODE="0660"' "$rules"; then
	bad="$bad (no GROUP=\"passgate\", MODE=\"0660\" for every node)"
fi
what="60-passgate.rules: ACL on turnstile and gate nodes, not scanboards"
if [ ${#acl_patterns[@]} -gt 0 ] && [ -z "$bad" ]; then
	ok "$what"
else
	not_ok "$what:$bad"
fi

totals
