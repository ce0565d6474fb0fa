#!/usr/bin/python3
"""nacm_get_bench.py - what NETCONF access control (issue 14) costs a <get>.

Generates two identical images of CLIENTS x ENTITIES sessions (default
1,000 x 10 = 10,000), starts issud on them with a UNIX socket (mode 0666)
and --nacm-rules, and times N whole-state <get>s over the UNIX socket
(NETCONF 1.0 framing, read linearly, not parsed) by three clients, in one
run:
  - root: a recovery session, NACM bypassed: the reply printed once per
    snapshot (the anchor);
  - nobody, a reader with no rule that could hide data: NACM decides exec
    and finds nothing to prune, the same cached reply;
  - nobody, a reader with a path rule that denies the running image's
    manifest: the state is copied and pruned for every <get>.
Figures: median (best) per client and the ratios to the anchor. issud is
killed by PID, also on failure. Not a ctest test.
Usage: nacm_get_bench.py SOURCE_DIR BIN_DIR [N] [CLIENTS] [ENTITIES]
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SRC, BIN = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 20
CLIENTS = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
ENTS = int(sys.argv[5]) if len(sys.argv) > 5 else 10
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
IA = "urn:issu-agent:yang:issu-agent"

# The client, run as root or under setpriv as nobody: N gets, one time a line.
CLIENT = r'''
import socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.settimeout(120); s.connect(path)
buf = [b""]
def msg():
    parts, d = [], buf[0]
    tail = b""
    while True:
        if d:
            j = (tail + d).find(b"]]>]]>")
            if j >= 0:
                whole = b"".join(parts) + d
                k = whole.find(b"]]>]]>", max(0, len(whole) - len(d) - 6))
                buf[0] = whole[k + 6:]
                return whole[:k]
            parts.append(d)
            tail = d[-5:]
        d = s.recv(1 << 20)
        if not d:
            raise SystemExit("closed")
msg()
s.sendall(b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>'
          b'urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>')
for i in range(n):
    t0 = time.perf_counter()
    s.sendall(b'<rpc message-id="%d" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get/></rpc>]]>]]>' % i)
    r = msg()
    if b"<issu-state" not in r:
        raise SystemExit("no issu-state: %r" % r[:300])
    print("%.6f %d" % (time.perf_counter() - t0, len(r)))
'''


def image(name):
    clients = []
    for c in range(CLIENTS):
        cid = 10000 + c
        clients.append({
            "id": cid, "name": "bench client %d" % cid,
            "message-group": [{"id": 1, "message-type": [
                {"id": t, "version": [{"number": 1, "mtu": 100 + t}]} for t in (1, 2)]}],
            "capability-group": [{"id": 1, "capability-type": [{"id": 0, "entry": [1]}]}],
            "entity": [{"id": e + 1, "session-name": "bench %d/%d" % (cid, e + 1),
                        "message-group": 1, "capability-group": 1} for e in range(ENTS)],
        })
    return {"issu-manifest:image": {"name": name, "version": "1", "client": clients}}


def rules(deny_path):
    rule = [{"name": "hide-manifest", "module-name": "issu-agent",
             "path": "/issu-agent:issu-state/running-image", "access-operations": "read",
             "action": "deny"}] if deny_path else []
    return {"ietf-netconf-acm:nacm": {
        "groups": {"group": [{"name": "readers", "user-name": ["nobody"]}]},
        "rule-list": [{"name": "readers", "group": ["readers"], "rule": rule + [
            {"name": "get", "module-name": "ietf-netconf", "rpc-name": "get", "access-operations": "exec",
             "action": "permit"}]}]}}


def gets(sock, as_nobody):
    r = subprocess.run((NOBODY if as_nobody else []) + ["/usr/bin/python3", "-c", CLIENT, sock, str(N)],
                       capture_output=True, text=True, timeout=1200)
    if r.returncode:
        raise RuntimeError("client failed: %s" % r.stderr.strip()[-300:])
    rows = [ln.split() for ln in r.stdout.split("\n") if ln]
    return [float(t) for t, _ in rows], int(rows[-1][1])


def main():
    tmp = tempfile.mkdtemp(prefix="issu-nacmbench-")
    os.chmod(tmp, 0o755)
    p = None
    try:
        for tag in ("a", "s"):
            with open(os.path.join(tmp, tag + ".json"), "w") as f:
                json.dump(image("bench-" + tag), f)
        rfile = os.path.join(tmp, "rules.json")
        with open(rfile, "w") as f:
            json.dump(rules(False), f)
        sock = os.path.join(tmp, "s.sock")
        log = open(os.path.join(tmp, "issud.log"), "w")
        p = subprocess.Popen([os.path.join(BIN, "issud"), "--active", os.path.join(tmp, "a.json"), "--standby",
                              os.path.join(tmp, "s.json"), "--netconf-unix", sock, "--netconf-unix-mode", "0666",
                              "--nacm-rules", rfile], stderr=log)
        deadline = time.time() + 120
        while not os.path.exists(sock):
            if p.poll() is not None or time.time() > deadline:
                raise RuntimeError("issud did not start")
            time.sleep(0.1)
        gets(sock, False)  # warm the per-snapshot cache
        res = {}
        res["root (recovery session)"] = gets(sock, False)
        res["nobody, nothing to prune"] = gets(sock, True)
        with open(rfile, "w") as f:
            json.dump(rules(True), f)
        n = open(log.name).read().count("NACM reloaded")
        p.send_signal(signal.SIGHUP)
        deadline = time.time() + 60
        while open(log.name).read().count("NACM reloaded") == n:
            if "keeping the rules in force" in open(log.name).read() or time.time() > deadline:
                raise RuntimeError("the rules were not reloaded: see the log")
            time.sleep(0.1)
        res["nobody, running-image denied (pruned)"] = gets(sock, True)
        anchor = statistics.median(res["root (recovery session)"][0])
        print("sessions %d, N %d" % (CLIENTS * ENTS, N))
        print("| client | reply bytes | median (best) ms | ratio to root |")
        print("|---|---|---|---|")
        for k, (t, size) in res.items():
            print("| %s | %d | %.1f (%.1f) | %.2f |" % (k, size, statistics.median(t) * 1e3, min(t) * 1e3,
                                                      statistics.median(t) / anchor))
    finally:
        if p and p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


main()
