#!/usr/bin/python3
"""test_hostile.py - issud's NETCONF face against hostile and careless clients
(issue 10), over the UNIX socket and SSH alike.

Each case is a defect libnetconf2 2.0.24 alone had; all run against one
issud with small limits (--netconf-max-sessions 12, --netconf-max-message
1M, hello/auth timeout 3 s, message timeout 3 s), which must serve a
well-behaved client (ncclient over SSH, and a hand-framed UNIX client)
throughout and never die:
- framing: every malformed chunk header ("#abc", "#0", "#-5", "#", "#-1",
  no leading LF, "##" first, a size above the limit, 4294967295) closes
  that session and nothing else;
- handshakes: silent UNIX clients and silent TCP connections to the SSH port
  do not delay other logins, and are closed at the deadline;
- XPath: a quadratic filter is refused at once with the reason; five clients
  sending a cubic one and leaving do not stall the others;
- subtree values with quotes cannot change the selection;
- size: a message over the limit is refused as it arrives (RSS stays flat);
- half-sent messages hold no worker and are closed at the deadline;
- the session limit refuses the extra connection, logs at most once a
  second, and frees the slot when a session ends.
issud is killed by PID, also on failure.

usage: test_hostile.py SOURCE_DIR BIN_DIR
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, failures, free_port  # noqa: E402
from ncclient import manager
from ncclient.operations.rpc import RPCError
import paramiko

SRC, BIN = sys.argv[1], sys.argv[2]
IA = "urn:issu-agent:yang:issu-agent"
NS = {"ia": IA}
HELLO11 = (b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>'
           b'urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>')
GET = b'<rpc message-id="%d" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/>' \
      b'</source></get-config></rpc>'




def chunk(m):
    return b"\n#%d\n%s\n##\n" % (len(m), m)


class Unix:
    """A hand-framed NETCONF 1.1 session over the UNIX socket."""

    def __init__(self, path, hello=True, timeout=10):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""
        if hello:
            while b"]]>]]>" not in self.buf:
                d = self.s.recv(65536)
                if not d:
                    raise OSError("closed before the hello")
                self.buf += d
            self.buf = self.buf.split(b"]]>]]>", 1)[1]
            self.s.sendall(HELLO11)

    def get(self, mid, timeout=10):
        self.s.sendall(chunk(GET % mid))
        return self.reply(timeout)

    def reply(self, timeout=10):
        self.s.settimeout(timeout)
        while b"\n##\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                return ""
            self.buf += d
        msg, self.buf = self.buf.split(b"\n##\n", 1)
        return msg.decode(errors="replace")

    def closed(self, timeout=5):
        """Whether the server closes this connection within @timeout."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


class Ssh:
    """A hand-framed NETCONF 1.1 session over SSH (paramiko)."""

    def __init__(self, port, key):
        self.c = paramiko.SSHClient()
        self.c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.c.connect("127.0.0.1", port=port, username="tester", key_filename=key, allow_agent=False,
                       look_for_keys=False, timeout=10)
        self.ch = self.c.get_transport().open_session()
        self.ch.invoke_subsystem("netconf")
        self.ch.settimeout(10)
        buf = b""
        while b"]]>]]>" not in buf:
            buf += self.ch.recv(65536)
        self.ch.sendall(HELLO11)

    def closed(self, timeout=5):
        self.ch.settimeout(timeout)
        try:
            while True:
                if not self.ch.recv(65536):
                    return True
        except socket.timeout:
            return False
        except (EOFError, OSError):
            return True

    def close(self):
        self.c.close()


def log_has(logf, text):
    return open(logf).read().count(text)


def wait_log(logf, text, n=1, timeout=10):
    deadline = time.time() + timeout
    while log_has(logf, text) < n and time.time() < deadline:
        time.sleep(0.1)
    return log_has(logf, text)


def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def served(m, what):
    t0 = time.time()
    try:
        r = m.get(filter=("xpath", (NS, "/ia:issu-state/ia:verdict")))
        ok = bool(r.data.xpath("//ia:verdict", namespaces=NS))
    except Exception as e:  # noqa: BLE001 - any failure is the finding
        ok = False
        what += " (%r)" % e
    dt = time.time() - t0
    check(ok and dt < 3, "%s: a <get> over SSH is answered in %.2f s" % (what, dt))


def issuctl_timeout(tmp):
    """issuctl against a socket that accepts and never answers: exit 4 at --timeout."""
    path = os.path.join(tmp, "mute.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(4)
    held = []
    stop = []

    def accept():
        srv.settimeout(0.2)
        while not stop:
            try:
                held.append(srv.accept()[0])
            except socket.timeout:
                pass
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    t0 = time.time()
    p = subprocess.run([os.path.join(BIN, "issuctl"), "--timeout", "2", "--socket", path, "show", "issu", "clients"],
                       capture_output=True, text=True, timeout=30)
    dt = time.time() - t0
    stop.append(1)
    t.join(2)
    for c in held:
        c.close()
    srv.close()
    check(p.returncode == 4 and "did not answer in time" in p.stderr and dt < 5,
          "issuctl: a server that never answers -> exit %d after %.1f s (%s)" % (p.returncode, dt, p.stderr.strip()))


def main():
    tmp = tempfile.mkdtemp(prefix="issu-hostile-")
    proc = None
    try:
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "tester@test", "-f",
                        os.path.join(tmp, "client")], check=True)
        shutil.copy(os.path.join(tmp, "client.pub"), os.path.join(tmp, "authorized_keys"))
        key = os.path.join(tmp, "client")
        issuctl_timeout(tmp)
        port = free_port()
        sock = os.path.join(tmp, "nc.sock")
        logf = os.path.join(tmp, "issud.log")
        proc = subprocess.Popen([os.path.join(BIN, "issud"), "--netconf-unix", sock,
                                 "--netconf-ssh", "127.0.0.1:%d" % port,
                                 "--ssh-host-key", os.path.join(tmp, "host.pem"),
                                 "--ssh-authorized-keys", os.path.join(tmp, "authorized_keys"),
                                 "--netconf-max-sessions", "12", "--netconf-max-message", "1M",
                                 "--netconf-hello-timeout", "3", "--netconf-auth-timeout", "3",
                                 "--netconf-message-timeout", "3"], stderr=open(logf, "w"))
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        m = manager.connect(host="127.0.0.1", port=port, username="tester", key_filename=key,
                            hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=20)
        served(m, "at start")

        # ---- framing: each bad header ends its own session only
        bad = [b"\n#abc\n", b"\n#0\n", b"\n#-5\n", b"\n#\n", b"#10\n0123456789\n##\n", b"\n##\n",
               b"\n#-1\nxxxxxxxx", b"\n#4294967295\nabc", b"\n#2000000\n" + b"x" * 1000, b"\n#01\nx\n##\n"]
        for b in bad:
            u = Unix(sock)
            u.s.sendall(b)
            check(u.closed(), "framing: UNIX %r closes the session" % b[:16])
            u.close()
            s = Ssh(port, key)
            s.ch.sendall(b)
            check(s.closed(), "framing: SSH %r closes the session" % b[:16])
            s.close()
        check(proc.poll() is None, "framing: issud survived every malformed header")
        served(m, "after the framing cases")
        u = Unix(sock)
        check('message-id="9"' in u.get(9), "framing: a new UNIX session is served")
        u.close()
        check(wait_log(logf, "chunk size is not a number") >= 1, "framing: the reason is logged")

        # ---- handshakes: silent clients do not hold the others
        silent_u = [Unix(sock, hello=False) for _ in range(3)]
        silent_t = []
        for _ in range(3):
            t = socket.create_connection(("127.0.0.1", port))
            silent_t.append(t)
        t0 = time.time()
        m2 = manager.connect(host="127.0.0.1", port=port, username="tester", key_filename=key,
                             hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=20)
        dt = time.time() - t0
        check(dt < 3, "handshakes: an SSH login beside 3 silent UNIX clients and 3 silent TCP connections "
                      "takes %.2f s" % dt)
        t0 = time.time()
        u = Unix(sock)
        rep = u.get(10)
        dt = time.time() - t0
        check('message-id="10"' in rep and dt < 2, "handshakes: a UNIX session meanwhile: %.2f s" % dt)
        u.close()
        m2.close_session()
        check(all(x.closed(6) for x in silent_u), "handshakes: silent UNIX clients closed at the hello deadline")
        check(wait_log(logf, "no hello within 3 s") >= 1, "handshakes: the hello deadline is logged")
        check(wait_log(logf, "no login and netconf subsystem in time") >= 1 or wait_log(logf, "no key exchange in time") >= 1,
              "handshakes: the SSH login deadline is logged")
        for x in silent_u:
            x.close()
        for t in silent_t:
            t.close()

        # ---- XPath cost
        t0 = time.time()
        try:
            m.get(filter=("xpath", "//*[count(//*) > 0]"))
            check(False, "xpath: a quadratic filter is refused")
        except RPCError as e:
            dt = time.time() - t0
            check("too costly" in e.message and "--netconf-xpath-max-cost" in e.message and dt < 2,
                  "xpath: a quadratic filter is refused in %.2f s (%s)" % (dt, e.message[:80]))
        try:  # libyang 2.1.30 dies of SIGFPE on "mod" by 0 (agent/netconf/nc_libyang.c)
            m.get(filter=("xpath", "/*[1 mod 0 = 1]"))
            check(False, "xpath: mod is refused, not evaluated")
        except RPCError as e:
            check("mod operator is not accepted" in e.message and proc.poll() is None,
                  "xpath: mod is refused, not evaluated (%s)" % e.message[:60])
        r = m.get(filter=("xpath", (NS, "/ia:issu-state/ia:session[ia:session-id > 40]/ia:session-name")))
        check(len(r.data.xpath("//ia:session-name", namespaces=NS)) > 0, "xpath: a linear predicate still works")

        def cubic():
            try:
                c = manager.connect(host="127.0.0.1", port=port, username="tester", key_filename=key,
                                    hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=20)
                c.async_mode = True
                c.get(filter=("xpath", "//*[count(//*[count(//*) > 0]) > 0]"))
                c.close_session()
            except Exception:  # noqa: BLE001 - whatever it gets, it leaves
                pass
        ts = [threading.Thread(target=cubic) for _ in range(5)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        served(m, "xpath: after five cubic filters")

        # ---- subtree values with quotes: a literal, not XPath
        inj = '" or "1"="1" or "\''
        r = m.get(filter=("subtree", '<issu-state xmlns="%s"><verdict>%s</verdict></issu-state>' %
                          (IA, inj.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;"))))
        check(not r.data.xpath("//ia:verdict", namespaces=NS),
              "subtree: a content match with both quotes matches nothing (no injection)")
        r = m.get(filter=("subtree", '<issu-state xmlns="%s"><verdict>compatible</verdict></issu-state>' % IA))
        check(r.data.xpath("//ia:verdict/text()", namespaces=NS) == ["compatible"], "subtree: a plain match still works")

        # ---- size: refused as it arrives
        rss0 = rss_kib(proc.pid)
        us = []
        for _ in range(5):
            u = Unix(sock)
            u.s.sendall(b"\n#4294967295\n")
            us.append(u)
        check(all(u.closed() for u in us), "size: five 4 GiB chunk headers are refused at once")
        u = Unix(sock)
        try:
            for _ in range(40):  # 40 x 64 KiB in one message, over the 1 MiB limit
                u.s.sendall(b"\n#65536\n" + b"x" * 65536)
        except OSError:
            pass
        check(u.closed(), "size: a message growing past --netconf-max-message is refused")
        rss1 = rss_kib(proc.pid)
        check(rss1 - rss0 < 20000, "size: issud's RSS %d -> %d KiB" % (rss0, rss1))
        check(wait_log(logf, "message larger than the limit") >= 1, "size: the reason is logged")

        # ---- half-sent messages hold no worker
        half = []
        for i in range(20):
            u = Unix(sock) if i < 10 else None
            if u:
                u.s.sendall(b"\n#500\n" + (GET % (100 + i))[:40])
                half.append(u)
        t0 = time.time()
        u = Unix(sock)
        rep = u.get(11)
        dt = time.time() - t0
        check('message-id="11"' in rep and dt < 1, "half-sent: a <get> beside 10 half-sent messages: %.2f s" % dt)
        u.close()
        check(all(h.closed(6) for h in half), "half-sent: closed at --netconf-message-timeout")
        check(wait_log(logf, "message not finished within 3 s") >= 1, "half-sent: the deadline is logged")

        # ---- session limit
        n_before = log_has(logf, "session limit (12) reached")
        held = []
        for _ in range(12):
            try:
                held.append(Unix(sock))
            except OSError:
                break
        t_flood = time.time()
        refused = 0
        for _ in range(50):
            try:
                x = Unix(sock, timeout=2)
                refused += x.closed(2)
                x.close()
            except OSError:
                refused += 1
        check(refused == 50, "limit: connections beyond --netconf-max-sessions are refused (%d of 50)" % refused)
        secs = time.time() - t_flood
        time.sleep(1.5)  # the count held back is logged a second later
        n_after = log_has(logf, "session limit (12) reached")
        check(1 <= n_after - n_before <= secs + 3, "limit: logged at most once a second (%d lines for 50 in %.1f s)"
              % (n_after - n_before, secs))
        check(wait_log(logf, "more like \"session limit (12) reached") >= 1, "limit: the count held back is logged")
        for h in held:
            h.close()
        time.sleep(0.5)
        u = Unix(sock)
        check('message-id="12"' in u.get(12), "limit: served again once sessions ended")
        u.close()
        served(m, "at the end")
        check(proc.poll() is None, "issud still runs")
        proc.send_signal(signal.SIGTERM)
        t0 = time.time()
        proc.wait(10)
        check(time.time() - t0 < 5, "SIGTERM stops issud in %.2f s" % (time.time() - t0))
        proc = None
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        if failures:
            print(open(os.path.join(tmp, "issud.log")).read()[-6000:])
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
