#!/usr/bin/python3
"""test_install.py - `cmake --install` to an FHS layout (issue 15 item 1).

Installs the build tree with DESTDIR into a temp root, prefix /usr, and
checks the layout (sbin/issud, bin/issuctl, the YANG modules, the MIB, the
images, gzipped man pages, both systemd units naming /usr/sbin/issud and
/etc/issu-agent); then runs the installed issud and issuctl from that root
(deploylib.run_tree): they find their own modules and images with no flag
and no ISSU_YANG_DIR. Every process is killed by PID, also on failure.
Usage: test_install.py SOURCE_DIR BIN_DIR
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, run_main  # noqa: E402
from deploylib import run_tree  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
BUILD = os.path.dirname(os.path.abspath(BIN))
procs = []
tmp = tempfile.mkdtemp(prefix="issu-install-")


def main():
    root = os.path.join(tmp, "root")
    r = subprocess.run(["cmake", "--install", BUILD, "--prefix", "/usr"], capture_output=True, text=True,
                       env=dict(os.environ, DESTDIR=root), timeout=120)
    if not check(r.returncode == 0, "cmake --install DESTDIR=... --prefix /usr (%s)" % r.stderr.strip()[-300:]):
        return
    usr = os.path.join(root, "usr")
    for rel in ["share/snmp/mibs/ISSU-NEGOTIATION-MIB.txt", "share/man/man8/issud.8.gz",
                "share/man/man1/issuctl.1.gz", "share/issu-agent/images/running.json",
                "share/yang/modules/issu-agent/issu-manifest.yang",
                "share/yang/modules/issu-agent/issu-report.yang", "share/doc/issu-agent/copyright"]:
        check(os.path.isfile(os.path.join(usr, rel)), "installed /usr/" + rel)
    for unit, conf in [("issud.service", "issud.conf"), ("issud@.service", "%i.conf")]:
        path = os.path.join(usr, "lib", "systemd", "system", unit)
        text = open(path).read() if os.path.isfile(path) else ""
        check("ExecStart=/usr/sbin/issud --config /etc/issu-agent/%s\n" % conf in text,
              "%s: ExecStart of /usr/sbin/issud with /etc/issu-agent/%s" % (unit, conf))
    if os.path.exists(os.path.join(SRC, "examples", "issud.conf")):
        check(os.path.isfile(os.path.join(root, "etc", "issu-agent", "issud.conf")), "sample config in /etc")
    check(not os.path.exists(os.path.join(usr, "etc")), "nothing under /usr/etc")
    run_tree(usr, tmp, "install", procs)


run_main(main, procs, tmp)
