#!/bin/bash
# test_mib.sh - ISSU-NEGOTIATION-MIB: smilint at level 6 says nothing, and
# net-snmp loads it with the tables and notifications the agent serves.
# SMIPATH starts with ':' so libsmi keeps its default path and adds mibs/
# (where the SMIv2 base modules live when Debian lacks them).
# mibs/ alone resolves sysUpTime.0 and snmpTrapOID.0 (the SNMPv2-MIB
# stand-in). With BIN_DIR: docs/SNMP.md as a user on a bare Debian follows
# it: its "Running it" block (a private snmpd and issud, ports made free),
# then every snmp* command of the page against them; none may print "Cannot
# find module", each must succeed, and snmptable -Ci shows the index.
# Nothing is written outside a temp dir (SNMP_PERSISTENT_DIR is set).
# Usage: test_mib.sh SOURCE_DIR [BIN_DIR]
src=${1:?usage: test_mib.sh SOURCE_DIR [BIN_DIR]}
bin=${2:-}
pass=0 fail=0
ok() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

tmp=$(mktemp -d /tmp/test_mib.XXXXXX) || exit 1
pids=()
d=
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    [ -n "$d" ] && case $d in /tmp/*) rm -rf "$d" ;; esac
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# a user's clean environment: no ~/.snmp, and persistent files in $tmp
mkdir -p "$tmp/home" "$tmp/persist"
export HOME=$tmp/home SNMP_PERSISTENT_DIR=$tmp/persist
unset MIBS MIBDIRS SNMPCONFPATH

out=$(cd "$src" && SMIPATH=":$src/mibs" smilint -l 6 mibs/ISSU-NEGOTIATION-MIB.txt 2>&1)
[ -z "$out" ]; ok $? "smilint -l 6 reports: $out"

tree=$(cd "$src" && MIBS= snmptranslate -M +mibs -m +ISSU-NEGOTIATION-MIB -Tp \
        ISSU-NEGOTIATION-MIB::issuNegotiationMIB 2>/dev/null)
for t in issuClientTable issuEntityTable issuMsgTypeTable issuMsgVersionTable issuSessionTable \
         issuNegVersionTable issuNegCapTable issuClientDepTable issuSessionResultChanged \
         issuImageVerdictChanged issuRenegotiate issuNegotiationCount issuLastChange \
         issuStateGeneration; do
    grep -q "$t" <<<"$tree"; ok $? "snmptranslate -Tp lacks $t"
done
# the root the agent registers (ISSU_SNMP_ROOT in agent/snmp/snmp_face.h)
oid=$(cd "$src" && MIBS= snmptranslate -M +mibs -m +ISSU-NEGOTIATION-MIB -On \
        ISSU-NEGOTIATION-MIB::issuNegotiationMIB 2>/dev/null)
root=$(sed -n 's/^#define ISSU_SNMP_ROOT //p' "$src/agent/snmp/snmp_face.h" | tr -d ' ' | tr ',' '.')
[ "$oid" = ".$root" ]; ok $? "MIB root $oid differs from ISSU_SNMP_ROOT .$root"

# the two varbinds every notification starts with, by name, from mibs/ alone
M="-M +mibs -m ISSU-NEGOTIATION-MIB:SNMPv2-MIB"
for pair in sysUpTime.0=.1.3.6.1.2.1.1.3.0 snmpTrapOID.0=.1.3.6.1.6.3.1.1.4.1.0; do
    name=${pair%%=*} num=${pair#*=}
    # shellcheck disable=SC2086
    got=$(cd "$src" && snmptranslate $M -On "SNMPv2-MIB::$name" 2>"$tmp/err")
    [ "$got" = "$num" ] && [ ! -s "$tmp/err" ]; ok $? "SNMPv2-MIB::$name -> '$got' $(cat "$tmp/err")"
    # shellcheck disable=SC2086
    got=$(cd "$src" && snmptranslate $M "$num" 2>"$tmp/err")
    [ "$got" = "SNMPv2-MIB::$name" ] && [ ! -s "$tmp/err" ]; ok $? "$num -> '$got' $(cat "$tmp/err")"
done
# `-m +X` adds net-snmp's default list, which bare Debian lacks: never in what we tell users
hits=$(cd "$src" && grep -n -- '-m +' README.md docs/*.md examples/*.sh 2>/dev/null | grep -v 'not `-m +')
[ -z "$hits" ]; ok $? "-m + in the docs or examples: $hits"

if [ -z "$bin" ] || [ ! -x "$bin/issud" ]; then
    echo "$pass passed, $fail failed (no issud: docs/SNMP.md not run)"
    [ "$fail" = 0 ]
    exit
fi

free_udp() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_udp)
tport=$(free_udp)
# a fenced sh block of docs/SNMP.md after heading $1 (the first one), ports made free
block() {
    awk -v h="$1" 'index($0, h) == 1 {f = 1} f && /^```sh/ {g = 1; next} g && /^```/ {exit} g' "$src/docs/SNMP.md" |
        sed -e "s/127\.0\.0\.1:1161/127.0.0.1:$port/g" -e "s/127\.0\.0\.1:1162/127.0.0.1:$tport/g"
}
# (the wait for snmpd's socket bounded: a test does not hang)
run=$(block "## Running it" | sed -e "s#build/bin/#$bin/#g" -e 's/ &\( *#.*\)\{0,1\}$/ \& pids+=($!)/' \
      -e 's/^while \[ ! -S \(.*\) \]; do sleep 0.1; done/for _ in $(seq 100); do [ -S \1 ] \&\& break; sleep 0.1; done/')
# run it only when it is private: a temp dir, every daemon in the background,
# no system port, nothing under /var, /run or /etc (a test must not start a
# system snmpd, even from a page that tells users to)
private=1
priv() { # STATUS DESC: a condition for running the block
    [ "$1" = 0 ] || private=0
    ok "$1" "$2"
}
for bad in /var/ /run/ /etc/ ':161 ' ':161$' ':162 ' ':162$'; do
    ! grep -q -- "$bad" <<<"$run"; priv $? "docs/SNMP.md's Running it uses $bad: not run"
done
grep -q 'mktemp -d' <<<"$run"; priv $? "docs/SNMP.md's Running it makes no temp dir: not run"
! grep -E '^(snmpd|snmptrapd|.*issud) ' <<<"$run" | grep -vq 'pids+='
priv $? "docs/SNMP.md's Running it starts a daemon in the foreground: not run"
if [ $private = 0 ]; then
    echo "$pass passed, $fail failed"
    exit 1
fi
cd "$src" || exit 1
eval "$run" >"$tmp/run.out" 2>&1
case ${SNMP_PERSISTENT_DIR:-} in "$d"/*) ok 0 ;; *) ok 1 "Running it leaves the tools' files in ${SNMP_PERSISTENT_DIR:-/var/lib/snmp}" ;; esac
eval "$(block 'The examples run from the top')" # M, V2, V3
for i in $(seq 50); do
    # shellcheck disable=SC2086
    [ "$(snmpget $M $V2 -t 1 -r 0 -Oqv issuImageVerdict.0 2>/dev/null)" = compatible ] && break
    sleep 0.2
done
[ "$i" -lt 50 ]; ok $? "issud's MIB not served within 10 s of Running it: $(tail -5 "$tmp/run.out")"

# every snmp* command of the page's other blocks, as written (snmptrapd briefly)
n=0
while IFS= read -r cmd; do
    n=$((n + 1))
    case $cmd in
    snmptrapd*) eval "timeout 2 $cmd" >"$tmp/out" 2>&1; rc=$?; [ $rc = 124 ] && rc=0 ;;
    *) eval "timeout 20 $cmd" >"$tmp/out" 2>&1; rc=$? ;;
    esac
    ! grep -q "Cannot find module" "$tmp/out"; ok $? "'$cmd' prints: $(grep -m1 'Cannot find module' "$tmp/out")"
    [ $rc = 0 ]; ok $? "'$cmd' exited $rc: $(head -2 "$tmp/out")"
    case $cmd in snmptable*-Ci*issuSessionTable*)
        grep -q '^ *index ' "$tmp/out"; ok $? "'$cmd' shows no index column" ;;
    esac
done < <(awk '/^```sh/ {g = 1; next} /^```/ {g = 0} g' "$src/docs/SNMP.md" |
         sed -e "s/127\.0\.0\.1:1161/127.0.0.1:$port/g" -e "s/127\.0\.0\.1:1162/127.0.0.1:$tport/g" |
         grep -E '^snmp(get|walk|bulkwalk|table|set|translate|trapd) ')
[ "$n" -ge 15 ]; ok $? "only $n snmp commands found in docs/SNMP.md"
grep -q "Cannot find module" "$tmp/run.out"; [ $? = 1 ]; ok $? "Running it prints: $(grep -m1 'Cannot find module' "$tmp/run.out")"
# the trap sink: a renegotiation that changes nothing raises no trap; a
# trap's first two varbinds read by name (SNMPv2-MIB), through the doc's snmptrapd
echo "disableAuthorization yes" >"$d/trapd.conf"
# shellcheck disable=SC2086
snmptrapd -f -Lo -C -c "$d/trapd.conf" $M "udp:127.0.0.1:$tport" >"$tmp/traps" 2>&1 &
pids+=($!)
sleep 0.5
# shellcheck disable=SC2086
snmptrap $M -v2c -c issupublic "127.0.0.1:$tport" '' ISSU-NEGOTIATION-MIB::issuImageVerdictChanged \
    ISSU-NEGOTIATION-MIB::issuImageVerdict.0 i 1 >/dev/null 2>&1
sleep 0.5
grep -q "SNMPv2-MIB::sysUpTime.0 = .*SNMPv2-MIB::snmpTrapOID.0 = OID: ISSU-NEGOTIATION-MIB::issuImageVerdictChanged" \
    "$tmp/traps"; ok $? "snmptrapd shows: $(tail -2 "$tmp/traps")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
