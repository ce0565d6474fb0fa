#!/usr/bin/env bash
# Demo on a fresh Debian 12 machine: installs missing packages, builds build/
# when needed, shows the offline verdicts (`issuctl check`), then runs the
# agent, issud, on its embedded default (running.json active, the compatible
# candidate standby, both endpoints in one process) with NETCONF on a UNIX
# socket and over SSH on 127.0.0.1, prints what it serves; with --keep it
# leaves issud running and ends with how to connect to it (ssh, ncclient,
# issuctl), which works until you stop it.
# usage: examples/demo.sh [--keep]   (--keep leaves issud running)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
build=${ISSU_BUILD:-build}
images=examples/images
running=$images/running.json

ensure_deps() {
    "$top/scripts/install-deps.sh"
}

ensure_build() {
    if [ ! -f "$build/CMakeCache.txt" ]; then
        echo "== configuring $build/"
        cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    fi
    # Incremental: quick when up to date, rebuilds what changed otherwise.
    cmake --build "$build" -j"$(nproc)" >/dev/null ||
        { echo "demo: build failed; rerun: cmake --build $build" >&2; return 1; }
}

verdict_meaning() {
    case $1 in
        0) echo "compatible" ;;
        1) echo "base-level compatible (only non-base clients incompatible)" ;;
        2) echo "incompatible" ;;
        3) echo "bad input" ;;
        *) echo "unexpected exit status" ;;
    esac
}

# check_pair ACTIVE STANDBY: one `issuctl check`, with a heading and the
# meaning of its exit status. Fails only on bad input or a crash.
check_pair() {
    local active=$1 standby=$2 rc=0
    printf '\n=== %s (active) -> %s (standby)\n' "${active##*/}" "${standby##*/}"
    printf '$ %s check --active %s --standby %s\n' "$build/bin/issuctl" "$active" "$standby"
    # Only the verdict lines: the full report is ~1,000 lines.
    "$build/bin/issuctl" check --active "$active" --standby "$standby" >"$tmp/check.out" || rc=$?
    head -n 2 "$tmp/check.out"
    printf '    (%d more lines)\n' "$(($(wc -l <"$tmp/check.out") - 2))"
    printf -- '--> exit %d: %s\n' "$rc" "$(verdict_meaning "$rc")"
    [ "$rc" -le 2 ]
}

run_checks() {
    local candidate status=0 n=0
    # The compatible candidate first, then the others in name order.
    for candidate in "$images"/upgrade-compatible.json "$images"/*.json; do
        [ -e "$candidate" ] || continue
        [ "$candidate" = "$running" ] && continue
        [ "$candidate" = "$images/upgrade-compatible.json" ] && [ "$n" -gt 0 ] && continue
        n=$((n + 1))
        check_pair "$running" "$candidate" || status=1
    done
    if [ "$n" -eq 0 ]; then
        echo "demo: no upgrade candidates in $images/" >&2
        return 1
    fi
    return $status
}

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_issud() {
    [ -n "${issud_pid:-}" ] || return 0
    kill "$issud_pid" 2>/dev/null || true
    wait "$issud_pid" 2>/dev/null || true
    issud_pid=
}

on_exit() {
    local rc=$?
    if [ "$keep" -eq 0 ] || [ "$rc" -ne 0 ]; then
        stop_issud
        rm -rf "$tmp"
    fi
    exit $rc
}

# start_issud: the embedded default (no --active/--standby: running.json and
# upgrade-compatible.json of the source tree) with NETCONF on a UNIX socket
# and over SSH, keys in $tmp; waits until both listen.
start_issud() {
    ssh-keygen -q -t ed25519 -N '' -C "$user" -f "$tmp/client"
    cp "$tmp/client.pub" "$tmp/authorized_keys"
    port=$(free_port)
    sock=$tmp/netconf.sock
    printf '\n=== the agent: issud on its embedded default\n'
    printf '$ %s --netconf-unix %s --netconf-ssh 127.0.0.1:%s \\\n      --ssh-host-key %s --ssh-authorized-keys %s\n' \
        "$build/bin/issud" "$sock" "$port" "$tmp/host.pem" "$tmp/authorized_keys"
    "$build/bin/issud" --netconf-unix "$sock" --netconf-ssh "127.0.0.1:$port" \
        --ssh-host-key "$tmp/host.pem" --ssh-authorized-keys "$tmp/authorized_keys" \
        2>"$tmp/issud.log" &
    issud_pid=$!
    local i
    for i in $(seq 100); do
        kill -0 "$issud_pid" 2>/dev/null ||
            { echo "demo: issud exited; its log:" >&2; cat "$tmp/issud.log" >&2; issud_pid=; return 1; }
        if [ -S "$sock" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "issud serves (PID $issud_pid, log $tmp/issud.log)"
            return 0
        fi
        sleep 0.1
    done
    echo "demo: issud did not start serving within 10 s (iteration $i); its log:" >&2
    cat "$tmp/issud.log" >&2
    return 1
}

# show_served: the daemon's state, by issuctl over the socket when this
# build's issuctl speaks NETCONF, else by ncclient over SSH.
show_served() {
    if "$build/bin/issuctl" --help 2>&1 | grep -q -- --socket; then
        local cmd
        for cmd in "show issu state" "show issu clients" "show issu sessions 2011"; do
            printf '\n$ %s --socket %s %s\n' "$build/bin/issuctl" "$sock" "$cmd"
            # shellcheck disable=SC2086
            "$build/bin/issuctl" --socket "$sock" $cmd
        done
        return
    fi
    printf '\n$ (ncclient over SSH) <get> /issu-agent:issu-state\n'
    /usr/bin/python3 - "$port" "$tmp/client" "$user" <<'PY'
import sys
from ncclient import manager
port, key, user = int(sys.argv[1]), sys.argv[2], sys.argv[3]
NS = {"ia": "urn:issu-agent:yang:issu-agent"}
with manager.connect(host="127.0.0.1", port=port, username=user, key_filename=key,
                     hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=20) as m:
    d = m.get(filter=("subtree", '<issu-state xmlns="%s"/>' % NS["ia"])).data
    verdict = d.xpath("//ia:issu-state/ia:verdict/text()", namespaces=NS)
    print("verdict:  %s" % (verdict[0] if verdict else "(none)"))
    print("clients:  %d" % len(d.xpath("//ia:issu-state/ia:client", namespaces=NS)))
    print("sessions: %d" % len(d.xpath("//ia:issu-state/ia:session", namespaces=NS)))
    if not verdict:
        sys.exit(1)
PY
}

print_howto() {
    printf '\n=== connect to it yourself (issud PID %s keeps running)\n' "$issud_pid"
    printf 'issuctl over the UNIX socket:\n'
    local ctl=$build/bin/issuctl
    case $ctl in /*) ;; *) ctl=$top/$ctl ;; esac
    printf '  %s --socket %s show issu state\n' "$ctl" "$sock"
    printf 'NETCONF over SSH (subsystem "netconf"; type a <hello>, then RPCs ending in ]]>]]>):\n'
    printf '  ssh -s -p %s -i %s -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null %s@127.0.0.1 netconf\n' \
        "$port" "$tmp/client" "$user"
    printf 'ncclient (Debian: python3-ncclient, run with /usr/bin/python3):\n'
    cat <<EOF
/usr/bin/python3 - <<'PY'
from ncclient import manager
with manager.connect(host="127.0.0.1", port=$port, username="$user",
                     key_filename="$tmp/client", hostkey_verify=False,
                     allow_agent=False, look_for_keys=False) as m:
    print(m.get(filter=("xpath", ({"ia": "urn:issu-agent:yang:issu-agent"},
                                   "/ia:issu-state/ia:verdict"))).data_xml)
PY
EOF
}

keep=0
case ${1:-} in
    "") ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,7s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "usage: examples/demo.sh [--keep]" >&2; exit 3 ;;
esac
user=${USER:-$(id -un)}
user=${user%%@*}

ensure_deps
ensure_build
[ -r "$running" ] || { echo "demo: $running not found" >&2; exit 1; }
[ -x "$build/bin/issuctl" ] || { echo "demo: $build/bin/issuctl was not built" >&2; exit 1; }
[ -x "$build/bin/issud" ] || { echo "demo: $build/bin/issud was not built" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/issu-demo.XXXXXX")
issud_pid=
trap on_exit EXIT
trap 'exit 130' INT TERM

run_checks
start_issud
show_served
if [ "$keep" -eq 0 ]; then
    # instructions to reach a daemon about to stop would not work: say how to keep it
    printf '\nstopping issud (PID %s); examples/demo.sh --keep leaves it running and prints how to connect\n' \
        "$issud_pid"
    stop_issud
fi

# Two issud over TCP with a private snmpd: the active (uid 4) and the standby
# (uid 7) as separate processes, both `show issu` views and an snmptable.
ISSU_BUILD=$build "$top/examples/demo-peer.sh"

if [ "$keep" -eq 1 ]; then
    kill -0 "$issud_pid" 2>/dev/null || { echo "demo: issud (PID $issud_pid) exited; its log:" >&2; cat "$tmp/issud.log" >&2; exit 1; }
    print_howto
    printf '\nissud keeps running: PID %s, files in %s\nstop it: kill %s && rm -rf %s\n' \
        "$issud_pid" "$tmp" "$issud_pid" "$tmp"
    disown "$issud_pid"
fi
