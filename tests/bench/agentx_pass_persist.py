#!/usr/bin/python3
"""agentx_pass_persist.py - what a user would write instead of a subagent:
snmpd's pass_persist protocol over a table shaped like issuNegVersionTable
(see agentx_min.c: constant values, arithmetic GETNEXT) under BASE, one
line-oriented exchange per varbind. Used by agentx_bench.py.
Usage (snmpd.conf): pass_persist BASE /usr/bin/python3 agentx_pass_persist.py BASE SESSIONS
"""
import sys

BASE = tuple(int(x) for x in sys.argv[1].strip(".").split("."))  # ...arc.1.7
S = int(sys.argv[2])
TAB = BASE + (1,)
K = len(TAB)


def nxt(n):
    if n[:K] < TAB[:len(n)] or len(n) <= K:
        return (2, 1, 0) if n[:K] <= TAB else None
    if n[:K] > TAB or n[K] > 3:
        return None
    if n[K] < 2:
        return (2, 1, 0)
    c = n[K]
    if len(n) == K + 1 or n[K + 1] < 1:
        return (c, 1, 0)
    s = n[K + 1]
    if s <= S:
        if len(n) == K + 2:
            return (c, s, 0)
        t = n[K + 2] + 1
        if t < 8:
            return (c, s, t)
        if s + 1 <= S:
            return (c, s + 1, 0)
    return (c + 1, 1, 0) if c < 3 else None


def main():
    out = sys.stdout
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "PING":
            out.write("PONG\n")
        elif cmd in ("get", "getnext"):
            o = tuple(int(x) for x in sys.stdin.readline().strip().strip(".").split("."))
            r = nxt(o) if cmd == "getnext" else (o[K:] if len(o) == K + 3 and o[:K] == TAB else None)
            if r is None:
                out.write("NONE\n")
            else:
                out.write(".%s\ngauge\n%d\n" % (".".join(map(str, TAB + r)),
                                                1 if r[0] == 2 else 100 + r[2]))
        elif cmd == "set":
            sys.stdin.readline()
            sys.stdin.readline()
            out.write("not-writable\n")
        elif not cmd:
            break
        out.flush()


if __name__ == "__main__":
    main()
