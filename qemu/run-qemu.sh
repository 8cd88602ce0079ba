#!/bin/bash
# Boot the Debian guest kernel in QEMU (x86_64, -M pc) with the host's root
# shared read-only over virtio-9p, run one command inside it (chrooted into
# the host root, in the caller's working directory) and exit with that
# command's status.  The guest side is qemu/guest-init.sh.
#
# usage: qemu/run-qemu.sh --kernel-dir DIR --acpi FILE.aml --out OUTDIR
#            --timeout SECS [--mem MB] [--disk IMG] [--cut-on REGEX]
#            -- COMMAND [ARG...]
#        qemu/run-qemu.sh ... --disk IMG --boot-disk
#
#   --boot-disk  boot the system on IMG instead (an ext4 root with
#            systemd; scripts/install-check.sh): no host root and no
#            COMMAND; the guest prints the PASSGATE-GUEST-EXIT marker and
#            writes dmesg.txt to the scratch share (mount tag "scratch")
#            itself.
#   IMG      a raw disk image, the guest's /dev/vda (virtio-blk; ext4 and
#            its modules are loaded)
#   REGEX    the power cut: QEMU is killed (SIGKILL) as soon as a console
#            line matches; whatever the guest had not written to its disk
#            is lost.  Exit 0 if that happened with a clean kernel log.
#
#   DIR      a `dpkg -x` of linux-image-<abi>-amd64 (boot/vmlinuz-*,
#            lib/modules/<version>/)
#   OUTDIR   gets initramfs/, initrd.cpio.gz, console.log and scratch/ (made
#            fresh each run; the command sees it as $PASSGATE_SCRATCH)
#
# Serial ports in the guest: ttyS0 is the console (streamed to stdout and
# OUTDIR/console.log); ttyS1 and ttyS2 are joined like a null-modem cable,
# and so are the 16550s on PCI 00:10.0 and 00:12.0, 00:11.0 and 00:13.0
# (the SAM module's and QR engine's UARTs and their far ends).
#
# Exit status: the command's, or 1 when the guest timed out, crashed, or its
# kernel log shows a warning, BUG, oops or panic.
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
usage() { sed -n '7,10s/^# \{0,1\}//p' "$0" >&2; exit 2; }

kdir='' acpi='' out='' tmo='' mem=1024 disk='' cut='' boot_disk=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--kernel-dir) kdir=$2; shift 2 ;;
	--acpi) acpi=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--cut-on) cut=$2; shift 2 ;;
	--boot-disk) boot_disk=1; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[[ -n $kdir && -n $acpi && -n $out && -n $tmo ]] || usage
if [[ $boot_disk = 1 ]]; then
	[[ -n $disk && $# -eq 0 ]] || usage
else
	[[ $# -gt 0 ]] || usage
fi
[[ $tmo =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ ]] || usage
[[ -f $acpi ]] || die "no ACPI table $acpi"
[[ -z $disk || -f $disk ]] || die "no disk image $disk"
repo=$(pwd -P)
# shellcheck source=qemu/qemu-common.sh
. "$(dirname "$0")/qemu-common.sh"

# modinfo lives in /sbin, which a normal user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

shopt -s nullglob
kernels=("$kdir"/boot/vmlinuz-*)
[[ ${#kernels[@]} -eq 1 ]] || die "want exactly one $kdir/boot/vmlinuz-*"
kernel=${kernels[0]}
kver=${kernel##*/vmlinuz-}
moddir=$kdir/lib/modules/$kver
[[ -d $moddir ]] || die "no $moddir"

bb=${BUSYBOX:-$(command -v busybox || true)}
[[ -x $bb ]] || die "busybox not found (install busybox-static)"
! ldd "$bb" >/dev/null 2>&1 || die "$bb is dynamically linked (install busybox-static)"

mkdir -p "$out"
out=$(cd "$out" && pwd -P)
log=$out/console.log
root=$out/initramfs
rm -rf "$root" "$out/scratch" "$log"
mkdir -p "$out/scratch" "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,host,scratch,modules}

# --- initramfs ------------------------------------------------------------
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"   # for the #! of /init; init installs the rest
install -m 755 "$(dirname "$0")/guest-init.sh" "$root/init"

# The 9p modules, dependencies first.
index_modules
for m in virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev \
	virtio_pci 9pnet netfs fscache 9p 9pnet_virtio; do
	add_module "$m"
done
freeze_modules
[[ -z $disk ]] || disk_modules

# Sourced by guest-init.sh; the command is run with `eval` in the chroot, so
# it is quoted twice.
cat >"$root/passgate.env" <<EOF
PASSGATE_CMD=$(shquote "$(shquote "$@")")
PASSGATE_REPO=$(shquote "$repo")
PASSGATE_SCRATCH=/tmp/passgate-scratch
PASSGATE_INTERACTIVE=${PASSGATE_INTERACTIVE:-0}
PASSGATE_BOOT_DISK=$boot_disk
EOF

# Without /dev/console in the initramfs the kernel starts init with no stdio,
# and only root can mknod; so append a hand-made cpio (newc) entry for it
# (char 5:1) as a second archive, which the kernel's unpacker accepts.
newc_entry() { # name mode rdev-major rdev-minor
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		0 "$2" 0 0 1 0 0 0 0 "$3" "$4" $((${#1} + 1)) 0 "$1"
	head -c $(((4 - (110 + ${#1} + 1) % 4) % 4)) /dev/zero  # pad to 4 bytes
}
{
	(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet)
	newc_entry dev/console $((0020600)) 5 1
	newc_entry TRAILER!!! 0 0 0
} | gzip -1 >"$out/initrd.cpio.gz"

# --- QEMU -----------------------------------------------------------------
# A booted system's systemd: only failures on the console, uncoloured.
boot_args=
[[ $boot_disk = 0 ]] || boot_args=" systemd.show_status=error systemd.log_color=0"
read -r p1 p2 < <(free_ports)

# shellcheck disable=SC2054 # commas belong to QEMU options
qemu=(qemu-system-x86_64 -M pc -m "$mem" -smp 2 -nographic -no-reboot
	-nic none  # no network; also skips the iPXE option ROM
	-kernel "$kernel" -initrd "$out/initrd.cpio.gz"
	-append "console=ttyS0 panic=-1 loglevel=4 8250.nr_uarts=8$boot_args"
	-acpitable "file=$acpi"
	# multidevs=remap: / spans several host filesystems; keep inodes unique
	-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	-fsdev "local,id=scratch,path=$out/scratch,security_model=none"
	-device virtio-9p-pci,fsdev=scratch,mount_tag=scratch
	# no monitor on the console: works without a terminal (CI)
	-monitor none
	-chardev stdio,id=con -serial chardev:con
	-chardev "udp,id=c2,host=127.0.0.1,port=$p2,localaddr=127.0.0.1,localport=$p1"
	-serial chardev:c2
	-chardev "udp,id=c3,host=127.0.0.1,port=$p1,localaddr=127.0.0.1,localport=$p2"
	-serial chardev:c3)
reader_cable qemu 0x10 pci-serial,addr=0x12 samfar
reader_cable qemu 0x11 pci-serial,addr=0x13 qrfar
[[ -z $disk ]] || qemu+=(-drive "file=$disk,format=raw,if=virtio,cache=writeback")
[[ -z $cut ]] || qemu+=(-pidfile "$out/qemu.pid")
rm -f "$out/qemu.pid" "$out/cut"

# stdin is /dev/null so QEMU never puts a terminal into raw mode;
# --foreground keeps QEMU in our process group so Ctrl-C still stops it.
start=$SECONDS
set +e
if [[ ${PASSGATE_INTERACTIVE:-0} = 1 ]]; then
	# make shell: the console is the user's (Ctrl-C goes to the guest).
	qemu=("${qemu[@]/#stdio,id=con/stdio,id=con,signal=off}")
	timeout --foreground -k 10 "$tmo" "${qemu[@]}" 2>&1 | tee "$log"
else
	timeout --foreground -k 10 "$tmo" "${qemu[@]}" </dev/null 2>&1 |
		tee "$log" | watch_cut
fi
qemu_rc=${PIPESTATUS[0]}
set -e
echo "$prog: QEMU ran $((SECONDS - start)) s (exit $qemu_rc)" >&2

# --- verdict --------------------------------------------------------------
qemu_verdict "$qemu_rc"
