#!/usr/bin/python3
"""test_monitoring.py SOURCE_DIR BIN_DIR - examples/monitoring end to end.

On 127.0.0.1, free ports, a private temp dir, every process stopped by PID
(also on failure): two router pairs, each an issud (embedded pair: pe1
compatible, pe2 base-level) under its own snmpd (own config, persistent
dir, port, AgentX socket, agentXTimeout); a third target nobody answers
(pe3, no `pair` label: named by its address); one prometheus-snmp-exporter
on examples/monitoring/snmp.yml; one
Prometheus on examples/monitoring/prometheus.yml with a 2 s scrape interval,
issu-alerts.yml with `for:` cut to 3 s, and the consoles. Then:
  - Prometheus's values (HTTP API) equal `issuctl --json show issu state`;
  - the fleet console's table and the per-pair page's client table;
  - headless Chromium draws the console's graphs (SVG in the graph nodes),
    screenshot in build/test-output/test_monitoring/;
  - every PromQL expression of grafana/issu-fleet.json returns data;
  - SIGHUP pe2 to an incompatible image: IssuVerdictNotCompatible and
    IssuBaseClientIncompatible fire for pe2 only;
  - bad input: pe3 (no snmpd) -> up 0 and only IssuTargetDown; pe2's issud
    stopped -> IssuSubagentNotAnswering, its verdict alerts resolve; pe1's
    issud hung (SIGSTOP) -> up 1, IssuSubagentNotAnswering; pe1's snmpd
    stopped -> IssuTargetDown, not the subagent alert; the console says which.
"""
import ctypes
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, free_port, summary, wait_for  # noqa: E402

SRC, BIN = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
MON = os.path.join(SRC, "examples", "monitoring")
IMAGES = os.path.join(SRC, "examples", "images")
OUT = os.path.join(os.path.dirname(BIN), "test-output", "test_monitoring")
ROOT = ".1.3.6.1.4.1.8072.9999.9999.2011"
# issuctl --json names -> the MIB's enumeration labels (the StateSets of generator.yml)
VERDICT = {"compatible": "compatible", "base-level-compatible": "baseLevelCompatible",
           "incompatible": "incompatible", "unknown": "unknown"}
WAIT = 60  # seconds any one expected change may take (a loaded 2-core machine)

tmp = tempfile.mkdtemp(prefix="issu-mon.")
procs = []


def die_with_parent():
    """In the child: SIGTERM when the test dies (ctest's timeout kills it)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start(args, log, env=None):
    p = subprocess.Popen(args, stdout=open(os.path.join(tmp, log), "w"),
                         stderr=subprocess.STDOUT, cwd=tmp, env=env,
                         preexec_fn=die_with_parent)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGCONT)   # one the test stopped hears SIGTERM at once
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def http(url, timeout=20):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


class Prom:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def query(self, expr):
        """The instant vector of @expr as [(labels, float)]; [] on any error."""
        try:
            d = json.loads(http(self.base + "/api/v1/query?" +
                                urllib.parse.urlencode({"query": expr})))
        except (OSError, ValueError):
            return []
        if d.get("status") != "success" or d["data"]["resultType"] != "vector":
            return []
        return [(r["metric"], float(r["value"][1])) for r in d["data"]["result"]]

    def value(self, expr):
        r = self.query(expr)
        return r[0][1] if len(r) == 1 else None

    def firing(self):
        """{(alertname, instance)} of the alerts firing now."""
        try:
            d = json.loads(http(self.base + "/api/v1/alerts"))
        except (OSError, ValueError):
            return set()
        return {(a["labels"]["alertname"], a["labels"].get("instance", ""))
                for a in d["data"]["alerts"] if a["state"] == "firing"}


class Pair:
    """One router pair: a private snmpd and an issud under it."""

    def __init__(self, name, standby):
        self.name = name
        self.dir = os.path.join(tmp, name)
        os.mkdir(self.dir)
        os.mkdir(os.path.join(self.dir, "persist"))
        self.act = os.path.join(self.dir, "active.json")
        self.stb = os.path.join(self.dir, "standby.json")
        shutil.copy(os.path.join(IMAGES, "running.json"), self.act)
        shutil.copy(os.path.join(IMAGES, standby), self.stb)
        self.port = free_port(udp=True)
        self.target = "127.0.0.1:%d" % self.port
        self.agentx = os.path.join(self.dir, "agentx")
        self.ncsock = os.path.join(self.dir, "netconf.sock")
        self.conf = os.path.join(self.dir, "snmpd.conf")
        with open(self.conf, "w") as f:
            f.write("agentAddress udp:%s\n"
                    "master agentx\nagentXSocket %s\nagentXPerms 0600 0700\n"
                    # as examples/snmpd.conf: 2 x 2 s, under the exporter's 5 s per request
                    "agentXTimeout 2\nagentXRetries 1\n"
                    "view issuView included %s\nview issuView included .1.3.6.1.2.1.1\n"
                    "rocommunity issupublic 127.0.0.1 -V issuView\n"
                    % (self.target, self.agentx, ROOT))
        self.snmpd = self.issud = None

    def start_snmpd(self):
        env = dict(os.environ, SNMP_PERSISTENT_DIR=os.path.join(self.dir, "persist"), MIBS="")
        self.snmpd = start(["snmpd", "-f", "-Lo", "-C", "-c", self.conf,
                            "-p", os.path.join(self.dir, "snmpd.pid")],
                           self.name + "-snmpd.log", env)
        return wait_for(lambda: os.path.exists(self.agentx), 15)

    def start_issud(self):
        self.issud = start([os.path.join(BIN, "issud"), "--active", self.act,
                            "--standby", self.stb, "--agentx", self.agentx,
                            "--netconf-unix", self.ncsock], self.name + "-issud.log")
        return wait_for(lambda: os.path.exists(self.ncsock), 15)

    def state(self):
        """issuctl's view: the issu-state subtree as JSON."""
        r = subprocess.run([os.path.join(BIN, "issuctl"), "--socket", self.ncsock, "--json",
                            "show", "issu", "state"], capture_output=True, text=True, timeout=60)
        return json.loads(r.stdout)["issu-agent:issu-state"]


def snmp_yml():
    """examples/monitoring/snmp.yml: generated from generator.yml, in git."""
    return os.path.join(MON, "snmp.yml")


def prometheus_yml(exporter_port, targets_dir, rules):
    """examples/monitoring/prometheus.yml pointed at this test's files and
    exporter, scraping every 2 s (a 2 s timeout: a loaded machine must not
    make a pair look down) and evaluating every second."""
    with open(os.path.join(MON, "prometheus.yml")) as f:
        text = f.read()
    for old, new in (("/etc/prometheus/issu-alerts.yml", rules),
                     ("/etc/prometheus/issu-targets/", targets_dir + "/"),
                     ("127.0.0.1:9116", "127.0.0.1:%d" % exporter_port),
                     ("scrape_interval: 30s", "scrape_interval: 2s"),
                     ("evaluation_interval: 30s", "evaluation_interval: 1s"),
                     ("scrape_timeout: 10s", "scrape_timeout: 2s"),
                     ("refresh_interval: 1m", "refresh_interval: 1s")):
        check(old in text, "prometheus.yml has %r (the test adapts it)" % old)
        text = text.replace(old, new)
    path = os.path.join(tmp, "prometheus.yml")
    with open(path, "w") as f:
        f.write(text)
    return path


def fast_rules():
    """issu-alerts.yml with every `for:` cut to 3 s (over one scrape interval)."""
    with open(os.path.join(MON, "issu-alerts.yml")) as f:
        text = f.read()
    text, n = re.subn(r"(\n\s+for: )\d+[smh]", r"\g<1>3s", text)
    check(n >= 5, "issu-alerts.yml: %d `for:` durations shortened" % n)
    path = os.path.join(tmp, "issu-alerts.yml")
    with open(path, "w") as f:
        f.write(text)
    return path


class Cells(html.parser.HTMLParser):
    """Rows of a console table: [{'attrs': tr attrs, 'cells': [(attrs, text)]}]."""

    def __init__(self, row_class):
        super().__init__()
        self.row_class, self.rows, self.row, self.cell = row_class, [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and self.row_class in (a.get("class") or "").split():
            self.row = {"attrs": a, "cells": []}
            self.rows.append(self.row)
        elif tag == "td" and self.row is not None:
            self.cell = [a, ""]
            self.row["cells"].append(self.cell)

    def handle_endtag(self, tag):
        if tag == "tr":
            self.row = None
        if tag == "td":
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[1] += data

    def by_class(self, row, cls):
        for a, text in row["cells"]:
            if cls in (a.get("class") or "").split():
                return a, " ".join(text.split())
        return {}, None


def fleet_rows(prom):
    try:
        page = http(prom.base + "/consoles/issu-fleet.html")
    except OSError as e:
        print("fleet console: %s" % e)
        return None, {}
    p = Cells("issu-pair")
    p.feed(page)
    return p, {r["attrs"].get("data-pair"): r for r in p.rows}


def fleet_cell(prom, pair, cls):
    p, rows = fleet_rows(prom)
    return p.by_class(rows[pair], cls)[1] if pair in rows else None


def fleet_state(prom, pair):
    p, rows = fleet_rows(prom)
    if pair not in rows:
        return None
    return p.by_class(rows[pair], "verdict")[0].get("data-state")


def compare_values(prom, pair):
    """Prometheus's series of @pair against issuctl --json; a list of differences."""
    st = pair.state()
    sel = 'job="issu",instance="%s"' % pair.target
    diffs = []

    def same(what, got, want):
        if got != want:
            diffs.append("%s: prometheus %r, issuctl %r" % (what, got, want))

    ep = st["endpoint"]
    def holds(metric, extra=""):
        """{index labels: the value that holds} of a StateSet"""
        return {m.get("issuClientId", ""): m[metric]
                for m, v in prom.query("%s{%s%s} == 1" % (metric, sel, extra))}

    same("verdict", holds("issuImageVerdict"), {"": VERDICT[st["verdict"]]})
    same("verdict StateSet: one series per value", len(prom.query("issuImageVerdict{%s}" % sel)), 4)
    same("peer state", holds("issuPeerState"), {"": ep["peer-state"]})
    same("switchover-ready", prom.value("issuSwitchoverReady{%s}" % sel),
         1.0 if ep["switchover-ready"] else 2.0)
    reason = prom.query("issuImageVerdictReason{%s}" % sel)
    # Prometheus drops a label whose value is empty
    same("verdict reason", reason and reason[0][0].get("issuImageVerdictReason", ""),
         st.get("verdict-reason", ""))
    same("negotiations", prom.value("issuNegotiationCount{%s}" % sel), float(ep["negotiations"]))
    eff = holds("issuClientEffectiveResult")
    raw = holds("issuClientResult")
    names = {m["issuClientId"]: m.get("issuClientName")
             for m, v in prom.query("issuClientBase{%s}" % sel)}
    why = {m["issuClientId"]: m.get("issuClientReason", "")
           for m, v in prom.query("issuClientReason{%s}" % sel)}
    same("client ids", sorted(eff), sorted(str(c["id"]) for c in st["client"]))
    for c in st["client"]:
        i = str(c["id"])
        same("client %s name" % i, names.get(i), c["name"])
        same("client %s effective result" % i, eff.get(i), c["effective-result"])
        same("client %s result" % i, raw.get(i), c["result"])
        same("client %s reason" % i, why.get(i), c.get("reason", "")[:255])
    cl = [c for c in st["client"] if c["counts"]]
    counts = {"issuClientsTotal": len(st["client"]),
              "issuClientsIncompatible": sum(c["result"] == "incompatible" for c in cl),
              "issuClientsEffIncompatible": sum(c["result"] == "compatible" and
                                                c["effective-result"] == "incompatible"
                                                for c in cl),
              "issuBaseClientsIncompatible": sum(c["base"] and c["effective-result"] ==
                                                 "incompatible" for c in st["client"]),
              "issuSessionsTotal": len(st.get("session", []))}
    for metric, want in counts.items():
        same(metric, prom.value("%s{%s}" % (metric, sel)), float(want))
    return st, diffs


def grafana_exprs():
    with open(os.path.join(MON, "grafana", "issu-fleet.json")) as f:
        dash = json.load(f)
    out = []

    def walk(node):
        if isinstance(node, dict):
            for t in node.get("targets", []):
                if t.get("expr"):
                    out.append(t["expr"])
            for p in node.get("panels", []):
                walk(p)
    walk(dash)
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            out.append(q["query"] if isinstance(q, dict) else q)
    return out


def grafana_to_promql(expr):
    """What Grafana sends for @expr with every pair selected: label_values()
    is its own function, $pair and $__ variables are substituted."""
    m = re.fullmatch(r"label_values\((.*),\s*\w+\)", expr.strip())
    if m:
        expr = m.group(1)
    return (expr.replace("$__rate_interval", "1m").replace("$__interval", "5s")
            .replace("$__range", "5m").replace("$pair", ".*").replace("${pair}", ".*")
            .replace("$instance", ".*").replace("${instance}", ".*"))


def chromium_check(url, png):
    """The console in headless Chromium: its DOM after the JS ran, and a screenshot."""
    base = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
            "--user-data-dir=" + os.path.join(tmp, "chromium"),
            "--virtual-time-budget=15000", "--window-size=1400,1600"]
    try:
        dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True,
                             timeout=60).stdout
        subprocess.run(base + ["--screenshot=" + png, url], capture_output=True, timeout=60)
    except subprocess.TimeoutExpired as e:   # run() killed it; the checks below say FAIL
        print("chromium: %s" % e)
        return ""
    return dom


def graph_drawn(dom, node_id):
    """Rickshaw drew an SVG with a line inside the graph node @node_id."""
    i = dom.find('id="%s"' % node_id)
    if i < 0:
        return False
    rest = dom[i:]
    end = rest.find("<h2", 1)
    part = rest if end < 0 else rest[:end]
    return "<svg" in part and re.search(r"<path[^>]*\bd=\"M", part) is not None


def main():
    os.makedirs(OUT, exist_ok=True)
    for tool in ("snmpd", "prometheus", "prometheus-snmp-exporter", "chromium"):
        if not check(shutil.which(tool) is not None, "%s installed (debian-packages.txt)" % tool):
            return
    snmp_conf = snmp_yml()
    pe1 = Pair("pe1", "upgrade-compatible.json")
    pe2 = Pair("pe2", "upgrade-base-level.json")
    dead = "127.0.0.1:%d" % free_port(udp=True)     # a target where nothing answers
    for p in (pe1, pe2):
        if not check(p.start_snmpd(), "%s: snmpd's AgentX socket" % p.name):
            return
        if not check(p.start_issud(), "%s: issud serves its NETCONF socket" % p.name):
            return

    tdir = os.path.join(tmp, "targets")
    os.mkdir(tdir)
    with open(os.path.join(tdir, "pairs.yml"), "w") as f:
        f.write("- targets: [%s]\n  labels: {pair: pe1, site: lab}\n"
                "- targets: [%s]\n  labels: {pair: pe2, site: lab}\n"
                # no pair label: prometheus.yml's relabelling names it by its address
                "- targets: [%s]\n" % (pe1.target, pe2.target, dead))
    eport = free_port()
    start(["prometheus-snmp-exporter", "--config.file=" + snmp_conf,
           "--web.listen-address=127.0.0.1:%d" % eport], "exporter.log")
    pport = free_port()
    prom = Prom(pport)
    start(["prometheus", "--config.file=" + prometheus_yml(eport, tdir, fast_rules()),
           "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
           "--web.listen-address=127.0.0.1:%d" % pport,
           "--web.console.templates=" + os.path.join(MON, "consoles"),
           "--web.console.libraries=" + os.path.join(MON, "console_libraries"),
           "--web.local-assets=/usr/share/prometheus/web/"], "prometheus.log")

    t0 = time.time()
    ok = wait_for(lambda: len(prom.query('issuImageVerdict{job="issu"} == 1')) == 2 and
                  len(prom.query('up{job="issu"}')) == 3, WAIT, 0.5)
    if not check(ok, "Prometheus has both pairs' verdicts and three issu targets (%.1f s)"
                 % (time.time() - t0)):
        return

    # ---- the values equal issuctl's ----
    st = {}
    for p in (pe1, pe2):
        st[p.name], diffs = compare_values(prom, p)
        check(not diffs, "%s: Prometheus equals issuctl --json (%d clients)%s"
              % (p.name, len(st[p.name]["client"]), "".join("\n     " + d for d in diffs[:10])))
    check(st["pe1"]["verdict"] == "compatible" and st["pe2"]["verdict"] == "base-level-compatible",
          "the pairs' verdicts: compatible and base-level (%s, %s)"
          % (st["pe1"]["verdict"], st["pe2"]["verdict"]))
    check(prom.value('up{instance="%s"}' % dead) == 0.0 and
          not prom.query('{job="issu",instance="%s",__name__=~"issu.*"}' % dead),
          "pe3 (nothing answers): up 0, no issu series")

    # ---- the fleet console ----
    p, rows = fleet_rows(prom)
    check(sorted(rows) == sorted(["pe1", "pe2", dead]),
          "fleet console: one row per pair, the one without a pair label named by its "
          "address %s" % sorted(rows))
    if sorted(rows) == sorted(["pe1", "pe2", dead]):
        r1, r2, r3 = rows["pe1"], rows["pe2"], rows[dead]
        check([p.by_class(r1, c)[1] for c in ("verdict", "ready", "peer", "clients")] ==
              ["compatible", "yes", "up", "-"],
              "fleet console pe1: %s" % [p.by_class(r1, c)[1]
                                         for c in ("verdict", "ready", "peer", "clients")])
        want = [c for c in st["pe2"]["client"] if c["effective-result"] == "incompatible"]
        got = p.by_class(r2, "clients")[1] or ""
        check([p.by_class(r2, c)[1] for c in ("verdict", "ready", "peer")] ==
              ["base-level compatible", "no", "up"] and want and
              all("%d %s: %s" % (c["id"], c["name"], c["reason"]) in got for c in want),
              "fleet console pe2: base-level, not ready, the %d blocking clients with reasons: %s"
              % (len(want), got[:200]))
        check(p.by_class(r3, "verdict")[0].get("data-state") == "target-down",
              "fleet console %s: target down (%s)" % (dead, p.by_class(r3, "verdict")[1]))
    try:
        index = http(prom.base + "/consoles/index.html")
    except OSError as e:
        index = str(e)
    links = {urllib.parse.unquote(h) for h in re.findall(r'href="([^"]*)"', index)}
    check({"issu-fleet.html", "issu-pair.html?instance=" + pe2.target} <= links,
          "consoles/index.html links the fleet and each pair: %s" % sorted(links))
    try:
        page = http(prom.base + "/consoles/issu-pair.html?instance=" + pe2.target)
    except OSError as e:
        page = ""
        print("pair console: %s" % e)
    cp = Cells("issu-client")
    cp.feed(page)
    byid = {r["attrs"].get("data-client"): r for r in cp.rows}
    want = {str(c["id"]): c for c in st["pe2"]["client"]}
    check(sorted(byid) == sorted(want), "pair console pe2: one row per client (%d, issuctl %d)"
          % (len(byid), len(want)))
    bad = [i for i, c in want.items() if i in byid and
           (byid[i]["attrs"].get("data-effective") != c["effective-result"] or
            cp.by_class(byid[i], "reason")[1] != " ".join(c.get("reason", "").split()))]
    check(not bad, "pair console pe2: every client's effective result and reason %s" % bad[:5])
    first = [r["attrs"].get("data-effective") for r in cp.rows]
    check(first[:len([c for c in want.values() if c["effective-result"] == "incompatible"])] ==
          ["incompatible"] * len([c for c in want.values()
                                  if c["effective-result"] == "incompatible"]),
          "pair console pe2: the blocking clients come first")

    # ---- the graphs, drawn by the browser ----
    t1 = time.time()
    png = os.path.join(OUT, "issu-fleet.png")
    if os.path.exists(png):
        os.unlink(png)
    dom = chromium_check(prom.base + "/consoles/issu-fleet.html?range=1m", png)
    check(graph_drawn(dom, "issu-verdict-graph") and graph_drawn(dom, "issu-incompatible-graph"),
          "Chromium drew both console graphs (SVG paths) in %.1f s" % (time.time() - t1))
    check(os.path.exists(png) and os.path.getsize(png) > 10000,
          "screenshot %s (%d bytes)" % (png, os.path.getsize(png) if os.path.exists(png) else 0))
    with open(os.path.join(OUT, "issu-fleet.dom.html"), "w") as f:
        f.write(dom)
    pair_png = os.path.join(OUT, "issu-pair-pe2.png")
    dom = chromium_check(prom.base + "/consoles/issu-pair.html?instance=" + pe2.target, pair_png)
    check('id="issu-clients"' in dom and "ISSU router pair pe2 (snmpd %s)" % pe2.target in dom
          and os.path.exists(pair_png), "Chromium renders pe2's page, screenshot %s" % pair_png)

    # ---- every Grafana query returns data ----
    if os.environ.get("ISSU_MON_HOLD"):
        print("holding: prometheus at %s" % prom.base, flush=True)
        time.sleep(float(os.environ["ISSU_MON_HOLD"]))
    exprs = grafana_exprs()
    empty = [e for e in exprs if not prom.query(grafana_to_promql(e))]
    check(exprs and not empty, "grafana/issu-fleet.json: all %d expressions return data%s"
          % (len(exprs), "".join("\n     empty: " + e for e in empty)))

    # ---- pe3: only the target-down alert; pe2: its base-level verdict ----
    want = {("IssuTargetDown", dead), ("IssuVerdictNotCompatible", pe2.target)}
    check(wait_for(lambda: want <= prom.firing(), WAIT, 0.5),
          "IssuTargetDown fires for pe3, IssuVerdictNotCompatible for pe2 (base-level)")
    check(prom.firing() == want, "no other alert, none on pe1: %s" % sorted(prom.firing()))

    # ---- pe2 reloaded to an incompatible image ----
    new = pe2.stb + ".new"
    shutil.copy(os.path.join(IMAGES, "upgrade-incompatible.json"), new)
    os.replace(new, pe2.stb)
    t2 = time.time()
    pe2.issud.send_signal(signal.SIGHUP)
    want = {("IssuVerdictNotCompatible", pe2.target), ("IssuBaseClientIncompatible", pe2.target)}
    ok = wait_for(lambda: want <= prom.firing(), WAIT, 0.5)
    t_fired = time.time()
    check(ok, "pe2 SIGHUPed to an incompatible image: %s fire within %.1f s (limit %d s)"
          % (sorted(a for a, _ in want), time.time() - t2, WAIT))
    st2, diffs = compare_values(prom, pe2)
    check(st2["verdict"] == "incompatible" and not diffs,
          "pe2 after the reload: Prometheus equals issuctl (%s)%s"
          % (st2["verdict"], "".join("\n     " + d for d in diffs[:10])))
    check(not [a for a in prom.firing() if a[1] == pe1.target], "pe1: still no alert")
    # the reload's change, on the wall clock (from snmpd's sysUpTime): between
    # the SIGHUP and the alert (1 s for the centisecond clocks' rounding)
    changed = fleet_cell(prom, "pe2", "changed") or ""
    stamp = prom.value('timestamp(sysUpTime{instance="%s"}) - (sysUpTime - issuLastChange) / 100'
                       % pe2.target)
    check(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", changed) is not None and
          stamp is not None and t2 - 1 <= stamp <= t_fired + 1,
          "fleet console pe2: the time of the last change, the reload's (%s, %.1f s after the "
          "SIGHUP)" % (changed, (stamp or 0) - t2)) or \
        print("     sysUpTime %s, issuLastChange %s" % (
            prom.value('sysUpTime{instance="%s"}' % pe2.target),
            prom.value('issuLastChange{instance="%s"}' % pe2.target)))

    # ---- pe2's issud stopped: the subagent alert, not the verdict ----
    stop(pe2.issud)
    t3 = time.time()
    ok = wait_for(lambda: ("IssuSubagentNotAnswering", pe2.target) in prom.firing() and
                  not [a for a in prom.firing() if a[1] == pe2.target and
                       a[0] != "IssuSubagentNotAnswering"], WAIT, 0.5)
    check(ok, "pe2 issud down: only IssuSubagentNotAnswering within %.1f s (%s)"
          % (time.time() - t3, sorted(a for a in prom.firing() if a[1] == pe2.target)))
    check(prom.value('up{instance="%s"}' % pe2.target) == 1.0, "pe2 issud down: up is still 1")
    check(fleet_state(prom, "pe2") == "no-data", "fleet console pe2: no ISSU data")

    # ---- pe1's issud hung (SIGSTOP): snmpd answers without it ----
    pe1.issud.send_signal(signal.SIGSTOP)
    t5 = time.time()
    ok = wait_for(lambda: ("IssuSubagentNotAnswering", pe1.target) in prom.firing(), WAIT, 0.5)
    check(ok and prom.value('up{instance="%s"}' % pe1.target) == 1.0 and
          [a for a in prom.firing() if a[1] == pe1.target] ==
          [("IssuSubagentNotAnswering", pe1.target)],
          "pe1 issud hung: up 1, only IssuSubagentNotAnswering within %.1f s (%s)"
          % (time.time() - t5, sorted(a for a in prom.firing() if a[1] == pe1.target)))
    pe1.issud.send_signal(signal.SIGCONT)

    # ---- pe1's snmpd stopped: target down, not the subagent alert ----
    stop(pe1.snmpd)
    t4 = time.time()
    ok = wait_for(lambda: ("IssuTargetDown", pe1.target) in prom.firing(), WAIT, 0.5)
    check(ok and [a for a in prom.firing() if a[1] == pe1.target] ==
          [("IssuTargetDown", pe1.target)],
          "pe1 snmpd down: only IssuTargetDown within %.1f s (%s)"
          % (time.time() - t4, sorted(a for a in prom.firing() if a[1] == pe1.target)))
    check(fleet_state(prom, "pe1") == "target-down", "fleet console pe1: target down")


def cleanup(*_):
    for p in reversed(procs):
        stop(p)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    t_start = time.time()
    try:
        main()
    finally:
        failed_logs = bool(__import__("nclib").failures)
        if failed_logs:
            for name in sorted(os.listdir(tmp)):
                if name.endswith(".log"):
                    with open(os.path.join(tmp, name), errors="replace") as f:
                        print("---- %s (last lines)\n%s" % (name, "".join(f.readlines()[-15:])))
        cleanup()
    print("test_monitoring: %.1f s" % (time.time() - t_start))
    sys.exit(summary())
