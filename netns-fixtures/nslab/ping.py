"""ICMP echo to one address, for hosts without iputils-ping: `python ping.py ADDRESS [TIMEOUT]`.

Runs inside a node (root, raw socket); exits 0 on the first echo reply, 1 if none came in time.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import sys
import time


def _checksum(data: bytes) -> int:
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data[: len(data) & ~1]))
    if len(data) % 2:
        total += data[-1] << 8
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF


def _await_reply(sock: socket.socket, reply: int, ident: int, v6: bool, wait: float) -> bool:
    until = time.monotonic() + wait
    while (left := until - time.monotonic()) > 0 and select.select([sock], [], [], left)[0]:
        data = sock.recv(65535)
        icmp = data if v6 else data[(data[0] & 0x0F) * 4 :]  # IPv4 raw sockets include the IP header
        if len(icmp) >= 8 and icmp[0] == reply and struct.unpack("!H", icmp[4:6])[0] == ident:
            return True
    return False


def ping(address: str, timeout: float) -> bool:
    """Send an echo request every 0.5 s until a reply arrives or `timeout` passes."""
    family, _, _, _, sockaddr = socket.getaddrinfo(address, None, type=socket.SOCK_DGRAM)[0]
    v6 = family == socket.AF_INET6
    request, reply = (128, 129) if v6 else (8, 0)
    ident = os.getpid() & 0xFFFF
    deadline = time.monotonic() + timeout
    seq = 0
    with socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP) as sock:
        while (left := deadline - time.monotonic()) > 0:
            seq = (seq + 1) & 0xFFFF
            packet = struct.pack("!BBHHH", request, 0, 0, ident, seq) + b"nslab"
            if not v6:  # the kernel fills in the ICMPv6 checksum itself
                packet = packet[:2] + struct.pack("!H", _checksum(packet)) + packet[4:]
            sock.sendto(packet, sockaddr)
            if _await_reply(sock, reply, ident, v6, min(0.5, left)):
                return True
    return False


if __name__ == "__main__":
    sys.exit(0 if ping(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 3.0) else 1)
