"""systemd-network-generator's `ip=` cases (systemd_ipcmdline_cases.json) mapped onto our settings.

Every case is in exactly one table: MAPPED (the .network files map field by field onto link configs,
hostname, DNS and NTP), REJECTED (a located error and nothing else) or EXPLICIT (our result spelled out,
with why it agrees with systemd or differs). Not modelled anywhere: systemd's `Peer=` (field 1 is the boot
server for the kernel and Talos, ignored) and `LinkLocalAddressing=`/`IPv6AcceptRA=` of `off`/`none`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from ipaddress import ip_address, ip_interface
from pathlib import Path
from typing import Any

import pytest

from cmdline import (
    DEFAULT_BOND_SLAVES,
    BondMaster,
    BondSlave,
    CmdlineResult,
    LinkConfig,
    LinkInfo,
    LinkSpec,
    VLANSpec,
    fill_bond_defaults,
    parse,
)

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "vectors"
CASES_FILE = VECTORS / "systemd_ipcmdline_cases.json"

HOST_LINKS = (LinkInfo("lo", physical=False), LinkInfo("enp0s1"))
DEFAULT_LINK = "enp0s1"

# Mapped field by field; the value names an argument of the same line that is rejected as unsupported.
MAPPED: dict[str, str | None] = {
    **dict.fromkeys(["U02", "U03", "U04", "U05", "U06", "U07", "U08", "U09", "U10", "U11", "U12", "U13"]),
    **dict.fromkeys(["U14", "U15", "U16", "F-test-03-issue-14319", "I01", "I02", "I04", "I05"]),
    **dict.fromkeys(f"L{i:02}" for i in range(1, 24)),
    "U39": "rd.route",
    "U42": "rd.peerdns",
    "U43": "bridge",
    "F-test-02-bridge": "bridge",
}

ALL_LINKS = "all-links form: only ip=dhcp (already the default) is accepted"
NOT_IP = "not an IP address (IPv6 needs brackets)"
REJECTED: dict[str, tuple[str, str, str]] = {
    # id: (argument key, field, why)
    "U01": ("ip", "autoconf", ALL_LINKS),
    **{f"S{i:02}": ("ip", "autoconf", ALL_LINKS) for i in range(2, 12)},
    "I03": ("ip", "autoconf", "link-local is not implemented"),
    "L25": ("ip", "autoconf", "ibft is not implemented"),
    "X01": ("ip", "client-ip", "not an autoconf keyword, so the long form, and 'foo' is not an address"),
    "X03": ("ip", "dns0-ip", "'foo' is not a DNS server address"),
    "X04": ("ip", "client-ip", NOT_IP),
    "X05": ("ip", "netmask", "neither a prefix length nor a mask"),
    "X08": ("ip", "mtu", "MTU does not fit 32 bits"),
    "X09": ("ip", "dns0-ip", "'-1' is neither an MTU nor an address"),
    "X10": ("ip", "mtu", "a MAC address needs six octets"),
    "X12": ("ip", "client-ip", NOT_IP),
    "X14": ("ip", "dns0-ip", "'foo' is neither an MTU nor an address"),
    "X15": ("ip", "dns1-ip", "'foo' is not an address"),
    "U30": ("bond", "options", "bond options are checked, as in Talos (systemd ignores them)"),
    **{i: ("rd.route", "rd.route", "rd.route= is not implemented") for i in ("U17", "U18")},
    "U19": ("nameserver", "nameserver", "nameserver= is not implemented"),
    **{i: ("rd.peerdns", "rd.peerdns", "rd.peerdns= is not implemented") for i in ("U20", "U21")},
    **{i: ("bridge", "bridge", "bridge= is not implemented") for i in ("U23", "U24", "U27", "U28")},
    "U36": ("ifname", "ifname", "ifname= is not implemented"),
    **{i: ("net.ifname-policy", "net.ifname-policy", "not implemented") for i in ("U37", "U38")},
}


def _config(name: str, address: str = "", gateway: str = "", dhcp: str = "", mtu: int | None = None) -> LinkConfig:
    return LinkConfig(
        name,
        ip_interface(address) if address else None,
        ip_address(gateway) if gateway else None,
        dhcp4=dhcp in ("4", "46"),
        dhcp6=dhcp in ("6", "46"),
        mtu=mtu,
    )


def _ip_result(*configs: LinkConfig, hostname: str | None = None, dns: tuple[str, ...] = ()) -> CmdlineResult:
    return CmdlineResult(
        link_configs=configs,
        hostname=hostname,
        dns_servers=tuple(ip_address(server) for server in dns),
        link_specs=tuple(LinkSpec(config.link_name) for config in configs),
    )


def _bond(slaves: tuple[str, ...], mtu: int | None = None) -> CmdlineResult:
    master = LinkSpec(
        "bond99", logical=True, kind="bond", type="ether", mtu=mtu, bond_master=fill_bond_defaults(BondMaster())
    )
    members = (LinkSpec(slave, bond_slave=BondSlave("bond99", i)) for i, slave in enumerate(slaves))
    return CmdlineResult(link_specs=(master, *members))


def _vlan(name: str, vid: int) -> CmdlineResult:
    spec = LinkSpec(name, logical=True, kind="vlan", type="ether", parent_name="eth0", vlan=VLANSpec(vid))
    return CmdlineResult(link_specs=(spec,))


V6 = "fdef:c400:bd01:1096::"
STATIC_ON = _config("eth0", "192.168.0.10/24", "192.168.0.1", "46")
DUMMY99 = _config("dummy99", "1.2.3.4/24", "1.2.3.1")
IPV6 = _config("ipv6", f"{V6}2/64", f"{V6}1")
DHCP99 = _config("dhcp99", dhcp="6")
TALOS_ACCEPTS = "systemd refuses it; Talos accepts it and so do we"

# id: (why, result without errors, rejected arguments as (argument, field))
EXPLICIT: dict[str, tuple[str, CmdlineResult, tuple[tuple[str, str], ...]]] = {
    "S01": ("ip=dhcp is ignored as in Talos: DHCPv4 on every link is the default", CmdlineResult(), ()),
    "F-test-01-dhcp": ("ip=dhcp is ignored as in Talos", CmdlineResult(), ()),
    "L24": ("no device: Talos's default link, not every link", _ip_result(_config(DEFAULT_LINK, dhcp="46")), ()),
    "U25": ("agrees: eth0 and eth1 are slaves of bond99", _bond(("eth0", "eth1")), ()),
    "U26": ("agrees, MTU included", _bond(("eth0", "eth1"), 1530), ()),
    "U31": ("agrees, MTU included", _bond(("eth0", "eth1"), 1530), ()),
    "U29": ("no slaves given: dracut's and Talos's eth0,eth1; systemd: none", _bond(DEFAULT_BOND_SLAVES), ()),
    "U32": ("Talos names VLAN links <parent>.<vid>", _vlan("eth0.123", 123), ()),
    "U33": ("Talos reads the id in decimal (systemd: octal 11)", _vlan("eth0.13", 13), ()),
    "U34": ("agrees", _vlan("eth0.123", 123), ()),
    "U35": ("decimal id and Talos naming", _vlan("eth0.13", 13), ()),
    "U22": ("one vlan= as in Talos", _vlan("eth0.99", 99), (("vlan=vlan98:eth0", "vlan"),)),
    "U40": (
        "nameserver= is not implemented, so DNS is the ip= servers only",
        _ip_result(STATIC_ON, hostname="hogehoge"),
        (("nameserver=10.1.2.3", "nameserver"),),
    ),
    "U41": (
        "nameserver= is not implemented, so DNS is the ip= servers only",
        _ip_result(STATIC_ON, hostname="hogehoge", dns=("10.10.10.10", "10.10.10.11")),
        (("nameserver=10.1.2.3", "nameserver"),),
    ),
    "X02": (f"{TALOS_ACCEPTS}: every field empty", _ip_result(_config(DEFAULT_LINK)), ()),
    "X06": (
        f"{TALOS_ACCEPTS}: the hostname is checked downstream, when it is applied",
        _ip_result(_config("foo99", "10.0.0.1/24"), hostname="invalid_hostname"),
        (),
    ),
    "X07": (f"{TALOS_ACCEPTS}: it may be an altname", _ip_result(_config("verylonginterfacename", "10.0.0.1/24")), ()),
    "X11": (f"{TALOS_ACCEPTS}: empty fields", _ip_result(DUMMY99, hostname="hello-world.local"), ()),
    "X13": (f"{TALOS_ACCEPTS}: empty fields", _ip_result(IPV6), ()),
    "X16": (f"{TALOS_ACCEPTS}: empty fields", _ip_result(IPV6, dns=(f"{V6}aaaa", f"{V6}bbbb")), ()),
    "X17": (f"{TALOS_ACCEPTS}: empty fields", _ip_result(DHCP99, dns=("10.0.0.128", "10.0.0.129")), ()),
    "X18": (f"{TALOS_ACCEPTS}: empty fields", _ip_result(DHCP99, dns=("10.0.0.128", f"{V6}bbbb")), ()),
}


def _load() -> dict[str, dict[str, Any]]:
    if not CASES_FILE.is_file():
        return {}
    return {case["id"]: case for case in json.loads(CASES_FILE.read_text())}


CASES = _load()
MISSING = pytest.mark.skipif(not CASES, reason=f"shared vectors not found at {CASES_FILE}")

DHCP = {"no": (False, False), "ipv4": (True, False), "ipv6": (False, True), "yes": (True, True)}


def _networks(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The named-link .network expectations of a case."""
    expected = case["expected"]
    networks = [expected] if "check_object" in case else [v for k, v in expected.items() if k.endswith(".network")]
    assert all(network["match"].startswith("Name=") for network in networks)
    return networks


def _systemd_view(network: dict[str, Any]) -> tuple[object, ...]:
    addresses = [address["address"] for address in network.get("addresses", [])]
    gateways = [route["gateway"] for route in network.get("routes", []) if "destination" not in route]
    assert len(addresses) <= 1 and len(gateways) <= 1
    return (
        addresses[0] if addresses else None,
        gateways[0] if gateways else None,
        *DHCP[network.get("dhcp", "no")],
        int(network["mtu"]) if "mtu" in network else None,
        network.get("mac"),
    )


def _our_view(config: LinkConfig) -> tuple[object, ...]:
    address = str(config.address) if config.address else None
    gateway = str(config.gateway) if config.gateway else None
    return (address, gateway, config.dhcp4, config.dhcp6, config.mtu, config.mac)


def _servers(networks: list[dict[str, Any]], key: str) -> list[str]:
    servers: list[str] = []
    for network in networks:
        value = network.get(key, [])
        for server in [value] if isinstance(value, str) else value:
            if server not in servers:
                servers.append(server)
    return servers


@MISSING
def test_every_case_is_in_exactly_one_table() -> None:
    tables = [set(MAPPED), set(REJECTED), set(EXPLICIT)]
    assert sum(len(table) for table in tables) == len(set().union(*tables))
    assert set().union(*tables) == set(CASES)


@MISSING
@pytest.mark.parametrize("case_id", sorted(MAPPED))
def test_mapped(case_id: str) -> None:
    case = CASES[case_id]
    networks = _networks(case)
    result = parse(case["cmdline"], HOST_LINKS)
    rejected = MAPPED[case_id]
    assert [error.field for error in result.errors] == ([rejected] if rejected else [])
    assert {c.link_name: _our_view(c) for c in result.link_configs} == {
        n["match"].removeprefix("Name="): _systemd_view(n) for n in networks
    }
    assert len(result.link_configs) == len(networks)
    hostnames = {network["hostname"] for network in networks if "hostname" in network}
    assert result.hostname == (hostnames.pop() if hostnames else None)
    assert [str(server) for server in result.dns_servers] == _servers(networks, "dns")
    assert [str(server) for server in result.ntp_servers] == _servers(networks, "ntp")


@MISSING
@pytest.mark.parametrize("case_id", sorted(REJECTED))
def test_rejected(case_id: str) -> None:
    key, field, _why = REJECTED[case_id]
    result = parse(CASES[case_id]["cmdline"], HOST_LINKS)
    assert [(error.argument.partition("=")[0], error.field) for error in result.errors] == [(key, field)]
    assert result == CmdlineResult(errors=result.errors)


@MISSING
@pytest.mark.parametrize("case_id", sorted(EXPLICIT))
def test_explicit(case_id: str) -> None:
    _why, expected, rejected = EXPLICIT[case_id]
    result = parse(CASES[case_id]["cmdline"], HOST_LINKS)
    assert replace(result, errors=()) == expected
    assert tuple((error.argument, error.field) for error in result.errors) == rejected
