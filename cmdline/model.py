"""Typed inputs and outputs of the kernel command-line parser.

Names follow Talos (`CmdlineNetworking`, `LinkSpecSpec`, `BondMasterSpec`) in snake_case. Every link spec
produced here belongs to the cmdline layer. The bond and VLAN settings (`cmdline.bond.BondMaster`,
`cmdline.vlan.VLANSpec`) hold the enums of `networkd.resources.enums`; this module imports nothing of
networkd, because networkd.resources imports `CmdlineResult` from this package (see `cmdline/__init__.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cmdline.bond import BondMaster
    from cmdline.vlan import VLANSpec

IPAddress = IPv4Address | IPv6Address
IPInterface = IPv4Interface | IPv6Interface


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """A kernel link as the caller sees it, used to resolve names and to pick the default link.

    `hardware_addr` is `aa:bb:cc:dd:ee:ff`; `physical` is false for loopback and virtual links.
    """

    name: str
    hardware_addr: str = ""
    alias: str = ""
    alt_names: tuple[str, ...] = ()
    physical: bool = True


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """Addressing of one link from one `ip=` argument (Talos `CmdlineLinkConfig`)."""

    link_name: str
    address: IPInterface | None = None
    gateway: IPAddress | None = None
    dhcp4: bool = False
    dhcp6: bool = False
    mtu: int | None = None
    mac: str | None = None


@dataclass(frozen=True, slots=True)
class BondSlave:
    """Membership of a link in a bond."""

    master_name: str
    slave_index: int


@dataclass(frozen=True, slots=True)
class LinkSpec:
    """A link the command line asks for (Talos `LinkSpecSpec`, cmdline layer).

    Names may repeat (say `ip=eth0:dhcp` and a bond slave eth0): as in Talos, the last one wins downstream.
    """

    name: str
    up: bool = True
    logical: bool = False
    kind: str = ""
    type: str = ""
    mtu: int | None = None
    parent_name: str = ""
    bond_master: BondMaster | None = None
    bond_slave: BondSlave | None = None
    vlan: VLANSpec | None = None


@dataclass(frozen=True, slots=True)
class CmdlineError:
    """One rejected argument: `argument` as the kernel split it, `field` inside it, `reason` for humans."""

    argument: str
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class CmdlineResult:
    """Everything the command line configures, plus the arguments that were rejected."""

    link_configs: tuple[LinkConfig, ...] = ()
    hostname: str | None = None
    dns_servers: tuple[IPAddress, ...] = ()
    ntp_servers: tuple[IPAddress, ...] = ()
    ignore_interfaces: tuple[str, ...] = ()
    link_specs: tuple[LinkSpec, ...] = ()
    errors: tuple[CmdlineError, ...] = ()
