# SPDX-License-Identifier: GPL-2.0-only
# What the shell host tests share: TAP lines and the kselftest "# Totals:"
# line, a free loopback port, and the bounded wait for a server or a row.
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
