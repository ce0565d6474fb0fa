#!/usr/bin/python3
"""test_stale_get.py - a <get> never waits for the NETCONF face to rebuild
its state (issue 19 item 2): while issud builds and prints the issu-state of
a new round (20,000 sessions: ~1 s here), a one-session <get> gets the
previous complete state, labelled with its endpoint/generation, then the
new one once it is built.

issud on two generated images (tests/bench/scale_bench.py's, 2,000 clients
of 10 entities) with --netconf-unix; SIGHUP flips the last client's standby
version. A one-session <get> (issuctl's `negotiated version` filter, which
also selects the endpoint) is polled until it shows the new result. Checked:
every poll during the window took less than half of what issud's log says
building and printing the new tree took (before: the first poll after the
round waited for the whole build), polls in the window showed the older
generation with the older result, and the new result came with the new
generation. Bounds are relative to the build measured in the same run, not
fixed times. issud is killed by PID, also on failure.
Usage: test_stale_get.py SOURCE_DIR BIN_DIR
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
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from nclib import check, run_main, wait_for  # noqa: E402
import scale_bench as sb  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
N = 20000
procs = []
tmp = tempfile.mkdtemp(prefix="issu-stale-")


def gen_of(msg):
    m = re.search(rb"<generation>(\d+)</generation>", msg)
    return int(m.group(1)) if m else None


def main():
    act, sbp, flip = (os.path.join(tmp, f) for f in ("a.json", "s.json", "s-flip.json"))
    json.dump(sb.image("bench-a", N), open(act, "w"), separators=(",", ":"))
    json.dump(sb.image("bench-s", N), open(sbp, "w"), separators=(",", ":"))
    json.dump(sb.image("bench-s", N, True), open(flip, "w"), separators=(",", ":"))
    live = os.path.join(tmp, "live.json")
    shutil.copy(sbp, live)
    sock, logp = os.path.join(tmp, "nc.sock"), os.path.join(tmp, "issud.log")
    p = subprocess.Popen([os.path.join(BIN, "issud"), "--active", act, "--standby", live, "--netconf-unix", sock],
                         stderr=open(logp, "w"), env=dict(os.environ, ISSU_YANG_DIR=os.path.join(SRC, "yang")))
    procs.append(p)
    log = lambda: open(logp).read()  # noqa: E731
    check(wait_for(lambda: os.path.exists(sock) and "negotiation 1 with peer 7 done" in log(), 120),
          "issud up with %d sessions" % N)
    c = sb.Raw(sock)
    _, _, m = c.get(sb.WHOLE)  # builds the first state
    check(m.count(b"<session>") == N, "whole <get>: %d sessions" % N)
    cid = 10000 + N // sb.ENTS - 1
    _, _, m = c.get('<filter type="xpath" select="/issu-agent:issu-state/issu-agent:session[issu-agent:client-id'
                    "='%d']/issu-agent:session-id\" xmlns:issu-agent=\"%s\"/>" % (cid, sb.IA))
    sid = int(m.split(b"<session-id>")[1].split(b"<")[0])
    one = ('<filter type="xpath" xmlns:issu-agent="%s" select="/issu-agent:issu-state/session[session-id=\'%d\']'
           ' | /issu-agent:issu-state/endpoint"/>' % (sb.IA, sid))
    _, _, m = c.get(one)
    g0 = gen_of(m)
    check(g0 is not None and b"<result>compatible</result>" in m, "before: generation %s, compatible" % g0)
    built0 = log().count("tree built")

    shutil.copy(flip, live + ".new")
    os.replace(live + ".new", live)
    os.kill(p.pid, signal.SIGHUP)
    polls = []  # (seconds, generation, new result?, round logged before the poll?)
    t0 = time.time()
    while time.time() - t0 < 120:
        rounds = log().count("with peer 7 done")
        dt, _, m = c.get(one)
        polls.append((dt, gen_of(m), b"<result>incompatible</result>" in m, rounds >= 2))
        if polls[-1][2]:
            break
    c.close()
    check(polls and polls[-1][2], "the new result served (%d polls)" % len(polls))
    check(wait_for(lambda: log().count("tree built") > built0, 30), "the new tree's build logged")
    b = re.findall(r"generation (\d+) \(\d+ sessions\): tree built in ([\d.]+) ms, printed \(\d+ bytes\) in ([\d.]+) ms",
                   log())[-1]
    build = (float(b[1]) + float(b[2])) / 1000
    window = [x for x in polls if x[3]]  # after the round ended
    stale = [x for x in window if not x[2]]
    worst = max(x[0] for x in window) if window else 0
    check(window and worst < build / 2, "no poll after the round waited for the rebuild: worst %.3f s, build + "
          "print of generation %s %.3f s (%d polls after the round)" % (worst, b[0], build, len(window)))
    check(stale and all(x[1] == g0 for x in stale), "polls during the rebuild got the previous state, generation "
          "%s (%d of them)" % (g0, len(stale)))
    check(polls[-1][1] is not None and polls[-1][1] > g0 and str(polls[-1][1]) == b[0],
          "the new result came with the new generation %s" % polls[-1][1])


run_main(main, procs, tmp)
