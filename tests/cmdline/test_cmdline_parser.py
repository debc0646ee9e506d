"""Unit tests: kernel splitting, Talos helper vectors (talos_other_cases.md §7), bond options, and each
documented difference from Talos."""

from __future__ import annotations

import subprocess
import sys
from ipaddress import ip_address, ip_interface
from pathlib import Path

import pytest

from cmdline import (
    BondMaster,
    CmdlineError,
    LinkConfig,
    LinkInfo,
    LinkSpec,
    fill_bond_defaults,
    parse,
    vlan_link_name,
)
from cmdline.kernel import split_params
from cmdline.links import LinkTable
from networkd.resources.enums import ARPValidate, BondMode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("  ip=dhcp\tquiet\n", [("ip", "dhcp"), ("quiet", None)]),
        ('talos.hostname="a b" x', [("talos.hostname", "a b"), ("x", None)]),
        ('"ip=a b" c', [("ip", "a b"), ("c", None)]),
        ('ip=a"b c"d e', [("ip", 'a"b c"d'), ("e", None)]),
        ('ip="', [("ip", "")]),
        ("=a=b", [("=a", "b")]),
        ("ip=x -- ip=y", [("ip", "x")]),
        ("ip=x --=1 ip=y", [("ip", "x"), ("--", "1"), ("ip", "y")]),
        ("ip=x\0ip=y", [("ip", "x")]),
    ],
)
def test_split_params_like_the_kernel(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert split_params(text) == expected


def test_link_resolver_vector() -> None:
    table = LinkTable(
        [LinkInfo("eth0", alias="net0", alt_names=("ext0",)), LinkInfo("eth1"), LinkInfo("eth2", alt_names=("ext2",))]
    )
    resolved = {name: table.resolve(name) for name in ("eth0", "net0", "ext0", "eth1", "eth2", "ext2", "eth3")}
    assert resolved == {
        "eth0": "eth0",
        "net0": "eth0",
        "ext0": "eth0",
        "eth1": "eth1",
        "eth2": "eth2",
        "ext2": "eth2",
        "eth3": "eth3",
    }


def test_real_names_win_over_aliases() -> None:
    assert LinkTable([LinkInfo("eth0", alias="eth1"), LinkInfo("eth1")]).resolve("eth1") == "eth1"


@pytest.mark.parametrize(
    ("parent", "vid", "name"),
    [
        ("eth0", 1, "eth0.1"),
        ("en9s0", 4095, "en9s0.4095"),
        ("0123456789", 4095, "0123456789.4095"),
        ("enx12545f8c99cd", 25, "enx1ee6413.25"),
        ("enx12545f8c99cd", 4095, "enx1ee6413.4095"),
        ("enx12545f8c99ce", 4095, "enx1ef972f.4095"),
    ],
)
def test_vlan_link_name_vector(parent: str, vid: int, name: str) -> None:
    assert vlan_link_name(parent, vid) == name


def test_vlan_link_name_rejects_ids_beyond_12_bits() -> None:
    with pytest.raises(ValueError):
        vlan_link_name("eth0", 4096)


def test_vlan_on_a_long_parent_and_its_ip_link() -> None:
    result = parse("vlan=vlan25:enx12545f8c99cd ip=enx1ee6413.25:dhcp")
    [spec] = result.link_specs
    assert (spec.name, spec.parent_name, spec.kind) == ("enx1ee6413.25", "enx12545f8c99cd", "vlan")


@pytest.mark.parametrize(
    ("mode", "tlb_dynamic_lb", "ad_actor_sys_prio", "missed_max"),
    [
        (BondMode.BALANCE_RR, 1, 0, 2),
        (BondMode.ACTIVE_BACKUP, 1, 0, 2),
        (BondMode.IEEE8023AD, 1, 65535, 0),
        (BondMode.BALANCE_TLB, 0, 0, 0),
        (BondMode.BALANCE_ALB, 0, 0, 0),
    ],
)
def test_fill_bond_defaults(mode: BondMode, tlb_dynamic_lb: int, ad_actor_sys_prio: int, missed_max: int) -> None:
    bond = fill_bond_defaults(BondMaster(mode=mode))
    assert (bond.resend_igmp, bond.lp_interval, bond.packets_per_slave, bond.num_peer_notif) == (1, 1, 1, 1)
    assert bond.use_carrier
    assert (bond.tlb_dynamic_lb, bond.ad_actor_sys_prio, bond.missed_max) == (
        tlb_dynamic_lb,
        ad_actor_sys_prio,
        missed_max,
    )


def test_fill_bond_defaults_keeps_set_values() -> None:
    bond = BondMaster(mode=BondMode.IEEE8023AD, resend_igmp=3, ad_actor_sys_prio=10, missed_max=5)
    filled = fill_bond_defaults(bond)
    assert (filled.resend_igmp, filled.ad_actor_sys_prio, filled.missed_max) == (3, 10, 5)


def test_every_bond_option() -> None:
    options = (
        "mode=active-backup,xmit_hash_policy=encap3+4,lacp_rate=fast,arp_validate=filter-backup,"
        "arp_all_targets=all,primary=enxa,primary_reselect=better,fail_over_mac=follow,ad_select=count,"
        "miimon=100,updelay=200,downdelay=300,arp_interval=400,resend_igmp=5,min_links=2,lp_interval=6,"
        "packets_per_slave=7,num_grat_arp=8,num_unsol_na=9,all_slaves_active=1,use_carrier=0,"
        "arp_ip_target=10.0.0.1;10.0.0.2"
    )
    result = parse(f"bond=bond0:enxa,eth1:{options}:9000", [LinkInfo("eth0", alias="enxa")])
    assert result.errors == ()
    master, *slaves = result.link_specs
    assert master.mtu == 9000
    assert master.bond_master is not None
    assert str(master.bond_master.hash_policy) == "encap3+4"
    assert master.bond_master.arp_validate is ARPValidate.FILTER_BACKUP
    assert master.bond_master.primary == "eth0"
    assert (master.bond_master.miimon, master.bond_master.up_delay, master.bond_master.down_delay) == (100, 200, 300)
    assert master.bond_master.num_peer_notif == 9  # num_grat_arp and num_unsol_na are the same setting
    assert master.bond_master.use_carrier  # forced on, as in Talos
    assert master.bond_master.arp_ip_targets == (ip_address("10.0.0.1"), ip_address("10.0.0.2"))
    assert [slave.name for slave in slaves] == ["eth0", "eth1"]


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        ("bond0:eth0:mode=fast", "mode", "error setting bond master: invalid bond type fast"),
        (
            "bond0:eth0:xmit_hash_policy=l2",
            "xmit_hash_policy",
            "error setting bond master: invalid xmit hash policy l2",
        ),
        ("bond0:eth0:miimon=-1", "miimon", None),
        ("bond0:eth0:num_grat_arp=256", "num_grat_arp", None),
        ("bond0:eth0:mode", "mode", None),
        ("bond0:eth0:mode=802.3ad,", "options", "unknown bond option: "),
        ("bond0:eth0:arp_ip_target=2001:db8::1", "arp_ip_target", None),
        ("bond0:eth0::-1500", "mtu", None),
        (":eth0", "bondname", None),
        ("bond0:eth0,,eth1", "bondslaves", None),
    ],
)
def test_bad_bond(value: str, field: str, reason: str | None) -> None:
    result = parse(f"bond={value}")
    [error] = result.errors
    assert (error.argument, error.field) == (f"bond={value}", field)
    assert reason is None or error.reason == reason
    assert result.link_specs == ()


@pytest.mark.parametrize(
    ("value", "dhcp4", "dhcp6"),
    [
        ("dhcp", True, False),
        ("dhcp6", False, True),
        ("on", True, True),
        ("any", True, True),
        ("both", True, False),
        ("auto6", False, False),
        ("off", False, False),
        ("none", False, False),
    ],
)
def test_autoconf_in_both_forms(value: str, dhcp4: bool, dhcp6: bool) -> None:
    expected = LinkConfig("eth0", dhcp4=dhcp4, dhcp6=dhcp6)
    assert parse(f"ip=eth0:{value}").link_configs == (expected,)
    assert parse(f"ip=:::::eth0:{value}").link_configs == (expected,)


def test_mtu_and_mac() -> None:
    result = parse("ip=eth0:dhcp:0:52:54:00:A7:8F:AC ip=10.0.0.2:::::eth1:off:9000 ip=:::::eth2:off::52:54:00:a7:8f:ad")
    assert [(c.link_name, c.mtu, c.mac) for c in result.link_configs] == [
        ("eth0", None, "52:54:00:a7:8f:ac"),
        ("eth1", 9000, None),
        ("eth2", None, "52:54:00:a7:8f:ad"),
    ]
    assert result.errors == ()


def test_default_link_is_the_first_physical_link_by_name() -> None:
    links = [LinkInfo("lo", physical=False), LinkInfo("eth1"), LinkInfo("bond0", physical=False), LinkInfo("eth0")]
    assert parse("ip=10.0.0.2", links).link_configs == (LinkConfig("eth0", ip_interface("10.0.0.2/32")),)


def test_enx_names_resolve_by_hardware_address() -> None:
    links = [
        LinkInfo("eth0", hardware_addr="52:54:00:12:34:56"),
        LinkInfo("bond0", hardware_addr="52:54:00:12:34:56", physical=False),
    ]
    assert parse("ip=enx525400123456:dhcp", links).link_configs[0].link_name == "eth0"
    same_mac = [*links, LinkInfo("eth1", hardware_addr="52:54:00:12:34:56")]
    assert parse("ip=enx525400123456:dhcp", same_mac).link_configs[0].link_name == "enx525400123456"


@pytest.mark.parametrize(
    ("netmask", "field"),
    [("255.0.255.0", "netmask"), ("33", "netmask"), ("[ffff:ffff:ffff::]", "netmask"), ("-1", "netmask")],
)
def test_netmask_must_fit(netmask: str, field: str) -> None:
    [error] = parse(f"ip=10.0.0.2:::{netmask}::eth0").errors
    assert error.field == field


def test_ipv4_mask_on_ipv6_and_zones() -> None:
    [config] = parse("ip=[fe80::2%eth0]::[fe80::1%eth0]:255.255.255.0::eth0").link_configs
    assert config.address == ip_interface("fe80::2/24")
    assert str(config.gateway) == "fe80::1%eth0"


def test_bad_argument_does_not_hide_the_others() -> None:
    result = parse("ip=10.0.0.300::::::eth0 ip=eth1:dhcp talos.hostname=node1 vlan=eth1.5 bond=bond0:eth2,eth3")
    assert result.link_configs == (LinkConfig("eth1", dhcp4=True),)
    assert result.hostname == "node1"
    assert [spec.name for spec in result.link_specs] == ["eth1", "bond0", "eth2", "eth3"]
    assert [(error.argument, error.field) for error in result.errors] == [
        ("ip=10.0.0.300::::::eth0", "client-ip"),
        ("vlan=eth1.5", "vlanname"),
    ]


def test_hostname_precedence() -> None:
    assert parse("ip=::::first:eth0 ip=::::second:eth1").hostname == "first"
    assert parse("ip=::::first:eth0 talos.hostname=node").hostname == "node"
    assert parse("talos.hostname= ip=::::first:eth0").hostname == "first"


def test_servers_are_kept_once() -> None:
    result = parse("ip=:::::eth0:off:10.0.0.1:10.0.0.1:10.0.0.2 ip=:::::eth1:off:10.0.0.3:10.0.0.1:10.0.0.2")
    assert [str(server) for server in result.dns_servers] == ["10.0.0.1", "10.0.0.3"]
    assert [str(server) for server in result.ntp_servers] == ["10.0.0.2"]


def test_repeats_and_unsupported_arguments_are_reported() -> None:
    result = parse("talos.hostname=a talos.hostname=b bond=bond0 bond=bond1 nameserver=1.1.1.1 rd.route")
    assert result.hostname == "a"
    assert [spec.name for spec in result.link_specs] == ["bond0", "eth0", "eth1"]
    assert result.errors == (
        CmdlineError("talos.hostname=b", "talos.hostname", "only the first talos.hostname= is used"),
        CmdlineError("bond=bond1", "bond", "only the first bond= is used"),
        CmdlineError("nameserver=1.1.1.1", "nameserver", "nameserver= is not supported by networkd"),
        CmdlineError("rd.route", "rd.route", "rd.route= is not supported by networkd"),
    )


@pytest.mark.parametrize(
    ("cmdline", "field"),
    [
        ("ip=:dhcp", "device"),
        ("ip=10.0.0.2", "device"),
        ("talos.network.interface.ignore=", "talos.network.interface.ignore"),
        ("vlan=eth0.5:", "phydevice"),
        ("vlan=eth0.x:eth0", "vlanname"),
        ("ip=eth0:link6", "autoconf"),
        ("ip=10.0.0.2:::::eth0:dchp", "autoconf"),
        ("ip=eth0:dhcp:1500:52:54", "mtu"),
        ("ip=eth0:dhcp:1500:52:54:00:12:34:zz", "macaddr"),
    ],
)
def test_located_errors(cmdline: str, field: str) -> None:
    [error] = parse(cmdline).errors
    assert (error.argument, error.field) == (cmdline, field)


def test_vlan_updates_the_ip_link_in_place_but_not_a_second_one() -> None:
    result = parse("ip=eth1.5:dhcp ip=eth1.5:dhcp6 vlan=eth1.5:eth1")
    assert [(spec.name, spec.kind) for spec in result.link_specs] == [("eth1.5", "vlan"), ("eth1.5", "")]
    assert result.link_specs[1] == LinkSpec("eth1.5")


@pytest.mark.parametrize(
    "first", ["cmdline", "cmdline.bond", "cmdline.vlan", "networkd.resources", "networkd.resources.enums"]
)
def test_imports_in_any_order(first: str) -> None:
    """cmdline uses networkd.resources.enums and networkd.resources imports cmdline: either may load first."""
    code = f"import {first}, cmdline, networkd.resources; assert cmdline.parse('bond=bond0').link_specs"
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)
