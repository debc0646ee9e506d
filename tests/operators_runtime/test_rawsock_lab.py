"""The packet socket on a real veth in a lab node: its BPF filter, its parser, its refusals."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nslab import Lab


def test_packet_socket_filter_and_parser(lab: Lab) -> None:
    node = lab.add_node("raw")
    out = json.loads(node.check([sys.executable, str(Path(__file__).with_name("rawsock_node.py"))]).stdout)
    # the BPF filter queues IPv4 UDP to port 68 that is not a later fragment (as tcpdump's "udp dst port 68")
    assert out["queued_dst_ports"] == [68, 68]
    assert out["received"] == ["dhcp reply", "second reply"]
    assert out["errors"] == {"lo": "OSError", "nosuchlink": "OSError"}


def test_arp_socket_sends_probes_the_kernel_answers(lab: Lab) -> None:
    node = lab.add_node("arp")
    out = json.loads(node.check([sys.executable, str(Path(__file__).with_name("arpsock_node.py"))]).stdout)
    v0, v1 = out["v0_mac"], out["v1_mac"]
    # the probe arrives as sent (RFC 5227: sender IP 0), and v0 does not read back its own frames
    assert out["v1_saw"] == [[1, v0, "0.0.0.0", "10.9.0.1"], [1, v0, "0.0.0.0", "10.9.0.2"]]
    # v1's kernel answers the probe for the address it holds, to v0's MAC, and nothing for the other
    assert out["v0_received"] == [[2, v1, "10.9.0.1", v0, "0.0.0.0"]]
    assert out["errors"] == {"lo": "OSError", "nosuchlink": "OSError"}
