"""Specs render as Talos renders them: the seed's `talosctl get -o yaml` specs and Talos's YAML test forms.

Compared as ordered plain data (key order, names, scalar types), independent of the YAML emitter.
"""

import ipaddress
from typing import Any

import pytest
import yaml

from networkd.resources.base import Spec, to_plain
from networkd.resources.config import MachineConfig
from networkd.resources.enums import (
    AddressFlags,
    ADSelect,
    ARPAllTargets,
    ARPValidate,
    BondMode,
    ConfigLayer,
    DNSProtocol,
    Duplex,
    FailOverMAC,
    Family,
    LACPRate,
    LinkFlags,
    LinkType,
    OperationalState,
    Operator,
    Port,
    PrimaryReselect,
    RouteFlags,
    RouteProtocol,
    RouteType,
    RoutingTable,
    Scope,
    VLANProtocol,
    XmitHashPolicy,
)
from networkd.resources.files import EtcFileSpec
from networkd.resources.link import (
    BondMasterSpec,
    BondSlave,
    LinkSpec,
    LinkStatus,
    VethSpec,
    VLANSpec,
    VRFMasterSpec,
    VRFSlave,
    WireguardPeer,
    WireguardSpec,
)
from networkd.resources.network import (
    AddressSpec,
    AddressStatus,
    DHCP4OperatorSpec,
    DHCP6OperatorSpec,
    HostnameSpec,
    NameServerSpec,
    NetworkStatus,
    OperatorSpec,
    ResolverSpec,
    RouteSpec,
    TimeServerSpec,
    VIPEquinixMetalSpec,
    VIPHCloudSpec,
    VIPOperatorSpec,
)
from networkd.resources.values import Duration, HardwareAddr

ip = ipaddress.ip_address
net = ipaddress.ip_network
iface = ipaddress.ip_interface


def ordered(data: Any) -> Any:
    """Plain data with every mapping turned into its list of items, so that key order counts."""
    if isinstance(data, dict):
        return [(k, ordered(v)) for k, v in data.items()]
    if isinstance(data, list):
        return [ordered(v) for v in data]
    return data


def assert_renders(spec: Spec, text: str) -> None:
    assert ordered(to_plain(spec)) == ordered(yaml.safe_load(text))


# --- the seed's `talosctl get ... -o yaml` examples (section 7 - Networking Resources) ---


def test_seed_address_status() -> None:
    spec = AddressStatus(
        address=iface("172.20.0.2/24"),
        local=ip("172.20.0.2"),
        broadcast=ip("172.20.0.255"),
        link_index=4,
        link_name="eth0",
        family=Family.INET4,
        scope=Scope.GLOBAL,
        flags=AddressFlags.PERMANENT,
    )
    assert_renders(spec, """
        address: 172.20.0.2/24
        local: 172.20.0.2
        broadcast: 172.20.0.255
        linkIndex: 4
        linkName: eth0
        family: inet4
        scope: global
        flags: permanent
    """)


def test_seed_address_spec() -> None:
    spec = AddressSpec(
        address=iface("172.20.0.2/24"),
        link_name="eth0",
        family=Family.INET4,
        scope=Scope.GLOBAL,
        flags=AddressFlags.PERMANENT,
        layer=ConfigLayer.OPERATOR,
    )
    assert_renders(spec, """
        address: 172.20.0.2/24
        linkName: eth0
        family: inet4
        scope: global
        flags: permanent
        layer: operator
    """)


@pytest.mark.parametrize(
    ("hostname", "layer"),
    [("talos-default-master-1", ConfigLayer.OPERATOR), ("talos-172-20-0-2", ConfigLayer.DEFAULT)],
)
def test_seed_hostname_spec(hostname: str, layer: ConfigLayer) -> None:
    assert_renders(
        HostnameSpec(hostname=hostname, layer=layer), f'hostname: {hostname}\ndomainname: ""\nlayer: {layer}\n'
    )


def test_seed_operator_spec() -> None:
    spec = OperatorSpec(
        operator=Operator.DHCP4, link_name="eth0", require_up=True, dhcp4=DHCP4OperatorSpec(route_metric=1024)
    )
    assert_renders(spec, """
        operator: dhcp4
        linkName: eth0
        requireUp: true
        dhcp4:
            routeMetric: 1024
    """)


def test_seed_network_status() -> None:
    spec = NetworkStatus(address_ready=True, connectivity_ready=True, hostname_ready=True, etc_files_ready=True)
    assert_renders(spec, """
        addressReady: true
        connectivityReady: true
        hostnameReady: true
        etcFilesReady: true
    """)


def test_seed_machine_config_renders_its_text() -> None:
    text = (
        "version: v1alpha1 # Indicates the schema used to decode the contents.\n"
        "debug: false # Enable verbose logging to the console.\n"
        "persist: true # Indicates whether to pull the machine config upon every boot.\n"
        "# Provides machine specific configuration options.\n"
    )
    spec = MachineConfig(text)
    assert to_plain(spec) == text
    assert spec == MachineConfig(text) and hash(spec) == hash(MachineConfig(text))
    with pytest.raises(AttributeError):
        spec.x = 1


# --- Talos's own YAML forms (talos_other_cases.md §7, pkg/machinery/resources/network/*_test.go) ---


def test_talos_hostname_spec() -> None:
    spec = HostnameSpec(hostname="foo", domainname="example.com", layer=ConfigLayer.PLATFORM)
    assert_renders(spec, "hostname: foo\ndomainname: example.com\nlayer: platform\n")


def test_talos_resolver_spec() -> None:
    spec = ResolverSpec(dns_servers=(ip("1.1.1.1"), ip("8.8.8.8")), layer=ConfigLayer.PLATFORM,
                        search_domains=("example.com",))
    assert_renders(
        spec, "dnsServers:\n    - 1.1.1.1\n    - 8.8.8.8\nlayer: platform\nsearchDomains:\n    - example.com\n"
    )


def test_resolver_spec_with_name_servers() -> None:
    spec = ResolverSpec(
        dns_servers=(ip("9.9.9.9"),),
        name_servers=(NameServerSpec(addr=ip("9.9.9.9"), protocol=DNSProtocol.DOT, tls_server_name="dns.quad9.net"),),
        layer=ConfigLayer.CONFIGURATION,
        search_domains_overridden=True,
    )
    assert_renders(spec, """
        dnsServers: [9.9.9.9]
        nameServers:
            - addr: 9.9.9.9
              protocol: DoT
              tlsServerName: dns.quad9.net
        layer: configuration
        searchDomainsOverridden: true
    """)


def test_talos_time_server_spec() -> None:
    spec = TimeServerSpec(time_servers=("pool.ntp.org",), layer=ConfigLayer.PLATFORM)
    assert_renders(spec, "timeServers:\n    - pool.ntp.org\nlayer: platform\n")


def test_talos_address_spec() -> None:
    spec = AddressSpec(address=iface("192.168.3.6/27"), link_name="eth0", family=Family.INET4, scope=Scope.LINK,
                       flags=AddressFlags.PERMANENT, layer=ConfigLayer.CONFIGURATION)
    assert_renders(spec, "address: 192.168.3.6/27\nlinkName: eth0\nfamily: inet4\nscope: link\nflags: permanent\n"
                         "layer: configuration\n")


def test_talos_route_spec() -> None:
    spec = RouteSpec(
        family=Family.INET6,
        destination=net("192.168.3.0/25"),
        source=ip("1.1.1.1"),
        gateway=ip("2.2.2.2"),
        out_link_name="eth0",
        table=RoutingTable.LOCAL,
        priority=1024,
        scope=Scope.HOST,
        type=RouteType.ANYCAST,
        flags=RouteFlags.OFFLOAD | RouteFlags.CLONED,
        protocol=RouteProtocol.BOOT,
        layer=ConfigLayer.PLATFORM,
        mtu=1400,
    )
    assert_renders(spec, """
        family: inet6
        dst: 192.168.3.0/25
        src: 1.1.1.1
        gateway: 2.2.2.2
        outLinkName: eth0
        table: local
        priority: 1024
        scope: host
        type: anycast
        flags: cloned,offload
        protocol: boot
        layer: platform
        mtu: 1400
    """)



def test_route_spec_zero_addresses_render_empty() -> None:
    spec = RouteSpec(family=Family.INET4, gateway=ip("10.0.0.1"), table=RoutingTable.MAIN, priority=1024)
    assert to_plain(spec)["dst"] == ""


def test_talos_operator_spec() -> None:
    spec = OperatorSpec(
        operator=Operator.DHCP4,
        link_name="eth0",
        require_up=True,
        dhcp4=DHCP4OperatorSpec(route_metric=1024),
        dhcp6=DHCP6OperatorSpec(route_metric=1024),
        vip=VIPOperatorSpec(
            ip=ip("192.168.1.1"),
            gratuitous_arp=True,
            equinix_metal=VIPEquinixMetalSpec(project_id="a", device_id="b", api_token="c"),
            hcloud=VIPHCloudSpec(device_id=3, network_id=4, api_token="d"),
        ),
        layer=ConfigLayer.CONFIGURATION,
    )
    assert_renders(spec, """
        operator: dhcp4
        linkName: eth0
        requireUp: true
        dhcp4:
            routeMetric: 1024
        dhcp6:
            routeMetric: 1024
        vip:
            ip: 192.168.1.1
            gratuitousARP: true
            equinixMetal:
                projectID: a
                deviceID: b
                apiToken: c
            hcloud:
                deviceID: 3
                networkID: 4
                apiToken: d
        layer: configuration
    """)


BOND = BondMasterSpec(
    mode=BondMode.IEEE8023AD,
    hash_policy=XmitHashPolicy.ENCAP34,
    lacp_rate=LACPRate.FAST,
    arp_validate=ARPValidate.ALL,
    arp_all_targets=ARPAllTargets.ANY,
    primary_index=3,
    primary_reselect=PrimaryReselect.BETTER,
    fail_over_mac=FailOverMAC.FOLLOW,
    ad_select=ADSelect.COUNT,
    mii_mon=33,
    up_delay=100,
    down_delay=200,
    arp_interval=10,
    resend_igmp=30,
    min_links=1,
    lp_interval=3,
    packets_per_slave=4,
    num_peer_notif=4,
    tlb_dynamic_lb=5,
    all_slaves_active=1,
    use_carrier=True,
    ad_actor_sys_prio=6,
    ad_user_port_key=7,
    peer_notify_delay=40,
)

BOND_YAML = """
    mode: 802.3ad
    xmitHashPolicy: encap3+4
    lacpRate: fast
    arpValidate: all
    arpAllTargets: any
    primaryIndex: 3
    primaryReselect: better
    failOverMac: follow
    adSelect: count
    miimon: 33
    updelay: 100
    downdelay: 200
    arpInterval: 10
    resendIgmp: 30
    minLinks: 1
    lpInterval: 3
    packetsPerSlave: 4
    numPeerNotif: 4
    tlbLogicalLb: 5
    allSlavesActive: 1
    useCarrier: true
    adActorSysPrio: 6
    adUserPortKey: 7
    peerNotifyDelay: 40
"""

PEER = WireguardPeer(
    public_key="peer=",
    preshared_key="key=",
    endpoint="127.0.0.1:3333",
    persistent_keepalive_interval=Duration(seconds=30),
    allowed_ips=(net("192.83.93.94/31"),),
)


def test_talos_link_spec() -> None:
    spec = LinkSpec(
        name="eth0",
        logical=True,
        up=True,
        mtu=1437,
        kind="eth",
        type=LinkType.ETHER,
        parent_name="eth1",
        bond_slave=BondSlave(master_name="bond0", slave_index=0),
        vrf_slave=VRFSlave(master_name="vrf-blue"),
        vlan=VLANSpec(vid=25, protocol=VLANProtocol.AD8021),
        bond_master=BOND,
        vrf_master=VRFMasterSpec(table=RoutingTable.of(123)),
        wireguard=WireguardSpec(private_key="foo=", public_key="bar=", listen_port=51820, firewall_mark=11233,
                                peers=(PEER,)),
        veth=VethSpec(peer_name="eth2"),
        layer=ConfigLayer.PLATFORM,
    )
    assert_renders(spec, """
        name: eth0
        logical: true
        up: true
        mtu: 1437
        kind: eth
        type: ether
        parentName: eth1
        masterName: bond0
        vrfSlave:
            masterName: vrf-blue
        vlan:
            vlanID: 25
            vlanProtocol: 802.1ad
        bondMaster:""" + BOND_YAML.replace("\n    ", "\n            ") + """
        vrfMaster:
            table: "123"
        wireguard:
            privateKey: foo=
            publicKey: bar=
            listenPort: 51820
            firewallMark: 11233
            peers:
                - publicKey: peer=
                  presharedKey: key=
                  endpoint: 127.0.0.1:3333
                  persistentKeepaliveInterval: 30s
                  allowedIPs:
                    - 192.83.93.94/31
        veth:
            peerName: eth2
        layer: platform
    """)


def test_link_spec_hardware_addr_and_multicast() -> None:
    spec = LinkSpec(name="dummy1", hardware_addr=HardwareAddr.parse("02:42:ac:11:00:02"), multicast=True)
    plain = to_plain(spec)
    assert plain["hardwareAddr"] == "02:42:ac:11:00:02"
    assert plain["multicast"] is True
    assert "hardwareAddr" not in to_plain(LinkSpec(name="dummy1"))


def test_talos_link_status() -> None:
    mac = HardwareAddr.parse("01:23:45:67:89:ab")
    spec = LinkStatus(
        index=3,
        type=LinkType.ETHER,
        link_index=44,
        flags=LinkFlags.UP | LinkFlags.RUNNING,
        hardware_addr=mac,
        permanent_addr=mac,
        broadcast_addr=HardwareAddr.parse("ff:ff:ff:ff:ff:ff"),
        mtu=1500,
        queue_disc="fifo",
        master_index=4,
        operational_state=OperationalState.LOWER_LAYER_DOWN,
        kind="bridge",
        slave_kind="ether",
        bus_path="00:11:22",
        pci_id="0000:00:00.0",
        driver="bonding",
        driver_version="1.0.0",
        firmware_version="3.1.5",
        product_id="0x3ebf",
        vendor_id="0x1d6b",
        product="10Gbase-T",
        vendor="Intel Corporation",
        link_state=True,
        speed_mbit=1024,
        port=Port.TWISTED_PAIR,
        duplex=Duplex.FULL,
        vlan=VLANSpec(vid=25, protocol=VLANProtocol.AD8021),
        bond_master=BOND,
        vrf_master=VRFMasterSpec(table=RoutingTable.of(123)),
        wireguard=WireguardSpec(public_key="bar=", listen_port=51820, firewall_mark=11233, peers=(PEER,)),
    )
    assert_renders(spec, """
        index: 3
        type: ether
        linkIndex: 44
        flags: UP,RUNNING
        hardwareAddr: 01:23:45:67:89:ab
        permanentAddr: 01:23:45:67:89:ab
        broadcastAddr: ff:ff:ff:ff:ff:ff
        mtu: 1500
        queueDisc: fifo
        masterIndex: 4
        operationalState: lowerLayerDown
        kind: bridge
        slaveKind: ether
        busPath: '00:11:22'
        pciID: '0000:00:00.0'
        driver: bonding
        driverVersion: 1.0.0
        firmwareVersion: 3.1.5
        productID: "0x3ebf"
        vendorID: "0x1d6b"
        product: 10Gbase-T
        vendor: Intel Corporation
        linkState: true
        speedMbit: 1024
        port: TwistedPair
        duplex: Full
        vlan:
            vlanID: 25
            vlanProtocol: 802.1ad
        bondMaster:""" + BOND_YAML.replace("\n    ", "\n            ") + """
        vrfMaster:
            table: "123"
        wireguard:
            publicKey: bar=
            listenPort: 51820
            firewallMark: 11233
            peers:
                - publicKey: peer=
                  presharedKey: key=
                  endpoint: 127.0.0.1:3333
                  persistentKeepaliveInterval: 30s
                  allowedIPs:
                    - 192.83.93.94/31
    """)
    assert spec.physical() is False
    assert LinkStatus(type=LinkType.ETHER).physical() is True


def test_etc_file_spec() -> None:
    spec = EtcFileSpec(contents="nameserver 127.0.0.53\n", mode=0o644, selinux_label="system_u:object_r:etc_t:s0")
    assert_renders(spec, 'contents: "nameserver 127.0.0.53\\n"\nmode: 420\nselinux_label: system_u:object_r:etc_t:s0\n')
