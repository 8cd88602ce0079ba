#!/bin/sh
# Inside the guest, after the modules are loaded: make this machine a gate
# PC as the packages would, with the real tools and passgate's own files:
#
# - the users and groups of dist/passgate.sysusers, by systemd-sysusers
#   (into $GATEPC_ROOT/etc, bind-mounted over /etc: the root is read-only);
# - the folders of dist/passgate.tmpfiles, by systemd-tmpfiles, under
#   $GATEPC_ROOT, and its pin folder on the real bpffs; node_exporter's
#   textfile folder there first as prometheus-node-exporter ships it;
# - udevd with dist/60-passgate.rules as its only rule, so every node,
#   those of gates made later included, gets the group and ACL an
#   installed gate gives it.
#
# What it cannot do (a root without systemd, say) it says, and the tests
# that need it skip.  usage: . qemu/guest-privileges.sh
# (sourced: it sets $udevd for guest-gate.sh to stop).
GATEPC_ROOT=/tmp/gatepc
udevd=
# The guest runs the command chrooted into the host's root; systemd's
# tools would refuse to act from a chroot, though this one is the system.
export SYSTEMD_IGNORE_CHROOT=1

privileges() {
	dist=$(cd "$(dirname "$0")/../dist" && pwd -P)
	for tool in systemd-sysusers systemd-tmpfiles udevadm setfacl; do
		if ! command -v $tool >/dev/null; then
			echo "guest-privileges: no $tool; tests as the gate's" \
				"users will skip"
			return 0
		fi
	done
	mkdir -p $GATEPC_ROOT/etc || return 1
	for f in passwd group shadow gshadow; do
		cp /etc/$f $GATEPC_ROOT/etc/$f 2>/dev/null ||
			: >$GATEPC_ROOT/etc/$f
	done
	systemd-sysusers --root=$GATEPC_ROOT "$dist/passgate.sysusers" ||
		return 1
	for f in passwd group shadow gshadow; do
		mount --bind $GATEPC_ROOT/etc/$f /etc/$f || return 1
	done
	# mkdir, not install: the arm64 root's busybox has no install.
	mkdir -p $GATEPC_ROOT/var/lib/prometheus/node-exporter &&
		chmod 0755 $GATEPC_ROOT/var/lib/prometheus/node-exporter ||
		return 1
	systemd-tmpfiles --create --root=$GATEPC_ROOT \
		"$dist/passgate.tmpfiles" || return 1
	systemd-tmpfiles --create --prefix=/sys/fs/bpf \
		"$dist/passgate.tmpfiles" || return 1

	# udev with passgate's rule alone: the system's rules are hidden.
	for d in /usr/lib/udev/rules.d /etc/udev/rules.d; do
		[ -d $d ] && { mount -t tmpfs tmpfs $d || return 1; }
	done
	mkdir -p /run/udev/rules.d &&
		cp "$dist/60-passgate.rules" /run/udev/rules.d/ || return 1
	/lib/systemd/systemd-udevd --daemon || return 1
	udevd=1
	udevadm trigger --subsystem-match=passgate --action=add &&
		udevadm settle --timeout=60
}

privileges_stop() {
	[ -n "$udevd" ] && udevadm control --exit
	udevd=
}

privileges || { echo "guest-privileges: failed"; privileges_stop; false; }
