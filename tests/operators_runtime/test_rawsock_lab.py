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
