#!/bin/sh
# /init of the test initramfs built by qemu/run-qemu.sh (busybox sh).
# Mounts the host's root (9p, read-only) at /host, runs the command from
# /passgate.env chrooted there, dumps the kernel log to the scratch share,
# prints PASSGATE-GUEST-EXIT=<rc> and powers off.  Whatever fails, it still
# prints the marker (rc 125 for its own failures) and powers off: never hang.
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin

finish() {
	if grep -q ' /scratch ' /proc/mounts 2>/dev/null; then
		# the console shows only loglevel < 4; the runner checks the full log
		dmesg -s 1048576 >/scratch/dmesg.txt
		sync
	fi
	echo "PASSGATE-GUEST-EXIT=$1"
	poweroff -f
	sleep 10; echo o >/proc/sysrq-trigger  # should not be reached
}
die() { echo "guest-init: $*"; finish 125; }

# env file: PASSGATE_CMD (shell words), PASSGATE_REPO, PASSGATE_SCRATCH
# shellcheck source=/dev/null
. /passgate.env || die "bad /passgate.env"

mount -t proc proc /proc || die "mount /proc"
mount -t sysfs sysfs /sys || die "mount /sys"
mount -t devtmpfs devtmpfs /dev || die "mount /dev"

for m in /modules/*.ko; do
	insmod "$m" || die "insmod $m"
done

# --boot-disk: the disk is a whole system (scripts/install-check.sh);
# its systemd takes over, and its test prints the marker and powers off.
if [ "${PASSGATE_BOOT_DISK:-0}" = 1 ]; then
	i=0
	while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	mkdir -p /newroot
	mount -t ext4 /dev/vda /newroot || die "mount /dev/vda"
	umount /proc /sys /dev
	exec switch_root /newroot /lib/systemd/systemd
fi

# The host does not change its files during a run, so the read-only root may
# be cached aggressively; the scratch share is written from both sides.
opts=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$opts,ro,cache=loose" hostroot /host || die "mount hostroot"
mount -t 9p -o "$opts" scratch /scratch || die "mount scratch"

# A usable system inside /host.  Mounting over directories of the read-only
# share is fine; those missing on the host are skipped.
mnt() { # fstype target [options]
	if [ -d "/host$2" ]; then
		mount -t "$1" ${3:+-o "$3"} "$1" "/host$2" || die "mount /host$2"
	else
		echo "guest-init: no /host$2, not mounting $1 there"
	fi
}

# Keep the far ends open, raw, from now on: the guest then takes what the
# gate sends while no test plays the module, and drops it when its tty
# buffers are full, as a wire with nobody listening would.  Unread, the
# socket cable pushes back until the gate's UART cannot drain and its
# close waits 30 s (closing_wait) at every unbind of lane 1.
far_hold() { # tty
	stty -F "$1" raw -echo || die "stty $1"
	sleep 2147483647 <"$1" &
}

# Link $2 to the tty of the 16550 at PCI address $1.
far_link() { # pci-address link
	for t in /sys/bus/pci/devices/"$1"/tty/*; do
		[ -e "$t" ] && ln -sf "${t##*/}" "$2" && return 0
	done
	die "no tty at PCI $1 for $2"
}
mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
grep -q ' /host/dev ' /proc/mounts && mkdir -p /host/dev/pts /host/dev/shm
mnt devpts /dev/pts
mnt tmpfs /dev/shm
mnt debugfs /sys/kernel/debug
mnt tracefs /sys/kernel/tracing
mnt bpf /sys/fs/bpf
# A repository under /tmp or /run (a CI clone, say) would vanish under
# the fresh tmpfs: keep it aside and put it back at the same path.
mkdir -p /repo
mount --bind "/host$PASSGATE_REPO" /repo || die "bind the repository"
mnt tmpfs /tmp mode=1777
mnt tmpfs /run mode=755
mkdir -p "/host$PASSGATE_REPO" || die "mkdir /host$PASSGATE_REPO"
mount --bind /repo "/host$PASSGATE_REPO" || die "bind the repository back"
mkdir -p "/host$PASSGATE_SCRATCH" || die "mkdir /host$PASSGATE_SCRATCH"
mount --bind /scratch "/host$PASSGATE_SCRATCH" || die "bind scratch"

# The far ends of gate 0 lane 1's readers' cables (run-qemu.sh), by slot.
far_link 0000:00:12.0 /host/dev/passgate-far-sam
far_link 0000:00:13.0 /host/dev/passgate-far-qr
far_hold /host/dev/passgate-far-sam
far_hold /host/dev/passgate-far-qr

# stdin from /dev/null: nobody types on the console, except in make shell.
# $PASSGATE_* expand in the chroot's shell, not here.
input=/dev/null
[ "${PASSGATE_INTERACTIVE:-0}" = 1 ] && input=/dev/console
# shellcheck disable=SC2016
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/tmp TERM=vt100 PASSGATE_SCRATCH="$PASSGATE_SCRATCH" \
	PASSGATE_REPO="$PASSGATE_REPO" PASSGATE_CMD="$PASSGATE_CMD" \
	chroot /host /bin/sh -c 'cd "$PASSGATE_REPO" && eval "exec $PASSGATE_CMD"' \
	<"$input"
finish $?
