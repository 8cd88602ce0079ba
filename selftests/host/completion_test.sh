#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The bash completion the packages install (dist/bash-completion/), held
# to the programs themselves: every passgatectl command its --help lists
# is offered, and nothing else; every passgate-issuer command and every
# option its --help names for that command; values where a verb takes a
# fixed set.  TAP lines, then a kselftest "# Totals:" line.
#
# usage: selftests/host/completion_test.sh [BUILD_DIR]   (default $BUILD, else build)
set -u

build=${1:-${BUILD:-build}}
here=$(cd "$(dirname "$0")" && pwd -P)
dist=$here/../../dist/bash-completion
# shellcheck source=selftests/host/tap.sh
. "$here/tap.sh"

# complete WORD...: what the completion offers for the last word, sorted,
# one line.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	"$fn"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
check() {	# DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got \"$2\", want \"$3\""; fi
}

echo "TAP version 13"
# shellcheck source=dist/bash-completion/passgatectl
. "$dist/passgatectl"
# shellcheck source=dist/bash-completion/passgate-issuer
. "$dist/passgate-issuer"

fn=_passgatectl
want=$("$build/bin/passgatectl" --help | sed -n 's/^  \([a-z-]\+\).*/\1/p' |
	sort | tr '\n' ' ' | sed 's/ $//')
got=$(complete_words passgatectl "" | tr ' ' '\n' | grep -v '^-' |
	tr '\n' ' ' | sed 's/ $//')
check "passgatectl: every command of its --help, nothing else" "$got" "$want"
check "passgatectl: options" "$(complete_words passgatectl --j)" "--json"
check "passgatectl --gate N COMMAND: the command after the gate" \
	"$(complete_words passgatectl --gate 1 fi)" "fire-reset"
check "passgatectl gate-mode: the gate modes" \
	"$(complete_words passgatectl --json gate-mode "")" "free-all lock-all normal"
want=$(sed -n '/event_type_names\[\] = {/,/^};/s/.*= "\([a-z-]*\)",/\1/p' \
	"$here/../../lib/names.c" | sort | tr '\n' ' ' | sed 's/ $//')
check "passgatectl log --type: the event types lib/names.c knows" \
	"$(complete_words passgatectl log --type "")" "$want"
check "passgatectl open all: the directions" \
	"$(complete_words passgatectl open all "")" "entry exit"

fn=_passgate_issuer
usage=$("$build/bin/passgate-issuer" --help)
want=$(printf '%s\n' "$usage" | sed -n 's/^  passgate-issuer \([a-z]*\) .*/\1/p' |
	sort | tr '\n' ' ' | sed 's/ $//')
got=$(complete_words passgate-issuer "" | tr ' ' '\n' | grep -v '^-' |
	tr '\n' ' ' | sed 's/ $//')
check "passgate-issuer: every command of its --help" "$got" "$want"
for cmd in $want; do
	# The options its usage names for the command (its line and the
	# lines that continue it).
	named=$(printf '%s\n' "$usage" | awk -v c="  passgate-issuer $cmd " \
		'index($0, c) == 1 { on = 1; print; next }
		 on && /^      / { print; next } { on = 0 }' |
		grep -o -- '--[a-z-]*\|-o ' | sed 's/ $//' | sort -u)
	offered=$(complete_words passgate-issuer "$cmd" - | tr ' ' '\n')
	missing=$(comm -23 <(printf '%s\n' "$named") <(printf '%s\n' "$offered" | sort -u) |
		tr '\n' ' ')
	check "passgate-issuer $cmd: every option its usage names" "$missing" ""
done
check "passgate-issuer digest --kind: the kinds" \
	"$(complete_words passgate-issuer digest --kind "")" "code id ticket"
totals
