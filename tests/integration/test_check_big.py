#!/usr/bin/python3
"""test_check_big.py - check-upgrade of a 20,000-client candidate (issue 10 item 9).

The check used to cost time quadratic in the candidate's clients: in issud's
NETCONF worker (libnetconf2 moving the report into its reply node by node)
and in issuctl's text rendering (a lookup by id per session). Here issud
runs an image of 20,000 clients with two entities each (40,000 sessions)
and gets, over its UNIX socket, a check-upgrade of the same clients with
other version ranges; then `issuctl check` renders the same pair offline.
Both must give the whole report (every client and session, verdict
compatible). The speed criterion is ctest's TIMEOUT (60 s): on the old code
the RPC alone took 47 s and the rendering more than another minute; now the
whole run takes ~11 s on the project's 2-core machines. issud is killed by
PID, also on failure.
Usage: test_check_big.py SOURCE_DIR BIN_DIR [CLIENTS]
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SRC, BIN = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
ENT = 2
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IA = "urn:issu-agent:yang:issu-agent"
IM = "urn:issu-agent:yang:issu-manifest"
HELLO = ('<hello xmlns="%s"><capabilities><capability>urn:ietf:params:netconf:base:1.1</capability>'
         '</capabilities></hello>]]>]]>' % NC).encode()
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def image(lo, name):
    """N clients of ENT entities, versions lo~lo+1; 4 base clients, the rest with a prerequisite."""
    out = ['<image xmlns="%s"><name>%s</name><version>1</version>' % (IM, name)]
    for i in range(1, N + 1):
        extra = "<base>true</base>" if i <= 4 else "<prerequisite>%d</prerequisite>" % (10001 + i % 4)
        ents = "".join('<entity><id>%d</id><session-name>s%d.%d</session-name><message-group>1</message-group>'
                       '<capability-group>1</capability-group></entity>' % (e, i, e) for e in range(1, ENT + 1))
        out.append('<client><id>%d</id><name>c%d</name>%s<message-group><id>1</id><message-type><id>1</id>'
                   '<version><number>%d</number><mtu>100</mtu></version><version><number>%d</number><mtu>200'
                   '</mtu></version></message-type></message-group><capability-group><id>1</id></capability-group>%s'
                   '</client>'
                   % (10000 + i, i, extra, lo, lo + 1, ents))
    out.append("</image>")
    return "".join(out)


def recv_until(s, buf, end, deadline=None):
    """Read until @end has arrived; the bytes so far. Linear: the reply may be 40 MB
    in 32 KiB pieces, so no re-scan or re-join of what came before."""
    parts, tail = [buf], buf[-len(end):]
    while end not in tail:
        if deadline is not None:
            s.settimeout(max(0.1, deadline - time.time()))
        d = s.recv(1 << 20)
        if not d:
            raise RuntimeError("issud closed the session")
        parts.append(d)
        tail = (tail + d)[-(len(d) + len(end)):]
    return b"".join(parts)


def rpc_check(sock, cand):
    """The check-upgrade reply (chunks joined) and the time it took."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(120)  # ctest's TIMEOUT decides
    s.connect(sock)
    buf = recv_until(s, b"", b"]]>]]>")
    s.sendall(HELLO)
    msg = ('<rpc message-id="1" xmlns="%s"><check-upgrade xmlns="%s"><candidate>%s</candidate></check-upgrade>'
           '</rpc>' % (NC, IA, cand)).encode()
    time.sleep(0.2)  # both hellos done: chunked framing from here
    t0 = time.time()
    s.sendall(b"\n#%d\n" % len(msg) + msg + b"\n##\n")
    raw = recv_until(s, b"", b"\n##\n")
    dt = time.time() - t0
    s.close()
    parts, pos = [], 0
    while raw.startswith(b"\n#", pos) and not raw.startswith(b"\n##", pos):
        nl = raw.index(b"\n", pos + 2)
        n = int(raw[pos + 2:nl])
        parts.append(raw[nl + 1:nl + 1 + n])
        pos = nl + 1 + n
    return b"".join(parts).decode(), dt


def main():
    tmp = tempfile.mkdtemp(prefix="issu-bigchk-")
    p = None
    try:
        run, cand = os.path.join(tmp, "running.xml"), os.path.join(tmp, "candidate.xml")
        open(run, "w").write(image(1, "big-running"))
        cand_xml = image(2, "big-candidate")
        open(cand, "w").write(cand_xml)
        sock, log = os.path.join(tmp, "nc.sock"), os.path.join(tmp, "issud.log")
        env = dict(os.environ, ISSU_YANG_DIR=os.path.join(SRC, "yang"))
        p = subprocess.Popen([os.path.join(BIN, "issud"), "--active", run, "--standby", run, "--netconf-unix", sock],
                             stderr=open(log, "w"), env=env)
        deadline = time.time() + 30
        while not os.path.exists(sock) and p.poll() is None and time.time() < deadline:
            time.sleep(0.1)
        if not check(os.path.exists(sock) and p.poll() is None, "issud runs %d clients x %d entities" % (N, ENT)):
            return
        reply, dt = rpc_check(sock, cand_xml)
        check("<verdict" in reply and ">compatible</verdict>" in reply, "check-upgrade over NETCONF: verdict "
              "compatible (%.1f s, %d bytes)" % (dt, len(reply)))
        nc, ns = len(re.findall(r"<client[ >]", reply)), len(re.findall(r"<session[ >]", reply))
        check(nc == N and ns == N * ENT, "the reply has every client and session (%d, %d)" % (nc, ns))
        check(p.poll() is None, "issud still runs")
        t0 = time.time()
        r = subprocess.run([os.path.join(BIN, "issuctl"), "check", "--active", run, "--standby", cand],
                           capture_output=True, text=True, env=env)
        dt = time.time() - t0
        check(r.returncode == 0 and r.stdout.startswith("Image verdict: COMPATIBLE"),
              "issuctl check renders the pair (exit %d, %.1f s) %s" % (r.returncode, dt, r.stderr.strip()[:200]))
        nsess = r.stdout.count("*** Session_ID = ")
        nver = r.stdout.count("Negotiated_Version = 2")
        check(nsess == N * ENT and nver == N * ENT, "every session rendered, each with its negotiated version "
              "(%d, %d)" % (nsess, nver))
    finally:
        if p and p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
