#!/usr/bin/python3
"""peer_bench.py - from TCP connect to all sessions negotiated (issue 5 item 7).

1. bench_peer (C, same process, two threads): 10,000 sessions over
   - a plain loopback TCP pair carrying the codec,
   - issud's own TCP links (tcp.h: PSK handshake, MAC'd secure frames),
   - the in-memory transport (issu_mem_pair), the anchor,
   interleaved, medians of RUNS; the TCP/in-memory ratio.
2. Two real issud (when this issud has --listen): the active listens with a
   generated 10,000-session image; the standby starts with its own; from the
   standby's "authenticated" log line to the active's NETCONF showing the last
   client's sessions negotiated (a round's results publish in one snapshot,
   so the last client negotiated means all did). Polled every 2 ms through
   `issuctl --socket`, so the figure includes up to one poll (~20-40 ms of
   issuctl start-up) of granularity: an upper bound.
Usage: peer_bench.py SOURCE_DIR BIN_DIR [RUNS [CLIENTS [ENTITIES]]]
"""
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SRC, BIN = sys.argv[1], sys.argv[2]
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 11
CLIENTS = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
ENTS = int(sys.argv[5]) if len(sys.argv) > 5 else 10


def say(*a):
    print(*a, flush=True)


def image(path, name, vlo, vhi, entries):
    """CLIENTS x ENTS sessions, 8 message types, 4 capability types (as bench_negotiate)."""
    clients = [{
        "id": 10001 + c, "name": "bench client %d" % (10001 + c),
        "message-group": [{"id": 1, "message-type": [
            {"id": t, "version": [{"number": v, "mtu": 64 * v + t} for v in range(vlo, vhi + 1)]}
            for t in range(1, 9)]}],
        "capability-group": [{"id": 1, "capability-type": [
            {"id": t, "required": t == 0, "entry": entries} for t in range(4)]}],
        "entity": [{"id": e + 1, "session-name": "bench session %d/%d" % (c + 1, e + 1),
                    "message-group": 1, "capability-group": 1} for e in range(ENTS)],
    } for c in range(CLIENTS)]
    with open(path, "w") as f:
        json.dump({"issu-manifest:image": {"name": name, "version": "1.0", "client": clients}}, f)


def log_time(line):
    """Seconds since the epoch of an issud log line (local time, ms)."""
    ts = line.split(" ", 1)[0]
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f").timestamp()


def daemons(tmp):
    issud, issuctl = os.path.join(BIN, "issud"), os.path.join(BIN, "issuctl")
    if "--listen" not in subprocess.run([issud, "--help"], capture_output=True,
                                        text=True).stdout:
        say("two issud: skipped (this issud has no --listen)")
        return
    act, stb = os.path.join(tmp, "a.json"), os.path.join(tmp, "s.json")
    image(act, "bench-running", 1, 3, [1, 2])
    image(stb, "bench-candidate", 2, 4, [1, 2, 3])
    key = os.path.join(tmp, "psk")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, os.urandom(24).hex().encode())
    os.close(fd)
    env = dict(os.environ, ISSU_YANG_DIR=os.path.join(SRC, "yang"))
    last = 10000 + CLIENTS
    times = []
    for k in range(max(3, RUNS // 3)):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        procs = []
        try:
            asock, alog = os.path.join(tmp, "a%d.sock" % k), os.path.join(tmp, "a%d.log" % k)
            slog = os.path.join(tmp, "s%d.log" % k)
            procs.append(subprocess.Popen(
                [issud, "--manifest", act, "--unique-id", "4", "--side", "active", "--listen",
                 "127.0.0.1:%d" % port, "--psk-file", key, "--netconf-unix", asock],
                stderr=open(alog, "w"), env=env))
            end = time.time() + 60
            while not os.path.exists(asock) and time.time() < end:
                time.sleep(0.01)
            procs.append(subprocess.Popen(
                [issud, "--manifest", stb, "--unique-id", "7", "--side", "standby", "--peer",
                 "127.0.0.1:%d" % port, "--psk-file", key], stderr=open(slog, "w"), env=env))
            t_done = None
            while time.time() < end:
                r = subprocess.run([issuctl, "--socket", asock, "--json", "show", "issu",
                                    "sessions", str(last)], capture_output=True, text=True)
                t = time.time()
                if r.returncode == 0:
                    ss = json.loads(r.stdout).get("issu-agent:issu-state", {}).get("session", [])
                    if len(ss) == ENTS and all(x["result"] == "compatible" for x in ss):
                        t_done = t
                        break
                time.sleep(0.002)
            auth = [l for l in open(slog) if "authenticated" in l]
            if t_done is None or not auth:
                say("two issud: run %d did not complete; logs in %s" % (k, tmp))
                sys.exit(1)
            times.append(t_done - log_time(auth[0]))
        finally:
            for p in procs:
                p.kill()
                p.wait()
    say("two issud, %d sessions: standby authenticated -> active shows all negotiated: "
        "median %.0f ms, best %.0f ms (%d runs; upper bound: includes one issuctl poll)"
        % (CLIENTS * ENTS, statistics.median(times) * 1e3, min(times) * 1e3, len(times)))


def main():
    say("date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    say("machine: %s, %d CPUs, Linux %s" % (
        next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if "model name" in l), "?"),
        os.cpu_count(), os.uname().release))
    cmd = [os.path.join(BIN, "bench_peer"), "--clients", str(CLIENTS), "--entities", str(ENTS),
           "--runs", str(RUNS)]
    say("$ " + " ".join(cmd))
    r = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(r.stdout)
    if r.returncode != 0:
        say("bench_peer failed: " + r.stderr)
        sys.exit(1)
    tmp = tempfile.mkdtemp(prefix="issu-peer-bench-")
    try:
        daemons(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
