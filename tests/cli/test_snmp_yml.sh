#!/bin/sh
# test_snmp_yml.sh - examples/monitoring/snmp.yml is what generate.sh makes
# from generator.yml and the MIB today (never edited by hand, never stale),
# and generator-0.23.yml holds the same modules in upstream's >= 0.23 format
# (auths at the top, no version/auth in a module).
# Usage: test_snmp_yml.sh SOURCE_DIR
src=${1:?usage: test_snmp_yml.sh SOURCE_DIR}
mon=$src/examples/monitoring
tmp=$(mktemp -d /tmp/test_snmp_yml.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

if ! "$mon/generate.sh" "$tmp/snmp.yml" 2>"$tmp/err"; then
    echo "FAIL: generate.sh: $(cat "$tmp/err")"
    exit 1
fi
if ! diff -u "$mon/snmp.yml" "$tmp/snmp.yml" >"$tmp/diff"; then
    echo "FAIL: examples/monitoring/snmp.yml differs from what generate.sh makes now" \
         "(run examples/monitoring/generate.sh and commit snmp.yml):"
    head -40 "$tmp/diff"
    fail=1
fi
grep -q '^issu:$' "$tmp/snmp.yml" && grep -q '^issu_detail:$' "$tmp/snmp.yml" ||
    { echo "FAIL: snmp.yml lacks the modules issu and issu_detail"; fail=1; }

/usr/bin/python3 - "$mon" <<'PY' || fail=1
import sys, yaml
mon = sys.argv[1]
old = yaml.safe_load(open(mon + "/generator.yml"))
new = yaml.safe_load(open(mon + "/generator-0.23.yml"))
bad = []
auths = new.get("auths", {})
for name, m in old["modules"].items():
    want = {k: v for k, v in m.items() if k not in ("version", "auth")}
    got = new.get("modules", {}).get(name)
    if got != want:
        bad.append("module %s differs between generator.yml and generator-0.23.yml" % name)
    if got and ("version" in got or "auth" in got):
        bad.append("module %s of generator-0.23.yml keeps version/auth" % name)
    cred = dict(m.get("auth", {}), version=m.get("version"))
    if cred not in auths.values():
        bad.append("no auths entry of generator-0.23.yml matches module %s's %s" % (name, cred))
if set(new.get("modules", {})) != set(old["modules"]):
    bad.append("the two files name different modules")
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY

[ $fail = 0 ] && echo "snmp.yml is generate.sh's output; generator-0.23.yml matches"
exit $fail
