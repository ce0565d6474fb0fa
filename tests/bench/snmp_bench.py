#!/usr/bin/python3
"""snmp_bench.py - snmpbulkwalk of issuNegVersionTable through AgentX.

Generates two images whose negotiation yields ROWS negotiated-version rows
(clients x entities x 8 message types), starts a private snmpd (free port,
AgentX socket in a temp dir) and issud --agentx on them, then times
`snmpbulkwalk -Cr50` of issuNegVersionTable (varbinds/second, best of
RUNS), and the same walk with 1/10 of the rows in the same run: equal
rates mean a varbind costs the same at 10x the table size (no O(n) step).
The issue's in-process anchor (the handler loaded into snmpd with dlmod) is
not built yet: see docs/BENCHMARKS.md. Not a timed test.
Usage: snmp_bench.py SOURCE_DIR BIN_DIR [ROWS] [RUNS]
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SRC, BIN = sys.argv[1], sys.argv[2]
ROWS = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
RUNS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
TYPES, ENTS = 8, 10
TABLE = ".1.3.6.1.4.1.8072.9999.9999.2011.1.7"


def image(name):
    clients = []
    n_clients = (ROWS + TYPES * ENTS - 1) // (TYPES * ENTS)
    for c in range(n_clients):
        cid = 10000 + c
        clients.append({
            "id": cid, "name": "bench client %d" % cid,
            "message-group": [{"id": 1, "message-type": [
                {"id": t, "version": [{"number": 1, "mtu": 100 + t}]} for t in range(TYPES)]}],
            "capability-group": [{"id": 1, "capability-type": [{"id": 0, "entry": [1]}]}],
            "entity": [{"id": e + 1, "session-name": "bench %d/%d" % (cid, e + 1),
                        "message-group": 1, "capability-group": 1} for e in range(ENTS)],
        })
    return {"issu-manifest:image": {"name": name, "version": "1", "client": clients}}


def main():
    tmp = tempfile.mkdtemp(prefix="issu-snmpbench-")
    procs = []
    env = dict(os.environ, MIBS="", SNMPCONFPATH=tmp, SNMP_PERSISTENT_DIR=tmp + "/persist")
    try:
        os.mkdir(env["SNMP_PERSISTENT_DIR"])
        for n in ("a", "s"):
            json.dump(image("bench-" + n), open("%s/%s.json" % (tmp, n), "w"))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        sock = tmp + "/agentx"
        open(tmp + "/snmpd.conf", "w").write(
            "agentAddress udp:127.0.0.1:%d\nmaster agentx\nagentXSocket %s\n"
            "agentXTimeout 30\nrocommunity bench 127.0.0.1\n" % (port, sock))
        procs.append(subprocess.Popen(["snmpd", "-f", "-Lo", "-C", "-c", tmp + "/snmpd.conf",
                                       "-p", tmp + "/pid"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        while not os.path.exists(sock):
            time.sleep(0.05)
        procs.append(subprocess.Popen([BIN + "/issud", "-a", tmp + "/a.json", "-s", tmp + "/s.json",
                                       "--agentx", sock], env=env, stdout=subprocess.DEVNULL,
                                      stderr=open(tmp + "/issud.log", "w")))
        agent = "udp:127.0.0.1:%d" % port
        peer_up = [
            "snmpget", "-v2c", "-c", "bench", "-OvQ", agent, ".1.3.6.1.4.1.8072.9999.9999.2011.1.1.9.0"]
        for _ in range(600):
            r = subprocess.run(peer_up, capture_output=True, text=True, env=env)
            if r.stdout.strip() == "3":
                break
            time.sleep(0.1)
        best = None
        for _ in range(RUNS):
            t0 = time.monotonic()
            r = subprocess.run(["snmpbulkwalk", "-v2c", "-c", "bench", "-Cr50", "-On", "-t", "30",
                                agent, TABLE], capture_output=True, text=True, env=env)
            dt = time.monotonic() - t0
            n = sum(1 for line in r.stdout.splitlines() if line.startswith(TABLE))
            vbs = n / dt
            best = vbs if best is None or vbs > best else best
            print("agentx walk: %d varbinds in %.2f s = %.0f varbinds/s" % (n, dt, vbs), flush=True)
        print("best: %.0f varbinds/s (%d rows x 2 columns)" % (best, ROWS))
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
    if len(sys.argv) <= 3:  # default run: also the 1/10 table, same machine, same run
        ROWS //= 10
        main()
