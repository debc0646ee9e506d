"""`parse`: the whole kernel command line in, networking settings and located errors out."""

from __future__ import annotations

from collections.abc import Sequence

from cmdline._common import FieldError
from cmdline.bond import parse_bond
from cmdline.ip import parse_ip_argument
from cmdline.kernel import split_params
from cmdline.links import LinkTable
from cmdline.model import CmdlineError, CmdlineResult, IPAddress, LinkConfig, LinkInfo, LinkSpec
from cmdline.vlan import merge_vlan, parse_vlan

HOSTNAME = "talos.hostname"
IGNORE_INTERFACE = "talos.network.interface.ignore"

# Talos reads only the first of these; later ones are reported.
_FIRST_ONLY = frozenset({HOSTNAME, "bond", "vlan"})

# dracut/systemd network arguments networkd does not implement; reported instead of silently ignored.
UNSUPPORTED_ARGUMENTS = frozenset(
    {"rd.route", "nameserver", "rd.peerdns", "bridge", "team", "ifname", "net.ifname-policy", "net.ifname_policy"}
)


def parse(cmdline: str, links: Sequence[LinkInfo] = ()) -> CmdlineResult:
    """Parse a kernel command line; `links` are the host's links, for name resolution and the default link.

    Never raises: each invalid argument becomes a `CmdlineError` and contributes nothing.
    """
    table = LinkTable(links)
    errors: list[CmdlineError] = []
    seen: set[str] = set()
    talos_hostname = ip_hostname = ""
    link_configs: list[LinkConfig] = []
    ip_specs: list[LinkSpec] = []
    dns: list[IPAddress] = []
    ntp: list[IPAddress] = []
    ignore: list[str] = []
    bond_specs: tuple[LinkSpec, ...] = ()
    vlan_spec: LinkSpec | None = None
    for key, raw in split_params(cmdline):
        value = raw or ""
        try:
            if key in _FIRST_ONLY and key in seen:
                raise FieldError(key, f"only the first {key}= is used")
            seen.add(key)
            if key == HOSTNAME:
                talos_hostname = value
            elif key == IGNORE_INTERFACE:
                if not value:
                    raise FieldError(key, "empty link name")
                ignore.append(table.resolve(value))
            elif key == "ip":
                parsed = parse_ip_argument(value, table)
                if parsed is not None:
                    link_configs.append(parsed.link)
                    ip_specs.append(LinkSpec(parsed.link.link_name))
                    ip_hostname = ip_hostname or parsed.hostname or ""
                    _extend_unique(dns, parsed.dns)
                    _extend_unique(ntp, parsed.ntp)
            elif key == "bond":
                bond_specs = parse_bond(value, table)
            elif key == "vlan":
                vlan_spec = parse_vlan(value, table)
            elif key in UNSUPPORTED_ARGUMENTS:
                raise FieldError(key, f"{key}= is not supported by networkd")
        except FieldError as error:
            errors.append(CmdlineError(key if raw is None else f"{key}={raw}", error.field, error.reason))
    specs = [*ip_specs, *bond_specs]
    if vlan_spec is not None:
        merge_vlan(specs, vlan_spec)
    return CmdlineResult(
        link_configs=tuple(link_configs),
        hostname=talos_hostname or ip_hostname or None,
        dns_servers=tuple(dns),
        ntp_servers=tuple(ntp),
        ignore_interfaces=tuple(ignore),
        link_specs=tuple(specs),
        errors=tuple(errors),
    )


def _extend_unique(servers: list[IPAddress], new: Sequence[IPAddress]) -> None:
    for server in new:
        if server not in servers:
            servers.append(server)
