#!/bin/bash
# make station: the station at scale.
# 1. On the host: a real Mosquitto, PostgreSQL 15 and passgate-collector,
#    and bench/station_load acting as STATION_GATES simulated gates (MQTT
#    clients publishing real sealed journals of STATION_EVENTS events
#    each): delta propagation p50/p99 and the rows per second broker +
#    collector + PostgreSQL verify and store, exactly once; on plain TCP
#    and on TLS with a certificate per gate and the station's ACL, each
#    with the collector as it runs (--store batch) and with its baseline,
#    one INSERT per row (--store row), all in the same run against the
#    same PostgreSQL: issue 23's goal is the ratio of the two.
# 2. In the x86_64 guest: station_test with PASSGATE_STATION_SCANS=100
#    (the gates of the test machine, their daemons and uplinks).
# The figures go to stdout and into docs/PERFORMANCE.md, and, one
# key=value a line for scripts/bench.sh, into BUILD/station-figures.env
# (written by the host part alone, too).  Exit 1 if a run did not store
# every row exactly once.
#
# usage: BUILD=build GUEST_KERNEL=build/kernel/<abi> scripts/station.sh
set -euo pipefail

build=${BUILD:?} kernel=${GUEST_KERNEL:?}
# Enough rows that the batched collector is timed over about a second.
gates=${STATION_GATES:-200} events=${STATION_EVENTS:-500}
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

# run MODE STORE: broker and collector (MODE plain or tls, --store STORE)
# up on empty tables, the load, down; then the count that says exactly
# once.  Its figures, prefixed MODE_STORE_, into $work/figures.env.
run() {
	local tls=() load_tls=() i k v exact
	local rows distinct heads sent stored
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
	mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto-$1-$2.log" 2>&1 &
	mpid=$!
	up "$mport"
	# Every run from empty tables, after a checkpoint: none pays for
	# the one before.
	PGOPTIONS='-c client_min_messages=warning' psql "$conninfo" -XAtq \
		-c 'DROP VIEW IF EXISTS overview_events' \
		-c 'DROP TABLE IF EXISTS events, chain, seals' -c CHECKPOINT
	"$build/bin/passgate-collector" --client-id collector-load \
		--station load --gates "$work/load/registry" \
		--confirm-key "$work/confirm.key" "${tls[@]}" --store "$2" \
		--broker "127.0.0.1:$mport" --db "$conninfo" \
		>"$work/collector-$1-$2.log" 2>&1 &
	cpid=$!
	for ((i = 0; i < 200; i++)); do
		grep -q 'subscribed to' "$work/collector-$1-$2.log" && break
		sleep 0.05
	done
	"$build/bench/station_load" --broker "127.0.0.1:$mport" \
		--db "$conninfo" --dir "$work/load" --gates "$gates" \
		--events "$events" --deltas 20 "${load_tls[@]}" \
		--figures "$work/load-$1-$2.env" >"$work/load-$1-$2.out" || true
	kill "$cpid"; wait "$cpid" || true; cpid=
	kill "$mpid"; wait "$mpid" || true; mpid=
	# Exactly once: rows = distinct positions = the verified heads =
	# the rows the gates sent = the rows the collector wrote.
	read -r rows distinct heads < <(psql "$conninfo" -XAt -F ' ' -c \
		"SELECT count(*), count(DISTINCT (gate, pos)),
		        (SELECT coalesce(sum(pos), 0) FROM chain)
		   FROM events")
	sent=$(sed -n 's/^rows_sent=//p' "$work/load-$1-$2.env")
	stored=$(sed -n 's/.*stopped: stored \([0-9]*\) rows.*/\1/p' \
		"$work/collector-$1-$2.log")
	exact=no
	[ -n "$sent" ] && [ "$rows" = "$sent" ] && [ "$distinct" = "$sent" ] &&
		[ "$heads" = "$sent" ] && [ "$stored" = "$sent" ] && exact=yes
	sed -n '/^delta/p' "$work/load-$1-$2.out"
	sed -n 's/^rows up\([^:]*\): \(.*\) (sealed.*/rows up\1, collector --store '"$2"': \2/p' \
		"$work/load-$1-$2.out"
	echo "exactly once ($1, --store $2): $exact: $rows rows, $distinct distinct, heads at $heads, ${sent:-?} sent, ${stored:-?} written by the collector"
	while IFS== read -r k v; do
		echo "${1}_${2}_$k=$v"
	done <"$work/load-$1-$2.env" >>"$work/figures.env"
	echo "${1}_${2}_exactly_once=$exact" >>"$work/figures.env"
	[ $exact = yes ] || failed=1
}

# key NAME: a figure of this run.
key() { sed -n "s/^$1=//p" "$work/figures.env"; }
# ratio MODE: batched ÷ one INSERT per row, on that transport.
ratio() {
	awk -v b="$(key "${1}_batch_rows_per_s")" -v r="$(key "${1}_row_rows_per_s")" \
		'BEGIN { if (r > 0) printf "%.1f", b / r; else print "0" }'
}

echo "== station: $gates simulated gates, $events events each (host)"
failed=0
: >"$work/figures.env"
for mode in plain tls; do
	for store in batch row; do
		run "$mode" "$store"
	done
done >"$work/figures"
plain=$(ratio plain) tls=$(ratio tls)
# The goal's figure: the lower of the two transports.
goal=$(awk -v p="$plain" -v t="$tls" 'BEGIN { print (p < t ? p : t) }')
met=$(awk -v g="$goal" 'BEGIN { print (g >= 10 ? "yes" : "no") }')
echo "collector, batched ÷ one INSERT per row, same run: ${plain}× on plain TCP, ${tls}× on TLS (goal ≥ 10×: $([ "$met" = yes ] && echo met || echo 'not met'))" >>"$work/figures"
{
	echo "station_date=$(date -u '+%Y-%m-%dT%H:%M:%SZ')"
	echo "station_gates=$gates"
	echo "station_events_per_gate=$events"
	cat "$work/figures.env"
	echo "plain_ratio=$plain"
	echo "tls_ratio=$tls"
	echo "collector_ratio=$goal"
	echo "collector_ratio_target=10"
	echo "collector_ratio_met=$met"
	echo "collector_exactly_once=$([ $failed = 0 ] && echo yes || echo no)"
} >"$build/station-figures.env.tmp"
mv "$build/station-figures.env.tmp" "$build/station-figures.env"
figures=$(cat "$work/figures")
echo "$figures"
if [ $failed != 0 ]; then
	echo "station: a run did not store every row exactly once" >&2
	exit 1
fi
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
	echo "journals of $events events each), on plain TCP and on TLS with a"
	echo "certificate per gate and the station's ACL, each with the"
	echo "collector batched (\`--store batch\`, the default) and with its"
	echo "baseline of one INSERT per row (\`--store row\`), in the same run"
	echo "against the same PostgreSQL, every run from empty tables; exactly"
	echo "once is counted after each run (rows = distinct positions = the"
	echo "verified heads = the rows sent = the rows the collector wrote):"
	echo
	printf '%s\n' "$figures" | sed 's/^/- /'
} >>docs/PERFORMANCE.md
