#!/bin/bash
# make station: the station at scale.
# 1. On the host: a real Mosquitto, PostgreSQL 15 and passgate-collector,
#    and bench/station_load acting as STATION_GATES simulated gates (MQTT
#    clients publishing real sealed journals): delta propagation p50/p99
#    and the rows per second broker + collector + PostgreSQL verify and
#    store; once on plain TCP and once on TLS with a certificate per gate
#    and the station's ACL, in the same run.
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

pgport=$(port)
runuser -u nobody -- "$pgbin/initdb" -D "$work/pg" -A trust -U postgres \
	--no-sync >"$work/initdb.log" 2>&1
runuser -u nobody -- "$pgbin/pg_ctl" -D "$work/pg" -w -t 60 -l "$work/run/pg.log" \
	-o "-c listen_addresses=127.0.0.1 -p $pgport -k $work/run" start >/dev/null
conninfo="host=127.0.0.1 port=$pgport user=postgres dbname=postgres"

# The simulated gates' journals and registry, their certificates, the
# collector's confirmation key: all made before anything is timed.
mkdir "$work/load"
"$build/bench/station_load" --prepare "$work/load" --gates "$gates" \
	--events "$events"
ca=$work/ca
station/passgate-station-ca init "$ca" load >/dev/null
station/passgate-station-ca broker "$ca" 127.0.0.1 >/dev/null
station/passgate-station-ca collector "$ca" >/dev/null
station/passgate-station-ca publisher "$ca" >/dev/null
for ((i = 0; i < gates; i++)); do
	station/passgate-station-ca gate "$ca" "sim-$i" >/dev/null
done
station/passgate-station-ca acl "$ca" >"$work/mq/acl"
cp "$ca/ca.crt" "$ca/broker.crt" "$ca/broker.key" "$work/mq/"
chown -R mosquitto "$work/mq" 2>/dev/null || true
"$build/bin/passgate-collector" --keygen "$work/confirm.key" >/dev/null

# run MODE: broker and collector up (MODE plain or tls), the load, down.
run() {
	local tls=() load_tls=() i
	mport=$(port)
	{
		echo "listener $mport 127.0.0.1"
		echo "max_queued_messages 0"
		echo "max_inflight_messages 0"
		echo "persistence false"
		if [ "$1" = tls ]; then
			echo "cafile $work/mq/ca.crt"
			echo "certfile $work/mq/broker.crt"
			echo "keyfile $work/mq/broker.key"
			echo "tls_version tlsv1.2"
			echo "require_certificate true"
			echo "use_identity_as_username true"
			echo "allow_anonymous false"
			echo "acl_file $work/mq/acl"
			tls=(--cafile "$ca/ca.crt" --cert "$ca/collector.crt"
			     --key "$ca/collector.key")
			load_tls=(--cafile "$ca/ca.crt" --certs "$ca")
		else
			echo "allow_anonymous true"
		fi
	} >"$work/mosquitto.conf"
	mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto-$1.log" 2>&1 &
	mpid=$!
	up "$mport"
	psql "$conninfo" -XAtq -c 'DROP TABLE IF EXISTS events, chain, seals' \
		>/dev/null 2>&1
	"$build/bin/passgate-collector" --client-id collector-load \
		--station load --gates "$work/load/registry" \
		--confirm-key "$work/confirm.key" "${tls[@]}" \
		--broker "127.0.0.1:$mport" --db "$conninfo" \
		>"$work/collector-$1.log" 2>&1 &
	cpid=$!
	for ((i = 0; i < 200; i++)); do
		grep -q 'subscribed to' "$work/collector-$1.log" && break
		sleep 0.05
	done
	"$build/bench/station_load" --broker "127.0.0.1:$mport" \
		--db "$conninfo" --dir "$work/load" --gates "$gates" \
		--events "$events" --deltas 20 "${load_tls[@]}"
	kill "$cpid"; wait "$cpid" || true; cpid=
	kill "$mpid"; wait "$mpid" || true; mpid=
}

echo "== station: $gates simulated gates, $events events each (host)"
run plain >"$work/figures-plain"
run tls >"$work/figures-tls"
figures=$(cat "$work/figures-plain" "$work/figures-tls")
echo "$figures"
# STATION_GUEST=0: the host's figures only, nothing written (a quick look).
[ "${STATION_GUEST:-1}" = 0 ] && exit 0

echo "== station: the test machine's gates in the x86_64 guest"
qemu/run-qemu.sh --kernel-dir "$kernel" \
	--acpi "$build/selftests/testgate.aml" --out "$build/station" \
	--timeout 1800 -- env PASSGATE_STATION_SCANS=100 qemu/guest-gate.sh \
	selftests/run-tests.sh "$build/selftests/station_test" |
	grep -a -E '^(ok|not ok|# TALLY|# Totals)'

# The last run's section replaces the one before.
python3 - docs/PERFORMANCE.md <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"\n## Station \(make station[^\n]*\n.*?(?=\n## |\Z)", "", s, flags=re.S)
open(p, "w").write(s)
PY
{
	echo
	echo "## Station (make station, $(date -u '+%Y-%m-%d'))"
	echo
	echo "One Mosquitto 2.0 broker, passgate-collector and PostgreSQL 15 on"
	echo "this machine (2 cores, loopback), $gates simulated gates"
	echo "(bench/station_load: MQTT clients publishing real sealed"
	echo "journals), first on plain TCP, then on TLS with a certificate per"
	echo "gate and the station's ACL, in the same run:"
	echo
	printf '%s\n' "$figures" | sed 's/^/- /'
} >>docs/PERFORMANCE.md
