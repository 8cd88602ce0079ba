#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A real systemd-journald of a host test's own, where systemd is not
# PID 1: in a private mount namespace, with DIR/run as /run (journald's
# sockets, and its volatile journal in DIR/run/log/journal/MACHINE-ID), a
# machine id and a journald.conf of its own (no kernel log, no audit, no
# forwarding); nothing of the host's is touched.  COMMAND runs in it the
# way systemd runs a service: stdout and stderr one stream into journald
# (systemd-cat connects it, the same stream protocol) and JOURNAL_STREAM
# set to that stream's DEVICE:INODE (systemd.exec(5)).  Its pid goes to
# DIR/pid.  When COMMAND ends, journald is stopped, its files complete,
# and this exits with COMMAND's status.  The journal is read from outside:
#   journalctl -D DIR/run/log/journal ...
#
# usage: selftests/host/journald_ns.sh DIR COMMAND...
#        (as root: a mount namespace needs CAP_SYS_ADMIN)
set -u

prog=${0##*/}
journald=/lib/systemd/systemd-journald
[ $# -ge 2 ] || { echo "usage: $prog DIR COMMAND..." >&2; exit 2; }
dir=$(realpath "$1")
shift

if [ "${JOURNALD_NS_INSIDE:-}" != 1 ]; then
	mkdir -p "$dir/run"
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/machine-id"
	echo >>"$dir/machine-id"
	cat >"$dir/journald.conf" <<-CONF
		[Journal]
		Storage=volatile
		ReadKMsg=no
		Audit=no
		ForwardToSyslog=no
		ForwardToWall=no
	CONF
	JOURNALD_NS_INSIDE=1 exec unshare --mount --propagation private -- \
		"$0" "$dir" "$@"
fi

# Inside: the mounts go with the namespace when the last process ends.
mount --bind "$dir/run" /run &&
	mount --bind "$dir/machine-id" /etc/machine-id &&
	mount --bind "$dir/journald.conf" /etc/systemd/journald.conf || exit 1
if [ -d /etc/systemd/journald.conf.d ]; then
	mount -t tmpfs none /etc/systemd/journald.conf.d || exit 1
fi
"$journald" 2>"$dir/journald.log" &
jpid=$!
for ((i = 0; i < 100; i++)); do
	[ -S /run/systemd/journal/socket ] &&
		[ -S /run/systemd/journal/stdout ] && break
	sleep 0.1
done
if ! [ -S /run/systemd/journal/stdout ]; then
	echo "$prog: journald did not start:" >&2
	cat "$dir/journald.log" >&2
	kill "$jpid" 2>/dev/null
	exit 1
fi

# systemd-cat execs the command; so does sh: the pid is COMMAND's.
# shellcheck disable=SC2016 # expanded by that sh, on its own stderr
systemd-cat -t "${1##*/}" sh -c \
	'export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) &&
	 exec "$@"' sh "$@" &
cpid=$!
echo "$cpid" >"$dir/pid"
wait "$cpid"
rc=$?
kill -TERM "$jpid"
wait "$jpid"
exit $rc
