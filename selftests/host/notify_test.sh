#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# systemd's service protocol, as the units (Type=notify, WatchdogSec=)
# expect it, without systemd: a datagram socket stands in for systemd's
# NOTIFY_SOCKET, and passgate-uplink (a broker that is not there, a
# journal that does not exist yet: it runs and waits) must say READY=1,
# ping WATCHDOG=1 while WATCHDOG_USEC is set, and say STOPPING=1 on
# SIGTERM; without WATCHDOG_USEC it pings nothing; without NOTIFY_SOCKET
# it runs the same.
# passgated does the same in the guest (daemon_test).  TAP lines, then a
# kselftest "# Totals:" line.
#
# usage: selftests/host/notify_test.sh [BUILD_DIR]   (default $BUILD, else build)
set -u

build=${1:-${BUILD:-build}}
uplink=$(realpath -m "$build/bin/passgate-uplink")
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=selftests/host/tap.sh
. "$here/tap.sh"
work=$(mktemp -d /tmp/passgate-notify-test.XXXXXX)
lpid= upid=
cleanup() {
	[ -n "$upid" ] && kill "$upid" 2>/dev/null && wait "$upid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null && wait "$lpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
if [ ! -x "$uplink" ]; then
	not_ok "passgate-uplink not found at $uplink"
	totals
fi
# systemd's end: every datagram, one line each, the sender's pid first.
python3 - "$work/notify.sock" "$work/said" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = int.from_bytes(anc[0][2][:4], "little") if anc else 0
        for line in msg.decode().splitlines():
            out.write("%d %s\n" % (pid, line))
PY
lpid=$!
until_true 10 test -S "$work/notify.sock" || { not_ok "no notify socket"; totals; }

cat >"$work/gate.conf" <<-CONF
	gate = 0
	station = st1
	gate_name = exit-0
	mqtt_broker = 127.0.0.1:$(free_port)
	uplink_dir = $work/up
	state_dir = $work/up
	spool_dir = $work/up
	journal = $work/up/none.db
CONF
NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=400000 \
	"$uplink" -c "$work/gate.conf" >"$work/out" 2>&1 &
upid=$!
said() { grep -q "^$upid $1\$" "$work/said"; }
pings() { [ "$(grep -c "^$upid WATCHDOG=1\$" "$work/said")" -ge "$1" ]; }
if until_true 10 said READY=1; then
	ok "passgate-uplink says READY=1 from its own pid"
else
	not_ok "passgate-uplink says READY=1 from its own pid"
fi
if until_true 10 pings 5; then
	ok "... pings WATCHDOG=1 while WATCHDOG_USEC is set ($(grep -c WATCHDOG "$work/said") so far)"
else
	not_ok "... pings WATCHDOG=1 while WATCHDOG_USEC is set"
fi
pid=$upid
kill -TERM "$upid"
wait "$upid"
rc=$?
upid=
stopped() { grep -q "^$pid STOPPING=1\$" "$work/said"; }
if [ $rc = 0 ] && until_true 10 stopped; then
	ok "... says STOPPING=1 on SIGTERM and exits 0"
else
	not_ok "... says STOPPING=1 on SIGTERM and exits 0 (exit $rc)"
fi

# No watchdog set: READY=1 and STOPPING=1, and no ping between them,
# although its loop turned (it said it waits for the journal).
NOTIFY_SOCKET=$work/notify.sock "$uplink" -c "$work/gate.conf" \
	>"$work/out2" 2>&1 &
upid=$!
pid=$upid
if until_true 10 said READY=1 &&
	until_true 10 grep -q 'waiting for passgated' "$work/out2"; then
	kill -TERM "$upid"; wait "$upid"; upid=
	if until_true 10 stopped &&
		! grep -q "^$pid WATCHDOG=1\$" "$work/said"; then
		ok "without WATCHDOG_USEC: ready and stopping, no ping"
	else
		not_ok "without WATCHDOG_USEC: ready and stopping, no ping"
	fi
else
	not_ok "without WATCHDOG_USEC: ready and stopping, no ping (not ready)"
fi

# Without systemd at all it runs as before.
env -u NOTIFY_SOCKET -u WATCHDOG_USEC "$uplink" -c "$work/gate.conf" \
	>"$work/out3" 2>&1 &
upid=$!
if until_true 10 grep -q '^ready$' "$work/out3" && kill -0 "$upid"; then
	ok "without NOTIFY_SOCKET it runs as before"
else
	not_ok "without NOTIFY_SOCKET it runs as before"
fi
kill -TERM "$upid"; wait "$upid"; upid=
totals
