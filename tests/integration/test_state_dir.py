#!/usr/bin/python3
"""test_state_dir.py - the negotiation history under --state-dir (issue 13).

  - restart keeps history and counters: rounds with their triggers (start,
    netconf-rpc, reload) and events written by one issud are there after a
    SIGTERM and a new start, and negotiations_total keeps counting;
  - kill -9 during rounds of 10,000 session result changes (SIGHUP alternates
    the standby between a compatible and an incompatible image of 10,000
    clients): after every kill PRAGMA integrity_check is ok, every stored
    round has all its events or is absent, and what is stored is a prefix of
    what happened (start, then the reloads in order, verdicts alternating);
  - faults: a corrupt history.db is named in the log and issud serves from
    memory, or exits 1 with --require-history; so does an unwritable state
    dir (issud as nobody); a second issud on the same
    --state-dir names the first's pid and serves from memory; a state dir
    that is a file, with --require-history, exits 1;
  - no --state-dir: the log says memory only;
  - retention: --history-max-events 4 keeps the newest 4 rounds of 7;
  - peer mode: the triggers start, netconf-rpc, peer (the standby's side of
    the active's round), peer-lost and peer-back.
Every issud started here is killed by PID, also on failure.
Usage: test_state_dir.py SOURCE_DIR BIN_DIR
"""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, free_port, summary, wait_for  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
IMAGES = os.path.join(SRC, "examples", "images")
ISSUD, ISSUCTL = os.path.join(BIN, "issud"), os.path.join(BIN, "issuctl")
IM = "urn:issu-agent:yang:issu-manifest"
TRIG = {1: "start", 2: "reload", 3: "snmp-set", 4: "netconf-rpc", 5: "peer-lost", 6: "peer-back", 7: "peer"}
procs = []
tmp = tempfile.mkdtemp(prefix="issu-hist-")
env = dict(os.environ, ISSU_YANG_DIR=os.path.join(SRC, "yang"))


def issud(tag, active, standby, *extra):
    log = open(os.path.join(tmp, tag + ".log"), "a")
    p = subprocess.Popen([ISSUD, "--active", active, "--standby", standby,
                          "--netconf-unix", os.path.join(tmp, tag + ".sock")] + list(extra),
                         stdout=log, stderr=subprocess.STDOUT, env=env)
    procs.append(p)
    return p


def logtext(tag):
    with open(os.path.join(tmp, tag + ".log"), errors="replace") as f:
        return f.read()


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def serving(tag):
    return wait_for(lambda: "running (pid" in logtext(tag), 30)


def ctl(tag, *args):
    return subprocess.run([ISSUCTL, "--socket", os.path.join(tmp, tag + ".sock")] + list(args),
                          capture_output=True, text=True, timeout=120, env=env)


def db(path):
    c = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    return c


def image(n, lo, name):
    """n clients of one session each; versions lo..lo+1 (1: compatible with 1, 3: with nothing)."""
    out = ['<image xmlns="%s"><name>%s</name><version>1</version>' % (IM, name)]
    for i in range(1, n + 1):
        out.append('<client><id>%d</id><name>c%d</name><message-group><id>1</id><message-type><id>1</id>'
                   '<version><number>%d</number><mtu>100</mtu></version><version><number>%d</number>'
                   '<mtu>200</mtu></version></message-type></message-group><capability-group><id>1</id>'
                   '<capability-type><id>0</id><entry>1</entry></capability-type></capability-group>'
                   '<entity><id>1</id><session-name>s%d</session-name><message-group>1</message-group>'
                   '<capability-group>1</capability-group></entity></client>' % (10000 + i, i, lo, lo + 1, i))
    out.append("</image>")
    return "".join(out)


def test_restart():
    d = os.path.join(tmp, "state")
    os.mkdir(d)
    run, comp = os.path.join(IMAGES, "running.json"), os.path.join(IMAGES, "upgrade-compatible.json")
    inc = os.path.join(tmp, "standby.json")
    shutil.copy(os.path.join(IMAGES, "upgrade-incompatible.json"), inc)
    p = issud("r1", run, inc, "--state-dir", d)
    check(serving("r1"), "issud with --state-dir serves")
    check("history: %s/history.db (0 rounds, 0 events kept" % d in logtext("r1"), "the store is named at start")
    r = ctl("r1", "renegotiate")
    check("INCOMPATIBLE" in r.stdout, "renegotiate over NETCONF (exit %d: %s)" % (r.returncode, r.stderr.strip()))
    shutil.copy(comp, inc)
    p.send_signal(signal.SIGHUP)
    check(wait_for(lambda: "reload: standby image" in logtext("r1"), 30), "SIGHUP reloads")
    path = os.path.join(d, "history.db")
    check(wait_for(lambda: db(path).execute("select count(*) from rounds").fetchone()[0] == 3, 30),
          "three rounds stored")
    stop(p)
    check(p.returncode == 0, "SIGTERM stops it")
    c = db(path)
    rounds = c.execute("select trigger, verdict, n_events from rounds order by id").fetchall()
    check([TRIG[t] for t, _, _ in rounds] == ["start", "netconf-rpc", "reload"],
          "the rounds' triggers: %s" % [TRIG.get(t) for t, _, _ in rounds])
    check(rounds[0][1] == 3 and rounds[2][1] == 1, "verdicts: incompatible, then compatible after the reload (%s)" % [v for _, v, _ in rounds])
    ev = c.execute("select count(*) from events where round = (select max(id) from rounds)").fetchone()[0]
    check(ev == rounds[2][2] and ev > 1, "the reload's %d events are stored with it" % ev)
    reasons = c.execute("select count(*) from events where reason = ''").fetchone()[0]
    check(reasons == 0, "every event has its reason")
    meta = dict(c.execute("select key, value from meta").fetchall())
    c.close()
    check(meta.get("negotiations_total") == 3, "negotiations_total 3 (%s)" % meta.get("negotiations_total"))

    p = issud("r2", run, inc, "--state-dir", d)
    check(serving("r2"), "issud restarts on the same store")
    check("(3 rounds, %d events kept" % (sum(n for _, _, n in rounds)) in logtext("r2"),
          "the restart finds the three rounds and their events")
    check(wait_for(lambda: db(path).execute("select count(*) from rounds").fetchone()[0] == 4, 30),
          "its start round is added after them")
    r = ctl("r2", "show", "issu", "history")
    out = r.stdout
    check(r.returncode == 0 and "kept in the state directory (survives restarts)" in out and
          "Negotiations = 4," in out, "issuctl show issu history: persistent, 4 negotiations across restarts")
    order = [out.find("(start)"), out.find("(netconf-rpc)"), out.find("(reload)"), out.rfind("(start)")]
    check(all(a < b for a, b in zip(order, order[1:])) and order[0] >= 0,
          "... the rounds of both lives in order: start, netconf-rpc, reload, start")
    check("Verdict : incompatible -> compatible" in out and "Reason: " in out, "... with their events and reasons")
    r = ctl("r2", "show", "issu", "history", "--client", "2011", "--since", "1d", "--json")
    try:
        import json
        h = json.loads(r.stdout)["issu-agent:get-history"]
        evs = h.get("event", [])
        check(evs and all(e.get("client-id") == 2011 for e in evs), "--client 2011 --since 1d --json: only "
              "client 2011's events (%d)" % len(evs))
    except (ValueError, KeyError) as e:
        check(False, "--json parses: %s (%s)" % (e, r.stdout[:200]))
    r = ctl("r2", "show", "issu", "history", "--since", "yesterday")
    check(r.returncode == 3 and "--since 'yesterday'" in r.stderr, "--since yesterday: refused, exit 3")
    stop(p)
    c = db(path)
    meta2 = dict(c.execute("select key, value from meta").fetchall())
    c.close()
    check(meta2["negotiations_total"] == 4 and meta2["created_ns"] == meta["created_ns"],
          "negotiations_total goes on from 3 to 4; the discontinuity time is unchanged")
    check(meta2["results_changed_total"] > meta["results_changed_total"], "results_changed_total goes on")


def test_retention():
    """--history-max-events and --history-max-age reach the store: the oldest rounds go."""
    d = os.path.join(tmp, "retain")
    os.mkdir(d)
    run, comp = os.path.join(IMAGES, "running.json"), os.path.join(IMAGES, "upgrade-compatible.json")
    p = issud("t1", run, comp, "--state-dir", d, "--history-max-events", "4", "--history-max-age", "7d")
    check(serving("t1") and "at most 4 events, 604800 s" in logtext("t1"), "the retention options are logged")
    for _ in range(6):
        ctl("t1", "renegotiate")
    path = os.path.join(d, "history.db")

    def kept():
        c = db(path)
        r = c.execute("select count(*), min(id), max(id) from rounds").fetchone()
        e = c.execute("select count(*) from events").fetchone()[0]
        c.close()
        return r, e
    check(wait_for(lambda: kept()[0][0] == 4 and kept()[0][2] == 7, 30),
          "7 rounds run, the newest 4 kept (%s)" % (kept(),))
    check(kept()[1] <= 4, "events kept at most 4 (%d)" % kept()[1])
    stop(p)


def test_peer_triggers():
    """Peer mode: the rounds' triggers come from the hub (start, netconf-rpc, peer-lost, peer-back, peer)."""
    key = os.path.join(tmp, "psk")
    with open(key, "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    os.chmod(key, 0o600)
    port = free_port()
    da, db_ = os.path.join(tmp, "pa"), os.path.join(tmp, "pb")
    os.mkdir(da)
    os.mkdir(db_)

    def peer(tag, image, uid, d, *where):
        log = open(os.path.join(tmp, tag + ".log"), "a")
        p = subprocess.Popen([ISSUD, "--manifest", image if "/" in image else os.path.join(IMAGES, image),
                              "--unique-id", str(uid),
                              "--psk-file", key, "--netconf-unix", os.path.join(tmp, tag + ".sock"),
                              "--state-dir", d] + list(where), stdout=log, stderr=subprocess.STDOUT, env=env)
        procs.append(p)
        return p

    def triggers(d):
        try:  # the store may not exist yet
            return [TRIG.get(t) for (t,) in db(os.path.join(d, "history.db")).execute(
                "select trigger from rounds order by id")]
        except sqlite3.Error:
            return []

    am = os.path.join(tmp, "peer-active.json")
    shutil.copy(os.path.join(IMAGES, "running.json"), am)
    a = peer("pa", am, 4, da, "--listen", "127.0.0.1:%d" % port)
    b = peer("pb", "upgrade-compatible.json", 7, db_, "--peer", "127.0.0.1:%d" % port)
    check(wait_for(lambda: triggers(da)[-1:] == ["start"] and triggers(db_)[-1:] == ["start"], 30),
          "peer mode: both record their first round as start (%s, %s)" % (triggers(da), triggers(db_)))
    r = ctl("pa", "renegotiate")
    check(r.returncode == 0, "renegotiate on the active")
    check(wait_for(lambda: triggers(da)[-1:] == ["netconf-rpc"] and triggers(db_)[-1:] == ["peer"], 30),
          "the active records netconf-rpc, the standby peer (%s, %s)" % (triggers(da), triggers(db_)))
    a.send_signal(signal.SIGHUP)  # the manifest unchanged: no round, and nothing left pending
    check(wait_for(lambda: "reload: manifests unchanged" in logtext("pa"), 30), "SIGHUP, manifest unchanged")
    r = ctl("pb", "renegotiate")
    check(r.returncode == 0 and wait_for(lambda: triggers(da)[-1:] == ["peer"] and
                                         triggers(db_)[-1:] == ["netconf-rpc"], 30),
          "a round the standby asked for: peer on the active, not reload (%s, %s)" % (triggers(da), triggers(db_)))
    shutil.copy(os.path.join(IMAGES, "upgrade-base-level.json"), am)
    a.send_signal(signal.SIGHUP)
    check(wait_for(lambda: triggers(da)[-1:] == ["reload"], 30), "a changed manifest: reload (%s)" % triggers(da))
    stop(b)
    check(wait_for(lambda: triggers(da)[-1:] == ["peer-lost"], 30), "the standby stopped: peer-lost (%s)" %
          triggers(da))
    b = peer("pb2", "upgrade-incompatible.json", 7, db_, "--peer", "127.0.0.1:%d" % port)
    check(wait_for(lambda: triggers(da)[-1:] == ["peer-back"], 30), "it came back: peer-back (%s)" % triggers(da))
    stop(a)
    stop(b)


def test_kill9(n=10000, kills=3):
    d = os.path.join(tmp, "big")
    os.mkdir(d)
    act, stb = os.path.join(tmp, "big-active.xml"), os.path.join(tmp, "big-standby.xml")
    ok_img, bad_img = image(n, 1, "big-standby-ok"), image(n, 3, "big-standby-bad")
    with open(act, "w") as f:
        f.write(image(n, 1, "big-active"))
    path = os.path.join(d, "history.db")
    happened = []  # per life: the verdicts of the rounds published, in order
    rng = random.Random(13)
    for life in range(kills):
        tag = "k%d" % life
        with open(stb, "w") as f:
            f.write(ok_img)
        t0 = time.time()
        p = issud(tag, act, stb, "--state-dir", d, "--require-history")
        if not check(serving(tag), "life %d: issud with %d sessions serves" % (life, n)):
            stop(p, signal.SIGKILL)
            return
        if not check(wait_for(lambda: logtext(tag).count("with peer 7 done") >= 1, 60),
                     "life %d: the first round is published" % life):
            print(logtext(tag)[-2000:])
        verdicts, cur = [1], ok_img
        for k in range(2):
            cur = bad_img if cur is ok_img else ok_img
            with open(stb, "w") as f:
                f.write(cur)
            done = logtext(tag).count("reload: standby image")
            p.send_signal(signal.SIGHUP)
            verdicts.append(2 if cur is bad_img else 1)
            if k == 1:
                break  # killed somewhere in this round: loading, negotiating or writing it
            if not wait_for(lambda: logtext(tag).count("reload: standby image") > done, 60):
                print(logtext(tag)[-2000:])
                break
        time.sleep(rng.uniform(0.0, 1.0))
        p.send_signal(signal.SIGKILL)
        p.wait()
        # the active endpoint logs each round just before publishing it
        verdicts = verdicts[:logtext(tag).count("with peer 7 done")]
        happened.append(verdicts)
        print("life %d: %d rounds published in %.1f s, killed" % (life, len(verdicts), time.time() - t0))
    c = db(path)
    check(c.execute("pragma integrity_check").fetchone()[0] == "ok", "PRAGMA integrity_check: ok")
    rounds = c.execute("select id, trigger, verdict, n_events, (select count(*) from events e where e.round ="
                       " r.id) from rounds r order by id").fetchall()
    c.close()
    check(all(r[3] == r[4] for r in rounds), "every stored round has all its events (%s)" %
          [(r[3], r[4]) for r in rounds if r[3] != r[4]])
    check(all(r[3] >= n for r in rounds if r[1] == 2), "each stored reload round holds its %d+ events" % n)
    # split the stored rounds into lives at each start round
    lives, stored = [], []
    for r in rounds:
        if r[1] == 1:
            lives.append([])
        if lives:
            lives[-1].append(r[2])
    check(len(lives) == kills, "one start round per life (%d)" % len(lives))
    prefix = len(lives) == kills
    lost = 0
    for got, want in zip(lives, happened):
        prefix = prefix and got == want[:len(got)]
        lost += len(want) - len(got)
        stored.append(len(got))
    check(prefix, "each life's stored rounds are a prefix of what happened (%s of %s)" %
          (stored, [len(v) for v in happened]))
    check(lost <= kills, "at most the round in flight lost per kill (%d published, not stored)" % lost)


def test_faults():
    run, comp = os.path.join(IMAGES, "running.json"), os.path.join(IMAGES, "upgrade-compatible.json")
    d = os.path.join(tmp, "corrupt")
    os.mkdir(d)
    with open(os.path.join(d, "history.db"), "w") as f:
        f.write("not a database " * 600)
    p = issud("c1", run, comp, "--state-dir", d, "--require-history")
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    log = logtext("c1")
    check(p.returncode == 1, "corrupt store, --require-history: exit 1 (%s)" % p.returncode)
    check("is not a usable database" in log and "--require-history" in log, "the log names the corrupt file")
    stop(p, signal.SIGKILL)
    p = issud("c2", run, comp, "--state-dir", d)
    check(serving("c2"), "corrupt store without --require-history: issud serves")
    check("history: kept in memory only" in logtext("c2"), "... and says the history is in memory only")
    r = ctl("c2", "show", "issu", "clients")
    check(r.returncode == 0 and "Client_ID" in r.stdout, "... and answers show issu clients")
    stop(p)
    with open(os.path.join(d, "history.db")) as f:
        check(f.read(15) == "not a database ", "the corrupt file is left untouched for the operator")

    d = os.path.join(tmp, "shared")
    os.mkdir(d)
    a = issud("l1", run, comp, "--state-dir", d)
    check(serving("l1"), "first issud on a state dir serves")
    b = issud("l2", run, comp, "--state-dir", d)
    check(serving("l2"), "a second issud on the same state dir serves too")
    check("in use by another issud (pid %d)" % a.pid in logtext("l2"), "... and names the first's pid")
    check("kept in memory only" in logtext("l2"), "... keeping its history in memory only")
    stop(b)
    b = issud("l3", run, comp, "--state-dir", d, "--require-history")
    b.wait(timeout=30)
    check(b.returncode == 1, "... or exits 1 with --require-history")
    stop(a)

    # unwritable: a root-owned 0755 directory, issud as nobody (root writes anywhere)
    d = os.path.join(tmp, "rootonly")
    os.mkdir(d)
    os.chmod(d, 0o755)
    sd = os.path.join(tmp, "nobody-sock")
    os.mkdir(sd)
    os.chmod(sd, 0o777)
    os.chmod(tmp, 0o755)
    nob = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", ISSUD, "--active", run, "--standby",
           comp, "--state-dir", d, "--netconf-unix", os.path.join(sd, "s")]
    if shutil.which("setpriv") and os.geteuid() == 0:
        r = subprocess.run(nob + ["--require-history"], capture_output=True, text=True, env=env, timeout=30)
        check(r.returncode == 1 and "state directory %s is not writable: Permission denied" % d in r.stderr,
              "an unwritable state dir (issud as nobody), --require-history: exit 1, named")
        log = open(os.path.join(tmp, "u1.log"), "w")
        p = subprocess.Popen(nob, stdout=log, stderr=subprocess.STDOUT, env=env)
        procs.append(p)
        check(serving("u1") and "history: kept in memory only" in logtext("u1"),
              "... without it: serves, history in memory only")
        stop(p)

    f = os.path.join(tmp, "afile")
    open(f, "w").close()
    p = issud("f1", run, comp, "--state-dir", f, "--require-history")
    p.wait(timeout=30)
    check(p.returncode == 1 and "not a directory" in logtext("f1"), "a state dir that is a file: exit 1, named")
    p = issud("m1", run, comp)
    check(serving("m1") and "memory only (no --state-dir;" in logtext("m1"), "no --state-dir: memory only, said")
    stop(p)
    r = subprocess.run([ISSUD, "--require-history", "-u", os.path.join(tmp, "x.sock")], capture_output=True,
                       text=True, env=env, timeout=30)
    check(r.returncode == 2 and "--require-history needs --state-dir" in r.stderr, "--require-history alone: usage")
    r = subprocess.run([ISSUD, "--history-max-age", "7x", "-u", os.path.join(tmp, "x.sock")],
                       capture_output=True, text=True, env=env, timeout=30)
    check(r.returncode == 2 and "--history-max-age '7x'" in r.stderr, "a malformed --history-max-age: usage")


def main():
    t0 = time.time()
    try:
        test_restart()
        test_faults()
        test_retention()
        test_peer_triggers()
        test_kill9()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("test_state_dir: %.1f s" % (time.time() - t0))
    return summary()


if __name__ == "__main__":
    sys.exit(main())
