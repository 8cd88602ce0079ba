#!/bin/sh
# Print the kernel ABI (e.g. 6.1.0-56) that linux-headers-amd64 points at.
set -eu
dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null ||
	apt-cache depends linux-headers-amd64 | sed -n 's/.*Depends: //p')
echo "$dep" | grep -o 'linux-headers-[0-9][^ ,]*-amd64' | head -1 |
	sed 's/^linux-headers-//; s/-amd64$//'
