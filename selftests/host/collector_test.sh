#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# passgate-collector against a real Mosquitto and a real PostgreSQL 15,
# both started here on free loopback ports in a temporary folder: rows
# arrive, a row published twice is stored once, rows published while the
# collector is down arrive after it restarts (persistent session), a
# malformed row is refused and counted, a row waits out a database
# outage, and the gap query of docs/station.md sees a gap and its
# filling.  TAP lines, then a kselftest "# Totals:" line.
#
# usage: selftests/host/collector_test.sh [BUILD_DIR]
#        (default $BUILD, else build; the collector is
#        BUILD_DIR/bin/passgate-collector)
set -u

build=${1:-${BUILD:-build}}
collector=$(realpath -m "$build/bin/passgate-collector")
pgbin=/usr/lib/postgresql/15/bin
# shellcheck source=selftests/host/tap.sh
. "$(dirname "$0")/tap.sh"

echo "TAP version 13"
for tool in mosquitto mosquitto_pub psql; do
	if ! command -v $tool >/dev/null; then
		skipped "collector" "$tool is not installed (scripts/setup.sh)"
		totals
	fi
done
if [ ! -x "$pgbin/initdb" ]; then
	skipped "collector" "PostgreSQL 15 is not installed (scripts/setup.sh)"
	totals
fi
if [ ! -x "$collector" ]; then
	not_ok "passgate-collector not found at $collector"
	totals
fi

# PostgreSQL refuses to run as root: as root (the CI), its folder belongs
# to nobody and its programs run as nobody.
as_pg=()
[ "$(id -u)" = 0 ] && as_pg=(runuser -u nobody --)

work=$(mktemp -d /tmp/passgate-collector-test.XXXXXX)
chmod 755 "$work"
mkdir "$work/pg" "$work/run"
[ ${#as_pg[@]} -gt 0 ] && chown nobody "$work/pg" "$work/run"
cpid= mpid=
cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	[ -f "$work/pg/postmaster.pid" ] &&
		"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop \
			>/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

# -- the broker: no persistence (this test restarts the collector, not
# the broker), a queue deep enough for everything the test publishes.
start_broker() {
	local try
	for try in 1 2 3 4 5; do
		mport=$(free_port)
		cat > mosquitto.conf <<-CONF
		listener $mport 127.0.0.1
		allow_anonymous true
		persistence false
		max_queued_messages 10000
		log_dest stderr
		CONF
		mosquitto -c mosquitto.conf >>mosquitto.log 2>&1 &
		mpid=$!
		if until_true 10 mosquitto_pub -h 127.0.0.1 -p "$mport" \
			-i probe -q 1 -t passgate-test/probe -n; then
			return 0
		fi
		kill "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null; mpid=
	done
	return 1
}
if start_broker; then
	ok "mosquitto on 127.0.0.1:$mport"
else
	not_ok "mosquitto did not start"
	sed 's/^/#   /' mosquitto.log
	totals
fi

# -- the database
start_db() {
	"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -w -t 20 -l "$work/run/pg.log" \
		-o "-c listen_addresses=127.0.0.1 -p $pgport -k $work/run -c fsync=off" \
		start >/dev/null
}
if ! "${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -A trust -U postgres \
	--no-sync >initdb.log 2>&1; then
	not_ok "initdb"
	sed 's/^/#   /' initdb.log
	totals
fi
for try in 1 2 3 4 5; do
	pgport=$(free_port)
	start_db && break
	pgport=
done
if [ -n "$pgport" ]; then
	ok "postgres on 127.0.0.1:$pgport"
else
	not_ok "postgres did not start"
	sed 's/^/#   /' run/pg.log
	totals
fi
conninfo="host=127.0.0.1 port=$pgport user=postgres dbname=postgres connect_timeout=5"
sql() { psql "$conninfo" -XAtq -c "$1"; }

# -- rows as a gate publishes them
hex() { printf '%s' "$*" | sha256sum | cut -c1-64; }
event() {	# GATE POS [LANE]
	printf '{"gate":"%s","pos":%d,"kind":"event","stream":1,"seq":%d,' \
		"$1" "$2" "$2"
	printf '"type":"verdict","lane":%s,"arg":0,"value":%d,' "${3:-1}" "$2"
	printf '"time_ns":%d,"stored_ns":%d,"data":"%s","hash":"%s"}\n' \
		"$((1700000000000000000 + $2))" "$((1700000000000000500 + $2))" \
		"$(hex data "$1" "$2")" "$(hex hash "$1" "$2")"
}
mark() {	# GATE POS KIND
	printf '{"gate":"%s","pos":%d,"kind":"%s","stream":1,' "$1" "$2" "$3"
	printf '"stored_ns":1700000000000000000,"hash":"%s"}\n' "$(hex hash "$1" "$2")"
}
# publish GATE: the rows on stdin, one message a line, QoS 1 (mosquitto_pub
# returns once the broker acknowledged them).
publish() {
	mosquitto_pub -h 127.0.0.1 -p "$mport" -q 1 -i "pub-$1" \
		-t "passgate/st1/gates/$1/events" -l
}
count() { sql "SELECT count(*) FROM events WHERE gate = '$1'"; }
is() { [ "$(sql "$1")" = "$2" ]; }
# wait_rows DESCRIPTION GATE N: the gate has N rows within 10 s.
wait_rows() {
	if until_true 10 is "SELECT count(*) FROM events WHERE gate = '$2'" "$3"; then
		ok "$1"
	else
		not_ok "$1 ($2 has $(count "$2") rows, expected $3)"
		sed 's/^/#   /' collector.log
	fi
}
check_sql() {	# DESCRIPTION SQL EXPECTED
	local got
	got=$(sql "$2")
	if [ "$got" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1 (got \"$got\", expected \"$3\")"
	fi
}

subscribed() { [ "$(grep -c 'subscribed to' collector.log)" -gt "$1" ]; }
start_collector() {
	local before
	before=$(grep -c 'subscribed to' collector.log 2>/dev/null)
	"$collector" --broker "127.0.0.1:$mport" --client-id collector-test \
		--db "$conninfo" >>collector.log 2>&1 &
	cpid=$!
	if until_true 10 subscribed "${before:-0}"; then
		ok "$1"
	else
		not_ok "$1 (no subscription within 10 s)"
		sed 's/^/#   /' collector.log
		totals
	fi
}
stop_collector() {
	local rc
	kill -TERM "$cpid"
	wait "$cpid"
	rc=$?
	cpid=
	if [ $rc = 0 ]; then
		ok "$1"
	else
		not_ok "$1 (exit $rc)"
		sed 's/^/#   /' collector.log
	fi
}

: > collector.log
start_collector "collector subscribes (and creates the table)"

# -- (a) rows arrive
{ for p in 1 2 3 4; do event gate-a $p; done; event gate-a 5 null
  mark gate-a 6 checkpoint; } | publish gate-a
wait_rows "(a) six rows arrive" gate-a 6
check_sql "(a) fields as published" \
	"SELECT kind, stream, seq, type, lane, arg, value, time_ns, stored_ns,
	        encode(data, 'hex') = '$(hex data gate-a 2)',
	        encode(hash, 'hex') = '$(hex hash gate-a 2)'
	   FROM events WHERE gate = 'gate-a' AND pos = 2" \
	"event|1|2|verdict|1|0|2|1700000000000000002|1700000000000000502|t|t"
check_sql "(a) a gate-wide event has no lane" \
	"SELECT lane IS NULL FROM events WHERE gate = 'gate-a' AND pos = 5" t
check_sql "(a) a mark has no event fields" \
	"SELECT kind, seq IS NULL AND data IS NULL FROM events
	  WHERE gate = 'gate-a' AND pos = 6" "checkpoint|t"

# -- (b) the same row twice is stored once; the row after it shows that
# the duplicate was handled (one subscription delivers in order)
{ event gate-a 3; event gate-a 7; } | publish gate-a
wait_rows "(b) the row after a duplicate arrives" gate-a 7
check_sql "(b) the duplicate is stored once" \
	"SELECT count(*) FROM events WHERE gate = 'gate-a' AND pos = 3" 1

# -- (c) published while the collector is down: the session keeps them
stop_collector "(c) SIGTERM stops the collector cleanly"
{ event gate-b 1; event gate-b 2; event gate-b 3; } | publish gate-b
event gate-a 8 | publish gate-a
check_sql "(c) nothing stored while it is down" \
	"SELECT count(*) FROM events WHERE gate = 'gate-b'" 0
start_collector "(c) collector restarts"
wait_rows "(c) rows published while it was down arrive" gate-b 3
wait_rows "(c) ... on every gate" gate-a 8

# -- (d) malformed rows: refused, counted, nothing stored, still running
good=$(event gate-d 1)
{
	echo 'not json'
	echo "${good%\}},\"extra\":1}"
	echo "${good/\"pos\":1/\"pos\":01}"
	echo "${good/\"pos\":1/\"pos\":1.5}"
	echo "${good/\"data\":\"?/\"data\":\"Z}"
	echo "${good/\"kind\":\"event\"/\"kind\":\"other\"}"
	echo "${good/\"seq\":1,/}"
	echo "$good trailing"
	event gate-x 1		# not the topic's gate
	event gate-d 2		# the sentinel
} | publish gate-d
wait_rows "(d) the row after nine malformed ones arrives" gate-d 1
check_sql "(d) no malformed row is stored" \
	"SELECT pos FROM events WHERE gate IN ('gate-d', 'gate-x')" 2
if grep -q 'refused row (refused 9)' collector.log &&
	! grep -q 'refused row (refused 10)' collector.log; then
	ok "(d) nine refused, counted and logged"
else
	not_ok "(d) nine refused, counted and logged"
	sed 's/^/#   /' collector.log
fi
if kill -0 "$cpid" 2>/dev/null; then
	ok "(d) the collector keeps going"
else
	not_ok "(d) the collector keeps going"
fi

# -- (f) a database outage: the row waits for the server and is stored
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null
event gate-f 1 | publish gate-f
if start_db && until_true 10 is "SELECT count(*) FROM events WHERE gate = 'gate-f'" 1; then
	ok "(f) a row published while the database was down is stored after"
else
	not_ok "(f) a row published while the database was down is stored after"
	sed 's/^/#   /' collector.log
fi

# -- (e) the gap query of docs/station.md
gaps="SELECT gate, pos + 1 AS missing_from
        FROM events e
       WHERE NOT EXISTS (SELECT 1 FROM events n
                          WHERE n.gate = e.gate AND n.pos = e.pos + 1)
         AND pos < (SELECT max(pos) FROM events m WHERE m.gate = e.gate)
       ORDER BY gate, missing_from"
{ event gate-e 1; event gate-e 2; event gate-e 4; event gate-e 7; } | publish gate-e
wait_rows "(e) rows with gaps arrive" gate-e 4
check_sql "(e) the gap query finds the gaps" "$gaps" "gate-e|3
gate-e|5"
{ event gate-e 3; event gate-e 5; event gate-e 6; } | publish gate-e
wait_rows "(e) the missing rows arrive" gate-e 7
check_sql "(e) the gap query finds none" "$gaps" ""

stop_collector "collector stops cleanly"
if grep -q 'stopped: stored 7, duplicate 1, conflict 0, refused 0' collector.log &&
	grep -q 'stopped: stored 13, duplicate 0, conflict 0, refused 9' collector.log; then
	ok "each run's totals: stored, duplicate, conflict, refused"
else
	not_ok "each run's totals: stored, duplicate, conflict, refused"
	grep 'stopped:' collector.log | sed 's/^/#   /'
fi

totals
