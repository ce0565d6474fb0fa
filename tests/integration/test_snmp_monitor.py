#!/usr/bin/python3
"""test_snmp_monitor.py - what monitoring reads over SNMP (issue 12 items 1, 5).

In a private temp dir, on free loopback ports, each process killed by PID
(also on failure):
  - summary: a private snmpd (master agentx, agentXTimeout 1) and issud
    --agentx --netconf-unix on copies of the example images. For the
    compatible, the base-level and the incompatible standby image (SIGHUP in
    between), one GET of every issuSummary scalar equals the summary of
    `issuctl check --json` of the same images, the summary of the NETCONF
    state (`issuctl --socket --json show issu state`) and the counts this
    test makes itself from the report's client and session lists;
    issuSwitchoverReady equals the NETCONF switchover-ready;
  - the issuRenegotiate SET never holds the master: two issud in peer mode,
    the SNMP one active; the peer stopped (SIGSTOP) so the round cannot end
    (issud waits up to 10 s for it); the SET is answered at once with
    noError (before: it waited for the round, snmpd gave up after its
    agentXTimeout and said genErr), issuRenegotiateStatus reads running(2)
    meanwhile, a second SET is refused (inconsistentValue); SIGCONT: done(3)
    and issuNegotiationCount has grown;
  - an issud started before its snmpd says at once and once at WARN that
    the master is not reachable (before: net-snmp's warning came 15 s late,
    at debug level during startup), connects within a second or two of
    snmpd's start (before: 15 to 30 s) and says so at INFO; the MIB is
    served then.
Usage: test_snmp_monitor.py SOURCE_DIR BIN_DIR
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, free_port, summary, wait_for  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
IMAGES = os.path.join(SRC, "examples", "images")
MIBOPTS = ["-M", "+" + os.path.join(SRC, "mibs"), "-m", "ISSU-NEGOTIATION-MIB"]
V2C = ["-v2c", "-c", "issupublic"]
V3 = ["-v3", "-l", "authPriv", "-u", "issuadmin", "-a", "SHA", "-A", "issu-auth-pass",
      "-x", "AES", "-X", "issu-priv-pass"]
SUMMARY = [("issuClientsTotal", "clients-total"),
           ("issuClientsCompatible", "clients-compatible"),
           ("issuClientsIncompatible", "clients-incompatible"),
           ("issuClientsEffIncompatible", "clients-effectively-incompatible"),
           ("issuBaseClientsIncompatible", "base-clients-incompatible"),
           ("issuSessionsTotal", "sessions-total"),
           ("issuSessionsIncompatible", "sessions-incompatible"),
           ("issuSessionsUnknown", "sessions-unknown")]
VERDICT = {"compatible": "1", "base-level-compatible": "2", "incompatible": "3", "unknown": "4"}

procs = []
tmp = tempfile.mkdtemp(prefix="issu-snmpmon-")
env = dict(os.environ, SNMPCONFPATH=tmp, SNMP_PERSISTENT_DIR=os.path.join(tmp, "persist"),
           MIBS="")


def start(args, log):
    p = subprocess.Popen(args, stdout=open(os.path.join(tmp, log), "w"),
                         stderr=subprocess.STDOUT, env=env, cwd=tmp)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGCONT)  # a stopped process cannot die of SIGTERM
            p.terminate()
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def snmpd(name):
    """A private snmpd: master agentx on a socket of its own, agentXTimeout 1."""
    port = free_port(udp=True)
    sock = os.path.join(tmp, name + ".agentx")
    conf = os.path.join(tmp, name + ".conf")
    with open(conf, "w") as f:
        f.write("agentAddress udp:127.0.0.1:%d\n"
                "rocommunity issupublic 127.0.0.1\n"
                "createUser issuadmin SHA issu-auth-pass AES issu-priv-pass\n"
                "rwuser issuadmin priv\n"
                "master agentx\nagentXSocket %s\nagentXTimeout 1\nagentXRetries 1\n"
                % (port, sock))
    return conf, sock, "udp:127.0.0.1:%d" % port


def run_snmpd(name, conf):
    return start(["snmpd", "-f", "-Lo", "-C", "-c", conf, "-p",
                  os.path.join(tmp, name + ".pid")], name + ".log")


def snmp(tool, agent, *args, creds=V2C, timeout=30):
    r = subprocess.run([tool] + creds + MIBOPTS + ["-t", "5", "-r", "0", agent] + list(args),
                       capture_output=True, text=True, env=env, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def getn(agent, *names):
    """Values of names (instance .0) from ONE GET, enums numeric; None on error."""
    rc, out, _ = snmp("snmpget", agent, "-OQvUe", *[n + ".0" for n in names])
    vals = [v.strip().strip('"') for v in out.splitlines()]
    if rc != 0 or len(vals) != len(names) or any(v.startswith("No Such") for v in vals):
        return None
    return vals


def issuctl(*args):
    r = subprocess.run([os.path.join(BIN, "issuctl")] + list(args), capture_output=True,
                       text=True, env=env, timeout=120)
    return r


def counted(report):
    """The summary, counted here from the report's lists (the definitions in
    yang/issu-report.yang), independent of issud's code."""
    cl, ss = report.get("client", []), report.get("session", [])
    counts = lambda c: c.get("counts", True)  # noqa: E731
    return {
        "clients-total": len(cl),
        "clients-compatible": sum(c["effective-result"] == "compatible" for c in cl),
        "clients-incompatible": sum(counts(c) and c["result"] == "incompatible" for c in cl),
        "clients-effectively-incompatible": sum(
            counts(c) and c["result"] != "incompatible" and c["effective-result"] == "incompatible"
            for c in cl),
        "base-clients-incompatible": sum(c.get("base", False) and c["effective-result"] == "incompatible"
                                         for c in cl),
        "sessions-total": len(ss),
        "sessions-incompatible": sum(s["result"] == "incompatible" for s in ss),
        "sessions-unknown": sum(s["result"] == "unknown" for s in ss),
    }


def test_summary():
    conf, sock, agent = snmpd("sum")
    run_snmpd("sum", conf)
    check(wait_for(lambda: os.path.exists(sock), 30), "snmpd opened its AgentX socket")
    act, stb = os.path.join(tmp, "active.json"), os.path.join(tmp, "standby.json")
    nc = os.path.join(tmp, "sum.sock")
    shutil.copy(os.path.join(IMAGES, "running.json"), act)
    shutil.copy(os.path.join(IMAGES, "upgrade-compatible.json"), stb)
    issud = start([os.path.join(BIN, "issud"), "-a", act, "-s", stb, "--agentx", sock,
                   "--netconf-unix", nc], "sum-issud.log")
    gen = None
    for i, img in enumerate(("compatible", "base-level", "incompatible")):
        src = os.path.join(IMAGES, "upgrade-%s.json" % img)
        r = issuctl("check", "--active", act, "--standby", src, "--json")
        rep = json.loads(r.stdout)["issu-report:upgrade-report"]
        if i:
            shutil.copy(src, stb)
            issud.send_signal(signal.SIGHUP)
        # the state of this image: its verdict, and a new generation after a reload
        want_v = VERDICT[rep["verdict"]]
        def there(want_v=want_v, old=gen):
            v = getn(agent, "issuImageVerdict", "issuStateGeneration")
            return v is not None and v[0] == want_v and v[1] != old
        ok = wait_for(there, 30, 0.2)
        if not check(ok, "%s: issud serves the verdict %s over SNMP" % (img, rep["verdict"])):
            continue
        names = [m for m, _ in SUMMARY] + ["issuSwitchoverReady", "issuImageVerdict",
                                           "issuStateGeneration"]
        vals = getn(agent, *names)
        if not check(vals is not None, "%s: one GET of every issuSummary scalar" % img):
            continue
        gen = vals[-1]
        snmpv = {y: int(v) for (_, y), v in zip(SUMMARY, vals)}
        mine = counted(rep)
        check(rep.get("summary") == mine,
              "%s: issuctl check --json summary %s equals the counts of its lists %s"
              % (img, rep.get("summary"), mine))
        check(snmpv == rep.get("summary"),
              "%s: issuSummary %s equals issuctl check --json %s" % (img, snmpv, rep.get("summary")))
        r = issuctl("--socket", nc, "--json", "show", "issu", "state")
        st = json.loads(r.stdout).get("issu-agent:issu-state", {}) if r.stdout.strip() else {}
        ncsum = {k: int(v) for k, v in st.get("summary", {}).items()}
        check(ncsum == snmpv, "%s: NETCONF summary %s equals issuSummary %s" % (img, ncsum, snmpv))
        ready = st.get("endpoint", {}).get("switchover-ready")
        check(vals[len(SUMMARY)] == ("1" if ready else "2") and ready == (img == "compatible"),
              "%s: issuSwitchoverReady %s, NETCONF switchover-ready %s"
              % (img, vals[len(SUMMARY)], ready))
        check(snmpv["clients-incompatible"] + snmpv["clients-effectively-incompatible"]
              == len(rep.get("blocking-client", [])),
              "%s: incompatible + effectively incompatible = blocking clients" % img)
    return issud


def test_set_never_holds():
    conf, sock, agent = snmpd("set")
    run_snmpd("set", conf)
    check(wait_for(lambda: os.path.exists(sock), 30), "snmpd (set) opened its AgentX socket")
    key = os.path.join(tmp, "psk")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, b"a pre-shared key of this test, long enough\n")
    os.close(fd)
    port = free_port()
    a = start([os.path.join(BIN, "issud"), "--manifest", os.path.join(IMAGES, "running.json"),
               "--unique-id", "4", "--psk-file", key, "--listen", "127.0.0.1:%d" % port,
               "--agentx", sock], "set-active.log")
    s_sock = os.path.join(tmp, "set-standby.sock")
    s = start([os.path.join(BIN, "issud"), "--manifest",
               os.path.join(IMAGES, "upgrade-compatible.json"), "--unique-id", "7",
               "--psk-file", key, "--peer", "127.0.0.1:%d" % port, "--netconf-unix", s_sock],
              "set-standby.log")
    up = wait_for(lambda: (getn(agent, "issuPeerState") or [""])[0] == "3", 60, 0.2)
    if not check(up, "peer mode: the active issud serves issuPeerState up(3)"):
        return [a, s]
    count0 = int(getn(agent, "issuNegotiationCount")[0])
    check(getn(agent, "issuRenegotiateStatus") == ["1"], "issuRenegotiateStatus none(1) before any SET")
    s.send_signal(signal.SIGSTOP)  # the round cannot finish while the peer sleeps
    try:
        t0 = time.monotonic()
        rc, out, err = snmp("snmpset", agent, "issuRenegotiate.0", "u", "0", creds=V3)
        dt = time.monotonic() - t0
        check(rc == 0 and "Error" not in err + out and dt < 4,
              "SET with the round held up is answered at once with noError (%.2f s, rc %d: %s)"
              % (dt, rc, (err + out).strip()[-200:]))
        check(getn(agent, "issuRenegotiateStatus") == ["2"],
              "issuRenegotiateStatus running(2) while the round runs, and the master is served")
        rc, out, err = snmp("snmpset", agent, "issuRenegotiate.0", "u", "0", creds=V3)
        check(rc != 0 and "inconsistentValue" in err + out,
              "a second SET while the round runs is refused: %s" % (err + out).strip()[-200:])
    finally:
        s.send_signal(signal.SIGCONT)
    done = wait_for(lambda: (getn(agent, "issuRenegotiateStatus") or [""])[0] in ("3", "4"), 30, 0.2)
    st = getn(agent, "issuRenegotiateStatus", "issuNegotiationCount", "issuPeerState")
    check(done and st and st[0] == "3" and int(st[1]) > count0,
          "after SIGCONT: issuRenegotiateStatus done(3), issuNegotiationCount %s > %d (%s)"
          % (st and st[1], count0, st))
    return [a, s]


def test_master_log():
    conf, sock, agent = snmpd("late")
    issud = start([os.path.join(BIN, "issud"), "-a", os.path.join(IMAGES, "running.json"),
                   "-s", os.path.join(IMAGES, "upgrade-compatible.json"), "--agentx", sock],
                  "late-issud.log")
    log = os.path.join(tmp, "late-issud.log")
    text = lambda: open(log, errors="replace").read()  # noqa: E731
    warn = re.compile(r" WARN: snmp: AgentX master .* not reachable")
    check(wait_for(lambda: warn.search(text()), 20), "no snmpd: WARN that the master is not reachable")
    time.sleep(2.5)  # a few retries (one a second), which must stay quiet
    once = len(warn.findall(text())) == 1
    check(once, "the WARN is said once, not at each retry" + ("" if once else ":\n" + text()))
    snmpd_p = run_snmpd("late", conf)
    # net-snmp's own retry came every 15 s; issud's comes every second
    ok = wait_for(lambda: re.search(r" INFO: snmp: connected to the AgentX master", text()), 10)
    check(ok, "snmpd started after issud: INFO that issud connected" + ("" if ok else ":\n" + text()[-600:]))
    check(wait_for(lambda: getn(agent, "issuImageVerdict") == ["1"], 20, 0.2),
          "the MIB is served through the snmpd started after issud")
    return [issud, snmpd_p]


def main():
    os.makedirs(env["SNMP_PERSISTENT_DIR"])
    t0 = time.monotonic()
    try:
        stop(test_summary())
        for p in test_set_never_holds():
            stop(p)
        for p in test_master_log():
            stop(p)
    finally:
        for p in procs:
            stop(p)
        if os.environ.get("KEEP_TMP"):
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("took %.1f s" % (time.monotonic() - t0))
    return summary()


if __name__ == "__main__":
    sys.exit(main())
