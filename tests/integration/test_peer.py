#!/usr/bin/python3
"""test_peer.py - two issud negotiating over TCP (issue 5 item 5).

Everything runs in a private temp dir, on free 127.0.0.1 ports; PSK files
are mode 0600. Each issud serves NETCONF on its own UNIX socket and every
view is read with `issuctl --socket S --json show issu ...`.
  - pair: active uid 4 (--listen, running.json) and standby uid 7 (--peer,
    upgrade-compatible.json): both sides show the same results as the
    in-process `issuctl check` of the same images; each shows the other's
    unique id, the session ids swapped as Peer Sid, PRIMARY/PASSIVE roles;
  - the same over IPv6 ([::1]);
  - the wrong key: no session, the listener's log names the peer address;
  - kill -9 of the standby, then of the active: the survivor shows its
    sessions down (result unknown) and renegotiates when the other returns;
    the standby returns with upgrade-base-level.json: the results change;
  - kill -9 in the middle of negotiating generated 20,000-session images
    (either side; the survivor is frozen with SIGSTOP the moment it logs
    the handshake done, so the kill lands mid-exchange), and the return;
  - hostile input against a listener with no peer: before the handshake
    (garbage, a wrong auth version, a wrong role, a slow-loris peer sending
    a byte a second) and after authenticating with the right key, so the
    codec and the secure frames themselves are attacked (garbage, a
    truncated frame, an oversized codec length, a wrong protocol version, a
    bad frame MAC, an oversized secure frame), then a real peer negotiates;
    against an established peering: the same pre-handshake inputs, a
    slow-loris, a second peer (scripted, and a real issud with another
    unique id): issud keeps serving, logs what happened with the address,
    the peering stays intact;
  - lockout (issue 10 item 3): 96 strangers without the key (three times
    --peer-pending-max) reconnecting the moment they are dropped, from the
    peer's own host, while the standby is killed and restarted: it is back
    and negotiated within seconds, the link then holds, and the listener's
    lines about the strangers stay a handful (rate-limited, with counts);
    the --peer-* options' bounds are usage errors;
  - the SNMP face (private snmpd, issud --agentx): issuPeerState and the
    session table's result column show the peer's loss and return;
  - the faces' notifications: the pair's active also serves NETCONF over SSH
    (ncclient, generated keys) and is a subagent of a private snmpd whose
    trap2sink is a private snmptrapd; subscribed before the standby's kill
    -9, it raises peer-state-changed (up -> down) then verdict-changed (->
    unknown), and issuPeerStateChanged (down) then issuImageVerdictChanged
    (unknown), each with its reason; on the return (another image, other
    results) the same pair again with the new verdict; no session event on
    either face across the loss or the return (one event model);
  - two network namespaces joined by a veth pair (10.199.0.1/30 and
    10.199.0.2/30, only inside them), skipped with a message when the
    machine does not allow `ip netns add`.
Every process started here is killed by PID, namespaces and the veth are
deleted, also on failure.
ISSUD_WRAPPER (e.g. "valgrind -q --log-file=vg.%p.log") runs every issud under a tool;
ISSU_KEEP_TMP=1 keeps the temp dir (logs) for a look.
Usage: test_peer.py SOURCE_DIR BIN_DIR [SCENARIO...]  (e.g. lockout: only t_lockout)
"""
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import re
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SRC, BIN = sys.argv[1], sys.argv[2]
ONLY = sys.argv[3:]
IMAGES = os.path.join(SRC, "examples", "images")
MIBOPTS = ["-M", "+" + os.path.join(SRC, "mibs"), "-m", "+ISSU-NEGOTIATION-MIB"]
ROOT = ".1.3.6.1.4.1.8072.9999.9999.2011"
V2C = ["-v2c", "-c", "issupublic"]
DONE = ("compatible", "incompatible")
ISSU_LOG_INTERVAL = 1.0  # tcp.h ISSU_TCP_LOG_INTERVAL_MS

passed = failed = 0
procs = []
netns = []
veths = []
tmp = tempfile.mkdtemp(prefix="issu-peer-")
env = dict(os.environ)
env["ISSU_YANG_DIR"] = os.path.join(SRC, "yang")
env["SNMPCONFPATH"] = tmp
env["SNMP_PERSISTENT_DIR"] = os.path.join(tmp, "persist")
env["MIBS"] = ""


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok: " + what, flush=True)
    else:
        failed += 1
        print("FAIL: " + what, flush=True)
    return ok


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, secs, step=0.1):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return False


def kill(p, sig=signal.SIGKILL):
    if p.poll() is None:
        try:
            os.kill(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


def psk(name, key):
    path = os.path.join(tmp, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, key)
    os.close(fd)
    return path


class Issud:
    """One issud in peer mode with its NETCONF UNIX socket and log."""
    n = 0

    def __init__(self, uid, image, side, psk_file, listen=None, peer=None, agentx=None, ns=None,
                 tag=None, extra=()):
        Issud.n += 1
        self.tag = tag or "issud%d-uid%d" % (Issud.n, uid)
        self.sock = os.path.join(tmp, self.tag + ".sock")
        self.log = os.path.join(tmp, self.tag + ".log")
        args = [os.path.join(BIN, "issud"), "--manifest", image, "--unique-id", str(uid),
                "--psk-file", psk_file, "--side", side, "--netconf-unix", self.sock]
        args += ["--listen", listen] if listen else ["--peer", peer]
        if agentx:
            args += ["--agentx", agentx]
        args += list(extra)
        args = os.environ.get("ISSUD_WRAPPER", "").split() + args  # e.g. valgrind -q
        if ns:
            args = ["ip", "netns", "exec", ns] + args  # ip execs: the PID is issud's
        self.p = subprocess.Popen(args, stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                                  env=env, cwd=tmp)
        procs.append(self.p)
        self.up = wait_for(lambda: os.path.exists(self.sock) or self.p.poll() is not None, 20) \
            and self.p.poll() is None

    def ctl(self, *args):
        r = subprocess.run([os.path.join(BIN, "issuctl"), "--socket", self.sock, "--json",
                            "show", "issu"] + list(args), capture_output=True, text=True,
                           env=env, timeout=60)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout).get("issu-agent:issu-state", {})

    def sessions(self):
        st = self.ctl("sessions")
        return None if st is None else st.get("session", [])

    def clients(self):
        st = self.ctl("comp-matrix")
        return None if st is None else st.get("client", [])

    def serves(self):
        return self.p.poll() is None and self.ctl("clients") is not None

    def logtext(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def kill9(self):
        kill(self.p)


def negotiated(d, peer_uid, n=None, client=None):
    s = d.sessions() if client is None else (d.ctl("sessions", str(client)) or {}).get("session")
    return bool(s) and all(x["result"] in DONE and x.get("peer-unique-id") == peer_uid
                           for x in s) and (n is None or len(s) == n)


def down(d, client=None):
    s = d.sessions() if client is None else (d.ctl("sessions", str(client)) or {}).get("session", [])
    return s is not None and not any(x["result"] in DONE for x in s)


def report_of(active, standby):
    r = subprocess.run([os.path.join(BIN, "issuctl"), "check", "--active", active,
                        "--standby", standby, "--json"], capture_output=True, text=True, env=env)
    check(r.returncode in (0, 1, 2), "issuctl check %s: %s" % (os.path.basename(standby),
                                                               r.stderr.strip()))
    return json.loads(r.stdout)["issu-report:upgrade-report"]


def same_results(a, b, act_img, stb_img, what):
    """a: the active (uid 4) endpoint, b: the standby (uid 7)."""
    rep = report_of(act_img, stb_img)
    sa, sb = a.sessions() or [], b.sessions() or []
    want = {s["session-id"]: s for s in rep["session"]}
    got = {s["session-id"]: s for s in sa}
    diff = [k for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
    for k in diff[:4]:
        print("  sid %s: issud %r\n          check %r" % (k, got.get(k), want.get(k)))
    check(sa and not diff, "%s: the active's %d sessions equal issuctl check's" % (what, len(sa)))
    bsid = {s["session-id"]: s for s in sb}
    bad = []
    for s in sa:
        t = bsid.get(s["peer-session-id"])
        if not t or t["peer-session-id"] != s["session-id"] or t["result"] != s["result"] or \
                t["raw-result"] != s["raw-result"] or t.get("reason") != s.get("reason") or \
                t["client-id"] != s["client-id"] or \
                t.get("negotiated-version") != s.get("negotiated-version") or \
                t["transport-mtu"] != s["transport-mtu"]:
            bad.append((s, t))
    for s, t in bad[:3]:
        print("  active %r\n  standby %r" % (s, t))
    check(len(sb) == len(sa) and not bad,
          "%s: the standby shows the same %d results, sids swapped as Peer Sid" % (what, len(sb)))
    check(all(s["peer-unique-id"] == 7 and s["role"] == "primary" for s in sa) and
          all(s["peer-unique-id"] == 4 and s["role"] == "passive" for s in sb),
          "%s: Peer UniqueID 7 / 4, roles PRIMARY / PASSIVE" % what)
    ca = {c["id"]: (c["result"], c["effective-result"]) for c in a.clients() or []}
    cb = {c["id"]: (c["result"], c["effective-result"]) for c in b.clients() or []}
    check(ca and ca == cb, "%s: both comp-matrices agree (%d clients)" % (what, len(ca)))
    return rep


def gen_image(path, name, clients, ents, vmax):
    img = {"issu-manifest:image": {"name": name, "version": "1", "client": [{
        "id": 10000 + c, "name": "gen client %d" % c,
        "message-group": [{"id": 1, "message-type": [
            {"id": t, "version": [{"number": v, "mtu": 100 + t} for v in range(1, vmax + 1)]}
            for t in (1, 2, 3)]}],
        "capability-group": [{"id": 1, "capability-type": [{"id": 0, "entry": [1, 2]}]}],
        "entity": [{"id": e + 1, "session-name": "gen %d/%d" % (c, e + 1),
                    "message-group": 1, "capability-group": 1} for e in range(ents)],
    } for c in range(clients)]}}
    with open(path, "w") as f:
        json.dump(img, f)


# ---- a scripted peer speaking auth.h's handshake and secure frames ----

class Raw:
    def __init__(self, port, host="127.0.0.1"):
        self.s = socket.create_connection((host, port), timeout=5)
        self.seq = 0
        self.key = None

    def auth(self, key, version=2):
        ni = os.urandom(32)
        self.s.sendall(b"ISSA" + bytes([version, 0, 0, 0]) + ni)
        h = self.recvn(40)
        if not h or h[:4] != b"ISSA":
            return False
        nr = h[8:40]
        self.s.sendall(hmac.new(key, b"issu-auth v2" + b"initiator" + ni + nr,
                                hashlib.sha256).digest())
        pr = self.recvn(32)
        if pr != hmac.new(key, b"issu-auth v2" + b"responder" + ni + nr, hashlib.sha256).digest():
            return False
        # we are the initiator: we seal with K_i2r
        self.key = AESGCM(hmac.new(key, b"issu-key v2" + b"i2r" + ni + nr, hashlib.sha256).digest())
        return True

    def frame(self, payload, length=None, good_mac=True):
        """One AES-256-GCM frame i2r: iv = 0 | 0 0 0 | u64 seq, aad = the length."""
        ln = struct.pack(">I", len(payload) if length is None else length)
        ct = self.key.encrypt(b"\x00\x00\x00\x00" + struct.pack(">Q", self.seq), payload, ln)
        self.seq += 1
        if not good_mac:
            ct = ct[:-16] + bytes(16)
        self.s.sendall(ln + ct)

    def recvn(self, n):
        b = b""
        try:
            while len(b) < n:
                c = self.s.recv(n - len(b))
                if not c:
                    return b
                b += c
        except OSError:
            pass
        return b

    def closed_by_peer(self, secs):
        """True when the other end closes the connection within secs."""
        self.s.settimeout(secs)
        end = time.time() + secs
        try:
            while time.time() < end:
                if not self.s.recv(65536):
                    return True
        except (socket.timeout, ConnectionResetError):
            return False if time.time() >= end else True
        except OSError:
            return True
        return False

    def close(self):
        self.s.close()


PROTO = 2  # ISSU_PROTO_VERSION (agent/core/codec.h)


def codec(proto, mtype, payload):
    return b"IS" + bytes([proto, mtype]) + struct.pack(">I", len(payload)) + payload


def new_log(d, mark):
    return d.logtext()[mark:]


def warned(d, mark, addr="127.0.0.1"):
    """A new WARN/ERROR line naming addr since mark."""
    return any(addr in l and (" WARN:" in l or " ERROR:" in l)
               for l in new_log(d, mark).splitlines())


# ---- the faces' notifications: NETCONF over SSH and snmpd -> snmptrapd ----

IA = "urn:issu-agent:yang:issu-agent"
VERDICT = {"compatible": 1, "base-level-compatible": 2, "incompatible": 3, "unknown": 4}


class Faces:
    """A private snmptrapd, a private snmpd sending it traps (own config and
    persistent dir under tmp/faces) and SSH keys for issud --netconf-ssh."""

    def __init__(self):
        d = self.dir = os.path.join(tmp, "faces")
        os.makedirs(os.path.join(d, "persist"))
        self.env = dict(env, SNMPCONFPATH=d, SNMP_PERSISTENT_DIR=os.path.join(d, "persist"))
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C",
                        "tester@test", "-f", os.path.join(d, "client")], check=True)
        shutil.copy(os.path.join(d, "client.pub"), os.path.join(d, "authorized_keys"))
        self.ssh_port = free_port()
        tport, aport = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
        self.agent = "udp:127.0.0.1:%d" % aport
        self.sock = os.path.join(d, "agentx")
        self.trapf = os.path.join(tmp, "faces-snmptrapd.log")
        with open(os.path.join(d, "snmptrapd.conf"), "w") as f:
            f.write("disableAuthorization yes\n")
        with open(os.path.join(d, "snmpd.conf"), "w") as f:
            f.write("agentAddress %s\nmaster agentx\nagentXSocket %s\nagentXPerms 0600 0700\n"
                    "rocommunity issupublic 127.0.0.1 %s\ntrap2sink 127.0.0.1:%d issupublic\n"
                    % (self.agent, self.sock, ROOT, tport))
        for args, log in (
                (["snmptrapd", "-f", "-Lo", "-C", "-c", os.path.join(d, "snmptrapd.conf"), "-p",
                  os.path.join(d, "snmptrapd.pid")] + MIBOPTS + ["udp:127.0.0.1:%d" % tport],
                 self.trapf),
                (["snmpd", "-f", "-Lo", "-C", "-c", os.path.join(d, "snmpd.conf"), "-p",
                  os.path.join(d, "snmpd.pid")], os.path.join(tmp, "faces-snmpd.log"))):
            procs.append(subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                                          env=self.env, cwd=d))
        self.up = wait_for(lambda: os.path.exists(self.sock), 15)

    def issud_args(self):
        return ["--netconf-ssh", "127.0.0.1:%d" % self.ssh_port,
                "--ssh-host-key", os.path.join(self.dir, "host.pem"),
                "--ssh-authorized-keys", os.path.join(self.dir, "authorized_keys"),
                "--agentx", self.sock]

    def subscribe(self):
        from ncclient import manager
        m = manager.connect(host="127.0.0.1", port=self.ssh_port, username="tester",
                            key_filename=os.path.join(self.dir, "client"), hostkey_verify=False,
                            allow_agent=False, look_for_keys=False, timeout=30)
        m.create_subscription()
        return m

    @staticmethod
    def take_verdict(m, want, secs):
        """The (old-verdict, verdict) of the first verdict-changed to want
        within secs, and every verdict-changed seen."""
        from lxml import etree
        seen = []
        end = time.time() + secs
        while time.time() < end:
            n = m.take_notification(timeout=max(0.1, end - time.time()))
            if n is None:
                continue
            root = etree.fromstring(n.notification_xml.encode())
            for name in ("peer-state-changed", "session-result-changed", "verdict-changed"):
                e = root.find(".//{%s}%s" % (IA, name))
                if e is not None:
                    Faces.got.append((name, e))
            ev = root.find(".//{%s}verdict-changed" % IA)
            if ev is None:
                continue
            got = (ev.findtext("{%s}old-verdict" % IA), ev.findtext("{%s}verdict" % IA))
            seen.append(got)
            if got[1] == want:
                return got, seen
        return None, seen

    got = []  # (notification name, element) of every NETCONF notification taken

    def trap_names(self):
        """(notification, issuPeerState.0, issuEventReason.0) of every trap snmptrapd logged."""
        with open(self.trapf, errors="replace") as f:
            text = f.read()
        out = []
        for line in text.splitlines():
            m = re.search(r"ISSU-NEGOTIATION-MIB::(issu\w+Changed)\t", line)
            if m:
                st = re.search(r"issuPeerState\.0 = INTEGER: (?:[\w-]+\()?(\d+)", line)
                why = re.search(r"issuEventReason\.0 = STRING: \"?([^\t\"]*)", line)
                out.append((m.group(1), int(st.group(1)) if st else None,
                            why.group(1) if why else None))
        return out

    def trap_verdicts(self):
        """issuImageVerdict.0 of every issuImageVerdictChanged snmptrapd logged, in order
        (one trap's varbinds are one tab-separated line; snmpTrapOID.0 itself
        shows numerically: only ISSU-NEGOTIATION-MIB is loaded)."""
        with open(self.trapf, errors="replace") as f:
            text = f.read()
        return [int(v) for v in re.findall(
            r"OID: ISSU-NEGOTIATION-MIB::issuImageVerdictChanged\t[^\n]*?"
            r"issuImageVerdict\.0 = INTEGER: (?:[\w-]+\()?(\d+)", text)]


# ---------------------------------------------------------------- scenarios

def t_pair(key, faces=None):
    act = os.path.join(IMAGES, "running.json")
    stb = os.path.join(IMAGES, "upgrade-compatible.json")
    port = free_port()
    a = Issud(4, act, "active", key, listen="127.0.0.1:%d" % port, tag="active",
              extra=faces.issud_args() if faces else ())
    if not check(a.up, "active issud --listen 127.0.0.1:%d serves NETCONF" % port):
        return None, None, port
    b = Issud(7, stb, "standby", key, peer="127.0.0.1:%d" % port, tag="standby")
    check(b.up, "standby issud --peer 127.0.0.1:%d serves NETCONF" % port)
    ok = wait_for(lambda: negotiated(a, 7) and negotiated(b, 4), 20, 0.3)
    if check(ok, "both sides negotiated over TCP"):
        same_results(a, b, act, stb, "loopback")
    return a, b, port


def t_ipv6(key):
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        port = s.getsockname()[1]
        s.close()
    except OSError as e:
        print("SKIP: IPv6 loopback unavailable: %s" % e)
        return
    act = os.path.join(IMAGES, "running.json")
    stb = os.path.join(IMAGES, "upgrade-compatible.json")
    a = Issud(4, act, "active", key, listen="[::1]:%d" % port, tag="v6-active")
    b = Issud(7, stb, "standby", key, peer="[::1]:%d" % port, tag="v6-standby")
    if check(wait_for(lambda: negotiated(a, 7) and negotiated(b, 4), 20, 0.3),
             "IPv6: [::1]:%d pair negotiated" % port):
        same_results(a, b, act, stb, "IPv6")
    a.kill9()
    b.kill9()


def t_wrong_key(key, bad):
    port = free_port()
    a = Issud(4, os.path.join(IMAGES, "running.json"), "active", key,
              listen="127.0.0.1:%d" % port, tag="wk-active")
    b = Issud(7, os.path.join(IMAGES, "upgrade-compatible.json"), "standby", bad,
              peer="127.0.0.1:%d" % port, tag="wk-standby")
    if not check(a.up and b.up, "wrong-key pair started"):
        return
    logged = wait_for(lambda: warned(a, 0) and
                      ("key" in a.logtext().lower() or "auth" in a.logtext().lower()), 15, 0.3)
    check(logged, "the listener logs the refused peer with its address")
    time.sleep(1)
    check(down(a) and down(b), "wrong key: no session negotiated on either side")
    check(a.serves() and b.serves(), "both still serve NETCONF after the refusal")
    print("  listener log: " + " | ".join(l for l in a.logtext().splitlines()
                                          if "127.0.0.1" in l)[:400])
    a.kill9()
    b.kill9()


def t_duplicate_id(key):
    """Two endpoints with the same unique id: one clear error each, no
    misleading "out of protocol order", and `show issu state` says why there
    is no verdict (issue 18 item 10)."""
    port = free_port()
    a = Issud(4, os.path.join(IMAGES, "running.json"), "active", key,
              listen="127.0.0.1:%d" % port, tag="dup-active")
    b = Issud(4, os.path.join(IMAGES, "upgrade-compatible.json"), "standby", key,
              peer="127.0.0.1:%d" % port, tag="dup-standby")
    if not check(a.up and b.up, "same-id pair started"):
        return
    why = "has the same unique id 4 as this endpoint"
    check(wait_for(lambda: why in a.logtext() and why in b.logtext(), 15, 0.3),
          "both sides log that the peer has their unique id")
    check("protocol order" not in a.logtext() + b.logtext(),
          "no 'message out of protocol order' in either log")

    def state_says():
        r = subprocess.run([os.path.join(BIN, "issuctl"), "--socket", a.sock, "show", "issu", "state"],
                           capture_output=True, text=True, env=env, timeout=60)
        # exit 5: no verdict (issue 11: state exits by the verdict, as check does)
        return r.returncode == 5 and "Image Verdict = UNKNOWN" in r.stdout and why in r.stdout
    check(wait_for(state_says, 15, 0.3), "show issu state: verdict UNKNOWN with the reason, exit 5")
    check(down(a) and down(b), "same id: no session negotiated on either side")
    a.kill9()
    b.kill9()


def t_loss_return(a, b, port, key, faces=None):
    act = os.path.join(IMAGES, "running.json")
    base = os.path.join(IMAGES, "upgrade-base-level.json")
    m = None
    if faces:  # subscribed on the active before the loss; the traps so far
        try:
            m = faces.subscribe()
        except Exception as e:
            check(False, "ncclient over SSH to the active: create-subscription: %r" % e)
        ntraps = len(faces.trap_verdicts())
        nnames = len(faces.trap_names())
        Faces.got = []
    # standby killed: the active shows its sessions down, then the return
    b.kill9()
    t0 = time.time()
    if m:
        got, seen = faces.take_verdict(m, "unknown", 20)
        check(got and got[0] == "compatible",
              "NETCONF: verdict-changed compatible -> unknown %.1f s after kill -9 of the "
              "standby (seen %s)" % (time.time() - t0, seen))
    if faces:
        tv = lambda: faces.trap_verdicts()[ntraps:]
        check(wait_for(lambda: VERDICT["unknown"] in tv(), 20, 0.3),
              "SNMP: snmptrapd logged issuImageVerdictChanged with issuImageVerdict unknown(4) "
              "(new traps' verdicts %s)" % tv())
        names = [g[0] for g in Faces.got]
        pe = [g[1] for g in Faces.got if g[0] == "peer-state-changed"]
        check(m is None or (names == ["peer-state-changed", "verdict-changed"] and
                            pe[0].findtext("{%s}old-peer-state" % IA) == "up" and
                            pe[0].findtext("{%s}peer-state" % IA) == "down" and
                            pe[0].findtext("{%s}peer-unique-id" % IA) == "7" and
                            "peer 7 " in pe[0].findtext("{%s}reason" % IA) and
                            " lost" in pe[0].findtext("{%s}reason" % IA)),
              "NETCONF: the loss is peer-state-changed up -> down (peer 7, with its reason), then "
              "verdict-changed, no session event (%s)" % names)
        tn = faces.trap_names()[nnames:]
        check([t[0] for t in tn] == ["issuPeerStateChanged", "issuImageVerdictChanged"] and
              tn[0][1] == 1 and " lost" in (tn[0][2] or "") and all(t[2] for t in tn),
              "SNMP: the loss is issuPeerStateChanged (issuPeerState down(1), with its reason), "
              "then issuImageVerdictChanged, no session trap (%s)" % tn)
        nnames += len(tn)
        Faces.got = []
    check(wait_for(lambda: down(a), 20, 0.3), "kill -9 standby: the active shows sessions down")
    check(a.serves(), "the active keeps serving without a peer")
    b = Issud(7, base, "standby", key, peer="127.0.0.1:%d" % port, tag="standby-base")
    if faces:
        want = report_of(act, base)["verdict"]
        t0 = time.time()
        if m:
            got, seen = faces.take_verdict(m, want, 30)
            check(got and got[0] == "unknown",
                  "NETCONF: verdict-changed unknown -> %s %.1f s after the standby's return "
                  "(seen %s)" % (want, time.time() - t0, seen))
        def back():  # the new verdict after the unknown
            t = tv()
            return VERDICT["unknown"] in t and VERDICT[want] in t[t.index(VERDICT["unknown"]) + 1:]
        check(wait_for(back, 30, 0.3),
              "SNMP: a second issuImageVerdictChanged, issuImageVerdict %s(%d) (new traps' "
              "verdicts %s)" % (want, VERDICT[want], tv()))
        names = [g[0] for g in Faces.got]
        pe = [g[1] for g in Faces.got if g[0] == "peer-state-changed"]
        check(m is None or (names == ["peer-state-changed", "verdict-changed"] and
                            pe[0].findtext("{%s}peer-state" % IA) == "up" and
                            pe[0].findtext("{%s}peer-image-name" % IA) ==
                            json.load(open(base))["issu-manifest:image"]["name"]),
              "NETCONF: the return is peer-state-changed -> up (the new image), then "
              "verdict-changed, no session event although results changed (%s)" % names)
        tn = faces.trap_names()[nnames:]
        check([t[0] for t in tn] == ["issuPeerStateChanged", "issuImageVerdictChanged"] and
              tn[0][1] == 3 and all(t[2] for t in tn),
              "SNMP: the return is issuPeerStateChanged (up(3)) then issuImageVerdictChanged, "
              "no session trap (%s)" % tn)
        if m:
            try:
                m.close_session()
            except Exception:
                pass
    ok = wait_for(lambda: negotiated(a, 7) and negotiated(b, 4), 20, 0.3)
    if check(ok, "the standby returns with upgrade-base-level.json: renegotiated"):
        rep = same_results(a, b, act, base, "after return with another image")
        rep0 = report_of(act, os.path.join(IMAGES, "upgrade-compatible.json"))
        r0 = {s["session-id"]: s["result"] for s in rep0["session"]}
        r1 = {s["session-id"]: s["result"] for s in rep["session"]}
        check(r0 != r1 or rep0["verdict"] != rep["verdict"],
              "the results changed with the other image (verdict %s -> %s)"
              % (rep0["verdict"], rep["verdict"]))
    # active killed: the standby shows down; the active returns
    a.kill9()
    check(wait_for(lambda: down(b), 20, 0.3), "kill -9 active: the standby shows sessions down")
    check(b.serves(), "the standby keeps serving without a peer")
    a = Issud(4, act, "active", key, listen="127.0.0.1:%d" % port, tag="active-2")
    ok = wait_for(lambda: negotiated(a, 7) and negotiated(b, 4), 30, 0.3)
    if check(ok, "the active returns: the standby reconnects and renegotiates"):
        same_results(a, b, act, base, "after the active's return")
    return a, b


def t_mid_negotiation(key):
    big_a = os.path.join(tmp, "big-active.json")
    big_s = os.path.join(tmp, "big-standby.json")
    gen_image(big_a, "big-running", 2000, 10, 2)
    gen_image(big_s, "big-candidate", 2000, 10, 3)
    n = 20000
    last = 10000 + n // 10 - 1
    for victim in ("active", "standby"):
        port = free_port()
        a = Issud(4, big_a, "active", key, listen="127.0.0.1:%d" % port, tag="big-a-" + victim)
        b = Issud(7, big_s, "standby", key, peer="127.0.0.1:%d" % port, tag="big-s-" + victim)
        if not check(a.up and b.up, "20,000-session pair started (%s to be killed)" % victim):
            a.kill9()
            b.kill9()
            continue
        v, s = (a, b) if victim == "active" else (b, a)
        # The survivor is frozen the moment it logs the handshake done, the
        # victim killed while its requests/answers are in flight, the
        # survivor thawed: it loses its peer mid-negotiation, for sure.
        authed = wait_for(lambda: "authenticated" in s.logtext(), 30, 0.001)
        os.kill(s.p.pid, signal.SIGSTOP)
        mark = len(s.logtext())
        v.kill9()
        os.kill(s.p.pid, signal.SIGCONT)
        check(authed, "the survivor was frozen right after authenticating, the %s killed" % victim)
        check(wait_for(lambda: "dropped" in new_log(s, mark) or "lost" in new_log(s, mark), 20),
              "the survivor logs the loss: %s" % matching(s, mark))
        # A round's results publish in one snapshot: the last client's
        # sessions stand for all (reading 20,000 through NETCONF is slow).
        check(wait_for(lambda: down(s, last), 20, 0.3),
              "kill -9 of the %s mid-negotiation: the survivor shows down" % victim)
        check(s.serves(), "the survivor keeps serving")
        if victim == "active":
            v = Issud(4, big_a, "active", key, listen="127.0.0.1:%d" % port, tag="big-a-back")
            a = v
        else:
            v = Issud(7, big_s, "standby", key, peer="127.0.0.1:%d" % port, tag="big-s-back")
            b = v
        ok = wait_for(lambda: negotiated(a, 7, 10, last) and negotiated(b, 4, 10, last), 60, 0.5)
        cm = [a.clients(), b.clients()]
        check(ok and all(c and len(c) == n // 10 and all(x["result"] == "compatible" for x in c)
                         for c in cm),
              "the %s returns: all %d sessions (%d clients) negotiated on both sides"
              % (victim, n, n // 10))
        a.kill9()
        b.kill9()


def slow_loris(port, secs=40):
    """One byte of an auth hello a second; returns (dropped, seconds)."""
    r = Raw(port)
    t0 = time.time()
    dropped = False
    hello = b"ISSA\x02\x00\x00\x00" + os.urandom(32)
    for i in range(secs):
        try:
            r.s.sendall(hello[i % len(hello):i % len(hello) + 1])
        except OSError:
            dropped = True
            break
        time.sleep(1)
        r.s.settimeout(0.01)
        try:
            if r.s.recv(4096) == b"":
                dropped = True
                break
        except socket.timeout:
            pass
        except OSError:
            dropped = True
            break
    r.close()
    return dropped, time.time() - t0


def matching(d, mark, addr="127.0.0.1"):
    return " | ".join(l.split(" ", 2)[-1] for l in new_log(d, mark).splitlines()
                      if addr in l and (" WARN:" in l or " ERROR:" in l or " NOTICE:" in l))[:300]


def t_hostile_unpeered(keyfile, key, keyb):
    port = free_port()
    h = Issud(4, os.path.join(IMAGES, "running.json"), "active", keyfile,
              listen="127.0.0.1:%d" % port, tag="hostile")
    if not check(h.up, "listener for hostile input started"):
        return
    # before the handshake
    for what, data in (("garbage before the handshake", os.urandom(300)),
                       ("a wrong auth protocol version", b"ISSA\x09\x00\x00\x00" + os.urandom(32)),
                       ("a version 1 peer (HMAC'd frames)", b"ISSA\x01\x00\x00\x00" + os.urandom(32)),
                       ("an auth hello claiming the listener's role",
                        b"ISSA\x02\x01\x00\x00" + os.urandom(32))):
        mark = len(h.logtext())
        r = Raw(port)
        r.s.sendall(data)
        check(r.closed_by_peer(10), "unpeered, %s: issud drops the connection" % what)
        r.close()
        check(h.serves(), "unpeered, %s: issud still serves" % what)
        check(wait_for(lambda: warned(h, mark), 5),
              "unpeered, %s: logged: %s" % (what, matching(h, mark)))
    mark = len(h.logtext())
    dropped, secs = slow_loris(port, 20)
    check(dropped and secs < 15, "unpeered slow-loris dropped after %.0f s (auth deadline)" % secs)
    check(h.serves(), "unpeered slow-loris: issud still serves")
    check(wait_for(lambda: warned(h, mark), 5), "unpeered slow-loris: logged: %s"
          % matching(h, mark))
    # after the handshake: the codec and the secure frames themselves
    hello = codec(PROTO, 1, struct.pack(">IBI", 9, 2, 4096) + struct.pack(">H", 3) + b"bad" +
                  struct.pack(">H", 1) + b"1")
    cases = [
        ("garbage codec bytes", lambda r: r.frame(os.urandom(512))),
        ("a truncated codec frame, then close", lambda r: r.frame(codec(PROTO, 1, b"x" * 100)[:20])),
        ("an oversized codec length", lambda r: r.frame(b"IS" + bytes([PROTO, 2]) + b"\xff\xff\xff\xff")),
        ("a wrong protocol version", lambda r: r.frame(b"IS\x63" + hello[3:])),
        ("a secure frame with a bad tag (injection)", lambda r: r.frame(hello, good_mac=False)),
        ("an oversized secure frame length", lambda r: r.frame(b"", length=0x7fffffff)),
    ]
    for what, send in cases:
        mark = len(h.logtext())
        r = Raw(port)
        authed = r.auth(key)
        if not check(authed, "scripted peer authenticates with the right key (%s)" % what):
            r.close()
            continue
        send(r)
        if "truncated" in what:
            r.close()
            closed = True
        else:
            closed = r.closed_by_peer(10)
            r.close()
        check(closed, "%s: issud drops the connection" % what)
        check(h.serves(), "%s: issud still serves" % what)
        logged = wait_for(lambda: warned(h, mark) or ("truncated" in what and
                                                     "127.0.0.1" in new_log(h, mark)), 5)
        check(logged, "%s: logged with the address: %s" % (what, matching(h, mark)))
        # our AES-256-GCM frames open in issud (so the codec refused them), except the forged one
        forged = "bad tag" in what
        check(("integrity check failed" in new_log(h, mark)) == forged,
              "%s: %s" % (what, "refused by its tag" if forged else "the frame itself was authentic"))
        check(down(h), "%s: nothing it sent made a session" % what)
    # the wrong key from a scripted peer
    mark = len(h.logtext())
    r = Raw(port)
    check(not r.auth(keyb), "scripted peer with the wrong key gets no proof back")
    r.close()
    check(wait_for(lambda: warned(h, mark), 5), "wrong key logged with the address")
    # and then a real peer still works
    b = Issud(7, os.path.join(IMAGES, "upgrade-compatible.json"), "standby", keyfile,
              peer="127.0.0.1:%d" % port, tag="hostile-standby")
    check(wait_for(lambda: negotiated(h, 7) and negotiated(b, 4), 20, 0.3),
          "after the hostile input a real peer negotiates")
    h.kill9()
    b.kill9()


def t_hostile_peered(a, b, port, key):
    base = {s["session-id"]: s["result"] for s in a.sessions() or []}
    intact = lambda: {s["session-id"]: s["result"] for s in a.sessions() or []} == base \
        and negotiated(b, 4)

    def after(what, mark):
        check(a.serves() and b.serves(), "%s: both still serve" % what)
        check(wait_for(intact, 20, 0.3), "%s: the peering is intact or recovered" % what)
        check(wait_for(lambda: warned(a, mark), 5), "%s: logged: %s" % (what, matching(a, mark)))

    for what, data in (("garbage before the handshake", os.urandom(300)),
                       ("a wrong auth protocol version", b"ISSA\x09\x00\x00\x00" + os.urandom(32)),
                       ("an oversized/unknown preamble", b"\xff" * 4 + b"\x00" * 60)):
        mark = len(a.logtext())
        r = Raw(port)
        r.s.sendall(data)
        check(r.closed_by_peer(10), "while peered, %s: issud drops the connection" % what)
        r.close()
        after("while peered, " + what, mark)

    # slow loris while peered: must not hold anything up
    mark = len(a.logtext())
    dropped, secs = slow_loris(port, 20)
    check(dropped, "while peered, a slow-loris connection is dropped (after %.0f s)" % secs)
    after("while peered, slow-loris", mark)

    # a second peer while one is connected: a scripted one with the right key
    mark = len(a.logtext())
    r = Raw(port)
    ok = r.auth(open(key, "rb").read().rstrip(b"\n"))
    if ok:
        r.frame(codec(PROTO, 1, os.urandom(30)))
    check(r.closed_by_peer(10), "a second scripted peer (authenticated: %s) is dropped" % ok)
    r.close()
    after("a second scripted peer", mark)
    # a second peer: a real issud with another unique id
    mark = len(a.logtext())
    c = Issud(9, os.path.join(IMAGES, "upgrade-compatible.json"), "standby", key,
              peer="127.0.0.1:%d" % port, tag="second-peer")
    time.sleep(3)
    check(c.p.poll() is None, "the second issud keeps running (it retries with backoff)")
    check(down(c), "the second issud got no session")
    after("a second issud peer", mark)
    c.kill9()


# Strangers without the key who reconnect the moment they are dropped: N
# non-blocking connections from SRC, half sending a well-formed auth hello
# (then nothing: as pending as a stranger can stay), half sending nothing.
# Ends after SECS or when the file STOP exists; prints "connects drops".
ATTACKER = r"""
import os, selectors, socket, sys, time
port, secs, n, src, stop = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
sel = selectors.DefaultSelector()
connects = drops = 0
def start(i):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((src, 0))
    s.connect_ex(("127.0.0.1", port))
    sel.register(s, selectors.EVENT_WRITE, [i, False])
for i in range(n):
    start(i)
end = time.time() + secs
while time.time() < end and not os.path.exists(stop):
    for key, ev in sel.select(0.05):
        s, data = key.fileobj, key.data
        if not data[1]:
            sel.unregister(s)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                s.close()
                start(data[0])
                continue
            connects += 1
            data[1] = True
            if data[0] % 2:
                try:
                    s.send(b"ISSA\x02\x00\x00\x00" + os.urandom(32))
                except OSError:
                    pass
            sel.register(s, selectors.EVENT_READ, data)
            continue
        try:
            d = s.recv(4096)
        except OSError:
            d = b""
        if not d:
            drops += 1
            sel.unregister(s)
            s.close()
            start(data[0])
print(connects, drops, flush=True)
"""


def attack(port, secs, n, src="127.0.0.1"):
    """Start the attacker process; returns (process, stop file)."""
    stop = os.path.join(tmp, "attack-stop-%d" % port)
    p = subprocess.Popen(["/usr/bin/python3", "-c", ATTACKER, str(port), str(secs), str(n), src, stop],
                         stdout=subprocess.PIPE, text=True)
    procs.append(p)
    return p, stop


def attack_end(p, stop):
    """Stop the attacker; its (connects, drops)."""
    open(stop, "w").close()
    try:
        out = p.communicate(timeout=30)[0].split()
        return int(out[0]), int(out[1])
    except (subprocess.TimeoutExpired, IndexError, ValueError):
        kill(p)
        return 0, 0


def stranger_lines(d, mark):
    """Log lines about connections that never authenticated."""
    return [l for l in new_log(d, mark).splitlines()
            if "127.0.0." in l and ("connection dropped" in l or "refused" in l) and
            "authenticated" not in l]


def t_lockout(key):
    """Issue 10 item 3: strangers who reconnect as soon as they are dropped,
    more of them than the listener authenticates at once, while the standby
    is killed and restarted: the real peer is back within seconds and the
    listener's log stays bounded."""
    act = os.path.join(IMAGES, "running.json")
    stb = os.path.join(IMAGES, "upgrade-compatible.json")
    port = free_port()
    a = Issud(4, act, "active", key, listen="127.0.0.1:%d" % port, tag="lockout-a")
    b = Issud(7, stb, "standby", key, peer="127.0.0.1:%d" % port, tag="lockout-s")
    if not check(wait_for(lambda: negotiated(a, 7) and negotiated(b, 4), 20, 0.3),
                 "lockout: the pair negotiated before the attack"):
        a.kill9()
        b.kill9()
        return
    check("up to 32 connections authenticating at once, 5000 ms each" in a.logtext(),
          "lockout: the listener's defaults are logged (--peer-pending-max 32, --peer-auth-timeout 5)")
    mark = len(a.logtext())
    n = 96  # three times the default --peer-pending-max
    t_att = time.time()
    att, stop = attack(port, 60, n)
    time.sleep(1.5)
    check(negotiated(a, 7) and negotiated(b, 4) and att.poll() is None,
          "lockout: %d strangers reconnecting, the link stays up" % n)
    b.kill9()
    check(wait_for(lambda: down(a), 10, 0.2), "lockout: kill -9 of the standby: the active shows down")
    time.sleep(1.5)  # the strangers take every slot the link left
    t0 = time.time()
    b = Issud(7, stb, "standby", key, peer="127.0.0.1:%d" % port, tag="lockout-s2")
    ok = wait_for(lambda: negotiated(a, 7) and negotiated(b, 4), 20, 0.2)
    dt = time.time() - t0
    check(ok and dt < 10, "lockout: the restarted standby authenticated and negotiated in %.1f s "
          "(started, connected and negotiated) while the strangers reconnect" % dt)
    time.sleep(1.5)
    check(negotiated(a, 7) and negotiated(b, 4), "lockout: the link stays up under the attack")
    connects, drops = attack_end(att, stop)
    secs = time.time() - t_att
    time.sleep(ISSU_LOG_INTERVAL + 0.5)  # the last suppressed count is told
    lines = stranger_lines(a, mark)
    print("  %d stranger connections (%d dropped) in %.1f s; %d log lines about them:" %
          (connects, drops, secs, len(lines)))
    for l in lines[:12]:
        print("    " + l[:220])
    check(connects > 500, "lockout: the attacker kept reconnecting (%d connections)" % connects)
    # one line per reason per second at most, each with the count not logged
    check(len(lines) <= 6 * (secs + 2) and len(lines) * 20 < connects,
          "lockout: %d log lines for %d refused or dropped connections in %.0f s"
          % (len(lines), connects, secs))
    check(any("more like this" in l for l in lines), "lockout: the rate-limited lines tell how many "
          "were not logged")
    authed = [l for l in new_log(a, mark).splitlines() if ": authenticated" in l]
    check(len(authed) == 1 and "pending connection" in authed[0],
          "lockout: only the restarted standby authenticated (the strangers never did): %s"
          % " | ".join(l.split(" ", 2)[-1] for l in authed))
    check(a.serves() and b.serves(), "lockout: both still serve")
    a.kill9()
    b.kill9()
    for extra, why in ((["--listen", "127.0.0.1:0", "--peer-pending-max", "0"], "pending max 0"),
                       (["--listen", "127.0.0.1:0", "--peer-pending-max", "1025"], "pending max 1025"),
                       (["--listen", "127.0.0.1:0", "--peer-auth-timeout", "301"], "auth timeout 301 s"),
                       (["--listen", "127.0.0.1:0", "--peer-auth-timeout", "5s"], "auth timeout 5s"),
                       (["--peer", "127.0.0.1:9", "--peer-pending-max", "4"], "pending max without --listen")):
        r = subprocess.run([os.path.join(BIN, "issud"), "--manifest", act, "--unique-id", "4",
                            "--psk-file", key] + extra, capture_output=True, text=True, env=env,
                           timeout=20)
        check(r.returncode == 2 and "--peer-" in r.stderr,
              "issud %s: usage error (%d): %s" % (why, r.returncode, r.stderr.strip()[:100]))


def snmpd_start():
    os.makedirs(env["SNMP_PERSISTENT_DIR"], exist_ok=True)
    port = free_port(socket.SOCK_DGRAM)
    agent = "udp:127.0.0.1:%d" % port
    sock = os.path.join(tmp, "agentx")
    conf = os.path.join(tmp, "snmpd.conf")
    with open(conf, "w") as f:
        f.write("agentAddress %s\nmaster agentx\nagentXSocket %s\nagentXPerms 0600 0700\n"
                "rocommunity issupublic 127.0.0.1 %s\n" % (agent, sock, ROOT))
    p = subprocess.Popen(["snmpd", "-f", "-Lo", "-C", "-c", conf, "-p",
                          os.path.join(tmp, "snmpd.pid")],
                         stdout=open(os.path.join(tmp, "snmpd.log"), "w"),
                         stderr=subprocess.STDOUT, env=env, cwd=tmp)
    procs.append(p)
    return agent, sock if wait_for(lambda: os.path.exists(sock), 10) else None


def get1(agent, obj):
    r = subprocess.run(["snmpget"] + V2C + MIBOPTS + ["-t", "2", "-r", "1", "-OQvU", "-Oe", agent,
                                                      obj], capture_output=True, text=True,
                       env=env, timeout=20)
    return r.stdout.strip().strip('"') if r.returncode == 0 else None


def t_snmp(key):
    agent, sock = snmpd_start()
    if not check(sock is not None, "private snmpd with an AgentX socket"):
        return
    port = free_port()
    act = os.path.join(IMAGES, "running.json")
    stb = os.path.join(IMAGES, "upgrade-compatible.json")
    a = Issud(4, act, "active", key, listen="127.0.0.1:%d" % port, agentx=sock, tag="snmp-a")
    b = Issud(7, stb, "standby", key, peer="127.0.0.1:%d" % port, tag="snmp-s")
    peer = lambda: get1(agent, "ISSU-NEGOTIATION-MIB::issuPeerState.0")
    res46 = lambda: get1(agent, "ISSU-NEGOTIATION-MIB::issuSessionNegotiatedResult.46")
    check(wait_for(lambda: peer() == "3" and res46() == "1", 20, 0.5),
          "SNMP: issuPeerState up(3), LDP session 46 compatible(1)")
    check(get1(agent, "ISSU-NEGOTIATION-MIB::issuPeerUniqueId.0") == "7", "SNMP: issuPeerUniqueId 7")
    b.kill9()
    check(wait_for(lambda: peer() == "1" and res46() == "3", 20, 0.5),
          "SNMP: after kill -9 of the standby, issuPeerState down(1), session 46 unknown(3)")
    b = Issud(7, stb, "standby", key, peer="127.0.0.1:%d" % port, tag="snmp-s2")
    check(wait_for(lambda: peer() == "3" and res46() == "1", 20, 0.5),
          "SNMP: the standby returns, issuPeerState up(3), session 46 compatible(1) again")
    a.kill9()
    b.kill9()


def sh(*args):
    return subprocess.run(list(args), capture_output=True, text=True)


def t_netns(key):
    tag = "h10p%d" % os.getpid()
    na, nb, va, vb = tag + "a", tag + "b", tag + "va", tag + "vb"
    r = sh("ip", "netns", "add", na)
    if r.returncode != 0:
        print("SKIP: network namespaces: `ip netns add` failed: %s" % r.stderr.strip())
        return
    netns.append(na)
    if sh("ip", "netns", "add", nb).returncode != 0:
        print("SKIP: network namespaces: second `ip netns add` failed")
        return
    netns.append(nb)
    veths.append(va)  # deleted in the finally block if it is still in this namespace
    steps = [["ip", "link", "add", va, "type", "veth", "peer", "name", vb],
             ["ip", "link", "set", va, "netns", na], ["ip", "link", "set", vb, "netns", nb],
             ["ip", "-n", na, "addr", "add", "10.199.0.1/30", "dev", va],
             ["ip", "-n", nb, "addr", "add", "10.199.0.2/30", "dev", vb],
             ["ip", "-n", na, "link", "set", va, "up"], ["ip", "-n", nb, "link", "set", vb, "up"],
             ["ip", "-n", na, "link", "set", "lo", "up"], ["ip", "-n", nb, "link", "set", "lo", "up"]]
    for st in steps:
        r = sh(*st)
        if r.returncode != 0:
            print("SKIP: network namespaces: `%s` failed: %s" % (" ".join(st), r.stderr.strip()))
            return
    act = os.path.join(IMAGES, "running.json")
    stb = os.path.join(IMAGES, "upgrade-compatible.json")
    a = Issud(4, act, "active", key, listen="10.199.0.1:4711", ns=na, tag="ns-active")
    b = Issud(7, stb, "standby", key, peer="10.199.0.1:4711", ns=nb, tag="ns-standby")
    ok = wait_for(lambda: negotiated(a, 7) and negotiated(b, 4), 30, 0.3)
    if check(ok, "netns: active in %s (10.199.0.1) and standby in %s (10.199.0.2) negotiated"
             % (na, nb)):
        same_results(a, b, act, stb, "netns")
        check("10.199.0.2" in a.logtext(), "netns: the active's log names the peer 10.199.0.2")
    # the link goes down: loss; up again: return
    sh("ip", "-n", nb, "link", "set", vb, "down")
    b.kill9()
    check(wait_for(lambda: down(a), 30, 0.3), "netns: standby gone, the active shows down")
    sh("ip", "-n", nb, "link", "set", vb, "up")
    b = Issud(7, stb, "standby", key, peer="10.199.0.1:4711", ns=nb, tag="ns-standby2")
    check(wait_for(lambda: negotiated(a, 7) and negotiated(b, 4), 30, 0.3),
          "netns: the standby returns and renegotiates")
    a.kill9()
    b.kill9()


def main():
    key = psk("psk", os.urandom(32).hex().encode() + b"\n")
    if ONLY:  # e.g. test_peer.py SRC BIN lockout: one scenario while working on it
        for name in ONLY:
            globals()["t_" + name](key)
        return
    bad = psk("psk-wrong", os.urandom(32).hex().encode() + b"\n")
    keyraw = open(key, "rb").read().rstrip(b"\n")
    badraw = open(bad, "rb").read().rstrip(b"\n")
    faces = Faces()
    if not check(faces.up, "private snmpd (trap2sink: a private snmptrapd) for the pair's active"):
        faces = None
    a, b, port = t_pair(key, faces)
    if a is None or not negotiated(a, 7):
        return
    t_hostile_peered(a, b, port, key)
    a, b = t_loss_return(a, b, port, key, faces)
    a.kill9()
    b.kill9()
    t_wrong_key(key, bad)
    t_duplicate_id(key)
    t_ipv6(key)
    t_hostile_unpeered(key, keyraw, badraw)
    t_lockout(key)
    t_snmp(key)
    t_netns(key)
    t_mid_negotiation(key)


try:
    main()
except Exception as e:  # a crash is a failure, with its reason
    import traceback
    traceback.print_exc()
    check(False, "exception: %r" % e)
finally:
    for p in procs:
        kill(p)
    # a sanitized or valgrind-wrapped issud reports into its log
    bad = [f for f in sorted(os.listdir(tmp)) if f.endswith(".log") and any(
        m in open(os.path.join(tmp, f), errors="replace").read()
        for m in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                  "Invalid read", "Invalid write"))]
    check(not bad, "no sanitizer/valgrind report in the issud logs %s" % bad)
    for ns in netns:  # deleting a namespace deletes its end of the veth, and so the pair
        sh("ip", "netns", "del", ns)
    for v in veths:  # a veth that never left this namespace (a step failed)
        if sh("ip", "link", "show", v).returncode == 0:
            sh("ip", "link", "del", v)
    if failed:
        for f in sorted(os.listdir(tmp)):
            if f.endswith(".log"):
                print("---- %s (tail) ----\n%s" % (f, open(os.path.join(tmp, f),
                                                            errors="replace").read()[-1500:]))
    if not os.environ.get("ISSU_KEEP_TMP"):
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("kept " + tmp)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
