# SPDX-License-Identifier: GPL-2.0-only
# What the shell host tests share: TAP lines and the kselftest "# Totals:"
# line, a free loopback port, the bounded wait for a server or a row, and
# a Mosquitto broker on such a port.
# usage: . "$(dirname "$0")/tap.sh"   (bash)

pass=0 fail=0 skip=0 n=0

ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
skipped() { n=$((n + 1)); skip=$((skip + 1)); echo "ok $n $1 # SKIP $2"; }

totals() {
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	[ "$fail" = 0 ]
	exit
}

# A port nothing listens on (bash's /dev/tcp connect fails); the server
# that takes it may still lose a race, so each start is tried again.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo $p; return; }
	done
}

# until_true SECONDS COMMAND...: poll COMMAND every 0.1 s, for at most
# SECONDS; the bounded wait for a server or for a row to arrive.
until_true() {
	local i limit=$(($1 * 10))
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# start_broker [EXTRA_CONF [PROBE...]]: start mosquitto on a free loopback
# port, with mosquitto.conf (the listener, no persistence, then the lines of
# EXTRA_CONF) and mosquitto.log in the current folder, and wait until PROBE
# succeeds (default: broker_probe).  Sets $mport and $mpid; a port another
# server took first is given up and the next one tried, five in all.
# 0 once the broker answers, 1 if it never did.  PROBE runs with $mport
# set: a TLS broker's probe is a function that builds its client options.
start_broker() {
	local extra=${1-} _
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] || set -- broker_probe
	for _ in 1 2 3 4 5; do
		mport=$(free_port)
		printf 'listener %s 127.0.0.1\npersistence false\n%s\n' \
			"$mport" "$extra" >mosquitto.conf
		mosquitto -c mosquitto.conf >>mosquitto.log 2>&1 &
		mpid=$!
		until_true 10 "$@" && return 0
		kill "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null; mpid=
	done
	return 1
}

# start_tls_broker DIR PROBE: start_broker as docs/station.md configures
# the station's broker: TLS only, a client certificate of the station CA
# required and taken as the user name, the ACL; DIR holds ca.crt,
# broker.crt, broker.key and acl.
start_tls_broker() {
	start_broker "cafile $1/ca.crt
certfile $1/broker.crt
keyfile $1/broker.key
tls_version tlsv1.2
require_certificate true
use_identity_as_username true
allow_anonymous false
acl_file $1/acl
log_dest stderr
log_type all" "$2"
}

# broker_probe: a QoS 1 publish, anonymous, on plain TCP to $mport; it
# succeeds once the broker has taken it.
broker_probe() {
	mosquitto_pub -h 127.0.0.1 -p "$mport" -i probe -q 1 \
		-t passgate-test/probe -n
}
