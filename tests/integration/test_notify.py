#!/usr/bin/python3
"""test_notify.py - issud under systemd's protocols, without systemd (issue 15
items 3 and 4).

The test binds its own NOTIFY_SOCKET (AF_UNIX datagram, as systemd-notify's
peer does) and starts issud with it:
  - READY=1 arrives only once issud serves: when it arrives, the NETCONF
    UNIX socket already answers with a hello; the AgentX face points at a
    snmpd that is not there (retrying), which must not hold readiness back;
  - SIGHUP: RELOADING=1, then READY=1; a reload whose manifest fails still
    ends in READY=1 (issud keeps serving the previous images);
  - SIGTERM: STOPPING=1, and exit 0;
  - peer mode with no peer connected yet: READY=1 once the link listens;
  - without NOTIFY_SOCKET nothing is sent and issud serves as before.
And the journal: with JOURNAL_STREAM naming issud's stderr, every line
starts with a syslog priority ("<6>" info, "<4>" warning) and no time stamp;
with JOURNAL_STREAM naming another file, lines are plain.
Every issud is killed by PID, also on failure.
Usage: test_notify.py SOURCE_DIR BIN_DIR
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, free_port, run_main, wait_for  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
IMAGES = os.path.join(SRC, "examples", "images")
ISSUD = os.path.join(BIN, "issud")
procs = []
tmp = tempfile.mkdtemp(prefix="issu-notify-")
env = dict(os.environ, ISSU_YANG_DIR=os.path.join(SRC, "yang"))
env.pop("NOTIFY_SOCKET", None)
env.pop("JOURNAL_STREAM", None)


def start(tag, sock, extra=(), env_add=None, stderr_path=None):
    e = dict(env, **(env_add or {}))
    log = open(stderr_path or os.path.join(tmp, tag + ".log"), "w")
    p = subprocess.Popen([ISSUD, "--active", os.path.join(tmp, "active.json"), "--standby",
                          os.path.join(IMAGES, "upgrade-compatible.json"), "--netconf-unix", sock] + list(extra),
                         stdout=log, stderr=log, env=e)
    procs.append(p)
    return p


def hello(sock):
    """Whether the NETCONF socket answers: a connection gets issud's hello."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(sock)
        data = b""
        while b"]]>]]>" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return b"<hello" in data and b"]]>]]>" in data
    except OSError:
        return False
    finally:
        s.close()


class Notify:
    """The service manager's end: a datagram socket issud writes to."""

    def __init__(self):
        self.path = os.path.join(tmp, "notify.sock")
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(self.path)

    def next(self, secs):
        """The next message's fields as a dict, or None after @secs seconds."""
        self.s.settimeout(secs)
        try:
            data = self.s.recv(4096).decode()
        except socket.timeout:
            return None
        return dict(line.split("=", 1) for line in data.split("\n") if "=" in line)

    def close(self):
        self.s.close()


def main():
    shutil.copy(os.path.join(IMAGES, "running.json"), os.path.join(tmp, "active.json"))
    n = Notify()
    sock = os.path.join(tmp, "nc.sock")
    # AgentX to a snmpd that does not exist: the SNMP face retries
    p = start("notify", sock, ["--agentx", os.path.join(tmp, "no-snmpd")], {"NOTIFY_SOCKET": n.path})
    m = n.next(60)
    check(m is not None and m.get("READY") == "1", "first message is READY=1 (%r)" % m)
    check(hello(sock), "when READY=1 arrives the NETCONF socket already answers")
    check(m is not None and m.get("STATUS", "").startswith("serving"), "STATUS says serving (%r)" % m)

    p.send_signal(signal.SIGHUP)
    m1, m2 = n.next(60), n.next(60)
    check(m1 is not None and m1.get("RELOADING") == "1", "SIGHUP: RELOADING=1 (%r)" % m1)
    check(m2 is not None and m2.get("READY") == "1", "SIGHUP: then READY=1 (%r)" % m2)

    with open(os.path.join(tmp, "active.json"), "w") as f:
        f.write("{ not json")
    p.send_signal(signal.SIGHUP)
    m1, m2 = n.next(60), n.next(60)
    check(m1 is not None and m1.get("RELOADING") == "1", "failed reload: RELOADING=1 (%r)" % m1)
    check(m2 is not None and m2.get("READY") == "1" and "previous" in m2.get("STATUS", ""),
          "failed reload: READY=1, STATUS names the previous images (%r)" % m2)
    check(hello(sock), "after the failed reload the socket still answers")

    p.send_signal(signal.SIGTERM)
    m = n.next(60)
    check(m is not None and m.get("STOPPING") == "1", "SIGTERM: STOPPING=1 (%r)" % m)
    check(p.wait(30) == 0, "SIGTERM: exit 0")
    check(n.next(0.2) is None, "nothing after STOPPING=1")

    # peer mode, no peer yet: listening on the link is serving
    psk = os.path.join(tmp, "psk")
    with open(psk, "w") as f:
        f.write("0123456789abcdef0123456789abcdef\n")
    os.chmod(psk, 0o600)
    e = dict(env, NOTIFY_SOCKET=n.path)
    with open(os.path.join(tmp, "peer.log"), "w") as log:
        p = subprocess.Popen([ISSUD, "--manifest", os.path.join(IMAGES, "running.json"), "--unique-id", "4",
                              "--listen", "127.0.0.1:%d" % free_port(), "--psk-file", psk,
                              "--netconf-unix", sock], stdout=log, stderr=log, env=e)
    procs.append(p)
    m = n.next(60)
    check(m is not None and m.get("READY") == "1" and "peer" in m.get("STATUS", ""),
          "peer mode, no peer connected: READY=1 once listening (%r)" % m)
    check(hello(sock), "peer mode: the NETCONF socket answers at READY=1")
    p.send_signal(signal.SIGTERM)
    m = n.next(60)
    check(m is not None and m.get("STOPPING") == "1", "peer mode: STOPPING=1 (%r)" % m)
    check(p.wait(30) == 0, "peer mode: exit 0")

    # without NOTIFY_SOCKET: nothing sent, serves as before
    shutil.copy(os.path.join(IMAGES, "running.json"), os.path.join(tmp, "active.json"))
    p = start("plain", sock)
    check(wait_for(lambda: hello(sock) or p.poll() is not None, 60) and p.poll() is None,
          "without NOTIFY_SOCKET issud serves")
    check(n.next(0.5) is None, "without NOTIFY_SOCKET nothing reaches the notify socket")
    text = open(os.path.join(tmp, "plain.log")).read()
    check(re.match(r"\d{4}-\d\d-\d\dT[\d:.]+ issud INFO: ", text) is not None,
          "stderr not the journal: time-stamped lines")
    p.send_signal(signal.SIGTERM)
    p.wait(30)
    n.close()

    # the journal: JOURNAL_STREAM names issud's stderr (DEV:INODE)
    for tag, same in [("journal", True), ("other", False)]:
        path = os.path.join(tmp, tag + ".log")
        open(path, "w").close()
        other = os.path.join(tmp, "other-file")
        open(other, "w").close()
        st = os.stat(path if same else other)
        p = start(tag, sock, ["--verbose"], {"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)}, path)
        wait_for(lambda: hello(sock) or p.poll() is not None, 60)
        p.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload" in open(path).read(), 30)
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        lines = [ln for ln in open(path, errors="replace").read().splitlines() if ln]
        if same:
            check(lines and all(re.match(r"<[0-7]>", ln) for ln in lines),
                  "JOURNAL_STREAM is stderr: every line has a <N> priority (%r)" % lines[:2])
            check(any(ln.startswith("<6>issud ") and "running" in ln for ln in lines) and
                  any(ln.startswith("<7>") for ln in lines),
                  "info is <6>, debug <7>")
            check(not any(re.match(r"<\d>\d{4}-", ln) for ln in lines), "no time stamp (the journal has it)")
        else:
            check(lines and not any(re.match(r"<[0-7]>", ln) for ln in lines),
                  "JOURNAL_STREAM names another file: plain lines")


run_main(main, procs, tmp)
