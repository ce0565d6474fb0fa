#!/usr/bin/python3
"""test_agentx.py - issud's AgentX subagent against a small master of our own.

The test listens on a UNIX socket in a temp dir and plays the AgentX master
(RFC 2741) for `issud --agentx` on the example images, speaking PDUs
byte by byte, so it can send what net-snmp's snmpd never sends:
  - Open and one Register per subtree, answered; the subagent's session id;
  - a GetBulk PDU (non-repeaters 1, max-repetitions 6, ranges with and
    without an end) answered in one Response, equal to the same GetNext
    steps asked one PDU at a time; a range's end gives endOfMibView;
  - Get and GetNext in little-endian byte order answered in that order;
  - TestSet/CommitSet/CleanupSet of issuRenegotiate.0 (and a wrong type,
    refused at TestSet with its index);
  - a SIGHUP reload to an incompatible standby sends Notify PDUs
    (sysUpTime.0, snmpTrapOID.0 = issuImageVerdictChanged, ...);
  - malformed PDUs (a length beyond the cap, a truncated OID, an unknown
    type): issud logs it, at most a line a second, closes the session and
    opens a new one at once; it never dies, and serves the new session;
  - a Ping after 5 s of silence; an unanswered one ends the session after
    5 s, and a new one opens.
Every process started here is killed by PID, also on failure.
Usage: test_agentx.py SOURCE_DIR BIN_DIR [--agentx-impl IMPL] [--seed DIR]
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nclib import check, summary, wait_for  # noqa: E402

SRC, BIN = sys.argv[1], sys.argv[2]
EXTRA = sys.argv[3:5] if len(sys.argv) > 4 and sys.argv[3] == "--agentx-impl" else []
SEED = sys.argv[sys.argv.index("--seed") + 1] if "--seed" in sys.argv else None
IMAGES = os.path.join(SRC, "examples", "images")
ROOT = (1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 2011)
OBJ = ROOT + (1,)
NBO = 0x10
GET, GETNEXT, GETBULK, TESTSET, COMMITSET, UNDOSET, CLEANUPSET = 5, 6, 7, 8, 9, 10, 11
OPEN, CLOSE, REGISTER, NOTIFY, PING, RESPONSE = 1, 2, 3, 12, 13, 18
END = 130


# ---- the codec, the test's own (RFC 2741 section 5 and 6) ----

def oid_enc(o, include=0, bo=">"):
    o = tuple(o)
    prefix = 0
    if len(o) >= 5 and o[:4] == (1, 3, 6, 1) and 0 < o[4] < 256:
        prefix, o = o[4], o[5:]
    return struct.pack(bo + "BBBB", len(o), prefix, include, 0) + \
        b"".join(struct.pack(bo + "I", x) for x in o)


def oid_dec(b, off, bo):
    n, prefix, inc, _ = struct.unpack_from("BBBB", b, off)
    off += 4
    sub = list(struct.unpack_from(bo + "%dI" % n, b, off))
    off += 4 * n
    if prefix:
        sub = [1, 3, 6, 1, prefix] + sub
    return tuple(sub), inc, off


def pdu(typ, payload, sess=0, trans=0, packet=0, flags=NBO):
    bo = ">" if flags & NBO else "<"
    return struct.pack(bo + "BBBBIIII", 1, typ, flags, 0, sess, trans, packet,
                       len(payload)) + payload


def ranges(rs, bo=">"):
    return b"".join(oid_enc(a, inc, bo) + oid_enc(b or (), 0, bo) for a, b, inc in rs)


def vbs_dec(b, off, bo):
    out = []
    while off < len(b):
        typ, = struct.unpack_from(bo + "H", b, off)
        name, _, off = oid_dec(b, off + 4, bo)
        if typ in (2, 65, 66, 67):
            val, = struct.unpack_from(bo + "I", b, off)
            off += 4
        elif typ in (4, 64, 68):
            n, = struct.unpack_from(bo + "I", b, off)
            val = b[off + 4:off + 4 + n].decode("utf-8", "replace")
            off += 4 + (n + 3) // 4 * 4
        elif typ == 6:
            val, _, off = oid_dec(b, off, bo)
        else:
            val = None
        out.append((typ, name, val))
    return out


class Master:
    """One AgentX session from the subagent's side of the socket."""

    def __init__(self, conn):
        self.c = conn
        self.buf = b""
        self.notifies = []
        self.sess = 0

    def read_pdu(self, secs=10):
        end = time.time() + secs
        while True:
            if len(self.buf) >= 20:
                bo = ">" if self.buf[2] & NBO else "<"
                plen = struct.unpack_from(bo + "I", self.buf, 16)[0]
                if len(self.buf) >= 20 + plen:
                    p, self.buf = self.buf[:20 + plen], self.buf[20 + plen:]
                    return p
            left = end - time.time()
            if left <= 0:
                return None
            self.c.settimeout(left)
            try:
                d = self.c.recv(65536)
            except socket.timeout:
                return None
            if not d:
                return None
            self.buf += d

    def hdr(self, p):
        bo = ">" if p[2] & NBO else "<"
        return (p[1], p[2]) + struct.unpack_from(bo + "III", p, 4), bo

    def respond(self, p, err=0, uptime=1234):
        (typ, flags, sess, trans, packet), bo = self.hdr(p)
        self.c.sendall(pdu(RESPONSE, struct.pack(bo + "IHH", uptime, err, 0), sess, trans,
                           packet, flags & NBO))

    def handshake(self):
        """Answer the Open and every Register; the subtrees registered."""
        p = self.read_pdu()
        if not p or p[1] != OPEN:
            return None
        self.sess = 4711
        bo = ">" if p[2] & NBO else "<"
        self.c.sendall(pdu(RESPONSE, struct.pack(bo + "IHH", 1234, 0, 0), self.sess,
                           *struct.unpack_from(bo + "II", p, 8), flags=p[2] & NBO))
        subtrees = []
        while True:
            p = self.read_pdu(secs=0.3)
            if not p:
                return subtrees
            if p[1] == REGISTER:
                (_, _, _, _, _), bo = self.hdr(p)
                name, _, _ = oid_dec(p, 24, bo)
                subtrees.append(name)
                self.respond(p)

    def ask(self, typ, payload, trans, flags=NBO, secs=10):
        """Send a request; its Response as (error, index, varbinds, flags) (Notify PDUs kept)."""
        self.c.sendall(pdu(typ, payload, self.sess, trans, trans + 1000, flags))
        if typ == CLEANUPSET:
            return None
        while True:
            p = self.read_pdu(secs)
            if p is None:
                return None
            (rtyp, rflags, sess, rtrans, packet), bo = self.hdr(p)
            if rtyp == NOTIFY:
                self.notifies.append(vbs_dec(p, 20, bo))
                continue
            if rtyp == RESPONSE and packet == trans + 1000:
                _, err, idx = struct.unpack_from(bo + "IHH", p, 20)
                return err, idx, vbs_dec(p, 28, bo), rflags


def start(cmd, log):
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def write_seeds(d):
    """GetBulk, little-endian and context PDUs for fuzz_agentx's corpus."""
    os.makedirs(d, exist_ok=True)
    seeds = {
        "getbulk-1.pdu": pdu(GETBULK, struct.pack(">HH", 1, 6) + ranges(
            [(OBJ + (1, 1, 0), None, 0), (OBJ + (2,), None, 0), (OBJ + (7, 1, 2), OBJ + (7, 1, 3), 0)]),
            5, 9, 10),
        "getnext-le.pdu": pdu(GETNEXT, ranges([(OBJ + (6, 1, 2), None, 1)], "<"), 5, 9, 11, 0),
        "get-le.pdu": pdu(GET, ranges([(OBJ + (1, 1, 0), None, 0)], "<"), 5, 9, 12, 0),
        "getnext-context.pdu": pdu(GETNEXT, struct.pack(">I", 3) + b"ctx\0" +
                                   ranges([(OBJ, None, 0)]), 5, 9, 13, NBO | 0x08),
        "testset-le.pdu": pdu(TESTSET, struct.pack("<HH", 66, 0) + oid_enc(OBJ + (1, 15, 0), 0, "<") +
                              struct.pack("<I", 2011), 5, 14, 15, 0),
        "commitset-1.pdu": pdu(COMMITSET, b"", 5, 14, 16),
    }
    for name, data in seeds.items():
        open(os.path.join(d, name), "wb").write(data)


def main():
    tmp = tempfile.mkdtemp(prefix="issu-agentx-")
    procs = []
    try:
        run(tmp, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if os.environ.get("KEEP"):
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(tmp, procs):
    sock = os.path.join(tmp, "master")
    ls = socket.socket(socket.AF_UNIX)
    ls.bind(sock)
    ls.listen(4)
    ls.settimeout(15)
    stb = os.path.join(tmp, "standby.json")
    shutil.copy(os.path.join(IMAGES, "upgrade-compatible.json"), stb)
    log = os.path.join(tmp, "issud.log")
    issud = start([BIN + "/issud", "-a", os.path.join(IMAGES, "running.json"), "-s", stb,
                   "--agentx", sock] + EXTRA, log)
    procs.append(issud)
    conn, _ = ls.accept()
    m = Master(conn)
    subtrees = m.handshake()
    check(subtrees is not None and len(subtrees) >= 9 and OBJ + (1,) in subtrees and
          OBJ + (7,) in subtrees, "Open answered, a Register per subtree: %s" % subtrees)
    # issud registers right after the hub's first round: wait until it serves
    wait_for(lambda: (m.ask(GET, ranges([(OBJ + (1, 9, 0), None, 0)]), 1) or (0, 0, [(0,)]))[2][0][0] == 2, 10)

    # ---- GetBulk vs GetNext one PDU at a time ----
    rs = [(OBJ + (1, 1, 0), None, 0), (OBJ + (2,), None, 0), (OBJ + (6, 1, 2), OBJ + (6, 1, 2, 3), 0)]
    r = m.ask(GETBULK, struct.pack(">HH", 1, 6) + ranges(rs), 10)
    check(r is not None and r[0] == 0, "GetBulk answered without error: %s" % (r and r[:2],))
    got = r[2] if r else []
    check(len(got) == 1 + 6 * 2, "GetBulk: 1 non-repeater + 6 repetitions x 2 = 13 varbinds (%d)"
          % len(got))
    want, cur = [], [rs[0][0], rs[1][0], rs[2][0]]
    step = m.ask(GETNEXT, ranges([(cur[0], None, 0)]), 11)
    want.append(step[2][0] if step else None)
    for rep in range(6):
        for j, end in ((1, None), (2, rs[2][1])):
            step = m.ask(GETNEXT, ranges([(cur[j], end, 0)]), 12 + rep * 2 + j)
            vb = step[2][0] if step else None
            want.append(vb)
            if vb and vb[0] != END:
                cur[j] = vb[1]
    check(got == want, "GetBulk equals the same GetNext steps, PDU by PDU")
    names = [vb[1] for vb in got]
    check(got[:1] and got[0][1] == OBJ + (1, 2, 0) and got[0][0] == 2,
          "the non-repeater: issuLocalSide.0 after issuLocalUniqueId.0 (%s)" % (got[:1],))
    check(all(n[:len(OBJ) + 3] == OBJ + (2, 1, 2) for n in names[1::2]) and
          [vb[2] for vb in got[1::2]][:1] == ["ISSU Proto client"],
          "the first repeater walks issuClientName in order: %s" % [vb[2] for vb in got[1::2]])
    ends = [vb for vb in got[2::2]]
    check([vb[0] for vb in ends] == [4, 4, END, END, END, END] and
          all(vb[1] == ends[1][1] for vb in ends[2:]),
          "the bounded repeater: two session names, then endOfMibView at the range's end (%s)"
          % [(vb[0], vb[1][-2:]) for vb in ends])

    # ---- a GetBulk whose repetitions all end early ----
    r = m.ask(GETBULK, struct.pack(">HH", 0, 50) + ranges([(OBJ + (1, 15, 0), OBJ + (2,), 0)]), 40)
    # issuStateGeneration (Counter32), issuRenegotiateStatus (INTEGER, issue 12), the end
    check(r is not None and [vb[0] for vb in r[2]] == [65, 2, END],
          "GetBulk stops once every repeater is at endOfMibView: %s" % (r and r[2],))

    # ---- little-endian ----
    r = m.ask(GET, ranges([(OBJ + (1, 1, 0), None, 0), (OBJ + (1, 99, 0), None, 0),
                           (OBJ + (2, 1, 2, 424242), None, 0)], "<"), 41, flags=0)
    check(r is not None and not r[3] & NBO and r[2] == [(66, OBJ + (1, 1, 0), 4),
                                                       (128, OBJ + (1, 99, 0), None),
                                                       (129, OBJ + (2, 1, 2, 424242), None)],
          "little-endian Get answered little-endian: 4, noSuchObject, noSuchInstance (%s)"
          % (r and r[2],))
    r = m.ask(GETNEXT, ranges([(OBJ + (2, 1, 2, 2011), None, 1)], "<"), 42, flags=0)
    check(r is not None and r[2] and r[2][0][1] == OBJ + (2, 1, 2, 2011) and
          r[2][0][2] == "ISSU LDP Client", "GetNext with include=1 returns the start itself")

    # ---- SET ----
    rn = OBJ + (1, 15, 0)
    r = m.ask(TESTSET, struct.pack(">HH", 66, 0) + oid_enc(rn) + struct.pack(">I", 2011), 50)
    check(r is not None and r[:2] == (0, 0), "TestSet issuRenegotiate.0 = 2011: noError (%s)"
          % (r and r[:2],))
    r = m.ask(COMMITSET, b"", 50, secs=30)
    check(r is not None and r[:2] == (0, 0), "CommitSet renegotiates: noError (%s)" % (r and r[:2],))
    m.ask(CLEANUPSET, b"", 50)
    r = m.ask(GET, ranges([(rn, None, 0)]), 51)
    check(r is not None and r[2] == [(66, rn, 2011)], "issuRenegotiate.0 reads 2011 back")
    r = m.ask(TESTSET, struct.pack(">HH", 66, 0) + oid_enc(OBJ + (1, 1, 0)) + struct.pack(">I", 1) +
              struct.pack(">HH", 2, 0) + oid_enc(rn) + struct.pack(">I", 2011), 52)
    check(r is not None and r[:2] == (17, 1), "TestSet of a read-only scalar: notWritable, index 1 (%s)"
          % (r and r[:2],))
    r = m.ask(TESTSET, struct.pack(">HH", 2, 0) + oid_enc(rn) + struct.pack(">I", 2011), 53)
    check(r is not None and r[:2] == (7, 1), "TestSet with an INTEGER: wrongType, index 1 (%s)"
          % (r and r[:2],))
    m.ask(CLEANUPSET, b"", 53)
    r = m.ask(COMMITSET, b"", 54)
    check(r is not None and r[0] != 0, "CommitSet without its TestSet is refused (%s)" % (r and r[:2],))

    # ---- Notify ----
    shutil.copy(os.path.join(IMAGES, "upgrade-incompatible.json"), stb)
    issud.send_signal(signal.SIGHUP)
    verdict_trap = ROOT + (0, 2)

    def verdict_seen():
        p = m.read_pdu(secs=0.2)
        if p:
            (typ, _, _, _, _), bo = m.hdr(p)
            if typ == NOTIFY:
                m.notifies.append(vbs_dec(p, 20, bo))
        return any(len(n) > 1 and n[1][2] == verdict_trap for n in m.notifies)
    check(wait_for(verdict_seen, 15), "a reload sends issuImageVerdictChanged as a Notify PDU")
    n = [x for x in m.notifies if len(x) > 1 and x[1][2] == verdict_trap]
    check(n and n[0][0][:2] == (67, (1, 3, 6, 1, 2, 1, 1, 3, 0)) and
          n[0][1][1] == (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0) and
          (2, OBJ + (1, 10, 0), 3) in n[0],
          "the Notify: sysUpTime.0, snmpTrapOID.0, issuImageVerdict.0 = incompatible(3)")
    check(any(x[1][2] == ROOT + (0, 1) for x in m.notifies if len(x) > 1),
          "and issuSessionResultChanged Notify PDUs")

    # ---- malformed PDUs: logged, a new session, never a crash ----
    bad = [struct.pack(">BBBBIIII", 1, GETNEXT, NBO, 0, m.sess, 60, 60, 0x7ffffff0),  # length > cap
           pdu(GETNEXT, struct.pack(">BBBB", 128, 0, 0, 0) + b"\0" * 8, m.sess, 61, 61),  # truncated OID
           pdu(GETNEXT, struct.pack(">BBBB", 2, 0, 7, 0) + b"\0" * 8, m.sess, 62, 62),  # include = 7
           pdu(99 % 256, b"", m.sess, 63, 63),  # unknown type
           pdu(OPEN, struct.pack(">BBBB", 0, 0, 0, 0) + oid_enc(()) + struct.pack(">I", 0),
               m.sess, 64, 64)]  # a master never sends Open
    t_bad = time.time()
    for i, b in enumerate(bad + bad):
        m.c.sendall(b)
        gone = m.read_pdu(secs=5)
        while gone is not None and gone[1] in (NOTIFY, RESPONSE, CLOSE):
            gone = m.read_pdu(secs=5)
        check(gone is None, "malformed PDU %d: the subagent closes the session" % i)
        m.c.close()
        t0 = time.time()
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            check(False, "malformed PDU %d: no new session within 15 s" % i)
            return
        m = Master(conn)
        st = m.handshake()
        check(st and len(st) >= 9 and time.time() - t0 < 3,
              "malformed PDU %d: a new session registered %.2f s later" % (i, time.time() - t0))
    check(issud.poll() is None, "issud survived the malformed PDUs")
    lines = [line for line in open(log).read().splitlines() if "AgentX:" in line and "from the master" in line]
    secs = time.time() - t_bad
    check(1 <= len(lines) <= int(secs) + 2,
          "each malformed PDU logged, at most one line a second (%d lines in %.1f s): %s"
          % (len(lines), secs, lines[:2]))
    r = m.ask(GETBULK, struct.pack(">HH", 0, 3) + ranges([(OBJ + (2,), None, 0)]), 70)
    check(r is not None and len(r[2]) == 3 and r[2][0][2] == "ISSU Proto client",
          "the new session serves GetBulk")

    # ---- Ping: after 5 s of silence; unanswered, a new session ----
    def next_ping(secs):
        end = time.time() + secs
        while time.time() < end:
            p = m.read_pdu(secs=max(0.1, end - time.time()))
            if p is None:
                return None
            if p[1] == PING:
                return p
        return None
    p = next_ping(12)
    check(p is not None, "the subagent pings a quiet master (within 12 s)")
    if p is not None:
        m.respond(p, uptime=777)
        p2 = next_ping(12)
        check(p2 is not None, "after an answered Ping the session stays and pings again")
        if p2 is not None:
            t0 = time.time()  # not answered: the subagent gives the master 5 s
            gone = m.read_pdu(secs=15)
            while gone is not None and gone[1] in (NOTIFY, CLOSE, PING):
                gone = m.read_pdu(secs=15)
            check(gone is None and 4 <= time.time() - t0 <= 12,
                  "an unanswered Ping ends the session after about 5 s (%.1f s)" % (time.time() - t0))
            try:
                conn, _ = ls.accept()
                m = Master(conn)
                check(len(m.handshake() or []) >= 9, "and a new session opens")
            except socket.timeout:
                check(False, "no new session after the unanswered Ping")
    check(issud.poll() is None, "issud still runs")
    if SEED:
        write_seeds(SEED)


if __name__ == "__main__":
    main()
    sys.exit(summary())
