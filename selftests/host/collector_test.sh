#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# passgate-collector against a real Mosquitto and a real PostgreSQL 15,
# both started here on free loopback ports in a temporary folder, with
# sealed batches from real gate journals (BUILD_DIR/host/batch_tool, the
# gate's own journal code): batches are verified, stored and confirmed; a
# batch twice is stored once; a batch after a gap is not stored and the
# collector asks for the rows it misses; forged, tampered, foreign and
# malformed batches are refused and counted, and the real rows for those
# positions stored after them; after a restart the collector asks every
# gate to resend (the baseline, --store row, as well); a batch waits out
# a database outage; a collector killed with SIGKILL in the middle of its
# COPY stores nothing of that batch; a batch of 4096 rows is stored in
# one transaction with its head and seal, confirmed only once its COMMIT
# returned, and the batches that came meanwhile in one transaction
# after it; after the resends every gate's rows are there once each,
# without a gap.  TAP lines, then a kselftest "# Totals:" line.
#
# usage: selftests/host/collector_test.sh [BUILD_DIR]
#        (default $BUILD, else build)
set -u

build=${1:-${BUILD:-build}}
collector=$(realpath -m "$build/bin/passgate-collector")
tool=$(realpath -m "$build/host/batch_tool")
uplink=$(realpath -m "$build/bin/passgate-uplink")
pgbin=/usr/lib/postgresql/15/bin
# shellcheck source=selftests/host/tap.sh
. "$(dirname "$0")/tap.sh"

echo "TAP version 13"
for prog in mosquitto mosquitto_pub mosquitto_sub psql; do
	if ! command -v $prog >/dev/null; then
		skipped "collector" "$prog is not installed (scripts/setup.sh)"
		totals
	fi
done
if [ ! -x "$pgbin/initdb" ]; then
	skipped "collector" "PostgreSQL 15 is not installed (scripts/setup.sh)"
	totals
fi
if [ ! -x "$collector" ] || [ ! -x "$tool" ] || [ ! -x "$uplink" ]; then
	not_ok "passgate-collector, passgate-uplink or batch_tool not in $build"
	totals
fi

# PostgreSQL refuses to run as root: as root (the CI), its folder belongs
# to nobody and its programs run as nobody.
as_pg=()
[ "$(id -u)" = 0 ] && as_pg=(runuser -u nobody --)

started=$(date +%s)
work=$(mktemp -d /tmp/passgate-collector-test.XXXXXX)
chmod 755 "$work"
mkdir "$work/pg" "$work/run"
[ ${#as_pg[@]} -gt 0 ] && chown nobody "$work/pg" "$work/run"
cpid= mpid= spid= lpid= upid=
cleanup() {
	[ -n "$upid" ] && kill "$upid" 2>/dev/null && wait "$upid" 2>/dev/null
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null && wait "$lpid" 2>/dev/null
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	[ -f "$work/pg/postmaster.pid" ] &&
		"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop \
			>/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

# -- the broker: no persistence (nothing may depend on it: (i) kills it),
# a queue deep enough for everything the test publishes.
if start_broker "allow_anonymous true
max_queued_messages 10000
log_dest stderr
log_type all"; then
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

# -- two gates, their keys and the registry the operator writes
seed_a=$(printf 'gate-a seed' | sha256sum | cut -c1-64)
seed_b=$(printf 'gate-b seed' | sha256sum | cut -c1-64)
seed_x=$(printf 'attacker seed' | sha256sum | cut -c1-64)
seed_u=$(printf 'gate-u seed' | sha256sum | cut -c1-64)
seed_l=$(printf 'gate-l seed' | sha256sum | cut -c1-64)
cat > registry <<-REG
	# name number seal key (STATE_DIR/seal-gateN.pub)
	gate-a 1 $("$tool" key "$seed_a")
	gate-b 2 $("$tool" key "$seed_b")
	gate-u 3 $("$tool" key "$seed_u")
	gate-l 4 $("$tool" key "$seed_l")
REG
confirm_pk=$("$collector" --keygen confirm.key)
append() { "$tool" append "$1.db" "$2" "$3" "$4" "$5" >/dev/null; }	# GATE NUM SEED N PER
# batch GATE AFTER [MAX]: the sealed batch into $GATE-$AFTER.bin; "FIRST LAST"
batch() { "$tool" export "$1.db" "$2" "${3:-4096}" "$1-$2.bin"; }
publish() {	# TOPIC_GATE FILE
	mosquitto_pub -h 127.0.0.1 -p "$mport" -q 1 -i "pub-$1" \
		-t "passgate/st1/gates/$1/rows" -f "$2"
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
check() {	# DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# listen TOPIC: a subscriber writing "topic payload" lines to listen.out,
# returned once it is subscribed (a probe message came through).
listen() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	: > listen.out
	mosquitto_sub -h 127.0.0.1 -p "$mport" -v -t "$1" -t probe/listen \
		> listen.out 2>/dev/null &
	spid=$!
	until_true 10 probe_seen
}
probe_seen() {
	mosquitto_pub -h 127.0.0.1 -p "$mport" -t probe/listen -m p &&
		grep -q '^probe/listen' listen.out
}
stored_says() {		# GATE: the retained confirmation, as the gate reads it
	mosquitto_sub -h 127.0.0.1 -p "$mport" -C 1 -W 5 \
		-t "passgate/st1/gates/$1/stored"
}

subscribed() { [ "$(grep -c 'subscribed to' collector.log)" -gt "$1" ]; }
start_collector() {	# DESCRIPTION [OPTION...]
	local before what=$1
	shift
	before=$(grep -c 'subscribed to' collector.log 2>/dev/null)
	"$collector" --broker "127.0.0.1:$mport" --client-id collector-test \
		--station st1 --gates registry --confirm-key confirm.key \
		--db "$conninfo" "$@" \
		>>collector.log 2>&1 &
	cpid=$!
	if until_true 10 subscribed "${before:-0}"; then
		ok "$what"
	else
		not_ok "$what (no subscription within 10 s)"
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
# A registry with a bad line stops the collector at start, saying where.
printf 'gate-a 1 %s\ngate-c x %s\n' "$("$tool" key "$seed_a")" \
	"$("$tool" key "$seed_a")" > registry.bad
"$collector" --client-id c --station st1 --gates registry.bad --confirm-key confirm.key \
	--broker "127.0.0.1:$mport" --db "$conninfo" > bad.log 2>&1
rc=$?
check "a bad registry line stops the collector at start ($rc)" \
	grep -q 'registry.bad:2: gate number' bad.log
start_collector "collector subscribes (and creates its tables)"

# -- (a) a batch is verified, stored and confirmed
append gate-a 1 "$seed_a" 10 4		# stream mark 1, events 2..11
check "(a) the journal's first batch is rows 1..11" [ "$(batch gate-a 0)" = "1 11" ]
publish gate-a gate-a-0.bin
wait_rows "(a) eleven rows arrive" gate-a 11
check_sql "(a) an event's fields as the gate journaled them" \
	"SELECT kind, stream, seq, type, lane, arg, value, time_ns,
	        encode(data, 'hex') = repeat('01', 32),
	        length(hash), length(encoding)
	   FROM events WHERE gate = 'gate-a' AND pos = 3" \
	"event|1|1|scan|1|1|1|1000001|t|32|93"	# arg 1: a health code
check_sql "(a) the stream mark has no event fields" \
	"SELECT kind, seq IS NULL AND data IS NULL FROM events
	  WHERE gate = 'gate-a' AND pos = 1" "stream|t"
check_sql "(a) the chain's head is the batch's last row" \
	"SELECT pos || ' ' || encode(hash, 'hex') FROM chain WHERE gate = 'gate-a'" \
	"$("$tool" head gate-a.db 11)"
check_sql "(a) its seal is kept" \
	"SELECT pos, length(seal) FROM seals WHERE gate = 'gate-a'" "11|64"
check "(a) the retained confirmation names that row and its hash" \
	[ "$(stored_says gate-a | cut -d' ' -f1-2)" = "$("$tool" head gate-a.db 11)" ]
check "(a) ... signed: 128 hex digits" \
	eval '[ "$(stored_says gate-a | cut -d" " -f3 | tr -d "0-9a-f")" = "" ] &&
	      [ "$(stored_says gate-a | cut -d" " -f3 | wc -c)" = 129 ]'

# -- (b) the same batch twice is stored once
publish gate-a gate-a-0.bin
append gate-a 1 "$seed_a" 5 5		# 12..16
batch gate-a 11 >/dev/null
publish gate-a gate-a-11.bin
wait_rows "(b) the batch after a duplicate arrives" gate-a 16
check_sql "(b) the duplicate is stored once" \
	"SELECT count(*) FROM events WHERE gate = 'gate-a' AND pos = 3" 1

# -- (c) a batch after a gap: not stored, and the rows missing are asked for
append gate-a 1 "$seed_a" 10 5		# 17..21, 22..26
check "(c) two batches" [ "$(batch gate-a 16 5) $(batch gate-a 21)" = "17 21 22 26" ]
listen passgate/st1/gates/gate-a/resend
gap_asked() { publish gate-a gate-a-21.bin && grep -q "^passgate/st1/gates/gate-a/resend 17 " listen.out; }
check "(c) the collector asks for the rows from 17" until_true 10 gap_asked
check "(c) nothing after the gap is stored" [ "$(count gate-a)" = 16 ]
publish gate-a gate-a-16.bin
publish gate-a gate-a-21.bin
wait_rows "(c) resent, the rows arrive in order" gate-a 26

# -- (d) forged, tampered, foreign, malformed: refused; the real rows after
append gate-a 1 "$seed_a" 5 5		# the gate's real 27..31
batch gate-a 26 >/dev/null
cp gate-a.db forged.db			# an attacker's rows for 27.., own key
append forged 1 "$seed_x" 5 5
batch forged 26 >/dev/null
cp gate-a-26.bin tampered.bin		# one byte of the digest of row 28
printf '\x55' | dd of=tampered.bin bs=1 seek=$((116 + 93 + 70)) conv=notrunc \
	status=none
head -c 300 gate-a-26.bin > short.bin
echo 'not a batch' > junk.bin
publish gate-a forged-26.bin		# sealed with a key not enrolled
publish gate-a tampered.bin		# the gate's seal, a row changed
publish gate-b gate-a-26.bin		# gate-a's rows as gate-b's
publish gate-z gate-a-26.bin		# a gate not in the registry
publish gate-a short.bin
publish gate-a junk.bin
publish gate-a gate-a-26.bin		# the sentinel: the real rows
wait_rows "(d) the real rows arrive after six bad batches" gate-a 31
check_sql "(d) row 28 is the gate's own" \
	"SELECT encode(hash, 'hex') FROM events WHERE gate = 'gate-a' AND pos = 28" \
	"$("$tool" head gate-a.db 28 | cut -d' ' -f2)"
check_sql "(d) nothing stored for gate-b or gate-z" \
	"SELECT count(*) FROM events WHERE gate <> 'gate-a'" 0
check "(d) six refused, counted" eval \
	"grep -q 'REFUSED a batch (refused 6)' collector.log &&
	 ! grep -q 'refused 7)' collector.log"
check "(d) ... and logged with the identity and the reason" eval \
	"grep -q 'gate.st1.gate-a: positions 27..31: the seal is not the gate' collector.log &&
	 grep -q 'gate.st1.gate-b: rows of gate number 1, enrolled as 2' collector.log &&
	 grep -q 'gate.st1.gate-z: not in the gate registry' collector.log"
check "(d) the collector keeps going" kill -0 "$cpid"

# -- (e) restarted, the collector asks every gate to resend from its head
stop_collector "(e) SIGTERM stops the collector cleanly"
append gate-a 1 "$seed_a" 4 4		# 32..35, published while it is down
batch gate-a 31 >/dev/null
publish gate-a gate-a-31.bin
listen 'passgate/st1/gates/+/resend'
# The baseline make station measures against: the same results.
start_collector "(e) collector restarts (the baseline, --store row)" --store row
check "(e) it asks gate-a for the rows from 32 and gate-b from 1" until_true 10 eval \
	"grep -q '^passgate/st1/gates/gate-a/resend 32 ' listen.out &&
	 grep -q '^passgate/st1/gates/gate-b/resend 1 ' listen.out"
publish gate-a gate-a-31.bin
wait_rows "(e) resent, they arrive" gate-a 35

# -- (f) a database outage: the batch waits for the server
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null
append gate-b 2 "$seed_b" 6 3
batch gate-b 0 >/dev/null
publish gate-b gate-b-0.bin
if start_db && until_true 10 is "SELECT count(*) FROM events WHERE gate = 'gate-b'" 7; then
	ok "(f) a batch published while the database was down is stored after"
else
	not_ok "(f) a batch published while the database was down is stored after"
	sed 's/^/#   /' collector.log
fi

# -- (g) SIGKILL in the middle of the COPY: nothing of the batch is kept.
# A test trigger makes the collector's COPY wait, at gate-a's row 40, for
# an advisory lock a session of ours holds: rows 36..39 of the batch are
# in by then, in the collector's transaction.
stop_collector "(g) the collector stops, to start in its default mode"
start_collector "(g) collector restarts (batched, the default)"
sql "CREATE FUNCTION test_hold() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN
	IF TG_NARGS = 0 OR (NEW.gate = TG_ARGV[0] AND NEW.pos = TG_ARGV[1]::bigint) THEN
		PERFORM pg_advisory_xact_lock_shared(2323);
	END IF;
	RETURN NEW;
     END \$\$" >/dev/null
# BEFORE: a row trigger that fires as each row goes in (AFTER ones wait
# for the end of the statement).
sql "CREATE TRIGGER test_hold BEFORE INSERT ON events FOR EACH ROW
     EXECUTE FUNCTION test_hold('gate-a', '40')" >/dev/null
hold() {	# a session of ours holds the advisory lock, until terminated
	psql "$conninfo" -XAtq >/dev/null 2>&1 <<-SQL &
		SELECT pg_advisory_lock(2323);
		SELECT pg_sleep(60);
	SQL
	lpid=$!
	until_true 10 is "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
		AND objid = 2323 AND mode = 'ExclusiveLock' AND granted" 1
}
release() {
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	      WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$lpid" 2>/dev/null
	lpid=
}
waiting_in() {	# STATEMENT: the collector waits for our lock inside it
	is "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
	    AND wait_event = 'advisory' AND query LIKE '$1%'" 1
}
append gate-a 1 "$seed_a" 8 8		# 36..43
batch gate-a 35 >/dev/null
check "(g) a session holds the advisory lock" hold
publish gate-a gate-a-35.bin
check "(g) the collector waits inside its COPY, at row 40" \
	until_true 10 waiting_in 'COPY events'
{ kill -KILL "$cpid"; wait "$cpid"; } 2>/dev/null
cpid=
release
sql "DROP TRIGGER test_hold ON events" >/dev/null
check "(g) nothing of the batch is stored, the head did not move" eval \
	"until_true 10 is \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY events%'\" 0 &&
	 [ \"\$(count gate-a)\" = 35 ] &&
	 is \"SELECT pos FROM chain WHERE gate = 'gate-a'\" 35"
start_collector "(g) collector restarts"
publish gate-a gate-a-35.bin
wait_rows "(g) resent, the batch is stored" gate-a 43

# -- (j) a batch of 4096 rows (the most a batch holds): killed in the
# middle of its COPY, none of it is stored; stored, it is one transaction
# with its head and its seal, and its confirmation comes only after the
# COMMIT returned: a deferred test trigger holds the COMMIT itself.
append gate-l 4 "$seed_l" 4095 4095	# stream mark 1, events 2..4096
check "(j) one batch of rows 1..4096" [ "$(batch gate-l 0)" = "1 4096" ]
sql "CREATE TRIGGER test_hold BEFORE INSERT ON events FOR EACH ROW
     EXECUTE FUNCTION test_hold('gate-l', '2048')" >/dev/null
check "(j) a session holds the advisory lock" hold
publish gate-l gate-l-0.bin
check "(j) the collector waits inside its COPY, at row 2048" \
	until_true 10 waiting_in 'COPY events'
{ kill -KILL "$cpid"; wait "$cpid"; } 2>/dev/null
cpid=
release
sql "DROP TRIGGER test_hold ON events" >/dev/null
check "(j) killed mid-COPY: none of the 4096 rows, no head" eval \
	"until_true 10 is \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY events%'\" 0 &&
	 [ \"\$(count gate-l)\" = 0 ] &&
	 is \"SELECT count(*) FROM chain WHERE gate = 'gate-l'\" 0"
sql "CREATE CONSTRAINT TRIGGER test_hold_commit AFTER INSERT ON seals
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_hold()" >/dev/null
start_collector "(j) collector restarts"
listen 'passgate/st1/gates/+/stored'
check "(j) a session holds the advisory lock" hold
publish gate-l gate-l-0.bin
check "(j) the collector waits inside its COMMIT" until_true 10 waiting_in COMMIT
check "(j) ... and has confirmed nothing of gate-l" \
	eval '! grep -q "^passgate/st1/gates/gate-l/stored" listen.out'
check "(j) ... nor anyone else sees a row of it" [ "$(count gate-l)" = 0 ]
# Meanwhile gate-b sends three small batches: the broker hands them to
# the collector, which reads them once the COMMIT returns, in one go.
append gate-b 2 "$seed_b" 6 2		# 8..9, 10..11, 12..13
sent_to_collector() {
	[ "$(grep -c "Sending PUBLISH to collector-test .*gates/gate-b/rows" mosquitto.log)" = "$1" ]
}
sent_before=$(grep -c "Sending PUBLISH to collector-test .*gates/gate-b/rows" mosquitto.log)
for after in 7 9 11; do
	batch gate-b $after 2 >/dev/null
	publish gate-b gate-b-$after.bin
done
check "(j) gate-b's three batches are on their way to the collector" \
	until_true 10 sent_to_collector $((sent_before + 3))
release
confirmed_l() { grep -q "^passgate/st1/gates/gate-l/stored 4096 " listen.out; }
check "(j) once the COMMIT returned, gate-l is confirmed at 4096" \
	until_true 10 confirmed_l
sql "DROP TRIGGER test_hold_commit ON seals" >/dev/null
check_sql "(j) its rows, its head and its seal: one transaction" \
	"SELECT count(*), count(DISTINCT e.xmin::text),
	        bool_and(e.xmin = c.xmin AND e.xmin = s.xmin)
	   FROM events e JOIN chain c USING (gate) JOIN seals s USING (gate)
	  WHERE gate = 'gate-l'" "4096|1|t"
wait_rows "(j) gate-b's batches are stored after it" gate-b 13
check_sql "(j) ... the three of them in one transaction" \
	"SELECT count(*), count(DISTINCT xmin::text) FROM events
	  WHERE gate = 'gate-b' AND pos > 7" "6|1"
sql "DROP FUNCTION test_hold" >/dev/null

# -- (h) reconciled: every gate's rows once each, contiguous up to the head
# -- (i) a real passgate-uplink: what it publishes is confirmed; the
# collector, then the broker, killed with SIGKILL while it publishes
mkdir up
cat > up/gate.conf <<-CONF
	gate = 3
	station = st1
	gate_name = gate-u
	mqtt_broker = 127.0.0.1:$mport
	uplink_dir = $work/up
	state_dir = $work/up
	spool_dir = $work/up
	journal = $work/gate-u.db
	uplink_metrics_file = $work/up/metrics.prom
	collector_key = $confirm_pk
CONF
append gate-u 3 "$seed_u" 200 10	# rows 1..201
"$uplink" -c up/gate.conf >>up/log 2>&1 &
upid=$!
headed() { is "SELECT pos FROM chain WHERE gate = 'gate-u'" "$1"; }
check "(i) the uplink's rows are stored and confirmed" until_true 20 headed 201
delivered() { grep -q "^passgate_journal_delivered_position{gate=\"gate-u\"} $1$" up/metrics.prom; }
check "(i) ... and its delivered mark is at 201" until_true 10 delivered 201
{ kill -KILL "$cpid"; wait "$cpid"; } 2>/dev/null
cpid=
append gate-u 3 "$seed_u" 100 10	# 202..301, the collector away
# Meanwhile someone who can publish (the broker, here anyone) confirms
# the rows the collector never got, with their right hash: the gate
# takes no confirmation the collector did not sign.
forged="301 $("$tool" head gate-u.db 301 | cut -d' ' -f2) $(printf '%0128d' 0)"
mosquitto_pub -h 127.0.0.1 -p "$mport" -q 1 -r \
	-t passgate/st1/gates/gate-u/stored -m "$forged"
mosquitto_pub -h 127.0.0.1 -p "$mport" -q 1 \
	-t passgate/st1/gates/gate-u/stored -m "301 $("$tool" head gate-u.db 301 | cut -d' ' -f2)"
refused_forged() { [ "$(grep -c 'gate-u/stored 301: not signed by the collector' up/log)" = 2 ]; }
check "(i) a confirmation the collector did not sign is ignored, logged" \
	until_true 10 refused_forged
forged_counted() { grep -q '^passgate_uplink_forged_reports_total{gate="gate-u"} 2$' up/metrics.prom; }
check "(i) ... counted, and the delivered mark stays at 201" eval \
	'until_true 10 forged_counted && delivered 201'
start_collector "(i) the collector, killed with SIGKILL, restarts"
check "(i) ... and the rows of its absence arrive" until_true 20 headed 301
{ kill -KILL "$mpid"; wait "$mpid"; } 2>/dev/null
append gate-u 3 "$seed_u" 100 10	# 302..401, the broker away
mosquitto -c mosquitto.conf >>mosquitto.log 2>&1 &
mpid=$!
check "(i) the broker, killed with SIGKILL, restarts on its port" \
	until_true 10 mosquitto_pub -h 127.0.0.1 -p "$mport" -i probe2 -q 1 \
	-t passgate-test/probe -n
check "(i) ... and every row arrives" until_true 30 headed 401
check "(i) the uplink's delivered mark is the last row" until_true 10 delivered 401
# Its textfile as node_exporter takes it: every family with HELP and TYPE
# before its samples, names as promtool's linter wants them, and the
# time the mark last moved (Unix seconds) no older than this test.
described() {
	awk '/^# HELP / { help[$3] = 1; next }
	     /^# TYPE / { type[$3] = 1; next }
	     /^#/ || NF == 0 { next }
	     { name = $1; sub(/\{.*/, "", name)
	       if (!(name in help) || !(name in type)) { print name; bad = 1 } }
	     END { exit bad }' up/metrics.prom
}
check "(i) its metrics: every family has HELP and TYPE" described
if command -v promtool >/dev/null; then
	check "(i) ... and promtool check metrics finds nothing" \
		eval 'promtool check metrics < up/metrics.prom'
else
	skipped "(i) promtool check metrics" "promtool is not installed"
fi
delivered_recently() {
	awk -v since="$1" '$1 ~ /^passgate_journal_delivered_timestamp_seconds[{]/ {
		found = 1; if ($2 < since) exit 1 } END { exit !found }' up/metrics.prom
}
check "(i) ... and says when the mark last moved" delivered_recently "$started"
kill -TERM "$upid"
wait "$upid"
rc=$?
check "(i) the uplink stops cleanly ($rc)" [ $rc = 0 ]
[ "$fail" = 0 ] || sed 's/^/#   /' up/log

check_sql "(h) rows = distinct positions = the verified head, per gate" \
	"SELECT e.gate, count(*), count(DISTINCT e.pos), max(e.pos), min(c.pos)
	   FROM events e JOIN chain c USING (gate) GROUP BY e.gate ORDER BY 1" \
	"gate-a|43|43|43|43
gate-b|13|13|13|13
gate-l|4096|4096|4096|4096
gate-u|401|401|401|401"
gaps="SELECT gate, pos + 1 AS missing_from
        FROM events e
       WHERE NOT EXISTS (SELECT 1 FROM events n
                          WHERE n.gate = e.gate AND n.pos = e.pos + 1)
         AND pos < (SELECT max(pos) FROM events m WHERE m.gate = e.gate)
       ORDER BY gate, missing_from"
check_sql "(h) the gap query of docs/station.md finds none" "$gaps" ""

stop_collector "collector stops cleanly"
if grep -q 'stopped: stored 200 rows in [0-9]* batches; duplicate [0-9]*, gap [0-9]*, refused 0' collector.log; then
	ok "the last run's totals: stored, duplicate, gap, refused"
else
	not_ok "the last run's totals: stored, duplicate, gap, refused"
	grep 'stopped:' collector.log | sed 's/^/#   /'
fi

totals
