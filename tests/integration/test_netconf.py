#!/usr/bin/python3
"""test_netconf.py - issud's NETCONF face from an independent client (ncclient).

Starts issud on copies of the example images with SSH on 127.0.0.1 (free
port, host key and client keys generated here) and a UNIX socket, then
checks: subtree and xpath filtered <get>, both RPCs, a subscription that
receives notifications after a SIGHUP reload changes results, bad inputs
(malformed XML, unknown RPC or element, bad xpath and subtree filters,
invalid candidate manifest) each answered with <rpc-error> and its message
while the server keeps serving and no state changes, kill-session,
ietf-netconf-monitoring's transports, two clients at once, and an
unauthorised key refused. issud is killed by PID, also on
failure.

usage: test_netconf.py SOURCE_DIR BIN_DIR
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

from lxml import etree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, failures, free_port  # noqa: E402
from ncclient import manager
import paramiko
from ncclient.operations.rpc import RPCError

SRC, BIN = sys.argv[1], sys.argv[2]
IA = "urn:issu-agent:yang:issu-agent"
NS = {"ia": IA}
NC = "{urn:ietf:params:xml:ns:netconf:base:1.0}"




def connect(port, key, user="tester"):
    return manager.connect(host="127.0.0.1", port=port, username=user, key_filename=key,
                           hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=20)


def rpc(m, xml):
    return m.dispatch(etree.fromstring(xml))


HELLO = (b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>%s'
         b'</capability></capabilities></hello>]]>]]>')
DROPPED = "read nothing for 5 s; reply abandoned, session dropped"


def wait_count(path, text, n, timeout=30):
    """How often @text is in the file at @path, once it is n or the timeout passed."""
    deadline = time.time() + timeout
    while True:
        c = open(path).read().count(text)
        if c >= n or time.time() > deadline:
            return c
        time.sleep(0.5)


class RawUnix:
    """A NETCONF session over the UNIX socket, framed by hand (1.0 or 1.1),
    to send what ncclient would refuse to: broken XML, an <rpc> without
    message-id, a message that is no <rpc>."""

    def __init__(self, path, v11=True):
        self.v11 = v11
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(path)
        buf = b""
        while b"]]>]]>" not in buf:
            buf += self.s.recv(65536)
        self.hello = buf.decode()
        self.s.sendall(HELLO % (b"urn:ietf:params:netconf:base:1.1" if v11 else b"urn:ietf:params:netconf:base:1.0"))
        self.buf = b""

    def send(self, payload):
        if self.v11:
            self.s.sendall(b"\n#%d\n" % len(payload) + payload + b"\n##\n")
        else:
            self.s.sendall(payload + b"]]>]]>")

    def recv(self, timeout=10):
        """One reply (chunks joined), None on timeout, "" when the server closed."""
        end = b"\n##\n" if self.v11 else b"]]>]]>"
        self.s.settimeout(timeout)
        while end not in self.buf:
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return None
            if not d:
                return ""
            self.buf += d
        msg, self.buf = self.buf.split(end, 1)
        if self.v11:
            msg = b"".join(msg.split(b"\n")[2::2]) if msg.startswith(b"\n#") else msg
        return msg.decode(errors="replace")

    def recv_chunks(self, timeout=10):
        """One NETCONF 1.1 reply: (chunk sizes, message bytes), parsed strictly."""
        self.s.settimeout(timeout)
        sizes, parts, pos = [], [], 0

        def need(n):
            while len(self.buf) < pos + n:
                d = self.s.recv(1 << 20)
                if not d:
                    raise RuntimeError("session closed inside a chunked message")
                self.buf += d
        while True:
            need(4)
            if self.buf[pos:pos + 4] == b"\n##\n":
                pos += 4
                break
            if self.buf[pos:pos + 2] != b"\n#":
                raise RuntimeError("bad chunk header at %d: %r" % (pos, self.buf[pos:pos + 20]))
            end = self.buf.find(b"\n", pos + 2)
            while end < 0:
                need(len(self.buf) - pos + 1)
                end = self.buf.find(b"\n", pos + 2)
            n = int(self.buf[pos + 2:end])
            pos = end + 1
            need(n)
            sizes.append(n)
            parts.append(self.buf[pos:pos + n])
            pos += n
        self.buf = self.buf[pos:]
        return sizes, b"".join(parts)

    def close(self):
        self.s.close()


RPC_HEAD = b'<rpc message-id="%d" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
NEG_PATH = "/ia:issu-state/ia:endpoint/ia:negotiations"


def raw_rpc(r, mid, body):
    r.send(RPC_HEAD % mid + body + b"</rpc>")
    return r.recv()


def err_msg(reply):
    """(error-tag, error-message) of an rpc-reply, or None if it is no rpc-error."""
    x = etree.fromstring(reply.encode())
    nc = {"nc": "urn:ietf:params:xml:ns:netconf:base:1.0"}
    tag = x.xpath("//nc:rpc-error/nc:error-tag/text()", namespaces=nc)
    msg = x.xpath("//nc:rpc-error/nc:error-message/text()", namespaces=nc)
    return (tag[0], msg[0] if msg else "") if tag else None


def negotiations(m):
    return m.get(filter=("xpath", (NS, NEG_PATH))).data.xpath("//ia:negotiations/text()", namespaces=NS)


def stall_image(name, version, clients=100, entities=10):
    """clients x entities sessions; images of different versions share none."""
    return {"issu-manifest:image": {"name": name, "version": "1", "client": [
        {"id": 10000 + c, "name": "client %d" % c,
         "message-group": [{"id": 1, "message-type": [{"id": 1, "version": [{"number": version, "mtu": 100}]}]}],
         "capability-group": [{"id": 1, "capability-type": [{"id": 0, "entry": [1]}]}],
         "entity": [{"id": e + 1, "session-name": "s %d/%d" % (c, e + 1), "message-group": 1, "capability-group": 1}
                    for e in range(entities)]} for c in range(clients)]}}


def stalled_subscriber(tmp):
    """A subscriber that reads nothing while thousands of notifications go
    out is dropped after 5 s; one that reads gets every verdict change."""
    d = os.path.join(tmp, "stall")
    os.mkdir(d)
    act, sb, sock = os.path.join(d, "a.json"), os.path.join(d, "s.json"), os.path.join(d, "sock")
    json.dump(stall_image("a", 1), open(act, "w"))
    json.dump(stall_image("s", 1), open(sb, "w"))
    logf = os.path.join(d, "issud.log")
    p = subprocess.Popen([os.path.join(BIN, "issud"), "--active", act, "--standby", sb, "--netconf-unix", sock],
                         stderr=open(logf, "w"))
    sub = RPC_HEAD % 1 + b'<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"/></rpc>'
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        dead, live = RawUnix(sock), RawUnix(sock)
        for r in (dead, live):
            r.send(sub)
            rep = r.recv()
            check(rep is not None and "<ok/>" in rep, "subscribed (%s)" % (rep or "")[:80])
        seen = {"verdict": 0, "session": 0}

        def reader():
            live.s.settimeout(60)
            try:
                while True:
                    _, msg = live.recv_chunks(timeout=60)
                    seen["verdict"] += msg.count(b"<verdict-changed")
                    seen["session"] += msg.count(b"<session-result-changed")
            except (OSError, RuntimeError):
                pass
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        flips = 4
        for i in range(flips):  # every flip changes all 1,000 sessions' results
            json.dump(stall_image("s", 2 if i % 2 == 0 else 1), open(sb, "w"))
            p.send_signal(signal.SIGHUP)
            deadline = time.time() + 20
            while seen["verdict"] < i + 1 and time.time() < deadline:
                time.sleep(0.1)
        log = open(logf).read()
        check("subscriber read nothing for 5 s; session dropped" in log,
              "a subscriber that reads nothing is dropped after 5 s")
        check(seen["verdict"] == flips and seen["session"] == flips * 1000,
              "the reading subscriber got every notification (%d verdict, %d session; %d, %d expected)"
              % (seen["verdict"], seen["session"], flips, flips * 1000))
        r = RawUnix(sock)
        rep = raw_rpc(r, 2, b"<get-config><source><running/></source></get-config>")
        check(rep is not None and 'message-id="2"' in rep and p.poll() is None, "issud still serves")
        r.close()
        dead.close()
        live.close()
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:  # a stuck issud is a failure, not a leftover
            check(False, "issud stopped on SIGTERM within 10 s")
            p.kill()
            p.wait()


def keyed_filters(m):
    """issuctl's one-client and one-session filters (answered from an index,
    nc_filter.c) give what the same selection gets from libyang: the second
    form is the same union in the other order, which the index does not take."""
    st = "/issu-agent:issu-state"
    ns = {"issu-agent": IA}
    cases = []
    for c in (2011, 2030, 2, 9999, 10):  # 9999: no such client; 10: only in one image, if at all
        cases.append(("client %d" % c, "%s/client[id='%d'] | %s/session[client-id='%d'] | %s/endpoint"
                      % (st, c, st, c, st)))
    for s in (1, 46, 99999):
        cases.append(("session %d" % s, "%s/session[session-id='%d'] | %s/endpoint" % (st, s, st)))
    for what, xp in cases:
        fast = etree.tostring(m.get(filter=("xpath", (ns, xp))).data_ele)
        parts = xp.split(" | ")
        slow = etree.tostring(m.get(filter=("xpath", (ns, " | ".join(parts[::-1])))).data_ele)
        check(fast == slow and b"endpoint" in fast, "keyed <get> of %s: the general path's reply (%d bytes, %d "
              "sessions)" % (what, len(fast), fast.count(b"<session>") + fast.count(b":session>")))
    r = m.get(filter=("xpath", (ns, cases[0][1]))).data
    check(r.xpath("//ia:client/ia:id/text()", namespaces=NS) == ["2011"] and
          r.xpath("//ia:session/ia:client-id/text()", namespaces=NS) == ["2011"],
          "keyed <get> of client 2011: its client entry and its one session")


def main():
    tmp = tempfile.mkdtemp(prefix="issu-nc-")
    proc = None
    completed = False
    try:
        for f in ("running.json", "upgrade-compatible.json"):
            shutil.copy(os.path.join(SRC, "examples/images", f), tmp)
        for name in ("client", "intruder"):
            subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "tester@test",
                            "-f", os.path.join(tmp, name)], check=True)
        shutil.copy(os.path.join(tmp, "client.pub"), os.path.join(tmp, "authorized_keys"))
        # NACM (issue 14): by default an SSH user only reads; tester drives the core here
        with open(os.path.join(tmp, "nacm.json"), "w") as f:
            f.write('{"ietf-netconf-acm:nacm": {"groups": {"group": [{"name": "ops", "user-name": ["tester"]}]},'
                    ' "rule-list": [{"name": "ops", "group": ["ops"], "rule": [{"name": "all",'
                    ' "access-operations": "*", "action": "permit"}]}]}}')
        port = free_port()
        sock = os.path.join(tmp, "nc.sock")
        log = open(os.path.join(tmp, "issud.log"), "w")
        proc = subprocess.Popen([os.path.join(BIN, "issud"), "--active", os.path.join(tmp, "running.json"),
                                 "--standby", os.path.join(tmp, "upgrade-compatible.json"),
                                 "--netconf-unix", sock, "--netconf-ssh", "127.0.0.1:%d" % port,
                                 "--ssh-host-key", os.path.join(tmp, "host.pem"),
                                 "--ssh-authorized-keys", os.path.join(tmp, "authorized_keys"),
                                 "--nacm-rules", os.path.join(tmp, "nacm.json")],
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
        keyed_filters(m)
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

        # bad inputs; the session keeps serving after each, and none changes state
        neg0 = negotiations(m)
        check(len(neg0) == 1 and int(neg0[0]) >= 1, "negotiations counter readable (%s)" % neg0)
        try:
            rpc(m, '<frobnicate xmlns="urn:example:nothing"/>')
            check(False, "unknown RPC refused")
        except RPCError as e:
            check("unknown RPC" in e.message and "urn:example:nothing" in e.message,
                  "unknown RPC -> rpc-error naming its namespace (%s)" % e.message)
        try:
            rpc(m, '<get xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><bogus/></get>')
            check(False, "unknown element in <get> refused")
        except RPCError as e:
            check('"bogus"' in e.message and '"get"' in e.message,
                  "unknown element in <get> -> rpc-error naming it (%s)" % e.message)
        # xpath that does not parse: libnetconf2 refuses it while parsing the
        # <rpc> (operation-failed, no error-path); issud puts libyang's reason in
        try:
            m.get(filter=("xpath", (NS, "/ia:issu-state/ia:session[")))
            check(False, "bad xpath refused")
        except RPCError as e:
            check(e.message.startswith("invalid XPath filter") and "Unexpected XPath expression end" in e.message,
                  "bad xpath filter -> rpc-error with libyang's reason (%s)" % e.message)
        try:
            m.get(filter=("xpath", ({"zz": "urn:nothing"}, "/zz:issu-state")))
            check(False, "xpath with an unknown prefix refused")
        except RPCError as e:
            check(e.message.startswith("invalid XPath filter") and '"zz"' in e.message,
                  "xpath filter with an unknown prefix -> rpc-error naming it (%s)" % e.message)
        try:
            m.get(filter=("subtree", '<issu-state/>'))
            check(False, "subtree filter without namespace refused")
        except RPCError as e:
            check("namespace" in e.message, "subtree filter without namespace -> rpc-error (%s)" % e.message)
        try:
            m.get(filter=("subtree", '<issu-state xmlns="urn:example:nothing"/>'))
            check(False, "subtree filter in an unknown namespace refused")
        except RPCError as e:
            check(e.tag == "invalid-value" and e.path == "/ietf-netconf:get/filter" and
                  'no module with namespace "urn:example:nothing"' in e.message,
                  "subtree filter in an unknown namespace -> invalid-value at the filter (%s)" % e.message)
        try:
            m.get(filter=("subtree", '<issu-state xmlns="%s"><frobnicate/></issu-state>' % IA))
            check(False, "subtree filter with an unknown element refused")
        except RPCError as e:
            check(e.tag == "invalid-value" and e.path == "/ietf-netconf:get/filter" and
                  '"frobnicate" is not a data node of issu-state' in e.message,
                  "subtree filter with an unknown element -> invalid-value naming it (%s)" % e.message)
        try:
            m.get(filter=("subtree", '<issu-state xmlns="%s"><client><nosuch>1</nosuch></client></issu-state>' % IA))
            check(False, "subtree content match on an unknown leaf refused")
        except RPCError as e:
            check('"nosuch" is not a data node of client' in e.message,
                  "subtree content match on an unknown leaf -> rpc-error naming it (%s)" % e.message)

        # by hand over the UNIX socket, NETCONF 1.1 framing (as ncclient speaks)
        r = RawUnix(sock)
        rep = raw_rpc(r, 1, b"<get>")  # unclosed tag: libnetconf2 answers, keeps the session
        e = err_msg(rep) if rep else None
        check(e is not None and "tag mismatch" in e[1], "unclosed tag -> rpc-error (%s)" % (e,))
        rep = raw_rpc(r, 2, b"<bogus/>")
        e = err_msg(rep) if rep else None
        check(e is not None and '"bogus"' in e[1], "unknown element inside <rpc> -> rpc-error (%s)" % (e,))
        rep = raw_rpc(r, 3, b'<frob xmlns="urn:example:nothing"/>')
        e = err_msg(rep) if rep else None
        check(e is not None and e[1].startswith("unknown RPC"), "unknown RPC inside <rpc> -> rpc-error (%s)" % (e,))
        r.send(b'<nonrpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>')
        rep = r.recv()
        e = err_msg(rep) if rep else None
        check(e is not None and e[0] == "malformed-message", "a message that is no <rpc> -> malformed-message (%s)" % (e,))
        # RFC 6241 4.1: an <rpc> without message-id gets missing-attribute
        # (libnetconf2 2.0.24 would run it; issud's front answers it)
        r.send(b'<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source>'
               b'</get-config></rpc>')
        rep = r.recv()
        e = err_msg(rep) if rep else None
        check(e is not None and e[0] == "missing-attribute" and "<bad-attribute>message-id</bad-attribute>" in rep
              and "<data" not in rep,
              "an <rpc> without message-id -> rpc-error missing-attribute, not run (%s)" % (rep or "")[:120])
        rep = raw_rpc(r, 4, b"<get-config><source><running/></source></get-config>")
        check(rep is not None and 'message-id="4"' in rep and "<data" in rep,
              "the hand-framed session still serves after all of them")
        r.close()
        # NETCONF 1.0 framing: libnetconf2 ignores a message that is no <rpc>
        # (1.0 defines no error for it) and keeps the session
        r = RawUnix(sock, v11=False)
        r.send(b'<nonrpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>')
        check(r.recv(timeout=2) is None, "NETCONF 1.0: a message that is no <rpc> gets no reply")
        rep = raw_rpc(r, 5, b"<get>")
        e = err_msg(rep) if rep else None
        check(e is not None and "tag mismatch" in e[1], "NETCONF 1.0: unclosed tag -> rpc-error (%s)" % (e,))
        rep = raw_rpc(r, 6, b"<get-config><source><running/></source></get-config>")
        check(rep is not None and 'message-id="6"' in rep, "NETCONF 1.0 session still serves")
        r.close()
        # messages that parse to nothing (whitespace, a NUL byte first) crashed
        # libnetconf2 2.0.24's nc_ps_poll; issud's lyd_parse_op makes them
        # malformed-message (1.1) or ignored (1.0)
        r = RawUnix(sock)
        for payload in (b"<<<>>>", b"   \n ", b"\x00\xff<rpc/>"):
            r.send(payload)
            rep = r.recv(timeout=3)
            e = err_msg(rep) if rep else None
            check(e is not None and e[0] == "malformed-message", "%r -> malformed-message (%s)" % (payload, e))
        r.close()
        r = RawUnix(sock, v11=False)
        r.send(b"  ")
        check(r.recv(timeout=2) is None, "NETCONF 1.0: a blank message gets no reply")
        rep = raw_rpc(r, 8, b"<get-config><source><running/></source></get-config>")
        check(rep is not None and 'message-id="8"' in rep, "NETCONF 1.0 session still serves after a blank message")
        r.close()
        check(proc.poll() is None, "issud survived the malformed messages")
        r = RawUnix(sock)
        rep = raw_rpc(r, 7, b"<get-config><source><running/></source></get-config>")
        check(rep is not None and 'message-id="7"' in rep, "a new session works after the bad inputs")
        r.close()
        r = m.get(filter=("xpath", (NS, "/ia:issu-state/ia:verdict")))
        check(bool(r.data.xpath("//ia:verdict", namespaces=NS)), "server still serves after bad inputs")
        check(negotiations(m) == neg0, "bad inputs changed no state (negotiations %s)" % neg0)

        # the whole state: sent from the text printed once per snapshot, in
        # NETCONF 1.1 chunks of at most 32 KiB; the same data as the tree
        # printed the ordinary way, and the <rpc>'s attributes come back
        # whatever its prefix (RFC 6241 4.2)
        r = RawUnix(sock)
        r.send(b'<nc:rpc xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="41" '
               b'xmlns:ex="urn:example:trace" ex:trace="a&amp;b&lt;c"><nc:get/></nc:rpc>')
        chunks, whole = r.recv_chunks()
        check(chunks and max(chunks) <= 32768 and len(chunks) <= len(whole) // 32768 + 2,
              "whole-state <get>: %d bytes in %d chunks, largest %d" % (len(whole), len(chunks), max(chunks or [0])))
        x = etree.fromstring(whole)
        check(x.get("message-id") == "41" and x.get("{urn:example:trace}trace") == "a&b<c",
              "whole-state <get>: rpc-reply keeps message-id and the client's own attribute")
        r.send(RPC_HEAD % 42 + b'<get><filter type="xpath" xmlns:ia="' + IA.encode() +
               b'" select="/ia:issu-state/*"/></get></rpc>')
        chunks2, parts = r.recv_chunks()
        y = etree.fromstring(parts)
        data_x, data_y = x.find(NC + "data"), y.find(NC + "data")
        st = data_x.find("{%s}issu-state" % IA) if data_x is not None else None
        c14n_x = etree.tostring(data_x, method="c14n", exclusive=True) if data_x is not None else b""
        nsess = len(st.findall("{%s}session" % IA)) if st is not None else 0
        check(nsess == 57 and len(data_x) == 1 and c14n_x == etree.tostring(data_y, method="c14n", exclusive=True),
              "whole-state <get> = every child of issu-state selected and printed by libyang "
              "(%d sessions, %d bytes of data)" % (nsess, len(c14n_x)))
        check(max(chunks2) <= 32768 and len(chunks2) <= len(parts) // 32768 + 2,
              "a filtered reply is chunked at 32 KiB as well (%s)" % chunks2[:8])
        r.close()
        r = RawUnix(sock, v11=False)
        rep = raw_rpc(r, 43, b'<get><filter type="subtree"><issu-state xmlns="' + IA.encode() + b'"/></filter></get>')
        y = etree.fromstring(rep.encode()) if rep else None
        c14n_y = etree.tostring(y.find(NC + "data"), method="c14n", exclusive=True) if y is not None else b""
        check(c14n_y == c14n_x, "whole-state <get> over NETCONF 1.0 framing: the same data (%d bytes)" % len(c14n_y))
        r.close()

        # clients that stop reading: more of them than issud has workers (5), each
        # with whole-state <get>s queued (more than the socket buffers hold).
        # issud gives up on a client after 5 s without progress and drops it;
        # meanwhile and afterwards the others are served.
        dead = []
        for _ in range(10):
            d = RawUnix(sock)
            for i in range(12):
                d.send(RPC_HEAD % (100 + i) + b"<get/></rpc>")
            dead.append(d)
        time.sleep(1)
        t0 = time.time()
        r = m.get(filter=("xpath", (NS, "/ia:issu-state/ia:verdict")))
        waited = time.time() - t0
        check(bool(r.data.xpath("//ia:verdict", namespaces=NS)) and waited < 16,
              "a <get> while 10 clients read nothing is answered in %.1f s (< 16: two 5 s stall rounds at most)" % waited)
        dropped = wait_count(os.path.join(tmp, "issud.log"), DROPPED, 10)
        check(dropped == 10, "every client that read nothing was dropped, with a log line (%d of 10)" % dropped)
        closed, how = 0, []
        for d in dead:  # what was written, then the end of the connection
            d.s.settimeout(5)
            try:
                while d.s.recv(1 << 20):
                    pass
                closed += 1
            except ConnectionResetError:  # closed with our requests unread
                closed += 1
            except OSError as e:
                how.append(repr(e))
            d.close()
        check(closed == 10, "their connections were closed (%d of 10) %s" % (closed, how[:2]))
        t0 = time.time()
        r = m.get(filter=("xpath", (NS, "/ia:issu-state/ia:verdict")))
        check(bool(r.data.xpath("//ia:verdict", namespaces=NS)) and time.time() - t0 < 2,
              "and issud serves at once afterwards")
        # the same over SSH: the client's channel window (2 MB) fills, then
        # nothing moves for 5 s
        ssh = paramiko.SSHClient()
        ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        ssh.connect("127.0.0.1", port=port, username="tester", key_filename=key, allow_agent=False,
                    look_for_keys=False)
        ch = ssh.get_transport().open_session()
        ch.invoke_subsystem("netconf")
        ch.sendall(HELLO % b"urn:ietf:params:netconf:base:1.0")
        for i in range(40):  # 40 x 90 KB
            ch.sendall(RPC_HEAD % (200 + i) + b"<get/></rpc>]]>]]>")
        dropped = wait_count(os.path.join(tmp, "issud.log"), DROPPED, 11)
        check(dropped == 11, "an SSH client that reads nothing is dropped too (%d log lines, 11 expected)" % dropped)
        ssh.close()

        # kill-session (RFC 6241 7.9)
        victim = connect(port, key)
        vid = victim.session_id
        raw = RawUnix(sock)  # and a UNIX-socket session, for ietf-netconf-monitoring's transport
        r = m.get(filter=("subtree", '<netconf-state xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring">'
                                     '<sessions/></netconf-state>'))
        ncm = {"m": "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"}
        tr = [t.split(":")[-1] for t in r.data.xpath("//m:session/m:transport/text()", namespaces=ncm)]
        check(tr.count("unix-socket") == 1 and tr.count("netconf-ssh") == 2,
              "monitoring: transports unix-socket once, netconf-ssh twice (%s)" % tr)
        check(any("issu-agent" in v for t in r.data.xpath("//m:session/m:transport", namespaces=ncm)
                  for v in t.nsmap.values() if t.text.endswith("unix-socket")),
              "monitoring: unix-socket is issu-agent's identity")
        raw.close()
        kill = '<kill-session xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><session-id>%s</session-id></kill-session>'
        r = rpc(m, kill % vid)
        check(r.ok and "<ok/>" in r.xml, "kill-session of another session -> <ok/>")
        closed = None
        for _ in range(30):
            try:
                victim.get_config(source="running")
            except Exception as e:  # ncclient: SessionCloseError or TransportError
                closed = type(e).__name__
                break
            time.sleep(0.1)
        for _ in range(30):  # ncclient's transport thread notices the EOF on its own
            if not victim.connected:
                break
            time.sleep(0.1)
        check(closed in ("SessionCloseError", "TransportError") and not victim.connected,
              "the killed session is closed (%s, connected %s)" % (closed, victim.connected))
        try:
            rpc(m, kill % 99999)
            check(False, "kill-session of an unknown id refused")
        except RPCError as e:
            check(e.tag == "invalid-value" and "no session 99999" in e.message,
                  "kill-session of an unknown id -> rpc-error (%s)" % e.message)
        try:
            rpc(m, kill % m.session_id)
            check(False, "kill-session of itself refused")
        except RPCError as e:
            check(e.tag == "invalid-value" and "cannot kill itself" in e.message,
                  "kill-session of itself -> rpc-error (%s)" % e.message)
        check(m.connected and bool(negotiations(m)), "the killer still serves")

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

        stalled_subscriber(tmp)

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
        completed = True
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        if failures or not completed:
            print(open(os.path.join(tmp, "issud.log")).read()[-4000:])
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
