#!/usr/bin/python3
"""scale_bench.py - issue 19's figures at several session counts in one run.

For each size N (default 1,000 10,000 100,000; --no-100k drops the last for
quick use, never in recorded figures) it writes two images of N / 10 clients
of 10 entities each (N sessions; netconf_get_bench.py's shape, shorter),
starts a private snmpd (free UDP port on 127.0.0.1, its own config and
persistent dir, `master agentx` on a socket in the temp dir, -C: no other
config; agentXTimeout 30 as in snmp_bench.py) and issud on the pair with
--netconf-unix and --agentx (its own subagent, the default --agentx-impl),
and measures, with the growth factor against the previous size:
- offline `issuctl check --active A --standby B`, text and --json (output to
  /dev/null; text/json ratio);
- the first whole-state <get> after start, sent once the active endpoint's
  'negotiation 1 with peer 7 done' line is in issud's log; its first byte and
  end timed from that line's own timestamp (issud runs with TZ=UTC0; the log
  has milliseconds), so the figure is "answered N s after the first round";
  NETCONF 1.0 framing over the UNIX socket, read as bytes, not parsed;
- the whole <get> again (cached) and a one-session filtered <get>;
- an SNMP walk of issuSessionNegotiatedResult (issuSessionTable column 8),
  GETBULK 50 a request from snmpv2c.py: the whole column up to 10,000 rows,
  only its first 1,000 rows at 100,000 (a whole walk is long there and adds
  nothing to the memory figure: the SNMP face reads the snapshot in place);
  its time per 1,000 rows; snmpget of the polled object (and at up to
  10,000 rows snmpbulkwalk of the column) must read what snmpv2c.py read;
- VmRSS steady (after that whole <get>, the one-session <get> and the walk)
  and per session (VmRSS / N, KB of 1,000 bytes), after 6 and after 20
  reloads, and the ratios to steady;
- --reloads R (default 20) SIGHUPs, each with the last client's standby
  version flipped (its 10 sessions compatible <-> incompatible). Right after
  each SIGHUP two threads poll the same changed session every 5 ms, one by a
  one-session filtered <get> on its own NETCONF session, one by an SNMP GET
  of its issuSessionNegotiatedResult.SID, until each shows the new result;
  a third thread tails issud's log for the round's "negotiation K with peer
  7 done" line, whose timestamp is the round's end. Recorded per reload:
  SIGHUP -> round end, SIGHUP -> new result over NETCONF / SNMP, round end
  -> new result over NETCONF / SNMP (median and worst of the reloads), and
  the slowest polled <get> and GET during the window (resolution: the 5 ms
  poll interval plus one request). Then whole <get>s are sent until one
  shows the new result (issu-state/summary/sessions-incompatible): round end
  -> its first byte is "new whole state over NETCONF". The next reload
  starts after it;
- `issuctl show issu sessions <client>` and `show issu negotiated version
  <session>` (wall time of the command, best of 3).
Then a markdown table (growth per 10x) and one line per target of the issue
at the largest size (the 100,000 case in the default run): the figure, met
or not met.
issud and snmpd are killed by PID, also on failure; everything is written in
one temp dir, removed at the end. Not a ctest test.
Usage: scale_bench.py SOURCE_DIR BIN_DIR [--no-100k] [--reloads R] [N...]
The recorded run (docs/BENCHMARKS.md), from the source tree's root:
  /usr/bin/python3 tests/bench/scale_bench.py . build/bin
"""
import argparse
import calendar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from nclib import free_port  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snmpv2c  # noqa: E402

IA = "urn:issu-agent:yang:issu-agent"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
HELLO = (b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>'
         b'<capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>')
ENTS = 10
WHOLE = '<filter type="subtree"><issu-state xmlns="%s"/></filter>' % IA
# issuSessionNegotiatedResult: issuObjects(1).issuSessionTable(6).issuSessionEntry(1).8
RESULT_COL = ".1.3.6.1.4.1.8072.9999.9999.2011.1.6.1.8"
COMPATIBLE, INCOMPATIBLE = 1, 2  # IssuResult
WALK_MAX = 10000  # rows walked whole; above, the first WALK_PART
WALK_PART = 1000
POLL = 0.005
LIN = "\0"  # marks the rows the linearity target reads: costs of one operation
ROUND = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3}) issud \w+: "
                   r"negotiation (\d+) with peer 7 done")


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
                first.append(time.time())

    def get(self, filt):
        """(wall time of the first byte, seconds to the end, reply)"""
        self.mid += 1
        first = []
        t0 = time.perf_counter()
        self.s.sendall(('<rpc message-id="%d" xmlns="%s"><get>%s</get></rpc>]]>]]>'
                        % (self.mid, NC, filt)).encode())
        msg = self.read(first)
        t1 = time.perf_counter()
        if b"<rpc-error" in msg[:4096]:
            raise RuntimeError("rpc-error: %r" % msg[:400])
        return (first or [time.time()])[0], t1 - t0, msg

    def close(self):
        self.s.close()


class LogTail(threading.Thread):
    """Follows issud's log: the wall time (from the line's own timestamp, UTC)
    of every 'negotiation K with peer 7 done' line of the active endpoint."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.rounds = {}
        self.cv = threading.Condition()
        self.stop = False

    def run(self):
        with open(self.path, errors="replace") as f:
            part = ""
            while not self.stop:
                line = f.readline()
                if not line:
                    time.sleep(0.002)
                    continue
                part += line
                if not part.endswith("\n"):
                    continue  # a line issud is still writing
                m = ROUND.match(part)
                part = ""
                if m:
                    t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + int(m.group(2)) / 1000
                    with self.cv:
                        self.rounds[int(m.group(3))] = t
                        self.cv.notify_all()

    def wait_after(self, k, secs, alive):
        """(number, wall time) of the first round numbered above @k."""
        end = time.monotonic() + secs
        with self.cv:
            while True:
                later = [r for r in self.rounds if r > k]
                if later:
                    r = min(later)
                    return r, self.rounds[r]
                if time.monotonic() > end or not alive():
                    raise RuntimeError("no round after %d in %s" % (k, self.path))
                self.cv.wait(0.1)


def timed(cmd, env):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t0
    if r.returncode not in (0, 1, 2):  # 1, 2: verdicts other than compatible
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr[-400:]))
    return dt


def best(f, k=3):
    return min(f() for _ in range(k))


def senv(tmp, n, env):
    """The environment of snmpd and net-snmp's tools: nothing read or written
    outside the temp dir, no MIB loaded."""
    d = os.path.join(tmp, "snmpd%d" % n)
    return dict(env, MIBS="", MIBDIRS=d, SNMPCONFPATH=d, SNMP_PERSISTENT_DIR=os.path.join(d, "persist"))


def start_snmpd(tmp, n, env):
    """A private snmpd: (Popen, its AgentX socket, its UDP port)."""
    d = os.path.join(tmp, "snmpd%d" % n)
    os.makedirs(os.path.join(d, "persist"))
    port = free_port(udp=True)
    sock = os.path.join(d, "agentx")
    conf = os.path.join(d, "snmpd.conf")
    open(conf, "w").write("agentAddress udp:127.0.0.1:%d\nrocommunity bench 127.0.0.1\n"
                          "master agentx\nagentXSocket %s\nagentXTimeout 30\n" % (port, sock))
    p = subprocess.Popen(["snmpd", "-f", "-Lo", "-C", "-c", conf, "-p", os.path.join(d, "snmpd.pid")],
                         env=senv(tmp, n, env), stdout=open(os.path.join(tmp, "snmpd%d.log" % n), "w"),
                         stderr=subprocess.STDOUT)
    return p, sock, port


def cross_check(port, oid, rows, env):
    """snmpv2c.py against net-snmp's own tools: snmpget of @oid and, with
    @rows, snmpbulkwalk of the whole column must read the same."""
    agent = "udp:127.0.0.1:%d" % port
    base = ["-v2c", "-c", "bench", "-m", "", "-On", "-OQ", "-t", "30", "-r", "0", agent]
    for cmd, want in ((["snmpget"] + base + [oid], [(oid, COMPATIBLE)]),
                      (["snmpbulkwalk", "-Cr50"] + base + [RESULT_COL], rows)):
        if want is None:
            continue
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        got = []
        for line in out.stdout.splitlines():
            o, _, v = line.partition(" = ")
            got.append((o, int(v)))
        if out.returncode or got != want:
            raise RuntimeError("%s: %d rows, %r... differ from snmpv2c.py's %r...: %s"
                               % (cmd[0], len(got), got[:2], want[:2], out.stderr[-300:]))


def wait_file(path, secs, procs, what):
    end = time.monotonic() + secs
    while not os.path.exists(path):
        if time.monotonic() > end or any(q.poll() is not None for q in procs):
            raise RuntimeError("%s: %s never appeared" % (what, path))
        time.sleep(0.01)


def poll_nc(c, one, want, out):
    """NETCONF side of a reload: poll @one until its reply holds @want."""
    try:
        slow = 0.0
        while True:
            _, dt, m = c.get(one)
            slow = max(slow, dt)
            if want in m:
                out["nc"] = time.time()
                break
            if time.time() - out["t0"] > 600:
                raise RuntimeError("NETCONF never served the new result")
            time.sleep(POLL)
        out["nc_slow"] = slow
    except Exception as e:  # reported by the main thread
        out["err"] = "NETCONF poll: %r" % e


def poll_snmp(sn, oid, want, out):
    """SNMP side of a reload: GET @oid until it reads @want."""
    try:
        slow = 0.0
        while True:
            t = time.perf_counter()
            v = sn.get(oid, 60)
            slow = max(slow, time.perf_counter() - t)
            if v == want:
                out["snmp"] = time.time()
                break
            if time.time() - out["t0"] > 600:
                raise RuntimeError("SNMP never served the new result (last %r)" % (v,))
            time.sleep(POLL)
        out["snmp_slow"] = slow
    except Exception as e:
        out["err"] = "SNMP poll: %r" % e


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
    procs, tail, sn, c = [], None, None, None
    try:
        snmpd, axsock, port = start_snmpd(tmp, n, env)
        procs.append(snmpd)
        wait_file(axsock, 60, procs, "snmpd")
        open(logp, "w").close()
        tail = LogTail(logp)
        tail.start()
        p = subprocess.Popen([os.path.join(a.bin, "issud"), "--active", act, "--standby", live,
                              "--netconf-unix", sock, "--agentx", axsock],
                             stderr=open(logp, "a"), env=dict(env, TZ="UTC0"))
        procs.append(p)
        wait_file(sock, 600, procs, "issud")
        c = Raw(sock)
        k, t_round = tail.wait_after(0, 600, lambda: p.poll() is None)
        fb, end, msg = c.get(WHOLE)
        t_end = time.time()
        r["first_get_fb"], r["first_get_end"], r["whole_bytes"] = fb - t_round, t_end - t_round, len(msg)
        if msg.count(b"<session>") != n:
            raise RuntimeError("whole <get>: %d sessions, %d expected" % (msg.count(b"<session>"), n))
        r["whole_again"] = best(lambda: c.get(WHOLE)[1])
        cid = 10000 + max(1, n // ENTS) - 1
        _, _, m = c.get('<filter type="xpath" select="/issu-agent:issu-state/issu-agent:session[issu-agent:client-id'
                        "='%d']/issu-agent:session-id\" xmlns:issu-agent=\"%s\"/>" % (cid, IA))
        sid = int(m.split(b"<session-id>")[1].split(b"<")[0])
        one = ('<filter type="subtree"><issu-state xmlns="%s"><session><session-id>%d</session-id><result/>'
               '</session></issu-state></filter>' % (IA, sid))
        r["one_get"] = best(lambda: c.get(one)[1])
        # SNMP: the subagent attaches once snmpd and the first round are up
        sn = snmpv2c.Client("127.0.0.1", port)
        oid = "%s.%d" % (RESULT_COL, sid)
        end = time.monotonic() + 120
        while True:
            v = sn.get(oid)
            if v == COMPATIBLE:
                break
            if time.monotonic() > end or p.poll() is not None:
                raise RuntimeError("SNMP never served %s (last %r): see %s" % (oid, v, logp))
            time.sleep(0.05)
        lim = n if n <= WALK_MAX else WALK_PART
        t0 = time.perf_counter()
        rows = sn.walk(RESULT_COL, lim)
        dt = time.perf_counter() - t0
        if len(rows) != lim or any(v not in (COMPATIBLE, INCOMPATIBLE) for _, v in rows):
            raise RuntimeError("SNMP walk: %d rows, %d expected" % (len(rows), lim))
        r["walk_rows"], r["walk_per_1k"] = lim, dt / lim * 1000
        r["rss_steady"] = vm(p.pid, "VmRSS")
        cross_check(port, oid, rows if n <= WALK_MAX else None, senv(tmp, n, env))
        # the show forms that name one client / one session
        base = [ctl, "--socket", sock, "show", "issu"]
        r["show_sessions"] = best(lambda: timed(base + ["sessions", str(cid)], env))
        r["show_negver"] = best(lambda: timed(base + ["negotiated", "version", str(sid)], env))
        keys = ("hup_round", "hup_nc", "hup_snmp", "round_nc", "round_snmp", "nc_slow", "snmp_slow", "round_whole")
        per = {x: [] for x in keys}
        rss = {}
        for i in range(1, a.reloads + 1):
            flip = i % 2 == 1
            want = b"<result>incompatible</result>" if flip else b"<result>compatible</result>"
            shutil.copy(sbf if flip else sb, live + ".new")
            os.replace(live + ".new", live)
            out = {}
            th = [threading.Thread(target=poll_nc, args=(c, one, want, out)),
                  threading.Thread(target=poll_snmp, args=(sn, oid, INCOMPATIBLE if flip else COMPATIBLE, out))]
            out["t0"] = time.time()
            os.kill(p.pid, signal.SIGHUP)
            for t in th:
                t.start()
            for t in th:
                t.join()
            if "err" in out:
                raise RuntimeError("reload %d: %s" % (i, out["err"]))
            k, t_round = tail.wait_after(k, 600, lambda: p.poll() is None)
            t0 = out["t0"]
            per["hup_round"].append(t_round - t0)
            per["hup_nc"].append(out["nc"] - t0)
            per["hup_snmp"].append(out["snmp"] - t0)
            per["round_nc"].append(out["nc"] - t_round)
            per["round_snmp"].append(out["snmp"] - t_round)
            per["nc_slow"].append(out["nc_slow"])
            per["snmp_slow"].append(out["snmp_slow"])
            # the whole state (the printed one) with this round's result, from the
            # round's end to its first byte; the next reload once it is served
            want_whole = b"<sessions-incompatible>%d</sessions-incompatible>" % (ENTS if flip else 0)
            while True:
                fb, _, m = c.get(WHOLE)
                if want_whole in m[:4096]:
                    break
                if time.time() - t0 > 600:
                    raise RuntimeError("reload %d: the whole state never showed it" % i)
            per["round_whole"].append(fb - t_round)
            if i in (6, 20):
                rss[i] = vm(p.pid, "VmRSS")
        r.update(per)
        r["rss"] = rss
        r["round_lines"] = [x.strip() for x in open(logp) if "tree built" in x][-1:]
    finally:
        for x in (c, sn):
            if x is not None:
                x.close()
        for q in reversed(procs):
            if q.poll() is None:
                q.kill()
            q.wait()
        if tail is not None:
            tail.stop = True
            tail.join()
    return r


NAN = float("nan")


def num(x, fmt):
    """@x in @fmt, or '-' for a figure the run did not make (fewer reloads)."""
    return "-" if x != x else fmt % x


def med(v):
    v = sorted(v)
    return v[len(v) // 2] if v else float("nan")


def worst(v):
    return max(v) if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("bin")
    ap.add_argument("--no-100k", action="store_true", help="quick use: leave out 100,000")
    ap.add_argument("--reloads", type=int, default=20)
    ap.add_argument("sizes", nargs="*", type=int)
    a = ap.parse_intermixed_args()
    sizes = a.sizes or [1000, 10000] + ([] if a.no_100k else [100000])
    env = dict(os.environ, ISSU_YANG_DIR=os.path.join(a.src, "yang"))
    tmp = tempfile.mkdtemp(prefix="issu-scale-")
    print("command: /usr/bin/python3 tests/bench/scale_bench.py %s" % " ".join(sys.argv[1:]))
    print("date: %s; load %s; nproc %d" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                           open("/proc/loadavg").read().split()[0], os.cpu_count()))
    res = {}
    try:
        for n in sizes:
            print("N=%d ..." % n, file=sys.stderr, flush=True)
            res[n] = one_size(a, n, tmp, env)
            print("N=%d: %r" % (n, res[n]), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def kb(r):  # VmRSS is in KiB; per session in KB of 1,000 bytes
        return r["rss_steady"] * 1.024 / r["n"]
    for n in sizes:
        res[n]["n"] = n
    ratio = (lambda r, k: r["rss"][k] / r["rss_steady"] if k in r["rss"] and r["rss_steady"] else float("nan"))
    rows = [(LIN + "offline check text (s)", lambda r: r["check_text"]),
            (LIN + "offline check --json (s)", lambda r: r["check_json"]),
            ("first whole <get> after the first round's end, first byte (s)", lambda r: r["first_get_fb"]),
            ("first whole <get> after the first round's end, whole reply (s)", lambda r: r["first_get_end"]),
            (LIN + "whole <get> again (cached, s)", lambda r: r["whole_again"]),
            (LIN + "one-session filtered <get> (s)", lambda r: r["one_get"]),
            ("SNMP walk of issuSessionNegotiatedResult, per 1,000 rows (s)", lambda r: r["walk_per_1k"]),
            (LIN + "SIGHUP -> round end (log), median (s)", lambda r: med(r["hup_round"])),
            ("SIGHUP -> round end (log), worst (s)", lambda r: worst(r["hup_round"])),
            ("SIGHUP -> new result over NETCONF, median (s)", lambda r: med(r["hup_nc"])),
            ("SIGHUP -> new result over NETCONF, worst (s)", lambda r: worst(r["hup_nc"])),
            ("SIGHUP -> new result over SNMP, median (s)", lambda r: med(r["hup_snmp"])),
            ("SIGHUP -> new result over SNMP, worst (s)", lambda r: worst(r["hup_snmp"])),
            ("round end -> new result over NETCONF, median (s)", lambda r: med(r["round_nc"])),
            ("round end -> new result over NETCONF, worst (s)", lambda r: worst(r["round_nc"])),
            ("round end -> new whole state over NETCONF (first byte), median (s)", lambda r: med(r["round_whole"])),
            ("round end -> new whole state over NETCONF (first byte), worst (s)", lambda r: worst(r["round_whole"])),
            ("round end -> new result over SNMP, median (s)", lambda r: med(r["round_snmp"])),
            ("round end -> new result over SNMP, worst (s)", lambda r: worst(r["round_snmp"])),
            ("one-session <get> during that window, worst (s)", lambda r: worst(r["nc_slow"])),
            ("SNMP GET during that window, worst (s)", lambda r: worst(r["snmp_slow"])),
            (LIN + "issuctl show issu sessions <client> (s)", lambda r: r["show_sessions"]),
            (LIN + "issuctl show issu negotiated version <sid> (s)", lambda r: r["show_negver"]),
            (LIN + "VmRSS steady, every face served (MiB)", lambda r: r["rss_steady"] / 1024),
            ("memory per session: VmRSS steady / N (KB)", kb),
            ("VmRSS after 6 reloads (MiB)", lambda r: r["rss"].get(6, NAN) / 1024),
            ("VmRSS after 20 reloads (MiB)", lambda r: r["rss"].get(20, NAN) / 1024),
            ("VmRSS after 6 reloads / steady", lambda r: ratio(r, 6)),
            ("VmRSS after 20 reloads / steady", lambda r: ratio(r, 20))]
    print("| figure | " + " | ".join("{:,}".format(n) for n in sizes) + " | growth per 10x |")
    print("|---|" + "---:|" * len(sizes) + "---|")
    growth = []
    for name, f in rows:
        v = [f(res[n]) for n in sizes]
        g = [v[i] / v[i - 1] if v[i - 1] > 0 else NAN for i in range(1, len(v))]
        lin, name = name.startswith(LIN), name.lstrip(LIN)
        if g and lin:
            growth.append((g[-1], name))
        print("| %s | %s | %s |" % (name, " | ".join(num(x, "%.3f") for x in v), ", ".join(num(x, "%.1f") for x in g)))
    for n in sizes:
        r = res[n]
        print("N=%d: check text/json %.2f; SNMP walk %d rows; whole reply %d bytes; %d reloads; %s"
              % (n, r["check_text"] / r["check_json"], r["walk_rows"], r["whole_bytes"], len(r["hup_nc"]),
                 "; ".join(x.split("INFO: ", 1)[-1] for x in r["round_lines"])))
    if len(sizes) >= 2 and sizes[-1] > sizes[-2]:
        lo, hi = sizes[-2], sizes[-1]
        print("marginal memory per session %d -> %d: %.2f KB" % (
            lo, hi, (res[hi]["rss_steady"] - res[lo]["rss_steady"]) * 1.024 / (hi - lo)))

    # the targets, at the largest size of the run
    big, small = res[sizes[-1]], res[sizes[0]]
    print("\ntargets at N=%d (issue 19; the one-client/session forms against N=%d):" % (sizes[-1], sizes[0]))

    def target(what, fig, ok):
        print("- %s: %s: %s" % (what, fig, "met" if ok else "NOT MET"))
    tj = big["check_text"] / big["check_json"]
    target("offline check text <= 2x its --json time", "%.2fx" % tj, tj <= 2)
    for key, form in (("show_sessions", "show issu sessions <client>"),
                      ("show_negver", "show issu negotiated version <sid>")):
        x = big[key] / small[key]
        target("issuctl %s costs the same as at %d (our bound: <= 1.5x)" % (form, sizes[0]),
               "%.3f s = %.2fx" % (big[key], x), x <= 1.5)
    if growth and len(sizes) >= 2:
        g, name = max(growth)
        target("every operation linear (largest growth %d -> %d of an operation's cost, "
               "our bound: <= 15 for 10x)" % (sizes[-2], sizes[-1]), "%.1f (%s)" % (g, name),
               g <= 15 * (sizes[-1] / sizes[-2]) / 10)
    for key, face in (("round_nc", "NETCONF (one session)"), ("round_whole", "NETCONF (whole state)"),
                      ("round_snmp", "SNMP")):
        w = worst(big[key])
        target("%s serves the new state within 1 s of the round's end (worst of %d reloads)"
               % (face, len(big[key])), "%.3f s (median %.3f s)" % (w, med(big[key])), w <= 1)
    w = worst(big["nc_slow"])
    target("no reader waits for a rebuild (one-session <get> during the window, worst; "
           "our bound: <= 0.25 s)", "%.3f s" % w, w <= 0.25)
    x = ratio(big, 20)
    if x != x:
        print("- VmRSS after 20 reloads <= 1.25x the steady state: not measured (--reloads %d)" % a.reloads)
    else:
        target("VmRSS after 20 reloads <= 1.25x the steady state", "%.2fx (%.1f / %.1f MiB)" % (
            x, big["rss"][20] / 1024, big["rss_steady"] / 1024), x <= 1.25)
    target("memory per session with every face serving <= 4 KB", "%.2f KB" % kb(big), kb(big) <= 4)
    target("first <get> after start answers within 1 s of the first round (first byte)",
           "%.3f s (whole reply %.3f s)" % (big["first_get_fb"], big["first_get_end"]),
           big["first_get_fb"] <= 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
