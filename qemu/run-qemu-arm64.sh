#!/bin/bash
# Boot Debian's arm64 kernel in qemu-system-aarch64 (-M virt, TCG) with the
# test gate in the device tree, run one command in the guest (chrooted into
# an arm64 rootfs shared over 9p, in the repository, which is shared at the
# same path) and exit with its status.  The arm64 twin of
# qemu/run-qemu.sh; the guest side is qemu/guest-init-arm64.sh.
#
# usage: qemu/run-qemu-arm64.sh --kernel-dir DIR --dtbo FILE.dtbo
#            --rootfs DIR --out OUTDIR --timeout SECS [--mem MB] [--smp N]
#            [--disk IMG] [--cut-on REGEX] [--shutdown-log FILE]
#            -- COMMAND [ARG...]
#        qemu/run-qemu-arm64.sh ... --disk IMG --boot-disk
#
#   DIR      a `dpkg -x` of linux-image-<abi>-arm64-unsigned (boot/vmlinuz-*,
#            lib/modules/<version>/), as scripts/setup-arm64.sh leaves it
#   FILE.dtbo  an overlay, merged onto QEMU virt's own tree (dumped with the
#            same --mem and --smp) into OUTDIR/gate.dtb
#   DIR (--rootfs)  the guest's root, with the repository's path in it
#   IMG, REGEX  the guest's /dev/vda and the power cut, as run-qemu.sh has
#            them; --boot-disk as there (the rootfs only lends its busybox)
#   FILE (--shutdown-log)  a second kernel console, a PCI 16550 (ttyS1)
#            written to FILE: it still works after device_shutdown(), where
#            hvc0 falls silent (selftests/shutdown.sh)
#
# Consoles: hvc0 (virtio) is the console, streamed to stdout and
# OUTDIR/console.log; the PL011 belongs to the scanner board (serdev) and is
# joined by two UDP chardevs to the far end, which the guest sees as
# /dev/ttyS2 (a PCI 16550, ttyS0), as on x86.  Gate 0 lane 1's SAM module
# and QR engine sit on PCI 16550s whose far ends are hvc1 and hvc2,
# linked as /dev/passgate-far-sam and /dev/passgate-far-qr.
set -euo pipefail
prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
usage() { sed -n '8,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }

kdir='' dtbo='' rootfs='' out='' tmo='' mem=1024 smp=2 disk='' cut='' sdlog=
boot_disk=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--kernel-dir) kdir=$2; shift 2 ;;
	--dtbo) dtbo=$2; shift 2 ;;
	--rootfs) rootfs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--cut-on) cut=$2; shift 2 ;;
	--shutdown-log) sdlog=$2; shift 2 ;;
	--boot-disk) boot_disk=1; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[[ -n $kdir && -n $dtbo && -n $rootfs && -n $out && -n $tmo ]] || usage
if [[ $boot_disk = 1 ]]; then
	[[ -n $disk && $# -eq 0 ]] || usage
else
	[[ $# -gt 0 ]] || usage
fi
here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(pwd -P)
rootfs=$(cd "$rootfs" && pwd -P)
[[ -d $rootfs$repo ]] || die "no mount point $rootfs$repo for the repository"
[[ -f $dtbo ]] || die "no overlay $dtbo"
[[ -z $disk || -f $disk ]] || die "no disk image $disk"
PATH=$PATH:/usr/sbin:/sbin
# shellcheck source=qemu/qemu-common.sh
. "$here/qemu-common.sh"

shopt -s nullglob
kernels=("$kdir"/boot/vmlinuz-*)
[[ ${#kernels[@]} -eq 1 ]] || die "want exactly one $kdir/boot/vmlinuz-*"
kernel=${kernels[0]}
kver=${kernel##*/vmlinuz-}
moddir=$kdir/lib/modules/$kver
[[ -d $moddir ]] || die "no $moddir"
bb=$rootfs/bin/busybox
[[ -f $bb ]] || die "no arm64 busybox in $rootfs"

mkdir -p "$out"
out=$(cd "$out" && pwd -P)
log=$out/console.log
root=$out/initramfs
rm -rf "$root" "$out/scratch" "$log" "$out/virt.dtb" "$out/gate.dtb"
mkdir -p "$out/scratch" "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,modules}
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 755 "$here/guest-init-arm64.sh" "$root/init"

index_modules
# virtio and virtio_ring are built in on arm64; the transport is MMIO.
for m in virtio_mmio virtio_console 9pnet netfs fscache 9p 9pnet_virtio; do
	add_module "$m"
done
freeze_modules
[[ -z $disk ]] || disk_modules

cat >"$root/passgate.env" <<EOT
PASSGATE_CMD=$(shquote "$(shquote "$@")")
PASSGATE_REPO=$(shquote "$repo")
PASSGATE_SCRATCH=/tmp/passgate-scratch
PASSGATE_BOOT_DISK=$boot_disk
EOT

# --- device tree ----------------------------------------------------------
# QEMU's own tree for this memory size and CPU count, the overlay on top,
# and no stdout-path: the PL011 is the scanner board's, not a console.
vm=(-M virt -cpu cortex-a57 -smp "$smp" -m "$mem")
qemu-system-aarch64 "${vm[@]}" -nographic -machine dumpdtb="$out/virt.dtb" 2>/dev/null ||
	die "qemu-system-aarch64 could not dump its device tree"
fdtoverlay -i "$out/virt.dtb" -o "$out/gate.dtb" "$dtbo" || die "fdtoverlay $dtbo failed"
fdtput -d "$out/gate.dtb" /chosen stdout-path

# --- QEMU -----------------------------------------------------------------
# The far end of the scanner board's cable, which the tests open as
# /dev/ttyS2: a 16550 on PCI (ttyS0 in the guest), or with
# PASSGATE_FAR=virtio a second virtio console port (hvc1; the module
# reload of outage_test then loses the gate's answers now and then).
# shellcheck disable=SC2054
case ${PASSGATE_FAR:-pci} in
pci) far_dev=(-device pci-serial,chardev=far) far_tty=ttyS0 readers_far='hvc1 hvc2' ;;
virtio) far_dev=(-device virtconsole,chardev=far) far_tty=hvc1 readers_far='hvc2 hvc3' ;;
*) die "PASSGATE_FAR is pci or virtio" ;;
esac
echo "PASSGATE_FAR_TTY=$far_tty PASSGATE_READERS_FAR='$readers_far'" >>"$root/passgate.env"
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out/initrd.cpio.gz"

read -r p1 p2 < <(free_ports)
# A booted system's systemd: only failures on the console, uncoloured.
boot_args=
[[ $boot_disk = 0 ]] || boot_args=" systemd.show_status=error systemd.log_color=0"

# shellcheck disable=SC2054
qemu=(qemu-system-aarch64 "${vm[@]}" -nographic -no-reboot -nic none -monitor none
	-kernel "$kernel" -initrd "$out/initrd.cpio.gz" -dtb "$out/gate.dtb"
	-append "console=hvc0 panic=-1 loglevel=4$boot_args"
	# the PL011: the scanner board's UART, far end at hvc1
	-chardev "udp,id=board,host=127.0.0.1,port=$p2,localaddr=127.0.0.1,localport=$p1"
	-serial chardev:board
	-device virtio-serial-device
	-chardev stdio,id=con -device virtconsole,chardev=con
	-chardev "udp,id=far,host=127.0.0.1,port=$p1,localaddr=127.0.0.1,localport=$p2"
	"${far_dev[@]}"
	-fsdev "local,id=rootfs,path=$rootfs,security_model=none,readonly=on"
	-device virtio-9p-device,fsdev=rootfs,mount_tag=rootfs
	-fsdev "local,id=repo,path=$repo,security_model=none,readonly=on"
	-device virtio-9p-device,fsdev=repo,mount_tag=repo
	-fsdev "local,id=scratch,path=$out/scratch,security_model=none"
	-device virtio-9p-device,fsdev=scratch,mount_tag=scratch)
# Gate 0 lane 1's readers: a SAM module and a QR engine on 16550s in PCI
# slots 0x10 and 0x11 (the overlay names them), their far ends virtio
# console ports hvc1 and hvc2: Debian's arm64 kernel has 4 8250 ports in
# all, and the board's far end and the shutdown log take two (after the
# board's far end when that is a virtio port too).
reader_cable qemu 0x10 virtconsole samfar
reader_cable qemu 0x11 virtconsole qrfar
[[ -z $disk ]] || qemu+=(-drive "file=$disk,format=raw,if=none,id=disk,cache=writeback"
	-device virtio-blk-device,drive=disk)
[[ -z $cut ]] || qemu+=(-pidfile "$out/qemu.pid")
# After the far end's 16550, so ttyS1; hvc0 named last stays /dev/console.
if [[ -n $sdlog ]]; then
	: >"$sdlog"
	qemu+=(-chardev "file,id=sdlog,path=$sdlog" -device pci-serial,chardev=sdlog)
	for i in "${!qemu[@]}"; do
		[[ ${qemu[$i]} != console=hvc0* ]] || qemu[i]="console=ttyS1 ${qemu[$i]}"
	done
fi
rm -f "$out/qemu.pid" "$out/cut"

start=$EPOCHREALTIME
set +e
timeout --foreground -k 10 "$tmo" "${qemu[@]}" </dev/null 2>&1 | tee "$log" |
	watch_cut
qemu_rc=${PIPESTATUS[0]}
set -e
awk -v p="$prog" -v a="$start" -v b="$EPOCHREALTIME" -v rc="$qemu_rc" \
	'BEGIN { printf "%s: QEMU ran %.1f s (exit %s)\n", p, b - a, rc }' >&2
qemu_verdict "$qemu_rc"
