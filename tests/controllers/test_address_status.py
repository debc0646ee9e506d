"""AddressStatusController: addresses in a lab node checked against `ip -j address`; the mapping on records."""

from __future__ import annotations

from ipaddress import IPv4Address, ip_interface
from typing import Any

import pytest
from nslab import Lab, Node
from observer_lab import index_of, ip, observe, timed

from networkd.controllers.address_status import address_status
from networkd.kernel.types import KernelAddress
from networkd.resources.base import to_plain

# ip's words for IFA_F_* flags, in AddressFlags words; ip says "dynamic" where IFA_F_PERMANENT is missing
FLAG_WORDS = {"secondary": "temporary", "temporary": "temporary", "nodad": "nodad", "optimistic": "optimistic",
              "dadfailed": "dadfailed", "home": "homeaddress", "deprecated": "deprecated", "tentative": "tentative",
              "mngtmpaddr": "mngmtmpaddr", "noprefixroute": "noprefixroute", "autojoin": "mcautojoin",
              "stable-privacy": "stableprivacy"}
FAMILIES = {"inet": "inet4", "inet6": "inet6"}


def expected_addresses(node: Node) -> dict[str, Any]:
    """What `ip -j address` says of every address, keyed by AddressStatus id."""
    out = {}
    for link in node.ip_json("address", "show"):
        for addr in link["addr_info"]:
            flags = {word for key, word in FLAG_WORDS.items() if addr.get(key)}
            if not addr.get("dynamic"):
                flags.add("permanent")
            prefix = f"{addr['local']}/{addr['prefixlen']}"
            out[f"{link['ifname']}/{prefix}"] = {
                "address": prefix,
                "local": addr["local"] if addr["family"] == "inet" else None,
                "broadcast": addr.get("broadcast"),
                "linkIndex": link["ifindex"],
                "linkName": link["ifname"],
                "family": FAMILIES[addr["family"]],
                "scope": addr["scope"],
                "flags": sorted(flags),
                "priority": addr.get("metric", 0),
            }
    return out


def view(statuses: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The statuses in the shape of `expected_addresses` (flags as a sorted list, absent fields as None/0)."""
    return {
        id: {
            "address": s["address"], "local": s.get("local"), "broadcast": s.get("broadcast"),
            "linkIndex": s["linkIndex"], "linkName": s["linkName"], "family": s["family"], "scope": s["scope"],
            "flags": sorted(f for f in s["flags"].split(",") if f), "priority": s.get("priority", 0),
        }
        for id, s in statuses.items()
    }


@pytest.fixture
def node(lab: Lab) -> Node:
    """A node with veth v0 (to a peer node) carrying IPv4 and IPv6 addresses of every sort, and a veth w0."""
    node, peer = lab.add_node("k"), lab.add_node("peer")
    lab.veth(node, peer, "v0", "v1", a_addrs=["10.0.0.1/24", "fd00::1/64"], b_addrs=["10.0.0.2/24", "fd00::2/64"])
    ip(node, "address", "add", "10.1.0.1/24", "broadcast", "+", "dev", "v0")
    ip(node, "address", "add", "10.2.0.1/24", "dev", "v0", "metric", "50")
    ip(node, "address", "add", "10.3.0.1/24", "dev", "v0", "scope", "link")
    ip(node, "address", "add", "10.9.0.1", "peer", "10.9.0.2/32", "dev", "v0")
    ip(node, "address", "add", "fd01::1/64", "dev", "v0", "nodad", "noprefixroute")
    ip(node, "address", "add", "fd03::1/64", "dev", "v0", "nodad", "valid_lft", "300", "preferred_lft", "0")
    ip(node, "link", "add", "w0", "type", "veth", "peer", "name", "w1")
    ip(node, "address", "add", "192.168.7.1/24", "dev", "w0")
    return node


def test_addresses_match_ip(node: Node) -> None:
    with observe(node) as observed:
        addresses = observed.converged("AddressStatus", lambda: expected_addresses(node), view)
    v0 = index_of(node, "v0")
    # the seed's `talosctl get address eth0/172.20.0.2/24 -o yaml`, field for field and in order
    status = addresses["v0/10.1.0.1/24"]
    assert list(status.items()) == [("address", "10.1.0.1/24"), ("local", "10.1.0.1"), ("broadcast", "10.1.0.255"),
                                    ("linkIndex", v0), ("linkName", "v0"), ("family", "inet4"), ("scope", "global"),
                                    ("flags", "permanent")]
    assert addresses["lo/127.0.0.1/8"]["scope"] == "host"
    assert addresses["lo/::1/128"]["family"] == "inet6" and "local" not in addresses["lo/::1/128"]
    assert addresses["v0/10.2.0.1/24"]["priority"] == 50
    assert addresses["v0/10.3.0.1/24"]["scope"] == "link"
    assert addresses["v0/10.9.0.1/32"]["local"] == "10.9.0.1", "point-to-point: keyed by the local address"
    assert addresses["v0/fd01::1/64"]["flags"] == "nodad,permanent,noprefixroute"
    assert addresses["v0/fd03::1/64"]["flags"] == "nodad,deprecated", "a lifetime: dynamic, not permanent"
    assert addresses["w0/192.168.7.1/24"]["linkName"] == "w0"
    assert any(id.startswith("v0/fe80::") and a["scope"] == "link" for id, a in addresses.items())


def test_changes_show_up_within_a_second(node: Node) -> None:
    with observe(node) as observed:
        observed.converged("AddressStatus", lambda: expected_addresses(node), view)

        def ids() -> set[str]:
            return set(observed.statuses("AddressStatus"))

        timed(lambda: ip(node, "address", "add", "10.4.0.1/16", "dev", "v0"), lambda: "v0/10.4.0.1/16" in ids(),
              what="IPv4 address added")
        timed(lambda: ip(node, "address", "add", "fd04::1/64", "dev", "v0", "nodad"),
              lambda: "v0/fd04::1/64" in ids(), what="IPv6 address added")
        timed(lambda: ip(node, "address", "del", "10.4.0.1/16", "dev", "v0"), lambda: "v0/10.4.0.1/16" not in ids(),
              what="IPv4 address removed")
        timed(lambda: ip(node, "address", "del", "fd04::1/64", "dev", "v0"), lambda: "v0/fd04::1/64" not in ids(),
              what="IPv6 address removed")
        timed(lambda: ip(node, "link", "set", "w0", "name", "w9"),
              lambda: "w9/192.168.7.1/24" in ids() and "w0/192.168.7.1/24" not in ids(), what="renamed link")
        timed(lambda: ip(node, "link", "del", "w9"), lambda: not [i for i in ids() if i.startswith("w9/")],
              what="deleted link")
        observed.converged("AddressStatus", lambda: expected_addresses(node), view)


def test_mapping_and_a_link_gone_mid_dump() -> None:
    address = KernelAddress(index=4, prefix=ip_interface("172.20.0.2/24"), link_name="eth0",
                            local=IPv4Address("172.20.0.2"), broadcast=IPv4Address("172.20.0.255"), flags=0x80)
    found = address_status(address)
    assert found is not None
    assert found[0] == "eth0/172.20.0.2/24"
    assert to_plain(found[1]) == {"address": "172.20.0.2/24", "local": "172.20.0.2", "broadcast": "172.20.0.255",
                                  "linkIndex": 4, "linkName": "eth0", "family": "inet4", "scope": "global",
                                  "flags": "permanent"}
    v6 = address_status(KernelAddress(index=2, prefix=ip_interface("fe80::1/64"), link_name="v0", scope=253,
                                      flags=0x40 | 0x80, priority=256))
    assert v6 is not None and v6[0] == "v0/fe80::1/64"
    assert (to_plain(v6[1])["flags"], to_plain(v6[1])["scope"], v6[1].priority) == ("tentative,permanent", "link", 256)
    assert address_status(KernelAddress(index=9, prefix=ip_interface("10.0.0.1/24"))) is None
