#!/usr/bin/python3
"""check_upgrade_bench.py - the check-upgrade RPC end to end against a live
issud, by candidate size (issue 10 item 9). Not a ctest test.

For each size N it writes the images of one shape (bench_check.c's):
  standby-only  issud runs examples/images/running.json; the candidate is
                running.xml plus N clients of its own (optional, one
                prerequisite, no entity): N + 54 clients, 57 sessions.
                Anchor: N = 0.
  matched       issud runs N generated clients of one entity each; the
                candidate is the same clients with versions 2~3 instead of
                1~2: N clients, N sessions. Anchor: N = 57.
  chain         as matched, but client i has client i - 1 as prerequisite
                and client 1 no common version: every client effectively
                incompatible through a chain as deep as its id.
starts issud on them with --netconf-unix, and times one check-upgrade over
the UNIX socket (NETCONF 1.1 framing, read as bytes, no XML parsing) from
the request's first byte to the reply's last, once issud has finished its
own startup round, plus issud's peak RSS (VmHWM) before and after the call. A reply that is no <rpc-reply> with a
<verdict> fails the run. With several BIN_DIRs (e.g. the build of main and
of a branch) every size runs against each, alternating, in the same run.
issud is killed by PID, also on failure.

--repeat K sends K checks to the same issud, each on a new session (so
another worker thread and its malloc arena): what it keeps between checks.

Usage: check_upgrade_bench.py SOURCE_DIR [--shape S] [--timeout SECS] [--repeat K]
                              --bin NAME=BIN_DIR [--bin ...] N...
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IA = "urn:issu-agent:yang:issu-agent"
IM = "urn:issu-agent:yang:issu-manifest"
HELLO = ('<hello xmlns="%s"><capabilities><capability>urn:ietf:params:netconf:base:1.1</capability>'
         '</capabilities></hello>]]>]]>' % NC).encode()


def matched(n, lo, name, chain=False):
    out = ['<image xmlns="%s"><name>%s</name><version>1</version>' % (IM, name)]
    for i in range(1, n + 1):
        base = "<base>true</base>" if i <= 4 and not chain else ""
        if chain:
            pre = "<prerequisite>%d</prerequisite>" % (10000 + i - 1) if i > 1 else ""
        else:
            pre = "" if i <= 4 else "<prerequisite>%d</prerequisite>" % (10001 if i % 2 else 10002)
        v = lo * 10 if chain and i == 1 else lo
        out.append('<client><id>%d</id><name>client %d</name>%s%s<message-group><id>1</id><message-type>'
                   '<id>1</id><version><number>%d</number><mtu>100</mtu></version><version><number>%d</number>'
                   '<mtu>200</mtu></version></message-type></message-group><capability-group><id>1</id>'
                   '<capability-type><id>0</id><entry>1</entry></capability-type></capability-group><entity>'
                   '<id>1</id><session-name>s %d</session-name><message-group>1</message-group>'
                   '<capability-group>1</capability-group></entity></client>'
                   % (10000 + i, i, base, pre, v, v + 1, i))
    out.append("</image>")
    return "".join(out)


def standby_only(src, n):
    run = open(os.path.join(src, "examples/images/running.xml")).read()
    body = run[run.index("<image"):run.index("</image>")]
    # short names: 100,000 clients must fit one INVENTORY message (4 MiB)
    extra = ["<client><id>%d</id><name>c%d</name><optional>true</optional>"
             "<prerequisite>%d</prerequisite></client>" % (100000 + i, i, 2007 if i % 2 else 3)
             for i in range(1, n + 1)]
    return body + "".join(extra) + "</image>"


def vm(pid, key):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


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


def check_once(binary, src, active, standby, cand, tmp, timeout, repeat):
    sock = os.path.join(tmp, "nc.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    log = open(os.path.join(tmp, "issud.log"), "w")
    env = dict(os.environ, ISSU_YANG_DIR=os.path.join(src, "yang"))
    p = subprocess.Popen([os.path.join(binary, "issud"), "--active", active, "--standby", standby,
                          "--netconf-unix", sock], stderr=log, env=env)
    try:
        deadline = time.time() + 60
        # wait for the startup round too: its memory is not the check's
        while not os.path.exists(sock) or "negotiation 1 with peer" not in open(log.name).read():
            if p.poll() is not None or time.time() > deadline:
                raise RuntimeError("issud did not start: see %s" % log.name)
            time.sleep(0.05)
        time.sleep(0.5)
        runs = []
        for _ in range(repeat):  # each on a new session: another worker, another malloc arena
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            recv_until(s, b"", b"]]>]]>", time.time() + 20)
            s.sendall(HELLO)
            time.sleep(0.2)  # the server switches to chunked framing after both hellos
            hwm0 = vm(p.pid, "VmHWM")
            msg = ('<rpc message-id="1" xmlns="%s"><check-upgrade xmlns="%s"><candidate>%s</candidate>'
                   '</check-upgrade></rpc>' % (NC, IA, cand)).encode()
            t0 = time.time()
            s.sendall(b"\n#%d\n" % len(msg) + msg + b"\n##\n")
            buf = recv_until(s, b"", b"\n##\n", t0 + timeout)
            dt = time.time() - t0
            s.close()
            time.sleep(0.3)
            if b"rpc-reply" not in buf or b"<verdict" not in buf:
                raise RuntimeError("no report in the reply: %r" % buf[:300])
            runs.append((dt, len(msg), len(buf), hwm0, vm(p.pid, "VmHWM"), vm(p.pid, "VmRSS")))
        return runs
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("--shape", default="standby-only", choices=("standby-only", "matched", "chain"))
    ap.add_argument("--bin", action="append", required=True, help="NAME=BIN_DIR")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--repeat", type=int, default=1, help="checks per issud (memory held across checks)")
    ap.add_argument("sizes", nargs="+", type=int)
    a = ap.parse_args()
    bins = [b.split("=", 1) for b in a.bin]
    tmp = tempfile.mkdtemp(prefix="issu-chkbench-")
    print("shape %s; time = request sent .. reply received; HWM = issud's VmHWM before -> after; RSS = its "
          "VmRSS 0.3 s after the reply" % a.shape)
    anchor = {}
    for n in a.sizes:
        if a.shape != "standby-only":
            active = os.path.join(tmp, "running.xml")
            open(active, "w").write(matched(n, 1, "bench-running", a.shape == "chain"))
            cand = matched(n, 2, "bench-candidate", a.shape == "chain")
        else:
            active = os.path.join(a.src, "examples/images/running.json")
            cand = standby_only(a.src, n)
        for name, b in bins:
            try:
                runs = check_once(b, a.src, active, active, cand, tmp, a.timeout, a.repeat)
            except (RuntimeError, OSError) as e:
                print("%-8s N=%-7d FAILED: %s" % (name, n, e), flush=True)
                continue
            for k, (dt, qlen, rlen, h0, h1, rss) in enumerate(runs):
                anchor.setdefault(name, dt)
                print("%-8s N=%-7d %srequest %9d B  reply %10d B  %8.3f s  x%-8.1f HWM %6.1f -> %6.1f MiB, "
                      "RSS after %6.1f MiB" % (name, n, "#%d " % (k + 1) if a.repeat > 1 else "", qlen, rlen, dt,
                                               dt / anchor[name], h0 / 1024, h1 / 1024, rss / 1024), flush=True)

if __name__ == "__main__":
    main()
