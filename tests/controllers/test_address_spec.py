"""AddressSpecController against the kernel of a lab node; every result read with `ip -j` (IFA_PROTO: bare socket)."""

from __future__ import annotations

import json
import sys
from ipaddress import ip_interface
from typing import Any

import pytest
from nslab import Lab, Node, wait_for

from networkd.controllers.address_spec import matches
from networkd.kernel.types import IFA_F_NODAD, IFA_F_NOPREFIXROUTE, IFA_F_PERMANENT, RTPROT_NETWORKD, KernelAddress
from networkd.resources.enums import AddressFlags, Family, Scope
from networkd.resources.ids import address_id
from networkd.resources.network import AddressSpec
from tests.controllers.applier_lab import BATCH_PROBE, Appliers, Monitor, addr_protos, ip, latency, p50

TYPE = AddressSpec.TYPE.type
NAME = "network.AddressSpecController"


def spec(link: str, address: str, flags: AddressFlags = AddressFlags.PERMANENT, priority: int = 0,
         scope: Scope = Scope.GLOBAL) -> tuple[str, AddressSpec]:
    prefix = ip_interface(address)
    family = Family.INET4 if prefix.version == 4 else Family.INET6
    return address_id(link, prefix), AddressSpec(address=prefix, link_name=link, family=family, flags=flags,
                                                 priority=priority, scope=scope)


def addresses(node: Node, link: str) -> dict[str, dict[str, Any]]:
    """`ip -j addr show dev <link>` entries by "address/prefixlen"."""
    (shown,) = node.ip_json("addr", "show", "dev", link)
    return {f"{a['local']}/{a['prefixlen']}": a for a in shown["addr_info"]}


@pytest.fixture
def node(lab: Lab) -> Node:
    """Node "k" with veth v0 up (no address), its peer v1 in node "p"."""
    node = lab.add_node("k")
    lab.veth(node, lab.add_node("p"), "v0", "v1")
    return node


# the comparison of managed fields, without a kernel


def kernel_address(prefix: str, flags: int, priority: int = 0, scope: int = 0) -> KernelAddress:
    return KernelAddress(index=2, prefix=ip_interface(prefix), flags=flags, priority=priority, scope=scope,
                         protocol=RTPROT_NETWORKD)


def test_matches_compares_managed_flags_metric_and_ipv4_scope_only() -> None:
    _, v4 = spec("v0", "10.0.0.1/24", AddressFlags.PERMANENT | AddressFlags.NOPREFIXROUTE, priority=5)
    assert matches(v4, kernel_address("10.0.0.1/24", IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE, 5))
    assert matches(v4, kernel_address("10.0.0.1/24", IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE | 0x40 | 0x20, 5))
    assert not matches(v4, kernel_address("10.0.0.1/24", IFA_F_PERMANENT, 5))
    assert not matches(v4, kernel_address("10.0.0.1/24", IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE, 6))
    assert not matches(v4, kernel_address("10.0.0.1/24", IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE, 5, scope=253))
    # a spec without the permanent flag: the kernel reports every address without lifetimes as permanent
    _, plain = spec("v0", "fd00::1/64", AddressFlags.NODAD, scope=Scope.LINK)
    assert matches(plain, kernel_address("fd00::1/64", IFA_F_PERMANENT | IFA_F_NODAD))  # v6 scope is the kernel's


# the kernel


def test_addresses_tagged_foreign_ones_kept_teardown_and_changes(node: Node) -> None:
    ip(node, "addr", "add", "10.0.0.9/24", "dev", "v0")  # foreign, no spec
    ip(node, "addr", "add", "10.0.0.1/24", "dev", "v0")  # foreign, and a spec names the same address
    # a tagged address that no spec wants (as a previous run would have left it): removed at once (grace 0)
    orphan = [("address add", {"index": 2, "prefix": "10.0.3.1/24", "protocol": RTPROT_NETWORKD})]
    out = node.check([sys.executable, str(BATCH_PROBE), json.dumps(orphan)], uts_mount=False).stdout
    assert json.loads(out)["results"] == [None]
    index = node.ip_json("link", "show", "v0")[0]["ifindex"]
    assert index == 2
    wanted = [
        spec("v0", "10.0.0.1/24"),
        spec("v0", "10.0.1.1/24"),
        spec("v0", "fd00::1/64", AddressFlags.PERMANENT | AddressFlags.NODAD),
        spec("v0", "10.0.2.1/24", AddressFlags.PERMANENT | AddressFlags.NOPREFIXROUTE, priority=50),
        spec("lo", "127.0.0.1/8", scope=Scope.HOST),  # Talos's default: the kernel's own address on lo
    ]
    appliers = Appliers(node, grace=0.0, controllers=["address"])
    appliers.put(wanted)

    def converged() -> bool:
        shown = addresses(node, "v0")
        return "10.0.1.1/24" in shown and "fd00::1/64" in shown and "10.0.2.1/24" in shown \
            and "10.0.3.1/24" not in shown

    wait_for(converged, timeout=5.0, what="the addresses on v0")
    shown = addresses(node, "v0")
    assert shown["10.0.2.1/24"].get("noprefixroute") is True
    assert shown["10.0.2.1/24"].get("metric") == 50
    assert shown["fd00::1/64"].get("nodad") is True and not shown["fd00::1/64"].get("tentative")
    assert "10.0.0.9/24" in shown and "10.0.0.1/24" in shown
    protos = addr_protos(node)
    assert protos[(2, "10.0.1.1/24")] == protos[(2, "fd00::1/64")] == protos[(2, "10.0.2.1/24")] == RTPROT_NETWORKD
    assert protos[(2, "10.0.0.1/24")] == protos[(2, "10.0.0.9/24")] == 0  # foreign ones were not taken over
    assert protos[(1, "127.0.0.1/8")] != RTPROT_NETWORKD
    for id, _ in wanted:
        assert appliers.finalizers(TYPE, id) == [NAME]
    appliers.expect_lines(r"without our protocol tag", [  # said once, not at every pass
        "address 10.0.0.1/24 on v0 exists without our protocol tag (protocol 0); leaving it as it is",
        f"address 127.0.0.1/8 on lo exists without our protocol tag (protocol {protos[(1, '127.0.0.1/8')]}); "
        "leaving it as it is",
    ])

    # a managed flag changes: the address is replaced; one spec goes: its address goes, its spec is destroyed
    changed = [w for w in wanted if w[0] != "v0/10.0.1.1/24"]
    changed[3] = spec("v0", "10.0.2.1/24", priority=50)
    appliers.put(changed)
    wait_for(lambda: "10.0.1.1/24" not in addresses(node, "v0")
             and not addresses(node, "v0")["10.0.2.1/24"].get("noprefixroute"), timeout=5.0, what="the changes")
    wait_for(lambda: appliers.finalizers(TYPE, "v0/10.0.1.1/24") is None, timeout=5.0, what="the spec destroyed")
    assert addr_protos(node)[(2, "10.0.2.1/24")] == RTPROT_NETWORKD

    # every spec torn down: our addresses go, foreign ones (and lo's) stay
    appliers.put([])
    wait_for(lambda: set(addresses(node, "v0")) == {"10.0.0.9/24", "10.0.0.1/24", *link_locals(node)},
             timeout=5.0, what="only the foreign addresses left")
    assert "127.0.0.1/8" in addresses(node, "lo")
    appliers.wait_released(TYPE)
    appliers.expect_lines(r"^removed address", [
        "removed address 10.0.3.1/24 from v0",
        "removed address 10.0.1.1/24 from v0",
        "removed address 10.0.2.1/24 from v0",
        "removed address fd00::1/64 from v0",
    ])
    appliers.stop()


def link_locals(node: Node) -> set[str]:
    return {key for key in addresses(node, "v0") if key.startswith("fe80:")}


def test_drift_an_address_deleted_outside_comes_back(node: Node) -> None:
    appliers = Appliers(node, controllers=["address"])
    appliers.put([spec("v0", "10.0.0.1/24"), spec("v0", "fd00::1/64", AddressFlags.NODAD)])
    wait_for(lambda: {"10.0.0.1/24", "fd00::1/64"} <= set(addresses(node, "v0")), timeout=5.0, what="addresses")
    monitor = Monitor(node)
    samples = [
        latency(monitor, lambda: ip(node, "addr", "del", "10.0.0.1/24", "dev", "v0"),
                r"^Deleted \d+: v0\s+inet 10\.0\.0\.1/24", r"^\d+: v0\s+inet 10\.0\.0\.1/24")
        for _ in range(20)
    ]
    samples6 = [
        latency(monitor, lambda: ip(node, "addr", "del", "fd00::1/64", "dev", "v0"),
                r"^Deleted \d+: v0\s+inet6 fd00::1/64", r"^\d+: v0\s+inet6 fd00::1/64")
        for _ in range(5)
    ]
    monitor.stop()
    print(f"address drift repair: p50 {p50(samples) * 1000:.1f} ms over {len(samples)} (IPv6 p50 "
          f"{p50(samples6) * 1000:.1f} ms), max {max(samples) * 1000:.1f} ms")
    assert p50(samples) < 0.1
    assert addr_protos(node)[(2, "10.0.0.1/24")] == RTPROT_NETWORKD
    appliers.stop()
    assert appliers.lines(r"^drift: ").count("drift: restored address 10.0.0.1/24 on v0") == 20
