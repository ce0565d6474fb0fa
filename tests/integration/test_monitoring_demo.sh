#!/usr/bin/env bash
# test_monitoring_demo.sh SOURCE_DIR BUILD_DIR - examples/monitoring/demo.sh
# as a user runs it: --background brings the stack up and prints the
# console's URL, which shows both router pairs; the printed stop command
# stops every process it started (by their PIDs) and removes its files.
set -u
src=$1 build=$2
tmp=$(mktemp -d /tmp/test_monitoring_demo.XXXXXX) || exit 1
state=$tmp/demo
fails=0 passes=0
ok() { echo "ok   $*"; passes=$((passes + 1)); }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
cleanup() { # whatever the demo left running: by the PIDs it recorded, while they run that
    local name pid
    if [ -r "$state/pids" ]; then
        while read -r name pid; do
            [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${name:0:15}" ] && kill "$pid"
        done <"$state/pids"
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ISSU_BUILD=$build ISSU_DEMO_DIR=$state "$src/examples/monitoring/demo.sh" --background \
    >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "demo.sh --background exit 0" || { fail "demo.sh --background exit $rc"; cat "$tmp/out"; }
url=$(sed -n 's/^The fleet console: *//p' "$tmp/out")
stop=$(sed -n 's/^Stop it: *//p' "$tmp/out")
pids=$(awk '{print $2}' "$state/pids" 2>/dev/null)
[ "$(echo "$pids" | wc -w)" -eq 6 ] && ok "six processes recorded" || fail "processes recorded: $pids"
page=$(/usr/bin/python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=20).read().decode())' "$url" 2>&1)
if grep -q 'data-pair="pe1"' <<<"$page" && grep -q 'data-pair="pe2"' <<<"$page" &&
   grep -q 'data-state="base-level compatible"' <<<"$page"; then
    ok "the printed console URL shows both pairs ($url)"
else
    fail "console $url: $(head -c 300 <<<"$page")"
fi
[ -n "$stop" ] && $stop >"$tmp/stop.out" 2>&1 && ok "printed stop command: $(cat "$tmp/stop.out")" ||
    fail "stop command '$stop': $(cat "$tmp/stop.out" 2>/dev/null)"
left=
for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
[ -z "$left" ] && ok "every process stopped" || fail "still running:$left"
[ ! -e "$state" ] && ok "its files removed" || fail "$state left behind"
echo "$passes passed, $fails failed"
exit $((fails > 0))
