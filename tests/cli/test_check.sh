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

# -- hand-made pairs (issue 18): what the views must not hide
# gen NAME SPEC: a manifest from a compact spec, one client per item:
#   id[:b][:o][:p=POLICY][:v=LO-HI][:m=MTU][:c=TYPE/REQ/E1.E2...][:r=PRE.PRE][:s=SID]
gen() {
    /usr/bin/python3 - "$tmp/$1.json" "$2" <<'PY'
import json, sys
out, spec = sys.argv[1], sys.argv[2]
clients = []
for item in spec.split():
    f = item.split(":")
    c = {"id": int(f[0]), "name": "client %s" % f[0]}
    lo, hi, mtu, caps, pre, sid = 1, 1, 0, [], [], None
    for x in f[1:]:
        if x == "b": c["base"] = True
        elif x == "o": c["optional"] = True
        elif x.startswith("p="): c["policy"] = x[2:]
        elif x.startswith("v="): lo, hi = map(int, x[2:].split("-"))
        elif x.startswith("m="): mtu = int(x[2:])
        elif x.startswith("r="): pre = [int(y) for y in x[2:].split(".")]
        elif x.startswith("s="): sid = int(x[2:])
        elif x.startswith("c="):
            t, req, ents = x[2:].split("/")
            ct = {"id": int(t), "required": req == "1"}
            if ents: ct["entry"] = [int(y) for y in ents.split(".")]
            caps.append(ct)
    if pre: c["prerequisite"] = pre
    c["message-group"] = [{"id": 1, "message-type": [{"id": 1, "version": [
        {"number": v, "mtu": mtu} for v in range(lo, hi + 1)]}]}]
    c["capability-group"] = [{"id": 1, "capability-type": caps or [{"id": 0, "entry": [1]}]}]
    c["entity"] = [{"id": 1, "session-name": "session %s" % f[0], "message-group": 1, "capability-group": 1}]
    if sid: c["entity"][0]["session-id"] = sid
    clients.append(c)
json.dump({"issu-manifest:image": {"name": out, "version": "1.0", "client": clients}}, open(out, "w"), indent=1)
PY
}
pair() { "$issuctl" check --active "$tmp/$1.json" --standby "$tmp/$2.json" "${@:3}"; }

# five failing clients: the reason names three, the view lists all five, by client
gen many-a "3:b 4:b 10:s=95 11:s=94 12 13 14 20:r=10"
gen many-s "3:b 4:b 10:v=2-2 11:v=2-2 12:v=2-2 13:v=2-2 14:v=2-2 20"
expect_rc 1 "five failing clients" pair many-a many-s
expect_line "$tmp/out" "  6 clients incompatible: 10 client 10; 11 client 11; 12 client 12; and 3 more" "reason cut at three"
expect_line "$tmp/out" "Clients blocking the verdict (6):" "blocking list"
for cs in 10:95 11:94 12:3 13:4 14:5; do
    expect_line "$tmp/out" "    Session_ID = ${cs##*:}, Entity_ID = 1 : INCOMPATIBLE: no common version for message type 1: active 1~1, standby 2~2" "client ${cs%%:*} session listed"
done
expect_line "$tmp/out" "Client_ID = 20, Client_Name = client 20 : EFFECTIVELY INCOMPATIBLE" "20 via 10"
pair many-a many-s --json >"$tmp/many.json"
/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["issu-report:upgrade-report"]
assert r["blocking-client"] == [10, 11, 12, 13, 14, 20], r["blocking-client"]' "$tmp/many.json" && ok || fail "json blocking-client"
# the session sections come by client, not by session id
grep '^Session_ID = .* :$' "$tmp/out" | uniq | head -4 | tr '\n' ' ' >"$tmp/order"
[ "$(cat "$tmp/order")" = "Session_ID = 1 : Session_ID = 2 : Session_ID = 95 : Session_ID = 94 : " ] && ok ||
    fail "session order: $(cat "$tmp/order")"
grep '^\*\*\* Session_ID' "$tmp/out" | head -4 | cut -d, -f1 | tr '\n' ' ' >"$tmp/order"
[ "$(cat "$tmp/order")" = "*** Session_ID = 1 *** Session_ID = 2 *** Session_ID = 95 *** Session_ID = 94 " ] && ok ||
    fail "session list order: $(cat "$tmp/order")"

# a failed message type and failed capabilities say what failed (no "0", no "No cap value assigned")
gen fail-a "3:b 4:b 10:v=1-2 11:c=5/1/1.2 12:c=2/0/1"
gen fail-s "3:b 4:b 10:v=3-4 11:c=6/0/ 12:c=2/0/3"
expect_rc 1 "failed entries" pair fail-a fail-s
expect_line "$tmp/out" "  Message_Type = 1, Negotiated_Version = FAILED (no common version: active 1~2, standby 3~4)" "failed version"
expect_line "$tmp/out" "  Cap_Type = 5, Cap_Result = 0 Not negotiated: required by active, missing on standby; active entries 1,2" "required cap missing"
expect_line "$tmp/out" "  Cap_Type = 6, Cap_Result = 0 Not negotiated: missing on active (optional on standby); standby entries none" "optional cap one side"
expect_line "$tmp/out" "  Cap_Type = 2, Cap_Result = 0 Not negotiated: optional on both sides, no common entry: active 1, standby 3" "optional no common entry"
grep -q "Negotiated_Version = 0\|Cap_Result = 0 No cap value" "$tmp/out" && fail "a failure printed as a value" || ok
pair fail-a fail-s --json >"$tmp/fail.json"
yanglint -p "$src/yang" "$src/yang/issu-report.yang" "$tmp/fail.json" >"$tmp/lint" 2>&1 && ok || fail "json failed entries invalid: $(head -3 "$tmp/lint")"

# the same version with another MTU on each side: compatible, with a warning where it is read
gen mtu-a "3:b 4:b 10:m=20"
gen mtu-s "3:b 4:b 10:m=40"
expect_rc 0 "MTU differs" pair mtu-a mtu-s
expect_line "$tmp/out" "  Message_Type = 1, Negotiated_Version = 1, Message_MTU = 20 (WARNING: Message_MTU differs: active 20, standby 40)" "MTU warning, version"
expect_line "$tmp/out" "Warnings (1 session):" "warnings in the verdict view"
expect_line "$tmp/out" "    Session_ID = 3, Client_ID = 10, Entity_ID = 1 : warning: Message_MTU of message type 1 version 1 differs: active 20, standby 40" "warned session"
expect_line "$tmp/out" "Session_ID = 3 is COMPATIBLE, with a warning: Message_MTU of message type 1 version 1 differs: active 20, standby 40" "warning in the session section"
pair mtu-a mtu-s --json >"$tmp/mtu.json"
/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["issu-report:upgrade-report"]
s = [x for x in r["session"] if x["client-id"] == 10][0]
v = s["negotiated-version"][0]
assert (v["mtu"], v["peer-mtu"]) == (20, 40) and "differs" in v["warning"], v
assert s["result"] == "compatible" and s["reason"].startswith("warning: "), s' "$tmp/mtu.json" && ok || fail "json MTU warning"

# a client in one image only: UNAVAILABLE in the session list, with its reason
gen one-a "3:b 4:b 10 11:o"
gen one-s "3:b 4:b"
expect_rc 1 "one-sided client" pair one-a one-s
expect_line "$tmp/out" "   -      -   -        UNAVAILABLE -      -      -" "UNAVAILABLE row"
expect_line "$tmp/out" "  Reason: client present only on active; counts against the verdict" "one-sided reason"
expect_line "$tmp/out" "  Reason: client present only on active; optional: does not count against the verdict" "optional reason"
grep -c "UNAVAILABLE" "$tmp/out" | grep -qx 2 && ok || fail "two UNAVAILABLE clients"

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
