#!/usr/bin/python3
"""check_layers.py - the include directions of agent/ (docs/ARCHITECTURE.md).

Every `#include "x.h"` in agent/DIR/ must name a header of DIR itself or of
a directory DIR may use; every `#include <lib/...>` must be a library DIR
may use. A header name found in two directories is an error too (an include
could then mean either). Prints one line per violation and exits 1; exits 0
with a one-line summary when the tree is clean.

Usage: check_layers.py AGENT_DIR
       check_layers.py --self-test AGENT_DIR   (each kind of violation, injected
       into a copy of the tree, must be caught)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Directory -> the directories whose headers it may include (besides its own).
ALLOWED = {
    "core": set(),
    "peer": {"core"},
    "ly": {"core"},
    "hub": {"core", "peer", "ly"},
    "history": {"core", "hub"},
    "snmp": {"core", "ly", "hub", "history"},
    "netconf": {"core", "ly", "hub", "history"},
    "issud": {"core", "hub", "history", "snmp", "netconf"},
    "cli": {"core", "peer", "ly"},
}

# System include prefixes -> the directories that may use them.
LIBS = {
    "net-snmp/": {"snmp"},
    "libnetconf2/": {"netconf", "cli"},
    "libssh/": {"netconf"},
    "libyang/": {"ly", "hub", "netconf", "cli"},
    "openssl/": {"peer"},
    "sqlite3.h": {"history"},
    "systemd/": {"issud"},
    # libnetconf2's and libyang's headers also install at the top level
    "nc_client.h": {"cli"},
    "nc_server.h": {"netconf"},
    "libyang.h": {"ly", "hub", "netconf", "cli"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def sources(top, d):
    for root, _, files in os.walk(os.path.join(top, d)):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(root, f)


# (file to append to, line, text the report must contain)
INJECTED = [
    ("core/snapshot.c", '#include "hub.h"', "agent/core may include only core"),
    ("core/rules.c", "#include <libyang/libyang.h>", "agent/core may not use libyang"),
    ("core/image.h", "#include <net-snmp/net-snmp-config.h>", "agent/core may not use net-snmp"),
    ("netconf/nc_get.c", '#include "snmp_face.h"', "includes \"snmp_face.h\" of agent/snmp"),
    ("snmp/snmp_mib.c", "#include <libnetconf2/netconf.h>", "agent/snmp may not use libnetconf2"),
    ("netconf/nc_rpc.c", '#include "issud_opts.h"', "includes \"issud_opts.h\" of agent/issud"),
    ("snmp/snmp_face.c", '#include "issud_opts.h"', "includes \"issud_opts.h\" of agent/issud"),
    ("hub/hub.c", '#include "nc_face.h"', "agent/hub may include only"),
    ("cli/issuctl.c", '#include "hub.h"', "agent/cli may include only"),
    ("peer/tcp.c", '#include "nowhere.h"', "is no header of agent/"),
]


def self_test(top):
    failures = 0
    for rel, line, want in INJECTED:
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "agent")
            shutil.copytree(top, copy)
            # a header only the daemon has, for the "faces include no daemon file" cases
            with open(os.path.join(copy, "issud", "issud_opts.h"), "w") as f:
                f.write("/* test */\n")
            with open(os.path.join(copy, rel), "a") as f:
                f.write("\n" + line + "\n")
            r = subprocess.run([sys.executable, os.path.abspath(__file__), copy],
                               capture_output=True, text=True)
            ok = r.returncode == 1 and want in r.stdout
            print("%s: %s in agent/%s -> %s" % ("ok" if ok else "MISSED", line, rel,
                                               r.stdout.strip().splitlines()[0] if r.stdout.strip() else "(nothing)"))
            failures += not ok
    print("check_layers --self-test: %d of %d violations caught" % (len(INJECTED) - failures, len(INJECTED)))
    return 1 if failures else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--self-test":
        return self_test(sys.argv[2])
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    top = sys.argv[1]
    if not os.path.isdir(top):
        print("check_layers: %s: not a directory" % top, file=sys.stderr)
        return 2
    dirs = sorted(d for d in os.listdir(top) if os.path.isdir(os.path.join(top, d)))
    bad = []
    for d in dirs:
        if d not in ALLOWED:
            bad.append("agent/%s: a directory the layer map does not know (add it to ALLOWED "
                       "and docs/ARCHITECTURE.md)" % d)
    owner = {}
    for d in dirs:
        for p in sources(top, d):
            if p.endswith(".h"):
                name = os.path.basename(p)
                if name in owner and owner[name] != d:
                    bad.append("%s: header name also in agent/%s" % (os.path.relpath(p, top), owner[name]))
                owner.setdefault(name, d)
    n_files = n_inc = 0
    for d in dirs:
        may = ALLOWED.get(d, set()) | {d}
        for p in sources(top, d):
            n_files += 1
            rel = "agent/" + os.path.relpath(p, top)
            with open(p, encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    n_inc += 1
                    kind, name = m.groups()
                    if kind == '"':
                        o = owner.get(os.path.basename(name))
                        if o is None:
                            bad.append("%s:%d: \"%s\" is no header of agent/" % (rel, lineno, name))
                        elif o not in may:
                            bad.append("%s:%d: includes \"%s\" of agent/%s: agent/%s may include only %s"
                                       % (rel, lineno, name, o, d, ", ".join(sorted(may))))
                        continue
                    for prefix, users in LIBS.items():
                        if name.startswith(prefix) and d not in users:
                            bad.append("%s:%d: includes <%s>: agent/%s may not use %s"
                                       % (rel, lineno, name, d, prefix.rstrip("/")))
    for b in bad:
        print(b)
    if bad:
        print("check_layers: %d violation(s) in %d files" % (len(bad), n_files))
        return 1
    print("check_layers: %d files, %d includes, every one in the allowed direction" % (n_files, n_inc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
