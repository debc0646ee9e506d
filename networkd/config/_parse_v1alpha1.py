"""Parsing and validation of the networking part of the legacy `version: v1alpha1` document."""

from __future__ import annotations

from networkd.config._convert import (
    to_hex,
    to_host_port,
    to_hostname,
    to_link,
    to_network_or_address,
    to_server,
    to_wireguard_key,
)
from networkd.config._reader import (
    MTU,
    UINT8,
    UINT16,
    UINT32,
    Errors,
    Fields,
    Invalid,
    describe,
    mapping_of,
    need,
    to_address,
    to_any_interface,
    to_duration,
    to_interface,
    to_list,
    to_network,
)
from networkd.config.documents import HostDNSConfig
from networkd.config.v1alpha1 import (
    STP,
    Bond,
    Bridge,
    BridgePort,
    BridgeVLAN,
    Device,
    DeviceSelector,
    DeviceVIPConfig,
    DeviceWireguardConfig,
    DeviceWireguardPeer,
    DHCPOptions,
    ExtraHost,
    FeaturesConfig,
    KubeSpanFilters,
    NetworkConfig,
    NetworkKubeSpan,
    Route,
    TimeConfig,
    V1Alpha1Config,
    VIPEquinixMetalConfig,
    VIPHCloudConfig,
    Vlan,
)
from networkd.config.values import MAX_LINK_NAME
from networkd.resources.enums import (
    AddressSortAlgorithm,
    ADSelect,
    ARPAllTargets,
    ARPValidate,
    BondMode,
    FailOverMAC,
    LACPRate,
    PrimaryReselect,
    XmitHashPolicy,
)

#: Smallest KubeSpan MTU Talos accepts (constants.KubeSpanLinkMinimumMTU).
KUBESPAN_MIN_MTU = 1280

_SELECTOR_KEYS = "busPath, hardwareAddr, permanentAddr, pciID, driver or physical"
_DEPRECATED_CIDR = "'cidr' and 'addresses' cannot both be set: move it into 'addresses' ('cidr' is deprecated)"


def parse_v1alpha1(errors: Errors, data: dict[object, object]) -> V1Alpha1Config:
    """The networking sections of a v1alpha1 document; other keys are accepted and not read."""
    top = Fields(errors, "", data)
    version = top.get("version")
    if version != "v1alpha1":
        errors.add("version", f"must be 'v1alpha1', got {describe(version)}")
    machine = top.fields("machine")
    if machine is None:
        return V1Alpha1Config()
    worker = machine.get("type") == "worker"
    features = machine.fields("features")
    return V1Alpha1Config(
        network=machine.read("network", mapping_of(lambda f: _network(f, worker=worker))),
        time=machine.read("time", mapping_of(_time)),
        features=_features(features) if features is not None else FeaturesConfig(),
    )


def _features(f: Fields) -> FeaturesConfig:
    """The three networking keys of `.machine.features` (the others belong to other subsystems)."""
    return FeaturesConfig(
        stable_hostname=f.flag("stableHostname") or False,
        node_address_sort_algorithm=f.choice("nodeAddressSortAlgorithm", AddressSortAlgorithm),
        host_dns=f.read("hostDNS", mapping_of(parse_host_dns)),
    )


def parse_host_dns(f: Fields) -> HostDNSConfig:
    """`hostDNS` (legacy feature and ResolverConfig): the forwarding options need the resolver."""
    config = HostDNSConfig(
        enabled=f.flag("enabled") or False,
        forward_kube_dns_to_host=f.flag("forwardKubeDNSToHost") or False,
        resolve_member_names=f.flag("resolveMemberNames") or False,
    )
    if not config.enabled:
        for key, used in (
            ("forwardKubeDNSToHost", config.forward_kube_dns_to_host),
            ("resolveMemberNames", config.resolve_member_names),
        ):
            if used:
                f.errors.add(f.at(key), "needs the host DNS resolver: set 'enabled: true' as well")
    return config


def _time(f: Fields) -> TimeConfig:
    return TimeConfig(
        disabled=f.flag("disabled") or False,
        servers=f.items("servers", _time_server) or (),
        boot_timeout=f.read("bootTimeout", to_duration),
    )


def _time_server(errors: Errors, path: str, value: object) -> str:
    """An NTP server, or a PTP device path (`/dev/ptp0`), which legacy configs list here too."""
    if isinstance(value, str) and value.startswith("/dev/"):
        return value
    return to_server(errors, path, value)


def _network(f: Fields, *, worker: bool) -> NetworkConfig:
    devices: list[tuple[str, Device]] = []
    for path, item in f.read("interfaces", to_list) or []:
        try:
            devices.append((path, mapping_of(_device)(f.errors, path, item)))
        except Invalid:
            continue
    _check_members(f.errors, devices)
    if worker:
        _check_no_vip(f.errors, devices)
    return NetworkConfig(
        hostname=f.read("hostname", to_hostname),
        interfaces=tuple(device for _, device in devices),
        nameservers=f.items("nameservers", to_address) or (),
        search_domains=f.items("searchDomains", to_hostname) or (),
        extra_host_entries=f.items("extraHostEntries", mapping_of(_extra_host)) or (),
        kubespan=f.read("kubespan", mapping_of(_kubespan)),
        disable_search_domain=f.flag("disableSearchDomain") or False,
    )


def _check_members(errors: Errors, devices: list[tuple[str, Device]]) -> None:
    """A link belongs to one bond or bridge, and a member has no addressing of its own."""
    owner: dict[str, tuple[str, str]] = {}
    for path, device in devices:
        aggregate = device.bond or device.bridge
        if aggregate is None or device.interface is None:
            continue
        section = "bond" if device.bond is not None else "bridge"
        for i, member in enumerate(aggregate.interfaces):
            other = owner.setdefault(member, (device.interface, path))
            if other[0] != device.interface:
                errors.add(
                    f"{path}.{section}.interfaces[{i}]",
                    f"{member!r} is already a member of {other[0]!r} ({other[1]}); a link joins one bond or bridge",
                )
    for path, device in devices:
        if device.interface in owner and (device.dhcp or device.addresses or device.vip is not None):
            master = owner[device.interface][0]
            errors.add(
                path,
                f"{device.interface!r} is a member of {master!r}, so it cannot have its own addresses, DHCP or VIP; "
                f"configure them on {master!r}",
            )


def _check_no_vip(errors: Errors, devices: list[tuple[str, Device]]) -> None:
    """A shared VIP belongs to control plane nodes (Talos refuses it with `machine.type: worker`)."""
    for path, device in devices:
        vips = [(f"{path}.vip", device.vip)]
        vips += [(f"{path}.vlans[{i}].vip", vlan.vip) for i, vlan in enumerate(device.vlans)]
        for vip_path, vip in vips:
            if vip is not None:
                errors.add(vip_path, "a shared VIP is only allowed on control plane nodes, and machine.type is worker")


def _device(f: Fields) -> Device:
    errors = f.errors
    interface = f.read("interface", to_link)
    selector = f.read("deviceSelector", mapping_of(_selector))
    addresses = f.items("addresses", to_any_interface) or ()
    cidr = f.read("cidr", to_any_interface)
    bond = f.read("bond", mapping_of(_bond))
    bridge = f.read("bridge", mapping_of(_bridge))
    dummy = f.flag("dummy") or False
    wireguard = f.read("wireguard", mapping_of(_wireguard))

    if f.has("interface") and f.has("deviceSelector"):
        errors.add(f.path, "'interface' and 'deviceSelector' are mutually exclusive: name the link one way")
    elif not f.has("interface") and not f.has("deviceSelector"):
        errors.add(f.path, "one of 'interface' or 'deviceSelector' is required to say which link this is")
    if f.has("cidr") and f.has("addresses"):
        errors.add(f.at("cidr"), _DEPRECATED_CIDR)
    if f.has("bond") and f.has("bridge"):
        errors.add(f.path, "'bond' and 'bridge' are mutually exclusive: a link is either a bond or a bridge")
    creates = bond is not None or bridge is not None or dummy or wireguard is not None
    if creates and interface is not None and len(interface) > MAX_LINK_NAME:
        errors.add(f.at("interface"), f"{interface!r} names a new link, which is at most {MAX_LINK_NAME} characters")

    return Device(
        interface=interface,
        device_selector=selector,
        addresses=(cidr,) if cidr is not None else addresses,
        routes=f.items("routes", mapping_of(_route)) or (),
        bond=bond,
        bridge=bridge,
        bridge_port=f.read("bridgePort", mapping_of(_bridge_port)),
        vlans=_vlans(f),
        mtu=f.integer("mtu", MTU),
        dhcp=f.flag("dhcp") or False,
        ignore=f.flag("ignore") or False,
        dummy=dummy,
        dhcp_options=f.read("dhcpOptions", mapping_of(_dhcp_options)) or DHCPOptions(),
        wireguard=wireguard,
        vip=f.read("vip", mapping_of(_vip)),
    )


def _vlans(f: Fields) -> tuple[Vlan, ...]:
    """The device's VLANs; a VLAN ID may appear once."""
    vlans: list[Vlan] = []
    seen: dict[int, str] = {}
    for path, item in f.read("vlans", to_list) or []:
        try:
            vlan = mapping_of(_vlan)(f.errors, path, item)
        except Invalid:
            continue
        if vlan.vlan_id in seen:
            f.errors.add(f"{path}.vlanId", f"VLAN {vlan.vlan_id} is already defined at {seen[vlan.vlan_id]}")
            continue
        seen[vlan.vlan_id] = path
        vlans.append(vlan)
    return tuple(vlans)


def _selector(f: Fields) -> DeviceSelector:
    selector = DeviceSelector(
        bus_path=f.text("busPath"),
        hardware_addr=f.text("hardwareAddr"),
        permanent_addr=f.text("permanentAddr"),
        pci_id=f.text("pciID"),
        driver=f.text("driver"),
        physical=f.flag("physical"),
    )
    if selector == DeviceSelector():
        f.errors.add(f.path, f"an empty selector matches nothing: set at least one of {_SELECTOR_KEYS}")
    return selector


def _route(f: Fields) -> Route:
    route = Route(
        network=f.read("network", to_network),
        gateway=f.read("gateway", to_address),
        source=f.read("source", to_address),
        metric=f.integer("metric", UINT32) or 0,
        mtu=f.integer("mtu", MTU),
    )
    if not f.has("network") and not f.has("gateway"):
        f.errors.add(f.path, "set 'network', 'gateway' or both: a route needs a destination or a next hop")
    if route.network is not None and route.gateway is not None and route.network.version != route.gateway.version:
        f.errors.add(
            f.at("gateway"), f"gateway {route.gateway} and network {route.network} are of different IP versions"
        )
    return route


def _bond(f: Fields) -> Bond:
    for key in ("arpIPTarget", "adActorSystem"):
        if f.get(key) is not None:
            f.errors.add(f.at(key), "is not supported (Talos rejects it too); remove it")
    bond = Bond(
        interfaces=f.items("interfaces", to_link) or (),
        device_selectors=f.items("deviceSelectors", mapping_of(_selector)) or (),
        mode=f.choice("mode", BondMode),
        xmit_hash_policy=f.choice("xmitHashPolicy", XmitHashPolicy),
        lacp_rate=f.choice("lacpRate", LACPRate),
        arp_validate=f.choice("arpValidate", ARPValidate),
        arp_all_targets=f.choice("arpAllTargets", ARPAllTargets),
        primary=f.read("primary", to_link),
        primary_reselect=f.choice("primaryReselect", PrimaryReselect),
        fail_over_mac=f.choice("failOverMac", FailOverMAC),
        ad_select=f.choice("adSelect", ADSelect),
        miimon=f.integer("miimon", UINT32),
        updelay=f.integer("updelay", UINT32),
        downdelay=f.integer("downdelay", UINT32),
        arp_interval=f.integer("arpInterval", UINT32),
        resend_igmp=f.integer("resendIgmp", UINT32),
        min_links=f.integer("minLinks", UINT32),
        lp_interval=f.integer("lpInterval", UINT32),
        packets_per_slave=f.integer("packetsPerSlave", UINT32),
        num_peer_notif=f.integer("numPeerNotif", UINT8),
        tlb_dynamic_lb=f.integer("tlbDynamicLb", UINT8),
        all_slaves_active=f.integer("allSlavesActive", UINT8),
        use_carrier=f.flag("useCarrier"),
        ad_actor_sys_prio=f.integer("adActorSysPrio", UINT16),
        ad_user_port_key=f.integer("adUserPortKey", UINT16),
        peer_notify_delay=f.integer("peerNotifyDelay", UINT32),
    )
    if f.has("interfaces") and f.has("deviceSelectors"):
        f.errors.add(f.path, "'interfaces' and 'deviceSelectors' are mutually exclusive: pick the members one way")
    _check_bond_modes(f, bond)
    return bond


def _check_bond_modes(f: Fields, bond: Bond) -> None:
    """Options that only make sense in some bond modes, and the miimon delays (Talos checkBond)."""
    mode = BondMode.BALANCE_RR if bond.mode is None else bond.mode
    miimon = bond.miimon or 0
    for key, delay in (("updelay", bond.updelay or 0), ("downdelay", bond.downdelay or 0)):
        if delay and not miimon:
            f.errors.add(f.at(key), "needs 'miimon' (link monitoring) to be set")
        elif miimon and delay % miimon:
            f.errors.add(f.at(key), f"must be a multiple of miimon ({miimon}), got {delay}")
    no_arp = (BondMode.IEEE8023AD, BondMode.BALANCE_TLB, BondMode.BALANCE_ALB)
    tlb = (BondMode.BALANCE_TLB, BondMode.BALANCE_ALB)
    rules = (
        ("lacpRate", bond.lacp_rate is not None, mode is BondMode.IEEE8023AD),
        ("adActorSysPrio", bool(bond.ad_actor_sys_prio), mode is BondMode.IEEE8023AD),
        ("adUserPortKey", bool(bond.ad_user_port_key), mode is BondMode.IEEE8023AD),
        ("arpValidate", bond.arp_validate is not None, mode not in no_arp),
        ("arpInterval", bool(bond.arp_interval), mode not in no_arp),
        ("primary", bond.primary is not None, mode is BondMode.ACTIVE_BACKUP or mode in tlb),
        ("packetsPerSlave", (bond.packets_per_slave or 0) > 1, mode is BondMode.BALANCE_RR),
        ("tlbDynamicLb", bool(bond.tlb_dynamic_lb), mode in tlb),
    )
    for key, used, allowed in rules:
        if used and not allowed:
            f.errors.add(f.at(key), f"is not available in bond mode {mode.value!r}")


def _bridge(f: Fields) -> Bridge:
    stp = f.read("stp", mapping_of(lambda s: STP(enabled=s.flag("enabled") is not False)))
    vlan = f.read("vlan", mapping_of(lambda v: BridgeVLAN(vlan_filtering=v.flag("vlanFiltering") or False)))
    return Bridge(interfaces=f.items("interfaces", to_link) or (), stp=stp or STP(), vlan=vlan or BridgeVLAN())


def _bridge_port(f: Fields) -> BridgePort:
    return BridgePort(need(f.read("master", to_link, required=True)))


def _vlan(f: Fields) -> Vlan:
    addresses = f.items("addresses", to_interface) or ()
    cidr = f.read("cidr", to_interface)
    if f.has("cidr") and f.has("addresses"):
        f.errors.add(f.at("cidr"), _DEPRECATED_CIDR)
    vlan_id = f.integer("vlanId", (1, 4094), required=True)
    routes = f.items("routes", mapping_of(_route)) or ()
    dhcp = f.flag("dhcp") or False
    mtu = f.integer("mtu", MTU)
    vip = f.read("vip", mapping_of(_vip))
    dhcp_options = f.read("dhcpOptions", mapping_of(_dhcp_options)) or DHCPOptions()
    return Vlan(
        vlan_id=need(vlan_id),
        addresses=(cidr,) if cidr is not None else addresses,
        routes=routes,
        dhcp=dhcp,
        mtu=mtu,
        vip=vip,
        dhcp_options=dhcp_options,
    )


def _dhcp_options(f: Fields) -> DHCPOptions:
    return DHCPOptions(
        route_metric=f.integer("routeMetric", UINT32) or 0,
        ipv4=f.flag("ipv4") is not False,
        ipv6=f.flag("ipv6") or False,
        duidv6=f.read("duidv6", to_hex) or None,
    )


def _wireguard(f: Fields) -> DeviceWireguardConfig:
    private_key = f.read("privateKey", to_wireguard_key, required=True)
    listen_port = f.integer("listenPort", UINT16)
    firewall_mark = f.integer("firewallMark", UINT32)
    peers = f.items("peers", mapping_of(_wireguard_peer)) or ()
    return DeviceWireguardConfig(need(private_key), listen_port or None, firewall_mark or None, peers)


def _wireguard_peer(f: Fields) -> DeviceWireguardPeer:
    public_key = f.read("publicKey", to_wireguard_key, required=True)
    endpoint = f.read("endpoint", _endpoint)
    keepalive = f.read("persistentKeepaliveInterval", to_duration)
    allowed_ips = f.items("allowedIPs", to_network) or ()
    return DeviceWireguardPeer(
        public_key=need(public_key),
        endpoint=endpoint,
        persistent_keepalive_interval=keepalive or None,
        allowed_ips=allowed_ips,
    )


def _endpoint(errors: Errors, path: str, value: object) -> str:
    """A legacy peer endpoint, `host:port` where the host may be a name; kept as written."""
    to_host_port(errors, path, value)
    return str(value)


def _vip(f: Fields) -> DeviceVIPConfig:
    ip = f.read("ip", to_address, required=True)
    equinix = f.read(
        "equinixMetal", mapping_of(lambda s: VIPEquinixMetalConfig(need(s.text("apiToken", required=True))))
    )
    hcloud = f.read("hcloud", mapping_of(lambda s: VIPHCloudConfig(need(s.text("apiToken", required=True)))))
    if ip is None:
        raise Invalid
    return DeviceVIPConfig(ip, equinix, hcloud)


def _extra_host(f: Fields) -> ExtraHost:
    ip = f.read("ip", to_address, required=True)
    aliases = f.items("aliases", to_hostname) or ()
    if ip is None:
        raise Invalid
    return ExtraHost(ip, aliases)


def _kubespan(f: Fields) -> NetworkKubeSpan:
    enabled = f.flag("enabled") or False
    mtu = f.integer("mtu", UINT32)
    if enabled and mtu is not None and mtu < KUBESPAN_MIN_MTU:
        f.errors.add(f.at("mtu"), f"must be at least {KUBESPAN_MIN_MTU} for KubeSpan, got {mtu}")
    return NetworkKubeSpan(
        enabled=enabled,
        advertise_kubernetes_networks=f.flag("advertiseKubernetesNetworks") or False,
        allow_down_peer_bypass=f.flag("allowDownPeerBypass") or False,
        harvest_extra_endpoints=f.flag("harvestExtraEndpoints") or False,
        mtu=mtu,
        filters=f.read("filters", mapping_of(_kubespan_filters)) or KubeSpanFilters(),
    )


def _kubespan_filters(f: Fields) -> KubeSpanFilters:
    return KubeSpanFilters(
        endpoints=f.items("endpoints", to_network_or_address) or (),
        exclude_advertised_networks=f.items("excludeAdvertisedNetworks", to_network) or (),
    )
