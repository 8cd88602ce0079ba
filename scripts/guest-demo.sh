#!/bin/sh
# Inside the guest, with the gate loaded: what an operator sees and does.
set -eu
ctl="$1/bin/passgatectl"
board=$(echo /sys/kernel/debug/passgate-testboard/*)

step() { printf '\n== %s\n' "$*"; }

step "the test gate as the kernel bound it from firmware"
ls -l /dev/passgate/*/*
"$ctl" gate
"$ctl" lanes

step "lane 0 opened for one exit passage"
"$ctl" unlock 0 exit
"$ctl" lanes

step "crowd surge: the operator frees every lane"
"$ctl" gate-mode free-all
"$ctl" lanes
"$ctl" gate-mode normal

step "fire alarm (test board line 16): every lane free from the interrupt path"
echo 1 > "$board/16"
"$ctl" lanes
"$ctl" fire-reset || true
echo 0 > "$board/16"
"$ctl" gate
"$ctl" fire-reset
"$ctl" lanes

step "the gate's event stream"
"$ctl" events
"$ctl" --json events | tail -n 3
