#!/usr/bin/env bash
# Two issud negotiating over TCP on loopback, as an active and a standby
# processor would: the active (unique id 4, running.json) listens, the
# standby (unique id 7, upgrade-compatible.json) connects; both prove a
# pre-shared key generated here. A private snmpd (own config, AgentX socket
# and persistent dir in a temp dir, a free UDP port on 127.0.0.1) carries
# the active's ISSU-NEGOTIATION-MIB. Prints the `show issu` views from both
# sides and an snmptable of issuSessionTable, then stops everything.
# usage: examples/demo-peer.sh   (examples/demo.sh runs it at its end)
# env: ISSU_BUILD (default build)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
build=${ISSU_BUILD:-build}
images=examples/images
issud=$build/bin/issud
issuctl=$build/bin/issuctl

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
    sed -n '2,10s/^# \{0,1\}//p' "$0"
    exit 0
fi
[ -x "$issud" ] && [ -x "$issuctl" ] ||
    { echo "demo-peer: $issud or $issuctl not built (run examples/demo.sh)" >&2; exit 1; }
if ! "$issud" --help 2>&1 | grep -q -- --listen; then
    echo "demo-peer: skipped: this issud has no peer mode (--listen/--peer)"
    exit 0
fi

pids=()
tmp=$(mktemp -d "${TMPDIR:-/tmp}/issu-demo-peer.XXXXXX")
cleanup() {
    local rc=$? p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$tmp"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { # free_port tcp|udp
    /usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

# wait_until SECONDS WHAT COMMAND...: poll COMMAND every 0.2 s
wait_until() {
    local secs=$1 what=$2 i
    shift 2
    for i in $(seq $((secs * 5))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "demo-peer: $what did not happen within $secs s; logs:" >&2
    tail -n 20 "$tmp"/*.log >&2
    return 1
}

# all_negotiated SOCKET: every session of this side has a result
all_negotiated() {
    "$issuctl" --socket "$1" --json show issu sessions | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin).get("issu-agent:issu-state", {}).get("session", [])
sys.exit(0 if s and all(x["result"] in ("compatible", "incompatible") for x in s) else 1)'
}

snmp_env=(env SNMPCONFPATH="$tmp" SNMP_PERSISTENT_DIR="$tmp/persist" MIBS="")
# -m without "+": net-snmp's default list is not on a bare Debian (docs/SNMP.md)
mibopts=(-M "+$top/mibs" -m ISSU-NEGOTIATION-MIB:SNMPv2-MIB)
peer_up() {
    [ "$("${snmp_env[@]}" snmpget -v2c -c issupublic "${mibopts[@]}" -t 1 -r 0 -OQvUe \
        "$agent" ISSU-NEGOTIATION-MIB::issuPeerState.0 2>/dev/null)" = 3 ]
}

# ---- the pre-shared key, only for this user ----
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/psk")

# ---- a private snmpd: AgentX master on a socket in $tmp ----
mkdir -m 700 "$tmp/persist"
agent=udp:127.0.0.1:$(free_port udp)
cat >"$tmp/snmpd.conf" <<EOF
agentAddress $agent
master agentx
agentXSocket $tmp/agentx
agentXPerms 0600 0700
rocommunity issupublic 127.0.0.1 .1.3.6.1.4.1.8072.9999.9999.2011
EOF
"${snmp_env[@]}" snmpd -f -Lo -C -c "$tmp/snmpd.conf" -p "$tmp/snmpd.pid" >"$tmp/snmpd.log" 2>&1 &
pids+=($!)
wait_until 10 "snmpd's AgentX socket" test -S "$tmp/agentx"

# ---- the two issud ----
port=$(free_port tcp)
printf '\n=== two issud over TCP on 127.0.0.1:%s (pre-shared key %s, mode 0600)\n' "$port" "$tmp/psk"
set -- --manifest "$images/running.json" --unique-id 4 --side active --listen "127.0.0.1:$port" \
    --psk-file "$tmp/psk" --netconf-unix "$tmp/active.sock" --agentx "$tmp/agentx"
echo "\$ issud $*"
ISSU_YANG_DIR=$top/yang "$issud" "$@" 2>"$tmp/active.log" &
pids+=($!)
set -- --manifest "$images/upgrade-compatible.json" --unique-id 7 --side standby \
    --peer "127.0.0.1:$port" --psk-file "$tmp/psk" --netconf-unix "$tmp/standby.sock"
echo "\$ issud $*"
ISSU_YANG_DIR=$top/yang "$issud" "$@" 2>"$tmp/standby.log" &
pids+=($!)
wait_until 20 "negotiation on the active" all_negotiated "$tmp/active.sock"
wait_until 20 "negotiation on the standby" all_negotiated "$tmp/standby.sock"
wait_until 20 "the active's subagent showing the peer up" peer_up
echo "both sides negotiated; the active's log:"
sed 's/^/    /' "$tmp/active.log"

for side in active standby; do
    for cmd in "show issu clients" "show issu sessions 2011"; do
        printf '\n=== %s (%s)\n$ issuctl --socket %s %s\n' "$side" \
            "$([ $side = active ] && echo "unique id 4" || echo "unique id 7")" "$tmp/$side.sock" "$cmd"
        # shellcheck disable=SC2086
        "$issuctl" --socket "$tmp/$side.sock" $cmd
    done
done

printf '\n=== the active through SNMP (private snmpd at %s)\n' "$agent"
echo "\$ snmptable -v2c -c issupublic -M +mibs -m ISSU-NEGOTIATION-MIB:SNMPv2-MIB -Cb -Ci $agent issuSessionTable"
"${snmp_env[@]}" snmptable -v2c -c issupublic "${mibopts[@]}" -Cb -Ci "$agent" \
    ISSU-NEGOTIATION-MIB::issuSessionTable
printf '\nstopping both issud and snmpd\n'
