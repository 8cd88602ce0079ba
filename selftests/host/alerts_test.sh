#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The example alert rules (dist/prometheus/passgate-alerts.yml): promtool
# takes them (check rules), and its unit tests (alerts_test.yml beside
# this script) show each alert firing on series that meet its condition
# and quiet on series that do not; every alert has such a test, and every
# passgate metric a rule reads is one the daemon or the uplink writes.
# TAP lines, then a kselftest "# Totals:" line.
#
# usage: selftests/host/alerts_test.sh
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
top=$here/../..
rules=$top/dist/prometheus/passgate-alerts.yml
tests=$here/alerts_test.yml
# shellcheck source=selftests/host/tap.sh
. "$here/tap.sh"

echo "TAP version 13"
if ! command -v promtool >/dev/null; then
	skipped "alert rules" "promtool is not installed (scripts/setup.sh)"
	totals
fi

if out=$(promtool check rules "$rules" 2>&1); then
	ok "promtool check rules: $(printf '%s\n' "$out" | grep -o '[0-9]* rules found')"
else
	not_ok "promtool check rules"
	printf '%s\n' "$out" | sed 's/^/#   /'
fi

if out=$(promtool test rules "$tests" 2>&1); then
	ok "promtool test rules: each alert fires where it must, and only there"
else
	not_ok "promtool test rules"
	printf '%s\n' "$out" | sed 's/^/#   /'
fi

untested=
for alert in $(sed -n 's/^ *- alert: *\([A-Za-z]*\).*/\1/p' "$rules"); do
	grep -q "alertname: $alert\$" "$tests" || untested="$untested $alert"
done
if [ -z "$untested" ]; then
	ok "every alert has a unit test"
else
	not_ok "alerts without a unit test:$untested"
fi

# A rule on a metric nobody writes would never fire: each passgate_*
# name (a histogram's by its family) is in a writer's source.
unknown=
for metric in $(grep -v '^ *#' "$rules" | grep -o 'passgate_[a-z_]*' | sort -u); do
	family=${metric%_bucket}
	grep -q "\"$family[\"{]" "$top"/gate/passgated/*.c \
		"$top"/gate/passgate-uplink/*.c || unknown="$unknown $metric"
done
if [ -z "$unknown" ]; then
	ok "every metric the rules read is written by passgated or the uplink"
else
	not_ok "metrics no program writes:$unknown"
fi
totals
