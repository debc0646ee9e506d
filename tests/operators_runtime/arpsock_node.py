"""Inside a lab node: the ARP socket on a veth pair, against the kernel's own ARP.

Makes v0/v1 with 10.9.0.1/24 on v1 only, probes 10.9.0.1 and 10.9.0.2 from v0 and prints JSON: what
v0 received (the kernel of v1 answers for its address, not for the other), what v1 saw of the probes,
whether v0 saw its own frames, and the errors for unusable links.
"""

from __future__ import annotations

import json
import subprocess
import time
from ipaddress import IPv4Address

from networkd.operators.rawsock import ArpSocket
from operators import acd


def main() -> None:
    """Probe from v0 and report what both ends read."""
    for argv in (["link", "add", "v0", "type", "veth", "peer", "name", "v1"], ["link", "set", "v0", "up"],
                 ["link", "set", "v1", "up"], ["address", "add", "10.9.0.1/24", "dev", "v1"]):
        subprocess.run(["ip", *argv], check=True)
    errors = {}
    for name in ("lo", "nosuchlink"):
        try:
            ArpSocket(name).close()
        except OSError as exc:
            errors[name] = type(exc).__name__
    time.sleep(0.2)  # let the links come up
    tx, rx = ArpSocket("v0"), ArpSocket("v1")
    try:
        for target in ("10.9.0.1", "10.9.0.2"):
            tx.send(acd.encode(acd.probe(tx.mac, IPv4Address(target))))
        time.sleep(0.3)
        got = [acd.decode(p) for p in tx.drain()]
        seen = [acd.decode(p) for p in rx.drain()]
    finally:
        tx.close()
        rx.close()
    print(json.dumps({
        "v0_mac": tx.mac.hex(":"),
        "v1_mac": rx.mac.hex(":"),
        "v0_received": [[p.op, p.sender_mac.hex(":"), str(p.sender_ip), p.target_mac.hex(":"), str(p.target_ip)]
                        for p in got],
        "v1_saw": [[p.op, p.sender_mac.hex(":"), str(p.sender_ip), str(p.target_ip)] for p in seen],
        "errors": errors,
    }))


if __name__ == "__main__":
    main()
