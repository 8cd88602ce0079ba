#!/bin/sh
# make check's device-tree part: the bindings are valid schemas, every
# source and overlay compiles with dtc without a warning, the gate PC's
# tree - whole, and as the bare SoC plus the overlay - validates against
# the bindings, and the firmware names agree between driver, bindings and
# the test ASL.  Prints kselftest-style lines and a Totals line.
#
# usage: scripts/check-dt.sh BUILD_DIR KERNEL_HEADERS_COMMON_INCLUDE
set -u
out=$1/dt inc=$2
mkdir -p "$out"
pass=0 fail=0 n=0

result() { # ok name
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		pass=$((pass + 1)); echo "ok $n $2"
	else
		fail=$((fail + 1)); echo "not ok $n $2"
	fi
}

# dtc with the kernel's dt-bindings headers; any warning is a failure.
compile() { # source dtb [cpp flags]
	src=$1 dtb=$2; shift 2
	cpp -nostdinc -undef -x assembler-with-cpp -I "$inc" "$@" "$src" |
		dtc -@ -q -I dts -O dtb -o "$dtb" - 2>"$dtb.log"
	rc=$?
	[ -s "$dtb.log" ] && { cat "$dtb.log"; rc=1; }
	return $rc
}

# dt-validate prints what is wrong and exits 0: silence is success.
validate() { # dtb
	msgs=$(dt-validate -s "$out/schema.json" "$1" 2>&1)
	[ -z "$msgs" ] || { echo "$msgs"; return 1; }
}

echo "# device tree"
for b in dts/bindings/*.yaml; do
	dt-doc-validate -u dts/bindings "$b"
	result $? "dt-doc-validate $(basename "$b")"
done
dt-mk-schema -j dts/bindings >"$out/schema.json"
result $? "dt-mk-schema"

for s in dts/*.dts dts/*.dtso; do
	compile "$s" "$out/$(basename "$s").dtb"
	result $? "dtc $(basename "$s")"
done

validate "$out/gatepc-imx8mp.dts.dtb"
result $? "dt-validate gatepc-imx8mp.dts"

compile dts/gatepc-imx8mp.dts "$out/soc.dtb" -DSOC_ONLY &&
	fdtoverlay -i "$out/soc.dtb" -o "$out/merged.dtb" \
		"$out/passgate-gatepc-imx8mp.dtso.dtb" &&
	validate "$out/merged.dtb" &&
	[ "$(fdtget -t s "$out/merged.dtb" /turnstile-1 compatible)" = passgate,turnstile ]
result $? "dt-validate bare SoC + passgate-gatepc-imx8mp.dtso"

# The binding refuses an exit lane that would stay locked in a fire
# without the driver: lane 1 of the reference tree made fail-secure must
# not validate, and validates again once it declares the hardware
# interlock.
cp "$out/merged.dtb" "$out/secure.dtb" &&
	fdtput -t s "$out/secure.dtb" /turnstile-1 passgate,fail-mode fail-secure &&
	! validate "$out/secure.dtb" >/dev/null
result $? "dt-validate refuses a fail-secure exit lane without passgate,fire-interlock"
fdtput "$out/secure.dtb" /turnstile-1 passgate,fire-interlock &&
	validate "$out/secure.dtb"
result $? "dt-validate takes a fail-secure exit lane with passgate,fire-interlock"

python3 scripts/check-names.py driver dts/bindings selftests/testgate.asl
result $? "firmware names: driver = bindings = test ASL"

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
