#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# passgate-issuer against the real minisign tool: what one signs, the
# other verifies, and both refuse a tampered list; keys made by either
# work with both.  TAP lines, then a kselftest "# Totals:" line.
#
# usage: selftests/host/minisign_interop.sh [BUILD_DIR]
#        (default $BUILD, else build; the issuer is BUILD_DIR/bin/passgate-issuer)
set -u

build=${1:-${BUILD:-build}}
issuer=$(realpath -m "$build/bin/passgate-issuer")
# shellcheck source=selftests/host/tap.sh
. "$(dirname "$0")/tap.sh"

# check DESCRIPTION EXPECTED_STATUS COMMAND...: the command's output goes
# to $work/out; shown when the status is not the expected one.
check() {
	local desc=$1 want=$2 got
	shift 2
	"$@" >"$work/out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $got, expected $want)"
		sed 's/^/#   /' "$work/out"
	fi
}

# grep_out DESCRIPTION PATTERN: the last command's output holds PATTERN.
grep_out() {
	if grep -q -- "$2" "$work/out"; then
		ok "$1"
	else
		not_ok "$1 (no \"$2\" in the output)"
		sed 's/^/#   /' "$work/out"
	fi
}

echo "TAP version 13"
if ! command -v minisign >/dev/null; then
	skipped "minisign interop" "minisign is not installed"
	totals
fi
if [ ! -x "$issuer" ]; then
	not_ok "passgate-issuer not found at $issuer"
	totals
fi

work=$(mktemp -d /tmp/passgate-minisign-interop.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# the trusted comment line of a signature, without its prefix
comment_of() { sed -n '3s/^trusted comment: //p' "$1"; }
# the key id of public key file $1, as minisign prints it but always 16
# digits (minisign 0.11 drops leading zeros in its comment line)
key_id_of() {
	sed -n 2p "$1" | base64 -d | od -An -v -tx1 -j2 -N8 | tr -s ' ' '\n' |
		grep . | tac | tr -d '\n' | tr a-f A-F
}
# flip the lowest bit of byte $2 of file $1
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

head -c 32 /dev/urandom > id.key
chmod 600 id.key		# a secret: passgate refuses it readable by others
cat > gen1.csv <<'EOF'
code,status,id_number,valid_from,valid_until,ticket
HC-0001,GREEN,110101199001011234,,,yes
HC-0002,YELLOW,,1700000000,1900000000,no
"HC,0003",RED,,,,
EOF
cat > gen2.csv <<'EOF'
code,status,id_number,valid_from,valid_until,ticket
HC-0001,GREEN,110101199001011234,,,no
"HC,0003",RED,,,,
HC-0004,GREEN,,,,yes
EOF

# -- keys: ours and minisign's
mkdir ours theirs
check "issuer keygen" 0 "$issuer" keygen --public ours/issuer.pub --secret issuer.sec
check "issuer keygen refuses to overwrite" 1 "$issuer" keygen --public ours/issuer.pub --secret other.sec
check "minisign -G -W" 0 minisign -G -W -p theirs/minisign.pub -s minisign.sec

# -- (a) signed by us, verified by minisign
check "issuer build" 0 "$issuer" build --secret issuer.sec --id-key id.key \
	--csv gen1.csv --generation 1 --expires +7d --station HZE -o gen1.list
check "(a) minisign -V accepts our signature" 0 minisign -Vm gen1.list -p ours/issuer.pub
grep_out "(a) minisign shows our trusted comment" \
	"Trusted comment: passgate-list v1 kind=full generation=1 base=0 not_before=[0-9]* expires=[0-9]* entries=3$"
check "(a) issuer verify accepts it" 0 "$issuer" verify --trust ours gen1.list
grep_out "(a) issuer verify prints the header" "generation: *1$"

# -- (d) minisign's key builds with our issuer, our key signs with minisign
check "(d) issuer build with a minisign -G -W key" 0 "$issuer" build \
	--secret minisign.sec --id-key id.key --csv gen1.csv --generation 3 \
	--expires +1d -o theirs.list
check "(d) minisign -V accepts it" 0 minisign -Vm theirs.list -p theirs/minisign.pub
check "(d) minisign -S signs with our secret key" 0 \
	minisign -S -s issuer.sec -m gen1.list -x gen1.again.minisig \
	-t "$(comment_of gen1.list.minisig)"
check "(d) minisign -V accepts that with our public key" 0 \
	minisign -Vm gen1.list -x gen1.again.minisig -p ours/issuer.pub

# -- (b) signed by minisign, verified by us
cp theirs.list resigned.list
check "(b) minisign -S with the format's trusted comment" 0 \
	minisign -S -s minisign.sec -m resigned.list -t "$(comment_of theirs.list.minisig)"
check "(b) issuer verify accepts minisign's signature" 0 \
	"$issuer" verify --trust theirs resigned.list
grep_out "(b) issuer verify names minisign's key id" \
	"key id: *$(key_id_of theirs/minisign.pub)$"
check "(b) issuer verify refuses it with another trust store" 1 \
	"$issuer" verify --trust ours resigned.list
grep_out "(b) ... as an unknown key id" "signature: unknown key id"
cp theirs.list other-comment.list
check "(b) minisign -S with minisign's default comment" 0 \
	minisign -S -s minisign.sec -m other-comment.list
check "(b) issuer verify refuses a comment that is not the header's" 1 \
	"$issuer" verify --trust theirs other-comment.list
grep_out "(b) ... saying so" "does not match the header"
cp theirs.list legacy.list
check "(b) minisign -S -l (legacy)" 0 \
	minisign -S -l -s minisign.sec -m legacy.list -t "$(comment_of theirs.list.minisig)"
check "(b) issuer verify refuses a legacy signature" 1 \
	"$issuer" verify --trust theirs legacy.list
grep_out "(b) ... saying so" "legacy (not prehashed)"

# -- (c) tampered: refused by both
cp gen1.list tampered.list
cp gen1.list.minisig tampered.list.minisig
flip tampered.list 150
check "(c) minisign -V refuses a tampered list" 1 minisign -Vm tampered.list -p ours/issuer.pub
check "(c) issuer verify refuses a tampered list" 1 "$issuer" verify --trust ours tampered.list
grep_out "(c) ... as a bad signature" "signature: does not verify"
cp resigned.list tampered2.list
cp resigned.list.minisig tampered2.list.minisig
flip tampered2.list 20
check "(c) minisign -V refuses a tampered header" 1 minisign -Vm tampered2.list -p theirs/minisign.pub
check "(c) issuer verify refuses a tampered header" 1 "$issuer" verify --trust theirs tampered2.list
sed -i '3s/generation=3/generation=4/' tampered2.list.minisig
cp resigned.list tampered2.list
check "(c) minisign -V refuses a tampered trusted comment" 1 minisign -Vm tampered2.list -p theirs/minisign.pub
check "(c) issuer verify refuses a tampered trusted comment" 1 "$issuer" verify --trust theirs tampered2.list

# -- deltas
check "issuer build generation 2" 0 "$issuer" build --secret issuer.sec --id-key id.key \
	--csv gen2.csv --generation 2 --expires +7d --station HZE -o gen2.list
check "issuer delta" 0 "$issuer" delta --secret issuer.sec --from gen1.list \
	--to gen2.list -o delta2.list
check "minisign -V accepts the delta" 0 minisign -Vm delta2.list -p ours/issuer.pub
check "issuer verify accepts the delta" 0 "$issuer" verify --trust ours --json delta2.list
grep_out "the delta: generation 2 on base 1, 3 entries" \
	'"kind":"delta","generation":2,"base_generation":1,.*"entries":3,'
mkdir both && cp ours/issuer.pub theirs/minisign.pub both/
check "issuer delta refuses lists of two keys" 1 "$issuer" delta --secret issuer.sec \
	--trust both --from theirs.list --to gen2.list -o bad.list
grep_out "... saying so" "not the same issuer key"
check "issuer delta refuses a list it cannot verify" 1 "$issuer" delta \
	--secret issuer.sec --from theirs.list --to gen2.list -o bad.list

# -- the issuer refuses bad input and writes nothing
printf 'code,status,id_number,valid_from,valid_until,ticket\nA,GREEN,,,,\nB,BLUE,,,,\n' > bad.csv
check "issuer build refuses a bad status" 1 "$issuer" build --secret issuer.sec \
	--id-key id.key --csv bad.csv --generation 9 --expires +1d -o bad.list
grep_out "... naming the line" "bad.csv: line 3: status is not GREEN, YELLOW or RED"
printf 'code,status,id_number,valid_from,valid_until,ticket\nA,GREEN,,,,\nB,RED,,,,\nA,RED,,,,\n' > dup.csv
check "issuer build refuses a duplicate code" 1 "$issuer" build --secret issuer.sec \
	--id-key id.key --csv dup.csv --generation 9 --expires +1d -o bad.list
grep_out "... naming both lines" "dup.csv: line 4: duplicate code (first on line 2)"
if [ -e bad.list ] || [ -e bad.list.minisig ]; then
	not_ok "nothing written for refused input"
else
	ok "nothing written for refused input"
fi
check "issuer build without --expires is a usage error" 2 "$issuer" build \
	--secret issuer.sec --csv gen1.csv --generation 1 -o bad.list

# -- digests as the kernel computes them
check "issuer digest" 0 "$issuer" digest --kind code HC
want=$(printf 'passgate/v1\x01HC' | sha256sum | cut -d' ' -f1)
grep_out "issuer digest is SHA-256(\"passgate/v1\" || 1 || token)" "^$want$"

# -- a password-protected minisign key, with the password in the environment
if printf 'secret\nsecret\n' | minisign -G -p theirs/encrypted.pub -s encrypted.sec \
	>/dev/null 2>&1; then
	check "encrypted key refused without PASSGATE_KEY_PASSWORD" 1 \
		env -u PASSGATE_KEY_PASSWORD "$issuer" build --secret encrypted.sec \
		--csv gen2.csv --id-key id.key --generation 1 --expires +1d -o enc.list
	grep_out "... saying how to unlock it" "set PASSGATE_KEY_PASSWORD"
	check "encrypted key works with PASSGATE_KEY_PASSWORD" 0 \
		env PASSGATE_KEY_PASSWORD=secret "$issuer" build --secret encrypted.sec \
		--csv gen2.csv --id-key id.key --generation 1 --expires +1d -o enc.list
	check "minisign -V accepts what it signed" 0 minisign -Vm enc.list -p theirs/encrypted.pub
else
	skipped "encrypted minisign key" "minisign -G did not take a password on stdin"
fi

totals
