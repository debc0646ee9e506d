"""Sockets of the DHCPv4 client: a packet socket for a link without an address, a UDP socket once bound.

Before a lease, the link has no address: the kernel neither routes a broadcast from 0.0.0.0 nor
delivers a reply unicast to an address it does not hold. So the client speaks through an
``AF_PACKET`` socket bound to the link, writing whole Ethernet/IPv4/UDP frames and reading every
IPv4 UDP datagram to port 68 through a classic BPF filter attached before the socket is bound
(nothing else is ever queued). The same socket keeps receiving once bound, replies unicast to the
leased address included; the :class:`UDPSocket` only sends (unicast RENEW, RELEASE) from the
leased address and drops everything it would receive, so the kernel answers no reply with an
ICMP port unreachable.

Frame building and parsing are pure functions (:func:`build_frame`, :func:`parse_frame`).

The :class:`ArpSocket` carries the ARP probe of a new address (``operators.acd``): an ``AF_PACKET``
datagram socket for ARP only, the kernel adding and removing the Ethernet header.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import socket
import struct
from dataclasses import dataclass
from ipaddress import IPv4Address

__all__ = [
    "BROADCAST_MAC",
    "CLIENT_PORT",
    "SERVER_PORT",
    "ArpSocket",
    "Datagram",
    "PacketSocket",
    "UDPSocket",
    "build_frame",
    "internet_checksum",
    "parse_frame",
]

CLIENT_PORT = 68
SERVER_PORT = 67
BROADCAST_MAC = b"\xff" * 6

# linux/if_ether.h, linux/if_packet.h, asm-generic/socket.h
_ETH_P_IP = 0x0800
_ETH_P_ARP = 0x0806
_SOL_PACKET = 263
_PACKET_AUXDATA = 8
_PACKET_OUTGOING = 4
_TP_STATUS_CSUMNOTREADY = 1 << 3
_SO_ATTACH_FILTER = 26
_ARPHRD_ETHER = 1

_ETH = struct.Struct("!6s6sH")
_IP = struct.Struct("!BBHHHBBH4s4s")
_UDP = struct.Struct("!HHHH")
_AUXDATA = struct.Struct("=IIIHHHH")  # struct tpacket_auxdata
_IP_TTL = 64  # IPDEFTTL
_IP_MF_OFFSET = 0x3FFF  # "more fragments" flag and fragment offset
_ANY = IPv4Address(0)
_LIMITED_BROADCAST = IPv4Address("255.255.255.255")

# Classic BPF: accept IPv4, UDP, not a fragment, destination port 68 (tcpdump "ip and udp dst port 68").
_ACCEPT_DHCP_CLIENT = (
    (0x28, 0, 0, 12),  # ldh [12]                  ethertype
    (0x15, 0, 8, _ETH_P_IP),  # jeq #0x800, else drop
    (0x30, 0, 0, 23),  # ldb [23]                  IP protocol
    (0x15, 0, 6, socket.IPPROTO_UDP),  # jeq #17, else drop
    (0x28, 0, 0, 20),  # ldh [20]                  flags and fragment offset
    (0x45, 4, 0, 0x1FFF),  # jset #0x1fff: a later fragment, drop
    (0xB1, 0, 0, 14),  # ldxb 4*([14]&0xf)        IP header length
    (0x48, 0, 0, 16),  # ldh [x+16]                UDP destination port
    (0x15, 0, 1, CLIENT_PORT),  # jeq #68, else drop
    (0x06, 0, 0, 0xFFFFFFFF),  # ret: the whole packet
    (0x06, 0, 0, 0),  # ret 0: drop
)
_DROP_ALL = ((0x06, 0, 0, 0),)


@dataclass(frozen=True, slots=True)
class Datagram:
    """A UDP datagram read off the link, with the addresses it came from."""

    src_mac: bytes
    src: IPv4Address
    dst: IPv4Address
    src_port: int
    payload: bytes


def internet_checksum(data: bytes) -> int:
    """RFC 1071 one's-complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return int(~total & 0xFFFF)


def _udp_checksum(src: bytes, dst: bytes, segment: bytes) -> int:
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_UDP, len(segment))
    # RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
    return internet_checksum(pseudo + segment) or 0xFFFF


def build_frame(
    payload: bytes,
    *,
    src_mac: bytes,
    dst_mac: bytes = BROADCAST_MAC,
    src: IPv4Address = _ANY,
    dst: IPv4Address = _LIMITED_BROADCAST,
    src_port: int = CLIENT_PORT,
    dst_port: int = SERVER_PORT,
) -> bytes:
    """An Ethernet frame carrying ``payload`` in IPv4/UDP, both checksums filled in."""
    udp_len = _UDP.size + len(payload)
    segment = _UDP.pack(src_port, dst_port, udp_len, 0) + payload
    csum = _udp_checksum(src.packed, dst.packed, segment)
    segment = segment[:6] + struct.pack("!H", csum) + segment[8:]
    header = _IP.pack(0x45, 0, _IP.size + udp_len, 0, 0, _IP_TTL, socket.IPPROTO_UDP, 0, src.packed, dst.packed)
    header = header[:10] + struct.pack("!H", internet_checksum(header)) + header[12:]
    return _ETH.pack(dst_mac, src_mac, _ETH_P_IP) + header + segment


def parse_frame(frame: bytes, *, verify_udp_checksum: bool = True) -> Datagram | None:
    """The UDP datagram in an Ethernet/IPv4 frame, or ``None`` if the frame is not a sound one.

    ``verify_udp_checksum`` is false for frames whose checksum the sender left to hardware
    (``TP_STATUS_CSUMNOTREADY``, as on a veth): the sum in them is only partial.
    """
    if len(frame) < _ETH.size + _IP.size + _UDP.size:
        return None
    _, src_mac, ethertype = _ETH.unpack_from(frame)
    if ethertype != _ETH_P_IP:
        return None
    ip = frame[_ETH.size :]
    ver_ihl, _, total_len, _, frag, _, proto, _, src, dst = _IP.unpack_from(ip)
    ihl = (ver_ihl & 0x0F) * 4
    if ver_ihl >> 4 != 4 or ihl < _IP.size or not ihl + _UDP.size <= total_len <= len(ip):
        return None
    if proto != socket.IPPROTO_UDP or frag & _IP_MF_OFFSET or internet_checksum(ip[:ihl]) != 0:
        return None
    segment = ip[ihl:total_len]
    src_port, _, udp_len, csum = _UDP.unpack_from(segment)
    if not _UDP.size <= udp_len <= len(segment):
        return None
    segment = segment[:udp_len]
    # RFC 768: a zero checksum means the sender computed none.
    if verify_udp_checksum and csum and _udp_checksum(src, dst, segment[:6] + b"\0\0" + segment[8:]) != csum:
        return None
    return Datagram(src_mac, IPv4Address(src), IPv4Address(dst), src_port, bytes(segment[_UDP.size :]))


def _bind_ethernet(sock: socket.socket, link_name: str, proto: int) -> bytes:
    """Bind a packet socket to `link_name` for `proto`, non-blocking; the link's MAC, or OSError if not Ethernet."""
    sock.bind((link_name, proto))
    sock.setblocking(False)
    _, _, _, hatype, mac = sock.getsockname()
    if hatype != _ARPHRD_ETHER or len(mac) != 6:
        raise OSError(f"{link_name} is not an Ethernet link (ARP hardware type {hatype})")
    return bytes(mac)


def _attach_filter(sock: socket.socket, program: tuple[tuple[int, int, int, int], ...]) -> None:
    """SO_ATTACH_FILTER with a classic BPF program (struct sock_fprog points at the instructions)."""
    code = b"".join(struct.pack("=HBBI", *insn) for insn in program)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("@HP", len(program), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)


async def _wait_readable(sock: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(sock.fileno(), wake)
    try:
        await ready
    finally:
        loop.remove_reader(sock.fileno())


class PacketSocket:
    """An ``AF_PACKET`` socket on one Ethernet link that sends and receives DHCP client frames."""

    def __init__(self, link_name: str) -> None:
        """Open and bind; raises ``OSError`` if the link does not exist or is not Ethernet."""
        # Protocol 0: nothing is queued until bind(), by which time the filter is in place.
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        try:
            _attach_filter(sock, _ACCEPT_DHCP_CLIENT)
            sock.setsockopt(_SOL_PACKET, _PACKET_AUXDATA, 1)
            mac = _bind_ethernet(sock, link_name, _ETH_P_IP)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self.link_name = link_name
        self.mac: bytes = mac

    def send(
        self,
        payload: bytes,
        *,
        src: IPv4Address = _ANY,
        dst: IPv4Address = _LIMITED_BROADCAST,
        dst_mac: bytes = BROADCAST_MAC,
        src_port: int = CLIENT_PORT,
        dst_port: int = SERVER_PORT,
    ) -> None:
        """Send ``payload`` in one frame (by default a broadcast from 0.0.0.0:68 to port 67)."""
        frame = build_frame(
            payload, src_mac=self.mac, dst_mac=dst_mac, src=src, dst=dst, src_port=src_port, dst_port=dst_port
        )
        self._sock.send(frame)

    async def recv(self) -> Datagram:
        """The next sound datagram to port 68 arriving on the link."""
        while True:
            try:
                frame, ancdata, _, address = self._sock.recvmsg(65535, socket.CMSG_SPACE(_AUXDATA.size))
            except BlockingIOError:
                await _wait_readable(self._sock)
                continue
            except OSError as exc:
                # The link went down (or was down at bind): the kernel reports it once and resumes
                # delivery when the link comes back up.
                if exc.errno != errno.ENETDOWN:
                    raise
                continue
            if address[2] == _PACKET_OUTGOING:
                continue
            checksum_ready = True
            for level, kind, data in ancdata:
                if level == _SOL_PACKET and kind == _PACKET_AUXDATA and len(data) >= _AUXDATA.size:
                    checksum_ready = not _AUXDATA.unpack_from(data)[0] & _TP_STATUS_CSUMNOTREADY
            datagram = parse_frame(frame, verify_udp_checksum=checksum_ready)
            if datagram is not None:
                return datagram

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self._sock.close()


class ArpSocket:
    """An ``AF_PACKET`` datagram socket for ARP on one Ethernet link; the caller polls :meth:`fileno`."""

    def __init__(self, link_name: str) -> None:
        """Open and bind; raises ``OSError`` if the link does not exist or is not Ethernet."""
        # Protocol 0 until bind(), as PacketSocket: nothing from before is queued.
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)
        try:
            mac = _bind_ethernet(sock, link_name, _ETH_P_ARP)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self.link_name = link_name
        self.mac: bytes = mac

    def fileno(self) -> int:
        """The socket's descriptor, to wait for readability."""
        return self._sock.fileno()

    def send(self, payload: bytes, dst_mac: bytes = BROADCAST_MAC) -> None:
        """Send one ARP payload (by default to the Ethernet broadcast address)."""
        self._sock.sendto(payload, (self.link_name, _ETH_P_ARP, 0, 0, dst_mac))

    def drain(self) -> list[bytes]:
        """Every ARP payload queued from other hosts (our own outgoing frames left out); never blocks."""
        out: list[bytes] = []
        while True:
            try:
                payload, address = self._sock.recvfrom(65535)
            except BlockingIOError:
                return out
            except OSError as exc:
                if exc.errno != errno.ENETDOWN:  # reported once when the link went down: go on
                    raise
                continue
            if address[2] != _PACKET_OUTGOING:
                out.append(payload)

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self._sock.close()


class UDPSocket:
    """A send-only UDP socket on port 68 of one link, for messages from the leased address."""

    def __init__(self, link_name: str) -> None:
        """Open and bind to 0.0.0.0:68 on the link; raises ``OSError`` on failure."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # Several links may each run a client: port 68 is shared, each socket tied to its device.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, link_name.encode())
            _attach_filter(sock, _DROP_ALL)  # replies are read from the packet socket
            sock.bind(("0.0.0.0", CLIENT_PORT))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def send(self, payload: bytes, dst: IPv4Address) -> None:
        """Send ``payload`` to ``dst``:67; raises ``OSError`` (e.g. no route while the address is not applied)."""
        self._sock.sendto(payload, (str(dst), SERVER_PORT))

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self._sock.close()
