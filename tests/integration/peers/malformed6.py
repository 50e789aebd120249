#!/usr/bin/python3
"""Send malformed IPv6 frames to portmux and watch for (wrong) answers.

Run inside the peer namespace with the system interpreter (it has scapy):

    ip netns exec PEER /usr/bin/python3 malformed6.py --iface IF --dst-mac MAC \
        [--case NAME ...] [--count 5]

Every case is an ICMPv6 echo request 2001:2::2 -> 2001:2::1 (or a neighbour
solicitation for 2001:2::1) that is valid except for one fault, which must be
dropped by exactly one drop counter (lib/stats/counters.def). An
AsyncSniffer on the same interface records every frame from the appliance's
MAC while the case runs, except its own neighbour solicitations and
unsolicited advertisements (neighbour upkeep, not answers); any other frame
counts as an answer and makes the script exit 1.

--list prints "case counter description" for every case.
--control sends valid echo requests and exits 0 only if each got one reply.
"""

import argparse
import ipaddress
import logging
import sys
import threading
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import (  # pylint: disable=no-name-in-module
    AsyncSniffer,
    Ether,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    Raw,
    conf,
    get_if_hwaddr,
    sendp,
)

ETH_P_IPV6 = 0x86DD
NET = ipaddress.IPv6Network("2001:2::/48")


class Builder:
    def __init__(self, src_mac, dst_mac, src_ip, dst_ip, other_ip):
        self.src_mac, self.dst_mac = src_mac, dst_mac
        self.src_ip, self.dst_ip, self.other_ip = src_ip, dst_ip, other_ip

    def eth(self):
        return Ether(src=self.src_mac, dst=self.dst_mac, type=ETH_P_IPV6)

    @staticmethod
    def payload(case, seq):
        return f"portmux-malformed6 {case} {seq:03d}".encode()

    def echo(self, case, seq):
        return ICMPv6EchoRequest(id=0x4D58, seq=seq, data=self.payload(case, seq))

    def ip(self, **kw):
        kw.setdefault("src", self.src_ip)
        kw.setdefault("dst", self.dst_ip)
        kw.setdefault("hlim", 64)
        return IPv6(**kw)

    def valid(self, case, seq):
        return self.eth() / self.ip() / self.echo(case, seq)

    def bad_version(self, case, seq):
        pkt = bytearray(bytes(self.ip() / self.echo(case, seq)))
        pkt[0] = (pkt[0] & 0x0F) | 0x40
        return self.eth() / Raw(bytes(pkt))

    def bad_payload_length(self, case, seq):
        # Payload length 100 bytes beyond the frame.
        pkt = bytearray(bytes(self.ip() / self.echo(case, seq)))
        plen = len(pkt) - 40 + 100
        pkt[4:6] = plen.to_bytes(2, "big")
        return self.eth() / Raw(bytes(pkt))

    def ext_chain_long(self, case, seq):
        # Twelve destination options headers in a row (the walk is bounded
        # at 8: a "loop" of extension headers must not hold the worker).
        pkt = self.ip()
        for _ in range(12):
            pkt = pkt / IPv6ExtHdrDestOpt()
        return self.eth() / (pkt / self.echo(case, seq))

    def hbh_not_first(self, case, seq):
        return self.eth() / (self.ip() / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / self.echo(case, seq))

    def fragment(self, case, seq):
        # First fragment (M=1, offset 0) of an echo request.
        return self.eth() / (self.ip() / IPv6ExtHdrFragment(m=1, offset=0, id=0x1000 + seq) / self.echo(case, seq))

    def routing_type0(self, case, seq):
        return self.eth() / (
            self.ip() / IPv6ExtHdrRouting(type=0, segleft=1, addresses=[self.other_ip]) / self.echo(case, seq)
        )

    def multicast_source(self, case, seq):
        return self.eth() / self.ip(src="ff02::1") / self.echo(case, seq)

    def unspecified_source(self, case, seq):
        return self.eth() / self.ip(src="::") / self.echo(case, seq)

    def not_for_us(self, case, seq):
        return self.eth() / self.ip(dst=self.other_ip) / self.echo(case, seq)

    def icmp6_bad_checksum(self, case, seq):
        good = ICMPv6EchoRequest(bytes(self.ip() / self.echo(case, seq))[40:]).cksum
        return self.eth() / self.ip() / ICMPv6EchoRequest(
            id=0x4D58, seq=seq, data=self.payload(case, seq), cksum=(good + 1) & 0xFFFF if good != 0xFFFE else 0x1234
        )

    def ns_zero_length_option(self, case, seq):
        # Neighbour solicitation for our address (hop limit 255, unicast to
        # us as in neighbour unreachability detection) whose only option has
        # length 0 (RFC 4861 4.6: such a message must be discarded).
        ns = ICMPv6ND_NS(tgt=self.dst_ip) / Raw(bytes([1, 0, 0, 0, 0, 0, 0, 0]))
        return self.eth() / self.ip(hlim=255) / ns

    def ns_bad_hop_limit(self, case, seq):
        return self.eth() / self.ip(hlim=64) / ICMPv6ND_NS(tgt=self.dst_ip)


# name -> (counter, description); Builder has a method of the same name.
CASES = {
    "bad_version": ("ipv6_bad_version", "IP version 4 in an IPv6 frame"),
    "bad_payload_length": ("ipv6_bad_payload_length", "payload length 100 bytes beyond the frame"),
    "ext_chain_long": ("ipv6_ext_chain_too_long", "12 destination options headers in a row"),
    "hbh_not_first": ("ipv6_hbh_not_first", "hop-by-hop options after a destination options header"),
    "fragment": ("ipv6_fragment", "fragment header, M=1, offset 0"),
    "routing_type0": ("ipv6_routing_type0", "routing header type 0, segments left 1"),
    "multicast_source": ("ipv6_multicast_source", "source ff02::1"),
    "unspecified_source": ("ipv6_unspecified_source", "echo request from ::"),
    "not_for_us": ("ipv6_not_for_us", "echo request to 2001:2::3"),
    "icmp6_bad_checksum": ("icmp6_bad_checksum", "ICMPv6 checksum off by one"),
    "ns_zero_length_option": ("nd_zero_length_option", "neighbour solicitation with a zero-length option"),
    "ns_bad_hop_limit": ("nd_bad_hop_limit", "neighbour solicitation with hop limit 64"),
}


def is_upkeep(p, dst_mac):
    """The appliance's own neighbour upkeep: solicitations, unsolicited adverts."""
    if ICMPv6ND_NS in p:
        return True
    return ICMPv6ND_NA in p and not p[ICMPv6ND_NA].S


def run_case(builder, name, args):
    frames = [getattr(builder, name)(name, seq) for seq in range(args.count)]
    started = threading.Event()
    sniffer = AsyncSniffer(
        iface=args.iface,
        store=True,
        lfilter=lambda p: Ether in p and p[Ether].src.lower() == args.dst_mac and not is_upkeep(p, args.dst_mac)
        and p[Ether].type == ETH_P_IPV6,
        started_callback=started.set,
    )
    sniffer.start()
    if not started.wait(5):
        print(f"case {name}: sniffer did not start", file=sys.stderr)
        sniffer.stop()
        return None
    for f in frames:
        sendp(f, iface=args.iface, verbose=False)
        time.sleep(args.inter)
    time.sleep(args.wait)
    replies = sniffer.stop() or []
    counter = CASES[name][0] if name in CASES else "(echo replies)"
    print(f"case {name}: sent {len(frames)} x {len(bytes(frames[0]))}-byte frames, expect {counter} "
          f"+{len(frames)}; frames from {args.dst_mac}: {len(replies)}")
    for r in replies:
        print(f"    frame from appliance: {r.summary()}")
    return replies


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iface")
    p.add_argument("--dst-mac")
    p.add_argument("--src-ip", default="2001:2::2")
    p.add_argument("--dst-ip", default="2001:2::1")
    p.add_argument("--other-ip", default="2001:2::3")
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--case", action="append", dest="cases")
    p.add_argument("--inter", type=float, default=0.01)
    p.add_argument("--wait", type=float, default=0.5)
    p.add_argument("--list", action="store_true")
    p.add_argument("--control", action="store_true")
    args = p.parse_args()
    if args.list:
        for name, (counter, descr) in CASES.items():
            print(f"{name} {counter} {descr}")
        return 0
    if not args.iface or not args.dst_mac:
        p.error("--iface and --dst-mac are required")
    for ip in (args.src_ip, args.dst_ip, args.other_ip):
        if ipaddress.IPv6Address(ip) not in NET:
            p.error(f"{ip}: only 2001:2::/48 may be used")
    for c in args.cases or []:
        if c not in CASES:
            p.error(f"unknown case {c!r}")
    args.dst_mac = args.dst_mac.lower()
    conf.verb = 0
    b = Builder(get_if_hwaddr(args.iface).lower(), args.dst_mac, args.src_ip, args.dst_ip, args.other_ip)
    if args.control:
        replies = run_case(b, "valid", args)
        if replies is None:
            return 1
        seqs = sorted(r[ICMPv6EchoReply].seq for r in replies if ICMPv6EchoReply in r
                      and r[ICMPv6EchoReply].id == 0x4D58
                      and r[ICMPv6EchoReply].data == Builder.payload("valid", r[ICMPv6EchoReply].seq))
        ok = seqs == list(range(args.count))
        print(f"control: echo replies for seq {seqs} of {args.count} -> {'OK' if ok else 'FAIL'}")
        return 0 if ok else 1
    bad = 0
    for name in args.cases or list(CASES):
        replies = run_case(b, name, args)
        if replies is None or replies:
            bad += 1
    if bad:
        print(f"FAIL: {bad} case(s) drew an answer or could not be run", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
