#!/usr/bin/python3
"""test_manifest_files.py - a manifest that is no regular file (issue 10 item 4).

open() of a FIFO waits for a writer: issud used to freeze its core thread on
a SIGHUP reload when a manifest had been replaced by one (RPCs that need the
core hung, SIGTERM was never read, in peer mode the other side lost its
peer). Everything runs in a private temp dir on 127.0.0.1; checks:
  - embedded pair with --netconf-unix: the standby manifest replaced in turn
    by a FIFO (nobody writing), a UNIX socket, a symlink to /dev/zero and a
    directory, each followed by SIGHUP: within 2 s <renegotiate> (which runs
    on the core thread) is answered, the log names the refusal with the
    file type and "keeping the running images"; then a real changed file
    reloads (the verdict changes), and SIGTERM stops issud (exit 0) at once;
  - startup with a FIFO as --active, /dev/zero as --standby: issud exits 3
    at once, saying why; the same for a FIFO as --psk-file in peer mode;
  - issuctl check (offline, and --socket against issud) with a FIFO as a
    manifest: exit 3 at once with the message;
  - peer mode (two issud over TCP, PSK): the listener's manifest becomes a
    FIFO, SIGHUP: it keeps answering, and after 6 s (the link drops after
    3.5 s of silence) neither side has lost its peer.
Every process started here is killed by PID, also on failure.
Usage: test_manifest_files.py SOURCE_DIR BIN_DIR
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, failures, wait_for  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
IMAGES = os.path.join(SRC, "examples", "images")
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IA = "urn:issu-agent:yang:issu-agent"
HELLO = ('<hello xmlns="%s"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability>'
         '</capabilities></hello>]]>]]>' % NC).encode()
RENEG = '<rpc message-id="%d" xmlns="' + NC + '"><renegotiate xmlns="' + IA + '"/></rpc>]]>]]>'

procs = []
tmp = tempfile.mkdtemp(prefix="issu-mfiles-")
env = dict(os.environ, ISSU_YANG_DIR=os.path.join(SRC, "yang"))




def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(args, log):
    p = subprocess.Popen([os.path.join(BIN, "issud")] + args, stdout=open(log, "w"),
                         stderr=subprocess.STDOUT, env=env, cwd=tmp)
    procs.append(p)
    return p


def stop(p, sig=signal.SIGTERM, secs=5):
    """Send @sig; the exit status if issud stopped within @secs, else None (then killed)."""
    if p.poll() is None:
        p.send_signal(sig)
        try:
            return p.wait(secs)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return None
    return p.returncode


def text(path):
    with open(path, errors="replace") as f:
        return f.read()


class Nc:
    """A NETCONF 1.0 session over issud's UNIX socket, framed by hand."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""
        self.recv(10)
        self.s.sendall(HELLO)
        self.mid = 0

    def recv(self, timeout):
        end = time.time() + timeout
        while b"]]>]]>" not in self.buf:
            left = end - time.time()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return None
            if not d:
                return ""
            self.buf += d
        msg, self.buf = self.buf.split(b"]]>]]>", 1)
        return msg.decode(errors="replace")

    def renegotiate(self, timeout):
        self.mid += 1
        self.s.sendall((RENEG % self.mid).encode())
        return self.recv(timeout)

    def close(self):
        self.s.close()


def replace_by(path, kind):
    """Put a @kind (fifo, socket, devzero, dir) where the manifest @path was."""
    os.unlink(path)
    if kind == "fifo":
        os.mkfifo(path, 0o600)
        return None
    if kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        s.listen(1)
        return s
    if kind == "devzero":
        os.symlink("/dev/zero", path)
        return None
    os.mkdir(path)
    return None


def restore(path, src, keep):
    if keep:
        keep.close()
    if os.path.isdir(path) and not os.path.islink(path):
        os.rmdir(path)
    else:
        os.unlink(path)
    shutil.copy(src, path)


def embedded():
    act, stb = os.path.join(tmp, "running.json"), os.path.join(tmp, "standby.json")
    shutil.copy(os.path.join(IMAGES, "running.json"), act)
    shutil.copy(os.path.join(IMAGES, "upgrade-compatible.json"), stb)
    sock, log = os.path.join(tmp, "nc.sock"), os.path.join(tmp, "embedded.log")
    p = start(["--active", act, "--standby", stb, "--netconf-unix", sock], log)
    if not check(wait_for(lambda: os.path.exists(sock) or p.poll() is not None, 20) and p.poll() is None,
                 "issud serves NETCONF on %s" % sock):
        return
    nc = Nc(sock)
    r = nc.renegotiate(20)
    check(r is not None and "<verdict" in r and "compatible" in r, "renegotiate answered before any reload")
    types = {"fifo": "FIFO", "socket": "socket", "devzero": "character device", "dir": "directory"}
    for kind, name in types.items():
        keep = replace_by(stb, kind)
        before = text(log).count("keeping the running images")
        p.send_signal(signal.SIGHUP)
        t0 = time.time()
        r = nc.renegotiate(2)
        dt = time.time() - t0
        check(r is not None and "<verdict" in r, "%s as the standby manifest, SIGHUP: <renegotiate> answered "
              "within 2 s (%.2f s)" % (name, dt))
        want = "reload: %s: not a regular file: %s: keeping the running images" % (stb, name)
        check(wait_for(lambda: want in text(log), 2), "the refusal is logged: %r" % want)
        check(text(log).count("keeping the running images") == before + 1, "one refusal per SIGHUP")
        restore(stb, os.path.join(IMAGES, "upgrade-compatible.json"), keep)
        if r is None:  # the core is stuck: the rest would only repeat it
            break
    # the core thread is alive and reloads: a real change takes effect
    shutil.copy(os.path.join(IMAGES, "upgrade-incompatible.json"), stb)
    p.send_signal(signal.SIGHUP)
    check(wait_for(lambda: "reload: standby image" in text(log), 10), "a changed regular file reloads afterwards")
    r = nc.renegotiate(10)
    check(r is not None and ">incompatible<" in r, "the reloaded standby image is the one negotiated")
    nc.close()
    rc = stop(p)
    check(rc == 0, "SIGTERM stops issud at once (exit status %s)" % rc)


def startup():
    fifo = os.path.join(tmp, "startup-fifo.json")
    os.mkfifo(fifo, 0o600)
    stb = os.path.join(IMAGES, "upgrade-compatible.json")
    for args, what, name in (
            (["--active", fifo, "--standby", stb], fifo, "FIFO"),
            (["--active", os.path.join(IMAGES, "running.json"), "--standby", "/dev/zero"], "/dev/zero",
             "character device")):
        args = args + ["--netconf-unix", os.path.join(tmp, "startup.sock")]  # issud needs a face
        log = os.path.join(tmp, "startup.log")
        p = start(args, log)
        try:
            rc = p.wait(5)
        except subprocess.TimeoutExpired:
            rc = None
        stop(p)
        check(rc == 3, "issud with %s as a manifest exits 3 at once (%s)" % (name, rc))
        check("%s: not a regular file: %s" % (what, name) in text(log), "and says why: %s"
              % text(log).strip().splitlines()[:1])
    key = os.path.join(tmp, "psk-fifo")
    os.mkfifo(key, 0o600)
    log = os.path.join(tmp, "startup-psk.log")
    p = start(["--manifest", os.path.join(IMAGES, "running.json"), "--unique-id", "4", "--psk-file", key,
               "--listen", "127.0.0.1:%d" % free_port(), "--netconf-unix", os.path.join(tmp, "psk.sock")], log)
    try:
        rc = p.wait(5)
    except subprocess.TimeoutExpired:
        rc = None
    stop(p)
    check(rc == 3 and "%s: not a regular file" % key in text(log),
          "a FIFO as --psk-file: exit 3 at once with the reason (%s)" % rc)
    return fifo


def issuctl(fifo):
    run = os.path.join(IMAGES, "running.json")
    for args, what in ((["check", "--active", fifo, "--standby", run], "offline, --active"),
                       (["check", "--active", run, "--standby", fifo], "offline, --standby")):
        try:
            r = subprocess.run([os.path.join(BIN, "issuctl")] + args, capture_output=True, text=True, env=env,
                               timeout=5)
            ok = r.returncode == 3 and "%s: not a regular file: FIFO" % fifo in r.stderr
            got = (r.returncode, r.stderr.strip())
        except subprocess.TimeoutExpired:
            ok, got = False, "blocked"
        check(ok, "issuctl check (%s) with a FIFO: exit 3 at once with the reason %s" % (what, got))
    sock, log = os.path.join(tmp, "ctl.sock"), os.path.join(tmp, "ctl.log")
    p = start(["--active", run, "--standby", os.path.join(IMAGES, "upgrade-compatible.json"),
               "--netconf-unix", sock], log)
    if wait_for(lambda: os.path.exists(sock) or p.poll() is not None, 20) and p.poll() is None:
        try:
            r = subprocess.run([os.path.join(BIN, "issuctl"), "--socket", sock, "check", "--standby", fifo],
                               capture_output=True, text=True, env=env, timeout=5)
            ok = r.returncode == 3 and "not a regular file: FIFO" in r.stderr
            got = (r.returncode, r.stderr.strip())
        except subprocess.TimeoutExpired:
            ok, got = False, "blocked"
        check(ok, "issuctl --socket check --standby FIFO: exit 3 at once %s" % (got,))
    else:
        check(False, "issud for issuctl --socket serves NETCONF")
    stop(p)


def peer_mode():
    key = os.path.join(tmp, "psk")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, b"0123456789abcdef0123456789abcdef")
    os.close(fd)
    ma, ms = os.path.join(tmp, "peer-active.json"), os.path.join(tmp, "peer-standby.json")
    shutil.copy(os.path.join(IMAGES, "running.json"), ma)
    shutil.copy(os.path.join(IMAGES, "upgrade-compatible.json"), ms)
    port = free_port()
    sa, la = os.path.join(tmp, "pa.sock"), os.path.join(tmp, "peer-active.log")
    ls = os.path.join(tmp, "peer-standby.log")
    a = start(["--manifest", ma, "--unique-id", "4", "--psk-file", key, "--listen", "127.0.0.1:%d" % port,
               "--netconf-unix", sa], la)
    b = start(["--manifest", ms, "--unique-id", "7", "--psk-file", key, "--peer", "127.0.0.1:%d" % port,
               "--netconf-unix", os.path.join(tmp, "pb.sock")], ls)
    done = "negotiation 1 with peer"
    if not check(wait_for(lambda: done in text(la) and done in text(ls), 30), "the two issud negotiated"):
        return
    replace_by(ma, "fifo")
    a.send_signal(signal.SIGHUP)
    nc = Nc(sa)
    r = nc.renegotiate(10)
    check(r is not None and "<verdict" in r, "peer mode, FIFO as --manifest, SIGHUP: <renegotiate> answered")
    check(wait_for(lambda: "not a regular file: FIFO: keeping the running images" in text(la), 2),
          "peer mode: the refusal is logged")
    time.sleep(6)
    check(" lost" not in text(la) and " lost" not in text(ls), "6 s later neither side has lost its peer")
    nc.close()
    ra, rb = stop(a), stop(b)
    check(ra == 0 and rb == 0, "both stop on SIGTERM (%s, %s)" % (ra, rb))


def main():
    try:
        embedded()
        fifo = startup()
        issuctl(fifo)
        peer_mode()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
