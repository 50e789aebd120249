#!/usr/bin/python3
"""Peers for the forged-ICMP checks of test_pmtu.sh and test_ipv6_pmtu.sh.

  pmtu_peer.py hold DUT_IP --port P --sport S [--seconds N]
      a TCP connection to DUT_IP:P from local port S, held open N seconds
      (default 30); DUT_IP of either family
  pmtu_peer.py forge DUT_IP PEER_IP --sport S --dport D --seq Q --mtu M
      sends (scapy) an ICMP fragmentation needed (IPv4) or an ICMPv6 packet
      too big (IPv6), MTU M, from PEER_IP to DUT_IP, quoting a segment
      DUT_IP:S -> PEER_IP:D with sequence number Q: the message a forger who
      cannot see the connection would send, since Q is not in flight
      (RFC 5927 4.1; RFC 8201 5.2 for IPv6)

forge needs root and the system interpreter's scapy (/usr/bin/python3).
"""
import argparse
import socket
import time


def hold(a):
    any_addr = "::" if ":" in a.dut_ip else "0.0.0.0"
    s = socket.create_connection((a.dut_ip, a.port), source_address=(any_addr, a.sport))
    time.sleep(a.seconds)
    s.close()


def forge(a):
    if ":" in a.dut_ip:
        forge6(a)
        return
    from scapy.all import ICMP, IP, TCP, conf, raw, send

    conf.verb = 0
    quoted = raw(IP(src=a.dut_ip, dst=a.peer_ip, flags="DF", len=1500) /
                 TCP(sport=a.sport, dport=a.dport, seq=a.seq, flags="A"))[:28]
    send(IP(src=a.peer_ip, dst=a.dut_ip) / ICMP(type=3, code=4, nexthopmtu=a.mtu) / quoted)


def forge6(a):
    from scapy.all import IPv6, TCP, ICMPv6PacketTooBig, conf, raw, send

    conf.verb = 0
    # The quote: the whole IPv6 header and the first 8 bytes of TCP (ports
    # and sequence number), what a router quotes at least (RFC 4443 3.2).
    quoted = raw(IPv6(src=a.dut_ip, dst=a.peer_ip, plen=1440) /
                 TCP(sport=a.sport, dport=a.dport, seq=a.seq, flags="A"))[:48]
    send(IPv6(src=a.peer_ip, dst=a.dut_ip) / ICMPv6PacketTooBig(mtu=a.mtu) / quoted)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    h = sub.add_parser("hold", help="hold one TCP connection from a fixed port")
    h.add_argument("dut_ip")
    h.add_argument("--port", type=int, required=True)
    h.add_argument("--sport", type=int, required=True)
    h.add_argument("--seconds", type=float, default=30)
    f = sub.add_parser("forge", help="send a forged ICMP fragmentation needed")
    f.add_argument("dut_ip")
    f.add_argument("peer_ip")
    f.add_argument("--sport", type=int, required=True, help="the quoted segment's source port")
    f.add_argument("--dport", type=int, required=True, help="the quoted segment's destination port")
    f.add_argument("--seq", type=lambda v: int(v, 0), required=True, help="its sequence number")
    f.add_argument("--mtu", type=int, required=True, help="the next-hop MTU announced")
    a = p.parse_args()
    {"hold": hold, "forge": forge}[a.mode](a)


if __name__ == "__main__":
    main()
