#!/usr/bin/python3
"""show_bench.py - what each `issuctl show issu` form costs an operator at N
sessions (default 100,000): wall time of the command and issud's VmRSS after
it, in the order given, then one raw <get> of a union of five leaves of
every session, on scale_bench.py's images (N / 10 clients of 10
entities, the embedded pair, --netconf-unix). Forms that name one client or
session are the anchor (scale_bench.py checks they cost the same at 1,000).
issud is killed by PID, also on failure; everything lives in one temp dir.
Not a ctest test.
Usage: show_bench.py SOURCE_DIR BIN_DIR [N]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale_bench as sb  # noqa: E402

FORMS = (["state"], ["state"], ["state", "detail"], ["clients"], ["comp-matrix"], ["sessions", "C"],
         ["negotiated", "version", "S"], ["sessions"], ["--json", "state"])


def main():
    src, bin_dir = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    tmp = tempfile.mkdtemp(prefix="issu-show-")
    env = dict(os.environ, ISSU_YANG_DIR=os.path.join(src, "yang"))
    act, sbf = os.path.join(tmp, "a.json"), os.path.join(tmp, "s.json")
    json.dump(sb.image("bench-a", n), open(act, "w"), separators=(",", ":"))
    json.dump(sb.image("bench-s", n), open(sbf, "w"), separators=(",", ":"))
    sock, logp = os.path.join(tmp, "nc.sock"), os.path.join(tmp, "issud.log")
    p = subprocess.Popen([os.path.join(bin_dir, "issud"), "--active", act, "--standby", sbf, "--netconf-unix", sock],
                         stderr=open(logp, "w"), env=env)
    cid = 10000 + max(1, n // sb.ENTS) - 1
    print("command: /usr/bin/python3 tests/bench/show_bench.py %s" % " ".join(sys.argv[1:]))
    print("date: %s; load %s; N=%d" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                      open("/proc/loadavg").read().split()[0], n))
    try:
        deadline = time.time() + 600
        while "negotiation 1 with peer 7 done" not in open(logp).read():
            if p.poll() is not None or time.time() > deadline:
                raise RuntimeError("issud did not negotiate: see %s" % logp)
            time.sleep(0.05)
        c = sb.Raw(sock)
        _, _, m = c.get('<filter type="xpath" select="/issu-agent:issu-state/issu-agent:session[issu-agent:client-id'
                        "='%d']/issu-agent:session-id\" xmlns:issu-agent=\"%s\"/>" % (cid, sb.IA))
        sid = int(m.split(b"<session-id>")[1].split(b"<")[0])
        c.close()
        print("| issuctl show issu ... | seconds | exit | issud VmRSS after (MiB) |")
        print("|---|---:|---:|---:|")
        for form in FORMS:
            words = [str(cid) if w == "C" else str(sid) if w == "S" else w for w in form]
            t0 = time.perf_counter()
            r = subprocess.run([os.path.join(bin_dir, "issuctl"), "--socket", sock, "show", "issu"] + words,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            dt = time.perf_counter() - t0
            print("| %s | %.2f | %d%s | %d |" % (" ".join(form), dt, r.returncode,
                                               " (" + r.stderr.strip()[:60] + ")" if r.returncode > 2 else "",
                                               sb.vm(p.pid, "VmRSS") // 1024))
        # a client's own filter: a union of five leaves of every session (libyang's own union is quadratic)
        leaves = " | ".join("/issu-agent:issu-state/issu-agent:session/issu-agent:" + x
                            for x in ("result", "raw-result", "client-id", "entity-id", "reason"))
        c = sb.Raw(sock)
        _, dt, m = c.get('<filter type="xpath" xmlns:issu-agent="%s" select="%s"/>' % (sb.IA, leaves))
        c.close()
        print("| (raw <get>) five leaves of every session, a union | %.2f | - | %d |"
              % (dt, sb.vm(p.pid, "VmRSS") // 1024))
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
