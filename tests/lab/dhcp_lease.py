"""Minimal DHCPv4 client for lab tests: `python dhcp_lease.py IFACE MAC` prints the leased address.

Sends DISCOVER, then REQUEST for the offered address, with the broadcast flag set so replies reach
a link that has no address yet; exits non-zero unless an ACK arrives. Runs inside a lab node.
"""

from __future__ import annotations

import os
import socket
import struct
import sys

MAGIC = b"\x63\x82\x53\x63"
DISCOVER, OFFER, REQUEST, ACK = 1, 2, 3, 5


def packet(xid: int, mac: bytes, kind: int, extra: bytes = b"") -> bytes:
    """A BOOTREQUEST with the broadcast flag and options: message type, `extra`, end."""
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000, *[b""] * 4, mac, b"", b"")
    return fixed + MAGIC + bytes([53, 1, kind]) + extra + b"\xff"


def options(reply: bytes) -> dict[int, bytes]:
    """The options of a BOOTREPLY."""
    found: dict[int, bytes] = {}
    i = 240  # after the fixed header and the magic cookie
    while i < len(reply) and reply[i] != 255:
        if reply[i] == 0:
            i += 1
            continue
        found[reply[i]] = reply[i + 2 : i + 2 + reply[i + 1]]
        i += 2 + reply[i + 1]
    return found


def exchange(sock: socket.socket, request: bytes, xid: int, want: int) -> tuple[bytes, dict[int, bytes]]:
    """Broadcast `request`; return (yiaddr, options) of the first reply of type `want` for `xid`."""
    sock.sendto(request, ("255.255.255.255", 67))
    while True:
        reply = sock.recv(4096)
        if reply[4:8] == struct.pack("!I", xid) and (opts := options(reply)).get(53) == bytes([want]):
            return reply[16:20], opts


def main(iface: str, mac: str) -> None:
    """Run DISCOVER/OFFER/REQUEST/ACK on `iface` and print the acknowledged address."""
    hwaddr, xid = bytes.fromhex(mac.replace(":", "")), int.from_bytes(os.urandom(4), "big")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
        sock.settimeout(5)
        sock.bind(("", 68))
        offered, opts = exchange(sock, packet(xid, hwaddr, DISCOVER), xid, OFFER)
        chosen = bytes([50, 4]) + offered + bytes([54, 4]) + opts[54]
        acked, _ = exchange(sock, packet(xid, hwaddr, REQUEST, chosen), xid, ACK)
    print(socket.inet_ntoa(acked))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
