#!/usr/bin/env bash
# test_demo.sh - examples/demo.sh, one of the README's two commands, as a
# new user runs it: it exits 0; without --keep it stops issud and prints no
# instructions to reach it (they would not work), only that --keep keeps it;
# with --keep every way it prints to connect works (issuctl over the
# socket, ncclient over SSH) while issud runs, and its stop line stops it.
# Also README's peer-mode recipe, run as written (ports made free): it
# works and writes nothing into the checkout.
#   test_demo.sh SOURCE_DIR BUILD_DIR
set -u
src=${1:?usage: test_demo.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: test_demo.sh SOURCE_DIR BUILD_DIR}
tmp=$(mktemp -d /tmp/test_demo.XXXXXX) || exit 1
kept=
kept_dir=
pids=()
cleanup() {
    local p
    for p in $kept "${pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    case $kept_dir in /tmp/issu-demo.*) rm -rf "$kept_dir" ;; esac
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fails=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# ---- without --keep
ISSU_BUILD=$build "$src/examples/demo.sh" >"$tmp/demo.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "demo.sh exit 0" || { fail "demo.sh exit $rc"; tail -20 "$tmp/demo.out"; }
if grep -q 'ssh -s\|manager.connect\|connect to it yourself' "$tmp/demo.out"; then
    fail "demo.sh without --keep tells how to reach an issud it then stops: $(grep -m1 'ssh -s\|manager.connect' "$tmp/demo.out")"
else
    ok "demo.sh without --keep prints no instructions for a stopped issud"
fi
grep -q -- "--keep leaves it running" "$tmp/demo.out" && ok "demo.sh says --keep" || fail "demo.sh does not mention --keep"

# ---- with --keep: each printed way in works
ISSU_BUILD=$build "$src/examples/demo.sh" --keep >"$tmp/keep.out" 2>&1
rc=$?
stop=$(sed -n 's/^stop it: //p' "$tmp/keep.out")
kept=$(sed -n 's/^issud keeps running: PID \([0-9]*\), files in .*/\1/p' "$tmp/keep.out")
kept_dir=$(sed -n 's/^issud keeps running: PID [0-9]*, files in \(.*\)$/\1/p' "$tmp/keep.out")
[ $rc -eq 0 ] && [ -n "$kept" ] && ok "demo.sh --keep exit 0, issud PID $kept" ||
    { fail "demo.sh --keep exit $rc"; tail -20 "$tmp/keep.out"; }
if [ -n "$kept" ] && kill -0 "$kept" 2>/dev/null; then
    ctl=$(grep -A1 '^issuctl over the UNIX socket:' "$tmp/keep.out" | tail -1)
    # shellcheck disable=SC2086
    if $ctl >"$tmp/state" 2>&1 && grep -q 'Image Verdict = COMPATIBLE' "$tmp/state"; then
        ok "printed issuctl command works"
    else
        fail "printed issuctl command '$ctl': $(head -3 "$tmp/state")"
    fi
    sed -n "/^\/usr\/bin\/python3 - <<'PY'\$/,/^PY\$/p" "$tmp/keep.out" >"$tmp/nc.sh"
    if [ -s "$tmp/nc.sh" ] && timeout 60 bash "$tmp/nc.sh" >"$tmp/nc.out" 2>&1 &&
       grep -q '<verdict>compatible</verdict>' "$tmp/nc.out"; then
        ok "printed ncclient snippet works"
    else
        fail "printed ncclient snippet: $(head -5 "$tmp/nc.out")"
    fi
    grep -q '^  ssh -s -p [0-9]* -i .* netconf$' "$tmp/keep.out" && ok "ssh command printed" ||
        fail "no ssh command printed"
    eval "$stop"
    for _ in $(seq 50); do kill -0 "$kept" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$kept" 2>/dev/null; then fail "the printed stop line left issud running"; else ok "stop line stops issud"; kept=; fi
else
    fail "issud not running after demo.sh --keep"
fi

# ---- README's peer-mode recipe, as written but on free ports
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)
recipe=$(awk '/^Two issud over the network/ {f = 1} f && /^```sh/ {g = 1; next} g && /^```/ {exit} g' "$src/README.md" |
         sed -e "s/127\.0\.0\.1:7400/127.0.0.1:$port/g" -e "s#build/bin/#$build/bin/#g" \
             -e 's/ &$/ \& pids+=($!)/')
grep -q 'pids+=' <<<"$recipe" || fail "README's peer recipe not found"
touch "$tmp/mark"
sleep 1
d=
cd "$src" || exit 1
eval "$recipe" >"$tmp/recipe.out" 2>&1
rc=$?
cd - >/dev/null || exit 1
case $d in /tmp/*) rm -rf "$d" ;; esac
grep -q 'Image Verdict = COMPATIBLE' "$tmp/recipe.out" && [ $rc -eq 0 ] && ok "README peer recipe works" ||
    fail "README peer recipe (exit $rc): $(grep -v 'INFO\|NOTICE' "$tmp/recipe.out" | head -5)"
new=$(cd "$src" && find . \( -path ./build -o -path "./build-*" -o -path ./.git \) -prune -o -newer "$tmp/mark" -print)
[ -z "$new" ] && ok "README peer recipe writes nothing into the checkout" ||
    fail "README peer recipe wrote into the checkout: $new"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "all passed"
