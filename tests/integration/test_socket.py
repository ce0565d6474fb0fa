#!/usr/bin/python3
"""test_socket.py - one issud per NETCONF UNIX socket (issue 11 item 5).

In a private temp dir (mode 0755, so the socket's own mode decides who
connects):
  - issud A on --netconf-unix S: S is a socket of mode 0660 and the
    process's group (the defaults);
  - a second issud on S exits non-zero within seconds with a message naming
    A's pid, and A keeps serving on the same socket file;
  - issuctl tells "not running" (no socket; a stale socket nothing listens
    on) apart from "permission denied" (an unprivileged user, nobody, on a
    0660 root socket), each with its own message;
  - kill -9 of A leaves a stale S; a new issud on S replaces it and serves;
  - --netconf-unix-group and --netconf-unix-mode: the socket gets them, and
    nobody connects through the group (0660, group nogroup) or the mode
    (0666); 0600 keeps it out;
  - usage errors: no face at all, a mode without the owner's rw, a mode or
    group without --netconf-unix, an unknown group.
Every issud started here is killed by PID, also on failure.
Usage: test_socket.py SOURCE_DIR BIN_DIR
"""
import grp
import os
import pwd
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, kill, run_main, wait_for  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
IMAGES = os.path.join(SRC, "examples", "images")
ISSUD, ISSUCTL = os.path.join(BIN, "issud"), os.path.join(BIN, "issuctl")
procs = []
tmp = tempfile.mkdtemp(prefix="issu-sock-")
os.chmod(tmp, 0o755)
env = dict(os.environ, ISSU_YANG_DIR=os.path.join(SRC, "yang"))




def issud(sock, tag, *extra):
    log = open(os.path.join(tmp, tag + ".log"), "w")
    p = subprocess.Popen([ISSUD, "--active", os.path.join(IMAGES, "running.json"), "--standby",
                          os.path.join(IMAGES, "upgrade-compatible.json"), "--netconf-unix", sock]
                         + list(extra), stdout=log, stderr=subprocess.STDOUT, env=env)
    procs.append(p)
    return p


def logtext(tag):
    with open(os.path.join(tmp, tag + ".log"), errors="replace") as f:
        return f.read()


def ctl(sock, as_nobody=False):
    pre = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if as_nobody else []
    return subprocess.run(pre + [ISSUCTL, "--socket", sock, "show", "issu", "clients"],
                          capture_output=True, text=True, env=env, timeout=60)


def serves(sock):
    r = ctl(sock)
    return r.returncode == 0 and "Client_ID = 2011" in r.stdout


def usage_errors():
    act = os.path.join(IMAGES, "running.json")
    sock = os.path.join(tmp, "usage.sock")
    for args, want, why in (
            ([], "no face", "no face at all"),
            (["--netconf-unix", sock, "--netconf-unix-mode", "0400"], "--netconf-unix-mode",
             "a mode without the owner's read and write"),
            (["--netconf-unix", sock, "--netconf-unix-mode", "660x"], "--netconf-unix-mode",
             "a mode that is not octal"),
            (["--netconf-unix", sock, "--netconf-unix-mode", "01777"], "--netconf-unix-mode",
             "a mode beyond 0777"),
            (["--agentx", os.path.join(tmp, "agentx"), "--netconf-unix-mode", "0660"],
             "need --netconf-unix", "a mode without --netconf-unix"),
            (["--agentx", os.path.join(tmp, "agentx"), "--netconf-unix-group", "root"],
             "need --netconf-unix", "a group without --netconf-unix"),
            (["--netconf-unix", sock, "--netconf-unix-group", "no-such-group-issu"], "no such group",
             "an unknown group")):
        r = subprocess.run([ISSUD, "--active", act] + args, capture_output=True, text=True, env=env,
                           timeout=20)
        check(r.returncode == 2 and want in r.stderr and not os.path.exists(sock),
              "issud with %s: usage error 2 saying '%s' (%d: %s)" % (why, want, r.returncode,
                                                                   r.stderr.strip()[:160]))


def main():
    usage_errors()
    sock = os.path.join(tmp, "netconf.sock")
    a = issud(sock, "a")
    if not check(wait_for(lambda: os.path.exists(sock) and serves(sock), 15), "issud A serves on " + sock):
        return
    st = os.stat(sock)
    check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == os.getegid(),
          "the socket's mode is 0660 and its group the process's (%04o, gid %d)"
          % (stat.S_IMODE(st.st_mode), st.st_gid))

    # a second issud on the same path: refused, and A keeps its socket
    t0 = time.time()
    b = issud(sock, "b")
    try:
        rc = b.wait(20)
    except subprocess.TimeoutExpired:
        rc = None
    check(rc is not None and rc != 0, "a second issud on the same --netconf-unix exits non-zero "
          "(%s, %.1f s)" % (rc, time.time() - t0))
    check("another issud (pid %d) is serving it" % a.pid in logtext("b"),
          "its message names the running one: %s" % logtext("b").strip().splitlines()[-2:])
    st2 = os.stat(sock) if os.path.exists(sock) else None
    check(st2 is not None and st2.st_ino == st.st_ino, "the socket file is still A's (same inode)")
    check(a.poll() is None and serves(sock), "issud A still serves after the refused start")

    # issuctl: permission denied vs not running
    if pwd.getpwnam("nobody") and os.geteuid() == 0:
        r = ctl(sock, as_nobody=True)
        check(r.returncode != 0 and "permission denied" in r.stderr and "not running" not in r.stderr,
              "issuctl as nobody on a 0660 root socket: 'permission denied' (%d: %s)"
              % (r.returncode, r.stderr.strip()))
    else:
        print("SKIP: permission tests need root (to run issuctl as nobody)")
    r = ctl(os.path.join(tmp, "absent.sock"))
    check(r.returncode != 0 and "not running" in r.stderr and "no such socket" in r.stderr,
          "issuctl on a path with no socket: 'not running' (%d: %s)" % (r.returncode, r.stderr.strip()))

    # kill -9: a stale socket; issuctl says so; a new issud replaces it
    kill(a)
    check(os.path.exists(sock), "kill -9 left a stale socket file")
    r = ctl(sock)
    check(r.returncode != 0 and "not running" in r.stderr and "nothing listens" in r.stderr,
          "issuctl on the stale socket: 'not running' (%d: %s)" % (r.returncode, r.stderr.strip()))
    c = issud(sock, "c")
    check(wait_for(lambda: serves(sock), 15), "a new issud reuses the stale socket and serves")
    check("stale" in logtext("c"), "it logs that it replaced a stale socket")
    kill(c)

    # mode and group options
    if os.geteuid() != 0:
        print("SKIP: --netconf-unix-group tests need root")
        return
    nogroup = grp.getgrnam("nogroup").gr_gid
    for tag, extra, mode, gid, nobody_ok in (
            ("g", ["--netconf-unix-group", "nogroup"], 0o660, nogroup, True),
            ("gn", ["--netconf-unix-group", str(nogroup), "--netconf-unix-mode", "0600"], 0o600,
             nogroup, False),
            ("m", ["--netconf-unix-mode", "0666"], 0o666, os.getegid(), True)):
        s = os.path.join(tmp, tag + ".sock")
        p = issud(s, tag, *extra)
        if not check(wait_for(lambda: os.path.exists(s) and serves(s), 15),
                     "issud %s serves" % " ".join(extra)):
            kill(p)
            continue
        st = os.stat(s)
        check(stat.S_IMODE(st.st_mode) == mode and st.st_gid == gid,
              "%s: socket mode %04o group %d (want %04o, %d)"
              % (" ".join(extra), stat.S_IMODE(st.st_mode), st.st_gid, mode, gid))
        r = ctl(s, as_nobody=True)
        if nobody_ok:
            check(r.returncode == 0 and "Client_ID = 2011" in r.stdout,
                  "%s: nobody connects (%d: %s)" % (" ".join(extra), r.returncode, r.stderr.strip()))
        else:
            check(r.returncode != 0 and "permission denied" in r.stderr,
                  "%s: nobody is denied (%d: %s)" % (" ".join(extra), r.returncode, r.stderr.strip()))
        p.send_signal(signal.SIGTERM)
        check(p.wait(10) == 0 and not os.path.exists(s), "%s: clean stop removes the socket"
              % " ".join(extra))


run_main(main, procs, tmp)
