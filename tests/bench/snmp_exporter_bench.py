#!/usr/bin/python3
"""snmp_exporter_bench.py - one scrape of each examples/monitoring module
through Debian's prometheus-snmp-exporter against issud (issue 12 item 6).

For each image pair: a private snmpd (own config and persistent dir, free
port, master agentx on a socket in a temp dir, agentXTimeout 2 and
agentXRetries 1 as in examples/snmpd.conf), issud --agentx on the pair and a
private prometheus-snmp-exporter (free port) with examples/monitoring/snmp.yml.
Each module is scraped RUNS times (/snmp?target=...&module=...), alternating;
reported: the best and the median wall time of the HTTP scrape, the
exporter's own snmp_scrape_duration_seconds, its PDUs (UDP requests sent to
snmpd, snmp_scrape_packets_sent) and varbinds (snmp_scrape_pdus_returned),
and the series the scrape returned (issu* lines). The anchor, measured in
the same run, is the default module on the example images: the ratio of
every other scrape to it is printed, so a drift of the shared machine
cancels out.

Pairs: the example images (running.json / upgrade-compatible.json, 57
sessions); generated images of 50 clients with 20 and with 200 entities
each (1,000 and 10,000 sessions, 8 message types and 1 capability type
per session): the default module must not grow from one to the other;
and 1,000 clients x 10 entities (10,000 sessions, 20 times the clients),
to show what the client table of the default module costs.
Every process is stopped by PID, also on failure. Not a timed test.
Usage: snmp_exporter_bench.py SOURCE_DIR BIN_DIR [RUNS] [PAIRS]
PAIRS: comma-separated subset of example,50x20,50x200,1000x10 (default all;
the anchor is always measured). SNMP_YML=FILE scrapes with another snmp.yml
(e.g. one generated with other max_repetitions) instead of the project's.
"""
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

SRC, BIN = sys.argv[1], sys.argv[2]
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
PAIRS = sys.argv[4].split(",") if len(sys.argv) > 4 else None
SNMP_YML = os.environ.get("SNMP_YML") or os.path.join(SRC, "examples", "monitoring", "snmp.yml")
IMAGES = os.path.join(SRC, "examples", "images")
ROOT = ".1.3.6.1.4.1.8072.9999.9999.2011"
TYPES = 8

procs = []


def free_port(kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def image(name, n_clients, n_ents):
    clients = []
    for c in range(n_clients):
        cid = 10000 + c
        clients.append({
            "id": cid, "name": "bench client %d" % cid,
            "message-group": [{"id": 1, "message-type": [
                {"id": t, "version": [{"number": 1, "mtu": 100 + t}]} for t in range(TYPES)]}],
            "capability-group": [{"id": 1, "capability-type": [{"id": 0, "entry": [1]}]}],
            # one name for every session of a client: names are not unique
            "entity": [{"id": e + 1, "session-name": "bench session", "message-group": 1,
                        "capability-group": 1} for e in range(n_ents)],
        })
    return {"issu-manifest:image": {"name": name, "version": "1", "client": clients}}


def start(args, log, env, cwd):
    p = subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env, cwd=cwd)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def snmpget(agent, env, oid):
    r = subprocess.run(["snmpget", "-v2c", "-c", "issupublic", "-OvQ", "-t", "2", "-r", "0",
                        agent, oid], capture_output=True, text=True, env=env)
    return r.stdout.strip()


def fetch(url):
    t0 = time.monotonic()
    with urllib.request.urlopen(url, timeout=300) as r:
        body = r.read().decode()
    return time.monotonic() - t0, body


def parse(body):
    vals, series = {}, 0
    for line in body.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name.startswith("snmp_scrape_"):
            vals[name] = float(line.rsplit(" ", 1)[1])
        elif name.startswith("issu"):
            series += 1
    return vals, series


def pair(tmp, tag, active, standby, sessions):
    """Scrape both modules RUNS times against issud on (active, standby)."""
    d = os.path.join(tmp, tag)
    os.makedirs(os.path.join(d, "persist"))
    env = dict(os.environ, SNMPCONFPATH=d, SNMP_PERSISTENT_DIR=os.path.join(d, "persist"), MIBS="")
    port, sock = free_port(), os.path.join(d, "agentx")
    with open(os.path.join(d, "snmpd.conf"), "w") as f:
        f.write("agentAddress udp:127.0.0.1:%d\nrocommunity issupublic 127.0.0.1\n"
                "master agentx\nagentXSocket %s\nagentXTimeout 2\nagentXRetries 1\n" % (port, sock))
    mine = [start(["snmpd", "-f", "-Lo", "-C", "-c", os.path.join(d, "snmpd.conf"), "-p",
                   os.path.join(d, "snmpd.pid")], os.path.join(d, "snmpd.log"), env, d)]
    deadline = time.monotonic() + 30
    while not os.path.exists(sock):
        if time.monotonic() > deadline:
            sys.exit("%s: snmpd never opened %s" % (tag, sock))
        time.sleep(0.05)
    mine.append(start([os.path.join(BIN, "issud"), "-a", active, "-s", standby, "--agentx", sock],
                      os.path.join(d, "issud.log"), env, d))
    agent = "127.0.0.1:%d" % port
    deadline = time.monotonic() + 300
    while snmpget(agent, env, ROOT + ".1.11.6.0") != str(sessions) or \
            snmpget(agent, env, ROOT + ".1.1.9.0") != "3":
        if time.monotonic() > deadline or mine[1].poll() is not None:
            sys.exit("%s: issud never served %d sessions; log:\n%s"
                     % (tag, sessions, open(os.path.join(d, "issud.log")).read()[-2000:]))
        time.sleep(0.2)
    eport = free_port(socket.SOCK_STREAM)
    mine.append(start(["prometheus-snmp-exporter", "--config.file=" + SNMP_YML,
                       "--web.listen-address=127.0.0.1:%d" % eport],
                      os.path.join(d, "exporter.log"), env, d))
    base = "http://127.0.0.1:%d" % eport
    deadline = time.monotonic() + 30
    while True:
        try:
            fetch(base + "/metrics")
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("%s: the exporter never answered" % tag)
            time.sleep(0.1)
    res = {}
    try:
        for _ in range(RUNS):
            for module in ("issu", "issu_detail"):
                dt, body = fetch("%s/snmp?target=%s&module=%s" % (base, agent, module))
                vals, series = parse(body)
                if "snmp_scrape_duration_seconds" not in vals or not series:
                    sys.exit("%s %s: scrape failed:\n%s" % (tag, module, body[-1000:]))
                r = res.setdefault(module, {"wall": [], "exp": []})
                r["wall"].append(dt)
                r["exp"].append(vals["snmp_scrape_duration_seconds"])
                r["packets"] = int(vals.get("snmp_scrape_packets_sent", 0))
                r["varbinds"] = int(vals.get("snmp_scrape_pdus_returned", 0))
                r["series"] = series
                print("%s %s: %.3f s, %d packets, %d varbinds, %d series"
                      % (tag, module, dt, r["packets"], r["varbinds"], series), flush=True)
    finally:
        for p in reversed(mine):
            stop(p)
    return res


def main():
    if not shutil.which("prometheus-snmp-exporter"):
        sys.exit("prometheus-snmp-exporter not installed (debian-packages.txt)")
    tmp = tempfile.mkdtemp(prefix="issu-exporterbench-")
    rows = []
    try:
        shapes = [("example", None, 57), ("50x20", (50, 20), 1000), ("50x200", (50, 200), 10000),
                  ("1000x10", (1000, 10), 10000)]
        for tag, shape, sessions in shapes:
            if PAIRS and tag != "example" and tag not in PAIRS:
                continue
            if shape:
                a, s = os.path.join(tmp, tag + "-a.json"), os.path.join(tmp, tag + "-s.json")
                json.dump(image("bench-a", *shape), open(a, "w"))
                json.dump(image("bench-s", *shape), open(s, "w"))
            else:
                a = os.path.join(IMAGES, "running.json")
                s = os.path.join(IMAGES, "upgrade-compatible.json")
            rows.append((tag, sessions, pair(tmp, tag, a, s, sessions)))
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)
    anchor = min(rows[0][2]["issu"]["wall"])
    print("\n| images | sessions | module | best s | median s | exporter s | packets | varbinds"
          " | series | best / anchor |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for tag, sessions, res in rows:
        for module in ("issu", "issu_detail"):
            r = res[module]
            print("| %s | %d | %s | %.3f | %.3f | %.3f | %d | %d | %d | %.2f |"
                  % (tag, sessions, module, min(r["wall"]), statistics.median(r["wall"]),
                     min(r["exp"]), r["packets"], r["varbinds"], r["series"],
                     min(r["wall"]) / anchor))
    print("anchor: module issu on the example images, best of %d: %.3f s" % (RUNS, anchor))


if __name__ == "__main__":
    main()
