"""Every `TestCmdlineParse` case of Talos (talos_cmdline_cases.json), compared in Talos's own shape."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from cmdline import BondMaster, CmdlineResult, LinkConfig, LinkInfo, LinkSpec, parse
from networkd.resources.enums import TalosEnum

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "vectors"
CASES_FILE = VECTORS / "talos_cmdline_cases.json"

# Talos's fixture: a link resolver over LinkStatus eth31 (alias enxa) and eth32 (alias enxb).
FIXTURE_LINKS = (LinkInfo("eth31", alias="enxa"), LinkInfo("eth32", alias="enxb"))

# The two cases that read the host's interfaces get an injected host instead.
HOST_DEPENDENT = frozenset({"no iface", "no iface by mac address"})
HOST_LINKS = (LinkInfo("lo", physical=False), LinkInfo("enp1s0", hardware_addr="52:54:00:12:34:56"))
DEFAULT_IFACE = "enp1s0"

BOND_KEYS = {
    "mode": "Mode",
    "hash_policy": "HashPolicy",
    "lacp_rate": "LACPRate",
    "arp_validate": "ARPValidate",
    "arp_all_targets": "ARPAllTargets",
    "primary": "Primary",
    "primary_reselect": "PrimaryReselect",
    "fail_over_mac": "FailOverMac",
    "ad_select": "ADSelect",
    "miimon": "MIIMon",
    "up_delay": "UpDelay",
    "down_delay": "DownDelay",
    "arp_interval": "ARPInterval",
    "resend_igmp": "ResendIGMP",
    "min_links": "MinLinks",
    "lp_interval": "LPInterval",
    "packets_per_slave": "PacketsPerSlave",
    "num_peer_notif": "NumPeerNotif",
    "tlb_dynamic_lb": "TLBDynamicLB",
    "all_slaves_active": "AllSlavesActive",
    "use_carrier": "UseCarrier",
    "ad_actor_sys_prio": "ADActorSysPrio",
    "missed_max": "MissedMax",
    "arp_ip_targets": "ARPIPTargets",
}

# Zero values Talos's dump omits, except these two which it always shows.
ALWAYS_SHOWN = frozenset({"Mode", "SlaveIndex"})


def _cases() -> list[Any]:
    if not CASES_FILE.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"shared vectors not found at {CASES_FILE}"))]
    cases = json.loads(CASES_FILE.read_text())["cases"]
    return [pytest.param(case, id=case["name"]) for case in cases]


def _prune(value: Any) -> Any:
    """Drop zero values (Go's omitted fields) recursively, keeping the keys Talos always shows."""
    if isinstance(value, dict):
        pruned = {key: _prune(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if key in ALWAYS_SHOWN or item not in (0, "", [], {})}
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def _enum_or_value(value: Any) -> Any:
    if isinstance(value, TalosEnum):
        return "" if value == next(iter(type(value))) else str(value)
    if isinstance(value, tuple):
        return [str(item) for item in value]
    return value


def _bond_master(bond: BondMaster) -> dict[str, Any]:
    shape = {BOND_KEYS[field.name]: _enum_or_value(getattr(bond, field.name)) for field in fields(bond)}
    shape["Mode"] = str(bond.mode)
    return shape


def _link_config(config: LinkConfig) -> dict[str, Any]:
    return {
        "LinkName": config.link_name,
        "Address": str(config.address or ""),
        "Gateway": str(config.gateway or ""),
        "DHCP": config.dhcp4,
        # Not in Talos: must stay unset on Talos's vectors.
        "DHCP6": config.dhcp6,
        "MTU": config.mtu or 0,
        "MAC": config.mac or "",
    }


def _link_spec(spec: LinkSpec) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "Name": spec.name,
        "Up": spec.up,
        "ConfigLayer": "cmdline",
        "Logical": spec.logical,
        "Kind": spec.kind,
        "Type": spec.type,
        "MTU": spec.mtu or 0,
        "ParentName": spec.parent_name,
    }
    if spec.bond_master is not None:
        shape["BondMaster"] = _bond_master(spec.bond_master)
    if spec.bond_slave is not None:
        shape["BondSlave"] = {"MasterName": spec.bond_slave.master_name, "SlaveIndex": spec.bond_slave.slave_index}
    if spec.vlan is not None:
        shape["VLAN"] = {"VID": spec.vlan.vid, "Protocol": str(spec.vlan.protocol)}
    return shape


def talos_shape(result: CmdlineResult) -> Any:
    """`CmdlineResult` rendered as Talos's `CmdlineNetworking` in the vectors' JSON."""
    return _prune(
        {
            "LinkConfigs": [_link_config(config) for config in result.link_configs],
            "Hostname": result.hostname or "",
            "DNSAddresses": [str(server) for server in result.dns_servers],
            "NTPAddresses": [str(server) for server in result.ntp_servers],
            "IgnoreInterfaces": list(result.ignore_interfaces),
            "NetworkLinkSpecs": [_link_spec(spec) for spec in result.link_specs],
        }
    )


def _expected(case: dict[str, Any]) -> Any:
    text = json.dumps(case["expected"]).replace("<DEFAULT_IFACE>", DEFAULT_IFACE)
    return _prune(json.loads(text))


def test_bond_keys_cover_every_bond_field() -> None:
    assert set(BOND_KEYS) == {field.name for field in fields(BondMaster)}


@pytest.mark.parametrize("case", _cases())
def test_talos_cmdline_vector(case: dict[str, Any]) -> None:
    links = FIXTURE_LINKS + HOST_LINKS if case["name"] in HOST_DEPENDENT else FIXTURE_LINKS
    result = parse(case["cmdline"], links)
    if "expected_error" not in case:
        assert result.errors == ()
        assert talos_shape(result) == _expected(case)
        return
    # Talos fails the whole parse; we reject the one argument, which here is the whole command line.
    [error] = result.errors
    assert error.argument == case["cmdline"]
    assert result == CmdlineResult(errors=result.errors)
    talos_error: str = case["expected_error"]
    go_detail = talos_error.find(": ParseAddr(")  # Go's netip wording after Talos's own prefix
    if go_detail >= 0:
        assert error.reason.startswith(talos_error[:go_detail] + ": ")
    else:
        assert error.reason == talos_error
