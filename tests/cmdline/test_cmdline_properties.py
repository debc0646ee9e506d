"""Fuzzing: any text gives a `CmdlineResult`, never an exception; `ip=` arguments stay independent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cmdline import CmdlineResult, LinkInfo, parse, vlan_link_name
from cmdline.parser import UNSUPPORTED_ARGUMENTS
from cmdline.vlan import MAX_LINK_NAME

KEYS = ("ip", "bond", "vlan", "talos.hostname", "talos.network.interface.ignore", "nameserver", "bridge")

names = st.sampled_from(["eth0", "eth1", "enxa", "enx525400123456", "lo", "bond0", ""]) | st.text(max_size=8)
link_infos = st.lists(
    st.builds(
        LinkInfo,
        name=names,
        hardware_addr=st.sampled_from(["", "52:54:00:12:34:56", "52:54:00:12:34:57"]),
        alias=names,
        alt_names=st.tuples(names) | st.just(()),
        physical=st.booleans(),
    ),
    max_size=4,
)

IP_FRAGMENTS = [":", "::", "[", "]", "0", "1", "24", "128", "255.255.255.0", "10.0.0.1", "fe80::1", "2001:db8::a"]
IP_FRAGMENTS += ["[2001:db8::1]", "%eth0", "eth0", "enxa", "host", "dhcp", "dhcp6", "on", "any", "off", "both"]
IP_FRAGMENTS += ["auto6", "ibft", "1500", "52", "ff", "4294967296", "-1", "+8", "=", ",", "."]
ip_values = st.lists(st.sampled_from(IP_FRAGMENTS), max_size=24).map("".join)
quoting = st.lists(st.sampled_from([*IP_FRAGMENTS, '"', " "]), max_size=24).map("".join)
BOND_VLAN_FRAGMENTS = ["bond0", "eth0", ",", ":", "=", ";", "mode", "balance-rr", "802.3ad", "miimon", "100"]
BOND_VLAN_FRAGMENTS += ["arp_ip_target", "10.0.0.1", "primary", "use_carrier", "-1", "vlan", ".", "5", "4096", "0"]
bond_vlan_values = st.lists(st.sampled_from(BOND_VLAN_FRAGMENTS), max_size=16).map("".join)
arguments = st.one_of(
    quoting.map(lambda value: f"ip={value}"),
    st.tuples(st.sampled_from(["bond", "vlan"]), bond_vlan_values).map("=".join),
    st.tuples(st.sampled_from(KEYS), st.text(max_size=12)).map("=".join),
)


def _check(result: CmdlineResult) -> None:
    assert isinstance(result, CmdlineResult)
    for error in result.errors:
        assert error.argument.partition("=")[0] in {*KEYS, *UNSUPPORTED_ARGUMENTS}
        assert error.reason


@given(st.text(), link_infos)
def test_any_text_gives_a_result(text: str, links: list[LinkInfo]) -> None:
    _check(parse(text, links))


@given(st.lists(arguments, max_size=6), link_infos)
def test_fragments_give_a_result(args: list[str], links: list[LinkInfo]) -> None:
    _check(parse(" ".join(args), links))


@given(ip_values, ip_values, link_infos)
def test_ip_arguments_are_independent(first: str, second: str, links: list[LinkInfo]) -> None:
    """A bad `ip=` never hides a good one: link configs and errors of a pair are those of each alone."""
    one, two = (parse(f"ip={value}", links) for value in (first, second))
    both = parse(f"ip={first} ip={second}", links)
    assert both.link_configs == one.link_configs + two.link_configs
    assert both.errors == one.errors + two.errors


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=40), st.integers(0, 4095))
def test_vlan_link_name_fits(parent: str, vid: int) -> None:
    name = vlan_link_name(parent, vid)
    assert name.endswith(f".{vid}")
    assert len(name) <= MAX_LINK_NAME or name == f"{parent}.{vid}"
