#!/usr/bin/python3
"""test_netconf.py - issud's NETCONF face from an independent client (ncclient).

Starts issud on copies of the example images with SSH on 127.0.0.1 (free
port, host key and client keys generated here) and a UNIX socket, then
checks: subtree and xpath filtered <get>, both RPCs, a subscription that
receives notifications after a SIGHUP reload changes results, bad inputs
(malformed XML, unknown RPC, bad filter, invalid candidate manifest) each
answered with <rpc-error> while the server keeps serving, two clients at
once, and an unauthorised key refused. issud is killed by PID, also on
failure.

usage: test_netconf.py SOURCE_DIR BIN_DIR
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from lxml import etree
from ncclient import manager
from ncclient.operations.rpc import RPCError

SRC, BIN = sys.argv[1], sys.argv[2]
IA = "urn:issu-agent:yang:issu-agent"
NS = {"ia": IA}
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def connect(port, key, user="tester"):
    return manager.connect(host="127.0.0.1", port=port, username=user, key_filename=key,
                           hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=20)


def rpc(m, xml):
    return m.dispatch(etree.fromstring(xml))


def raw_unix(path, payload):
    """NETCONF 1.0 framing over the UNIX socket; returns the reply to payload."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    buf = b""
    while b"]]>]]>" not in buf:
        buf += s.recv(65536)
    s.sendall(b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>'
              b'<capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>')
    s.sendall(payload + b"]]>]]>")
    buf = b""
    try:
        while b"]]>]]>" not in buf:
            d = s.recv(65536)
            if not d:
                break
            buf += d
    finally:
        s.close()
    return buf.decode(errors="replace")


def main():
    tmp = tempfile.mkdtemp(prefix="issu-nc-")
    proc = None
    try:
        for f in ("running.json", "upgrade-compatible.json"):
            shutil.copy(os.path.join(SRC, "examples/images", f), tmp)
        for name in ("client", "intruder"):
            subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "tester@test",
                            "-f", os.path.join(tmp, name)], check=True)
        shutil.copy(os.path.join(tmp, "client.pub"), os.path.join(tmp, "authorized_keys"))
        port = free_port()
        sock = os.path.join(tmp, "nc.sock")
        log = open(os.path.join(tmp, "issud.log"), "w")
        proc = subprocess.Popen([os.path.join(BIN, "issud"), "--active", os.path.join(tmp, "running.json"),
                                 "--standby", os.path.join(tmp, "upgrade-compatible.json"),
                                 "--netconf-unix", sock, "--netconf-ssh", "127.0.0.1:%d" % port,
                                 "--ssh-host-key", os.path.join(tmp, "host.pem"),
                                 "--ssh-authorized-keys", os.path.join(tmp, "authorized_keys")],
                                stderr=log)
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(0.3)
        check(proc.poll() is None, "issud started")
        check(open(os.path.join(tmp, "host.pem")).read().startswith("-----BEGIN"), "host key generated as PEM")
        key = os.path.join(tmp, "client")

        m = connect(port, key)
        # subtree: a content match on a list key and a selection
        r = m.get(filter=("subtree", '<issu-state xmlns="%s"><client><id>2011</id><name/><result/></client>'
                                     '</issu-state>' % IA))
        names = r.data.xpath("//ia:client/ia:name/text()", namespaces=NS)
        check(names == ["ISSU LDP Client"], "subtree filter selects LDP's name (%s)" % names)
        check(not r.data.xpath("//ia:session", namespaces=NS), "subtree filter leaves sessions out")
        # xpath
        r = m.get(filter=("xpath", (NS, "/ia:issu-state/ia:session[ia:client-id='2011']/ia:session-name")))
        check(r.data.xpath("//ia:session-name/text()", namespaces=NS) == ["LDP Session"],
              "xpath filter selects LDP's session name")
        r = m.get(filter=("xpath", (NS, "/ia:issu-state/ia:verdict")))
        check(r.data.xpath("//ia:verdict/text()", namespaces=NS) == ["compatible"], "verdict compatible")
        r = m.get(filter=("subtree", '<netconf-state xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring">'
                                     '<schemas/></netconf-state>'))
        check("issu-agent" in r.data_xml, "ietf-netconf-monitoring lists issu-agent")
        check("module issu-agent" in m.get_schema("issu-agent").data, "get-schema returns the module")

        # renegotiate
        r = rpc(m, '<renegotiate xmlns="%s"><client-id>2011</client-id></renegotiate>' % IA)
        check("<verdict" in r.xml and "compatible" in r.xml, "renegotiate returns the report")
        try:
            rpc(m, '<renegotiate xmlns="%s"><session-id>99999</session-id></renegotiate>' % IA)
            check(False, "unknown session id refused")
        except RPCError as e:
            check("no session 99999" in str(e) and e.path and "session-id" in e.path,
                  "unknown session id -> rpc-error with error-path (%s)" % e)
        # check-upgrade with the base-level image: verdict and LDP's result
        doc = etree.tostring(etree.parse(os.path.join(SRC, "examples/images/running.xml")).getroot()).decode()
        r = rpc(m, '<check-upgrade xmlns="%s"><candidate>%s</candidate></check-upgrade>' % (IA, doc))
        check("<verdict" in r.xml, "check-upgrade returns a report")
        try:
            rpc(m, '<check-upgrade xmlns="%s"><candidate><image xmlns="urn:issu-agent:yang:issu-manifest">'
                   '<name>x</name></image></candidate></check-upgrade>' % IA)
            check(False, "invalid candidate refused")
        except RPCError as e:
            check("version" in str(e), "invalid candidate -> rpc-error naming the missing node (%s)" % e)

        # bad inputs; the session keeps serving after each
        try:
            rpc(m, '<frobnicate xmlns="urn:example:nothing"/>')
            check(False, "unknown RPC refused")
        except RPCError as e:
            check(True, "unknown RPC -> rpc-error (%s)" % e)
        try:
            m.get(filter=("xpath", (NS, "/ia:issu-state/ia:session[")))
            check(False, "bad xpath refused")
        except RPCError as e:
            check(True, "bad xpath filter -> rpc-error (%s)" % e)
        try:
            m.get(filter=("subtree", '<issu-state/>'))
            check(False, "subtree filter without namespace refused")
        except RPCError as e:
            check("namespace" in str(e), "subtree filter without namespace -> rpc-error (%s)" % e)
        reply = raw_unix(sock, b'<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get></rpc>')
        check("rpc-error" in reply or reply == "", "malformed XML -> rpc-error or session dropped")
        r = m.get(filter=("xpath", (NS, "/ia:issu-state/ia:verdict")))
        check(bool(r.data.xpath("//ia:verdict", namespaces=NS)), "server still serves after bad inputs")

        # two clients at once: both get while the other is connected
        m2 = connect(port, key)
        results = []

        def worker(mm):
            for _ in range(5):
                results.append(len(mm.get().data_xml))
        ts = [threading.Thread(target=worker, args=(x,)) for x in (m, m2)]
        [t.start() for t in ts]
        [t.join(60) for t in ts]
        check(len(results) == 10 and all(x > 1000 for x in results), "two clients served concurrently")

        # subscription: a reload that changes results raises notifications
        m2.create_subscription()
        shutil.copy(os.path.join(SRC, "examples/images/upgrade-base-level.json"),
                    os.path.join(tmp, "upgrade-compatible.json"))
        os.kill(proc.pid, signal.SIGHUP)
        got = []
        for _ in range(10):
            n = m2.take_notification(timeout=5)
            if not n:
                break
            got.append(n.notification_xml)
            if "verdict-changed" in n.notification_xml:
                break
        check(any("session-result-changed" in g and "<client-id>2011</client-id>" in g for g in got),
              "notification: LDP session result changed")
        check(any("verdict-changed" in g and "base-level-compatible" in g for g in got),
              "notification: verdict changed to base-level-compatible")
        r = m.get(filter=("xpath", (NS, "/ia:issu-state/ia:verdict")))
        check(r.data.xpath("//ia:verdict/text()", namespaces=NS) == ["base-level-compatible"],
              "state shows the reloaded verdict")
        # a broken manifest on reload keeps the running state
        open(os.path.join(tmp, "upgrade-compatible.json"), "w").write("{broken")
        os.kill(proc.pid, signal.SIGHUP)
        time.sleep(0.5)
        r = m.get(filter=("xpath", (NS, "/ia:issu-state/ia:verdict")))
        check(r.data.xpath("//ia:verdict/text()", namespaces=NS) == ["base-level-compatible"],
              "failed reload keeps the running state")
        m2.close_session()
        m.close_session()

        # unauthorised key refused
        try:
            connect(port, os.path.join(tmp, "intruder")).close_session()
            check(False, "unauthorised key refused")
        except Exception as e:  # ncclient raises AuthenticationError
            check(True, "unauthorised key refused (%s)" % type(e).__name__)
        log.flush()
        check("SSH public key refused" in open(os.path.join(tmp, "issud.log")).read(),
              "issud logged the refused key")

        check(proc.poll() is None, "issud still running")
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(10) == 0, "clean exit on SIGTERM")
        proc = None
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        if failures:
            print(open(os.path.join(tmp, "issud.log")).read()[-4000:])
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
