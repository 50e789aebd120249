#!/usr/bin/python3
"""A burst of raw Ethernet/IPv4/UDP frames from one interface, as fast as
one AF_PACKET socket sends them.

  udp_burst.py IFACE DST_MAC --src SRC_IP --dst DST_IP --count N [--port P]

Each frame is a 28-byte IPv4/UDP datagram (source port 40000, destination
port P, 18 zero bytes of padding to the Ethernet minimum) from the
interface's own MAC to DST_MAC. portmux drops UDP (counted); what
test_af_packet_ring.sh looks at is its kernel ring overflowing.
"""
import argparse
import socket
import struct


def frame(dst_mac, src_mac, src_ip, dst_ip, port):
    # IP checksum left 0: the receiver counts the frame, not its validity.
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    return dst_mac + src_mac + b"\x08\x00" + ip + struct.pack("!HHHH", 40000, port, 8, 0) + bytes(18)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("iface")
    p.add_argument("dst_mac", help="aa:bb:cc:dd:ee:ff")
    p.add_argument("--src", required=True, help="source IPv4 address")
    p.add_argument("--dst", required=True, help="destination IPv4 address")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--port", type=int, default=9, help="UDP destination port (default 9)")
    a = p.parse_args()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    f = frame(bytes.fromhex(a.dst_mac.replace(":", "")), s.getsockname()[4], a.src, a.dst, a.port)
    for _ in range(a.count):
        s.send(f)


if __name__ == "__main__":
    main()
