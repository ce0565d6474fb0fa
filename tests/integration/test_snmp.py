#!/usr/bin/python3
"""test_snmp.py - issud's SNMP face against real net-snmp programs.

Starts, in a private temp dir and on free loopback ports: snmptrapd, snmpd
(own config, own persistent dir, master agentx on a UNIX socket) and issud
--agentx on copies of the example images. Then, with the MIB loaded
(-M +mibs -m +ISSU-NEGOTIATION-MIB):
  - every table (snmpbulkwalk) equals `issuctl check --json` of the same
    images, or the manifest itself for the image tables; snmpwalk (GETNEXT)
    equals snmpbulkwalk; snmptable and snmpget work;
  - v2c cannot SET; the SNMPv3 authPriv user can set issuRenegotiate and
    issuNegotiationCount grows; bad SETs are refused and change nothing;
  - a SIGHUP reload to an incompatible standby image raises both
    notifications at snmptrapd, with the objects an NMS needs, and the same
    events, in the same order and with the same reasons, as NETCONF
    notifications to an ncclient subscriber over SSH (one event model:
    one session whose result changed, five whose effective result changed,
    each with its chain, then the verdict);
  - snmpd killed and restarted: the subagent answers again within 5 s;
  - issuStateGeneration and issuLastChange read 20 times over 2 s with
    nothing happening never move; a renegotiation moves the generation, a
    reload that changes results moves issuLastChange too (a sysUpTime stamp
    of snmpd's clock, 0 after snmpd restarted);
  - while a thread reloads the standby image over and over (SIGHUP), a walk
    bracketed by two equal generations equals the state of that generation,
    and one GETBULK reads one state in all its repetitions (net-snmp's
    master sends each repetition to the subagent as its own GetNext).
Every process started here is killed by PID, also on failure.
Usage: test_snmp.py SOURCE_DIR BIN_DIR
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SRC, BIN = sys.argv[1], sys.argv[2]
MIBDIR = os.path.join(SRC, "mibs")
IMAGES = os.path.join(SRC, "examples", "images")
ROOT = ".1.3.6.1.4.1.8072.9999.9999.2011"
USER = ["-v3", "-l", "authPriv", "-u", "issuadmin", "-a", "SHA", "-A", "issu-auth-pass",
        "-x", "AES", "-X", "issu-priv-pass"]
V2C = ["-v2c", "-c", "issupublic"]
MIBOPTS = ["-M", "+" + MIBDIR, "-m", "+ISSU-NEGOTIATION-MIB"]
RES = {"compatible": 1, "incompatible": 2, "unknown": 3}
ROLE = {"primary": 1, "passive": 2, "none": 3}
PRESENCE = {"both": 1, "local-only": 2, "peer-only": 3, "local": 2, "peer": 3}
VERDICT = {"compatible": 1, "base-level-compatible": 2, "incompatible": 3, "unknown": 4}

passed = failed = 0
procs = []
tmp = tempfile.mkdtemp(prefix="issu-snmp-")
env = dict(os.environ)
env["SNMPCONFPATH"] = tmp           # no ~/.snmp or /etc/snmp config for the tools
env["SNMP_PERSISTENT_DIR"] = os.path.join(tmp, "persist")
env["MIBS"] = ""                    # only what -m names (Debian lacks the IETF MIBs)


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what, flush=True)
    return ok


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(args, log):
    p = subprocess.Popen(args, stdout=open(os.path.join(tmp, log), "w"),
                         stderr=subprocess.STDOUT, env=env, cwd=tmp)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def snmp(tool, *args, creds=V2C, timeout=20, mib=True):
    # Without the MIB the tools send whatever type they are given (to test
    # that the agent itself refuses a wrong type).
    mibopts = MIBOPTS if mib else ["-M", tmp, "-m", ""]
    r = subprocess.run([tool] + creds + mibopts + ["-t", "2", "-r", "1"] + list(args),
                       capture_output=True, text=True, env=env, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def walk(target, agent, tool="snmpbulkwalk", creds=V2C):
    """{(column name, index tuple): value} with enums and types numeric."""
    rc, out, err = snmp(tool, "-OQs", "-Oe", "-Ot", "-OU", agent, target, creds=creds)
    if not check(rc == 0, "%s %s: %s" % (tool, target, err.strip()[-300:])):
        return {}
    rows = {}
    for line in out.splitlines():
        if " = " not in line:
            continue
        name, val = line.split(" = ", 1)
        col, _, idx = name.partition(".")
        val = val.strip()
        if val.startswith("No more variables left"):
            continue  # endOfMibView after the last row of the view
        if val.startswith('"') and val.endswith('"') and len(val) >= 2:
            val = val[1:-1]
        if col.startswith("issuHist") and "issuHist" not in target:
            continue  # the history is not the state: checked by check_history()
        rows[(col, tuple(int(x) for x in idx.split(".") if x))] = val
    return rows


def check_history(agent, ncsock):
    """issuHistory after the start and one reload: the table, its newest id, get-next of what is new;
    the history names the SET's round snmp-set."""
    r = subprocess.run([os.path.join(BIN, "issuctl"), "--socket", ncsock, "show", "issu", "history"],
                       capture_output=True, text=True, timeout=60, env=env)
    order = [r.stdout.find(x) for x in ("(start)", "(netconf-rpc)", "(snmp-set)", "(reload)")]
    check(r.returncode == 0 and all(a >= 0 for a in order) and order == sorted(order),
          "show issu history: start, netconf-rpc, snmp-set (the SET's round), reload, in order (%s)" % order)
    rows = walk("ISSU-NEGOTIATION-MIB::issuHistory", agent)
    ids = sorted(k[1][0] for k in rows if k[0] == "issuHistKind")
    last = get1(agent, "ISSU-NEGOTIATION-MIB::issuHistLastEventId.0")
    check(len(ids) > 3 and last == str(ids[-1]), "issuHistoryTable: %d rows, the last %s = issuHistLastEventId"
          % (len(ids), last))
    check(rows.get(("issuHistKind", (ids[0],))) == "2" and rows.get(("issuHistTrigger", (ids[0],))) == "1" and
          rows.get(("issuHistKind", (ids[-1],))) == "4" and rows.get(("issuHistTrigger", (ids[-1],))) == "2",
          "the first row: peer back at start; the last: the reload's verdict change")
    check(all(rows.get(("issuHistReason", (i,))) for i in ids), "every row has its reason")
    rc, out, err = snmp("snmpgetnext", "-OQs", agent, "ISSU-NEGOTIATION-MIB::issuHistTime.%d" % (ids[-1] - 1))
    check(rc == 0 and out.startswith("issuHistTime.%d " % ids[-1]), "get-next from the newest id but one: "
          "only the newest (%s)" % out.strip()[:60])
    rc, out, err = snmp("snmpgetnext", "-OQs", agent, "ISSU-NEGOTIATION-MIB::issuHistTime.%d" % ids[-1])
    check(rc == 0 and not out.startswith("issuHistTime."), "get-next from the newest id: nothing new (%s)" %
          out.strip()[:40])
    rc, out, err = snmp("snmpget", "-OQs", "-Oe", agent, "ISSU-NEGOTIATION-MIB::issuHistNegotiationsTotal.0",
                        "ISSU-NEGOTIATION-MIB::issuNegotiationCount.0", "ISSU-NEGOTIATION-MIB::issuHistPersistent.0")
    v = dict(line.split(" = ", 1) for line in out.splitlines() if " = " in line)
    check(v.get("issuHistNegotiationsTotal.0") == v.get("issuNegotiationCount.0") and
          v.get("issuHistPersistent.0") == "2", "issuHistNegotiationsTotal = issuNegotiationCount in a first "
          "life; issuHistPersistent false without --state-dir (%s)" % v)
    rc, out, err = snmp("snmptable", "-Cf", "|", agent, "ISSU-NEGOTIATION-MIB::issuHistoryTable")
    check(rc == 0 and len(out.splitlines()) >= len(ids) + 2, "snmptable issuHistoryTable: " + err[-200:])


def get1(agent, obj, creds=V2C):
    rc, out, err = snmp("snmpget", "-OQvU", "-Oe", "-Ot", agent, obj, creds=creds)
    return out.strip().strip('"') if rc == 0 else None


def mib(name):
    return "ISSU-NEGOTIATION-MIB::" + name


def getn(agent, *objs, creds=V2C):
    """The values of objs from ONE GET (one PDU, so one state), or None."""
    rc, out, _ = snmp("snmpget", "-OQvU", "-Oe", "-Ot", agent, *objs, creds=creds)
    vals = [v.strip().strip('"') for v in out.splitlines()]
    if rc != 0 or len(vals) != len(objs) or any(v.startswith("No Such") for v in vals):
        return None
    return vals


def wait_for(cond, secs, step=0.1):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return False


def tv(b):
    return "1" if b else "2"


def differs(rows, want):
    return [k for k in sorted(set(rows) | set(want)) if rows.get(k) != want.get(k)]


def compare(rows, want, what):
    """rows/want: {(col, idx): value as text}. Report the first differences."""
    bad = differs(rows, want)
    for k in bad[:8]:
        print("  %s %s: snmp=%r expected=%r" % (what, k, rows.get(k), want.get(k)))
    return check(not bad, "%s: %d of %d values differ" % (what, len(bad), len(want)))


def expected_tables(report, manifest):
    cl = {c["id"]: c for c in report["client"]}
    sess = report["session"]
    w = {}
    for c in report["client"]:
        i = (c["id"],)
        eff = c["effective-result"]
        w[("issuClientName", i)] = c["name"]
        w[("issuClientBase", i)] = tv(c.get("base"))
        w[("issuClientOptional", i)] = tv(c.get("optional"))
        w[("issuClientPresence", i)] = str(PRESENCE[c["presence"]])
        w[("issuClientEntityCount", i)] = str(c["entity-count"])
        w[("issuClientResult", i)] = str(RES[c["result"]])
        w[("issuClientEffectiveResult", i)] = str(RES[eff])
        w[("issuClientCounts", i)] = tv(c.get("counts"))
        w[("issuClientReason", i)] = c.get("reason", "")
        w[("issuClientChain", i)] = " ".join(str(x) for x in c.get("chain", [])) \
            if eff == "incompatible" else ""
        w[("issuClientSessionCount", i)] = str(sum(1 for s in sess if s["client-id"] == c["id"]))
        for p in c.get("prerequisite", []):
            j = (c["id"], p)
            w[("issuClientDepName", j)] = cl[p]["name"] if p in cl else ""
            w[("issuClientDepResult", j)] = str(RES[cl[p]["result"]]) if p in cl else "3"
            w[("issuClientDepEffectiveResult", j)] = \
                str(RES[cl[p]["effective-result"]]) if p in cl else "3"
    for s in sess:
        i = (s["session-id"],)
        for col, key in (("Name", "session-name"), ("ClientId", "client-id"),
                         ("EntityId", "entity-id"), ("PeerUniqueId", "peer-unique-id"),
                         ("PeerSid", "peer-session-id"), ("CapGroupId", "cap-group"),
                         ("MsgGroupId", "msg-group"), ("Signature", "signature"),
                         ("NegoSessionId", "nego-session-id"),
                         ("NegoSessionName", "nego-session-name"),
                         ("TransportMtu", "transport-mtu")):
            w[("issuSession" + col, i)] = str(s[key])
        w[("issuSessionRole", i)] = str(ROLE[s["role"]])
        w[("issuSessionNegotiatedResult", i)] = str(RES[s["result"]])
        w[("issuSessionRawResult", i)] = str(RES[s["raw-result"]])
        w[("issuSessionPolicy", i)] = tv(s.get("policy"))
        w[("issuSessionEffectiveResult", i)] = str(RES[cl[s["client-id"]]["effective-result"]])
        w[("issuSessionReason", i)] = s.get("reason", "")
        for v in s.get("negotiated-version", []):
            j = (s["session-id"], v["message-type"])
            w[("issuNegVersionVersion", j)] = str(v.get("version", 0))
            w[("issuNegVersionMtu", j)] = str(v.get("mtu", 0))
        for c in s.get("negotiated-capability", []):
            j = (s["session-id"], c["cap-type"])
            w[("issuNegCapResult", j)] = str(c["result"])
            w[("issuNegCapHasEntry", j)] = tv("entry" in c)
            w[("issuNegCapNegotiatedEntry", j)] = str(c.get("entry", 0))
            w[("issuNegCapRequired", j)] = tv(c.get("required"))
    # image tables: the local (active) manifest itself
    img = manifest["issu-manifest:image"]
    sid_of = {(s["client-id"], s["entity-id"]): s["session-id"] for s in sess}
    for c in img["client"]:
        groups = {g["id"]: g for g in c.get("message-group", [])}
        for e in c.get("entity", []):
            i = (c["id"], e["id"])
            w[("issuEntitySessionName", i)] = e["session-name"]
            w[("issuEntityMsgGroupId", i)] = str(e["message-group"])
            w[("issuEntityCapGroupId", i)] = str(e["capability-group"])
            w[("issuEntitySessionId", i)] = str(sid_of.get(i, 0))
            w[("issuEntityTransportMtu", i)] = str(e.get("transport-mtu",
                                                         img.get("transport-mtu", 4096)))
            for t in groups[e["message-group"]].get("message-type", []):
                vs = sorted(v["number"] for v in t["version"])
                j = i + (t["id"],)
                w[("issuMsgTypeLowVersion", j)] = str(vs[0])
                w[("issuMsgTypeHighVersion", j)] = str(vs[-1])
                for v in t["version"]:
                    w[("issuMsgVersionMtu", j + (v["number"],))] = str(v.get("mtu", 0))
    return w


def report_of(active, standby):
    r = subprocess.run([os.path.join(BIN, "issuctl"), "check", "--active", active,
                        "--standby", standby, "--json"], capture_output=True, text=True)
    check(r.returncode in (0, 1, 2), "issuctl check: " + r.stderr.strip())
    return json.loads(r.stdout)["issu-report:upgrade-report"]


IA = "{urn:issu-agent:yang:issu-agent}"
TRAPS = {"issuPeerStateChanged": "peer-state-changed",
         "issuSessionResultChanged": "session-result-changed",
         "issuImageVerdictChanged": "verdict-changed"}


def trap_events(text):
    """[(notification, session id or None, reason)] of every trap snmptrapd
    logged in text (one trap's varbinds are one tab-separated line)."""
    import re
    out = []
    for line in text.splitlines():
        m = re.search(r"ISSU-NEGOTIATION-MIB::(issu\w+Changed)\t", line)
        if not m:
            continue
        sid = re.search(r"issuSessionClientId\.(\d+) = ", line)
        reason = re.search(r'issuEventReason\.0 = STRING: (?:"((?:[^"\\]|\\.)*)"|([^\t]*))', line)
        r = None
        if reason:
            r = reason.group(1) if reason.group(1) is not None else reason.group(2)
            r = r.replace('\\"', '"')
        out.append((TRAPS[m.group(1)], int(sid.group(1)) if sid else None, r))
    return out


def nc_events(m, secs):
    """[(notification, session id or None, reason, element)] an ncclient
    subscriber receives until a verdict-changed or secs pass."""
    from lxml import etree
    out = []
    end = time.time() + secs
    while time.time() < end:
        n = m.take_notification(timeout=max(0.1, end - time.time()))
        if n is None:
            continue
        root = etree.fromstring(n.notification_xml.encode())
        for name in TRAPS.values():
            ev = root.find(".//%s%s" % (IA, name))
            if ev is None:
                continue
            sid = ev.findtext(IA + "session-id")
            out.append((name, int(sid) if sid else None, ev.findtext(IA + "reason"), ev))
        if out and out[-1][0] == "verdict-changed":
            break
    return out


def ssh_keys():
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "tester@test",
                    "-f", os.path.join(tmp, "client")], check=True)
    shutil.copy(os.path.join(tmp, "client.pub"), os.path.join(tmp, "authorized_keys"))


def subscribe(port):
    from ncclient import manager
    m = manager.connect(host="127.0.0.1", port=port, username="tester",
                        key_filename=os.path.join(tmp, "client"), hostkey_verify=False,
                        allow_agent=False, look_for_keys=False, timeout=30)
    m.create_subscription()
    return m


UPTIME = ".1.3.6.1.2.1.1.3.0"  # snmpd's sysUpTime.0 (community issuup sees only it)
STAMP = [mib("issuStateGeneration.0"), mib("issuLastChange.0")]
BRACKET = [mib("issuStateGeneration.0"), mib("issuNegotiationCount.0"), mib("issuImageVerdict.0"),
           mib("issuPeerState.0")]


def uptime(agent):
    rc, out, _ = snmp("snmpget", "-OQvU", "-Ot", agent, UPTIME, creds=["-v2c", "-c", "issuup"],
                      mib=False)
    return int(out.strip()) if rc == 0 and out.strip().isdigit() else None


class Reloader(threading.Thread):
    """Reloads the standby image, compatible and incompatible in turn, every period seconds."""

    def __init__(self, issud, stb, period):
        super().__init__(daemon=True)
        self.issud, self.stb, self.period = issud, stb, period
        self.halt = threading.Event()
        self.reloads = 0

    def run(self):
        srcs = [os.path.join(IMAGES, "upgrade-incompatible.json"),
                os.path.join(IMAGES, "upgrade-compatible.json")]
        while not self.halt.is_set() and self.issud.poll() is None:
            shutil.copy(srcs[self.reloads % 2], self.stb + ".new")
            os.replace(self.stb + ".new", self.stb)  # issud never reads half a file
            self.issud.send_signal(signal.SIGHUP)
            self.reloads += 1
            self.halt.wait(self.period)

    def finish(self):
        """Stop, and leave the compatible image loaded."""
        self.halt.set()
        self.join()
        shutil.copy(os.path.join(IMAGES, "upgrade-compatible.json"), self.stb)
        self.issud.send_signal(signal.SIGHUP)


def churn_walks(agent, issud, stb, want_by_verdict):
    """Walks bracketed by GETs of BRACKET while the standby image keeps changing."""
    t0 = time.time()
    walk("ISSU-NEGOTIATION-MIB::issuObjects", agent)
    # a reload every 3 walks: some walks see one state, some a change (slow machines too)
    rel = Reloader(issud, stb, max(0.3, 3 * (time.time() - t0)))
    same = spanned = spanned_mixed = other = 0
    bad = []
    rel.start()
    try:
        end = time.time() + 60
        while time.time() < end and (same < 5 or spanned < 3):
            b0 = getn(agent, *BRACKET)
            rows = walk("ISSU-NEGOTIATION-MIB::issuObjects", agent)
            b1 = getn(agent, *BRACKET)
            if not b0 or not b1 or not rows:
                bad.append("a bracket GET or the walk failed")
                break
            tables = {k: v for k, v in rows.items() if k[1] != (0,)}
            if b0 != b1:  # the state changed during the walk: an NMS walks again
                spanned += 1
                if all(differs(tables, w) for w in want_by_verdict.values()):
                    spanned_mixed += 1
                continue
            gen, cnt, verdict, peer = b0
            walked = [rows.get((n, (0,))) for n in ("issuStateGeneration", "issuNegotiationCount",
                                                     "issuImageVerdict", "issuPeerState")]
            if walked != b0:
                bad.append("generation %s: walked scalars %s, bracket %s" % (gen, walked, b0))
            if peer != "3" or verdict not in want_by_verdict:
                other += 1  # between rounds: no image's full result to compare with
                continue
            d = differs(tables, want_by_verdict[verdict])
            if d:
                bad.append("generation %s (verdict %s): %d values differ, first %s: %r" %
                           (gen, verdict, len(d), d[0], tables.get(d[0])))
            else:
                same += 1
    finally:
        rel.finish()
    print("info: %d reloads; walks bracketed by one generation: %d equal to its image's state, "
          "%d between rounds; walks during a change: %d, %d of them mixing two states"
          % (rel.reloads, same, other, spanned, spanned_mixed), flush=True)
    check(not bad, "a walk bracketed by equal generations is one state: " + "; ".join(bad[:3]))
    check(same >= 5, "5 walks bracketed by equal generations (got %d)" % same)
    check(spanned >= 3, "the reloads changed the state during 3 walks (got %d)" % spanned)


def churn_bulks(agent, issud, stb, want_by_verdict):
    """One GETBULK is one state: the generation of its first and of its 16th repetition."""
    rel = Reloader(issud, stb, 0.05)
    gens, bad = set(), []
    rel.start()
    try:
        for _ in range(150):
            rc, out, err = snmp("snmpbulkget", "-OQsU", "-Oe", "-Ot", "-Cn1", "-Cr16", agent,
                                mib("issuRenegotiate.0"), mib("issuEndpoint"),
                                mib("issuSessionNegotiatedResult"))
            vb = [ln.split(" = ", 1) for ln in out.splitlines() if " = " in ln]
            g = [v for n, v in vb if n == "issuStateGeneration.0"]
            verdict = [v for n, v in vb if n == "issuImageVerdict.0"]
            peer = [v for n, v in vb if n == "issuPeerState.0"]
            res = {(n.split(".", 1)[0], (int(n.split(".", 1)[1]),)): v for n, v in vb
                   if n.startswith("issuSessionNegotiatedResult.")}
            if rc != 0 or len(g) != 2 or len(verdict) != 1 or len(res) != 16:
                bad.append("snmpbulkget: rc %d, %d varbinds, generations %s: %s"
                           % (rc, len(vb), g, err.strip()[-200:]))
                break
            gens.update(g)
            if g[0] != g[1]:
                bad.append("repetition 1 at generation %s, repetition 16 at %s" % (g[0], g[1]))
            elif peer == ["3"] and verdict[0] in want_by_verdict:
                want = want_by_verdict[verdict[0]]
                d = [k for k in res if res[k] != want.get(k)]
                if d:
                    bad.append("generation %s verdict %s: %s = %s" % (g[0], verdict[0], d[0],
                                                                       res[d[0]]))
    finally:
        rel.finish()
    print("info: %d reloads during the GETBULKs, %d generations seen" % (rel.reloads, len(gens)),
          flush=True)
    check(not bad, "every GETBULK answered from one state: " + "; ".join(bad[:3]))
    check(len(gens) >= 5, "the state changed during the GETBULKs (%d generations)" % len(gens))


def main():
    act = os.path.join(tmp, "active.json")
    stb = os.path.join(tmp, "standby.json")
    shutil.copy(os.path.join(IMAGES, "running.json"), act)
    shutil.copy(os.path.join(IMAGES, "upgrade-compatible.json"), stb)
    os.mkdir(env["SNMP_PERSISTENT_DIR"])
    port, tport = free_port(), free_port()
    ssh_port = free_port()
    ssh_keys()
    agent = "udp:127.0.0.1:%d" % port
    sock = os.path.join(tmp, "agentx")
    ncsock = os.path.join(tmp, "netconf.sock")
    conf = os.path.join(tmp, "snmpd.conf")
    with open(conf, "w") as f:
        f.write("agentAddress %s\nmaster agentx\nagentXSocket %s\nagentXPerms 0600 0700\n"
                "rocommunity issupublic 127.0.0.1 %s\n"
                "rocommunity issuup 127.0.0.1 %s\n"
                "createUser issuadmin SHA \"issu-auth-pass\" AES \"issu-priv-pass\"\n"
                "rwuser issuadmin priv %s\n"
                "trap2sink 127.0.0.1:%d issupublic\n" % (agent, sock, ROOT, UPTIME[:-2], ROOT,
                                                          tport))
    with open(os.path.join(tmp, "snmptrapd.conf"), "w") as f:
        f.write("disableAuthorization yes\n")
    snmpd_args = ["snmpd", "-f", "-Lo", "-C", "-c", conf, "-p", os.path.join(tmp, "snmpd.pid")]

    start(["snmptrapd", "-f", "-Lo", "-C", "-c", os.path.join(tmp, "snmptrapd.conf"),
           "-p", os.path.join(tmp, "snmptrapd.pid")] + MIBOPTS + ["udp:127.0.0.1:%d" % tport],
          "snmptrapd.log")
    snmpd = start(snmpd_args, "snmpd.log")
    if not check(wait_for(lambda: os.path.exists(sock), 10), "snmpd AgentX socket"):
        return
    # ISSUD_WRAPPER (e.g. "valgrind -q --log-file=vg.log") runs issud under a tool.
    wrapper = os.environ.get("ISSUD_WRAPPER", "").split()
    issud = start(wrapper + [os.path.join(BIN, "issud"), "--active", act, "--standby", stb,
                   "--agentx", sock, "--netconf-unix", ncsock,
                   "--netconf-ssh", "127.0.0.1:%d" % ssh_port,
                   "--ssh-host-key", os.path.join(tmp, "host.pem"),
                   "--ssh-authorized-keys", os.path.join(tmp, "authorized_keys")], "issud.log")
    if not check(wait_for(lambda: get1(agent, "ISSU-NEGOTIATION-MIB::issuPeerState.0") == "3",
                          10), "issud serves the MIB through snmpd with peer up"):
        return

    # ---- every table equals what issuctl check reports for the same images ----
    report = report_of(act, stb)
    manifest = json.load(open(act))
    want = expected_tables(report, manifest)
    rows = walk("ISSU-NEGOTIATION-MIB::issuObjects", agent)
    scal = {k: v for k, v in rows.items() if k[1] == (0,)}
    tables = {k: v for k, v in rows.items() if k[1] != (0,)}
    compare(tables, want, "tables vs issuctl check")
    for t in ("Client", "Entity", "MsgType", "MsgVersion", "Session", "NegVersion", "NegCap",
              "ClientDep"):
        check(any(k[0].startswith("issu" + t) for k in tables), "issu%sTable has rows" % t)
    check(scal.get(("issuLocalUniqueId", (0,))) == str(report["local"]["unique-id"]),
          "issuLocalUniqueId")
    check(scal.get(("issuPeerUniqueId", (0,))) == str(report["peer"]["unique-id"]),
          "issuPeerUniqueId")
    check(scal.get(("issuImageVerdict", (0,))) == str(VERDICT[report["verdict"]]),
          "issuImageVerdict %s" % scal.get(("issuImageVerdict", (0,))))
    check(scal.get(("issuPeerImageName", (0,))) == report["peer"]["image-name"],
          "issuPeerImageName")
    # GETNEXT walk gives the same as GETBULK
    check(walk("ISSU-NEGOTIATION-MIB::issuSessionTable", agent, "snmpwalk") ==
          {k: v for k, v in tables.items() if k[0].startswith("issuSession")},
          "snmpwalk equals snmpbulkwalk on issuSessionTable")
    rc, out, err = snmp("snmptable", "-Cf", "|", agent, "ISSU-NEGOTIATION-MIB::issuClientTable")
    check(rc == 0 and "ISSU LDP Client|" in out, "snmptable issuClientTable: " + err[-200:])
    rc, out, err = snmp("snmptable", "-Cf", "|", agent, "ISSU-NEGOTIATION-MIB::issuNegVersionTable")
    check(rc == 0 and len(out.splitlines()) > 10, "snmptable issuNegVersionTable")
    check(get1(agent, "ISSU-NEGOTIATION-MIB::issuSessionName.46") == "LDP Session",
          "snmpget issuSessionName.46 (seed's LDP session)")
    check(get1(agent, "ISSU-NEGOTIATION-MIB::issuNegVersionMtu.40.1") == "8",
          "snmpget issuNegVersionMtu.40.1 (seed's LSD: MTU 8)")
    rc, out, _ = snmp("snmpget", agent, "ISSU-NEGOTIATION-MIB::issuSessionName.999999")
    check("No Such Instance" in out, "snmpget of a missing session: noSuchInstance")

    # ---- a value that changes exactly when the state does ----
    reads = []
    for _ in range(20):
        reads.append(getn(agent, *STAMP))
        time.sleep(0.1)
    idle = reads[0]
    check(idle is not None and all(r == idle for r in reads),
          "issuStateGeneration and issuLastChange: 20 reads over 2 s with nothing happening "
          "are equal: %s" % sorted(set(map(str, reads))))
    up = uptime(agent)
    check(idle is not None and up is not None and int(idle[1]) <= up,
          "issuLastChange %s is a stamp of snmpd's sysUpTime (%s)" % (idle and idle[1], up))
    r = subprocess.run([os.path.join(BIN, "issuctl"), "--socket", ncsock, "renegotiate"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "issuctl --socket renegotiate: %d %s" % (r.returncode, r.stderr))
    after = getn(agent, *STAMP)
    check(idle is not None and after is not None and int(after[0]) > int(idle[0]),
          "a renegotiation moves issuStateGeneration (%s -> %s)"
          % (idle and idle[0], after and after[0]))
    check(idle is not None and after is not None and after[1] == idle[1],
          "a round that changed no result leaves issuLastChange (%s -> %s)"
          % (idle and idle[1], after and after[1]))

    # ---- SET ----
    count = lambda: int(get1(agent, "ISSU-NEGOTIATION-MIB::issuNegotiationCount.0") or -1)
    n0 = count()
    rc, out, err = snmp("snmpset", agent, "ISSU-NEGOTIATION-MIB::issuRenegotiate.0", "u", "2011")
    check(rc != 0 and ("noAccess" in err or "notWritable" in err), "v2c SET refused: " + err)
    check(count() == n0, "v2c SET changed nothing")
    rc, out, err = snmp("snmpset", agent, "ISSU-NEGOTIATION-MIB::issuRenegotiate.0", "u", "2011",
                        creds=USER)
    check(rc == 0, "v3 authPriv SET issuRenegotiate.0 = 2011: " + err)
    # the SET answers at once and the round runs after it (issuRenegotiateStatus)
    check(wait_for(lambda: get1(agent, "ISSU-NEGOTIATION-MIB::issuRenegotiateStatus.0") == "3"
                   and count() > n0, 20),
          "issuRenegotiateStatus done and issuNegotiationCount grew after the SET (%d -> %d)"
          % (n0, count()))
    check(get1(agent, "ISSU-NEGOTIATION-MIB::issuRenegotiate.0", creds=USER) == "2011",
          "issuRenegotiate reads back the last request")
    n1 = count()
    bad = [(["ISSU-NEGOTIATION-MIB::issuRenegotiate.0", "u", "424242"], "wrongValue"),
           ([ROOT + ".1.1.15.0", "i", "2011"], "wrongType"),
           ([ROOT + ".1.1.15.0", "s", "2011"], "wrongType"),
           ([ROOT + ".1.1.10.0", "i", "1"], "notWritable"),
           ([ROOT + ".1.2.1.2.2011", "s", "x"], "notWritable")]
    for args, err_name in bad:
        rc, out, err = snmp("snmpset", agent, *args, creds=USER, mib=args[0].startswith("ISSU"))
        check(rc != 0 and err_name in err, "bad SET %s -> %s: %s" % (args, err_name, err.strip()))
    check(count() == n1, "bad SETs renegotiated nothing")
    check(get1(agent, "ISSU-NEGOTIATION-MIB::issuRenegotiate.0", creds=USER) == "2011",
          "bad SETs left issuRenegotiate as it was")

    # ---- reload to an incompatible image: notifications ----
    before = getn(agent, *STAMP)
    trapf = os.path.join(tmp, "snmptrapd.log")
    mark = len(open(trapf).read())
    try:
        sub = subscribe(ssh_port)
    except Exception as e:
        sub = None
        check(False, "ncclient over SSH: create-subscription: %r" % e)
    shutil.copy(os.path.join(IMAGES, "upgrade-incompatible.json"), stb)
    issud.send_signal(signal.SIGHUP)
    got = lambda: "issuImageVerdictChanged" in open(trapf).read()[mark:] and \
        "issuSessionResultChanged" in open(trapf).read()[mark:]
    check(wait_for(got, 10), "snmptrapd received both notifications after the reload")
    nce = nc_events(sub, 10) if sub else []
    time.sleep(0.5)  # the traps of the change travel through snmpd: let the last ones in
    traps = open(trapf).read()[mark:]
    tre = trap_events(traps)
    print("events of the reload (NETCONF): %s" % [(e[0], e[1]) for e in nce])
    check([e[:2] for e in nce] == [e[:2] for e in tre],
          "the reload raised the same events on both faces, in the same order: NETCONF %s, "
          "SNMP %s" % ([e[:2] for e in nce], [e[:2] for e in tre]))
    check(len(nce) == 7 and [e[0] for e in nce].count("session-result-changed") == 6 and
          nce[-1][0] == "verdict-changed",
          "six session events (one result, five effective) then the verdict (%d events)" % len(nce))
    check(all(e[2] for e in nce) and all(e[2] for e in tre),
          "every event carries a reason on both faces: NETCONF %s, SNMP %s"
          % ([e[2] for e in nce], [e[2] for e in tre]))
    check([e[2][:255] for e in nce if e[2]] == [e[2] for e in tre if e[2]],
          "the same reason for each event on both faces")
    eff = [e for e in nce if e[0] == "session-result-changed" and
           e[3].findtext(IA + "result") == "compatible" and
           e[3].findtext(IA + "effective-result") == "incompatible"]
    check(len(eff) == 5 and all("prerequisite chain" in e[2] and "4 ISSU CF client" in e[2] and
                                e[3].findall(IA + "chain")[-1].text == "4" for e in eff),
          "each effective change names its chain down to client 4 (%s)" % [e[2] for e in eff])
    check(all("issuClientChain.%s = STRING: " % e[3].findtext(IA + "client-id") in traps and
              " ".join(c.text for c in e[3].findall(IA + "chain")) in traps for e in eff),
          "the session traps of the effective changes carry issuClientChain")
    if sub:
        try:
            sub.close_session()
        except Exception:
            pass
    report2 = report_of(act, stb)
    check("issuImageVerdict.0 = INTEGER: %s" % report2["verdict"] in traps.replace(
        "INTEGER: incompatible(3)", "INTEGER: incompatible"),
        "verdict notification carries the new verdict")
    check(report2["verdict-reason"][:60] in traps, "verdict notification carries the reason")
    bad_sess = [s for s in report2["session"] if s["result"] == "incompatible"]
    check(bad_sess and all("issuSessionReason.%d = STRING: %s" % (s["session-id"], s["reason"])
                           in traps for s in bad_sess),
          "a notification per newly incompatible session, with its reason")
    rows2 = walk("ISSU-NEGOTIATION-MIB::issuObjects", agent)
    compare({k: v for k, v in rows2.items() if k[1] != (0,)},
            expected_tables(report2, manifest), "tables after reload vs issuctl check")
    check_history(agent, ncsock)

    moved = getn(agent, *STAMP)
    up = uptime(agent)
    check(before is not None and moved is not None and int(moved[0]) > int(before[0]) and
          int(moved[1]) > int(before[1]),
          "a reload that changed results moves issuStateGeneration and issuLastChange (%s -> %s)"
          % (before, moved))
    check(moved is not None and up is not None and 0 <= up - int(moved[1]) <= 1000,
          "issuLastChange %s: within 10 s before snmpd's sysUpTime %s"
          % (moved and moved[1], up))

    # ---- snmpd restarted: the subagent comes back by itself ----
    stop(snmpd)
    procs.remove(snmpd)
    snmpd = start(snmpd_args, "snmpd2.log")
    t0 = time.time()
    back = wait_for(lambda: get1(agent, "ISSU-NEGOTIATION-MIB::issuLocalUniqueId.0") == "4", 8)
    check(back and time.time() - t0 <= 5.0,
          "subagent back %.1f s after snmpd restarted (limit 5 s)" % (time.time() - t0))
    check(issud.poll() is None, "issud survived the master's restart")
    again = getn(agent, *STAMP)
    check(moved is not None and again == [moved[0], "0"],
          "after snmpd restarted: the same generation, issuLastChange 0 (the change is older "
          "than snmpd's sysUpTime): %s" % again)

    # ---- reading a table consistently across requests, while the state changes ----
    report_c = report_of(act, os.path.join(IMAGES, "upgrade-compatible.json"))
    report_i = report_of(act, os.path.join(IMAGES, "upgrade-incompatible.json"))
    want_by_verdict = {str(VERDICT[r["verdict"]]): expected_tables(r, manifest)
                       for r in (report_c, report_i)}
    check(len(want_by_verdict) == 2, "the two standby images have different verdicts")
    churn_walks(agent, issud, stb, want_by_verdict)
    churn_bulks(agent, issud, stb, want_by_verdict)
    check(issud.poll() is None, "issud survived the reloads")


try:
    main()
except Exception as e:  # a crash is a failure, with its reason
    check(False, "exception: %r" % e)
finally:
    for p in procs:
        stop(p)
    if failed:
        for log in ("issud.log", "snmptrapd.log"):
            path = os.path.join(tmp, log)
            if os.path.exists(path):
                print("---- %s (tail) ----\n%s" % (log, open(path).read()[-2000:]))
    shutil.rmtree(tmp, ignore_errors=True)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
