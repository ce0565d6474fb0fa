#!/usr/bin/python3
"""test_package.py - the Debian package and its units (issue 15 items 2-4),
with no booted systemd and nothing of the machine touched.

  - cpack builds the .deb from the build tree (into a temp dir);
  - its control: dependencies from the binaries (libyang2, libnetconf2,
    libsnmp, libssh, libssl3, libsystemd0) and the data/tools ones
    (libyuma-base, adduser); the maintainer scripts create the issu-agent
    system user; /etc/issu-agent/issud.conf is a conffile when the tree
    has examples/issud.conf;
  - lintian: no error and no warning (overrides carry their reasons);
  - dpkg-deb -x into a temp root: the unpacked issud and issuctl run there
    on the unpacked modules and images (deploylib.run_tree);
  - systemd-analyze verify on both units (issud@.service as an instance),
    with ExecStart pointing into the temp root (the only change);
  - systemd-analyze security --offline: "OK" or better, and the hardening
    the unit promises (User=issu-agent, no capability, Type=notify, ...).
Every process is killed by PID, also on failure.
Usage: test_package.py SOURCE_DIR BIN_DIR
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, run_main  # noqa: E402
from deploylib import run_tree  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
BUILD = os.path.dirname(os.path.abspath(BIN))
procs = []
tmp = tempfile.mkdtemp(prefix="issu-package-")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)


def main():
    out = os.path.join(tmp, "packages")
    r = run(["cpack", "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", out])
    debs = glob.glob(os.path.join(out, "issu-agent_*.deb"))
    if not check(r.returncode == 0 and len(debs) == 1, "cpack builds one .deb (%s)" % r.stderr.strip()[-300:]):
        return
    deb = debs[0]

    ctl = run(["dpkg-deb", "-f", deb]).stdout
    depends = re.search(r"^Depends: (.*)$", ctl, re.M)
    depends = depends.group(1) if depends else ""
    for lib in ["libc6", "libyang2", "libnetconf2", "libsnmp", "libssh", "libssl3", "libsystemd0",
                "libyuma-base", "adduser"]:
        check(re.search(r"(^|, )%s" % lib, depends) is not None, "Depends has %s" % lib)
    check(re.search(r"^Package: issu-agent$", ctl, re.M) is not None, "Package: issu-agent")

    ctrl = os.path.join(tmp, "control")
    run(["dpkg-deb", "-e", deb, ctrl])
    postinst = open(os.path.join(ctrl, "postinst")).read().replace("\\\n", " ")
    check(re.search(r"adduser --system --group .* issu-agent", postinst) is not None,
          "postinst creates the issu-agent system user")
    for s in ["postinst", "prerm", "postrm"]:
        check(run(["sh", "-n", os.path.join(ctrl, s)]).returncode == 0, "%s is valid sh" % s)
    conffiles = os.path.join(ctrl, "conffiles")
    if os.path.exists(os.path.join(SRC, "examples", "issud.conf")):
        check(os.path.exists(conffiles) and "/etc/issu-agent/issud.conf" in open(conffiles).read(),
              "conffiles has /etc/issu-agent/issud.conf")
    else:
        print("note: no examples/issud.conf in this tree: no sample config, no conffiles")

    r = run(["lintian", "--fail-on", "error,warning", "--no-tag-display-limit", deb], timeout=300)
    tags = [ln for ln in r.stdout.splitlines() if re.match(r"[EW]: ", ln)]
    check(r.returncode == 0 and not tags, "lintian: no error, no warning (%d: %s)" % (r.returncode, tags[:5]))

    root = os.path.join(tmp, "root")
    r = run(["dpkg-deb", "-x", deb, root])
    if not check(r.returncode == 0, "dpkg-deb -x into a temp root"):
        return
    usr = os.path.join(root, "usr")
    run_tree(usr, tmp, "package", procs)

    units = os.path.join(tmp, "units")
    os.mkdir(units)
    unit_env = dict(os.environ, MANPATH=os.path.join(usr, "share", "man"))
    for src, name in [("issud.service", "issud.service"), ("issud@.service", "issud@pair1.service")]:
        text = open(os.path.join(usr, "lib", "systemd", "system", src)).read()
        check("ExecStart=/usr/sbin/issud " in text, "%s runs /usr/sbin/issud" % src)
        with open(os.path.join(units, name), "w") as f:
            f.write(text.replace("/usr/sbin/issud", os.path.join(usr, "sbin", "issud")))
        r = run(["systemd-analyze", "verify", os.path.join(units, name)], env=unit_env)
        check(r.returncode == 0 and not r.stderr.strip(),
              "systemd-analyze verify %s (%d: %s)" % (name, r.returncode, r.stderr.strip()[-400:]))
        for want in ["Type=notify", "User=issu-agent", "CapabilityBoundingSet=\n", "NoNewPrivileges=yes",
                     "ProtectSystem=strict", "PrivateTmp=yes", "ExecReload=/bin/kill -HUP $MAINPID",
                     "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "SystemCallFilter=@system-service",
                     "StateDirectory=issu-agent", "RuntimeDirectory=issu-agent"]:
            check(want in text, "%s: %s" % (src, want.strip()))
        r = run(["systemd-analyze", "security", "--offline=true", os.path.join(units, name)], env=unit_env)
        m = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", r.stdout)
        check(m is not None and m.group(2) in ("OK", "SAFE") and float(m.group(1)) <= 2.0,
              "systemd-analyze security %s: %s" % (name, m.group(0) if m else r.stdout[-300:]))


run_main(main, procs, tmp)
