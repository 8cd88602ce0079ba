#!/bin/sh
# Inside the guest, for selftests/shutdown.sh: load the test board and
# passgate (from the current folder, as qemu/guest-gate.sh does), then
# leave the gate as the test powers it off, with the module still loaded:
#   gate 0: its fire alarm raised now, before the power-off;
#   gate 1: its fire alarm raised by the test board at the board's own
#           shutdown, after gate 1's fail-secure lane has let go of its
#           outputs (the board shuts down last: it was bound first).
# The board then prints every line on the console (the kernel's console
# level is raised here so that its message shows).
set -eu

insmod selftests/testboard/passgate-testboard.ko
insmod passgate.ko
board=$(ls -d /sys/kernel/debug/passgate-testboard/*/ | head -n 1)

echo 1 >"${board}16"
echo 0x40000 >"${board}shutdown_flip"	# line 18: its contact opens

# The alarm's interrupt thread opens gate 0's lanes: wait for that, with
# a bound (the lines are what is being waited for, not a time).
i=0
until [ "$(cat "${board}0")" = 1 ] && [ "$(cat "${board}8")" = 1 ]; do
	i=$((i + 1))
	[ $i -le 500 ] || { echo "guest-shutdown: gate 0 never opened"; exit 1; }
	sleep 0.01
done
echo 8 >/proc/sys/kernel/printk
echo "guest-shutdown: powering off with gate 0 on fire"
