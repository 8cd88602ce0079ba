#!/bin/bash
# Boot the Debian guest kernel in QEMU (x86_64, -M pc) with the host's root
# shared read-only over virtio-9p, run one command inside it (chrooted into
# the host root, in the caller's working directory) and exit with that
# command's status.  The guest side is selftests/guest-init.sh.
#
# usage: selftests/run-qemu.sh --kernel-dir DIR --acpi FILE.aml --out OUTDIR
#            --timeout SECS [--mem MB] [--disk IMG] [--cut-on REGEX]
#            -- COMMAND [ARG...]
#
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
# OUTDIR/console.log); ttyS1 and ttyS2 are joined like a null-modem cable.
#
# Exit status: the command's, or 1 when the guest timed out, crashed, or its
# kernel log shows a warning, BUG, oops or panic.
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
usage() { sed -n '7,9s/^# \{0,1\}//p' "$0" >&2; exit 2; }

kdir='' acpi='' out='' tmo='' mem=1024 disk='' cut=
while [[ $# -gt 0 ]]; do
	case $1 in
	--kernel-dir) kdir=$2; shift 2 ;;
	--acpi) acpi=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--cut-on) cut=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[[ -n $kdir && -n $acpi && -n $out && -n $tmo && $# -gt 0 ]] || usage
[[ $tmo =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ ]] || usage
[[ -f $acpi ]] || die "no ACPI table $acpi"
[[ -z $disk || -f $disk ]] || die "no disk image $disk"
repo=$(pwd -P)

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

# The 9p modules, dependencies first.  A `dpkg -x` tree has no modules.dep
# (depmod makes it at install time), so read each module's "depends" field.
declare -A kofile=() seen=()
while IFS= read -r f; do
	n=${f##*/}; n=${n%%.ko*}; kofile[${n//-/_}]=$f
done < <(find "$moddir" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst')
n_mod=0
add_module() {
	local name=${1//-/_} f deps dep dst
	[[ -z ${seen[$name]:-} ]] || return 0
	seen[$name]=1
	f=${kofile[$name]:-}
	if [[ -z $f ]]; then
		grep -qE "/${name//_/[-_]}\.ko\$" "$moddir/modules.builtin" 2>/dev/null ||
			die "module $name is neither in $moddir nor built in"
		return 0
	fi
	deps=$(modinfo -F depends "$f") || die "modinfo $f failed"
	for dep in ${deps//,/ }; do add_module "$dep"; done
	# busybox insmod takes plain .ko files only
	printf -v dst '%s/modules/%02d-%s.ko' "$root" $((++n_mod)) "$name"
	case $f in
	*.xz) xz -dc "$f" >"$dst" ;;
	*.zst) zstd -qdc "$f" >"$dst" ;;
	*) cp "$f" "$dst" ;;
	esac
}
for m in virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev \
	virtio_pci 9pnet netfs fscache 9p 9pnet_virtio; do
	add_module "$m"
done
if [[ -n $disk ]]; then
	for m in virtio_blk crc32c_generic ext4; do add_module "$m"; done
fi

# Quote words for a POSIX shell ('...' with ' as '\'').
shquote() {
	local a s=
	for a; do s+=" '${a//\'/\'\\\'\'}'"; done
	printf '%s' "${s# }"
}
# Sourced by guest-init.sh; the command is run with `eval` in the chroot, so
# it is quoted twice.
cat >"$root/passgate.env" <<EOF
PASSGATE_CMD=$(shquote "$(shquote "$@")")
PASSGATE_REPO=$(shquote "$repo")
PASSGATE_SCRATCH=/tmp/passgate-scratch
PASSGATE_INTERACTIVE=${PASSGATE_INTERACTIVE:-0}
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
# Two free UDP ports on loopback for the COM2<->COM3 cable (small race
# between closing them here and QEMU binding them; fine for a test box).
read -r p1 p2 < <(python3 -c '
import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')

# shellcheck disable=SC2054 # commas belong to QEMU options
qemu=(qemu-system-x86_64 -M pc -m "$mem" -smp 2 -nographic -no-reboot
	-nic none  # no network; also skips the iPXE option ROM
	-kernel "$kernel" -initrd "$out/initrd.cpio.gz"
	-append "console=ttyS0 panic=-1 loglevel=4"
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
[[ -z $disk ]] || qemu+=(-drive "file=$disk,format=raw,if=virtio,cache=writeback")
[[ -z $cut ]] || qemu+=(-pidfile "$out/qemu.pid")
rm -f "$out/qemu.pid" "$out/cut"

# Pass the console through; with --cut-on, kill QEMU at the first match.
watch_cut() {
	local line pid
	while IFS= read -r line; do
		printf '%s\n' "$line"
		if [[ -n $cut && ! -e $out/cut && $line =~ $cut ]]; then
			pid=$(cat "$out/qemu.pid")
			kill -KILL "$pid" && : >"$out/cut"
			echo "$prog: power cut: QEMU $pid killed at \"$line\""
		fi
	done
}

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
bad='WARNING:|BUG:|Oops|Call Trace|general protection fault|Kernel panic'
if [[ -n $cut ]]; then
	[[ -e $out/cut ]] || die "the guest was never cut off: no console line matched $cut (see $log)"
	if grep -a -q -E "$bad" "$log"; then
		grep -a -n -E "$bad" "$log" | head -n 20 >&2 || true
		die "kernel warning/bug/oops/panic in the guest before the cut (see $log)"
	fi
	exit 0
fi
[[ $qemu_rc -ne 124 && $qemu_rc -ne 137 ]] || die "guest timed out after $tmo s (see $log)"

dmesg=$out/scratch/dmesg.txt
if grep -a -q -s -E "$bad" "$log" "$dmesg"; then
	grep -a -n -s -E "$bad" "$log" "$dmesg" | head -n 20 >&2 || true
	die "kernel warning/bug/oops/panic in the guest (see $log and $dmesg)"
fi

marker=$(grep -a -o 'PASSGATE-GUEST-EXIT=[0-9]*' "$log" | tail -n 1 || true)
[[ -n $marker ]] || die "guest gave no exit status (crash? QEMU exit $qemu_rc; see $log)"
[[ -f $dmesg ]] || die "guest wrote no kernel log dump $dmesg (see $log)"
exit "${marker#*=}"
