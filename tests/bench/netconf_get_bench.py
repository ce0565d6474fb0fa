#!/usr/bin/python3
"""netconf_get_bench.py - full NETCONF <get> of /issu-agent:issu-state.

Generates two identical images of CLIENTS x ENTITIES sessions (default
1,000 x 10 = 10,000) in a temp dir, starts issud on them with NETCONF over
SSH on 127.0.0.1 (free port, keys generated here) and a UNIX socket, and
from ncclient over SSH times N subtree <get>s of issu-state end to end
(median, best), up to the parsed reply (ncclient parses it with lxml inside
get(); the data is read as r.data_ele, not re-serialized). Anchor, same
run: the same <get> on the example images (57 sessions), quoted as a ratio.

What the figure is made of, measured in the same run:
- ncclient's floor: a <get> of one leaf. ncclient 0.6.13 sends a queued
  request only when its transport thread wakes from a select() with a
  100 ms timeout (ncclient/transport/ssh.py TICK), so a request made
  right after a reply waits ~100 ms before it leaves the client.
- server side: the same gets over the UNIX socket with NETCONF 1.0 framing,
  read linearly, no XML parsing (time to first byte and to the last), and
  issud's log line for building and printing the tree once per snapshot.
- ncclient without its poll interval (TICK set to 1 ms in this process):
  a diagnostic of the client's own receive + parse cost, not the target.
RSS (VmRSS) of issud after the first 10 gets and after LONG: a growth means
a leak. issud is killed by PID, also on failure. Not a ctest test.
Usage: netconf_get_bench.py SOURCE_DIR BIN_DIR [N] [CLIENTS] [ENTITIES] [LONG]
(LONG: the get count of the second RSS reading, default 1000)
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from ncclient import manager
import ncclient.transport.ssh as ncssh

SRC, BIN = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 30
CLIENTS = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
ENTS = int(sys.argv[5]) if len(sys.argv) > 5 else 10
LONG = int(sys.argv[6]) if len(sys.argv) > 6 else 1000
IA = "urn:issu-agent:yang:issu-agent"
FILTER = ("subtree", '<issu-state xmlns="%s"/>' % IA)
LEAF = ("subtree", '<issu-state xmlns="%s"><verdict/></issu-state>' % IA)
GET = ('<rpc message-id="%d" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get><filter type="subtree">'
       '<issu-state xmlns="' + IA + '"/></filter></get></rpc>]]>]]>')


def image(name):
    """CLIENTS clients of ENTS entities each, 2 message types, matching issu-manifest.yang."""
    clients = []
    for c in range(CLIENTS):
        cid = 10000 + c
        clients.append({
            "id": cid, "name": "bench client %d" % cid,
            "message-group": [{"id": 1, "message-type": [
                {"id": t, "version": [{"number": 1, "mtu": 100 + t}]} for t in (1, 2)]}],
            "capability-group": [{"id": 1, "capability-type": [{"id": 0, "entry": [1]}]}],
            "entity": [{"id": e + 1, "session-name": "bench %d/%d" % (cid, e + 1),
                        "message-group": 1, "capability-group": 1} for e in range(ENTS)],
        })
    return {"issu-manifest:image": {"name": name, "version": "1", "client": clients}}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


class Daemon:
    def __init__(self, tmp, tag, active, standby, key_pub):
        self.sock = os.path.join(tmp, tag + ".sock")
        self.port = free_port()
        auth = os.path.join(tmp, tag + ".auth")
        shutil.copy(key_pub, auth)
        self.log = open(os.path.join(tmp, tag + ".log"), "w")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "issud"), "--active", active, "--standby", standby,
             "--netconf-unix", self.sock, "--netconf-ssh", "127.0.0.1:%d" % self.port,
             "--ssh-host-key", os.path.join(tmp, "host.pem"), "--ssh-authorized-keys", auth,
             "--ssh-user", "bench"], stderr=self.log)
        deadline = time.time() + 60
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("issud (%s) did not start: see %s" % (tag, self.log.name))
            time.sleep(0.05)
        time.sleep(0.3)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def timed_gets(m, n, filt=FILTER):
    """n <get>s; the time to the parsed reply (get() parses it; data_ele is that tree)."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = m.get(filter=filt)
        if r.data_ele is None or not len(r.data_ele):
            raise RuntimeError("empty <data> in a reply")
        times.append(time.perf_counter() - t0)
    return times


def raw_unix_gets(path, n):
    """n <get>s on one NETCONF 1.0 session over the UNIX socket, only framed,
    not parsed: [(time to first byte, time to the end)], reply size."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    s.connect(path)
    rest = [b""]  # bytes after the last message's end marker

    def read_msg(first=None):
        """One message; linear: only the new bytes (and 5 before) are searched."""
        parts, tail, d = [], b"", rest[0]
        while True:
            if d:
                parts.append(d)
                j = (tail + d).find(b"]]>]]>")
                if j >= 0:
                    msg = b"".join(parts)
                    i = len(msg) - len(d) - len(tail) + j
                    rest[0] = msg[i + 6:]
                    return msg[:i]
                tail = (tail + d)[-5:]
            d = s.recv(1 << 20)
            if not d:
                raise RuntimeError("UNIX session closed")
            if first is not None and not first:
                first.append(time.perf_counter())
    read_msg()
    s.sendall(b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>'
              b'<capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>')
    times, size = [], 0
    for i in range(n):
        first = []
        t0 = time.perf_counter()
        s.sendall((GET % (i + 1)).encode())
        msg = read_msg(first)
        t1 = time.perf_counter()
        times.append(((first or [t1])[0] - t0, t1 - t0))
        if b"<rpc-error" in msg[:4096] or b"issu-state" not in msg[:4096]:
            raise RuntimeError("bad reply on the UNIX socket: %s" % msg[:300])
        size = len(msg)
    s.close()
    return times, size


def cpu_s(pid):
    """User + system CPU seconds of process pid (all threads)."""
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def ms(x):
    return "%.1f ms" % (x * 1000)


def main():
    tmp = tempfile.mkdtemp(prefix="issu-ncbench-")
    daemons = []
    try:
        for n in ("a", "s"):
            json.dump(image("bench-" + n), open("%s/%s.json" % (tmp, n), "w"))
        key = os.path.join(tmp, "client")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", key], check=True)
        ex = os.path.join(SRC, "examples/images")
        big = Daemon(tmp, "big", tmp + "/a.json", tmp + "/s.json", key + ".pub")
        daemons.append(big)
        tiny = Daemon(tmp, "tiny", ex + "/running.json", ex + "/upgrade-compatible.json", key + ".pub")
        daemons.append(tiny)

        def connect(d):
            return manager.connect(host="127.0.0.1", port=d.port, username="bench", key_filename=key,
                                   hostkey_verify=False, allow_agent=False, look_for_keys=False,
                                   timeout=120)
        mb, mt = connect(big), connect(tiny)
        say("first get (builds and prints the tree of this snapshot)")
        t0 = time.perf_counter()
        first = mb.get(filter=FILTER).data_ele
        say("  %s" % ms(time.perf_counter() - t0))
        nsess = len(first.xpath("//ia:issu-state/ia:session", namespaces={"ia": IA}))
        verdict = first.xpath("//ia:issu-state/ia:verdict/text()", namespaces={"ia": IA})
        if nsess != CLIENTS * ENTS:
            raise RuntimeError("expected %d sessions in the state, got %d" % (CLIENTS * ENTS, nsess))
        print("state: %d clients, %d sessions, verdict %s" % (CLIENTS, nsess, verdict))
        timed_gets(mb, 9)
        rss_10 = rss_kib(big.proc.pid)  # after the first ten whole-state gets

        say("timing %d gets over SSH" % N)
        c0, s0 = time.process_time(), cpu_s(big.proc.pid)
        tb = timed_gets(mb, N)
        cpu_client, cpu_server = (time.process_time() - c0) / N, (cpu_s(big.proc.pid) - s0) / N
        say("  median %s; anchor, one-leaf floor" % ms(statistics.median(tb)))
        tt = timed_gets(mt, N)
        tl = timed_gets(mb, N, LEAF)
        say("timing %d raw gets over the UNIX socket" % N)
        ub, usize_b = raw_unix_gets(big.sock, N)
        say("  median %s" % ms(statistics.median(t for _, t in ub)))
        ut, _ = raw_unix_gets(tiny.sock, N)
        # gets so far on the big daemon: 10 + 2N (ssh) + N (unix); then up to LONG
        rest = LONG - (10 + 3 * N)
        say("RSS after 10 gets: %d KiB; %d more gets" % (rss_10, rest))
        # Most of the remaining gets over the UNIX socket (fast), a share over SSH.
        raw_unix_gets(big.sock, rest - rest // 10)
        timed_gets(mb, rest // 10)
        rss_long = rss_kib(big.proc.pid)
        say("idle: issud CPU for 5 s with the SSH session connected and idle")
        c0 = cpu_s(big.proc.pid)
        time.sleep(5)
        idle_cpu = (cpu_s(big.proc.pid) - c0) / 5
        say("diagnostic: ncclient with a 1 ms poll interval")
        ncssh.TICK = 0.001
        timed_gets(mb, 1)  # the transport thread picks the new TICK up at its next select()
        tx = timed_gets(mb, N)
        tl_x = timed_gets(mb, N, LEAF)
        mb.close_session()
        mt.close_session()
        built = [l.strip() for l in open(big.log.name) if "tree built" in l]

        med_b, med_t = statistics.median(tb), statistics.median(tt)
        print("command: /usr/bin/python3 tests/bench/netconf_get_bench.py %s %s %d %d %d %d"
              % (SRC, BIN, N, CLIENTS, ENTS, LONG))
        print("date: %s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
        cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
        print("machine: nproc %d, %s" % (os.cpu_count(), cpu[0] if cpu else "?"))
        print("reply: %d bytes raw rpc-reply (NETCONF 1.0 framing)" % usize_b)
        print("ssh+ncclient <get> %d sessions: median %s, best %s, worst %s (N=%d)"
              % (nsess, ms(med_b), ms(min(tb)), ms(max(tb)), N))
        print("ssh+ncclient <get> example images (anchor): median %s, best %s" % (ms(med_t), ms(min(tt))))
        print("ratio big/anchor (medians): %.1f" % (med_b / med_t))
        print("CPU per <get> of %d sessions over SSH: ncclient process %s, issud %s"
              % (nsess, ms(cpu_client), ms(cpu_server)))
        print("ssh+ncclient <get> of one leaf (ncclient's floor): median %s, best %s"
              % (ms(statistics.median(tl)), ms(min(tl))))
        print("unix raw <get> %d sessions (server + I/O, no parsing): first byte median %s, whole reply median %s, "
              "best %s" % (nsess, ms(statistics.median(f for f, _ in ub)), ms(statistics.median(t for _, t in ub)),
                           ms(min(t for _, t in ub))))
        print("unix raw <get> example images: whole reply median %s" % ms(statistics.median(t for _, t in ut)))
        for l in built:
            print("issud: %s" % l.split("INFO: ", 1)[-1])
        print("diagnostic, ncclient TICK=1 ms: <get> %d sessions median %s, best %s; one leaf median %s"
              % (nsess, ms(statistics.median(tx)), ms(min(tx)), ms(statistics.median(tl_x))))
        print("issud CPU while one connected session is idle: %.1f%% of a CPU" % (idle_cpu * 100))
        print("issud VmRSS: after 10 gets %d KiB, after %d gets %d KiB (growth %+d KiB)"
              % (rss_10, LONG, rss_long, rss_long - rss_10))
        print("target <= 150 ms end to end: %s" % ("met" if med_b <= 0.150 else "MISSED"))
        return 0
    finally:
        for d in daemons:
            d.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
