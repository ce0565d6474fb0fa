#!/usr/bin/python3
"""agentx_capture.py - record what an AgentX master sends to a subagent.

Listens on LISTEN (a UNIX socket path) and relays every connection to the
master's socket MASTER, both ways; each whole PDU the master sends is also
written to OUTDIR/<type>-<n>.pdu (the seed corpus of fuzz_agentx came from
snmpd 5.9.3 this way: issud --agentx LISTEN, then snmpwalk, snmpbulkwalk,
snmpget and snmpset through that snmpd). Stops on SIGINT/SIGTERM.
Usage: agentx_capture.py LISTEN MASTER OUTDIR
"""
import os
import select
import signal
import socket
import struct
import sys

LISTEN, MASTER, OUT = sys.argv[1:4]
NAMES = {1: "open", 2: "close", 3: "register", 5: "get", 6: "getnext", 7: "getbulk",
         8: "testset", 9: "commitset", 10: "undoset", 11: "cleanupset", 12: "notify",
         13: "ping", 18: "response"}
seen = {}


def dump(buf):
    """Write each whole PDU of buf; return what is left."""
    while len(buf) >= 20:
        order = ">" if buf[2] & 0x10 else "<"
        plen = struct.unpack(order + "I", buf[16:20])[0]
        if len(buf) < 20 + plen:
            break
        name = NAMES.get(buf[1], "type%d" % buf[1])
        seen[name] = seen.get(name, 0) + 1
        if seen[name] <= 20:  # a few of each kind are enough for a seed
            open(os.path.join(OUT, "%s-%d.pdu" % (name, seen[name])), "wb").write(buf[:20 + plen])
        buf = buf[20 + plen:]
    return buf


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    if os.path.exists(LISTEN):
        os.unlink(LISTEN)
    ls = socket.socket(socket.AF_UNIX)
    ls.bind(LISTEN)
    ls.listen(4)
    pairs = {}
    pending = {}
    try:
        while True:
            r, _, _ = select.select([ls] + list(pairs), [], [])
            for s in r:
                if s is ls:
                    sub, _ = ls.accept()
                    m = socket.socket(socket.AF_UNIX)
                    m.connect(MASTER)
                    pairs[sub], pairs[m] = m, sub
                    pending[m] = b""
                    continue
                data = s.recv(65536)
                peer = pairs.get(s)
                if not data or peer is None:
                    for x in (s, peer):
                        if x is not None:
                            pairs.pop(x, None)
                            pending.pop(x, None)
                            x.close()
                    continue
                peer.sendall(data)
                if s in pending:  # from the master
                    pending[s] = dump(pending[s] + data)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
