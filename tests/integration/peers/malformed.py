#!/usr/bin/python3
"""Send malformed frames to portmux and watch for (wrong) answers.

Run inside the peer namespace with the system interpreter (it has scapy):

    ip netns exec PEER /usr/bin/python3 malformed.py --iface IF --dst-mac MAC \
        [--case NAME ...] [--count 5]

Each case builds one kind of frame that must be dropped by exactly one drop
counter of the appliance; apart from the intended fault every frame is valid
(an ICMP echo request 198.18.0.2 -> 198.18.0.1 with correct checksums, or an
ARP request for 198.18.0.1), so a reply would be visible if the appliance
wrongly answered it.  While sending, an AsyncSniffer on the same interface
records every frame whose Ethernet source is the appliance's MAC; any such
frame counts as a reply and makes the script exit 1.

--list prints "case counter description" for every case (the shell test uses
it to know which counter each case must move).

--control sends K *valid* echo requests instead (positive control: proves the
path and the reply detection work) and exits 0 only if exactly one echo reply
per request was seen.
"""

import argparse
import ipaddress
import struct
import sys
import threading
import time
import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # no "lo: no address" noise

from scapy.all import (  # pylint: disable=no-name-in-module
    ARP,
    ICMP,
    ICMPv6ND_NA,
    IPv6,
    IP,
    AsyncSniffer,
    Ether,
    Raw,
    TCP,
    conf,
    get_if_hwaddr,
    sendp,
)

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806


def inet_cksum(data: bytes) -> int:
    """RFC 1071 Internet checksum of data (field zeroed by the caller)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def set_ip_cksum(hdr: bytes) -> bytes:
    """Return hdr with its header checksum (bytes 10-11) recomputed over all of hdr."""
    hdr = bytearray(hdr)
    hdr[10:12] = b"\0\0"
    hdr[10:12] = struct.pack("!H", inet_cksum(bytes(hdr)))
    return bytes(hdr)


class Builder:
    """Builds the frames of every case for one (src, dst) pair."""

    def __init__(self, src_mac, dst_mac, src_ip, dst_ip, other_ip):
        self.src_mac = src_mac
        self.dst_mac = dst_mac
        self.src_ip = src_ip
        self.dst_ip = dst_ip
        self.other_ip = other_ip

    def eth(self, ethertype):
        return Ether(src=self.src_mac, dst=self.dst_mac, type=ethertype)

    @staticmethod
    def payload(case, seq):
        return f"portmux-malformed {case} {seq:03d}".encode()

    def echo(self, case, seq, dst=None, **ip_fields):
        """A valid echo request (scapy computes every checksum)."""
        ip_fields.setdefault("ttl", 64)
        return (
            IP(src=self.src_ip, dst=dst or self.dst_ip, id=0x5000 + seq, **ip_fields)
            / ICMP(type=8, code=0, id=0x4D58, seq=seq)
            / Raw(self.payload(case, seq))
        )

    def echo_bytes(self, case, seq, **kw):
        return bytes(self.echo(case, seq, **kw))

    def valid(self, case, seq):
        # Positive control: a fully valid echo request.
        return self.eth(ETH_P_IP) / self.echo(case, seq)

    # --- IPv4 cases --------------------------------------------------------
    def ip_short(self, case, seq):
        # EtherType IPv4 but only 10 bytes of IP header (first half of a valid
        # header): 14 + 10 = 24-byte frame.
        return self.eth(ETH_P_IP) / Raw(self.echo_bytes(case, seq)[:10])

    def ip_bad_version(self, case, seq):
        # Version 6 in an IPv4 frame; IHL 5, valid header checksum.
        pkt = bytearray(self.echo_bytes(case, seq))
        pkt[0] = 0x65
        return self.eth(ETH_P_IP) / Raw(set_ip_cksum(pkt[:20]) + bytes(pkt[20:]))

    def ip_ihl_4(self, case, seq):
        # IHL 4 (16 bytes) < 5; total length as in the valid packet; checksum
        # computed over the 20 bytes actually written so nothing else is off.
        pkt = bytearray(self.echo_bytes(case, seq))
        pkt[0] = 0x44
        return self.eth(ETH_P_IP) / Raw(set_ip_cksum(pkt[:20]) + bytes(pkt[20:]))

    def ip_total_length_long(self, case, seq):
        # Total length 100 bytes more than the bytes after the Ethernet
        # header; valid header checksum over the modified header.
        pkt = bytearray(self.echo_bytes(case, seq))
        struct.pack_into("!H", pkt, 2, len(pkt) + 100)
        return self.eth(ETH_P_IP) / Raw(set_ip_cksum(pkt[:20]) + bytes(pkt[20:]))

    def ip_total_length_short(self, case, seq):
        # Total length 16 < IHL*4 = 20; valid header checksum.
        pkt = bytearray(self.echo_bytes(case, seq))
        struct.pack_into("!H", pkt, 2, 16)
        return self.eth(ETH_P_IP) / Raw(set_ip_cksum(pkt[:20]) + bytes(pkt[20:]))

    def ip_bad_checksum(self, case, seq):
        # Valid packet, header checksum off by one (still a wrong checksum in
        # one's complement: the header no longer sums to 0xffff).
        pkt = bytearray(self.echo_bytes(case, seq))
        good = struct.unpack_from("!H", pkt, 10)[0]
        struct.pack_into("!H", pkt, 10, (good + 1) & 0xFFFF if good != 0xFFFE else 0x1234)
        assert inet_cksum(bytes(pkt[:20])) != 0
        return self.eth(ETH_P_IP) / Raw(bytes(pkt))

    def ip_not_for_us(self, case, seq):
        # Valid echo request to 198.18.0.3 (not an appliance address) sent to
        # the appliance's MAC.
        return self.eth(ETH_P_IP) / self.echo(case, seq, dst=self.other_ip)

    def ip_fragment(self, case, seq):
        # First fragment: MF=1, offset 0, valid checksums.
        return self.eth(ETH_P_IP) / self.echo(case, seq, flags="MF", frag=0)

    def ip_ttl_zero(self, case, seq):
        return self.eth(ETH_P_IP) / self.echo(case, seq, ttl=0)

    # --- ICMP cases --------------------------------------------------------
    def icmp_bad_checksum(self, case, seq):
        # Valid IP header (scapy checksum); ICMP checksum off by one.
        pkt = self.echo(case, seq)
        good = ICMP(bytes(pkt[ICMP])).chksum
        pkt[ICMP].chksum = (good + 1) & 0xFFFF if good != 0xFFFE else 0x1234
        return self.eth(ETH_P_IP) / pkt

    def icmp_too_short(self, case, seq):
        # Valid IP header carrying only 4 bytes of ICMP (type 8, code 0,
        # checksum valid over those 4 bytes): shorter than the 8-byte ICMP
        # echo header.
        icmp = bytearray(struct.pack("!BBH", 8, 0, 0))
        struct.pack_into("!H", icmp, 2, inet_cksum(bytes(icmp)))
        pkt = IP(src=self.src_ip, dst=self.dst_ip, id=0x5000 + seq, ttl=64, proto=1) / Raw(bytes(icmp))
        return self.eth(ETH_P_IP) / pkt

    # --- TCP cases ---------------------------------------------------------
    # The appliance listens on port 9 (discard) and on nothing else.
    def tcp_seg(self, case, seq, dport=9, **tcp_fields):
        tcp_fields.setdefault("flags", "S")
        return IP(src=self.src_ip, dst=self.dst_ip, id=0x5000 + seq, ttl=64) / TCP(
            sport=40000 + seq, dport=dport, seq=1000 + seq, **tcp_fields
        )

    def tcp_too_short(self, case, seq):
        # IP proto 6 carrying only 10 bytes of TCP header (valid IP checksum).
        tcp = bytes(self.tcp_seg(case, seq)[TCP])[:10]
        return self.eth(ETH_P_IP) / IP(src=self.src_ip, dst=self.dst_ip, id=0x5000 + seq, ttl=64, proto=6) / Raw(tcp)

    def tcp_bad_offset(self, case, seq):
        # Data offset 15 (60 bytes) in a 20-byte TCP header.
        return self.eth(ETH_P_IP) / self.tcp_seg(case, seq, dataofs=15)

    def tcp_bad_checksum(self, case, seq):
        pkt = self.tcp_seg(case, seq)
        good = TCP(bytes(pkt[TCP])).chksum
        pkt[TCP].chksum = (good + 1) & 0xFFFF if good != 0xFFFE else 0x1234
        return self.eth(ETH_P_IP) / pkt

    def tcp_bad_port(self, case, seq):
        return self.eth(ETH_P_IP) / self.tcp_seg(case, seq, dport=0)

    def tcp_rst_closed_port(self, case, seq):
        # A valid RST to a port without listener: never answered (RFC 9293 3.10.7.1).
        return self.eth(ETH_P_IP) / self.tcp_seg(case, seq, dport=5, flags="R")

    def tcp_rst_to_listener(self, case, seq):
        return self.eth(ETH_P_IP) / self.tcp_seg(case, seq, flags="R")

    def tcp_data_to_listener(self, case, seq):
        # Neither SYN, ACK nor RST to a listener: dropped silently.
        return self.eth(ETH_P_IP) / self.tcp_seg(case, seq, flags="P") / Raw(self.payload(case, seq))

    # --- ARP cases ---------------------------------------------------------
    def arp_bad_plen(self, case, seq):
        # ARP request with plen=6 (hlen=6): 8 + 2*6 + 2*6 = 32 bytes of ARP,
        # so it is not truncated under either reading of the lengths.
        src_mac = bytes.fromhex(self.src_mac.replace(":", ""))
        spa = ipaddress.IPv4Address(self.src_ip).packed + b"\0\0"
        tpa = ipaddress.IPv4Address(self.dst_ip).packed + b"\0\0"
        arp = struct.pack("!HHBBH", 1, ETH_P_IP, 6, 6, 1) + src_mac + spa + b"\0" * 6 + tpa
        return self.eth(ETH_P_ARP) / Raw(arp)

    def arp_truncated(self, case, seq):
        # Valid ARP request (hlen 6, plen 4) cut to 20 of its 28 bytes (the
        # target hardware and protocol addresses are missing).
        arp = ARP(op=1, hwsrc=self.src_mac, psrc=self.src_ip, hwdst="00:00:00:00:00:00", pdst=self.dst_ip)
        return self.eth(ETH_P_ARP) / Raw(bytes(arp)[:20])

    # --- 802.1Q cases (lib/net/vlan.cpp) -----------------------------------
    # The peer's kernel and the PMD move a first 0x8100/0x88a8 tag to packet
    # metadata and back (net_af_packet reinserts it as 0x8100), so a lone
    # 0x88a8 tag and a truncated tag (the kernel frees it) cannot be tested
    # through a veth: tests/unit/test_vlan.cpp covers them.
    def tagged(self, case, seq, tags):
        frame = bytes(self.valid(case, seq))
        head = b"".join(struct.pack("!HH", tpid, tci) for tpid, tci in tags)
        return Ether(frame[:12] + head + frame[12:])

    def vlan_unknown(self, case, seq):
        return self.tagged(case, seq, [(0x8100, 300)])

    def vlan_reserved(self, case, seq):
        return self.tagged(case, seq, [(0x8100, 0xFFF)])

    def vlan_qinq_88a8(self, case, seq):
        return self.tagged(case, seq, [(0x88A8, 10), (0x8100, 300)])

    def vlan_qinq_9100(self, case, seq):
        return self.tagged(case, seq, [(0x9100, 10), (0x8100, 300)])

    def vlan_double_8100(self, case, seq):
        return self.tagged(case, seq, [(0x8100, 10), (0x8100, 300)])


# name -> (counter, description); Builder has a method of the same name.
CASES = {
    "ip_short": ("ipv4_too_short", "EtherType IPv4 with only 10 bytes of IP header"),
    "ip_bad_version": ("ipv4_bad_version", "IP version 6 in an IPv4 frame"),
    "ip_ihl_4": ("ipv4_bad_ihl", "IHL 4 (< 5)"),
    "ip_total_length_long": ("ipv4_bad_total_length", "total length 100 bytes beyond the frame"),
    "ip_total_length_short": ("ipv4_bad_total_length", "total length 16 < IHL*4"),
    "ip_bad_checksum": ("ipv4_bad_checksum", "IP header checksum off by one"),
    "ip_not_for_us": ("ipv4_not_for_us", "echo request to 198.18.0.3"),
    "ip_fragment": ("ipv4_fragment", "MF=1, offset 0, valid checksum"),
    "ip_ttl_zero": ("ipv4_ttl_zero", "TTL 0"),
    "arp_bad_plen": ("arp_bad_length", "ARP request with plen 6"),
    "arp_truncated": ("arp_truncated", "ARP request cut to 20 bytes"),
    "icmp_bad_checksum": ("icmp_bad_checksum", "ICMP echo checksum off by one"),
    "icmp_too_short": ("icmp_too_short", "only 4 bytes of ICMP"),
    "tcp_too_short": ("tcp_too_short", "only 10 bytes of TCP header"),
    "tcp_bad_offset": ("tcp_bad_offset", "TCP data offset 15 in a 20-byte header"),
    "tcp_bad_checksum": ("tcp_bad_checksum", "TCP checksum off by one"),
    "tcp_bad_port": ("tcp_bad_port", "SYN to port 0"),
    "tcp_rst_closed_port": ("tcp_rst_no_conn", "RST to a port without listener"),
    "tcp_rst_to_listener": ("tcp_listen_rst", "RST to the discard listener"),
    "tcp_data_to_listener": ("tcp_listen_no_syn", "PSH with data, no SYN/ACK, to the listener"),
    "vlan_unknown": ("vlan_unknown", "echo request tagged VLAN 300 (no such interface)"),
    "vlan_reserved": ("vlan_unknown", "echo request tagged with the reserved VID 4095"),
    "vlan_qinq_88a8": ("vlan_qinq", "echo request under an 802.1ad S-tag and a C-tag"),
    "vlan_qinq_9100": ("vlan_qinq", "echo request under a 0x9100 S-tag and a C-tag"),
    "vlan_double_8100": ("vlan_qinq", "echo request under two 0x8100 tags"),
}

CONTROL = ("icmp_tx_echo_replies", "valid echo request (positive control)")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iface", help="interface to send on (peer end of the veth)")
    p.add_argument("--dst-mac", help="appliance MAC (destination of every frame)")
    p.add_argument("--src-ip", default="198.18.0.2")
    p.add_argument("--dst-ip", default="198.18.0.1")
    p.add_argument("--other-ip", default="198.18.0.3", help="destination of the not-for-us case")
    p.add_argument("--count", type=int, default=5, help="frames per case (1..100)")
    p.add_argument("--case", action="append", dest="cases", help="case name (repeatable; default: all)")
    p.add_argument("--inter", type=float, default=0.01, help="gap between frames, s")
    p.add_argument("--wait", type=float, default=0.5, help="listen time after the last frame, s")
    p.add_argument("--list", action="store_true", help="print 'case counter description' and exit")
    p.add_argument("--control", action="store_true", help="send valid echo requests; require one reply each")
    args = p.parse_args()
    if args.list:
        return args
    if not args.iface or not args.dst_mac:
        p.error("--iface and --dst-mac are required")
    if not 1 <= args.count <= 100 or not 0 <= args.inter <= 1 or not 0 <= args.wait <= 10:
        p.error("--count 1..100, --inter 0..1, --wait 0..10")
    for ip in (args.src_ip, args.dst_ip, args.other_ip):
        if ipaddress.IPv4Address(ip) not in ipaddress.IPv4Network("198.18.0.0/15"):
            p.error(f"{ip}: only 198.18.0.0/15 may be used")
    for c in args.cases or []:
        if c not in CASES:
            p.error(f"unknown case {c!r}; known: {' '.join(CASES)}")
    args.dst_mac = args.dst_mac.lower()
    return args


def run_case(builder, name, args):
    """Send the case's frames; return the frames seen from the appliance (None on error)."""
    counter, descr = CONTROL if name == "valid" else CASES[name]
    frames = [getattr(builder, name)(name, seq) for seq in range(args.count)]

    started = threading.Event()
    sniffer = AsyncSniffer(
        iface=args.iface,
        store=True,
        # RFC 5227 announcements (ARP request with SPA == TPA) and RFC 4861
        # 7.2.6 unsolicited Neighbor Advertisements (to all-nodes, S flag
        # clear; sent for the link-local address even without IPv6
        # addresses) are the appliance's own start-up traffic, not an
        # answer to anything.
        lfilter=lambda p: (Ether in p and p[Ether].src.lower() == args.dst_mac
                           and not (ARP in p and p[ARP].op == 1 and p[ARP].psrc == p[ARP].pdst)
                           and not (ICMPv6ND_NA in p and p[IPv6].dst == "ff02::1"
                                    and p[ICMPv6ND_NA].S == 0)),
        started_callback=started.set,
    )
    sniffer.start()
    if not started.wait(5):
        print(f"case {name}: sniffer did not start", file=sys.stderr)
        sniffer.stop()
        return None

    for f in frames:
        sendp(f, iface=args.iface, verbose=False)
        if args.inter:
            time.sleep(args.inter)
    time.sleep(args.wait)
    replies = sniffer.stop() or []

    print(
        f"case {name}: sent {len(frames)} x {len(bytes(frames[0]))}-byte frames ({descr}), "
        f"expect counter {counter} +{len(frames)}; frames from {args.dst_mac}: {len(replies)}"
    )
    for r in replies:
        print(f"    frame from appliance: {r.summary()}")
    return replies


def echo_replies(replies, args, case):
    """Sequence numbers of the echo replies that answer our requests of this case."""
    seqs = []
    for r in replies:
        if IP in r and ICMP in r and r[ICMP].type == 0 and r[ICMP].code == 0:
            if (r[IP].src == args.dst_ip and r[IP].dst == args.src_ip and r[ICMP].id == 0x4D58
                    and bytes(r[ICMP].payload) == Builder.payload(case, r[ICMP].seq)):
                seqs.append(r[ICMP].seq)
    return seqs


def main():
    args = parse_args()
    if args.list:
        for name, (counter, descr) in CASES.items():
            print(f"{name} {counter} {descr}")
        return 0

    conf.verb = 0
    builder = Builder(get_if_hwaddr(args.iface).lower(), args.dst_mac, args.src_ip, args.dst_ip, args.other_ip)
    if args.control:
        replies = run_case(builder, "valid", args)
        if replies is None:
            return 1
        seqs = echo_replies(replies, args, "valid")
        ok = sorted(seqs) == list(range(args.count))
        print(f"control: {len(seqs)} matching echo replies for {args.count} valid requests "
              f"(seq {sorted(seqs)}) -> {'OK' if ok else 'FAIL'}")
        return 0 if ok else 1

    bad = 0
    for name in args.cases or list(CASES):
        replies = run_case(builder, name, args)
        if replies is None or replies:
            bad += 1
    if bad:
        print(f"FAIL: {bad} case(s) drew a reply or could not be run", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
