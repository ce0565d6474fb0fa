#!/usr/bin/python3
"""test_replay.py - RFC 5277 replay from the negotiation history, with
ncclient over SSH (issue 13 items 3 and 6).

  - the :replay capability; netconf/streams: NETCONF with replaySupport and
    a replayLogCreationTime;
  - a watcher stays subscribed throughout; a second manager subscribes,
    disconnects, misses two reloads, reconnects with startTime = when it
    left: it gets exactly the notifications the watcher got meanwhile, in
    order, with the same eventTimes and contents, then replayComplete,
    then the next live change once (not again from the store);
  - startTime/stopTime both past: that window, replayComplete,
    notificationComplete, and nothing after;
  - after a restart on the same --state-dir, a replay from the first start
    returns every notification of the first life;
  - get-history: since, until, client-id, limit; the counters;
  - refusals: startTime in the future, stopTime before startTime, stopTime
    alone, a malformed time.
Every issud started here is killed by PID, also on failure.
Usage: test_replay.py SOURCE_DIR BIN_DIR
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, free_port, summary, wait_for  # noqa: E402
from lxml import etree  # noqa: E402
from ncclient import manager  # noqa: E402
from ncclient.operations.rpc import RPCError  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
IA = "urn:issu-agent:yang:issu-agent"
NCN = "urn:ietf:params:xml:ns:netconf:notification:1.0"
MEV = "urn:ietf:params:xml:ns:netmod:notification"
IMAGES = os.path.join(SRC, "examples", "images")
tmp = tempfile.mkdtemp(prefix="issu-replay-")
env = dict(os.environ, ISSU_YANG_DIR=os.path.join(SRC, "yang"))
procs = []
PORT = free_port()


def start_issud(tag):
    log = open(os.path.join(tmp, tag + ".log"), "w")
    p = subprocess.Popen([os.path.join(BIN, "issud"), "--active", os.path.join(IMAGES, "running.json"),
                          "--standby", os.path.join(tmp, "standby.json"), "--state-dir", os.path.join(tmp, "state"),
                          "--netconf-unix", os.path.join(tmp, "nc.sock"), "--netconf-ssh", "127.0.0.1:%d" % PORT,
                          "--ssh-host-key", os.path.join(tmp, "host.pem"),
                          "--ssh-authorized-keys", os.path.join(tmp, "authorized_keys")],
                         stdout=log, stderr=subprocess.STDOUT, env=env)
    procs.append(p)
    check(wait_for(lambda: "running (pid" in open(os.path.join(tmp, tag + ".log")).read(), 30), "%s serves" % tag)
    return p


def connect():
    return manager.connect(host="127.0.0.1", port=PORT, username="tester", key_filename=os.path.join(tmp, "client"),
                           hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=30)


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(n):
    """(eventTime, name, the event's XML without eventTime) of a notification."""
    e = etree.fromstring(n.notification_xml.encode() if isinstance(n.notification_xml, str) else n.notification_xml)
    t = e.find("{%s}eventTime" % NCN).text
    body = [c for c in e if c.tag != "{%s}eventTime" % NCN][0]
    return t, etree.QName(body).localname, etree.tostring(body)


def drain(m, until_name=None, secs=30, count=None):
    """Notifications until one named @until_name (included), @count of them, or a quiet @secs."""
    out = []
    end = time.time() + secs
    while time.time() < end:
        n = m.take_notification(timeout=max(0.1, min(2, end - time.time())))
        if n is None:
            if until_name is None and count is None and out:
                break
            continue
        out.append(parse(n))
        if until_name and out[-1][1] == until_name:
            break
        if count and len(out) >= count:
            break
    return out


def reload(p, image, done_before):
    shutil.copy(os.path.join(IMAGES, image), os.path.join(tmp, "standby.json"))
    p.send_signal(signal.SIGHUP)
    check(wait_for(lambda: open(os.path.join(tmp, "i1.log")).read().count("reload: standby image") > done_before,
                   30), "reload to %s" % image)


def history(m, **kw):
    args = "".join("<%s>%s</%s>" % (k.replace("_", "-"), v, k.replace("_", "-")) for k, v in kw.items())
    r = m.dispatch(etree.fromstring('<get-history xmlns="%s">%s</get-history>' % (IA, args)))
    return etree.fromstring(r.xml.encode())


def main():
    t_start = time.time()
    try:
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "tester@test",
                        "-f", os.path.join(tmp, "client")], check=True)
        shutil.copy(os.path.join(tmp, "client.pub"), os.path.join(tmp, "authorized_keys"))
        os.mkdir(os.path.join(tmp, "state"))
        shutil.copy(os.path.join(IMAGES, "upgrade-compatible.json"), os.path.join(tmp, "standby.json"))
        t0 = now()
        p = start_issud("i1")

        w = connect()
        caps = list(w.server_capabilities)
        check("urn:ietf:params:netconf:capability:replay:1.0" in caps, ":replay:1.0 advertised")
        r = w.get(filter=("subtree", '<netconf xmlns="%s"><streams/></netconf>' % MEV))
        d = etree.fromstring(r.xml.encode())
        rs = d.xpath("//m:stream[m:name='NETCONF']/m:replaySupport/text()", namespaces={"m": MEV})
        lt = d.xpath("//m:stream/m:replayLogCreationTime/text()", namespaces={"m": MEV})
        check(rs == ["true"] and len(lt) == 1, "netconf/streams: NETCONF, replaySupport true, %s" % lt)
        w.create_subscription()

        m = connect()
        m.create_subscription()
        reload(p, "upgrade-incompatible.json", 0)
        seen_w = drain(w, "verdict-changed")
        seen_m = drain(m, "verdict-changed")
        check(len(seen_w) > 2 and seen_w == seen_m, "both subscribers get the first reload (%d)" % len(seen_w))
        m.close_session()
        t_left = now()
        time.sleep(0.01)  # eventTimes have microseconds: the next change is strictly later
        reload(p, "upgrade-base-level.json", 1)
        reload(p, "upgrade-compatible.json", 2)
        missed = drain(w, count=None, secs=10)
        check(len(missed) > 4 and missed[-1][1] == "verdict-changed",
              "the watcher got %d notifications while the other was away" % len(missed))

        m = connect()
        m.create_subscription(start_time=t_left)
        got = drain(m, "replayComplete")
        check(got and got[-1][1] == "replayComplete", "replay ends with replayComplete")
        check(got[:-1] == missed, "replay after reconnect: exactly the %d missed, in order, same eventTimes "
              "(got %d)" % (len(missed), len(got) - 1))
        reload(p, "upgrade-incompatible.json", 3)
        live_w = drain(w, "verdict-changed")
        live_m = drain(m, "verdict-changed")
        check(live_m == live_w and len(live_m) > 2, "then the next change live, once (%d)" % len(live_m))
        extra = drain(m, secs=2)
        check(extra == [], "nothing told twice (%d extra)" % len(extra))

        # a closed window: both times past
        t_end = missed[-1][0]
        q = connect()
        q.create_subscription(start_time=t_left, stop_time=t_end)
        win = drain(q, "notificationComplete")
        names = [x[1] for x in win]
        check(names[-2:] == ["replayComplete", "notificationComplete"], "stopTime past: replayComplete, "
              "notificationComplete (%s)" % names[-3:])
        check(win[:-2] == [x for x in missed if x[0] < t_end], "the window [startTime, stopTime) only")
        check(drain(q, secs=2) == [], "the subscription is over after notificationComplete")
        q.close_session()

        # stopTime ahead: the replay, then live until it passes, then notificationComplete
        q = connect()
        stop_at = datetime.fromtimestamp(time.time() + 3, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        q.create_subscription(start_time=t_end, stop_time=stop_at)
        fut = drain(q, "notificationComplete", secs=30)
        names = [x[1] for x in fut]
        check(names[-2:] == ["replayComplete", "notificationComplete"] and fut[:-2] == [x for x in missed + live_w
                                                                                       if x[0] >= t_end],
              "stopTime ahead: replay from startTime, replayComplete, then notificationComplete once it passed (%s)"
              % names[-3:])
        q.close_session()

        for bad, what in ((dict(start_time="2200-01-01T00:00:00Z"), "startTime in the future"),
                          (dict(start_time=t_left, stop_time=t0), "stopTime before startTime"),
                          (dict(start_time="2026-13-01T00:00:00Z"), "a malformed startTime")):
            q = connect()
            try:
                q.create_subscription(**bad)
                check(False, "%s refused" % what)
            except RPCError as e:
                check(True, "%s refused: %s" % (what, str(e)[:80]))
            q.close_session()

        # get-history
        h = history(w, since=t_left)
        rounds = h.xpath("//ia:round[ia:trigger]", namespaces={"ia": IA})
        trig = h.xpath("//ia:round/ia:trigger/text()", namespaces={"ia": IA})
        check(len(rounds) == 3 and trig == ["reload"] * 3, "get-history since: the three reloads (%s)" % trig)
        ev = h.xpath("//ia:event", namespaces={"ia": IA})
        check(len(ev) == len(missed) + len(live_w), "... and their %d events" % len(ev))
        h = history(w, since=t_left, client_id=2011)
        cl = set(h.xpath("//ia:event/ia:client-id/text()", namespaces={"ia": IA}))
        check(cl == {"2011"}, "client-id filter: only client 2011's events (%s)" % cl)
        h = history(w, limit=1)
        check(len(h.xpath("//ia:event", namespaces={"ia": IA})) == 1 and
              h.xpath("//ia:truncated/text()", namespaces={"ia": IA}) == ["true"], "limit 1: one event, truncated")
        h = history(w, since=t0, until=t_left)
        tr = h.xpath("//ia:round/ia:trigger/text()", namespaces={"ia": IA})
        check(tr == ["start", "reload"], "since/until: the start and the first reload (%s)" % tr)
        total = h.xpath("//ia:negotiations-total/text()", namespaces={"ia": IA})
        check(total == ["5"], "negotiations-total 5 (%s)" % total)
        w.close_session()
        m.close_session()
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)

        # restart on the same store: replay of the first life
        p = start_issud("i2")
        m = connect()
        m.create_subscription(start_time=t0)
        got = drain(m, "replayComplete")
        names = [x[1] for x in got]
        life1 = seen_w + missed + live_w
        at = [i for i in range(len(got)) if got[i:i + len(life1)] == life1]
        check(len(at) == 1 and [x[1] for x in got[:at[0]]] == ["peer-state-changed", "verdict-changed"],
              "after a restart, replay from the first start: its start, then every notification the watcher "
              "got, in order (%d)" % len(life1))
        check(names.count("verdict-changed") >= 4, "... and every verdict change of the first life (%d)" %
              names.count("verdict-changed"))
        h = history(m)
        total = h.xpath("//ia:negotiations-total/text()", namespaces={"ia": IA})
        check(total == ["6"], "negotiations-total survives the restart: 6 (%s)" % total)
        r = m.get(filter=("subtree", '<issu-state xmlns="%s"><history/><endpoint><negotiations/></endpoint>'
                                     '</issu-state>' % IA))
        d = etree.fromstring(r.xml.encode())
        hv = {k: d.xpath("//ia:history/ia:%s/text()" % k, namespaces={"ia": IA})
              for k in ("persistent", "negotiations-total", "discontinuity-time")}
        en = d.xpath("//ia:endpoint/ia:negotiations/text()", namespaces={"ia": IA})
        check(hv["persistent"] == ["true"] and hv["negotiations-total"] == ["6"] and en == ["1"] and
              hv["discontinuity-time"], "issu-state/history: persistent, negotiations-total 6 while "
              "endpoint/negotiations restarted at 1 (%s, %s)" % (hv, en))
        m.close_session()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("test_replay: %.1f s" % (time.time() - t_start))
    return summary()


if __name__ == "__main__":
    sys.exit(main())
