"""snmpv2c.py - the smallest SNMPv2c client the benchmarks need: GET and
GETBULK over UDP on one socket, BER by hand (no MIB loading, no fork per
request: scale_bench.py polls one object every few milliseconds and an
snmpget process would cost more than the answer). Strict about what it
reads: a reply that does not parse, or that answers another request id, is
dropped and the request retried until its deadline. Not a general client.
`/usr/bin/python3 snmpv2c.py` runs its self-test (parse, malformed input).
"""
import socket
import time

INT, OCTETS, NULL, OID, SEQ = 0x02, 0x04, 0x05, 0x06, 0x30
GET, RESPONSE, GETBULK = 0xA0, 0xA2, 0xA5
# SMIv2 application types that carry an unsigned integer (Counter32, Gauge32,
# TimeTicks, Counter64) and the exceptions of RFC 3416
UINTS = (0x41, 0x42, 0x43, 0x46)
EXC = {0x80: "noSuchObject", 0x81: "noSuchInstance", 0x82: "endOfMibView"}


def _len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _tlv(tag, body):
    return bytes([tag]) + _len(len(body)) + body


def _int(v):
    return _tlv(INT, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def _oid(oid):
    arcs = [int(x) for x in oid.strip(".").split(".")]
    body = bytearray([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        body += bytes(reversed(chunk))
    return _tlv(OID, bytes(body))


def _read(buf, i):
    """(tag, start of value, end of value) of the TLV at i; ValueError when truncated."""
    if i + 2 > len(buf):
        raise ValueError("truncated TLV")
    tag, n, j = buf[i], buf[i + 1], i + 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or j + k > len(buf):
            raise ValueError("bad length")
        n, j = int.from_bytes(buf[j:j + k], "big"), j + k
    if j + n > len(buf):
        raise ValueError("truncated value")
    return tag, j, j + n


def _dec_oid(b):
    if not b:
        raise ValueError("empty OID")
    arcs, a = [b[0] // 40, b[0] % 40], 0
    for x in b[1:]:
        a = (a << 7) | (x & 0x7F)
        if not x & 0x80:
            arcs.append(a)
            a = 0
    return "." + ".".join(map(str, arcs))


def _value(tag, b):
    if tag == INT:
        return int.from_bytes(b, "big", signed=True)
    if tag in UINTS:
        return int.from_bytes(b, "big")
    if tag == OCTETS:
        return bytes(b)
    if tag == OID:
        return _dec_oid(b)
    if tag in EXC:
        return EXC[tag]
    return (tag, bytes(b))


def parse_response(buf):
    """(request id, error status, [(oid, value)]) of a v2c Response."""
    tag, i, end = _read(buf, 0)
    if tag != SEQ or end != len(buf):
        raise ValueError("not one message")
    tag, a, b = _read(buf, i)  # version
    if tag != INT or buf[a:b] != b"\x01":
        raise ValueError("not v2c")
    tag, a, i = _read(buf, b)  # community
    if tag != OCTETS:
        raise ValueError("no community")
    tag, i, end = _read(buf, i)
    if tag != RESPONSE:
        raise ValueError("not a Response")
    fields = []
    for _ in range(3):
        tag, a, i = _read(buf, i)
        if tag != INT:
            raise ValueError("bad PDU header")
        fields.append(int.from_bytes(buf[a:i], "big", signed=True))
    tag, i, vend = _read(buf, i)
    if tag != SEQ or vend != end:
        raise ValueError("bad varbind list")
    vbs = []
    while i < vend:
        tag, j, i = _read(buf, i)
        if tag != SEQ:
            raise ValueError("bad varbind")
        t, a, b = _read(buf, j)
        if t != OID:
            raise ValueError("varbind without OID")
        vt, va, vb = _read(buf, b)
        if vb != i:
            raise ValueError("varbind with trailing bytes")
        vbs.append((_dec_oid(buf[a:b]), _value(vt, buf[va:vb])))
    return fields[0], fields[1], vbs


class Client:
    def __init__(self, host, port, community="bench", timeout=5.0):
        self.addr = (host, port)
        self.community = community.encode()
        self.timeout = timeout
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(0.5)
        self.rid = 0

    def _ask(self, tag, a, b, oids, deadline=None):
        self.rid = (self.rid + 1) & 0x7FFFFFFF
        vbl = _tlv(SEQ, b"".join(_tlv(SEQ, _oid(o) + b"\x05\x00") for o in oids))
        pdu = _tlv(tag, _int(self.rid) + _int(a) + _int(b) + vbl)
        msg = _tlv(SEQ, _int(1) + _tlv(OCTETS, self.community) + pdu)
        end = time.monotonic() + (self.timeout if deadline is None else deadline)
        sent = 0.0
        while True:
            now = time.monotonic()
            if now > end:
                raise TimeoutError("no SNMP answer from %s:%d" % self.addr)
            if now - sent > 1.0:  # first send, then a retry a second
                self.s.sendto(msg, self.addr)
                sent = now
            try:
                buf = self.s.recv(65536)
            except socket.timeout:
                continue
            try:
                rid, err, vbs = parse_response(buf)
            except ValueError:
                continue
            if rid != self.rid:
                continue  # an answer to an earlier, retried request
            if err:
                raise RuntimeError("SNMP error-status %d for %s" % (err, oids))
            return vbs

    def get(self, oid, deadline=None):
        return self._ask(GET, 0, 0, [oid], deadline)[0][1]

    def bulk(self, oid, reps):
        return self._ask(GETBULK, 0, reps, [oid])

    def walk(self, root, limit, reps=50):
        """(oid, value) of up to @limit objects under @root, GETBULK @reps at a time."""
        out, cur, pre = [], root, root + "."
        while len(out) < limit:
            vbs = self.bulk(cur, min(reps, limit - len(out)))
            for o, v in vbs:
                if not o.startswith(pre) or v == "endOfMibView":
                    return out
                out.append((o, v))
            if not vbs:
                return out
            cur = vbs[-1][0]
        return out

    def close(self):
        self.s.close()


def _selftest():
    """python3 snmpv2c.py: a Response built here parses back; every
    truncation, a trailing byte and a wrong request type are refused."""
    oid = ".1.3.6.1.4.1.8072.9999.9999.2011.1.6.1.8.4000000000"
    vb = _tlv(SEQ, _tlv(SEQ, _oid(oid) + _int(2)) + _tlv(SEQ, _oid(oid + ".1") + b"\x82\x00"))
    pdu = _tlv(RESPONSE, _int(77) + _int(0) + _int(0) + vb)
    msg = _tlv(SEQ, _int(1) + _tlv(OCTETS, b"bench") + pdu)
    assert parse_response(msg) == (77, 0, [(oid, 2), (oid + ".1", "endOfMibView")])
    bad = [msg[:i] for i in range(len(msg))] + [msg + b"\x00", msg.replace(bytes([RESPONSE]), bytes([GET]), 1)]
    for b in bad:
        try:
            parse_response(b)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % b)
    print("snmpv2c self-test: ok (%d malformed messages refused)" % len(bad))


if __name__ == "__main__":
    _selftest()
