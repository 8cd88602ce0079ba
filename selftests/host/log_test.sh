#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The programs' log (gate/core/log.c), both ways, with passgate-uplink as
# the program: a real Mosquitto holds a retained delta with no signature,
# which the uplink refuses with a warning about generation 7.
#
# Not under systemd (no JOURNAL_STREAM, or one that names another file
# than stderr) every message is one line on stderr, "passgate-uplink:
# message", as it always was.  Under a real systemd-journald
# (journald_ns.sh: a private one in a mount namespace, the uplink's
# stderr connected to it as systemd connects a service's) every message
# is a journal entry of its own with PRIORITY=, SYSLOG_IDENTIFIER=,
# PASSGATE_GATE= from the configuration, and GENERATION= and REASON=
# where it is about them; "journalctl PASSGATE_GATE=3 -p warning" gives
# the refusal and not the routine news.  TAP lines, then a kselftest
# "# Totals:" line.
#
# usage: selftests/host/log_test.sh [BUILD_DIR]   (default $BUILD, else build)
set -u

build=${1:-${BUILD:-build}}
uplink=$(realpath -m "$build/bin/passgate-uplink")
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=selftests/host/tap.sh
. "$here/tap.sh"

echo "TAP version 13"
for prog in mosquitto mosquitto_pub journalctl systemd-cat unshare; do
	if ! command -v $prog >/dev/null; then
		skipped "log" "$prog is not installed (scripts/setup.sh)"
		totals
	fi
done
if [ ! -x "$uplink" ]; then
	not_ok "passgate-uplink not found at $uplink"
	totals
fi

work=$(mktemp -d /tmp/passgate-log-test.XXXXXX)
mpid='' upid='' npid=''
cleanup() {
	[ -n "$upid" ] && kill "$upid" 2>/dev/null && wait "$upid" 2>/dev/null
	if [ -n "$npid" ]; then
		[ -s "$work/jd/pid" ] && kill "$(cat "$work/jd/pid")" 2>/dev/null
		wait "$npid" 2>/dev/null
	fi
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

if ! start_broker "allow_anonymous true"; then
	not_ok "mosquitto did not start"
	sed 's/^/#   /' mosquitto.log
	totals
fi
# What every run of the uplink is handed on connecting: a delta without
# its signature, refused with a warning about generation 7.
mosquitto_pub -h 127.0.0.1 -p "$mport" -q 1 -r \
	-t passgate/st1/lists/delta/7 -m "no signature here"

cat >gate.conf <<-CONF
	gate = 3
	station = st1
	gate_name = exit-3
	mqtt_broker = 127.0.0.1:$mport
	uplink_dir = $work/up
	state_dir = $work/up
	spool_dir = $work/up
	journal = $work/up/none.db
CONF
refusal="delta 7: no signature and list"
connected="connected to 127.0.0.1:$mport"

# Run the uplink with stderr to FILE until it refused the delta.
run_plain() {
	local out=$1
	shift
	env "$@" "$uplink" -c gate.conf >/dev/null 2>"$out" &
	upid=$!
	until_true 10 grep -qxF "passgate-uplink: $refusal" "$out"
	local said=$?
	kill -TERM "$upid"; wait "$upid"; upid=
	return $said
}
# Every line "passgate-uplink: " and text: no priority, no field.
plain_lines() {
	grep -qxF "passgate-uplink: $connected" "$1" &&
		! grep -qv '^passgate-uplink: [^<]' "$1"
}

if run_plain plain.err -u JOURNAL_STREAM && plain_lines plain.err; then
	ok "no JOURNAL_STREAM: lines on stderr, \"passgate-uplink: message\""
else
	not_ok "no JOURNAL_STREAM: lines on stderr, \"passgate-uplink: message\""
	sed 's/^/#   /' plain.err
fi

# systemd's test is stderr's own device and inode: a variable a unit's
# "2>file" or a child inherited names another file.
other=$(stat -L -c %d:%i gate.conf)
if run_plain other.err JOURNAL_STREAM="$other" && plain_lines other.err; then
	ok "JOURNAL_STREAM of another file than stderr: the same lines"
else
	not_ok "JOURNAL_STREAM of another file than stderr: the same lines"
	sed 's/^/#   /' other.err
fi

if [ "$(id -u)" != 0 ]; then
	skipped "journald" "a private journald's mount namespace needs root"
	totals
fi
# In a chroot (scripts/fresh-check.sh) / is no mount point: unshare
# cannot make the namespace's mounts private, and a /run bound there
# would reach the host's mounts.
if ! mountpoint -q /; then
	skipped "journald" "/ is not a mount point here (a chroot): no private /run without touching the host's mounts"
	totals
fi
mkdir jd
jdir=$work/jd/run/log/journal
"$here/journald_ns.sh" "$work/jd" "$uplink" -c "$work/gate.conf" \
	>journald_ns.log 2>&1 &
npid=$!
entry() { journalctl -q -D "$jdir" -o export "$@" 2>/dev/null; }
got_refusal() { entry GENERATION=7 | grep -qxF "MESSAGE=$refusal"; }
if until_true 20 got_refusal; then
	ok "under journald: the refusal is an entry of its own"
else
	not_ok "under journald: the refusal is an entry of its own"
	sed 's/^/#   /' journald_ns.log "$work/jd/journald.log"
fi
kill -TERM "$(cat "$work/jd/pid")"
wait "$npid"
rc=$?
npid=
[ $rc = 0 ] || not_ok "the uplink under journald exited $rc"

# One entry, as the uplink sent it, with every field it knows.
entry GENERATION=7 >refusal.export
fields="MESSAGE=$refusal
PRIORITY=4
SYSLOG_IDENTIFIER=passgate-uplink
PASSGATE_GATE=3
GENERATION=7
REASON=no signature and list
_TRANSPORT=journal"
missing=$(printf '%s\n' "$fields" | grep -vxF -f refusal.export)
count=$(grep -c '^MESSAGE=' refusal.export)
if [ -z "$missing" ] && [ "$count" = 1 ]; then
	ok "... PRIORITY=4 (warning), PASSGATE_GATE=3, GENERATION=7, REASON="
else
	not_ok "... PRIORITY=4 (warning), PASSGATE_GATE=3, GENERATION=7, REASON= ($count entries; missing: $missing)"
	sed 's/^/#   /' refusal.export
fi

# The operator's question, as docs/operations.md asks it.
journalctl -q -D "$jdir" PASSGATE_GATE=3 -p warning -o cat >warnings.txt
journalctl -q -D "$jdir" PASSGATE_GATE=3 -o cat >all.txt
if grep -qxF "$refusal" warnings.txt &&
	! grep -qxF "$connected" warnings.txt &&
	grep -qxF "$connected" all.txt; then
	ok "journalctl PASSGATE_GATE=3 -p warning: the refusal, not the routine"
else
	not_ok "journalctl PASSGATE_GATE=3 -p warning: the refusal, not the routine"
	sed 's/^/#   all: /' all.txt
	sed 's/^/#   warning: /' warnings.txt
fi
entry "MESSAGE=$connected" >connected.export
if grep -qxF PRIORITY=5 connected.export &&
	grep -qxF PASSGATE_GATE=3 connected.export; then
	ok "... connecting is a notice (PRIORITY=5)"
else
	not_ok "... connecting is a notice (PRIORITY=5)"
fi
# Nothing twice: no "passgate-uplink: ..." line went down the stream too.
if ! journalctl -q -D "$jdir" -o cat | grep -q '^passgate-uplink: ' &&
	[ -z "$(journalctl -q -D "$jdir" PASSGATE_GATE=0 -o cat)" ]; then
	ok "... and no message also as a stderr line, none for another gate"
else
	not_ok "... and no message also as a stderr line, none for another gate"
fi
totals
