#!/usr/bin/env bash
# issuctl check end to end: verdicts and exit codes for the example images,
# the reasons in plain words, JSON that validates against issu-report, and
# bad input (usage, missing file, every invalid manifest of tests/data) giving
# exit 3 with one message naming the file, and nothing on stdout.
#   test_check.sh ISSUCTL SOURCE_DIR
set -u
issuctl=$1
src=$2
img=$src/examples/images
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
pass=0

ok()   { pass=$((pass + 1)); }
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

expect_rc() { # WANT DESC CMD...
    local want=$1 desc=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" = "$want" ]; then ok; else fail "$desc: exit $rc, want $want; stderr: $(head -3 "$tmp/err")"; fi
}

expect_line() { # FILE LINE DESC
    if grep -qxF -- "$2" "$1"; then ok; else fail "$3: no line '$2' in $(basename "$1")"; fi
}

check() { "$issuctl" check --active "$img/running.json" --standby "$@"; }

# -- verdicts and exit codes
expect_rc 0 compatible check "$img/upgrade-compatible.json"
expect_line "$tmp/out" "Image verdict: COMPATIBLE" compatible
expect_line "$tmp/out" "  Message_Type = 3, Negotiated_Version = 2, Message_MTU = 4" "LDP type 3"
expect_line "$tmp/out" "  Message_Type = 1, Negotiated_Version = 2, Message_MTU = 8" "LSD 1~2 -> 2"
expect_line "$tmp/out" "  Compat_Result: raw_result = COMPATIBLE, policy_result = COMPATIBLE" "LSD policy"
expect_line "$tmp/out" "  Cap_Type = 0, Cap_Result = 1 No cap value assigned" "TE capability"
expect_line "$tmp/out" "*** Session_ID = 46, Session_Name = LDP Session :" "LDP session"
expect_line "$tmp/out" "   7      34  PRIMARY  COMPATIBLE  1      1      0" "LDP session row"

expect_rc 1 base-level check "$img/upgrade-base-level.json"
expect_line "$tmp/out" "Image verdict: BASE-LEVEL COMPATIBLE" base-level
expect_line "$tmp/out" "    reason: no common version for message type 3: active 2~2, standby 3~3" "LDP reason"
expect_line "$tmp/out" "    chain: 2053 -> 2100" "TE chain"

expect_rc 2 incompatible check "$img/upgrade-incompatible.json"
expect_line "$tmp/out" "Image verdict: INCOMPATIBLE" incompatible
expect_line "$tmp/out" "    reason: prerequisite 2007 ISSU LSD Label Mgr HA Client is incompatible" "LDP via LSD"
expect_line "$tmp/out" "    chain: 2011 -> 2007 -> 4" "LDP chain"

# the XML form of the running image negotiates the same
expect_rc 0 "xml active" "$issuctl" check --active "$img/running.xml" --standby "$img/upgrade-compatible.json"

# -- JSON: valid against the YANG module, same verdict as the text
for c in compatible base-level incompatible; do
    "$issuctl" check --active "$img/running.json" --standby "$img/upgrade-$c.json" --json >"$tmp/$c.json" 2>"$tmp/err"
    if yanglint -p "$src/yang" "$src/yang/issu-report.yang" "$tmp/$c.json" >"$tmp/lint" 2>&1; then ok; else fail "json $c invalid: $(head -3 "$tmp/lint")"; fi
done
grep -q '"verdict": "base-level-compatible"' "$tmp/base-level.json" && ok || fail "json verdict"
# ... and the validation is real: a corrupted report is refused
sed 's/"verdict": "compatible"/"verdict": "maybe"/' "$tmp/compatible.json" >"$tmp/corrupt.json"
if yanglint -p "$src/yang" "$src/yang/issu-report.yang" "$tmp/corrupt.json" >/dev/null 2>&1; then fail "yanglint accepted a bad verdict"; else ok; fi
/usr/bin/python3 - "$tmp/base-level.json" <<'PY' && ok || fail "json facts"
import json, sys
r = json.load(open(sys.argv[1]))["issu-report:upgrade-report"]
cl = {c["id"]: c for c in r["client"]}
assert cl[2011]["result"] == "incompatible", cl[2011]
assert cl[2053]["effective-result"] == "incompatible" and cl[2053]["chain"] == [2053, 2100], cl[2053]
s = {s["session-id"]: s for s in r["session"]}
assert s[46]["peer-session-id"] == 34 and s[46]["role"] == "primary"
nv = {v["message-type"]: v for v in s[46]["negotiated-version"]}
assert "version" not in nv[3] and nv[1]["version"] == 2, nv
PY

# -- bad input: exit 3, one message naming the file, nothing negotiated
expect_rc 3 "no args" "$issuctl" check
expect_rc 3 "unknown command" "$issuctl" frobnicate
expect_rc 3 "missing file" check "$tmp/nonexistent.json"
grep -q "nonexistent.json: No such file" "$tmp/err" && ok || fail "missing file message"
for f in "$src"/tests/data/manifests/bad-* "$src"/tests/data/manifests/empty.json; do
    expect_rc 3 "$(basename "$f")" check "$f"
    [ -s "$tmp/out" ] && fail "$(basename "$f"): printed a report"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -qF "$(basename "$f")" "$tmp/err" && ok ||
        fail "$(basename "$f"): want one line naming the file, got: $(cat "$tmp/err")"
done
# a 50 MB file is refused before it is read
truncate -s 50M "$tmp/huge.json"
expect_rc 3 "50 MB manifest" check "$tmp/huge.json"
grep -q "huge.json" "$tmp/err" && ok || fail "huge file message: $(cat "$tmp/err")"

echo "$pass passed, $fails failed"
[ "$fails" = 0 ]
