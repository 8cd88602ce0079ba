# shellcheck shell=bash
# Shared by qemu/run-qemu.sh (x86_64) and qemu/run-qemu-arm64.sh:
# the initramfs's modules, quoting, free ports, the power cut and the
# verdict on the guest's logs.  Sourced; the caller sets prog, out, log,
# moddir and root (the initramfs folder) and defines die().

# What the runner fails a run on, in the console or the kernel log.
QEMU_BAD_LOG='WARNING:|BUG:|Oops|Call Trace|general protection fault|Internal error|Kernel panic'

# Copy module $1 and what it depends on into $root/modules/NN-name.ko,
# dependencies first.  A `dpkg -x` tree has no modules.dep (depmod makes it
# at install time), so each module's "depends" field is read.
declare -A kofile=() seen=()
n_mod=0
index_modules() {
	local f n
	while IFS= read -r f; do
		n=${f##*/}; n=${n%%.ko*}; kofile[${n//-/_}]=$f
	done < <(find "$moddir" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst')
}
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
# The guest's disk (--disk): virtio-blk, ext4.
disk_modules() { local m; for m in virtio_blk crc32c_generic ext4; do add_module "$m"; done; }
# In every guest: a file system a test can freeze (FIFREEZE), ext2 or
# ext4 (one driver) on a loop device (selftests/slowpath_test.c holds a
# journal commit so).
freeze_modules() { local m; for m in loop crc32c_generic ext4; do add_module "$m"; done; }

# Quote words for a POSIX shell ('...' with ' as '\'').
shquote() {
	local a s=
	for a; do s+=" '${a//\'/\'\\\'\'}'"; done
	printf '%s' "${s# }"
}

# Two free UDP ports on loopback for a serial cable (small race between
# closing them here and QEMU binding them; fine for a test box).
free_ports() {
	python3 -c '
import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))'
}

# The readers' cables are Unix stream sockets, QEMU connecting to itself:
# a UDP chardev sends one datagram a byte and the socket drops what its
# queue cannot hold (a SAM module's 1295-byte answer loses ~1000 bytes),
# where a stream pushes back.  Short paths, made at the first cable and
# gone at exit (the QEMU runners set no other trap).
cables=

# A null-modem cable for the QEMU arguments in the array named $1: the
# gate's end a PCI 16550 in slot $2, the far end the device $3 (another
# 16550 in a slot, or a virtio console port) on chardev id $4 (gate 0
# lane 1's readers and their far ends, selftests/testgate.asl).
reader_cable() { # array slot far-device far-id
	local -n args=$1
	if [[ -z $cables ]]; then
		cables=$(mktemp -d /tmp/passgate-cables.XXXXXX)
		trap 'rm -rf "$cables"' EXIT
	fi
	# shellcheck disable=SC2054 # commas belong to QEMU options
	args+=(-chardev "socket,id=g$4,path=$cables/$4,server=on,wait=off"
		-device "pci-serial,chardev=g$4,addr=$2"
		-chardev "socket,id=$4,path=$cables/$4"
		-device "$3,chardev=$4")
}

# Pass the console through; with a cut pattern ($cut, --cut-on), kill QEMU
# (its -pidfile $out/qemu.pid) at the first matching line: the power cut.
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

# The run's verdict from QEMU's exit status $1 and the logs: exits.
qemu_verdict() {
	local qemu_rc=$1 dmesg=$out/scratch/dmesg.txt marker
	if [[ -n $cut ]]; then
		[[ -e $out/cut ]] ||
			die "the guest was never cut off: no console line matched $cut (see $log)"
		if grep -a -q -E "$QEMU_BAD_LOG" "$log"; then
			grep -a -n -E "$QEMU_BAD_LOG" "$log" | head -n 20 >&2 || true
			die "kernel warning/bug/oops/panic in the guest before the cut (see $log)"
		fi
		exit 0
	fi
	[[ $qemu_rc -ne 124 && $qemu_rc -ne 137 ]] ||
		die "guest timed out (see $log)"
	if grep -a -q -s -E "$QEMU_BAD_LOG" "$log" "$dmesg"; then
		grep -a -n -s -E "$QEMU_BAD_LOG" "$log" "$dmesg" | head -n 20 >&2 || true
		die "kernel warning/bug/oops/panic in the guest (see $log and $dmesg)"
	fi
	marker=$(grep -a -o 'PASSGATE-GUEST-EXIT=[0-9]*' "$log" | tail -n 1 || true)
	[[ -n $marker ]] ||
		die "guest gave no exit status (crash? QEMU exit $qemu_rc; see $log)"
	[[ -f $dmesg ]] || die "guest wrote no kernel log dump $dmesg (see $log)"
	exit "${marker#*=}"
}
