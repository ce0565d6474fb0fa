#!/bin/sh
# test_show.sh - `issuctl --socket` against a live issud: every `show issu`
# command for the seed's eight MPLS clients, compared line by line with the
# hand-written tests/data/expected/ texts; JSON, renegotiate, check-upgrade
# (same text and exit code as the offline check); unknown ids and an
# unreachable server fail with the documented exit codes.
#
# usage: test_show.sh SOURCE_DIR BIN_DIR
set -u
SRC=${1:?usage: test_show.sh SOURCE_DIR BIN_DIR}
BIN=${2:?usage: test_show.sh SOURCE_DIR BIN_DIR}
EXP=$SRC/tests/data/expected
IMG=$SRC/examples/images
TMP=$(mktemp -d /tmp/test_show.XXXXXX) || exit 1
SOCK=$TMP/issud.sock
PID=

cleanup() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

ISSU_YANG_DIR=$SRC/yang
export ISSU_YANG_DIR
"$BIN/issud" --active "$IMG/running.json" --standby "$IMG/upgrade-compatible.json" \
    --netconf-unix "$SOCK" 2>"$TMP/issud.log" &
PID=$!
i=0
while [ ! -S "$SOCK" ]; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$PID" 2>/dev/null; then
        echo "FAIL: issud did not open $SOCK"; cat "$TMP/issud.log"; exit 1
    fi
    sleep 0.1
done

ctl() { "$BIN/issuctl" --socket "$SOCK" "$@"; }

# expect FILE COMMAND...: exit 0 and stdout equal to FILE
expect() {
    f=$1; shift
    if ! ctl "$@" >"$TMP/out" 2>"$TMP/err"; then
        fail "$* exited non-zero: $(cat "$TMP/err")"
    elif diff -u "$EXP/$f" "$TMP/out"; then
        ok "$*"
    else
        fail "$* differs from $f"
    fi
}

# expect_exit CODE COMMAND...: that exit code and a message on stderr
expect_exit() {
    code=$1; shift
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc -ne "$code" ]; then
        fail "$* exited $rc, want $code"
    elif [ ! -s "$TMP/err" ]; then
        fail "$* printed no message on stderr"
    else
        ok "$* -> $rc: $(head -1 "$TMP/err")"
    fi
}

expect clients.txt show issu clients
expect comp_matrix.txt show issu comp-matrix
expect state.txt show issu state
for cs in 2011:46 2009:39 2008:19 2007:40 2030:131073 2031:196646 2089:45 2053:84; do
    c=${cs%%:*}; s=${cs##*:}
    expect sessions_$c.txt show issu sessions "$c"
    expect negotiated_version_$s.txt show issu negotiated version "$s"
    expect negotiated_capability_$s.txt show issu negotiated capability "$s"
    expect message_types_$c.txt show issu message types "$c"
    expect entities_$c.txt show issu entities "$c"
done

# JSON: the same facts, RFC 7951 (module-qualified top node)
if ctl --json show issu negotiated version 46 >"$TMP/j" &&
   /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["issu-agent:issu-state"]
s = d["session"]
assert len(s) == 1 and s[0]["session-id"] == 46 and s[0]["peer-session-id"] == 34, s
v = {x["message-type"]: (x["version"], x["mtu"]) for x in s[0]["negotiated-version"]}
assert v == {1: (2, 20), 2: (2, 20), 3: (2, 4)}, v' "$TMP/j"; then
    ok "--json show issu negotiated version 46"
else
    fail "--json show issu negotiated version 46"
fi
if ctl --json show issu message types 2031 >"$TMP/j" &&
   /usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["issu-agent:issu-state"]["running-image"]["client"]
assert [x["id"] for x in c] == [2031], c
t = [m["id"] for g in c[0]["message-group"] for m in g["message-type"]]
assert t == [101, 105], t' "$TMP/j"; then
    ok "--json show issu message types 2031"
else
    fail "--json show issu message types 2031"
fi

# renegotiate: the verdict, exit 0 (compatible)
if ctl renegotiate --client 2011 >"$TMP/out" 2>"$TMP/err" && grep -qx "Image verdict: COMPATIBLE" "$TMP/out"; then
    ok "renegotiate --client 2011"
else
    fail "renegotiate --client 2011: $(cat "$TMP/err")"
fi
if ctl renegotiate --session 46 >/dev/null 2>"$TMP/err"; then ok "renegotiate --session 46"; else fail "renegotiate --session 46: $(cat "$TMP/err")"; fi

# check-upgrade through issud: the offline check's text and exit code
for cand in upgrade-compatible:0 upgrade-base-level:1 upgrade-incompatible:2; do
    f=${cand%%:*}; want=${cand##*:}
    "$BIN/issuctl" check --active "$IMG/running.json" --standby "$IMG/$f.json" >"$TMP/off" 2>/dev/null
    off=$?
    ctl check --standby "$IMG/$f.json" >"$TMP/on" 2>"$TMP/err"
    on=$?
    if [ $off -ne "$want" ] || [ $on -ne "$want" ]; then
        fail "check $f: exit offline $off, remote $on, want $want ($(cat "$TMP/err"))"
    elif diff -u "$TMP/off" "$TMP/on"; then
        ok "check --standby $f.json (exit $on, same text as offline)"
    else
        fail "check --standby $f.json: text differs from the offline check"
    fi
done
printf '{"issu-manifest:image": {"name": 5' >"$TMP/bad.json"
expect_exit 3 ctl check --standby "$TMP/bad.json"

# unknown ids, bad ids, unreachable server
expect_exit 3 ctl show issu sessions 9999
expect_exit 3 ctl show issu negotiated version 9999
expect_exit 3 ctl show issu negotiated capability 9999
expect_exit 3 ctl show issu message types 9999
expect_exit 3 ctl show issu entities 9999
expect_exit 3 ctl --json show issu entities 9999
expect_exit 3 ctl renegotiate --client 9999
expect_exit 3 ctl renegotiate --session 9999
expect_exit 3 ctl show issu sessions 12x
expect_exit 3 ctl show issu frobnicate
expect_exit 4 "$BIN/issuctl" --socket "$TMP/nobody.sock" show issu clients

if ! kill -0 "$PID" 2>/dev/null; then
    fail "issud died"; cat "$TMP/issud.log"
fi
if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "all passed"
