"""deploylib.py - what test_install and test_package share: run the issud
and issuctl of an unpacked tree (cmake --install DESTDIR=..., or dpkg-deb -x)
against that tree's own YANG modules and example images, with no flag or
environment variable that points at them, and check they used the tree's
files, not the source tree's.
"""
import os
import signal
import subprocess

from nclib import check, kill, wait_for


def run_tree(usr, tmp, tag, procs):
    """@usr: the unpacked tree's prefix (ROOT/usr). issud starts with only a
    socket (its default images must be the tree's), serves issuctl, and
    logs that issu-agent.yang came from the tree."""
    issud, issuctl = os.path.join(usr, "sbin", "issud"), os.path.join(usr, "bin", "issuctl")
    yang = os.path.join(usr, "share", "yang", "modules", "issu-agent")
    images = os.path.join(usr, "share", "issu-agent", "images")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISSU")}
    env.pop("NOTIFY_SOCKET", None)
    check(os.access(issud, os.X_OK) and os.access(issuctl, os.X_OK), "%s: sbin/issud and bin/issuctl" % tag)
    check(os.path.isfile(os.path.join(yang, "issu-agent.yang")), "%s: share/yang/modules/issu-agent" % tag)
    r = subprocess.run([issud, "--help"], capture_output=True, text=True, env=env, timeout=30)
    check(r.returncode == 0 and os.path.join(images, "running.json") in r.stdout,
          "%s: issud --help names the tree's images as the default" % tag)
    sock = os.path.join(tmp, tag + ".sock")
    log = os.path.join(tmp, tag + "-issud.log")
    with open(log, "w") as f:
        p = subprocess.Popen([issud, "--netconf-unix", sock], stdout=f, stderr=subprocess.STDOUT, env=env)
    procs.append(p)
    try:
        def text():
            return open(log, errors="replace").read()

        # "running" is logged once every face serves
        up = wait_for(lambda: "running (pid" in text() or p.poll() is not None, 60) and p.poll() is None
        check(up and os.path.exists(sock), "%s: unpacked issud serves on its UNIX socket" % tag)
        text = text()
        check(("issu-agent from %s/issu-agent.yang" % yang) in text,
              "%s: issud loaded issu-agent.yang from the tree" % tag)
        check(("active %s/running.json" % images) in text, "%s: issud runs the tree's default images" % tag)
        r = subprocess.run([issuctl, "--socket", sock, "show", "issu", "state"], capture_output=True,
                           text=True, env=env, timeout=60)
        check(r.returncode == 0 and "Image Verdict = COMPATIBLE" in r.stdout,
              "%s: issuctl show issu state exits 0 (%d: %s)" % (tag, r.returncode, r.stderr.strip()))
        # offline: issuctl loads issu-manifest from the tree, nothing else to find it by
        r = subprocess.run([issuctl, "check", "--active", os.path.join(images, "running.json"), "--standby",
                            os.path.join(images, "upgrade-base-level.json")],
                           capture_output=True, text=True, env=env, timeout=60)
        check("BASE-LEVEL COMPATIBLE" in r.stdout,
              "%s: issuctl check with the tree's images (%d: %s)" % (tag, r.returncode, r.stderr.strip()))
        # import: the base flags come from the tree's share/issu-agent/knowledge.json
        capture = "Router#show issu clients\nClient_ID = 4, Client_Name = ISSU CF client, Entity_Count = 1\n"
        r = subprocess.run([issuctl, "import", "--image-name", "x", "--image-version", "1", "-"],
                           input=capture, capture_output=True, text=True, env=env, timeout=60)
        kfile = os.path.join(usr, "share", "issu-agent", "knowledge.json")
        check(r.returncode == 0 and kfile in r.stdout and "no knowledge file" not in r.stderr,
              "%s: issuctl import reads the tree's knowledge.json (%d: %s)" % (tag, r.returncode,
                                                                              r.stderr.strip()[-300:]))
        p.send_signal(signal.SIGTERM)
        check(p.wait(30) == 0, "%s: issud stops on SIGTERM with 0" % tag)
    finally:
        kill(p)
