#!/usr/bin/env bash
# Demo on a fresh Debian 12 machine: installs missing packages, builds build/
# when needed, then shows the agent's verdicts. For now it runs `issuctl check`
# on the running image against each upgrade candidate in examples/images/;
# the daemon demo will replace run_demo() and reuse the rest.
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
    "$build/bin/issuctl" check --active "$active" --standby "$standby" || rc=$?
    printf -- '--> exit %d: %s\n' "$rc" "$(verdict_meaning "$rc")"
    [ "$rc" -le 2 ]
}

run_demo() {
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

ensure_deps
ensure_build
[ -r "$running" ] || { echo "demo: $running not found" >&2; exit 1; }
[ -x "$build/bin/issuctl" ] || { echo "demo: $build/bin/issuctl was not built" >&2; exit 1; }
run_demo
