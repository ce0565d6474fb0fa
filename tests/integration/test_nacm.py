#!/usr/bin/python3
"""test_nacm.py - who may do what over NETCONF (issue 14: RFC 8341 NACM and
the identity of each session).

issud A runs with examples/nacm-reader-operator.json, SSH (three keys:
reader, operator, guest, each key's user its comment) and a UNIX socket of
mode 0666 in a private 0755 dir:
  - reader over SSH (ncclient): reads issu-state, but netconf-state has no
    session list (a path rule); renegotiate, kill-session and check-upgrade
    -> rpc-error access-denied, error-type protocol, error-path naming the
    operation; /nacm (default-deny-all) reads as nothing;
  - operator over SSH: renegotiate, check-upgrade, kill-session of the
    reader's session; the session list shows each session's real user
    (reader, operator; the UNIX peer's name from the kernel);
  - root over the UNIX socket (issuctl, and a raw client): a recovery
    session, NACM bypassed: renegotiate, the /nacm counters
    (denied-operations counts every denial above);
  - nobody over the UNIX socket (setpriv): in no group, exec-default deny:
    even <get> is denied, and the monitoring shows the user nobody;
  - SIGHUP with new rules (nobody a reader; readers may not read the
    running image or receive session-result-changed): nobody reads, the
    reader's issu-state lacks running-image; the reader's subscription gets
    verdict-changed but no session-result-changed, the operator's gets
    both; denied-notifications counts those held back;
  - SIGHUP with a broken file: logged, the rules in force stay;
  - issud B without --nacm-rules (the documented default): every user
    reads and may check-upgrade; renegotiate and kill-session only for
    root on the UNIX socket; SSH users and nobody get access-denied;
  - a broken rules file at start: issud refuses to start, naming it.
Every issud started here is killed by PID, also on failure.
Usage: test_nacm.py SOURCE_DIR BIN_DIR
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, free_port, summary, wait_for  # noqa: E402
from lxml import etree  # noqa: E402
from ncclient import manager  # noqa: E402
from ncclient.operations.rpc import RPCError  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
ISSUD, ISSUCTL = os.path.join(BIN, "issud"), os.path.join(BIN, "issuctl")
IA = "urn:issu-agent:yang:issu-agent"
NCM = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
NACM = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm"
NS = {"ia": IA, "m": NCM, "a": NACM}
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
tmp = tempfile.mkdtemp(prefix="issu-nacm-")
os.chmod(tmp, 0o755)
env = dict(os.environ, ISSU_YANG_DIR=os.path.join(SRC, "yang"))
procs = []
HELLO = (b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>'
         b'urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>')


def raw(sock, body, as_nobody=False):
    """One RPC over the UNIX socket by a client process (as nobody: a child
    under setpriv), the reply's text."""
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_UNIX);s.settimeout(30);s.connect(sys.argv[1]);b=b''\n"
            "while b']]>]]>' not in b:\n d=s.recv(65536)\n if not d: break\n b+=d\n"
            "s.sendall(%r)\n"
            "s.sendall(b'<rpc xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" message-id=\"1\">'"
            "+sys.argv[2].encode()+b'</rpc>]]>]]>');b=b''\n"
            "while b']]>]]>' not in b:\n d=s.recv(65536)\n if not d: break\n b+=d\n"
            "sys.stdout.write(b.split(b']]>]]>')[0].decode())\n" % HELLO)
    r = subprocess.run((NOBODY if as_nobody else []) + ["/usr/bin/python3", "-c", code, sock, body],
                       capture_output=True, text=True, timeout=60)
    return r.stdout


def ctl(sock, *args, as_nobody=False):
    return subprocess.run((NOBODY if as_nobody else []) + [ISSUCTL, "--socket", sock] + list(args),
                          capture_output=True, text=True, env=env, timeout=60)


def connect(port, user):
    return manager.connect(host="127.0.0.1", port=port, username=user, key_filename=os.path.join(tmp, user),
                           hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=30)


def rpc(m, xml):
    return m.dispatch(etree.fromstring(xml))


def denied(fn, what):
    """fn() must fail with access-denied (error-type protocol, a path naming the operation)."""
    try:
        fn()
        check(False, what + ": access-denied expected, it was permitted")
    except RPCError as e:
        check(e.tag == "access-denied" and e.type == "protocol" and e.path and e.path.strip().startswith("/"),
              "%s -> access-denied, %s, path %s" % (what, e.type, e.path))
        return e
    return None


def counters(sock):
    """The /nacm counters, read as root (a recovery session)."""
    x = raw(sock, '<get><filter type="subtree"><nacm xmlns="%s"/></filter></get>' % NACM)
    got = {}
    for k in ("denied-operations", "denied-data-writes", "denied-notifications"):
        mm = re.search(r"<%s>(\d+)</%s>" % (k, k), x)
        got[k] = int(mm.group(1)) if mm else None
    return got


def start(tag, sock, port, *extra):
    log = open(os.path.join(tmp, tag + ".log"), "w")
    p = subprocess.Popen([ISSUD, "--active", os.path.join(tmp, "running.json"), "--standby",
                          os.path.join(tmp, "standby.json"), "--netconf-unix", sock, "--netconf-unix-mode", "0666",
                          "--netconf-ssh", "127.0.0.1:%d" % port, "--ssh-host-key", os.path.join(tmp, "host.pem"),
                          "--ssh-authorized-keys", os.path.join(tmp, "authorized_keys")] + list(extra),
                         stdout=log, stderr=subprocess.STDOUT, env=env)
    procs.append(p)
    up = wait_for(lambda: p.poll() is not None or ctl(sock, "show", "issu", "clients").returncode == 0, 60, 0.2)
    check(up and p.poll() is None, "issud %s started" % tag)
    return p


def logtext(tag):
    with open(os.path.join(tmp, tag + ".log"), errors="replace") as f:
        return f.read()


def notifs(m, secs):
    """Names of the notifications m receives within secs (until quiet for 2 s after the first)."""
    names = []
    end = time.time() + secs
    while time.time() < end:
        n = m.take_notification(timeout=2 if names else max(0.1, end - time.time()))
        if n is None:
            if names:
                break
            continue
        ev = etree.fromstring(n.notification_xml.encode())
        names += [etree.QName(c).localname for c in ev if etree.QName(c).localname != "eventTime"]
    return names


def with_rules(a):
    sock, port = os.path.join(tmp, "a.sock"), free_port()
    rules = os.path.join(tmp, "rules.json")
    shutil.copy(os.path.join(SRC, "examples", "nacm-reader-operator.json"), rules)
    a.append(start("a", sock, port, "--nacm-rules", rules))
    if a[0].poll() is not None:
        return
    c0 = counters(sock)
    check(c0 == {"denied-operations": 0, "denied-data-writes": 0, "denied-notifications": 0},
          "root (recovery session) reads /nacm: counters 0 (%s)" % c0)

    reader, operator = connect(port, "reader"), connect(port, "operator")
    r = reader.get(filter=("subtree", '<issu-state xmlns="%s"><verdict/></issu-state>' % IA))
    check(r.data.xpath("//ia:verdict/text()", namespaces=NS) == ["compatible"], "reader reads the verdict")
    r = reader.get()
    check(len(r.data.xpath("//ia:session", namespaces=NS)) > 10, "reader reads the whole issu-state")
    r = reader.get(filter=("subtree", '<netconf-state xmlns="%s"/>' % NCM))
    check(r.data.xpath("//m:schemas", namespaces=NS) and not r.data.xpath("//m:sessions", namespaces=NS),
          "reader: netconf-state without the session list (path rule deny)")
    r = reader.get(filter=("xpath", (NS, "/m:netconf-state/m:sessions/m:session/m:username")))
    check(not r.data.xpath("//m:username", namespaces=NS), "reader: an XPath filter cannot reach the denied list")
    r = reader.get(filter=("subtree", '<nacm xmlns="%s"/>' % NACM))
    check(not r.data.xpath("//a:nacm", namespaces=NS), "reader: /nacm (default-deny-all) reads as nothing")
    denied(lambda: rpc(reader, '<renegotiate xmlns="%s"><client-id>2011</client-id></renegotiate>' % IA),
           "reader renegotiate")
    e = denied(lambda: rpc(reader, '<check-upgrade xmlns="%s"><candidate/></check-upgrade>' % IA),
               "reader check-upgrade (exec-default deny in the example)")
    check(e is not None and "check-upgrade" in e.path, "its error-path names check-upgrade (%s)" % (e and e.path))
    kill = ('<kill-session xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><session-id>%s</session-id>'
            '</kill-session>')
    denied(lambda: rpc(reader, kill % operator.session_id), "reader kill-session")
    check(connect(port, "reader").connected, "a reader still logs in after its denials")

    r = rpc(operator, '<renegotiate xmlns="%s"><client-id>2011</client-id></renegotiate>' % IA)
    check("<verdict" in r.xml, "operator renegotiates")
    doc = etree.tostring(etree.parse(os.path.join(SRC, "examples/images/running.xml")).getroot()).decode()
    r = rpc(operator, '<check-upgrade xmlns="%s"><candidate>%s</candidate></check-upgrade>' % (IA, doc))
    check("<verdict" in r.xml, "operator runs check-upgrade")

    # identity: each session's real user in ietf-netconf-monitoring
    s_nobody = subprocess.Popen(NOBODY + ["/usr/bin/python3", "-c",
                                          "import socket,time;s=socket.socket(socket.AF_UNIX);s.connect(%r);"
                                          "s.recv(65536);s.sendall(%r);time.sleep(30)" % (sock, HELLO)])
    procs.append(s_nobody)
    users = []

    def seen():
        r = operator.get(filter=("subtree", '<netconf-state xmlns="%s"><sessions/></netconf-state>' % NCM))
        users[:] = sorted(r.data.xpath("//m:session/m:username/text()", namespaces=NS))
        return "nobody" in users
    wait_for(seen, 20, 0.2)
    check("reader" in users and "operator" in users and "nobody" in users,
          "monitoring shows the real users: SSH logins and the UNIX peer's from the kernel (%s)" % users)
    s_nobody.kill()
    s_nobody.wait()

    victim = connect(port, "reader")
    r = rpc(operator, kill % victim.session_id)
    check("<ok/>" in r.xml, "operator kills a reader's session")

    # the UNIX socket: root is a recovery session, nobody is in no group
    r = ctl(sock, "renegotiate", "--client", "2011")
    check(r.returncode == 0, "root over the UNIX socket renegotiates (recovery session): %d %s"
          % (r.returncode, r.stderr.strip()[:200]))
    x = raw(sock, '<get><filter type="subtree"><issu-state xmlns="%s"><verdict/></issu-state></filter></get>' % IA,
            as_nobody=True)
    check("access-denied" in x and "/ietf-netconf:rpc/ietf-netconf:get<" in x,
          "nobody (in no group, exec-default deny) may not even <get> (%s)" % x[-200:])
    x = raw(sock, '<renegotiate xmlns="%s"/>' % IA, as_nobody=True)
    check("access-denied" in x, "nobody may not renegotiate")
    c1 = counters(sock)
    check(c1["denied-operations"] == 5 and c1["denied-data-writes"] == 0,
          "denied-operations counts the 5 denials (%s)" % c1)
    check(re.search(r"NACM: session \d+ \(user reader\): issu-agent:renegotiate denied", logtext("a")),
          "a denial is logged with the session and the user (at most one line a second)")

    # SIGHUP: new rules, and a changed standby so that notifications fire
    sub_r, sub_o = connect(port, "reader"), connect(port, "operator")
    sub_r.create_subscription()
    sub_o.create_subscription()
    with open(rules) as f:
        doc = json.load(f)
    acm = doc["ietf-netconf-acm:nacm"]
    acm["groups"]["group"][0]["user-name"].append("nobody")
    acm["rule-list"][1]["rule"].insert(0, {"name": "no-session-events", "module-name": "issu-agent",
                                           "notification-name": "session-result-changed",
                                           "access-operations": "read", "action": "deny"})
    acm["rule-list"][1]["rule"].insert(0, {"name": "no-manifest", "module-name": "issu-agent",
                                           "path": "/issu-agent:issu-state/running-image",
                                           "access-operations": "read", "action": "deny"})
    with open(rules + ".new", "w") as f:
        json.dump(doc, f)
    os.rename(rules + ".new", rules)
    shutil.copy(os.path.join(SRC, "examples/images/upgrade-base-level.json"), os.path.join(tmp, "standby.json"))
    a[0].send_signal(signal.SIGHUP)
    check(wait_for(lambda: "NACM reloaded" in logtext("a"), 30), "SIGHUP re-reads the rules (logged)")
    got_o, got_r = notifs(sub_o, 30), notifs(sub_r, 10)
    check("verdict-changed" in got_o and "session-result-changed" in got_o,
          "operator's subscription: verdict-changed and session-result-changed (%d)" % len(got_o))
    check("verdict-changed" in got_r and "session-result-changed" not in got_r,
          "reader's subscription: verdict-changed only (%s)" % sorted(set(got_r)))
    n_held = got_o.count("session-result-changed")
    c2 = counters(sock)
    check(c2["denied-notifications"] == n_held,
          "denied-notifications counts the %d held back (%s)" % (n_held, c2))
    x = raw(sock, '<get><filter type="subtree"><issu-state xmlns="%s"><verdict/></issu-state></filter></get>' % IA,
            as_nobody=True)
    check("<verdict>" in x, "after the reload nobody reads")
    r = reader.get()
    check(len(r.data.xpath("//ia:session", namespaces=NS)) > 10 and not r.data.xpath("//ia:running-image",
                                                                                    namespaces=NS),
          "reader's whole issu-state now lacks running-image (a path rule), sessions kept")
    r = operator.get()
    check(r.data.xpath("//ia:running-image", namespaces=NS), "operator's still has running-image")
    r = reader.get(filter=("xpath", (NS, "/ia:issu-state/ia:running-image")))
    check(not r.data.xpath("//ia:running-image", namespaces=NS), "an XPath filter cannot reach it either")
    r = ctl(sock, "show", "issu", "clients", as_nobody=True)
    check(r.returncode == 0 and "Client_ID = 2011" in r.stdout, "issuctl as nobody shows the clients")
    r = ctl(sock, "renegotiate", as_nobody=True)
    check(r.returncode != 0 and "access" in (r.stderr + r.stdout).lower(),
          "issuctl renegotiate as nobody (a reader) is refused: %d %s" % (r.returncode, r.stderr.strip()[:160]))

    # a broken file: the rules in force stay
    with open(rules, "w") as f:
        f.write('{"ietf-netconf-acm:nacm": {"read-default": "maybe"}}')
    n_before = logtext("a").count("keeping the rules in force")
    a[0].send_signal(signal.SIGHUP)
    check(wait_for(lambda: logtext("a").count("keeping the rules in force") > n_before, 30),
          "a broken rules file on SIGHUP is logged: " + ([ln for ln in logtext("a").splitlines()
                                                          if "keeping the rules" in ln] or ["?"])[-1][-160:])
    check(ctl(sock, "show", "issu", "clients", as_nobody=True).returncode == 0,
          "and the rules in force stay (nobody still reads)")
    denied(lambda: rpc(reader, '<renegotiate xmlns="%s"/>' % IA), "reader renegotiate after the broken reload")
    for m in (reader, operator, sub_r, sub_o):
        m.close_session()


def default_rules(b):
    sock, port = os.path.join(tmp, "b.sock"), free_port()
    shutil.copy(os.path.join(SRC, "examples/images/upgrade-compatible.json"), os.path.join(tmp, "standby.json"))
    b.append(start("b", sock, port))
    if b[0].poll() is not None:
        return
    check("NACM: built-in default" in logtext("b"), "without --nacm-rules the built-in default is logged")
    guest = connect(port, "guest")
    r = guest.get(filter=("subtree", '<issu-state xmlns="%s"><verdict/></issu-state>' % IA))
    check(r.data.xpath("//ia:verdict/text()", namespaces=NS) == ["compatible"], "default: an SSH user reads")
    doc = etree.tostring(etree.parse(os.path.join(SRC, "examples/images/running.xml")).getroot()).decode()
    r = rpc(guest, '<check-upgrade xmlns="%s"><candidate>%s</candidate></check-upgrade>' % (IA, doc))
    check("<verdict" in r.xml, "default: an SSH user may check-upgrade (a precheck, changes nothing)")
    denied(lambda: rpc(guest, '<renegotiate xmlns="%s"/>' % IA), "default: SSH user renegotiate")
    other = connect(port, "reader")
    denied(lambda: rpc(guest, '<kill-session xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><session-id>%s'
                              '</session-id></kill-session>' % other.session_id), "default: SSH user kill-session")
    r = ctl(sock, "show", "issu", "clients", as_nobody=True)
    check(r.returncode == 0 and "Client_ID = 2011" in r.stdout, "default: nobody reads over the UNIX socket")
    r = ctl(sock, "renegotiate", as_nobody=True)
    check(r.returncode != 0, "default: nobody may not renegotiate (%s)" % r.stderr.strip()[:160])
    r = ctl(sock, "renegotiate")
    check(r.returncode == 0, "default: root renegotiates over the UNIX socket (%s)" % r.stderr.strip()[:160])
    c = counters(sock)
    check(c["denied-operations"] == 3, "default: denied-operations 3 (%s)" % c)
    guest.close_session()
    other.close_session()


def broken_at_start():
    bad = os.path.join(tmp, "bad.xml")
    with open(bad, "w") as f:
        f.write('<nacm xmlns="%s"><rule-list><name>x</name><rule><name>r</name><action>allow</action>'
                '</rule></rule-list></nacm>' % NACM)
    r = subprocess.run([ISSUD, "--netconf-unix", os.path.join(tmp, "c.sock"), "--nacm-rules", bad],
                       capture_output=True, text=True, env=env, timeout=60)
    check(r.returncode != 0 and "bad.xml" in r.stderr and "ietf-netconf-acm" in r.stderr,
          "a broken rules file at start: issud refuses, naming it (%d: %s)"
          % (r.returncode, r.stderr.strip().splitlines()[-1:] if r.stderr.strip() else ""))


t0 = time.time()
a, b = [], []
try:
    for f in ("running.json", "upgrade-compatible.json"):
        shutil.copy(os.path.join(SRC, "examples/images", f), tmp)
    os.rename(os.path.join(tmp, "upgrade-compatible.json"), os.path.join(tmp, "standby.json"))
    with open(os.path.join(tmp, "authorized_keys"), "w") as ak:
        for u in ("reader", "operator", "guest"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", u + "@test",
                            "-f", os.path.join(tmp, u)], check=True)
            ak.write(open(os.path.join(tmp, u + ".pub")).read())
    with_rules(a)
    for p in a:
        p.kill()
        p.wait()
    default_rules(b)
    broken_at_start()
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()
    if not os.environ.get("KEEP"):
        shutil.rmtree(tmp, ignore_errors=True)
print("test_nacm: %.1f s" % (time.time() - t0))
sys.exit(summary())
