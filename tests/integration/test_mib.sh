#!/bin/bash
# test_mib.sh - ISSU-NEGOTIATION-MIB: smilint at level 6 says nothing, and
# net-snmp loads it with the tables and notifications the agent serves.
# SMIPATH starts with ':' so libsmi keeps its default path and adds mibs/
# (where the SMIv2 base modules live when Debian lacks them).
# Usage: test_mib.sh SOURCE_DIR
src=${1:?usage: test_mib.sh SOURCE_DIR}
pass=0 fail=0
ok() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

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

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
