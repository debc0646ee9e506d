"""Inside a lab node: what the packet socket's BPF filter queues, and what recv() returns.

Makes a veth pair v0/v1, sends frames from v0 and prints JSON: the destination ports of the
frames queued on v1's socket, the payloads recv() returns, and the errors for unusable links.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import subprocess

from networkd.operators.rawsock import PacketSocket, build_frame, internet_checksum


def fragment(frame: bytes, flags_offset: int) -> bytes:
    """`frame` with the IP flags/fragment-offset field set and the header checksum redone."""
    header = bytearray(frame[14:34])
    header[6:8] = struct.pack("!H", flags_offset)
    header[10:12] = b"\0\0"
    header[10:12] = struct.pack("!H", internet_checksum(bytes(header)))
    return frame[:14] + bytes(header) + frame[34:]


async def main() -> None:
    """Send a mix of frames from v0 and report what v1 sees."""
    for argv in (["link", "add", "v0", "type", "veth", "peer", "name", "v1"], ["link", "set", "v0", "up"],
                 ["link", "set", "v1", "up"]):
        subprocess.run(["ip", *argv], check=True)
    errors = {}
    for name in ("lo", "nosuchlink"):
        try:
            PacketSocket(name).close()
        except OSError as exc:
            errors[name] = type(exc).__name__
    tx, rx = PacketSocket("v0"), PacketSocket("v1")
    first = fragment(build_frame(b"first fragment", src_mac=tx.mac, src_port=67, dst_port=68), 0x2000)
    try:
        tx._sock.send(fragment(build_frame(b"later fragment", src_mac=tx.mac, src_port=67, dst_port=68), 0x0010))
        tx._sock.send(first)
        tx.send(b"to 9999", dst_port=9999)
        tx.send(b"to the server port")
        tx.send(b"dhcp reply", src_port=67, dst_port=68)
        await asyncio.sleep(0.1)
        queued = []  # what the filter let through, read straight off the socket
        with contextlib.suppress(BlockingIOError):
            while True:
                queued.append(struct.unpack_from("!H", rx._sock.recv(65535), 14 + 20 + 2)[0])
        tx._sock.send(first)  # passes the filter (offset 0) but not the parser
        tx.send(b"dhcp reply", src_port=67, dst_port=68)
        tx.send(b"second reply", src_port=67, dst_port=68)
        received = [(await asyncio.wait_for(rx.recv(), 2)).payload.decode() for _ in range(2)]
    finally:
        tx.close()
        rx.close()
    print(json.dumps({"queued_dst_ports": queued, "received": received, "errors": errors}))


if __name__ == "__main__":
    asyncio.run(main())
