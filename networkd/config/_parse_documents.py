"""Parsing and validation of each multi-document network kind, one function per kind."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address
from typing import TypedDict

from networkd.config._convert import (
    to_hardware_addr,
    to_hex_pairs,
    to_host_port,
    to_hostname,
    to_ip_of,
    to_link,
    to_new_link,
    to_server,
    to_specified_address,
    to_specified_interface,
    to_specified_network,
    to_table,
    to_wireguard_key,
)
from networkd.config._parse_v1alpha1 import parse_host_dns
from networkd.config._reader import (
    MTU,
    UINT8,
    UINT16,
    UINT32,
    Converter,
    Errors,
    Fields,
    Invalid,
    mapping_of,
    need,
    to_address,
    to_duration,
    to_list,
    to_network,
    to_text,
)
from networkd.config.documents import (
    AddressConfig,
    BondConfig,
    BridgeConfig,
    BridgeSTPConfig,
    BridgeVLANConfig,
    DHCPv4Config,
    DHCPv6Config,
    DummyLinkConfig,
    HostnameConfig,
    Layer2VIPConfig,
    LinkConfig,
    NameserverConfig,
    NetworkDocument,
    NTPConfig,
    PTPConfig,
    ResolverConfig,
    RouteConfig,
    RoutingRuleConfig,
    SearchDomainsConfig,
    StaticHostConfig,
    TimeSyncConfig,
    VLANConfig,
    WireguardConfig,
    WireguardEndpoint,
    WireguardPeer,
)
from networkd.config.enums import AD_LACP_ACTIVE_CHOICES, ROUTING_RULE_ACTIONS, AutoHostname
from networkd.resources.enums import (
    ADLACPActive,
    ADSelect,
    ARPAllTargets,
    ARPValidate,
    BondMode,
    ClientIdentifier,
    DNSProtocol,
    FailOverMAC,
    LACPRate,
    PrimaryReselect,
    RoutingRuleAction,
    VLANProtocol,
    XmitHashPolicy,
)

#: Rule priority of KubeSpan's rule; the kernel's own are 0 (local), 32766 (main) and 32767 (default).
KUBESPAN_RULE_PRIORITY = 32500
#: Most ARP / NS targets a bond takes (BOND_MAX_ARP_TARGETS).
MAX_BOND_TARGETS = 16


class _Common(TypedDict):
    name: str
    up: bool
    mtu: int | None
    addresses: tuple[AddressConfig, ...]
    routes: tuple[RouteConfig, ...]
    multicast: bool | None


def _common(f: Fields, name_converter: Converter[str]) -> _Common:
    """Name and the settings every link kind shares; raises Invalid without a usable name."""
    name = f.read("name", name_converter, required=True)
    up = f.flag("up")
    mtu = f.integer("mtu", MTU)
    addresses = f.items("addresses", mapping_of(_address)) or ()
    routes = f.items("routes", _to_route) or ()
    multicast = f.flag("multicast")
    return _Common(
        name=need(name), up=up is not False, mtu=mtu, addresses=addresses, routes=routes, multicast=multicast
    )


def _address(f: Fields) -> AddressConfig:
    address = f.read("address", to_specified_interface, required=True)
    priority = f.integer("routePriority", UINT32)
    if address is None:
        raise Invalid
    return AddressConfig(address, priority)


def _route(f: Fields) -> RouteConfig:
    route = RouteConfig(
        destination=f.read("destination", to_specified_network),
        gateway=f.read("gateway", to_specified_address),
        source=f.read("source", to_specified_address),
        metric=f.integer("metric", UINT32),
        mtu=f.integer("mtu", MTU),
        table=f.read("table", to_table),
    )
    if not f.has("destination") and not f.has("gateway"):
        f.errors.add(f.path, "set 'destination', 'gateway' or both (no destination means a default route)")
    destination, gateway = route.destination, route.gateway
    if destination is not None and gateway is not None and destination.version != gateway.version:
        f.errors.add(f.at("gateway"), f"gateway {gateway} and destination {destination} are of different IP versions")
    return route


_read_route = mapping_of(_route)
_DESTINATION_AND_GATEWAY = frozenset({"destination", "gateway"})


def _to_route(errors: Errors, path: str, value: object) -> RouteConfig:
    """`mapping_of(_route)`, reading the usual route straight (a config may hold 10,000): a destination and a
    gateway of one IP version, nothing else. Its converters run against scratch errors; whatever they refuse,
    and any other route, is read by `_route`, which reports it."""
    if isinstance(value, dict) and value.keys() == _DESTINATION_AND_GATEWAY:
        scratch = Errors()
        try:
            destination = to_specified_network(scratch, path, value["destination"])
            gateway = to_specified_address(scratch, path, value["gateway"])
        except Invalid:
            pass
        else:
            if destination.version == gateway.version and not scratch.items:
                return RouteConfig(destination, gateway)
    return _read_route(errors, path, value)


def parse_link(f: Fields) -> LinkConfig:
    """LinkConfig: an existing link, by name, alias or altname."""
    return LinkConfig(**_common(f, to_link))


def parse_dummy(f: Fields) -> DummyLinkConfig:
    """DummyLinkConfig."""
    hardware_addr = f.read("hardwareAddr", to_hardware_addr)
    return DummyLinkConfig(**_common(f, to_new_link), hardware_addr=hardware_addr)


def parse_vlan(f: Fields) -> VLANConfig:
    """VLANConfig: `vlanID` 1..4094 and `parent` are required."""
    vlan_id = f.integer("vlanID", (1, 4094), required=True)
    parent = f.read("parent", to_link, required=True)
    mode = f.choice("vlanMode", VLANProtocol) or VLANProtocol.Q8021
    common = _common(f, to_new_link)
    return VLANConfig(**common, vlan_id=need(vlan_id), parent=need(parent), vlan_mode=mode)


def _member_links(f: Fields, key: str, *, required: bool) -> tuple[str, ...] | None:
    """A list of member links, each named once."""
    entries = f.read(key, to_list, required=required)
    if entries is None:
        return None
    links: list[str] = []
    for path, item in entries:
        try:
            link = to_link(f.errors, path, item)
        except Invalid:
            continue
        if link in links:
            f.errors.add(path, f"{link!r} is listed twice")
            continue
        links.append(link)
    return tuple(links)


def _targets(f: Fields, key: str, version: int) -> tuple[IPv4Address | IPv6Address, ...]:
    targets = f.items(key, to_ip_of(version)) or ()
    if len(targets) > MAX_BOND_TARGETS:
        f.errors.add(f.at(key), f"at most {MAX_BOND_TARGETS} targets are supported, got {len(targets)}")
    return targets


def parse_bond(f: Fields) -> BondConfig:
    """BondConfig: `links` (at least one) and `bondMode` are required."""
    links = _member_links(f, "links", required=True)
    if f.get("links") == []:
        f.errors.add(f.at("links"), "must name at least one link")
    mode = f.choice("bondMode", BondMode, required=True)
    hardware_addr = f.read("hardwareAddr", to_hardware_addr)
    arp_targets = _targets(f, "arpIpTargets", 4)
    ns_targets = _targets(f, "nsIp6Targets", 6)
    miimon, updelay, downdelay, arp_interval, resend_igmp, min_links, lp_interval, packets_per_slave, notif_delay = (
        f.integer(key, UINT32)
        for key in (
            "miimon",
            "updelay",
            "downdelay",
            "arpInterval",
            "resendIGMP",
            "minLinks",
            "lpInterval",
            "packetsPerSlave",
            "peerNotifDelay",
        )
    )
    num_peer_notif, tlb_logical_lb, all_slaves_active, missed_max = (
        f.integer(key, UINT8) for key in ("numPeerNotif", "tlbLogicalLb", "allSlavesActive", "missedMax")
    )
    ad_actor_sys_prio, ad_user_port_key = (f.integer(key, UINT16) for key in ("adActorSysPrio", "adUserPortKey"))
    use_carrier = f.flag("useCarrier")
    xmit_hash_policy = f.choice("xmitHashPolicy", XmitHashPolicy)
    arp_validate = f.choice("arpValidate", ARPValidate)
    arp_all_targets = f.choice("arpAllTargets", ARPAllTargets)
    lacp_rate = f.choice("lacpRate", LACPRate)
    fail_over_mac = f.choice("failOverMac", FailOverMAC)
    ad_select = f.choice("adSelect", ADSelect)
    ad_lacp_active = f.choice("adLACPActive", ADLACPActive, among=AD_LACP_ACTIVE_CHOICES)
    primary = f.read("primary", to_link)
    primary_reselect = f.choice("primaryReselect", PrimaryReselect)
    common = _common(f, to_new_link)
    if not links:
        raise Invalid
    return BondConfig(
        **common,
        links=links,
        bond_mode=need(mode),
        hardware_addr=hardware_addr,
        miimon=miimon,
        updelay=updelay,
        downdelay=downdelay,
        use_carrier=use_carrier,
        xmit_hash_policy=xmit_hash_policy,
        arp_interval=arp_interval,
        arp_ip_targets=tuple(target for target in arp_targets if isinstance(target, IPv4Address)),
        ns_ip6_targets=tuple(target for target in ns_targets if isinstance(target, IPv6Address)),
        arp_validate=arp_validate,
        arp_all_targets=arp_all_targets,
        lacp_rate=lacp_rate,
        fail_over_mac=fail_over_mac,
        ad_select=ad_select,
        ad_actor_sys_prio=ad_actor_sys_prio,
        ad_user_port_key=ad_user_port_key,
        ad_lacp_active=ad_lacp_active,
        primary=primary,
        primary_reselect=primary_reselect,
        resend_igmp=resend_igmp,
        min_links=min_links,
        lp_interval=lp_interval,
        packets_per_slave=packets_per_slave,
        num_peer_notif=num_peer_notif,
        tlb_logical_lb=tlb_logical_lb,
        all_slaves_active=all_slaves_active,
        peer_notif_delay=notif_delay,
        missed_max=missed_max,
    )


def parse_bridge(f: Fields) -> BridgeConfig:
    """BridgeConfig: STP is off unless enabled (unlike the legacy bridge)."""
    links = _member_links(f, "links", required=False) or ()
    hardware_addr = f.read("hardwareAddr", to_hardware_addr)
    stp = f.read("stp", mapping_of(lambda s: BridgeSTPConfig(enabled=s.flag("enabled") or False)))
    vlan = f.read("vlan", mapping_of(lambda v: BridgeVLANConfig(filtering=v.flag("filtering") or False)))
    common = _common(f, to_new_link)
    return BridgeConfig(
        **common,
        links=links,
        hardware_addr=hardware_addr,
        stp=stp or BridgeSTPConfig(),
        vlan=vlan or BridgeVLANConfig(),
    )


def parse_wireguard(f: Fields) -> WireguardConfig:
    """WireguardConfig: `privateKey` is required."""
    private_key = f.read("privateKey", to_wireguard_key, required=True)
    listen_port = f.integer("listenPort", UINT16)
    firewall_mark = f.integer("firewallMark", UINT32)
    peers = f.items("peers", mapping_of(_wireguard_peer)) or ()
    common = _common(f, to_new_link)
    return WireguardConfig(
        **common,
        private_key=need(private_key),
        listen_port=listen_port or None,
        firewall_mark=firewall_mark or None,
        peers=peers,
    )


def _endpoint(errors: Errors, path: str, value: object) -> WireguardEndpoint:
    host, port = to_host_port(errors, path, value)
    return WireguardEndpoint(to_address(errors, path, host), port)


def _wireguard_peer(f: Fields) -> WireguardPeer:
    public_key = f.read("publicKey", to_wireguard_key, required=True)
    preshared_key = f.read("presharedKey", to_wireguard_key)
    endpoint = f.read("endpoint", _endpoint)
    keepalive = f.read("persistentKeepaliveInterval", to_duration)
    allowed_ips = f.items("allowedIPs", to_network) or ()
    return WireguardPeer(need(public_key), preshared_key, endpoint, keepalive or None, allowed_ips)


def parse_hostname(f: Fields) -> HostnameConfig:
    """HostnameConfig: `hostname`, `auto`, or `auto: off` with a `hostname`."""
    config = HostnameConfig(auto=f.choice("auto", AutoHostname), hostname=f.read("hostname", to_hostname))
    if not f.has("auto") and not f.has("hostname"):
        f.errors.add(f.path, "set 'hostname' (a static name) or 'auto' (stable or off)")
    if f.has("hostname") and config.auto is AutoHostname.STABLE:
        f.errors.add(
            f.at("auto"),
            "'auto: stable' and 'hostname' are mutually exclusive: drop one (only 'auto: off' may go with 'hostname')",
        )
    return config


def _nameserver(f: Fields) -> NameserverConfig:
    address = f.read("address", to_address, required=True)
    protocol = f.choice("protocol", DNSProtocol)
    if protocol is None:
        protocol = DNSProtocol.DO53
    tls_server_name = f.read("tlsServerName", to_hostname)
    if protocol is not DNSProtocol.DO53 and not f.has("tlsServerName"):
        f.errors.add(f.at("tlsServerName"), f"is required with protocol {protocol.value} to verify the server")
    if protocol is DNSProtocol.DO53 and f.has("tlsServerName"):
        f.errors.add(f.at("tlsServerName"), "is only used with protocol DoT or DoH; remove it or set 'protocol'")
    if address is None:
        raise Invalid
    return NameserverConfig(address, protocol, tls_server_name)


def _search_domains(f: Fields) -> SearchDomainsConfig:
    return SearchDomainsConfig(
        domains=f.items("domains", to_hostname),
        disable_default=f.flag("disableDefault") or False,
    )


def parse_resolver(f: Fields) -> ResolverConfig:
    """ResolverConfig."""
    return ResolverConfig(
        nameservers=f.items("nameservers", mapping_of(_nameserver)) or (),
        search_domains=f.read("searchDomains", mapping_of(_search_domains)) or SearchDomainsConfig(),
        host_dns=f.read("hostDNS", mapping_of(parse_host_dns)),
    )


def _ntp_server(errors: Errors, path: str, value: object) -> str:
    if isinstance(value, str) and value.startswith("/dev/"):
        raise errors.invalid(path, f"{value!r} is a PTP device: list it under 'ptp.devices', not as an NTP server")
    return to_server(errors, path, value)


def _ptp_device(errors: Errors, path: str, value: object) -> str:
    text = to_text(errors, path, value)
    if not text.startswith("/dev/") or len(text) == len("/dev/") or ".." in text.split("/"):
        raise errors.invalid(path, f"{text!r} must be a device path under /dev/, like /dev/ptp0")
    return text


def parse_time_sync(f: Fields) -> TimeSyncConfig:
    """TimeSyncConfig: at most one of `ntp` and `ptp`."""
    ntp = f.read(
        "ntp", mapping_of(lambda n: NTPConfig(n.items("servers", _ntp_server) or (), n.flag("useNTS") or False))
    )
    ptp = f.read("ptp", mapping_of(lambda p: PTPConfig(p.items("devices", _ptp_device) or ())))
    if f.has("ntp") and f.has("ptp"):
        f.errors.add(f.path, "'ntp' and 'ptp' are mutually exclusive: synchronise from one source")
    return TimeSyncConfig(
        enabled=f.flag("enabled") is not False,
        boot_timeout=f.read("bootTimeout", to_duration),
        ntp=ntp,
        ptp=ptp,
    )


def parse_static_host(f: Fields) -> StaticHostConfig:
    """StaticHostConfig: `name` is the IP address, `hostnames` are required."""
    ip = f.read("name", to_address, required=True)
    hostnames = f.items("hostnames", to_hostname, required=True)
    if f.get("hostnames") == []:
        f.errors.add(f.at("hostnames"), "must list at least one hostname")
    if ip is None or not hostnames:
        raise Invalid
    return StaticHostConfig(ip, hostnames)


def _priority(errors: Errors, path: str, value: object) -> int:
    text = to_text(errors, path, value)
    if not text.isdecimal():
        raise errors.invalid(path, f"must be the rule priority, a number from 1 to 32765; got {text!r}")
    priority = int(text)
    if priority == KUBESPAN_RULE_PRIORITY:
        raise errors.invalid(path, f"priority {priority} is reserved for KubeSpan; pick another between 1 and 32765")
    if not 0 < priority < 32766:
        raise errors.invalid(
            path, f"must be a priority between 1 and 32765 (0, 32766 and 32767 are the kernel's); got {priority}"
        )
    return priority


def parse_routing_rule(f: Fields) -> RoutingRuleConfig:
    """RoutingRuleConfig: `name` is the priority; a table is needed unless the action is not unicast."""
    priority = f.read("name", _priority, required=True)
    table = f.read("table", to_table)
    action = f.choice("action", RoutingRuleAction, among=ROUTING_RULE_ACTIONS)
    if action is None:
        action = RoutingRuleAction.UNICAST
    src = f.read("src", to_network)
    dst = f.read("dst", to_network)
    fw_mark = f.integer("fwMark", UINT32)
    fw_mask = f.integer("fwMask", UINT32)
    if table is None and action is RoutingRuleAction.UNICAST and f.get("table") in (None, "unspec", "0", 0):
        f.errors.add(
            f.at("table"), "is required: the table to look up (only blackhole, unreachable, prohibit go without)"
        )
    if fw_mask and not fw_mark:
        f.errors.add(f.at("fwMask"), "needs 'fwMark' to be set")
    if src is not None and dst is not None and src.version != dst.version:
        f.errors.add(f.at("dst"), f"src {src} and dst {dst} are of different IP versions")
    return RoutingRuleConfig(
        priority=need(priority),
        table=table,
        src=src,
        dst=dst,
        action=action,
        iif_name=f.read("iifName", to_link),
        oif_name=f.read("oifName", to_link),
        fw_mark=fw_mark,
        fw_mask=fw_mask,
    )


def _client_identifier(f: Fields) -> tuple[ClientIdentifier, bytes | None]:
    """`clientIdentifier` (default mac) and `duidRaw`, which go together with duid only."""
    identifier = f.choice("clientIdentifier", ClientIdentifier)
    if identifier is None:  # not `or`: none is ClientIdentifier 0, falsy
        identifier = ClientIdentifier.MAC
    duid = f.read("duidRaw", to_hex_pairs)
    if f.has("duidRaw") and identifier is not ClientIdentifier.DUID:
        f.errors.add(f.at("duidRaw"), "is only used with 'clientIdentifier: duid'")
    if identifier is ClientIdentifier.DUID and not f.has("duidRaw"):
        f.errors.add(f.at("duidRaw"), "is required with 'clientIdentifier: duid'")
    return identifier, duid


def parse_dhcpv4(f: Fields) -> DHCPv4Config:
    """DHCPv4Config: `name` is the link."""
    name = f.read("name", to_link, required=True)
    route_metric = f.integer("routeMetric", UINT32)
    ignore_hostname = f.flag("ignoreHostname") or False
    ignore_routes = f.flag("ignoreRoutes") or False
    identifier, duid = _client_identifier(f)
    return DHCPv4Config(need(name), route_metric or None, ignore_hostname, ignore_routes, identifier, duid)


def parse_dhcpv6(f: Fields) -> DHCPv6Config:
    """DHCPv6Config: `name` is the link."""
    name = f.read("name", to_link, required=True)
    route_metric = f.integer("routeMetric", UINT32)
    ignore_hostname = f.flag("ignoreHostname") or False
    identifier, duid = _client_identifier(f)
    return DHCPv6Config(need(name), route_metric or None, ignore_hostname, identifier, duid)


def parse_layer2_vip(f: Fields) -> Layer2VIPConfig:
    """Layer2VIPConfig: `name` is the shared IP, `link` carries it."""
    ip = f.read("name", to_specified_address, required=True)
    link = f.read("link", to_link, required=True)
    if ip is None:
        raise Invalid
    return Layer2VIPConfig(ip, need(link))


#: The kinds networkd reads, with their parsers.
PARSERS: dict[str, Callable[[Fields], NetworkDocument]] = {
    "LinkConfig": parse_link,
    "DummyLinkConfig": parse_dummy,
    "VLANConfig": parse_vlan,
    "BondConfig": parse_bond,
    "BridgeConfig": parse_bridge,
    "WireguardConfig": parse_wireguard,
    "HostnameConfig": parse_hostname,
    "ResolverConfig": parse_resolver,
    "TimeSyncConfig": parse_time_sync,
    "StaticHostConfig": parse_static_host,
    "RoutingRuleConfig": parse_routing_rule,
    "DHCPv4Config": parse_dhcpv4,
    "DHCPv6Config": parse_dhcpv6,
    "Layer2VIPConfig": parse_layer2_vip,
}
