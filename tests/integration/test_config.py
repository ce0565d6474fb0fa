#!/usr/bin/python3
"""test_config.py - issud's configuration file (issue 14 item 3).

  - examples/issud.conf names every option issud --check-config lists, and
    is itself a valid file;
  - --check-config prints each option's value and where it came from
    (default, FILE:LINE, command line) and exits 0; the command line wins
    over the file;
  - a bad line (unknown key, bad flag value, repeated key, a value the
    option refuses, a NUL byte) is named FILE:LINE; exit 1 with
    --check-config, 2 without; a FIFO as the file is refused at once;
  - --check-config validates the --nacm-rules file with libyang;
  - issud started with --config serves the socket the file names, with the
    mode the command line gives over the file's.
Every issud started here is killed by PID, also on failure.
Usage: test_config.py SOURCE_DIR BIN_DIR
"""
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, summary, wait_for  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
ISSUD = os.path.join(BIN, "issud")
EXAMPLE = os.path.join(SRC, "examples", "issud.conf")
tmp = tempfile.mkdtemp(prefix="issu-conf-")
procs = []


def write(name, text, mode="w"):
    path = os.path.join(tmp, name)
    with open(path, mode) as f:
        f.write(text)
    return path


def run(*args):
    return subprocess.run([ISSUD] + list(args), capture_output=True, text=True, timeout=30)


def listed(out):
    """option -> (value or None, source) from --check-config's output."""
    got = {}
    for line in out.splitlines():
        m = re.match(r"^(# )?([a-z0-9-]+)(?: = (.*?)|: not set)\s+# (.+)$", line)
        if m:
            got[m.group(2)] = (None if m.group(1) else m.group(3), m.group(4))
    return got


def example():
    r = run("--check-config", "--netconf-unix", "/tmp/x")
    opts = listed(r.stdout)
    check(r.returncode == 0 and len(opts) > 20, "--check-config lists every option (%d)" % len(opts))
    with open(EXAMPLE) as f:
        text = f.read()
    missing = [o for o in opts if not re.search(r"^(# )?%s = " % re.escape(o), text, re.M)]
    check(not missing, "examples/issud.conf names every option (missing: %s)" % missing)
    # uncommented (embedded-mode and face lines only), it is a valid file
    keep = [re.sub(r"^# ", "", ln) for ln in text.splitlines() if re.match(r"^(# )?[a-z0-9-]+ = ", ln)
            and re.sub(r"^# ", "", ln).split()[0] in ("netconf-unix", "netconf-unix-mode", "netconf-max-sessions",
                                  "netconf-max-message", "netconf-hello-timeout", "netconf-auth-timeout",
                                  "netconf-message-timeout", "netconf-xpath-max-cost", "verbose")]
    r = run("--config", write("ex.conf", "\n".join(keep) + "\n"), "--check-config")
    check(r.returncode == 0, "the example's lines, uncommented, pass --check-config (%s)" % r.stderr.strip())


def sources():
    conf = write("a.conf", "# issud test\n\nnetconf-unix = %s/a.sock\nnetconf-max-sessions = 9\n"
                 "verbose = true\n  netconf-unix-mode=0600  \n" % tmp)
    r = run("--config", conf, "--check-config", "--netconf-max-sessions", "7")
    opts = listed(r.stdout)
    check(r.returncode == 0, "--check-config with a valid file exits 0")
    check(opts.get("netconf-unix") == ("%s/a.sock" % tmp, conf + ":3"), "a file's value names FILE:LINE")
    check(opts.get("netconf-max-sessions") == ("7", "command line"), "the command line wins over the file")
    check(opts.get("netconf-unix-mode") == ("0600", conf + ":6"), "blanks around key and value are ignored")
    check(opts.get("verbose") == ("true", conf + ":5"), "a flag takes true")
    check(opts.get("netconf-hello-timeout") == ("10", "default"), "an unset option shows its default")
    check(opts.get("netconf-ssh") == (None, "default"), "an unset option without default: not set")


def errors():
    cases = [
        ("netconf-unix = /x\nbogus = 1\n", ":2: 'bogus': no such option"),
        ("netconf-unix = /x\nverbose = yes\n", ":2: verbose takes no argument"),
        ("netconf-unix = /x\n#\nnetconf-unix = /y\n", ":3: netconf-unix: given again (first on line 1)"),
        ("netconf-unix = /x\nnetconf-max-sessions = 0\n", ":2: netconf-max-sessions: refused"),
        ("netconf-unix = /x\nconfig = /y\n", ":2: 'config': not accepted"),
        ("netconf-unix = /x\0y\n", ":1: NUL byte"),
        ("netconf-unix = /x\n" + "#" * 5000 + "\n", ":2: line longer than"),
    ]
    for i, (text, want) in enumerate(cases):
        conf = write("bad%d.conf" % i, text)
        r = run("--config", conf, "--check-config")
        r2 = run("--config", conf)
        check(r.returncode == 1 and r2.returncode == 2 and (conf + want) in r.stderr,
              "bad file %d: exit 1/2 (got %d/%d) naming %r (%s)" % (i, r.returncode, r2.returncode, want,
                                                                  r.stderr.strip()[-160:]))
    bad = write("bad-nacm.json", '{"ietf-netconf-acm:nacm": {"exec-default": "allow"}}')
    conf = write("n.conf", "netconf-unix = %s/n.sock\nnacm-rules = %s\n" % (tmp, bad))
    r = run("--config", conf, "--check-config")
    check(r.returncode == 1 and (bad + ": not valid JSON data of ietf-netconf-acm") in r.stderr,
          "--check-config validates the --nacm-rules file too (%s)" % r.stderr.strip()[-160:])
    r = run("--config", conf, "--check-config", "--nacm-rules", os.path.join(SRC, "examples", "nacm-reader-operator.json"))
    check(r.returncode == 0 and "nacm-reader-operator.json" in listed(r.stdout).get("nacm-rules", ("", ""))[0],
          "a valid rules file passes, the command line's over the file's")
    fifo = os.path.join(tmp, "fifo.conf")
    os.mkfifo(fifo)
    r = run("--config", fifo, "--check-config")
    check(r.returncode == 1 and "not a regular file" in r.stderr, "a FIFO as --config is refused at once")
    r = run("--config", os.path.join(tmp, "none.conf"), "--check-config")
    check(r.returncode == 1 and "No such file" in r.stderr, "a missing --config file is named")


def serve():
    sock = os.path.join(tmp, "s.sock")
    conf = write("s.conf", "netconf-unix = %s\nnetconf-unix-mode = 0600\n" % sock)
    log = open(os.path.join(tmp, "s.log"), "w")
    p = subprocess.Popen([ISSUD, "--config", conf, "--netconf-unix-mode", "0666"], stdout=log,
                         stderr=subprocess.STDOUT, env=dict(os.environ, ISSU_YANG_DIR=os.path.join(SRC, "yang")))
    procs.append(p)
    up = wait_for(lambda: os.path.exists(sock) and stat.S_ISSOCK(os.stat(sock).st_mode), 30)
    check(up, "issud --config serves the socket the file names")
    if up:
        check(stat.S_IMODE(os.stat(sock).st_mode) == 0o666, "its mode is the command line's, not the file's")


try:
    example()
    sources()
    errors()
    serve()
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(summary())
