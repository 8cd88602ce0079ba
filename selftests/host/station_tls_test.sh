#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The station network's identities, with a real Mosquitto: a CA made by
# station/passgate-station-ca, the broker on TLS only with a client
# certificate required and the certificate's CN as the user name, and the
# ACL the CA script writes.  Then, with mosquitto_pub and mosquitto_sub:
# no certificate, or one from another CA, is refused; a gate publishes
# its own rows and no other gate's, and no list, and cannot forge the
# collector's confirmations; the publisher publishes lists and the gates
# read them; the collector reads rows and confirms them to their gate.  TAP lines,
# then a kselftest "# Totals:" line.
#
# The negative checks need no timeout: a forbidden message is followed
# by a permitted one from the same connection, which the broker handles
# in order, so the first message a subscriber gets tells whether the
# forbidden one went through.
#
# usage: selftests/host/station_tls_test.sh [BUILD_DIR]
#        (default $BUILD, else build; the uplink is BUILD_DIR/bin/passgate-uplink)
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
uplink=$(realpath -m "${1:-${BUILD:-build}}/bin/passgate-uplink")
ca_tool=$here/../../station/passgate-station-ca
# shellcheck source=selftests/host/tap.sh
. "$(dirname "$0")/tap.sh"
check() { if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

echo "TAP version 13"
for tool in mosquitto mosquitto_pub mosquitto_sub openssl; do
	if ! command -v $tool >/dev/null; then
		skipped "station TLS" "$tool is not installed (scripts/setup.sh)"
		totals
	fi
done

work=$(mktemp -d /tmp/passgate-tls-test.XXXXXX)
mpid=
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

# -- the CA and every identity
ca=$work/ca
if "$ca_tool" init "$ca" st1 >/dev/null &&
	"$ca_tool" broker "$ca" 127.0.0.1 >/dev/null &&
	"$ca_tool" gate "$ca" exit-0 >/dev/null &&
	"$ca_tool" gate "$ca" exit-1 >/dev/null &&
	"$ca_tool" collector "$ca" >/dev/null &&
	"$ca_tool" publisher "$ca" >/dev/null &&
	"$ca_tool" overview "$ca" >/dev/null &&
	"$ca_tool" acl "$ca" >acl &&
	openssl verify -CAfile "$ca/ca.crt" "$ca"/gate-exit-0.crt \
		"$ca"/broker.crt "$ca"/collector.crt "$ca"/publisher.crt \
		"$ca"/overview.crt >/dev/null; then
	ok "a CA, the broker's, two gates', the collector's, the publisher's and the overview's certificates"
else
	not_ok "the CA script failed"
	totals
fi
modes=$(stat -c '%a' "$ca/ca.key" "$ca/gate-exit-0.key" | sort -u)
desc="keys are 0600 ($modes)"
check [ "$modes" = 600 ]
cn=$(openssl x509 -in "$ca/gate-exit-0.crt" -noout -subject -nameopt multiline |
	sed -n 's/^ *commonName *= *//p')
desc="a gate's identity is gate.STATION.NAME ($cn)"
check [ "$cn" = gate.st1.exit-0 ]
before=$(ls -A "$ca" | sort | tr '\n' ' ')
"$ca_tool" gate "$ca" "../exit-0" >/dev/null 2>&1
rc=$?
"$ca_tool" gate "$ca" exit-0 >/dev/null 2>&1
rc2=$?
after=$(ls -A "$ca" | sort | tr '\n' ' ')
desc="a bad name or a second certificate for a gate is refused, nothing changed"
check [ $rc = 2 ] && [ $rc2 = 2 ] && [ "$before" = "$after" ]

# Another CA, whose certificates the broker must not take.
"$ca_tool" init "$work/other" st1 >/dev/null &&
	"$ca_tool" gate "$work/other" exit-0 >/dev/null

# -- the broker: TLS only, a certificate required, its CN the user.  Its
# files in a folder of their own: started as root, it reads them as the
# mosquitto user.
broker=$work/broker
mkdir -m 0755 "$broker" && chmod 0755 "$work" &&
	cp "$ca/ca.crt" "$ca/broker.crt" "$ca/broker.key" "$broker/" &&
	mv acl "$broker/acl" && chmod 0644 "$broker/acl"
id mosquitto >/dev/null 2>&1 && chown mosquitto "$broker/broker.key"
# as IDENTITY: the mosquitto client options of that certificate.
as() {
	local dir=$ca
	[ "$1" = other ] && { dir=$work/other; set -- gate-exit-0; }
	echo "-h 127.0.0.1 -p $mport --cafile $ca/ca.crt --cert $dir/$1.crt --key $dir/$1.key"
}
# The broker answers once the publisher may publish a list (TLS, its ACL).
tls_probe() {
	# shellcheck disable=SC2046 # options, word-split on purpose
	mosquitto_pub $(as publisher) -q 1 -t passgate/st1/lists/probe -n
}
if start_tls_broker "$broker" tls_probe; then
	ok "mosquitto on TLS, 127.0.0.1:$mport"
else
	not_ok "mosquitto did not start"
	sed 's/^/#   /' mosquitto.log
	totals
fi

# shellcheck disable=SC2046
mosquitto_pub -h 127.0.0.1 -p "$mport" --cafile "$ca/ca.crt" -q 1 \
	-t passgate/st1/gates/exit-0/rows -m x >/dev/null 2>&1
rc=$?
desc="a client without a certificate is refused (mosquitto_pub exit $rc)"
check [ $rc != 0 ]
# shellcheck disable=SC2046
mosquitto_pub $(as other) -q 1 -t passgate/st1/gates/exit-0/rows -m x \
	>/dev/null 2>&1
rc=$?
desc="a certificate of another CA is refused (exit $rc)"
check [ $rc != 0 ]
mosquitto_pub -p "$mport" -q 1 -t passgate/st1/gates/exit-0/rows -m x \
	>/dev/null 2>&1
rc=$?
desc="plain TCP is refused (exit $rc)"
check [ $rc != 0 ]

# -- a gate's rows: its own reach the collector, another gate's do not.
subscribed() {	# the broker took subscription $1's SUBSCRIBE
	grep -q "Received SUBSCRIBE from $1" mosquitto.log
}
first() {	# IDENTITY ID TOPIC...: a subscriber for one message, in $out
	local who=$1 id=$2 t=()
	shift 2
	for topic; do t+=(-t "$topic"); done
	out=$work/$id.out
	# shellcheck disable=SC2046
	mosquitto_sub $(as "$who") -q 1 -C 1 -v "${t[@]}" -i "$id" \
		>"$out" 2>&1 &
	subpid=$!
	until_true 10 subscribed "$id"
}
finished() {	# the subscriber got its message and ended
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$subpid" 2>/dev/null || { wait "$subpid"; return; }
		sleep 0.1
	done
	kill "$subpid" 2>/dev/null
	return 1
}

first collector rows1 'passgate/st1/gates/+/rows'
# shellcheck disable=SC2046
mosquitto_pub $(as gate-exit-0) -q 1 -t passgate/st1/gates/exit-1/rows \
	-m forged-by-exit-0 &&
	mosquitto_pub $(as gate-exit-0) -q 1 -t passgate/st1/gates/exit-0/rows \
		-m its-own-row
finished
got=$(cat "$out")
desc="a gate's own row reaches the collector, its row under another gate does not ($got)"
check [ "$got" = "passgate/st1/gates/exit-0/rows its-own-row" ]

# -- lists: a gate may not publish one; the publisher may, gates read it
# shellcheck disable=SC2046
mosquitto_pub $(as gate-exit-0) -q 1 -r -t passgate/st1/lists/delta/5 \
	-m forged-by-a-gate &&
	mosquitto_pub $(as publisher) -q 1 -r -t passgate/st1/lists/delta/6 \
		-m from-the-publisher
first gate-exit-1 lists1 'passgate/st1/lists/delta/#'
finished
got=$(cat "$out")
desc="a gate cannot publish a list; the publisher can, and a gate reads it ($got)"
check [ "$got" = "passgate/st1/lists/delta/6 from-the-publisher" ]

first gate-exit-1 peek 'passgate/st1/gates/exit-0/rows' \
	'passgate/st1/lists/marker'
# shellcheck disable=SC2046
mosquitto_pub $(as gate-exit-0) -q 1 -t passgate/st1/gates/exit-0/rows \
	-m secret-row &&
	mosquitto_pub $(as publisher) -q 1 -t passgate/st1/lists/marker -m m
finished
got=$(cat "$out")
desc="a gate reads no other gate's rows ($got)"
check [ "$got" = "passgate/st1/lists/marker m" ]

# -- confirmations: only the collector writes them, only their gate reads
first gate-exit-0 stored1 'passgate/st1/gates/exit-0/stored' \
	'passgate/st1/gates/exit-1/stored'
# shellcheck disable=SC2046
mosquitto_pub $(as gate-exit-0) -q 1 -t passgate/st1/gates/exit-0/stored \
	-m "999 forged-by-the-gate" &&
	mosquitto_pub $(as collector) -q 1 -t passgate/st1/gates/exit-1/stored \
		-m "5 for-exit-1" &&
	mosquitto_pub $(as collector) -q 1 -t passgate/st1/gates/exit-0/stored \
		-m "7 from-the-collector"
finished
got=$(cat "$out")
desc="a gate cannot forge its confirmation nor read another gate's ($got)"
check [ "$got" = "passgate/st1/gates/exit-0/stored 7 from-the-collector" ]

# -- the overview reads the gates' statuses, and nothing else
first overview status1 'passgate/st1/gates/+/rows' 'passgate/st1/gates/+/status'
# shellcheck disable=SC2046
mosquitto_pub $(as gate-exit-0) -q 1 -t passgate/st1/gates/exit-0/rows \
	-m a-row &&
	mosquitto_pub $(as gate-exit-0) -q 1 -t passgate/st1/gates/exit-0/status \
		-m online
finished
got=$(cat "$out")
desc="the overview reads a gate's status, not its rows ($got)"
check [ "$got" = "passgate/st1/gates/exit-0/status online" ]
# Retained, the gate's first: the one a new subscriber gets is the last
# the broker took (each publish is acknowledged before the next).
# shellcheck disable=SC2046
mosquitto_pub $(as gate-exit-1) -q 1 -r -t passgate/st1/gates/exit-1/status \
	-m online &&
	mosquitto_pub $(as overview) -q 1 -r \
		-t passgate/st1/gates/exit-1/status -m offline
first overview status2 'passgate/st1/gates/exit-1/status'
finished
got=$(cat "$out")
desc="the overview cannot write a status ($got)"
check [ "$got" = "passgate/st1/gates/exit-1/status online" ]

# -- a client's key that group or others may read is refused: the uplink
# says so and stops before it connects; with the key 0600 it connects.
if [ -x "$uplink" ]; then
	mkdir -p up
	cp "$ca/gate-exit-0.key" up/gate.key
	chmod 0640 up/gate.key
	cat >up/gate0.conf <<-CONF
	gate = 0
	station = st1
	gate_name = exit-0
	mqtt_broker = 127.0.0.1:$mport
	uplink_dir = $work/up
	state_dir = $work/up
	spool_dir = $work/up
	journal = $work/up/none.db
	mqtt_ca = $ca/ca.crt
	mqtt_cert = $ca/gate-exit-0.crt
	mqtt_key = $work/up/gate.key
	CONF
	"$uplink" -c up/gate0.conf >up/out 2>&1
	rc=$?
	desc="the uplink refuses a key others may read (exit $rc: $(tail -1 up/out))"
	check [ $rc = 1 ] && grep -q "group or others may read it" up/out
	chmod 0600 up/gate.key
	"$uplink" -c up/gate0.conf >up/out 2>&1 &
	upid=$!
	desc="with the key 0600 the uplink connects on TLS as gate.st1.exit-0"
	check until_true 10 grep -q "connected to 127.0.0.1:$mport" up/out
	# A broker that dies (SIGKILL: no TLS close) and comes back: the
	# uplink connects again (libmosquitto's own loop gives up on a TLS
	# error; the uplink's does not).
	{ kill -KILL "$mpid"; wait "$mpid"; } 2>/dev/null
	mosquitto -c mosquitto.conf >>mosquitto.log 2>&1 &
	mpid=$!
	reconnected() { [ "$(grep -c "connected to 127.0.0.1:$mport" up/out)" -ge 2 ]; }
	desc="after the broker is killed and restarted, the uplink reconnects"
	check until_true 15 reconnected
	kill "$upid" 2>/dev/null; wait "$upid" 2>/dev/null
	[ "$fail" = 0 ] || sed 's/^/#   /' up/out
else
	skipped "the uplink's key" "no $uplink (make userspace)"
fi
totals
