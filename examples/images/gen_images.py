#!/usr/bin/env python3
"""gen_images.py - generate the example image manifests of examples/images/.

The running image reproduces the vendor guide in the project seed: every
client 'show issu clients' lists (ids, names, Entity_Count), the base clients,
the MPLS clients with the exact message types, version ranges, MTUs, session
names, session ids and transport MTUs of the seed's examples, and Table 1's
interdependencies as prerequisites. Three candidate standby images vary it.

Usage: python3 examples/images/gen_images.py [outdir]   (default: this dir)
The files are committed; rerun after editing this script.
"""
import copy
import json
import os
import sys
import xml.etree.ElementTree as ET

NS = "urn:issu-agent:yang:issu-manifest"

# (Client_ID, Client_Name, Entity_Count) exactly as 'show issu clients'.
CLIENTS = [
    (2, "ISSU Proto client", 1), (3, "ISSU RF", 1), (4, "ISSU CF client", 1),
    (5, "ISSU Network RF client", 1), (7, "ISSU CONFIG SYNC", 1),
    (8, "ISSU ifIndex sync", 1), (9, "ISSU IPC client", 1),
    (10, "ISSU IPC Server client", 1), (11, "ISSU Red Mode Client", 1),
    (12, "ISSU EHSA services client", 1), (100, "ISSU rfs client", 1),
    (110, "ISSU ifs client", 1), (1001, "OC3POS-6", 4), (1002, "C10K ATM", 1),
    (1003, "C10K CHSTM1", 1), (1004, "C10K CT3", 1), (1005, "C10K GE", 1),
    (1006, "C10K ET", 1), (1007, "C10K CHE1T1", 1), (1009, "C10K MFE", 1),
    (1010, "C10K APS", 1), (1013, "C10K CARD OIR", 1),
    (2002, "CEF Push ISSU client", 1), (2003, "ISSU XDR client", 1),
    (2004, "ISSU SNMP client", 1), (2005, "ISSU HDLC Client", 1),
    (2006, "ISSU QoS client", 1), (2007, "ISSU LSD Label Mgr HA Client", 1),
    (2008, "ISSU Tableid Client", 1), (2009, "ISSU MPLS VPN Client", 1),
    (2010, "ARP HA", 1), (2011, "ISSU LDP Client", 1),
    (2012, "ISSU HSRP Client", 1), (2013, "ISSU ATM Client", 1),
    (2014, "ISSU FR Client", 1), (2015, "ISSU REDSSOC client", 1),
    (2019, "ISSU TCP client", 1), (2020, "ISSU BGP client", 1),
    (2021, "XDR Int Priority ISSU client", 1),
    (2022, "XDR Proc Priority ISSU client", 1),
    (2023, "FIB HWIDB ISSU client", 1), (2024, "FIB IDB ISSU client", 1),
    (2025, "FIB HW subblock ISSU client", 1),
    (2026, "FIB SW subblock ISSU client", 1),
    (2027, "Adjacency ISSU client", 1), (2028, "FIB IPV4 ISSU client", 1),
    (2030, "MFI Pull ISSU client", 1), (2031, "MFI Push ISSU client", 1),
    (2051, "ISSU CCM Client", 1), (2052, "ISSU PPP SIP CCM Client", 1),
    (2053, "ISSU MPLS TE Client", 1), (2054, "ISSU process client", 1),
    (2089, "MPLS LSPV Push client", 1),
    # Table 1 names "MPLS TE High Availability" without an id (DECISIONS.md).
    (2100, "ISSU MPLS TE HA Client", 1),
]

# Clients in both 'Base Clients' and 'show issu clients'.
BASE = {2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 100, 110}

# Table 1: MPLS client interdependencies (CF = 4, RF = 3, XDR = 2003).
PREREQS = {
    2009: [2007], 2011: [2007], 2008: [2007],
    2007: [3, 4],
    2030: [2003], 2031: [2003], 2089: [2003],
    2053: [3, 4, 2100],
}

CAP1 = [{"id": 0, "entry": [1]}]        # "Negotiated_Cap_Entry = 1"
CAP_NOVAL = [{"id": 0}]                 # "Cap_Type = 0 ... No cap value assigned"

# The seed's MPLS examples: message types {type: {version: mtu}}, session.
MPLS = {
    2011: dict(types={1: {2: 20}, 2: {2: 20}, 3: {2: 4}}, caps=CAP1,
               session="LDP Session", sid=46, mtu=3948),
    2009: dict(types={1: {1: 32}}, caps=CAP1,
               session="MPLS VPN ISSU Session", sid=39, mtu=3980),
    2008: dict(types={1: {1: 44}, 2: {1: 4}}, caps=CAP1,
               session="TABLEID ISSU CF", sid=19, mtu=3948),
    2007: dict(types={1: {1: 12, 2: 8}}, caps=CAP1,
               session="lsd_ha", sid=40, mtu=3948, policy="enforce"),
    # The seed lists 1006/2004 under 'message types' but 1006/3003 under
    # 'negotiated version': we use 1006 and 3003 (DECISIONS.md).
    2030: dict(types={1006: {1: 4}, 3003: {1: 12}}, caps=CAP1,
               session="MFI Pull (6)", sid=131073, mtu=4056),
    # The seed lists 5002/5018 under 'message types' but 101/105 under
    # 'negotiated version': we use 101 and 105 (DECISIONS.md).
    2031: dict(types={101: {1: 17}, 105: {1: 31}}, caps=CAP1,
               session="MFI Push (6)", sid=196646, mtu=4056),
    2089: dict(types={0: {1: 74}, 1: {1: 120}, 2: {1: 120}, 3: {1: 5122},
                      4: {1: 6}}, caps=CAP_NOVAL,
               session="MPLS LSPV Push (6 )", sid=45, mtu=1438),
    2053: dict(types={1: {1: 1024, 2: 1024}}, caps=CAP_NOVAL,
               session="RSVP HA Session", sid=84, mtu=1392),
}

# The standby's own session ids, as the seed's 'Peer Sid' column shows.
# LSPV Push shows Peer Sid 36, which collides with MFI Push's 36 on the same
# peer (session ids are unique per endpoint): we use 37.
PEER_SID = {2011: 34, 2009: 33, 2008: 13, 2007: 30, 2030: 35, 2031: 36,
            2089: 37, 2053: 94}


def client(cid, name, count):
    c = {"id": cid, "name": name}
    if cid in BASE:
        c["base"] = True
    m = MPLS.get(cid)
    if m and m.get("policy"):
        c["policy"] = m["policy"]
    if cid in PREREQS:
        c["prerequisite"] = PREREQS[cid]
    types = m["types"] if m else {1: {1: 0}}
    c["message-group"] = [{"id": 1, "message-type": [
        {"id": t, "version": [{"number": v, "mtu": mtu}
                              for v, mtu in sorted(vers.items())]}
        for t, vers in sorted(types.items())]}]
    c["capability-group"] = [{"id": 1, "capability-type":
                              copy.deepcopy(m["caps"] if m else CAP1)}]
    ents = []
    for e in range(1, count + 1):
        ent = {"id": e,
               "session-name": m["session"] if m else
               (name + " Session" if count == 1 else "%s (%d)" % (name, e)),
               "message-group": 1, "capability-group": 1}
        if m:
            ent["session-id"] = m["sid"]
            ent["transport-mtu"] = m["mtu"]
        ents.append(ent)
    c["entity"] = ents
    return c


def running():
    return {"issu-manifest:image": {
        "name": "asr1000rp1-adventerprisek9.03.16.05.S.155-3.S5-ext.bin",
        "version": "15.5(3)S5",
        "description":
            "Active image of the examples: every client 'show issu clients' "
            "lists in the vendor guide (the project seed), with the seed's "
            "base clients, the MPLS clients' message types, versions, MTUs, "
            "session names, session ids and transport MTUs as its examples "
            "show, and Table 1's interdependencies as prerequisites. "
            "Clients the seed shows no detail for carry one message type "
            "(1, version 1, MTU 0 = no restriction) and allocated session "
            "ids. MFI Pull uses message types 1006/3003 and MFI Push 101/105 "
            "(the seed also lists 2004 and 5002/5018).",
        "transport-mtu": 4096,
        "client": [client(*c) for c in CLIENTS],
    }}


def clients_of(img):
    return {c["id"]: c for c in img["issu-manifest:image"]["client"]}


def msg_type(img, cid, tid):
    for t in clients_of(img)[cid]["message-group"][0]["message-type"]:
        if t["id"] == tid:
            return t
    raise KeyError((cid, tid))


def standby(name, version, description):
    """The running image as the standby runs it: the seed's peer session ids."""
    img = running()
    root = img["issu-manifest:image"]
    root["name"], root["version"], root["description"] = name, version, description
    for cid, c in clients_of(img).items():
        if cid in PEER_SID:
            c["entity"][0]["session-id"] = PEER_SID[cid]
    return img


def set_versions(img, cid, tid, versions):
    msg_type(img, cid, tid)["version"] = [{"number": v, "mtu": mtu} for v, mtu in versions]


def upgrade_compatible():
    img = standby(
        "asr1000rp1-adventerprisek9.03.16.06.S.155-3.S6-ext.bin", "15.5(3)S6",
        "Candidate standby image, COMPATIBLE with running.json: the same "
        "clients; the session ids are the seed's Peer Sid values (LSPV Push "
        "uses 37: the seed's 36 collides with MFI Push's 36 on the same "
        "endpoint). Newer versions are added where the ranges still "
        "overlap (LDP 2~3, LSD 1~3, TE 1~3), so the highest common version "
        "is still the one the seed shows negotiated (LDP 2, LSD 2, TE 2); "
        "some capability types gain entry 2, the common entry stays 1. "
        "Transport MTUs are at least the running image's, so the "
        "negotiated Transport_Mtu (the smaller) is the seed's.")
    for tid, mtu in ((1, 20), (2, 20), (3, 4)):
        set_versions(img, 2011, tid, [(2, mtu), (3, mtu + 4)])
    set_versions(img, 2007, 1, [(1, 12), (2, 8), (3, 8)])
    set_versions(img, 2053, 1, [(1, 1024), (2, 1024), (3, 1100)])
    cl = clients_of(img)
    for cid in (2011, 2007, 2030):
        cl[cid]["capability-group"][0]["capability-type"][0]["entry"] = [1, 2]
    for cid, mtu in ((2011, 4000), (2009, 3980), (2008, 4096), (2007, 3948),
                     (2030, 4056), (2031, 8192), (2089, 1500), (2053, 1500)):
        cl[cid]["entity"][0]["transport-mtu"] = mtu
    return img


def upgrade_base_level():
    img = standby(
        "asr1000rp1-adventerprisek9.03.17.00.S.156-1.S-ext.bin", "15.6(1)S",
        "Candidate standby image, BASE-LEVEL COMPATIBLE with running.json: "
        "every base client negotiates, but LDP (2011) dropped version 2 of "
        "message type 3 (only 3~3 here, the running image has 2~2: no "
        "common version), and the MPLS TE HA client (2100) moved message "
        "type 1 to version 2~2, so it is incompatible and MPLS TE (2053), "
        "which needs it (Table 1), is effectively incompatible through it. "
        "LSD Label Manager HA (2007) stays compatible, so MPLS VPN and "
        "Table ID stay compatible.")
    set_versions(img, 2011, 3, [(3, 4)])
    set_versions(img, 2100, 1, [(2, 0)])
    return img


def upgrade_incompatible():
    img = standby(
        "asr1000rp1-adventerprisek9.03.18.00.S.157-1.S-ext.bin", "15.7(1)S",
        "Candidate standby image, INCOMPATIBLE with running.json: the base "
        "client ISSU CF client (4) supports only version 2~3 of its message "
        "type 1 (the running image has 1~1): no common version. Every client "
        "that needs CF is then effectively incompatible: LSD Label Manager "
        "HA (2007), hence MPLS VPN (2009), LDP (2011) and Table ID (2008), "
        "and MPLS TE (2053).")
    set_versions(img, 4, 1, [(2, 0), (3, 0)])
    return img


def to_xml(img):
    def add(parent, name, value):
        if isinstance(value, dict):
            el = ET.SubElement(parent, name)
            for k, v in value.items():
                add(el, k, v)
        elif isinstance(value, list):
            for v in value:
                add(parent, name, v)
        else:
            el = ET.SubElement(parent, name)
            el.text = ("true" if value else "false") if isinstance(value, bool) else str(value)

    data = img["issu-manifest:image"]
    root = ET.Element("image", xmlns=NS)
    for k, v in data.items():
        add(root, k, v)
    ET.indent(root, "  ")
    return ("<!-- Generated by gen_images.py: the same image as running.json, in XML. -->\n"
            + ET.tostring(root, encoding="unicode") + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    files = {
        "running.json": running(),
        "upgrade-compatible.json": upgrade_compatible(),
        "upgrade-base-level.json": upgrade_base_level(),
        "upgrade-incompatible.json": upgrade_incompatible(),
    }
    for name, img in files.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(img, f, indent=2)
            f.write("\n")
    with open(os.path.join(out, "running.xml"), "w") as f:
        f.write(to_xml(running()))


if __name__ == "__main__":
    main()
