#!/usr/bin/env bash
# Monitoring demo on loopback: two router pairs (issud on its embedded pair:
# pe1 compatible, pe2 base-level), each under its own private snmpd, one
# snmp_exporter and one Prometheus with examples/monitoring's alert rules
# and fleet console. Prints the console's URL, then waits: Ctrl-C stops
# everything. With --background it returns and leaves the stack running
# until `demo.sh stop`. Installs missing packages and builds build/ first.
# Its files: $ISSU_DEMO_DIR, default ${TMPDIR:-/tmp}/issu-monitoring-demo.
# usage: examples/monitoring/demo.sh [--background | stop [DIR]]
set -euo pipefail

mon=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$mon/../.." && pwd)
build=${ISSU_BUILD:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
state=${ISSU_DEMO_DIR:-${TMPDIR:-/tmp}/issu-monitoring-demo}
images=$top/examples/images
root=.1.3.6.1.4.1.8072.9999.9999.2011

usage() { echo "usage: examples/monitoring/demo.sh [--background | stop [DIR]]" >&2; exit 3; }

free_port() { # free_port tcp|udp
    /usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

# stop_all: every process of $state/pids (name PID per line), by PID, only
# while it still runs the program recorded (a PID reused since is left alone).
stop_all() {
    local name pid n=0
    [ -r "$state/pids" ] || { echo "demo: nothing to stop ($state/pids not found)"; return 0; }
    while read -r name pid; do
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${name:0:15}" ]; then
            kill "$pid" 2>/dev/null && n=$((n + 1))
        fi
    done < <(tac "$state/pids")
    for _ in $(seq 50); do
        local alive=0
        while read -r name pid; do
            [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${name:0:15}" ] && alive=1
        done <"$state/pids"
        [ $alive -eq 0 ] && break
        sleep 0.1
    done
    rm -rf "$state"
    echo "demo: stopped $n processes, removed $state"
}

# start NAME LOG CMD...: one process in the background, recorded in $state/pids
start() {
    local name=$1 log=$2
    shift 2
    "$@" >"$state/$log" 2>&1 &
    echo "$name $!" >>"$state/pids"
}

wait_until() { # wait_until SECONDS WHAT CMD...
    local secs=$1 what=$2
    shift 2
    for _ in $(seq $((secs * 10))); do
        "$@" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "demo: $what did not happen within $secs s (logs in $state)" >&2
    return 1
}

# pair NAME STANDBY: snmpd (own config, persistent dir, port, AgentX socket)
# and issud --agentx under it; prints the snmpd's address.
pair() {
    local name=$1 standby=$2 dir=$state/$1 port
    mkdir -p "$dir/persist"
    cp "$images/running.json" "$dir/active.json"
    cp "$images/$standby" "$dir/standby.json"
    port=$(free_port udp)
    cat >"$dir/snmpd.conf" <<EOF
agentAddress udp:127.0.0.1:$port
master agentx
agentXSocket $dir/agentx
agentXPerms 0600 0700
# as examples/snmpd.conf: a hung issud costs a scrape at most 2 x 2 s, under
# snmp_exporter's 5 s per request
agentXTimeout 2
agentXRetries 1
view issuView included $root
view issuView included .1.3.6.1.2.1.1
rocommunity issupublic 127.0.0.1 -V issuView
EOF
    SNMP_PERSISTENT_DIR=$dir/persist MIBS='' start snmpd "$name-snmpd.log" \
        snmpd -f -Lo -C -c "$dir/snmpd.conf" -p "$dir/snmpd.pid"
    wait_until 15 "$name: snmpd's AgentX socket" test -S "$dir/agentx"
    start issud "$name-issud.log" "$build/bin/issud" --active "$dir/active.json" \
        --standby "$dir/standby.json" --agentx "$dir/agentx" --netconf-unix "$dir/netconf.sock"
    wait_until 15 "$name: issud's socket" test -S "$dir/netconf.sock"
    echo "127.0.0.1:$port"
}

up_stack() {
    local t1 t2 eport pport
    mkdir -p "$state/targets"
    : >"$state/pids"
    t1=$(pair pe1 upgrade-compatible.json)
    t2=$(pair pe2 upgrade-base-level.json)
    cat >"$state/targets/pairs.yml" <<EOF
- targets: [$t1]
  labels: {pair: pe1, site: demo}
- targets: [$t2]
  labels: {pair: pe2, site: demo}
EOF
    eport=$(free_port tcp)
    start prometheus-snmp-exporter exporter.log prometheus-snmp-exporter \
        "--config.file=$mon/snmp.yml" "--web.listen-address=127.0.0.1:$eport"
    # prometheus.yml of the tree, pointed at these files, a 5 s interval
    sed -e "s#/etc/prometheus/issu-alerts.yml#$mon/issu-alerts.yml#" \
        -e "s#/etc/prometheus/issu-targets/#$state/targets/#" \
        -e "s#127.0.0.1:9116#127.0.0.1:$eport#" \
        -e "s#scrape_interval: 30s#scrape_interval: 5s#" \
        -e "s#evaluation_interval: 30s#evaluation_interval: 5s#" \
        -e "s#scrape_timeout: 10s#scrape_timeout: 5s#" \
        "$mon/prometheus.yml" >"$state/prometheus.yml"
    pport=${ISSU_DEMO_PROM_PORT:-$(free_port tcp)}
    start prometheus prometheus.log prometheus "--config.file=$state/prometheus.yml" \
        "--storage.tsdb.path=$state/tsdb" "--web.listen-address=127.0.0.1:$pport" \
        "--web.console.templates=$mon/consoles" "--web.console.libraries=$mon/console_libraries" \
        --web.local-assets=/usr/share/prometheus/web/
    prom=http://127.0.0.1:$pport
    wait_until 60 "Prometheus's first scrape of both pairs" /usr/bin/python3 -c '
import json, sys, urllib.request
r = json.load(urllib.request.urlopen(sys.argv[1] + "/api/v1/query?query=count(issuImageVerdict%3D%3D1)"))
sys.exit(0 if [v["value"][1] for v in r["data"]["result"]] == ["2"] else 1)' "$prom"
    cat <<EOF

The fleet console:   $prom/consoles/issu-fleet.html
A pair's clients:    $prom/consoles/issu-pair.html?instance=$t2
Alerts:              $prom/alerts
Router pairs:        pe1 (compatible) snmpd $t1, pe2 (base-level) snmpd $t2
                     (SNMPv2c community issupublic; issuctl --socket $state/pe2/netconf.sock show issu state)
Alerts after about 1 min: pe2's IssuVerdictNotCompatible (warning: base-level).
Make pe2 incompatible (critical, and IssuBaseClientIncompatible, about 1 min later):
  cp $images/upgrade-incompatible.json $state/pe2/standby.json && kill -HUP $(awk '$1 == "issud" {p = $2} END {print p}' "$state/pids")
Files and logs:      $state
EOF
}

mode=foreground
case ${1:-} in
    "") ;;
    --background) mode=background ;;
    stop) [ $# -le 2 ] || usage; state=${2:-$state}; stop_all; exit 0 ;;
    -h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) usage ;;
esac
[ $# -le 1 ] || usage

if [ -e "$state/pids" ]; then
    echo "demo: already running (or not stopped) from $state; first: $mon/demo.sh stop $state" >&2
    exit 1
fi
"$top/scripts/install-deps.sh"
if [ ! -x "$build/bin/issud" ]; then
    echo "== building $build"
    cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j"$(nproc)" --target issud issuctl >/dev/null
fi
mkdir -p "$state"
trap 'rc=$?; [ $rc -eq 0 ] || { echo "demo: failed; stopping what it started" >&2; stop_all; }' EXIT
up_stack
if [ $mode = background ]; then
    trap - EXIT
    echo "Stop it:             $mon/demo.sh stop $state"
    exit 0
fi
trap 'echo; stop_all; exit 0' INT TERM
trap 'rc=$?; [ ! -e "$state/pids" ] || stop_all; exit $rc' EXIT
echo "Stop it:             Ctrl-C (or from another shell: $mon/demo.sh stop $state)"
# until Ctrl-C, or until something else stopped the stack
while [ -e "$state/pids" ]; do
    sleep 1
done
trap - EXIT
