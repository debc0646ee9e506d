"""The `net.talos.dev` resources other than links: addresses, routes, rules, names, operators, probes, status.

YAML names, order and omitempty follow Talos (pkg/machinery/resources/network). Where the seed's
`talosctl get` examples predate a Talos field or column, the seed wins: AddressStatus `priority` and
OperatorSpec `layer` are omitted when zero, ResolverStatus and NodeAddress show one column.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from typing import Any

from networkd.resources.base import Spec, resource_type, yfield
from networkd.resources.enums import (
    AddressFlags,
    AddressSortAlgorithm,
    ClientIdentifier,
    ConfigLayer,
    DNSProtocol,
    Family,
    Operator,
    RouteFlags,
    RouteProtocol,
    RouteType,
    RoutingRuleAction,
    RoutingTable,
    Scope,
)
from networkd.resources.values import Duration, IPAddr, IPInterface, IPPrefix

NETWORK = "network"
"""Merged specs and observed statuses."""

NETWORK_CONFIG = "network-config"
"""Unmerged specs, one per configuration layer, keyed by layered ids."""


@resource_type("AddressSpecs.net.talos.dev", "AddressSpec", NETWORK)
@dataclass(frozen=True, slots=True, kw_only=True)
class AddressSpec(Spec):
    """A desired address on a link."""

    address: IPInterface
    link_name: str
    family: Family
    scope: Scope = Scope.GLOBAL
    flags: AddressFlags = AddressFlags.NONE
    announce_with_arp: bool = yfield("announceWithARP", omitempty=True, default=False)
    priority: int = yfield(omitempty=True, default=0)
    layer: ConfigLayer = ConfigLayer.DEFAULT


@resource_type(
    "AddressStatuses.net.talos.dev",
    "AddressStatus",
    NETWORK,
    aliases=("address", "addresses"),
    columns=(("Address", "{.address}"), ("Link", "{.linkName}")),
)
@dataclass(frozen=True, slots=True, kw_only=True)
class AddressStatus(Spec):
    """An address the kernel has on a link."""

    address: IPInterface
    local: IPAddr | None = yfield(omitempty=True, default=None)
    broadcast: IPAddr | None = yfield(omitempty=True, default=None)
    anycast: IPAddr | None = yfield(omitempty=True, default=None)
    multicast: IPAddr | None = yfield(omitempty=True, default=None)
    link_index: int = 0
    link_name: str = ""
    family: Family
    scope: Scope = Scope.GLOBAL
    flags: AddressFlags = AddressFlags.NONE
    priority: int = yfield(omitempty=True, default=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteNextHop:
    """One path of a multipath (ECMP) route."""

    gateway: IPAddr | None = None
    out_link_name: str = yfield(omitempty=True, default="")
    weight: int = yfield(omitempty=True, default=0)


_ZERO4 = ipaddress.IPv4Address(0)
_ZERO6 = ipaddress.IPv6Address(0)


@resource_type("RouteSpecs.net.talos.dev", "RouteSpec", NETWORK)
@dataclass(frozen=True, slots=True, kw_only=True)
class RouteSpec(Spec):
    """A desired route; None destination/source/gateway are Go's zero values (default route, none)."""

    family: Family
    destination: IPPrefix | None = yfield("dst", nil="", default=None)
    source: IPAddr | None = yfield("src", nil="", default=None)
    gateway: IPAddr | None = yfield(nil="", default=None)
    out_link_name: str = yfield(omitempty=True, default="")
    table: RoutingTable = RoutingTable.UNSPEC
    priority: int = yfield(omitempty=True, default=0)
    scope: Scope = Scope.GLOBAL
    type: RouteType = RouteType.UNSPEC
    flags: RouteFlags = RouteFlags.NONE
    protocol: RouteProtocol = RouteProtocol.UNSPEC
    layer: ConfigLayer = ConfigLayer.DEFAULT
    mtu: int = yfield(omitempty=True, default=0)
    next_hops: tuple[RouteNextHop, ...] = yfield(omitempty=True, default=())

    def normalize(self) -> tuple[RouteSpec, Family | None]:
        """Clear all-zero dst/src/gateway and derive the scope; also the family the zeros revealed, if any."""
        dst, src, gw, scope, family = _normal(self.destination, self.source, self.gateway, bool(self.next_hops))
        return dataclasses.replace(self, destination=dst, source=src, gateway=gw, scope=scope), family

    @classmethod
    def normalized(cls, *, destination: IPPrefix | None = None, source: IPAddr | None = None,
                   gateway: IPAddr | None = None, **fields: Any) -> tuple[RouteSpec, Family | None]:
        """`RouteSpec(...).normalize()` in one construction (a configuration may hold 10,000 routes)."""
        dst, src, gw, scope, family = _normal(destination, source, gateway, bool(fields.get("next_hops")))
        return cls(destination=dst, source=src, gateway=gw, scope=scope, **fields), family


def _normal(dst: IPPrefix | None, src: IPAddr | None, gw: IPAddr | None, hops: bool
            ) -> tuple[IPPrefix | None, IPAddr | None, IPAddr | None, Scope, Family | None]:
    """RouteSpec.normalize on the fields: dst, src, gateway, scope and the family the zeros revealed."""
    family: Family | None = None
    if dst is not None and dst.prefixlen == 0 and dst.network_address in (_ZERO4, _ZERO6):
        family = Family.INET4 if dst.version == 4 else Family.INET6
        dst = None
    if gw is not None and not int(gw):
        family = Family.INET4 if gw.version == 4 else Family.INET6
        gw = None
    if src is not None and not int(src):
        family = Family.INET4 if src.version == 4 else Family.INET6
        src = None
    if hops:
        scope = Scope.GLOBAL
    elif gw is None and dst is not None:
        scope = Scope.LINK
    elif dst is not None and dst.network_address.is_loopback:
        scope = Scope.HOST
    else:
        scope = Scope.GLOBAL
    return dst, src, gw, scope, family


@resource_type(
    "RouteStatuses.net.talos.dev",
    "RouteStatus",
    NETWORK,
    aliases=("route", "routes"),
    columns=(("Destination", "{.dst}"), ("Gateway", "{.gateway}"), ("Link", "{.outLinkName}"),
             ("Metric", "{.priority}")),
)
@dataclass(frozen=True, slots=True, kw_only=True)
class RouteStatus(Spec):
    """A route the kernel has."""

    family: Family
    destination: IPPrefix | None = yfield("dst", nil="", default=None)
    source: IPAddr | None = yfield("src", nil="", default=None)
    gateway: IPAddr | None = yfield(nil="", default=None)
    out_link_index: int = yfield(omitempty=True, default=0)
    out_link_name: str = yfield(omitempty=True, default="")
    table: RoutingTable = RoutingTable.UNSPEC
    priority: int = 0
    scope: Scope = Scope.GLOBAL
    type: RouteType = RouteType.UNSPEC
    flags: RouteFlags = RouteFlags.NONE
    protocol: RouteProtocol = RouteProtocol.UNSPEC
    mtu: int = yfield(omitempty=True, default=0)
    next_hops: tuple[RouteNextHop, ...] = yfield(omitempty=True, default=())


@resource_type("RoutingRuleSpecs.net.talos.dev", "RoutingRuleSpec", NETWORK)
@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingRuleSpec(Spec):
    """A desired policy routing rule (`ip rule`)."""

    family: Family
    src: IPPrefix | None = yfield(nil="", default=None)
    dst: IPPrefix | None = yfield(nil="", default=None)
    table: RoutingTable = RoutingTable.UNSPEC
    priority: int = 0
    action: RoutingRuleAction = RoutingRuleAction.UNSPEC
    iif_name: str = yfield("iifName", omitempty=True, default="")
    oif_name: str = yfield("oifName", omitempty=True, default="")
    fw_mark: int = yfield("fwMark", omitempty=True, default=0)
    fw_mask: int = yfield("fwMask", omitempty=True, default=0)
    layer: ConfigLayer = ConfigLayer.DEFAULT


@resource_type(
    "RoutingRuleStatuses.net.talos.dev",
    "RoutingRuleStatus",
    NETWORK,
    aliases=("routingrule", "routingrules"),
    columns=(("Src", "{.src}"), ("Dst", "{.dst}"), ("Table", "{.table}"), ("Priority", "{.priority}")),
)
@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingRuleStatus(Spec):
    """A policy routing rule the kernel has."""

    family: Family
    src: IPPrefix | None = yfield(nil="", default=None)
    dst: IPPrefix | None = yfield(nil="", default=None)
    table: RoutingTable = RoutingTable.UNSPEC
    priority: int = 0
    action: RoutingRuleAction = RoutingRuleAction.UNSPEC
    iif_name: str = yfield("iifName", omitempty=True, default="")
    oif_name: str = yfield("oifName", omitempty=True, default="")
    fw_mark: int = yfield("fwMark", omitempty=True, default=0)
    fw_mask: int = yfield("fwMask", omitempty=True, default=0)


@resource_type("HostnameSpecs.net.talos.dev", "HostnameSpec", NETWORK)
@dataclass(frozen=True, slots=True, kw_only=True)
class HostnameSpec(Spec):
    """The desired hostname and domain name (id `hostname`)."""

    hostname: str = ""
    domainname: str = ""
    layer: ConfigLayer = ConfigLayer.DEFAULT

    def fqdn(self) -> str:
        """hostname.domainname, or the hostname alone."""
        return f"{self.hostname}.{self.domainname}" if self.domainname else self.hostname


@resource_type(
    "HostnameStatuses.net.talos.dev",
    "HostnameStatus",
    NETWORK,
    aliases=("hostname",),
    columns=(("Hostname", "{.hostname}"), ("Domainname", "{.domainname}")),
)
@dataclass(frozen=True, slots=True, kw_only=True)
class HostnameStatus(Spec):
    """The applied hostname and domain name."""

    hostname: str = ""
    domainname: str = ""

    def fqdn(self) -> str:
        """hostname.domainname, or the hostname alone."""
        return f"{self.hostname}.{self.domainname}" if self.domainname else self.hostname


@dataclass(frozen=True, slots=True, kw_only=True)
class NameServerSpec:
    """A name server and how to reach it."""

    addr: IPAddr
    protocol: DNSProtocol = DNSProtocol.DO53
    tls_server_name: str = yfield("tlsServerName", default="")


@resource_type(
    "ResolverSpecs.net.talos.dev",
    "ResolverSpec",
    NETWORK,
    columns=(("Layer", "{.layer}"), ("Resolvers", "{.dnsServers}"), ("Search Domains", "{.searchDomains}")),
)
@dataclass(frozen=True, slots=True, kw_only=True)
class ResolverSpec(Spec):
    """Desired DNS settings (id `resolvers`); dns_servers is the deprecated flat form of name_servers."""

    dns_servers: tuple[IPAddr, ...] = yfield("dnsServers", default=())
    name_servers: tuple[NameServerSpec, ...] = yfield(omitempty=True, default=())
    layer: ConfigLayer = ConfigLayer.DEFAULT
    search_domains: tuple[str, ...] = yfield(omitempty=True, default=())
    search_domains_overridden: bool = yfield(omitempty=True, default=False)

    def convert(self) -> ResolverSpec:
        """Fill whichever of dns_servers / name_servers is empty from the other."""
        if not self.name_servers and self.dns_servers:
            return dataclasses.replace(self, name_servers=tuple(NameServerSpec(addr=a) for a in self.dns_servers))
        if not self.dns_servers and self.name_servers:
            return dataclasses.replace(self, dns_servers=tuple(ns.addr for ns in self.name_servers))
        return self


@resource_type(
    "ResolverStatuses.net.talos.dev",
    "ResolverStatus",
    NETWORK,
    aliases=("resolvers",),
    columns=(("Resolvers", "{.dnsServers}"),),
)
@dataclass(frozen=True, slots=True, kw_only=True)
class ResolverStatus(Spec):
    """Applied DNS settings."""

    dns_servers: tuple[IPAddr, ...] = yfield("dnsServers", default=())
    name_servers: tuple[NameServerSpec, ...] = yfield(omitempty=True, default=())
    search_domains: tuple[str, ...] = ()


@resource_type(
    "TimeServerSpecs.net.talos.dev",
    "TimeServerSpec",
    NETWORK,
    columns=(("Timeservers", "{.timeServers}"), ("UseNTS", "{.useNTS}")),
)
@dataclass(frozen=True, slots=True, kw_only=True)
class TimeServerSpec(Spec):
    """Desired NTP servers (id `timeservers`)."""

    time_servers: tuple[str, ...] = yfield("timeServers", default=())
    use_nts: bool = yfield("useNTS", omitempty=True, default=False)
    layer: ConfigLayer = ConfigLayer.DEFAULT


@resource_type(
    "TimeServerStatuses.net.talos.dev",
    "TimeServerStatus",
    NETWORK,
    aliases=("timeserver", "timeservers"),
    columns=(("Timeservers", "{.timeServers}"), ("UseNTS", "{.useNTS}")),
)
@dataclass(frozen=True, slots=True, kw_only=True)
class TimeServerStatus(Spec):
    """Applied NTP servers."""

    time_servers: tuple[str, ...] = yfield("timeServers", default=())
    use_nts: bool = yfield("useNTS", default=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientIdentifierSpec:
    """What a DHCP client identifies itself with."""

    client_identifier: ClientIdentifier = ClientIdentifier.NONE
    duid_raw_hex: str = yfield("duidRawHex", omitempty=True, default="")


@dataclass(frozen=True, slots=True, kw_only=True)
class DHCP4OperatorSpec:
    """DHCPv4 operator settings."""

    route_metric: int = 0
    skip_hostname_request: bool = yfield(omitempty=True, default=False)
    client_identifier: ClientIdentifierSpec = yfield(omitempty=True, default_factory=ClientIdentifierSpec)
    skip_routes: bool = yfield(omitempty=True, default=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class DHCP6OperatorSpec:
    """DHCPv6 operator settings."""

    route_metric: int = 0
    skip_hostname_request: bool = yfield(omitempty=True, default=False)
    client_identifier: ClientIdentifierSpec = yfield(omitempty=True, default_factory=ClientIdentifierSpec)


@dataclass(frozen=True, slots=True, kw_only=True)
class VIPEquinixMetalSpec:
    """Equinix Metal handler settings of a VIP."""

    project_id: str = yfield("projectID", default="")
    device_id: str = yfield("deviceID", default="")
    api_token: str = yfield("apiToken", default="")


@dataclass(frozen=True, slots=True, kw_only=True)
class VIPHCloudSpec:
    """Hetzner Cloud handler settings of a VIP."""

    device_id: int = yfield("deviceID", default=0)
    network_id: int = yfield("networkID", default=0)
    api_token: str = yfield("apiToken", default="")


@dataclass(frozen=True, slots=True, kw_only=True)
class VIPOperatorSpec:
    """Virtual IP operator settings."""

    ip: IPAddr
    gratuitous_arp: bool = yfield("gratuitousARP", default=False)
    equinix_metal: VIPEquinixMetalSpec = yfield(omitempty=True, default_factory=VIPEquinixMetalSpec)
    hcloud: VIPHCloudSpec = yfield(omitempty=True, default_factory=VIPHCloudSpec)


@resource_type("OperatorSpecs.net.talos.dev", "OperatorSpec", NETWORK, sensitive=True)
@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorSpec(Spec):
    """An operator to run on a link; the settings of its kind are set, the others None."""

    operator: Operator
    link_name: str
    require_up: bool = False
    dhcp4: DHCP4OperatorSpec | None = yfield(omitempty=True, default=None)
    dhcp6: DHCP6OperatorSpec | None = yfield(omitempty=True, default=None)
    vip: VIPOperatorSpec | None = yfield(omitempty=True, default=None)
    layer: ConfigLayer = yfield(omitempty=True, default=ConfigLayer.DEFAULT)


@resource_type("NodeAddresses.net.talos.dev", "NodeAddress", NETWORK, columns=(("Addresses", "{.addresses}"),))
@dataclass(frozen=True, slots=True, kw_only=True)
class NodeAddress(Spec):
    """A computed list of the node's addresses (ids `default`, `current`, `routed`, `accumulative`, ...)."""

    addresses: tuple[IPInterface, ...] = ()
    sort_algorithm: AddressSortAlgorithm = AddressSortAlgorithm.V1


@resource_type(
    "NodeAddressFilters.net.talos.dev",
    "NodeAddressFilter",
    NETWORK,
    columns=(("Include Subnets", "{.includeSubnets}"), ("Exclude Subnets", "{.excludeSubnets}")),
)
@dataclass(frozen=True, slots=True, kw_only=True)
class NodeAddressFilter(Spec):
    """Subnets a filtered NodeAddress keeps (if any given) and drops."""

    include_subnets: tuple[IPPrefix, ...] = ()
    exclude_subnets: tuple[IPPrefix, ...] = ()


@resource_type(
    "NetworkStatuses.net.talos.dev",
    "NetworkStatus",
    NETWORK,
    aliases=("netstatus", "netstatuses"),
    columns=(("Address", "{.addressReady}"), ("Connectivity", "{.connectivityReady}"),
             ("Hostname", "{.hostnameReady}"), ("Etc", "{.etcFilesReady}")),
)
@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkStatus(Spec):
    """Network readiness (id `status`)."""

    address_ready: bool = False
    connectivity_ready: bool = False
    hostname_ready: bool = False
    etc_files_ready: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TCPProbeSpec:
    """Connect to host:port."""

    endpoint: str
    timeout: Duration = Duration()


@dataclass(frozen=True, slots=True, kw_only=True)
class HTTPProbeSpec:
    """GET an http(s) URL."""

    url: str
    timeout: Duration = Duration()


@resource_type("ProbeSpecs.net.talos.dev", "ProbeSpec", NETWORK)
@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeSpec(Spec):
    """A connectivity probe: exactly one of tcp or http is set."""

    interval: Duration = Duration()
    failure_threshold: int = 0
    tcp: TCPProbeSpec | None = yfield(omitempty=True, default=None)
    layer: ConfigLayer = ConfigLayer.DEFAULT
    http: HTTPProbeSpec | None = yfield(omitempty=True, default=None)


@resource_type("ProbeStatuses.net.talos.dev", "ProbeStatus", NETWORK, aliases=("probe", "probes"),
               columns=(("Success", "{.success}"),))
@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeStatus(Spec):
    """The result of a probe."""

    success: bool = False
    last_error: str = ""
