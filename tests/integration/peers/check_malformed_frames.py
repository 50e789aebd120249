#!/usr/bin/python3
"""Self-check of malformed.py: capture what it sends and verify every frame.

    capture --iface IF --out FILE.pcap --ready FILE --stop FILE [--timeout S]
        sniff on IF (the receiving end of the veth, where portmux would sit)
        until FILE --stop exists (or the timeout), write the pcap; the --ready
        file is created once the sniffer is running.
    verify --pcap FILE --src-mac MAC --dst-mac MAC --count K [--case NAME ...]
        decode each frame with struct (independently of how malformed.py
        built it) and check that it carries exactly the intended fault and
        nothing else.

The checks deliberately do not use scapy's dissectors or checksum code.
"""

import argparse
import os
import struct
import sys
import time
import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
SRC_IP = bytes([198, 18, 0, 2])
DST_IP = bytes([198, 18, 0, 1])
OTHER_IP = bytes([198, 18, 0, 3])

# case -> set of faults the frame must have (and no other)
EXPECTED = {
    "ip_short": {"ip_short"},
    "ip_bad_version": {"version"},
    "ip_ihl_4": {"ihl"},
    "ip_total_length_long": {"tot_len_long"},
    "ip_total_length_short": {"tot_len_short"},
    "ip_bad_checksum": {"ip_cksum"},
    "ip_not_for_us": {"not_for_us"},
    "ip_fragment": {"fragment"},
    "ip_ttl_zero": {"ttl0"},
    "arp_bad_plen": {"arp_len"},
    "arp_truncated": {"arp_trunc"},
    "icmp_bad_checksum": {"icmp_cksum"},
    "icmp_too_short": {"icmp_short"},
    "tcp_too_short": {"tcp_short"},
    "tcp_bad_offset": {"tcp_offset"},
    "tcp_bad_checksum": {"tcp_cksum"},
    "tcp_bad_port": {"port0"},
    "tcp_rst_closed_port": {"rst", "closed_port"},
    "tcp_rst_to_listener": {"rst"},
    "tcp_data_to_listener": {"no_syn_ack_rst"},
    # 802.1Q: a valid echo request under exactly these tags ("tag_TPID_VID",
    # outer first). The receiving kernel may take the outer tag off into
    # packet metadata and the capture put it back with another TPID, so the
    # outer tag of a two-tag case is "tag_outer_VID" whichever of the three
    # TPIDs it comes back with; the inner tag and single tags keep theirs.
    "vlan_unknown": {"tag_8100_300"},
    "vlan_reserved": {"tag_8100_4095"},
    "vlan_qinq_88a8": {"tag_outer_10", "tag_8100_300"},
    "vlan_qinq_9100": {"tag_outer_10", "tag_8100_300"},
    "vlan_double_8100": {"tag_outer_10", "tag_8100_300"},
}
VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
LISTEN_PORT = 9  # the appliance's discard listener in test_malformed.sh
CLOSED_PORT = 5


def cksum_ok(data: bytes) -> bool:
    # Written again on purpose, not imported from malformed.py: the checker
    # must not share code with the generator it checks.
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def ipv4_faults(case, seq, l3: bytes, notes):
    """Faults of an IPv4 frame; l3 = bytes after the Ethernet header."""
    faults = set()
    if len(l3) < 20:
        faults.add("ip_short")
        # What is there must be the start of a valid header.
        if len(l3) >= 10:
            v_ihl, _tos, tot_len, _id, _frag, ttl, proto = struct.unpack("!BBHHHBB", l3[:10])
            if v_ihl != 0x45 or ttl != 64 or proto != 1 or tot_len < 28:
                faults.add("ip_short_prefix_odd")
            notes.append(f"{len(l3)} IP bytes, ver/ihl 0x{v_ihl:02x} tot_len {tot_len} ttl {ttl} proto {proto}")
        else:
            notes.append(f"{len(l3)} IP bytes")
        return faults
    # malformed.py always writes a 20-byte header, whatever IHL says.
    v_ihl, _tos, tot_len, ident, frag, ttl, proto, _ck = struct.unpack("!BBHHHBBH", l3[:12])
    src, dst = l3[12:16], l3[16:20]
    ver, ihl = v_ihl >> 4, v_ihl & 0xF
    notes.append(f"ver {ver} ihl {ihl} tot_len {tot_len} (have {len(l3)}) id 0x{ident:04x} "
                 f"frag 0x{frag:04x} ttl {ttl} proto {proto} "
                 f"{'.'.join(map(str, src))}->{'.'.join(map(str, dst))} ip_cksum {'ok' if cksum_ok(l3[:20]) else 'BAD'}")
    if ver != 4:
        faults.add("version")
    if ihl < 5:
        faults.add("ihl")
    elif ihl > 5:
        faults.add("ihl_options")
    if tot_len > len(l3):
        faults.add("tot_len_long")
    elif tot_len < 20:
        faults.add("tot_len_short")
    elif tot_len != len(l3):
        faults.add("tot_len_padding")
    if not cksum_ok(l3[:20]):
        faults.add("ip_cksum")
    if src != SRC_IP:
        faults.add("src")
    if dst == OTHER_IP:
        faults.add("not_for_us")
    elif dst != DST_IP:
        faults.add("dst")
    if frag & 0x2000 or frag & 0x1FFF:
        faults.add("fragment")
    if frag & 0x8000:
        faults.add("reserved_flag")
    if ttl == 0:
        faults.add("ttl0")
    elif ttl != 64:
        faults.add("ttl")
    if proto != (6 if case.startswith("tcp_") else 1):
        faults.add("proto")
    if ident != 0x5000 + seq:
        faults.add("ip_id")
    if case.startswith("tcp_"):
        return faults | tcp_faults(case, seq, l3[20:], src, dst, notes)

    icmp = l3[20:]  # everything present, independent of the claimed total length
    if len(icmp) < 8:
        faults.add("icmp_short")
        if len(icmp) >= 4:
            t, c = icmp[0], icmp[1]
            notes.append(f"icmp {len(icmp)} bytes type {t} code {c} cksum {'ok' if cksum_ok(icmp) else 'BAD'}")
            if t != 8 or c != 0:
                faults.add("icmp_type")
            if not cksum_ok(icmp):
                faults.add("icmp_cksum")
        return faults
    t, c, _ck, icmp_id, icmp_seq = struct.unpack("!BBHHH", icmp[:8])
    payload = icmp[8:]
    notes.append(f"icmp type {t} code {c} id 0x{icmp_id:04x} seq {icmp_seq} "
                 f"cksum {'ok' if cksum_ok(icmp) else 'BAD'} payload {payload!r}")
    if t != 8 or c != 0:
        faults.add("icmp_type")
    if not cksum_ok(icmp):
        faults.add("icmp_cksum")
    if icmp_id != 0x4D58 or icmp_seq != seq:
        faults.add("icmp_id_seq")
    if payload != f"portmux-malformed {case} {seq:03d}".encode():
        faults.add("payload")
    return faults


def tcp_faults(case, seq, l4: bytes, src: bytes, dst: bytes, notes):
    """Faults of the TCP segment l4 (what follows a 20-byte IPv4 header).
    The base segment is a SYN from port 40000+seq to the listener, seq
    1000+seq, no options, no payload (except the data case)."""
    faults = set()
    if len(l4) < 20:
        notes.append(f"tcp {len(l4)} bytes")
        return {"tcp_short"}
    sport, dport, tseq, _ack, off_flags, _wnd, _ck, _urg = struct.unpack("!HHIIHHHH", l4[:20])
    doff, flags = (off_flags >> 12) * 4, off_flags & 0x3F
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(l4))
    ck_ok = cksum_ok(pseudo + l4)
    notes.append(f"tcp {sport}->{dport} seq {tseq} doff {doff} flags 0x{flags:02x} len {len(l4)} "
                 f"cksum {'ok' if ck_ok else 'BAD'}")
    if doff > len(l4) or doff < 20:
        faults.add("tcp_offset")
    if not ck_ok:
        faults.add("tcp_cksum")
    if sport != 40000 + seq or tseq != 1000 + seq:
        faults.add("tcp_ports_seq")
    if dport == 0:
        faults.add("port0")
    elif dport == CLOSED_PORT:
        faults.add("closed_port")
    elif dport != LISTEN_PORT:
        faults.add("tcp_dport")
    payload = l4[min(doff, len(l4)):]
    if flags == 0x04:
        faults.add("rst")
    elif flags == 0x08:
        faults.add("no_syn_ack_rst")
        if payload != f"portmux-malformed {case} {seq:03d}".encode():
            faults.add("payload")
        return faults
    elif flags != 0x02:
        faults.add("tcp_flags")
    if payload and "tcp_offset" not in faults:
        faults.add("payload")
    return faults


def arp_faults(l3: bytes, src_mac: bytes, notes):
    faults = set()
    if len(l3) < 8:
        notes.append(f"{len(l3)} ARP bytes")
        return {"arp_trunc"}
    htype, ptype, hlen, plen, op = struct.unpack("!HHBBH", l3[:8])
    need = 8 + 2 * hlen + 2 * plen
    notes.append(f"arp htype {htype} ptype 0x{ptype:04x} hlen {hlen} plen {plen} op {op} "
                 f"len {len(l3)} (needs {need}, a standard one 28)")
    if htype != 1 or ptype != ETH_P_IP or op != 1:
        faults.add("arp_fields")
    if hlen != 6 or plen != 4:
        faults.add("arp_len")
    if len(l3) < need or len(l3) < 28:
        faults.add("arp_trunc")
        # the part that is present must be right
        if l3[8:14] != src_mac[: max(0, min(6, len(l3) - 8))]:
            faults.add("arp_sha")
        return faults
    sha = l3[8:8 + hlen]
    spa = l3[8 + hlen:8 + hlen + plen]
    tha = l3[8 + hlen + plen:8 + 2 * hlen + plen]
    tpa = l3[8 + 2 * hlen + plen:need]
    notes.append(f"arp sha {mac(sha)} spa {spa.hex()} tha {mac(tha)} tpa {tpa.hex()}")
    if sha != src_mac:
        faults.add("arp_sha")
    if spa[:4] != SRC_IP or tpa[:4] != DST_IP or any(spa[4:]) or any(tpa[4:]) or any(tha):
        faults.add("arp_addrs")
    if len(l3) != need:
        faults.add("arp_extra")
    return faults


def verify(args):
    from scapy.all import rdpcap  # pylint: disable=no-name-in-module  # only to read the file

    src_mac = bytes.fromhex(args.src_mac.replace(":", ""))
    dst_mac = bytes.fromhex(args.dst_mac.replace(":", ""))
    cases = args.cases or list(EXPECTED)
    frames = [bytes(p) for p in rdpcap(args.pcap)]
    ours = [f for f in frames if f[6:12] == src_mac]
    others = [f for f in frames if f[6:12] != src_mac]
    print(f"captured {len(frames)} frames, {len(ours)} from {args.src_mac}, {len(others)} from elsewhere")
    ok = True
    for f in others:
        print(f"  UNEXPECTED frame from {mac(f[6:12])}: {f[:40].hex()}")
        ok = False
    want = len(cases) * args.count
    if len(ours) != want:
        print(f"  expected {want} frames ({len(cases)} cases x {args.count})")
        ok = False
    for i, f in enumerate(ours[:want]):
        case, seq = cases[i // args.count], i % args.count
        notes = []
        (etype,) = struct.unpack("!H", f[12:14])
        faults = set()
        if f[:6] != dst_mac:
            faults.add("eth_dst")
        off = 14
        tags = []
        while etype in VLAN_TPIDS and len(f) >= off + 4:
            tci, etype = struct.unpack("!HH", f[off:off + 4])
            tags.append((struct.unpack("!H", f[off - 2:off])[0], tci & 0xFFF))
            off += 4
        for k, (tpid, vid) in enumerate(tags):
            outer_qinq = k == 0 and len(tags) == 2
            faults.add(f"tag_outer_{vid}" if outer_qinq else f"tag_{tpid:04x}_{vid}")
        if tags:
            notes.append("tags " + " ".join(f"0x{t:04x}/{v}" for t, v in tags))
        if etype == ETH_P_IP and case.startswith("vlan_"):
            faults |= ipv4_faults(case, seq, f[off:], notes)
        elif etype == ETH_P_IP and case.startswith(("ip_", "icmp_", "tcp_")):
            faults |= ipv4_faults(case, seq, f[14:], notes)
        elif etype == ETH_P_ARP and case.startswith("arp_"):
            faults |= arp_faults(f[14:], src_mac, notes)
        else:
            faults.add(f"ethertype_0x{etype:04x}")
        good = faults == EXPECTED[case]
        ok &= good
        if seq == 0 or not good:
            print(f"  {case}[{seq}] {len(f)} bytes: faults {sorted(faults)} "
                  f"(want {sorted(EXPECTED[case])}) {'OK' if good else 'WRONG'}")
            for n in notes:
                print(f"      {n}")
    print("verify:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


def capture(args):
    from scapy.all import AsyncSniffer, wrpcap  # pylint: disable=no-name-in-module
    import threading

    started = threading.Event()
    sn = AsyncSniffer(iface=args.iface, store=True, started_callback=started.set)
    sn.start()
    if not started.wait(5):
        print("capture: sniffer did not start", file=sys.stderr)
        return 1
    with open(args.ready, "w", encoding="ascii") as fh:
        fh.write("ready\n")
    deadline = time.monotonic() + args.timeout
    while not os.path.exists(args.stop) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    pkts = sn.stop() or []
    wrpcap(args.out, pkts)
    print(f"capture: {len(pkts)} frames on {args.iface} -> {args.out}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--iface", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--ready", required=True)
    c.add_argument("--stop", required=True)
    c.add_argument("--timeout", type=float, default=60)
    v = sub.add_parser("verify")
    v.add_argument("--pcap", required=True)
    v.add_argument("--src-mac", required=True)
    v.add_argument("--dst-mac", required=True)
    v.add_argument("--count", type=int, default=5)
    v.add_argument("--case", action="append", dest="cases")
    args = p.parse_args()
    return capture(args) if args.cmd == "capture" else verify(args)


if __name__ == "__main__":
    sys.exit(main())
