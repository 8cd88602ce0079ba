#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Debian packages on a Debian gate PC (make check-install): run by
# passgate-install-test.service in the Debian bookworm guest that
# scripts/install-check.sh builds and boots with systemd, the test gate
# in its ACPI tables.  As a gate integrator would: install the .debs with
# apt (DKMS builds the module for the running kernel), configure gate 0,
# start passgated@0 and passgate-uplink@0, decide scans from the test
# board, stop, upgrade, purge.  TAP lines, the kselftest "# Totals:" line,
# then the kernel log and the journal into the scratch share, the runner's
# PASSGATE-GUEST-EXIT marker, and power off.
#
# In /root/passgate-install: v1/ and v2/ (the packages, and the same
# repacked one version up), passgate-testboard.ko (the test gate's GPIO
# controller, which a real gate PC has in its SoC), board-scan, id.key,
# issuer.pub, list1.pgl and list2.pgl with their .minisig, v2.version.
set -u
d=/root/passgate-install
pass=0 fail=0 n=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
# check NAME COMMAND...: one TAP line; the command's output on failure.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name"
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/# /'
	fi
}
# check_out NAME WANT COMMAND...: the command's output must be WANT.
check_out() {
	local name=$1 want=$2 got
	shift 2
	got=$("$@" 2>&1)
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name"
		echo "# got \"$got\", want \"$want\""
	fi
}
# until_true SECONDS COMMAND...: the bounded wait, polled every 0.2 s.
until_true() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
finish() {
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
	mkdir -p /mnt/scratch
	if mount -t 9p -o trans=virtio,version=9p2000.L scratch /mnt/scratch; then
		dmesg >/mnt/scratch/dmesg.txt
		journalctl -b --no-pager -o short-monotonic >/mnt/scratch/journal.txt
		umount /mnt/scratch
	fi
	sync
	echo "PASSGATE-GUEST-EXIT=$(( fail > 0 ))" >/dev/console
	systemctl poweroff --force --force
}
trap finish EXIT

echo "TAP version 13"
kver=$(uname -r)
insmod $d/passgate-testboard.ko || not_ok "insmod passgate-testboard.ko"

# --- install ------------------------------------------------------------
start=$SECONDS
check "apt-get installs passgate, passgate-dkms and passgate-station" \
	apt-get install -y $d/v1/*.deb
echo "# install with the DKMS build: $((SECONDS - start)) s"
check "DKMS built and installed passgate for $kver" \
	sh -c "dkms status -m passgate -k $kver | grep -q ': installed'"
check "the module DKMS built is the one loaded" \
	sh -c "grep -q '^passgate ' /proc/modules &&
	       modinfo -n passgate | grep -q /updates/dkms/"
check "the users and folders exist (sysusers.d, tmpfiles.d)" \
	sh -c 'id passgate && id passgate-uplink &&
	       [ "$(stat -c "%U %G %a" /var/lib/passgate)" = "passgate passgate-uplink 2750" ]'
udevadm settle
check "udev gave the gate's node to group passgate" \
	sh -c '[ "$(stat -c "%G %a" /dev/passgate/gate0/gate)" = "passgate 660" ]'
check "the man pages and completion are installed" \
	sh -c '[ -s /usr/share/man/man8/passgated.8.gz ] &&
	       [ -s /usr/share/man/man5/passgated.conf.5.gz ] &&
	       [ -s /usr/share/man/man1/passgate-station-ca.1.gz ] &&
	       [ -s /usr/share/man/man8/passgate-overview.8.gz ] &&
	       [ -s /usr/share/passgate/overview/index.html ] &&
	       [ -s /usr/share/bash-completion/completions/passgatectl ]'
check "every program answers --version with the package's version" \
	sh -c 'v=$(dpkg-query -W -f="\${Version}" passgate) &&
	       for p in passgated passgatectl passgate-uplink passgate-collector \
	                passgate-overview passgate-publish passgate-issuer \
	                passgate-station-ca; do
	               [ "$($p --version)" = "$p (passgate) $v" ] || exit 1; done'

# --- configure and start gate 0 -----------------------------------------
# The example configuration as shipped: fever screening at 37.3 °C, so
# every scan carries the passenger's temperature (36.50 °C).
install -m 0600 -o passgate -g passgate $d/id.key /etc/passgate/id.key
install -m 0644 $d/issuer.pub /etc/passgate/trust/issuer.pub
cat >>/etc/passgate/gate0.conf <<EOF
station = st1
gate_name = exit-0
mqtt_broker = 127.0.0.1:1883
uplink_dir = /var/lib/passgate-uplink
EOF
check "passgatectl seed-generation 0" passgatectl seed-generation 0
check "systemctl start passgated@0: ready (Type=notify)" \
	sh -c 'systemctl start passgated@0 && systemctl is-active -q passgated@0'
check "passgatectl load: the daemon accepts generation 1" \
	passgatectl load $d/list1.pgl
check "journald has the activation at priority notice with its fields" \
	sh -c 'journalctl -b -u passgated@0 -p notice PASSGATE_GATE=0 GENERATION=1 \
	       -o verbose | grep -q "^ *PRIORITY=5\$"'
check_out "an unknown code is denied at the gate (red, reason 1)" \
	"red 1" $d/board-scan code HC-UNKNOWN 3650
check_out "a listed green code is accepted at the gate (green)" \
	"green 0" $d/board-scan code HC-GREEN-1 3650
check "systemctl start passgate-uplink@0: connected to the broker" \
	sh -c 'systemctl start passgate-uplink@0 &&
	       systemctl is-active -q passgate-uplink@0'
until_true 60 sh -c "journalctl -b -u passgate-uplink@0 | grep -q 'connected to 127.0.0.1:1883'" ||
	not_ok "the uplink connects to the broker"

# --- stop, start, upgrade -----------------------------------------------
records() { passgatectl --json log-verify | sed -n 's/.*"records": *\([0-9]*\).*/\1/p'; }
r1=$(records)
g1=$(cat /var/lib/passgate/gate0.generation)
check "systemctl stop passgated@0 passgate-uplink@0" \
	sh -c 'systemctl stop passgated@0 passgate-uplink@0 &&
	       ! systemctl is-active -q passgated@0'
check "after the stop the journal verifies and the rollback record is kept" \
	sh -c "passgatectl log-verify &&
	       [ \"\$(cat /var/lib/passgate/gate0.generation)\" = '$g1' ]"
systemctl start passgated@0 passgate-uplink@0
pid=$(systemctl show -P MainPID passgated@0)
start=$SECONDS
check "apt-get upgrades to $(cat $d/v2.version)" \
	apt-get install -y $d/v2/*.deb
echo "# upgrade with the DKMS rebuild: $((SECONDS - start)) s"
check "the running gate restarted on the new programs" \
	sh -c "systemctl is-active -q passgated@0 &&
	       [ \"\$(systemctl show -P MainPID passgated@0)\" != '$pid' ] &&
	       systemctl is-active -q passgate-uplink@0"
check "after the upgrade the journal verifies, with every row kept" \
	sh -c "passgatectl log-verify && [ \"\$(passgatectl --json log-verify |
	       sed -n 's/.*\"records\": *\\([0-9]*\\).*/\\1/p')\" -ge '$r1' ]"
check "after the upgrade the rollback record is kept" \
	sh -c "[ \"\$(cat /var/lib/passgate/gate0.generation)\" = '$g1' ]"
# Another passenger: HC-GREEN-1 would be a passback now.
check_out "after the upgrade the gate still decides from generation 1" \
	"green 0" $d/board-scan code HC-GREEN-2 3650
check "a list not above the active generation is refused after it" \
	sh -c "! passgatectl load $d/list1.pgl"
check "a newer list is accepted after the upgrade" passgatectl load $d/list2.pgl

# --- purge --------------------------------------------------------------
dpkg-query -L passgate passgate-dkms passgate-station >/tmp/files
check "apt-get purge removes the three packages" \
	apt-get purge -y passgate passgate-dkms passgate-station
check "no file the packages installed is left" \
	sh -c 'while read -r f; do
	               [ -d "$f" ] || [ ! -e "$f" ] || { echo "left: $f"; exit 1; }
	       done </tmp/files'
check "the units are stopped and gone" \
	sh -c '! systemctl is-active -q passgated@0 &&
	       ! systemctl cat passgated@0 >/dev/null 2>&1'
check "the configuration, the spool and DKMS's build are gone" \
	sh -c '[ ! -e /etc/passgate ] && [ ! -e /var/spool/passgate ] &&
	       [ -z "$(dkms status -m passgate)" ] &&
	       ! find /lib/modules -name "passgate.ko*" | grep -q .'
check "the audit journal is kept (docs/packaging.md)" \
	test -s /var/lib/passgate/journal-gate0.db
