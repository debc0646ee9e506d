"""NodeAddressController with the real runtime: the Talos node_address_test.go and addressutil vectors."""

from __future__ import annotations

import functools
import ipaddress
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest

from networkd.controllers.node_address import (
    ADDRESS_STATUS_OWNER,
    NodeAddressController,
    accumulate,
    compare_v1,
    compare_v2,
    deduplicate,
    filter_ips,
)
from networkd.resources.derived import NodeAddressSortAlgorithm
from networkd.resources.enums import AddressSortAlgorithm, Family, LinkType, OperationalState, Scope
from networkd.resources.link import LinkStatus
from networkd.resources.network import NETWORK, AddressStatus, NodeAddress, NodeAddressFilter
from networkd.resources.values import IPInterface
from networkd.runtime import Runtime
from networkd.state import State

PLATFORM_OWNER = "network.PlatformConfigApplyController"
NA = NodeAddress.TYPE.type


def pfx(text: str) -> IPInterface:
    return ipaddress.ip_interface(text)


def pfxs(text: str) -> list[IPInterface]:
    return [pfx(t) for t in text.split()]


def text(addrs: tuple[IPInterface, ...] | list[IPInterface]) -> str:
    return " ".join(str(a) for a in addrs)


class Node:
    """A State with links and addresses put in as the status controllers would."""

    def __init__(self, algorithm: AddressSortAlgorithm | None = AddressSortAlgorithm.V1) -> None:
        self.st = State()
        self.links: dict[str, int] = {}
        if algorithm is not None:
            self.set_algorithm(algorithm)

    def set_algorithm(self, algorithm: AddressSortAlgorithm) -> None:
        t = NodeAddressSortAlgorithm.TYPE
        cur = self.st.find(NETWORK, t.type, "default")
        spec = NodeAddressSortAlgorithm(algorithm=algorithm)
        if cur is None:
            self.st.create(t.new(NETWORK, "default", spec), "network.NodeAddressSortAlgorithmController")
        else:
            self.st.update(type(cur)(cur.metadata, spec), "network.NodeAddressSortAlgorithmController")

    def link(self, name: str, index: int, *, carrier: bool, kind: str = "",
             state: OperationalState = OperationalState.UNKNOWN) -> None:
        spec = LinkStatus(index=index, type=LinkType.ETHER, link_state=carrier, kind=kind, operational_state=state)
        self.st.create(LinkStatus.TYPE.new(NETWORK, name, spec), "network.LinkStatusController")
        self.links[name] = index

    def addr(self, link: str, *cidrs: str, scope: Scope = Scope.GLOBAL) -> None:
        for cidr in cidrs:
            a = pfx(cidr)
            spec = AddressStatus(address=a, link_name=link, link_index=self.links[link], scope=scope,
                                 family=Family.INET4 if a.version == 4 else Family.INET6)
            self.st.create(AddressStatus.TYPE.new(NETWORK, f"{link}/{a}", spec), ADDRESS_STATUS_OWNER)

    def external(self, *cidrs: str) -> None:
        for cidr in cidrs:
            a = pfx(cidr)
            spec = AddressStatus(address=a, link_name="external",
                                 family=Family.INET4 if a.version == 4 else Family.INET6)
            self.st.create(AddressStatus.TYPE.new(NETWORK, f"external/{a}", spec), PLATFORM_OWNER)

    def drop(self, link: str, cidr: str) -> None:
        self.st.destroy(NETWORK, AddressStatus.TYPE.type, f"{link}/{pfx(cidr)}", ADDRESS_STATUS_OWNER)

    def filter(self, id: str, *, include: str = "", exclude: str = "") -> None:
        spec = NodeAddressFilter(include_subnets=tuple(ipaddress.ip_network(s) for s in include.split()),
                                 exclude_subnets=tuple(ipaddress.ip_network(s) for s in exclude.split()))
        self.st.create(NodeAddressFilter.TYPE.new(NETWORK, id, spec), "k8s.AddressFilterController")

    def lists(self) -> dict[str, str]:
        out = {}
        for r in self.st.list(NETWORK, NA):
            assert isinstance(r.spec, NodeAddress)
            out[r.id] = text(r.spec.addresses)
        return out

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        rt = Runtime(self.st)
        rt.register(NodeAddressController())
        async with anyio.create_task_group() as tg:
            tg.start_soon(rt.run)
            yield
            tg.cancel_scope.cancel()

    async def converge(self, expected: dict[str, str], timeout: float = 2.0) -> None:
        """Wait until the NodeAddress lists equal `expected` (all of them, no more)."""
        with anyio.move_on_after(timeout):
            while self.lists() != expected:
                await anyio.sleep(0.005)
        assert self.lists() == expected


def two_links(n: Node) -> None:
    n.link("eth0", 1, carrier=True)
    n.link("eth1", 2, carrier=False)


# §2.1 TestFilters (v1)

V6 = "2001:470:6d:30e:4a62:b3ba:180b:b5b8/64"
SIDERO = "fdae:41e4:649b:9303:7886:731d:1ce9:4d4/128"


@pytest.mark.anyio
async def test_filters_v1() -> None:
    n = Node()
    two_links(n)
    n.addr("eth0", "10.0.0.1/8", "25.3.7.9/32", V6, "127.0.0.1/8", SIDERO, "fd54:616c:6f73::204f:5320:444e:531/128")
    n.addr("eth1", "10.0.0.2/8", "192.168.3.7/24")
    n.external("1.2.3.4/32", "25.3.7.9/32")
    n.filter("no-k8s", exclude="10.0.0.0/8")
    n.filter("only-k8s", include="10.0.0.0/8 192.168.0.0/16")
    async with n.running():
        await n.converge({
            "default": "10.0.0.1/8",
            "current": f"1.2.3.4/32 10.0.0.1/8 25.3.7.9/32 {V6} {SIDERO}",
            "routed": f"10.0.0.1/8 25.3.7.9/32 {V6}",
            "accumulative": f"1.2.3.4/32 10.0.0.1/8 10.0.0.2/8 25.3.7.9/32 192.168.3.7/24 {V6} {SIDERO}",
            "current-no-k8s": f"1.2.3.4/32 25.3.7.9/32 {V6} {SIDERO}",
            "routed-no-k8s": f"25.3.7.9/32 {V6}",
            "accumulative-no-k8s": f"1.2.3.4/32 25.3.7.9/32 192.168.3.7/24 {V6} {SIDERO}",
            "current-only-k8s": "10.0.0.1/8",
            "routed-only-k8s": "10.0.0.1/8",
            "accumulative-only-k8s": "10.0.0.1/8 10.0.0.2/8 192.168.3.7/24",
        })
        default = n.st.get(NETWORK, NA, "default")
        assert default.metadata.owner == "network.NodeAddressController"
        assert isinstance(default.spec, NodeAddress)
        assert default.spec.sort_algorithm is AddressSortAlgorithm.V1

        # a filter that goes away takes its lists with it; accumulative lists never shrink
        n.st.destroy(NETWORK, NodeAddressFilter.TYPE.type, "only-k8s", "k8s.AddressFilterController")
        n.drop("eth1", "10.0.0.2/8")
        await n.converge({
            "default": "10.0.0.1/8",
            "current": f"1.2.3.4/32 10.0.0.1/8 25.3.7.9/32 {V6} {SIDERO}",
            "routed": f"10.0.0.1/8 25.3.7.9/32 {V6}",
            "accumulative": f"1.2.3.4/32 10.0.0.1/8 10.0.0.2/8 25.3.7.9/32 192.168.3.7/24 {V6} {SIDERO}",
            "current-no-k8s": f"1.2.3.4/32 25.3.7.9/32 {V6} {SIDERO}",
            "routed-no-k8s": f"25.3.7.9/32 {V6}",
            "accumulative-no-k8s": f"1.2.3.4/32 25.3.7.9/32 192.168.3.7/24 {V6} {SIDERO}",
        })


# §2.2 TestSortAlgorithmV2

@pytest.mark.anyio
async def test_sort_algorithm_v2() -> None:
    n = Node(AddressSortAlgorithm.V2)
    two_links(n)
    n.addr("eth0", "1.2.3.4/26", "10.3.4.1/24", "10.3.4.5/24", "10.3.4.5/32", "192.168.35.11/24",
           "192.168.36.10/24", "127.0.0.1/8", "::1/128", "fd01:cafe::5054:ff:fe1f:c7bd/64",
           "fd01:cafe::f14c:9fa1:8496:557f/128")
    n.addr("eth1", "10.0.0.2/8", "192.168.3.7/24")
    n.external("1.2.3.4/26")
    ordered = ("1.2.3.4/26 10.3.4.5/32 10.3.4.1/24 10.3.4.5/24 192.168.35.11/24 192.168.36.10/24 "
               "fd01:cafe::f14c:9fa1:8496:557f/128 fd01:cafe::5054:ff:fe1f:c7bd/64")
    async with n.running():
        await n.converge({
            "default": "1.2.3.4/26",
            "current": ordered,
            "routed": ordered,
            "accumulative": "1.2.3.4/26 10.3.4.5/32 10.3.4.1/24 10.3.4.5/24 10.0.0.2/8 192.168.3.7/24 "
                            "192.168.35.11/24 192.168.36.10/24 fd01:cafe::f14c:9fa1:8496:557f/128 "
                            "fd01:cafe::5054:ff:fe1f:c7bd/64",
        })
        for r in n.st.list(NETWORK, NA):
            assert isinstance(r.spec, NodeAddress)
            assert r.spec.sort_algorithm is AddressSortAlgorithm.V2


# §2.3 TestFilterOverlappingSubnets

@pytest.mark.anyio
async def test_filter_overlapping_subnets() -> None:
    n = Node()
    n.link("eth0", 1, carrier=True)
    n.addr("eth0", "10.0.0.1/8", "10.96.0.2/32", "25.3.7.9/32")
    n.filter("no-k8s", exclude="10.96.0.0/12")
    n.filter("only-k8s", include="10.96.0.0/12")
    every = "10.0.0.1/8 10.96.0.2/32 25.3.7.9/32"
    async with n.running():
        await n.converge({
            "default": "10.0.0.1/8",
            "current": every, "routed": every, "accumulative": every,
            "current-no-k8s": "10.0.0.1/8 25.3.7.9/32",
            "routed-no-k8s": "10.0.0.1/8 25.3.7.9/32",
            "accumulative-no-k8s": "10.0.0.1/8 25.3.7.9/32",
            "current-only-k8s": "10.96.0.2/32",
            "routed-only-k8s": "10.96.0.2/32",
            "accumulative-only-k8s": "10.96.0.2/32",
        })


# §2.4 TestDefaultAddressChange

@pytest.mark.anyio
async def test_default_address_is_sticky_until_it_goes() -> None:
    n = Node()
    n.link("eth0", 1, carrier=True)
    n.addr("eth0", "10.0.0.5/8", "25.3.7.9/32", "127.0.0.1/8")
    async with n.running():
        await n.converge({"default": "10.0.0.5/8", "current": "10.0.0.5/8 25.3.7.9/32",
                          "routed": "10.0.0.5/8 25.3.7.9/32", "accumulative": "10.0.0.5/8 25.3.7.9/32"})
        n.addr("eth0", "1.1.1.1/32")
        both = "1.1.1.1/32 10.0.0.5/8 25.3.7.9/32"
        await n.converge({"default": "10.0.0.5/8", "current": both, "routed": both, "accumulative": both})
        n.drop("eth0", "10.0.0.5/8")
        await n.converge({"default": "1.1.1.1/32", "current": "1.1.1.1/32 25.3.7.9/32",
                          "routed": "1.1.1.1/32 25.3.7.9/32", "accumulative": both})


@pytest.mark.anyio
async def test_algorithm_change_replaces_default_and_reorders() -> None:
    n = Node()
    n.link("eth0", 1, carrier=True)
    n.addr("eth0", "10.3.4.5/24", "10.3.4.5/32", "10.3.4.1/24")
    async with n.running():
        await n.converge({"default": "10.3.4.1/24", "current": "10.3.4.1/24 10.3.4.5/24 10.3.4.5/32",
                          "routed": "10.3.4.1/24 10.3.4.5/24 10.3.4.5/32",
                          "accumulative": "10.3.4.1/24 10.3.4.5/24 10.3.4.5/32"})
        n.set_algorithm(AddressSortAlgorithm.V2)
        # accumulative is re-sorted, not duplicated (Talos would insert into a list sorted the old way)
        v2 = "10.3.4.5/32 10.3.4.1/24 10.3.4.5/24"
        await n.converge({"default": "10.3.4.5/32", "current": v2, "routed": v2, "accumulative": v2})


@pytest.mark.anyio
async def test_waits_for_sort_algorithm() -> None:
    n = Node(algorithm=None)
    n.link("eth0", 1, carrier=True)
    n.addr("eth0", "10.0.0.1/8")
    async with n.running():
        await anyio.sleep(0.05)
        assert n.lists() == {}
        n.set_algorithm(AddressSortAlgorithm.V1)
        await n.converge({"default": "10.0.0.1/8", "current": "10.0.0.1/8", "routed": "10.0.0.1/8",
                          "accumulative": "10.0.0.1/8"})


@pytest.mark.anyio
async def test_link_up_rules_and_excluded_addresses() -> None:
    n = Node()
    n.link("eth0", 1, carrier=True, state=OperationalState.DOWN)  # operationally down
    n.link("bond0", 2, carrier=False, kind="bond", state=OperationalState.UP)  # virtual: no carrier needed
    n.link("eth2", 3, carrier=True, state=OperationalState.UP)
    n.addr("eth0", "10.0.0.1/8")
    n.addr("bond0", "10.0.0.2/8")
    n.addr("eth2", "169.254.1.1/16", "fe80::1/64", "224.0.0.5/32", "::ffff:127.0.0.1/128", "10.0.0.3/8")
    n.addr("eth2", "10.9.9.9/32", scope=Scope.LINK)
    n.addr("eth2", "10.8.8.8/32", scope=Scope.SITE)
    async with n.running():
        await n.converge({"default": "10.0.0.2/8", "current": "10.0.0.2/8 10.0.0.3/8 10.8.8.8/32",
                          "routed": "10.0.0.2/8 10.0.0.3/8 10.8.8.8/32",
                          "accumulative": "10.0.0.1/8 10.0.0.2/8 10.0.0.3/8 10.8.8.8/32"})


@pytest.mark.anyio
async def test_only_external_addresses_give_no_default() -> None:
    n = Node()
    n.external("1.2.3.4/32")
    async with n.running():
        await n.converge({"current": "1.2.3.4/32", "routed": "", "accumulative": "1.2.3.4/32"})


# §2.6 addressutil vectors

SORT_VECTORS = [
    ("ipv4",
     "10.3.4.1/24 10.3.4.5/24 10.3.4.5/32 1.2.3.4/26 192.168.35.11/24 192.168.36.10/24",
     "1.2.3.4/26 10.3.4.1/24 10.3.4.5/24 10.3.4.5/32 192.168.35.11/24 192.168.36.10/24",
     "1.2.3.4/26 10.3.4.5/32 10.3.4.1/24 10.3.4.5/24 192.168.35.11/24 192.168.36.10/24"),
    ("ipv6",
     "2001:db8::1/64 2001:db8::1/128 2001:db8::2/64 2001:db8::2/128 2001:db8::3/64 2001:db8::3/128",
     "2001:db8::1/64 2001:db8::1/128 2001:db8::2/64 2001:db8::2/128 2001:db8::3/64 2001:db8::3/128",
     "2001:db8::1/128 2001:db8::2/128 2001:db8::3/128 2001:db8::1/64 2001:db8::2/64 2001:db8::3/64"),
    ("mixed",
     "fd01:cafe::5054:ff:fe1f:c7bd/64 fd01:cafe::f14c:9fa1:8496:557f/128 192.168.3.4/24 10.5.0.0/16",
     "10.5.0.0/16 192.168.3.4/24 fd01:cafe::5054:ff:fe1f:c7bd/64 fd01:cafe::f14c:9fa1:8496:557f/128",
     "10.5.0.0/16 192.168.3.4/24 fd01:cafe::f14c:9fa1:8496:557f/128 fd01:cafe::5054:ff:fe1f:c7bd/64"),
]


@pytest.mark.parametrize(("name", "given", "v1", "v2"), SORT_VECTORS, ids=[v[0] for v in SORT_VECTORS])
@pytest.mark.parametrize("seed", range(5))
def test_sort_vectors(name: str, given: str, v1: str, v2: str, seed: int) -> None:
    addrs = pfxs(given)
    random.Random(seed).shuffle(addrs)
    assert text(sorted(addrs, key=functools.cmp_to_key(compare_v1))) == v1
    assert text(sorted(addrs, key=functools.cmp_to_key(compare_v2))) == v2


@pytest.mark.parametrize("seed", range(5))
def test_accumulate_inserts_in_order(seed: int) -> None:
    for _, given, v1, v2 in SORT_VECTORS:
        addrs = pfxs(given)
        random.Random(seed).shuffle(addrs)
        for compare, want in ((compare_v1, v1), (compare_v2, v2)):
            half = len(addrs) // 2
            have = accumulate((), addrs[:half], compare)
            assert text(accumulate(have, addrs + addrs[:half], compare)) == want


@pytest.mark.parametrize(("given", "want"), [
    ("", ""),
    ("1.2.3.4/32 1.2.3.4/32", "1.2.3.4/32"),
    ("1.2.3.4/32 1.2.3.4/24 2000::aebc/64 2000::aebc/64", "1.2.3.4/32 1.2.3.4/24 2000::aebc/64"),
])
def test_deduplicate(given: str, want: str) -> None:
    assert text(deduplicate(pfxs(given))) == want


@pytest.mark.parametrize(("given", "include", "exclude", "want"), [
    ("1.2.3.4/32 2000::aebc/64", "", "", "1.2.3.4/32 2000::aebc/64"),
    ("1.2.3.4/32 2000::aebc/64", "0.0.0.0/0", "", "1.2.3.4/32"),
    ("1.2.3.4/32 2000::aebc/64", "", "0.0.0.0/0", "2000::aebc/64"),
    ("1.2.3.4/32 3.4.5.6/24 2000::aebc/64", "0.0.0.0/0", "3.0.0.0/8", "1.2.3.4/32"),
], ids=["empty filters", "v4 only", "v6 only", "include and exclude"])
def test_filter_ips(given: str, include: str, exclude: str, want: str) -> None:
    def subnets(words: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(w) for w in words.split()]

    assert text(filter_ips(pfxs(given), subnets(include), subnets(exclude))) == want
