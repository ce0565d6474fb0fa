#!/bin/sh
# test_show.sh - `issuctl --socket` against a live issud: every `show issu`
# command for the seed's eight MPLS clients, compared line by line with the
# hand-written tests/data/expected/ texts; JSON, renegotiate, check-upgrade
# (same text and exit code as the offline check); unknown ids and an
# unreachable server fail with the documented exit codes; options after the
# command words; the log lines (units, counts, a TCP probe of the SSH port,
# missing files); then two issud in peer mode, the standby killed: the
# session views say their values are from the last negotiation, state and
# renegotiate exit 5 (no peer).
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
APID=
SPID=

cleanup() {
    for p in $PID $APID $SPID; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ISSU_YANG_DIR=$SRC/yang
export ISSU_YANG_DIR
# SSH too, for the probe below (keys made here)
SSHPORT=$(free_port)
ssh-keygen -q -t ed25519 -N '' -C tester -f "$TMP/client" || exit 1
cp "$TMP/client.pub" "$TMP/authorized_keys"
"$BIN/issud" --active "$IMG/running.json" --standby "$IMG/upgrade-compatible.json" \
    --netconf-unix "$SOCK" --netconf-ssh "127.0.0.1:$SSHPORT" --ssh-host-key "$TMP/host.pem" \
    --ssh-authorized-keys "$TMP/authorized_keys" 2>"$TMP/issud.log" &
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

# mask_time FILE: the value of "Last Change = " (a date-and-time) reads
# <date-and-time>, as in the expected files; anything else stays and fails
mask_time() {
    sed -E 's/^( +Last Change = )[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/\1<date-and-time>/' \
        "$1" >"$1.masked" && mv "$1.masked" "$1"
}

# expect_as CODE FILE COMMAND...: exit CODE and stdout equal to FILE
expect_as() {
    code=$1; f=$2; shift 2
    ctl "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    mask_time "$TMP/out"
    if [ $rc -ne "$code" ]; then
        fail "$* exited $rc, want $code: $(cat "$TMP/err")"
    elif diff -u "$EXP/$f" "$TMP/out"; then
        ok "$* (exit $rc)"
    else
        fail "$* differs from $f"
    fi
}

# expect FILE COMMAND...: exit 0 and stdout equal to FILE
expect() { expect_as 0 "$@"; }

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
expect comp_matrix.txt show issu comp-matrix summary
expect comp_matrix_negotiated.txt show issu comp-matrix negotiated
expect comp_matrix_stored.txt show issu comp-matrix stored
expect state.txt show issu state
expect state_detail.txt show issu state detail
expect message_groups.txt show issu message groups
for cs in 2011:46 2009:39 2008:19 2007:40 2030:131073 2031:196646 2089:45 2053:84; do
    c=${cs%%:*}; s=${cs##*:}
    expect sessions_$c.txt show issu sessions "$c"
    expect negotiated_version_$s.txt show issu negotiated version "$s"
    expect negotiated_capability_$s.txt show issu negotiated capability "$s"
    expect message_types_$c.txt show issu message types "$c"
    expect message_groups_$c.txt show issu message groups "$c"
    expect entities_$c.txt show issu entities "$c"
done

# state as JSON: switchover-ready, the counts' inputs, exit by the verdict
if ctl --json show issu state >"$TMP/j" &&
   /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["issu-agent:issu-state"]
assert d["verdict"] == "compatible" and d["endpoint"]["switchover-ready"] is True, d.get("endpoint")
assert d["local"]["unique-id"] == 4 and d["peer"]["unique-id"] == 7, (d["local"], d["peer"])
assert len(d["client"]) == 54 and len(d["session"]) == 57, (len(d["client"]), len(d["session"]))
assert all(s["result"] == "compatible" for s in d["session"]), d["session"][:3]' "$TMP/j"; then
    ok "--json show issu state"
else
    fail "--json show issu state"
fi

# options after the command words work; unknown ones say where options go
ctl --json show issu clients >"$TMP/j1" 2>&1
ctl show issu clients --json >"$TMP/j2" 2>"$TMP/err"
if [ $? -eq 0 ] && cmp -s "$TMP/j1" "$TMP/j2" && grep -q '"issu-agent:issu-state"' "$TMP/j2"; then
    ok "show issu clients --json = --json show issu clients"
else
    fail "show issu clients --json: $(head -2 "$TMP/err")"
fi
if "$BIN/issuctl" show issu clients --socket "$SOCK" >"$TMP/out" 2>"$TMP/err" && diff -q "$EXP/clients.txt" "$TMP/out" >/dev/null; then
    ok "show issu clients --socket PATH"
else
    fail "show issu clients --socket PATH: $(head -2 "$TMP/err")"
fi
expect_exit 3 ctl show issu clients -x
grep -q "before or after the command words" "$TMP/err" && ok "-x: says where options go" ||
    fail "-x: the message does not say where options go: $(cat "$TMP/err")"

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

# renegotiate: the verdict and that client's or session's result, exit 0 (compatible)
expect renegotiate_client_2011.txt renegotiate --client 2011
expect renegotiate_session_46.txt renegotiate --session 46
expect renegotiate.txt renegotiate
if ctl renegotiate --client 2011 --json >"$TMP/j" 2>"$TMP/err" && grep -q '"issu-agent:output"\|"verdict": "compatible"' "$TMP/j"; then
    ok "renegotiate --client 2011 --json"
else
    fail "renegotiate --client 2011 --json: $(head -2 "$TMP/err")"
fi

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
expect_exit 3 ctl show issu message groups 9999
expect_exit 4 "$BIN/issuctl" --socket "$TMP/nobody.sock" show issu clients

# ---- log lines: figures with their units; a session count is not a change count
if grep -q "negotiation 1 with peer 7 done: 57 sessions, 57 session results changed, verdict COMPATIBLE (changed)" \
        "$TMP/issud.log" && ! grep -q "58 changed" "$TMP/issud.log"; then
    ok "log: 57 sessions, 57 session results changed"
else
    fail "log: negotiation line: $(grep 'negotiation 1 with peer 7' "$TMP/issud.log")"
fi
# a plain TCP probe of the SSH port (a port scan, a readiness check) is not an error
/usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5).close()' "$SSHPORT"
sleep 0.5
if grep -q " ERROR" "$TMP/issud.log"; then
    fail "log: ERROR lines: $(grep ' ERROR' "$TMP/issud.log")"
else
    ok "log: no ERROR after a TCP probe of the SSH port"
fi
# missing files: "No such file", and no second line calling it an I/O error
"$BIN/issud" --active "$TMP/missing.json" --netconf-unix "$TMP/x.sock" >"$TMP/m.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "$TMP/missing.json: No such file or directory" "$TMP/m.log" &&
   ! grep -q "input/output error" "$TMP/m.log"; then
    ok "missing manifest: No such file (exit $rc)"
else
    fail "missing manifest (exit $rc): $(cat "$TMP/m.log")"
fi
"$BIN/issud" --netconf-unix "$TMP/y.sock" --netconf-ssh "127.0.0.1:$(free_port)" \
    --ssh-host-key "$TMP/nodir/host.pem" --ssh-authorized-keys "$TMP/authorized_keys" >"$TMP/m.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "$TMP/nodir/host.pem: cannot write the host key: No such file or directory" "$TMP/m.log" &&
   ! grep -q "input/output error" "$TMP/m.log"; then
    ok "host key in a missing directory: No such file (exit $rc)"
else
    fail "host key in a missing directory (exit $rc): $(cat "$TMP/m.log")"
fi

if ! kill -0 "$PID" 2>/dev/null; then
    fail "issud died"; cat "$TMP/issud.log"
fi

# ---- peer mode: the standby lost after one negotiation
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/psk")
PPORT=$(free_port)
ASOCK=$TMP/active.sock
"$BIN/issud" --manifest "$IMG/running.json" --unique-id 4 --side active --listen "127.0.0.1:$PPORT" \
    --psk-file "$TMP/psk" --netconf-unix "$ASOCK" 2>"$TMP/active.log" &
APID=$!
"$BIN/issud" --manifest "$IMG/upgrade-compatible.json" --unique-id 7 --side standby --peer "127.0.0.1:$PPORT" \
    --psk-file "$TMP/psk" --netconf-unix "$TMP/standby.sock" 2>"$TMP/standby.log" &
SPID=$!
actl() { "$BIN/issuctl" --socket "$ASOCK" "$@"; }
# wait_state CODE: until `show issu state` exits CODE (10 s)
wait_state() {
    i=0
    until actl show issu state >/dev/null 2>&1; [ $? -eq "$1" ]; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then
            return 1
        fi
        sleep 0.1
    done
}
if wait_state 0; then
    ok "peer mode: negotiated (show issu state exit 0)"
    kill "$SPID"
    wait "$SPID" 2>/dev/null
    SPID=
    if wait_state 5; then
        ok "peer mode: standby killed: show issu state exit 5 (no verdict)"
        ctl() { actl "$@"; }
        expect_as 5 peer_down/state.txt show issu state
        expect peer_down/sessions_2011.txt show issu sessions 2011
        expect peer_down/negotiated_version_46.txt show issu negotiated version 46
        expect peer_down/negotiated_capability_46.txt show issu negotiated capability 46
        expect peer_down/comp_matrix_negotiated.txt show issu comp-matrix negotiated
        expect_exit 5 actl renegotiate
        grep -q "no peer connected" "$TMP/err" && ok "renegotiate: no peer connected" ||
            fail "renegotiate without a peer: $(cat "$TMP/err")"
        expect_exit 5 actl renegotiate --client 2011
        actl --json show issu state >/dev/null 2>&1
        rc=$?
        [ $rc -eq 5 ] && ok "--json show issu state without a peer: exit 5" ||
            fail "--json show issu state without a peer: exit $rc"
    else
        fail "peer mode: show issu state did not exit 5 after the standby was killed"
        cat "$TMP/active.log"
    fi
else
    fail "peer mode: never negotiated"; cat "$TMP/active.log" "$TMP/standby.log"
fi
if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "all passed"
