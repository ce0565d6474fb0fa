#!/usr/bin/python3
"""import_bench.py - issuctl import of a synthetic capture of N clients
(show issu clients, then per client message types, sessions and negotiated
capability, as test_import_live captures them), against an anchor measured
in the same run: issuctl check of the imported manifest against itself
(the same manifest through the loader twice, plus a negotiation).
Not a test: figures go to docs/BENCHMARKS.md.

usage: import_bench.py SOURCE_DIR BIN_DIR [N...]   (default 1000 5000 20000)
"""
import os
import subprocess
import sys
import tempfile
import time


def capture(n):
    out = ["R#show issu clients"]
    out += ["Client_ID = %d, Client_Name = Client %d, Entity_Count = 1" % (i, i) for i in range(1, n + 1)]
    for i in range(1, n + 1):
        out += ["R#show issu message types %d" % i, "-----", "Client_ID = %d, Entity_ID = 1 :" % i,
                "  Message_Type = 1, Version_Range = 1 ~ 2", "    Message_Ver = 1, Message_Mtu = 10",
                "    Message_Ver = 2, Message_Mtu = 12",
                "R#show issu sessions %d" % i, "-----", "Client_ID = %d, Entity_ID = 1 :" % i,
                "*** Session_ID = %d, Session_Name = S%d :" % (i, i),
                "  Peer Peer Negotiate Negotiated Cap      Msg      Session",
                "  UniqueID Sid  Role      Result  GroupID GroupID Signature",
                "   7      %d  PRIMARY  COMPATIBLE  1      1      0" % i, "                               (no policy)",
                "Negotiation Session Info for This Message Session:", "  Nego_Session_ID = %d" % i,
                "  Nego_Session_Name = S%d" % i, "  Transport_Mtu = 3948",
                "R#show issu negotiated capability %d" % i, "Session_ID = %d :" % i, "  Negotiated_Cap_Entry = 1"]
    return "\n".join(out) + "\n"


def timed(cmd, env):
    t = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    return time.monotonic() - t, r.returncode, r.stderr.decode()[-200:]


def main():
    src, bindir = sys.argv[1], sys.argv[2]
    sizes = [int(x) for x in sys.argv[3:]] or [1000, 5000, 20000]
    env = dict(os.environ, ISSU_YANG_DIR=os.path.join(src, "yang"))
    ctl = os.path.join(bindir, "issuctl")
    print("| clients | capture | import | check (anchor) | ratio |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            cap, man = os.path.join(tmp, "c%d.txt" % n), os.path.join(tmp, "m%d.json" % n)
            with open(cap, "w") as f:
                f.write(capture(n))
            ti, rc, err = timed([ctl, "import", "--image-name", "a", "--image-version", "b", cap, "-o", man], env)
            if rc:
                sys.exit("import of %d clients: exit %d: %s" % (n, rc, err))
            tc, rc, err = timed([ctl, "check", "--active", man, "--standby", man], env)
            if rc:
                sys.exit("check of %d clients: exit %d: %s" % (n, rc, err))
            print("| %d | %.1f MB | %.2f s | %.2f s | %.2f |" % (n, os.path.getsize(cap) / 1e6, ti, tc, ti / tc))


if __name__ == "__main__":
    main()
