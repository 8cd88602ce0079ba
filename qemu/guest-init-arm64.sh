#!/bin/sh
# /init of the arm64 test initramfs that qemu/run-qemu-arm64.sh builds
# (busybox sh), the arm64 twin of qemu/guest-init.sh.  The console is
# virtio (hvc0, a module in Debian's arm64 kernel), so nothing is printed
# until virtio_console is loaded.  Mounts the rootfs
# share (read-only) at /newroot, the repository share at the same path as
# on the host, the scratch share at /scratch, runs the command from
# /passgate.env chrooted into the rootfs, dumps the kernel log to scratch,
# prints PASSGATE-GUEST-EXIT=<rc> and powers off.  Never hangs.
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin

finish() {
	if grep -q ' /scratch ' /proc/mounts 2>/dev/null; then
		dmesg -s 1048576 >/scratch/dmesg.txt
		sync
	fi
	echo "PASSGATE-GUEST-EXIT=$1"
	poweroff -f
	sleep 10; echo o >/proc/sysrq-trigger
}
die() { echo "guest-init: $*"; finish 125; }

# Keep the far ends open, raw, from now on: the guest then takes what the
# gate sends while no test plays the module, and drops it when its tty
# buffers are full, as a wire with nobody listening would.  Unread, the
# socket cable pushes back until the gate's UART cannot drain and its
# close waits 30 s (closing_wait) at every unbind of lane 1.
far_hold() { # tty
	stty -F "$1" raw -echo || die "stty $1"
	sleep 2147483647 <"$1" &
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# Modules, dependencies first (the runner numbered them).
failed=
for m in /modules/*.ko; do
	insmod "$m" || failed="$failed $m"
done
# The console exists only now.
i=0
while [ ! -c /dev/hvc0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
exec </dev/null >/dev/hvc0 2>&1
[ -z "$failed" ] || die "insmod failed:$failed"

# shellcheck source=/dev/null
. /passgate.env || die "bad /passgate.env"

# --boot-disk: the disk is a whole system (scripts/install-check.sh);
# its systemd takes over, and its test prints the marker and powers off.
if [ "${PASSGATE_BOOT_DISK:-0}" = 1 ]; then
	i=0
	while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	mkdir -p /newroot
	mount -t ext4 /dev/vda /newroot || die "mount /dev/vda"
	for m in dev proc sys; do mount --move "/$m" "/newroot/$m"; done
	exec switch_root /newroot /lib/systemd/systemd
fi

opts=trans=virtio,version=9p2000.L,msize=262144
mkdir -p /newroot /scratch
mount -t 9p -o "$opts,ro,cache=loose" rootfs /newroot || die "mount rootfs"
# The repository goes to its own path in the new root last: a clone under
# /tmp or /run (CI) would vanish under the tmpfs mounted there.
mkdir -p /repo
mount -t 9p -o "$opts,ro,cache=loose" repo /repo || die "mount repo"
mount -t 9p -o "$opts" scratch /scratch || die "mount scratch"

mnt() { mount -t "$1" ${3:+-o "$3"} "$1" "/newroot$2" || die "mount $2"; }
mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mnt devpts /dev/pts
mnt tmpfs /dev/shm
mnt debugfs /sys/kernel/debug
mnt tracefs /sys/kernel/tracing
mnt bpf /sys/fs/bpf
mnt tmpfs /tmp mode=1777
mnt tmpfs /run mode=755
mkdir -p "/newroot$PASSGATE_REPO" 2>/dev/null
mount --bind /repo "/newroot$PASSGATE_REPO" ||
	die "bind the repository at $PASSGATE_REPO (no mount point in the rootfs?)"
mkdir -p "/newroot$PASSGATE_SCRATCH" || die "mkdir $PASSGATE_SCRATCH"
mount --bind /scratch "/newroot$PASSGATE_SCRATCH" || die "bind scratch"
# The far end of the scanner board's cable (QEMU joins it to the PL011
# with two UDP chardevs); the tests open /dev/ttyS2 as on x86.
far=${PASSGATE_FAR_TTY:-ttyS0}
[ -c "/dev/$far" ] || die "no far end /dev/$far"
[ "$far" = ttyS2 ] || ln -sf "$far" /newroot/dev/ttyS2 || die "link /dev/ttyS2"
# The far ends of gate 0 lane 1's readers' cables (run-qemu-arm64.sh).
set -- ${PASSGATE_READERS_FAR:-hvc1 hvc2}
for link in passgate-far-sam passgate-far-qr; do
	[ -c "/dev/$1" ] || die "no far end /dev/$1 for /dev/$link"
	ln -sf "$1" "/newroot/dev/$link" || die "link /dev/$link"
	far_hold "/dev/$1"
	shift
done

echo "guest-init: up $(cut -d' ' -f1 /proc/uptime) s after boot"
# $PASSGATE_* expand in the chroot's shell, not here.
# shellcheck disable=SC2016
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/tmp TERM=vt100 PASSGATE_SCRATCH="$PASSGATE_SCRATCH" \
	PASSGATE_REPO="$PASSGATE_REPO" PASSGATE_CMD="$PASSGATE_CMD" \
	chroot /newroot /bin/sh -c 'cd "$PASSGATE_REPO" && eval "exec $PASSGATE_CMD"' \
	</dev/null
finish $?
