#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# passgate-overview end to end, on this machine: a real PostgreSQL 15 and
# a real Mosquitto on TLS with the ACL of station/passgate-station-ca, the
# real collector, three simulated gates (real journals and sealed batches
# from BUILD_DIR/host/batch_tool, published with each gate's own
# certificate, and retained statuses, one of them a live client's last
# will), and the overview with a read-only database role.  Then a real
# headless Chromium, driven over its DevTools pipe
# (selftests/host/browser_driver.py), logs in and must show each gate
# with its status, list generation and expiry; a tailgate and a fire
# alarm stored by the collector must appear in the page within 10 s
# (the collector's NOTIFY, nothing polled), a gate whose client dies must
# turn offline; the page is saved as BUILD_DIR/overview/overview.png.
# And the refusals: no credentials or a wrong password 401, a POST 405,
# an unknown path 404, plain HTTP no answer at all, a users file or key
# others may read stops it at start, the role cannot read the scans'
# digests nor write.  TAP lines, then a kselftest "# Totals:" line.
#
# usage: selftests/host/overview_test.sh [BUILD_DIR]
#        (default $BUILD, else build)
set -u

build=${1:-${BUILD:-build}}
here=$(cd "$(dirname "$0")" && pwd -P)
top=$here/../..
collector=$(realpath -m "$build/bin/passgate-collector")
overview=$(realpath -m "$build/bin/passgate-overview")
tool=$(realpath -m "$build/host/batch_tool")
shots=$(realpath -m "$build/overview")
ca_tool=$top/station/passgate-station-ca
static=$top/station/passgate-overview/static
pgbin=/usr/lib/postgresql/15/bin
# shellcheck source=selftests/host/tap.sh
. "$here/tap.sh"
check() {	# DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

echo "TAP version 13"
for prog in mosquitto mosquitto_pub mosquitto_sub psql openssl python3 \
	chromium; do
	if ! command -v $prog >/dev/null; then
		skipped "overview" "$prog is not installed (scripts/setup.sh)"
		totals
	fi
done
if [ ! -x "$pgbin/initdb" ]; then
	skipped "overview" "PostgreSQL 15 is not installed (scripts/setup.sh)"
	totals
fi
if [ ! -x "$collector" ] || [ ! -x "$overview" ] || [ ! -x "$tool" ]; then
	not_ok "passgate-collector, passgate-overview or batch_tool not in $build"
	totals
fi

# PostgreSQL refuses to run as root: as root, its folder belongs to
# nobody and its programs run as nobody (as collector_test.sh).
as_pg=()
[ "$(id -u)" = 0 ] && as_pg=(runuser -u nobody --)

work=$(mktemp -d /tmp/passgate-overview-test.XXXXXX)
chmod 755 "$work"
mkdir "$work/pg" "$work/run"
[ ${#as_pg[@]} -gt 0 ] && chown nobody "$work/pg" "$work/run"
cpid= mpid= opid= wpid= bpid= pg_starting=
cleanup() {
	trap '' INT TERM	# once begun, to the end
	[ -n "$bpid" ] && kill "$bpid" 2>/dev/null
	[ -n "$opid" ] && kill "$opid" 2>/dev/null && wait "$opid" 2>/dev/null
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	# A server interrupted while starting writes its pid file late.
	[ -n "$pg_starting" ] && until_true 10 test -f "$work/pg/postmaster.pid"
	[ -f "$work/pg/postmaster.pid" ] &&
		"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop \
			>/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
# Stopped from outside (a timeout, ^C): the servers and the browser go too.
trap 'exit 1' INT TERM
cd "$work" || exit 1

# -- the CA: every identity, the overview's two among them
ca=$work/ca
if "$ca_tool" init "$ca" st1 >/dev/null &&
	"$ca_tool" broker "$ca" 127.0.0.1 >/dev/null &&
	for g in exit-1 exit-2 exit-3; do "$ca_tool" gate "$ca" $g >/dev/null || exit 1; done &&
	"$ca_tool" collector "$ca" >/dev/null &&
	"$ca_tool" overview "$ca" >/dev/null &&
	"$ca_tool" overview-web "$ca" 127.0.0.1 localhost >/dev/null &&
	"$ca_tool" acl "$ca" >acl; then
	ok "a CA with the gates', the collector's and the overview's identities"
else
	not_ok "the CA script failed"
	totals
fi
want_acl="user overview.st1
topic read passgate/st1/gates/+/status"
got_acl=$(sed -n '/^user overview/,/^$/p' acl)
check "the overview's ACL: read the status topics, nothing else" \
	[ "$got_acl" = "$want_acl" ]
eku=$(openssl x509 -in "$ca/overview-web.crt" -noout -ext extendedKeyUsage,subjectAltName 2>/dev/null | tr -d ' \n')
check "its https certificate: a server's, for 127.0.0.1 and localhost ($eku)" \
	[ "$eku" = "X509v3ExtendedKeyUsage:TLSWebServerAuthenticationX509v3SubjectAlternativeName:IPAddress:127.0.0.1,DNS:localhost" ]

# -- the broker: TLS only, a certificate required, the ACL
broker=$work/broker
mkdir -m 0755 "$broker" &&
	cp "$ca/ca.crt" "$ca/broker.crt" "$ca/broker.key" "$broker/" &&
	mv acl "$broker/acl" && chmod 0644 "$broker/acl"
id mosquitto >/dev/null 2>&1 && chown mosquitto "$broker/broker.key"
as() {	# IDENTITY: mosquitto client options with that certificate
	echo "-h 127.0.0.1 -p $mport --cafile $ca/ca.crt --cert $ca/$1.crt --key $ca/$1.key"
}
tls_probe() {
	# shellcheck disable=SC2046 # options, word-split on purpose
	mosquitto_pub $(as collector) -q 1 -t passgate/st1/gates/probe/stored -n
}
if start_tls_broker "$broker" tls_probe; then
	ok "mosquitto on TLS, 127.0.0.1:$mport"
else
	not_ok "mosquitto did not start"
	sed 's/^/#   /' mosquitto.log
	totals
fi

# -- the database
if ! "${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -A trust -U postgres \
	--no-sync >initdb.log 2>&1; then
	not_ok "initdb"
	sed 's/^/#   /' initdb.log
	totals
fi
start_db() {
	pg_starting=1
	"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -w -t 20 -l "$work/run/pg.log" \
		-o "-c listen_addresses=127.0.0.1 -p $pgport -k $work/run -c fsync=off" \
		start >/dev/null
}
for _ in 1 2 3 4 5; do
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
conninfo="host=127.0.0.1 port=$pgport dbname=postgres connect_timeout=5"
sql() { psql "$conninfo user=postgres" -XAtq -c "$1"; }
is() { [ "$(sql "$1")" = "$2" ]; }

# -- the collector, with its own identity
seed() { printf '%s seed' "$1" | sha256sum | cut -c1-64; }
{
	echo "# name number seal key"
	num=1
	for g in exit-1 exit-2 exit-3; do
		echo "$g $num $("$tool" key "$(seed $g)")"
		num=$((num + 1))
	done
} >registry
"$collector" --keygen confirm.key >/dev/null
"$collector" --client-id collector-test --station st1 --gates registry \
	--confirm-key confirm.key --broker "127.0.0.1:$mport" \
	--cafile "$ca/ca.crt" --cert "$ca/collector.crt" --key "$ca/collector.key" \
	--db "$conninfo user=postgres" >collector.log 2>&1 &
cpid=$!
if until_true 10 grep -q 'subscribed to' collector.log; then
	ok "the collector subscribes (its tables, index and view made)"
else
	not_ok "the collector did not subscribe"
	sed 's/^/#   /' collector.log
	totals
fi

# -- the overview's role: the view and three columns of chain, no more
sql "CREATE ROLE overview LOGIN;
     GRANT SELECT ON overview_events TO overview;
     GRANT SELECT (gate, pos, updated_at) ON chain TO overview;" >/dev/null
ro="$conninfo user=overview"
check "the overview's role cannot read events (the scans' digests)" \
	eval '! psql "$ro" -XAtq -c "SELECT count(*) FROM events" >/dev/null 2>&1'
check "... nor a chain's hash" \
	eval '! psql "$ro" -XAtq -c "SELECT hash FROM chain" >/dev/null 2>&1'
check "... nor write" \
	eval '! psql "$ro" -XAtq -c "INSERT INTO chain (gate, number, pos, hash) VALUES ('"'x'"', 1, 0, '"'\\x00'"')" >/dev/null 2>&1'
check "... and reads the view" \
	eval '[ "$(psql "$ro" -XAtq -c "SELECT count(*) FROM overview_events")" = 0 ]'

# -- three gates: journals with real events, sealed batches, statuses
now=$(date +%s)
later=$((now + 86400))
declare -A sent=([exit-1]=0 [exit-2]=0 [exit-3]=0)
number() { case $1 in exit-1) echo 1 ;; exit-2) echo 2 ;; exit-3) echo 3 ;; esac; }
# gate GATE EVENT...: journal the events, publish the batch as the gate,
# wait until the collector has stored it
gate() {
	local g=$1 range last
	shift
	"$tool" events "$g.db" "$(number "$g")" "$(seed "$g")" "$@" || return 1
	range=$("$tool" export "$g.db" "${sent[$g]}" 4096 "$g.bin") || return 1
	last=${range#* }
	# shellcheck disable=SC2046
	mosquitto_pub $(as "gate-$g") -q 1 -t "passgate/st1/gates/$g/rows" \
		-f "$g.bin" || return 1
	sent[$g]=$last
	until_true 20 is "SELECT pos FROM chain WHERE gate = '$g'" "$last"
}
status() {	# GATE STATUS: retained, as the gate
	# shellcheck disable=SC2046
	mosquitto_pub $(as "gate-$1") -q 1 -r -t "passgate/st1/gates/$1/status" -m "$2"
}
verdicts() {	# LANE VERDICT REASON LATENCY_US COUNT: the words
	local i
	for ((i = 0; i < $5; i++)); do echo "verdict:$1:$2:$3:$4"; done
}
# exit-1: codes 12 for a day; 19 accepted at 2 ms, one denied (unknown) at 9 ms
# shellcheck disable=SC2046
check "exit-1's rows are stored" gate exit-1 "list-activated:12:$later" \
	"lane-mode:0:0" "lane-mode:1:0" $(verdicts 0 1 0 2000 19) \
	"verdict:1:2:1:9000"
# exit-2: codes 12 and tickets 3; a forced passage already reset
# shellcheck disable=SC2046
check "exit-2's rows are stored" gate exit-2 "list-activated:12:$later" \
	"list-activated:3:$later:tickets" "forced:0:0" "alarms-reset:0:0" \
	$(verdicts 0 1 0 1500 5)
# exit-3: codes 11, expired an hour ago: degraded; a reader offline
check "exit-3's rows are stored" gate exit-3 \
	"list-activated:11:$((now - 3600))" "list-expired:11" \
	"scanner-offline:0:1"
status exit-1 online
status exit-3 offline
# exit-2 online as its uplink is: a live client whose will says offline
# shellcheck disable=SC2046
mosquitto_sub $(as gate-exit-2) -i gate-exit-2-uplink -q 1 \
	-t passgate/st1/gates/exit-2/stored \
	--will-topic passgate/st1/gates/exit-2/status --will-payload offline \
	--will-qos 1 --will-retain >/dev/null 2>&1 &
wpid=$!
check "exit-2's client is connected with its last will" until_true 10 \
	grep -q 'Received SUBSCRIBE from gate-exit-2-uplink' mosquitto.log
status exit-2 online

# -- the users file and the refusals at start
"$overview" --hash-password operator >users 2>hash.err <<<'correct horse battery'
chmod 0644 users
check "--hash-password makes an Argon2id line" \
	grep -q '^operator:\$argon2id\$v=19\$' users
"$overview" --hash-password operator <<<'short' >/dev/null 2>&1
rc=$?
check "... and refuses a password under 8 bytes (exit $rc)" [ $rc = 2 ]
port=$(free_port)
start_overview() {	# [USERS]: the overview on $port, in the background
	"$overview" --station st1 --listen "127.0.0.1:$port" \
		--https-cert "$ca/overview-web.crt" --https-key "$ca/overview-web.key" \
		--users "${1:-users}" --db "$ro" --broker "127.0.0.1:$mport" \
		--client-id overview-test --cafile "$ca/ca.crt" \
		--cert "$ca/overview.crt" --key "$ca/overview.key" \
		--static "$static" --window 5 >>overview.log 2>&1 &
	opid=$!
}
start_overview
wait "$opid"
rc=$?
opid=
check "a users file others may read stops it at start (exit $rc)" eval \
	'[ $rc = 2 ] && grep -q "users: group or others may read it" overview.log'
chmod 0600 users
chmod 0644 "$ca/overview-web.key"
start_overview
wait "$opid"
rc=$?
opid=
check "so does an https key others may read (exit $rc)" eval \
	'[ $rc = 2 ] && grep -q "overview-web.key: group or others may read it" overview.log'
chmod 0600 "$ca/overview-web.key"
printf 'operator:$argon2i$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA\n' >users.2i
chmod 0600 users.2i
start_overview users.2i
wait "$opid"
rc=$?
opid=
check "and a hash that is not Argon2id, naming the line (exit $rc)" eval \
	'[ $rc = 2 ] && grep -q "users.2i:1: the hash is not an Argon2id" overview.log'
: >overview.log
start_overview
listening() { grep -q 'database: 3 gates, listening' overview.log &&
	grep -q 'subscribed to passgate/st1/gates/+/status' overview.log; }
if until_true 15 listening; then
	ok "the overview reads 3 gates with the read-only role and subscribes"
else
	not_ok "the overview did not start"
	sed 's/^/#   /' overview.log
	totals
fi

# -- https, the refusals: python3's ssl, checking the certificate
https() {	# METHOD PATH [USER:PASSWORD]: "STATUS" and the named headers
	python3 - "$port" "$ca/ca.crt" "$@" <<-'PY'
	import base64, http.client, ssl, sys
	port, cafile, method, path = sys.argv[1:5]
	ctx = ssl.create_default_context(cafile=cafile)
	c = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx, timeout=10)
	headers = {}
	if len(sys.argv) > 5:
	    headers["Authorization"] = "Basic " + base64.b64encode(sys.argv[5].encode()).decode()
	c.request(method, path, body=b"x" if method == "POST" else None, headers=headers)
	r = c.getresponse()
	print(r.status)
	for h in ("WWW-Authenticate", "Allow", "Content-Security-Policy",
	          "X-Content-Type-Options", "Content-Type"):
	    if r.getheader(h):
	        print(h + ": " + r.getheader(h))
	if path == "/api/state" and r.status == 200:
	    sys.stdout.write(r.read().decode())
	PY
}
good=operator:'correct horse battery'
out=$(https GET /)
check "no credentials: 401, a Basic challenge" eval \
	'[ "$(sed -n 1p <<<"$out")" = 401 ] && grep -q "^WWW-Authenticate: Basic realm=" <<<"$out"'
check "a wrong password: 401" \
	[ "$(https GET / operator:wrong-horse-battery | sed -n 1p)" = 401 ]
check "a user not in the file: 401" \
	[ "$(https GET / mallory:'correct horse battery' | sed -n 1p)" = 401 ]
check "the failure is logged with the name" \
	until_true 5 grep -q 'authentication failed for "operator" from 127.0.0.1' overview.log
out=$(https POST /api/state "$good")
check "POST: 405, GET and HEAD allowed" eval \
	'[ "$(sed -n 1p <<<"$out")" = 405 ] && grep -q "^Allow: GET, HEAD" <<<"$out"'
check "an unknown path: 404" [ "$(https GET /etc/passwd "$good" | sed -n 1p)" = 404 ]
out=$(https GET / "$good")
check "the page: 200 with the security headers" eval \
	'[ "$(sed -n 1p <<<"$out")" = 200 ] &&
	 grep -q "^Content-Security-Policy: default-src '"'self'"';.*frame-ancestors '"'none'"'" <<<"$out" &&
	 grep -q "^X-Content-Type-Options: nosniff" <<<"$out"'
plain=$(python3 - "$port" <<-'PY'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
	s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	try:
	    data = s.recv(100)
	except OSError:
	    data = b""
	print("HTTP" if data.startswith(b"HTTP/") else "no HTTP answer")
	PY
)
check "plain HTTP: no HTTP answer ($plain)" [ "$plain" = "no HTTP answer" ]

# -- the state as JSON: the gates as their rows say
state() { https GET /api/state "$good" | sed -n '/^{/p'; }
field() {	# GATE PYTHON-EXPRESSION-OF-g
	state | python3 -c "import json, sys
g = {x['gate']: x for x in json.load(sys.stdin)['gates']}['$1']
print(json.dumps($2))"
}
check "exit-1: online, codes 12 until tomorrow" eval \
	'[ "$(field exit-1 "[g[\"status\"], g[\"lists\"][\"codes\"]]")" = "[\"online\", {\"generation\": 12, \"expires_at\": $later, \"expired\": false, \"restored\": false}]" ]'
check "exit-1: 20 verdicts by reason, p99 9 ms" eval \
	'[ "$(field exit-1 "[g[\"verdicts\"][\"total\"], g[\"verdicts\"][\"by_reason\"], g[\"verdicts\"][\"p99_us\"]]")" = "[20, [{\"verdict\": \"accept\", \"reason\": \"none\", \"count\": 19}, {\"verdict\": \"deny\", \"reason\": \"unknown\", \"count\": 1}], 9000]" ]'
check "exit-2: a ticket list beside its codes; the reset alarm is gone" eval \
	'[ "$(field exit-2 "[g[\"lists\"][\"tickets\"][\"generation\"], g[\"lanes\"][0][\"alarms\"]]")" = "[3, []]" ]'
check "exit-3: offline, degraded, lane 0's ID-card reader offline" eval \
	'[ "$(field exit-3 "[g[\"status\"], g[\"degraded\"], g[\"lanes\"][0][\"readers_offline\"]]")" = "[\"offline\", true, [\"id-sam\"]]" ]'
check "verified up to: the collector's head" eval \
	'[ "$(field exit-1 "g[\"verified_pos\"]")" = "${sent[exit-1]}" ]'

# -- the browser
spki=$(openssl x509 -in "$ca/overview-web.crt" -pubkey -noout |
	openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
sandbox=()
[ "$(id -u)" = 0 ] && sandbox=(--no-sandbox)	# Chromium's sandbox refuses root
mkdir -p "$shots"
coproc BROWSER { exec python3 "$here/browser_driver.py" --width 1280 \
	--height 800 --log "$work/chromium.log" -- chromium --headless=new \
	"${sandbox[@]}" --disable-gpu --no-first-run --no-default-browser-check \
	--disable-extensions --disable-background-networking --disable-sync \
	--disable-component-update --hide-scrollbars --mute-audio \
	--user-data-dir="$work/chromium" --remote-debugging-pipe \
	--ignore-certificate-errors-spki-list="$spki"; }
bpid=$BROWSER_PID
browser() {	# COMMAND...: the driver's answer in $reply
	reply=
	printf '%s\n' "$*" >&"${BROWSER[1]}" &&
		IFS= read -r -t 60 reply <&"${BROWSER[0]}"
}
# The driver's first line says the browser is there.
IFS= read -r -t 60 reply <&"${BROWSER[0]}"
if [ "$reply" = "ok true" ]; then
	ok "a headless Chromium on its DevTools pipe"
else
	not_ok "Chromium did not start ($reply)"
	sed 's/^/#   /' chromium.log | tail -20
	totals
fi
url=https://127.0.0.1:$port/
browser open "$url"
# Headless, a Basic challenge nobody answers ends the navigation.
check "the browser without credentials gets a 401 ($reply)" eval \
	'[ "$reply" = "ok 401" ] || [[ $reply = "error "*"(HTTP status 401)" ]]'
browser auth operator 'correct horse battery'
browser open "$url"
check "with them, the page ($reply)" [ "$reply" = "ok 200" ]
card() { echo "document.querySelector('[data-gate=\"$1\"]')"; }
browser wait 10000 "document.querySelectorAll('#gates > .gate').length === 3 && document.getElementById('link-page').classList.contains('up')"
check "logged in, the page shows three gates, its event stream open" \
	[ "$reply" = "ok true" ]
browser eval "['exit-1', 'exit-2', 'exit-3'].map(g => { const c = document.querySelector('[data-gate=\"' + g + '\"]'); return [c.dataset.status, c.dataset.generation, c.dataset.expires].join(' '); }).join(', ')"
check "each gate's status, generation and expiry ($reply)" \
	[ "$reply" = "ok \"online 12 $later, online 12 $later, offline 11 $((now - 3600))\"" ]
browser eval "$(card exit-3).dataset.degraded + ' ' + $(card exit-3).querySelector('.list-codes').textContent.includes('EXPIRED')"
check "exit-3 is degraded, its list marked expired ($reply)" [ "$reply" = 'ok "true true"' ]
browser eval "document.getElementById('fire').hidden"
check "no fire banner yet ($reply)" [ "$reply" = "ok true" ]

# -- live: new rows reach the page by the collector's NOTIFY
start=$EPOCHREALTIME
# shellcheck disable=SC2046
gate exit-1 $(verdicts 1 1 0 3000 4) "tailgate:1:0" >/dev/null
browser wait 10000 "$(card exit-1).dataset.alarms === '1:tailgate' && $(card exit-1).querySelector('.lanes').textContent.includes('TAILGATE')"
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
check "a tailgate on exit-1's lane 1 is in the page within 10 s (${took} s)" \
	[ "$reply" = "ok true" ]
browser eval "$(card exit-1).classList.contains('alarm')"
check "... its card marked as alarmed ($reply)" [ "$reply" = "ok true" ]
start=$EPOCHREALTIME
gate exit-2 "fire-alarm:-:1" >/dev/null
browser wait 10000 "!document.getElementById('fire').hidden && document.getElementById('fire').textContent.includes('FIRE ALARM at exit-2')"
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
check "a fire alarm at exit-2: the station-wide banner within 10 s (${took} s)" \
	[ "$reply" = "ok true" ]
{ kill -KILL "$wpid"; wait "$wpid"; } 2>/dev/null
wpid=
start=$EPOCHREALTIME
browser wait 10000 "$(card exit-2).dataset.status === 'offline'"
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
check "exit-2's client dies: its will makes it offline within 10 s (${took} s)" \
	[ "$reply" = "ok true" ]
browser eval "document.getElementById('summary').textContent"
check "the summary counts them ($reply)" \
	[ "$reply" = 'ok "3 gates · 1 online · 2 offline · 1 degraded · 2 with alarms"' ]

# -- the database away and back: the page says so, then LISTENs again
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null
pg_starting=
browser wait 10000 "document.getElementById('link-database').classList.contains('down')"
check "the database stops: the page shows it away ($reply)" [ "$reply" = "ok true" ]
start_db
# the overview tries again on its tick (10 s)
browser wait 20000 "document.getElementById('link-database').classList.contains('up')"
check "it is back: the overview connects again ($reply)" [ "$reply" = "ok true" ]
start=$EPOCHREALTIME
# the collector waits out the outage too (its pause grows to 8 s)
check "a forced passage at exit-1 is stored after the outage" \
	gate exit-1 "forced:0:1"
browser wait 10000 "$(card exit-1).dataset.alarms === '0:forced 1:tailgate'"
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
check "... and in the page, by a NOTIFY after the reconnect (${took} s)" \
	[ "$reply" = "ok true" ]

rm -f "$shots/overview.png"
browser screenshot "$shots/overview.png"
png=$(python3 - "$shots/overview.png" <<-'PY'
	import struct, sys
	data = open(sys.argv[1], "rb").read()
	ok = data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
	w, h = struct.unpack(">II", data[16:24]) if ok else (0, 0)
	print(w, h, len(data))
	PY
)
read -r w h size <<<"$png"
check "a screenshot: $shots/overview.png, PNG ${w}x${h}, $size bytes" \
	eval '[ "$w" = 1280 ] && [ "$h" = 800 ] && [ "$size" -gt 20000 ]'
browser quit
wait "$bpid" 2>/dev/null
bpid=

kill -TERM "$opid"
wait "$opid"
rc=$?
opid=
check "SIGTERM stops the overview cleanly (exit $rc)" [ $rc = 0 ]
[ "$fail" = 0 ] || sed 's/^/#   /' overview.log | tail -40
totals
