#!/bin/sh
# make shell: inside the guest, with the gate loaded, a shell to try
# passgate by hand.  `exit` powers the guest off.
build=$1
export PATH="$PWD/$build/bin:$PATH"
cat <<'MSG'
== passgate test gate in QEMU.  Try, for example:
   passgatectl status
   passgatectl monitor &            # events as they happen (Ctrl-C / kill %1)
   passgatectl open 0 exit ; passgatectl lanes
   echo 1 > /sys/kernel/debug/passgate-testboard/*/16   # fire alarm
   passgatectl fire-reset           # refused while the alarm is on
   (README "Running a gate by hand" has the daemon and lists)
   exit                             # power off
MSG
# A controlling terminal, so job control and Ctrl-C work.
exec setsid -c /bin/bash --norc -i
