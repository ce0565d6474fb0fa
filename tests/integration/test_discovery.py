#!/usr/bin/python3
"""test_discovery.py - a NETCONF client finds issu-agent the standard way
(RFC 7950 5.6.4, RFC 8525), knowing nothing of our namespace (issue 11 item 4).

issud serves NETCONF over SSH on 127.0.0.1 (free port; ECDSA host and client
keys generated here: yuma123's libssh2 1.10 knows no rsa-sha2 host keys) and
on a UNIX socket. Two independent clients:
  - ncclient: the hello's yang-library:1.1 capability has a content-id; a
    <get> filtered on /ietf-yang-library:yang-library returns module-set
    "complete" with issu-agent (its namespace and revision), schema
    "complete", the datastores running and operational and the same
    content-id; /ietf-yang-library:modules-state (subtree and xpath) lists
    it too with module-set-id = content-id; <get-schema> of the name and
    revision the library gave returns a module whose namespace is the one
    the library gave; with that namespace only, a <get> reads the verdict.
    The unfiltered <get> still returns issu-state alone.
  - yuma123's yangcli (Debian package yangcli) in batch mode
    (--batch-mode --run-script): sget /modules-state (the ietf-yang-library
    yuma ships) lists issu-agent; get-schema fetches it and every module it
    imports that yuma does not ship; a second run loads what it fetched
    (--modpath, --module) and reads /issu-state/verdict.
issud is killed by PID, also on failure.
Usage: test_discovery.py SOURCE_DIR BIN_DIR
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from lxml import etree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, failures, summary  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
IMAGES = os.path.join(SRC, "examples", "images")
YL = "urn:ietf:params:xml:ns:yang:ietf-yang-library"
NSYL = {"yl": YL}
YUMA = "/usr/share/yuma/modules"
tmp = tempfile.mkdtemp(prefix="issu-disc-")



def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, secs):
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def with_ncclient(port):
    from ncclient import manager
    m = manager.connect(host="127.0.0.1", port=port, username="tester",
                        key_filename=os.path.join(tmp, "client"), hostkey_verify=False,
                        allow_agent=False, look_for_keys=False, timeout=30)
    try:
        caps = [c for c in m.server_capabilities if "yang-library:1.1" in c]
        cid = re.search(r"content-id=([^&]+)", caps[0]).group(1) if caps else None
        check(cid is not None, "ncclient: the hello advertises yang-library:1.1 with a content-id (%s)" % caps)
        check(not any("issu-agent" in c for c in m.server_capabilities),
              "issu-agent (YANG 1.1) is not in the hello: a client must read the YANG library")
        r = m.get(filter=("subtree", '<yang-library xmlns="%s"/>' % YL))
        lib = r.data.find(".//{%s}yang-library" % YL)
        if not check(lib is not None, "ncclient: <get> of /ietf-yang-library:yang-library returns it"):
            return
        mods = {x.findtext("yl:name", namespaces=NSYL): x
                for x in lib.xpath("yl:module-set/yl:module", namespaces=NSYL)}
        check(lib.xpath("yl:module-set/yl:name/text()", namespaces=NSYL) == ["complete"] and
              lib.xpath("yl:schema[yl:name='complete']/yl:module-set/text()", namespaces=NSYL) == ["complete"],
              "module-set and schema 'complete'")
        ds = lib.xpath("yl:datastore/yl:name/text()", namespaces=NSYL)
        check([d.split(":")[-1] for d in ds] == ["running", "operational"],
              "datastores running and operational (%s)" % ds)
        check(lib.findtext("yl:content-id", namespaces=NSYL) == cid,
              "content-id %s equals the hello's %s" % (lib.findtext("yl:content-id", namespaces=NSYL), cid))
        ia = mods.get("issu-agent")
        if not check(ia is not None, "the library lists module issu-agent (%d modules)" % len(mods)):
            return
        ns, rev = ia.findtext("yl:namespace", namespaces=NSYL), ia.findtext("yl:revision", namespaces=NSYL)
        check(bool(ns) and bool(rev), "with its namespace %s and revision %s" % (ns, rev))
        check(not lib.xpath("//yl:location", namespaces=NSYL),
              "no location the client could not fetch (the server's file:// paths): get-schema instead")
        # the deprecated modules-state, by subtree and by xpath
        r = m.get(filter=("subtree", '<modules-state xmlns="%s"/>' % YL))
        ms = r.data.find(".//{%s}modules-state" % YL)
        check(ms is not None and ms.findtext("yl:module-set-id", namespaces=NSYL) == cid and
              ms.xpath("yl:module[yl:name='issu-agent']/yl:namespace/text()", namespaces=NSYL) == [ns],
              "modules-state: module-set-id = content-id, issu-agent with the same namespace")
        r = m.get(filter=("xpath", (NSYL, "/yl:modules-state/yl:module[yl:name='issu-agent']/yl:revision")))
        check(r.data.xpath("//yl:revision/text()", namespaces=NSYL) == [rev],
              "xpath filter on modules-state selects issu-agent's revision")
        # get-schema by what the library said (format: the default, yang; ncclient
        # sends an explicit one unprefixed inside prefixed elements)
        text = m.get_schema("issu-agent", version=rev).data
        check(re.search(r'namespace\s+"%s"' % re.escape(ns), text or "") is not None,
              "get-schema issu-agent@%s returns the module with the library's namespace" % rev)
        # the namespace, learnt here, reads the state
        r = m.get(filter=("subtree", '<issu-state xmlns="%s"><verdict/></issu-state>' % ns))
        check(r.data.xpath("//x:verdict/text()", namespaces={"x": ns}) == ["compatible"],
              "a <get> in the discovered namespace reads the verdict")
        r = m.get()
        tops = [etree.QName(c).localname for c in r.data]
        check(tops == ["issu-state"], "the unfiltered <get> still returns issu-state alone (%s)" % tops)
    finally:
        m.close_session()


def yangcli(port, script, extra=()):
    path = os.path.join(tmp, "script.txt")
    with open(path, "w") as f:
        f.write(script)
    home = os.path.join(tmp, "home")
    os.makedirs(home, exist_ok=True)
    r = subprocess.run(["yangcli", "--batch-mode", "--run-script=" + path, "--server=127.0.0.1",
                        "--ncport=%d" % port, "--user=tester", "--private-key=" + os.path.join(tmp, "client"),
                        "--public-key=" + os.path.join(tmp, "client.pub"), "--password=", "--timeout=20"]
                       + list(extra), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       env=dict(os.environ, HOME=home), timeout=120)
    return r.stdout + r.stderr


def schema_text(out, n):
    """The module text of the n-th reply of a yangcli run that printed get-schema replies."""
    parts = re.split(r"RPC Data Reply \d+ for session \d+:", out)[1:]
    if len(parts) <= n:
        return None
    p = parts[n]
    i = p.find("data '")
    k = p.rfind("'\n}")
    return p[i + 6:k] if i >= 0 and k > i else None


def with_yangcli(port):
    if not shutil.which("yangcli"):
        check(False, "yangcli installed (Debian package yangcli, in debian-packages.txt)")
        return
    out = yangcli(port, "sget /modules-state\n", ["--module=ietf-yang-library"])
    if not check("NETCONF session established" in out, "yangcli: SSH session established in batch mode"):
        print(out[-2000:])
        return
    mods = dict(re.findall(r"^\s*module (\S+) (\d{4}-\d\d-\d\d) \{", out, re.M))
    check("issu-agent" in mods, "yangcli: sget /modules-state lists issu-agent (%d modules)" % len(mods))
    if "issu-agent" not in mods:
        print(out[-2000:])
        return
    ns = re.search(r"module issu-agent %s \{\s*name issu-agent\s*revision \S+\s*namespace (\S+)"
                   % mods["issu-agent"], out)
    check(ns is not None, "yangcli: with its namespace (%s)" % (ns and ns.group(1)))
    # fetch issu-agent, then whatever it imports that yuma does not ship
    mdir = os.path.join(tmp, "mods")
    os.makedirs(mdir, exist_ok=True)
    want, got = ["issu-agent"], []
    while want:
        batch = [w for w in want if w in mods]
        want = []
        out = yangcli(port, "".join("get-schema identifier=%s version=%s format=yang\n" % (w, mods[w])
                                    for w in batch))
        for i, name in enumerate(batch):
            text = schema_text(out, i)
            if not check(text and re.match(r"\s*module %s\s*\{" % re.escape(name), text),
                         "yangcli: get-schema %s@%s returns the module" % (name, mods[name])):
                print(out[-1500:])
                return
            with open(os.path.join(mdir, "%s@%s.yang" % (name, mods[name])), "w") as f:
                f.write(text)
            got.append(name)
            for imp in re.findall(r"^\s*import\s+(\S+)\s*\{", text, re.M):
                shipped = any(f.startswith(imp + "@") or f == imp + ".yang"
                              for _, _, fs in os.walk(YUMA) for f in fs)
                if imp not in got and imp not in want and not shipped:
                    want.append(imp)
    check(ns is not None and 'namespace "%s"' % ns.group(1) in
          open(os.path.join(mdir, "issu-agent@%s.yang" % mods["issu-agent"])).read(),
          "yangcli: the fetched issu-agent has the library's namespace")
    out = yangcli(port, "sget /issu-state/verdict\n", ["--modpath=%s:%s" % (mdir, YUMA),
                                                       "--module=issu-agent"])
    check(re.search(r"issu-state \{\s*verdict compatible\s*\}", out) is not None,
          "yangcli: with the modules it fetched (%s), sget /issu-state/verdict reads 'compatible'"
          % ", ".join(got))


def main():
    for name in ("client", "host"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-m", "PEM", "-N", "", "-C",
                        "tester@test", "-f", os.path.join(tmp, name)], check=True)
    shutil.copy(os.path.join(tmp, "client.pub"), os.path.join(tmp, "authorized_keys"))
    port = free_port()
    log = open(os.path.join(tmp, "issud.log"), "w")
    p = subprocess.Popen([os.path.join(BIN, "issud"), "--active", os.path.join(IMAGES, "running.json"),
                          "--standby", os.path.join(IMAGES, "upgrade-compatible.json"),
                          "--netconf-unix", os.path.join(tmp, "nc.sock"),
                          "--netconf-ssh", "127.0.0.1:%d" % port, "--ssh-host-key", os.path.join(tmp, "host"),
                          "--ssh-authorized-keys", os.path.join(tmp, "authorized_keys")],
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        if not check(wait_port(port, 15) and p.poll() is None, "issud serves SSH on 127.0.0.1:%d" % port):
            return
        with_ncclient(port)
        with_yangcli(port)
        check(p.poll() is None, "issud still running")
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        if failures:
            print(open(os.path.join(tmp, "issud.log"), errors="replace").read()[-3000:])


try:
    main()
except Exception as e:  # a crash is a failure, with its reason
    import traceback
    traceback.print_exc()
    check(False, "exception: %r" % e)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(summary())
