#!/usr/bin/python3
"""scale_bench.py - issue 19's figures at several session counts in one run.

For each size N (default 1,000 10,000 100,000; --no-100k drops the last in
CI-like use, never in recorded figures) it writes two images of N / 10 clients of
10 entities each (N sessions; netconf_get_bench.py's shape, shorter) and
measures, with the growth factor against the previous size:
- offline `issuctl check --active A --standby B`, text and --json (output to
  /dev/null; text/json ratio);
- issud --netconf-unix on the pair: the first whole-state <get> after start,
  sent as soon as the socket exists and its first byte and end timed from
  the active endpoint's 'negotiation 1 with peer 7 done' log line being seen (NETCONF 1.0 framing over
  the UNIX socket, read as bytes, not parsed);
- VmRSS steady (after that get) and after 6 and 20 reloads;
- SIGHUP with the last client's standby version flipped (compatible <->
  incompatible): time until a one-session filtered <get> of that session,
  polled on its own session, shows the new result; the slowest of those
  polled <get>s during the window;
- `issuctl show issu sessions <client>` and `show issu negotiated version
  <session>` (wall time of the command, best of 3).
SNMP is not measured here: agent/snmp's AgentX transport is being replaced
(issue 17) and snmp_bench.py keeps its own private snmpd.
issud is killed by PID, also on failure. Not a ctest test.
Usage: scale_bench.py SOURCE_DIR BIN_DIR [--no-100k] [--reloads R] [N...]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

IA = "urn:issu-agent:yang:issu-agent"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
HELLO = (b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>'
         b'<capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>')
ENTS = 10
WHOLE = '<filter type="subtree"><issu-state xmlns="%s"/></filter>' % IA


def image(name, n, flip=False):
    """n sessions: n / 10 clients of 10 entities; with @flip the last client
    has no common version. Short names: 100,000 sessions must fit a manifest
    (16 MiB)."""
    clients = []
    nc = max(1, n // ENTS)
    for c in range(nc):
        cid = 10000 + c
        v = 5 if flip and c == nc - 1 else 1
        clients.append({"id": cid, "name": "c", "message-group": [{"id": 1, "message-type": [
            {"id": 1, "version": [{"number": v, "mtu": 0}]}]}], "capability-group": [{"id": 1}],
            "entity": [{"id": e, "session-name": "s", "message-group": 1, "capability-group": 1}
                       for e in range(1, ENTS + 1)]})
    return {"issu-manifest:image": {"name": name, "version": "1", "client": clients}}


def vm(pid, key):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


class Raw:
    """One NETCONF 1.0 session over the UNIX socket; replies read as bytes."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(300)
        for _ in range(600):  # the socket file exists a moment before issud listens
            try:
                self.s.connect(path)
                break
            except ConnectionRefusedError:
                time.sleep(0.01)
        else:
            raise RuntimeError("issud does not accept on %s" % path)
        self.rest = b""
        self.mid = 0
        self.read()
        self.s.sendall(HELLO)

    def read(self, first=None):
        parts, tail, d = [], b"", self.rest
        while True:
            if d:
                parts.append(d)
                j = (tail + d).find(b"]]>]]>")
                if j >= 0:
                    msg = b"".join(parts)
                    i = len(msg) - len(d) - len(tail) + j
                    self.rest = msg[i + 6:]
                    return msg[:i]
                tail = (tail + d)[-5:]
            d = self.s.recv(1 << 20)
            if not d:
                raise RuntimeError("UNIX session closed")
            if first is not None and not first:
                first.append(time.perf_counter())

    def get(self, filt):
        """(time to first byte, time to the end, reply)"""
        self.mid += 1
        first = []
        t0 = time.perf_counter()
        self.s.sendall(('<rpc message-id="%d" xmlns="%s"><get>%s</get></rpc>]]>]]>'
                        % (self.mid, NC, filt)).encode())
        msg = self.read(first)
        t1 = time.perf_counter()
        if b"<rpc-error" in msg[:4096]:
            raise RuntimeError("rpc-error: %r" % msg[:400])
        return (first or [t1])[0] - t0, t1 - t0, msg

    def close(self):
        self.s.close()


def timed(cmd, env):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t0
    if r.returncode not in (0, 1, 2):  # 1, 2: verdicts other than compatible
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr[-400:]))
    return dt


def best(f, k=3):
    return min(f() for _ in range(k))


def one_size(a, n, tmp, env):
    r = {}
    act, sb = os.path.join(tmp, "a%d.json" % n), os.path.join(tmp, "s%d.json" % n)
    sbf = os.path.join(tmp, "s%d-flip.json" % n)
    json.dump(image("bench-a", n), open(act, "w"), separators=(",", ":"))
    json.dump(image("bench-s", n), open(sb, "w"), separators=(",", ":"))
    json.dump(image("bench-s", n, True), open(sbf, "w"), separators=(",", ":"))
    live = os.path.join(tmp, "live%d.json" % n)
    shutil.copy(sb, live)
    ctl = os.path.join(a.bin, "issuctl")
    reps = 1 if n >= 100000 else 3
    r["check_text"] = best(lambda: timed([ctl, "check", "--active", act, "--standby", sb], env), reps)
    r["check_json"] = best(lambda: timed([ctl, "check", "--json", "--active", act, "--standby", sb], env), reps)

    sock = os.path.join(tmp, "nc%d.sock" % n)
    logp = os.path.join(tmp, "issud%d.log" % n)
    log = open(logp, "w")
    p = subprocess.Popen([os.path.join(a.bin, "issud"), "--active", act, "--standby", live,
                          "--netconf-unix", sock], stderr=log, env=env)
    try:
        deadline = time.time() + 600
        while not os.path.exists(sock):
            if p.poll() is not None or time.time() > deadline:
                raise RuntimeError("issud did not start: see %s" % logp)
            time.sleep(0.01)
        c = Raw(sock)
        while "negotiation 1 with peer 7 done" not in open(logp).read():  # the active endpoint's round
            if p.poll() is not None or time.time() > deadline:
                raise RuntimeError("no first round: see %s" % logp)
            time.sleep(0.01)
        t_round = time.perf_counter()
        fb, end, msg = c.get(WHOLE)
        lag = time.perf_counter() - t_round - end  # time from seeing the round to sending
        r["first_get_fb"], r["first_get_end"], r["whole_bytes"] = fb + lag, end + lag, len(msg)
        if msg.count(b"<session>") != n:
            raise RuntimeError("whole <get>: %d sessions, %d expected" % (msg.count(b"<session>"), n))
        r["whole_again"] = best(lambda: c.get(WHOLE)[1])
        r["rss_steady"] = vm(p.pid, "VmRSS")
        cid = 10000 + max(1, n // ENTS) - 1
        _, _, m = c.get('<filter type="xpath" select="/issu-agent:issu-state/issu-agent:session[issu-agent:client-id'
                        "='%d']/issu-agent:session-id\" xmlns:issu-agent=\"%s\"/>" % (cid, IA))
        sid = int(m.split(b"<session-id>")[1].split(b"<")[0])
        one = ('<filter type="subtree"><issu-state xmlns="%s"><session><session-id>%d</session-id><result/>'
               '</session></issu-state></filter>' % (IA, sid))
        r["one_get"] = best(lambda: c.get(one)[1])
        # the show forms that name one client / one session
        base = [ctl, "--socket", sock, "show", "issu"]
        r["show_sessions"] = best(lambda: timed(base + ["sessions", str(cid)], env))
        r["show_negver"] = best(lambda: timed(base + ["negotiated", "version", str(sid)], env))
        hup, worst, rss = [], [], {}
        for k in range(1, a.reloads + 1):
            flip = k % 2 == 1
            want = b"<result>incompatible</result>" if flip else b"<result>compatible</result>"
            shutil.copy(sbf if flip else sb, live + ".new")
            os.replace(live + ".new", live)
            t0 = time.perf_counter()
            os.kill(p.pid, signal.SIGHUP)
            slow = 0.0
            while True:
                _, dt, m = c.get(one)
                slow = max(slow, dt)
                if want in m:
                    break
                if time.perf_counter() - t0 > 600:
                    raise RuntimeError("reload %d never served" % k)
            hup.append(time.perf_counter() - t0)
            worst.append(slow)
            # the next reload once the whole state of this one is served too
            c.get(WHOLE)
            if k in (6, 20):
                rss[k] = vm(p.pid, "VmRSS")
        r["hup"], r["hup_get_worst"], r["rss"] = hup, worst, rss
        r["round_lines"] = [l.strip() for l in open(logp) if "tree built" in l][-1:]
        c.close()
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("bin")
    ap.add_argument("--no-100k", action="store_true", help="CI-like use: leave out 100,000")
    ap.add_argument("--reloads", type=int, default=20)
    ap.add_argument("sizes", nargs="*", type=int)
    a = ap.parse_intermixed_args()
    sizes = a.sizes or [1000, 10000] + ([] if a.no_100k else [100000])
    env = dict(os.environ, ISSU_YANG_DIR=os.path.join(a.src, "yang"))
    tmp = tempfile.mkdtemp(prefix="issu-scale-")
    print("command: /usr/bin/python3 tests/bench/scale_bench.py %s" % " ".join(sys.argv[1:]))
    print("date: %s; load %s" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                 open("/proc/loadavg").read().split()[0]))
    res = {}
    try:
        for n in sizes:
            print("N=%d ..." % n, file=sys.stderr, flush=True)
            res[n] = one_size(a, n, tmp, env)
            print("N=%d: %r" % (n, res[n]), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def med(v):
        v = sorted(v)
        return v[len(v) // 2]
    rows = [("offline check text (s)", lambda r: r["check_text"]),
            ("offline check --json (s)", lambda r: r["check_json"]),
            ("first whole <get> after the round, first byte (s)", lambda r: r["first_get_fb"]),
            ("first whole <get> after the round, whole reply (s)", lambda r: r["first_get_end"]),
            ("whole <get> again (cached, s)", lambda r: r["whole_again"]),
            ("one-session filtered <get> (s)", lambda r: r["one_get"]),
            ("SIGHUP -> new result over NETCONF, median (s)", lambda r: med(r["hup"])),
            ("SIGHUP -> new result over NETCONF, worst (s)", lambda r: max(r["hup"])),
            ("one-session <get> during that window, worst (s)", lambda r: max(r["hup_get_worst"])),
            ("issuctl show issu sessions <client> (s)", lambda r: r["show_sessions"]),
            ("issuctl show issu negotiated version <sid> (s)", lambda r: r["show_negver"]),
            ("VmRSS steady (MiB)", lambda r: r["rss_steady"] / 1024),
            ("VmRSS after 6 reloads (MiB)", lambda r: r["rss"].get(6, 0) / 1024),
            ("VmRSS after 20 reloads (MiB)", lambda r: r["rss"].get(20, 0) / 1024)]
    print("| figure | " + " | ".join("%d" % n for n in sizes) + " | growth per 10x |")
    print("|---|" + "---:|" * len(sizes) + "---|")
    for name, f in rows:
        v = [f(res[n]) for n in sizes]
        g = ["%.1f" % (v[i] / v[i - 1]) if v[i - 1] > 0 else "-" for i in range(1, len(v))]
        print("| %s | %s | %s |" % (name, " | ".join("%.3f" % x for x in v), ", ".join(g)))
    for n in sizes:
        r = res[n]
        print("N=%d: check text/json %.2f; RSS after 20 reloads / steady %.2f; whole reply %d bytes; %s"
              % (n, r["check_text"] / r["check_json"], r["rss"].get(20, 0) / max(1, r["rss_steady"]),
                 r["whole_bytes"], "; ".join(x.split("INFO: ", 1)[-1] for x in r["round_lines"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
