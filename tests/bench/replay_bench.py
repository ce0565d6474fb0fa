#!/usr/bin/python3
"""replay_bench.py - NETCONF replay of ~100,000 stored events to one
subscriber (ncclient over SSH), against the same subscriber receiving a
round's events live (the anchor, in the same run).

issud runs a pair of generated images of N clients (one session each;
default 10,000) with --state-dir. A watcher subscribes live; ROUNDS reloads
(default 10) alternate the standby between a compatible image and one
that shares no version, each changing every session (N + 1 events). The
live figure: from the last SIGHUP to the watcher holding that round's last
notification. Then a new session subscribes with startTime before the
first round and reads until replayComplete.

Usage: replay_bench.py SOURCE_DIR BIN_DIR [N] [ROUNDS]
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from nclib import free_port, wait_for  # noqa: E402
from ncclient import manager  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
ROUNDS = int(sys.argv[4]) if len(sys.argv) > 4 else 10
IM = "urn:issu-agent:yang:issu-manifest"


def image(n, lo, name):
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


def count_until(m, name, secs):
    n, end = 0, time.time() + secs
    while time.time() < end:
        x = m.take_notification(timeout=5)
        if x is None:
            continue
        n += 1
        if name in x.notification_xml[:400]:
            return n
    return n


def main():
    tmp = tempfile.mkdtemp(prefix="issu-replay-bench-")
    port = free_port()
    p = None
    try:
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "b@b",
                        "-f", os.path.join(tmp, "client")], check=True)
        shutil.copy(os.path.join(tmp, "client.pub"), os.path.join(tmp, "authorized_keys"))
        os.mkdir(os.path.join(tmp, "state"))
        act, stb = os.path.join(tmp, "a.xml"), os.path.join(tmp, "s.xml")
        ok, bad = image(N, 1, "ok"), image(N, 3, "bad")
        open(act, "w").write(image(N, 1, "a"))
        open(stb, "w").write(ok)
        log = open(os.path.join(tmp, "issud.log"), "w")
        t0 = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        p = subprocess.Popen([os.path.join(BIN, "issud"), "--active", act, "--standby", stb,
                              "--state-dir", os.path.join(tmp, "state"),
                              "--netconf-ssh", "127.0.0.1:%d" % port, "--ssh-host-key", os.path.join(tmp, "h.pem"),
                              "--ssh-authorized-keys", os.path.join(tmp, "authorized_keys")],
                             stdout=log, stderr=subprocess.STDOUT,
                             env=dict(os.environ, ISSU_YANG_DIR=os.path.join(SRC, "yang")))

        def logtext():
            return open(os.path.join(tmp, "issud.log")).read()

        wait_for(lambda: logtext().count("with peer 7 done") >= 1, 120)

        def connect():
            return manager.connect(host="127.0.0.1", port=port, username="b", key_filename=os.path.join(tmp, "client"),
                                   hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=120)

        w = connect()
        w.create_subscription()
        live = []
        for k in range(ROUNDS):
            open(stb, "w").write(bad if k % 2 == 0 else ok)
            t = time.time()
            p.send_signal(signal.SIGHUP)
            got = count_until(w, "verdict-changed", 300)
            live.append((got, time.time() - t))
            print("round %d: %d live notifications in %.2f s" % (k + 1, got, live[-1][1]), flush=True)
        time.sleep(2)  # the writer finishes the last round (replay waits for it anyway)
        m = connect()
        t = time.time()
        m.create_subscription(start_time=t0)
        n = count_until(m, "replayComplete", 900) - 1
        dt = time.time() - t
        lg, lt = live[-1]
        print("replay: %d stored notifications to one subscriber in %.2f s (%.0f/s)" % (n, dt, n / dt))
        print("anchor: the last round live, %d notifications in %.2f s from SIGHUP (%.0f/s)" % (lg, lt, lg / lt))
        print("ratio replay rate / live rate: %.2f" % ((n / dt) / (lg / lt)))
        for line in logtext().splitlines():
            if "replayed" in line:
                print("issud: " + line.split("issud ", 1)[-1])
    finally:
        if p and p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
