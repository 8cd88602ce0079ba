#!/bin/bash
# make station: the station at scale.
# 1. On the host: a real Mosquitto, PostgreSQL 15 and passgate-collector,
#    and bench/station_load acting as STATION_GATES simulated
#    gates (MQTT clients only): delta propagation p50/p99 and the events
#    per second broker + collector + PostgreSQL absorb.
# 2. In the x86_64 guest: station_test with PASSGATE_STATION_SCANS=100
#    (the gates of the test machine, their daemons and uplinks).
# The figures go to stdout and into docs/PERFORMANCE.md.
#
# usage: BUILD=build GUEST_KERNEL=build/kernel/<abi> scripts/station.sh
set -euo pipefail

build=${BUILD:?} kernel=${GUEST_KERNEL:?}
gates=${STATION_GATES:-200} events=${STATION_EVENTS:-100}
pgbin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/passgate-station.XXXXXX)
chmod 755 "$work"
mkdir "$work/pg" "$work/mq" "$work/run"
chown nobody "$work/pg" "$work/run"
chown mosquitto "$work/mq" 2>/dev/null || true
mpid= cpid=
cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	runuser -u nobody -- "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop \
		>/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
up() { # PORT: wait (bounded) until something accepts on it
	local i
	for ((i = 0; i < 200; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

mport=$(port) pgport=$(port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\npersistence false\n' \
	"$mport" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
mpid=$!
up "$mport"
runuser -u nobody -- "$pgbin/initdb" -D "$work/pg" -A trust -U postgres \
	--no-sync >"$work/initdb.log" 2>&1
runuser -u nobody -- "$pgbin/pg_ctl" -D "$work/pg" -w -t 60 -l "$work/run/pg.log" \
	-o "-c listen_addresses=127.0.0.1 -p $pgport -k $work/run" start >/dev/null
conninfo="host=127.0.0.1 port=$pgport user=postgres dbname=postgres"
"$build/bin/passgate-collector" --client-id collector-load \
	--broker "127.0.0.1:$mport" --db "$conninfo" >"$work/collector.log" 2>&1 &
cpid=$!
# The collector creates its table before it subscribes.
for ((i = 0; i < 200; i++)); do
	psql "$conninfo" -XAtq -c 'SELECT 1 FROM events LIMIT 1' >/dev/null 2>&1 && break
	sleep 0.05
done

echo "== station: $gates simulated gates, $events events each (host)"
figures=$("$build/bench/station_load" --broker "127.0.0.1:$mport" \
	--db "$conninfo" --gates "$gates" --events "$events" --deltas 20)
echo "$figures"

echo "== station: the test machine's gates in the x86_64 guest"
qemu/run-qemu.sh --kernel-dir "$kernel" \
	--acpi "$build/selftests/testgate.aml" --out "$build/station" \
	--timeout 1800 -- env PASSGATE_STATION_SCANS=100 qemu/guest-gate.sh \
	selftests/run-tests.sh "$build/selftests/station_test" |
	grep -a -E '^(ok|not ok|# TALLY|# Totals)'

{
	echo
	echo "## Station (make station, $(date -u '+%Y-%m-%d'))"
	echo
	echo "One Mosquitto 2.0 broker, passgate-collector and PostgreSQL 15 on"
	echo "this machine (2 cores, loopback), $gates simulated gates"
	echo "(bench/station_load, MQTT clients only):"
	echo
	printf '%s\n' "$figures" | sed 's/^/- /'
} >>docs/PERFORMANCE.md
