"""Link merge (talos_other_cases.md §1.2): layers folded low to high, set fields override."""

import ipaddress
import itertools

from merge import merge_links
from networkd.resources.enums import BondMode, ConfigLayer, LinkType
from networkd.resources.link import (
    BondMasterSpec,
    BridgeMasterSpec,
    BridgeSlave,
    LinkSpec,
    STPSpec,
    WireguardPeer,
    WireguardSpec,
)
from networkd.resources.values import HardwareAddr

LOOPBACK = LinkSpec(name="lo", up=True, layer=ConfigLayer.DEFAULT)
DHCP = LinkSpec(name="eth0", up=True, mtu=1450, layer=ConfigLayer.OPERATOR)
STATIC = LinkSpec(name="eth0", up=True, mtu=1500, layer=ConfigLayer.CONFIGURATION)


def test_links() -> None:
    inputs = [("default/lo", LOOPBACK), ("dhcp/eth0", DHCP), ("configuration/eth0", STATIC)]
    merged = merge_links(inputs)
    assert merged["lo"] == LOOPBACK
    assert merged["eth0"].mtu == 1500
    assert merged["eth0"].layer is ConfigLayer.CONFIGURATION
    assert merge_links(inputs[:2])["eth0"].mtu == 1450
    assert list(merge_links(inputs[1:])) == ["eth0"]


def test_links_any_input_order() -> None:
    for order in itertools.permutations([("dhcp/eth0", DHCP), ("static/eth0", STATIC)]):
        assert merge_links(order)["eth0"] == STATIC


def test_logical_merge_keeps_bond_master() -> None:
    platform = LinkSpec(name="bond0", logical=True, up=True, bond_master=BondMasterSpec(mode=BondMode.IEEE8023AD),
                        layer=ConfigLayer.PLATFORM)
    config = LinkSpec(name="bond0", mtu=1450, up=True, layer=ConfigLayer.CONFIGURATION)
    merged = merge_links([("platform/bond0", platform), ("config/bond0", config)])["bond0"]
    assert merged.logical is True
    assert merged.mtu == 1450
    assert merged.bond_master == BondMasterSpec(mode=BondMode.IEEE8023AD)


def test_higher_layer_cannot_clear_or_turn_off() -> None:
    low = LinkSpec(name="eth0", up=True, mtu=9000, kind="dummy", type=LinkType.ETHER, multicast=True,
                   hardware_addr=HardwareAddr.parse("02:00:00:00:00:01"), bridge_slave=BridgeSlave(master_name="br0"))
    high = LinkSpec(name="eth0", layer=ConfigLayer.CONFIGURATION)
    merged = merge_links([("a", low), ("b", high)])["eth0"]
    assert (merged.up, merged.mtu, merged.kind, merged.type) == (True, 9000, "dummy", LinkType.ETHER)
    assert merged.hardware_addr == HardwareAddr.parse("02:00:00:00:00:01")
    assert merged.bridge_slave == BridgeSlave(master_name="br0")
    assert merged.multicast is True
    assert merged.layer is ConfigLayer.CONFIGURATION


def test_set_fields_override() -> None:
    low = LinkSpec(name="br0", bond_master=BondMasterSpec(mode=BondMode.BALANCE_XOR, up_delay=100),
                   bridge_master=BridgeMasterSpec(stp=STPSpec(enabled=True)), multicast=True)
    high = LinkSpec(name="br0", bond_master=BondMasterSpec(mode=BondMode.ACTIVE_BACKUP),
                    hardware_addr=HardwareAddr.parse("02:00:00:00:00:02"), bridge_master=BridgeMasterSpec(),
                    multicast=False, layer=ConfigLayer.CONFIGURATION)
    merged = merge_links([("a", low), ("b", high)])["br0"]
    assert merged.bond_master == BondMasterSpec(mode=BondMode.ACTIVE_BACKUP)  # replaced whole
    assert merged.hardware_addr == HardwareAddr.parse("02:00:00:00:00:02")
    assert merged.bridge_master == BridgeMasterSpec(stp=STPSpec(enabled=True))  # a zero bridge master is unset
    assert merged.multicast is False


def test_wireguard_merge() -> None:
    config = LinkSpec(
        name="kubespan",
        wireguard=WireguardSpec(listen_port=1234, peers=(
            WireguardPeer(public_key="bGsc2rOpl6JHd/Pm4fYrIkEABL0ZxW7IlaSyh77IMhw=", endpoint="127.0.0.1:9999"),
        )),
        layer=ConfigLayer.CONFIGURATION,
    )
    operator = LinkSpec(
        name="kubespan",
        wireguard=WireguardSpec(private_key="IG9MqCII7z54Ysof1fQ9a7WcMNG+qNJRMyRCQz3JTUY=", listen_port=3456, peers=(
            WireguardPeer(public_key="RXdQkMTD1Jcxd/Wizr9k8syw8ANs57l5jTormDVHAVs=", endpoint="127.0.0.1:1234"),
        )),
        layer=ConfigLayer.OPERATOR,
    )
    wg = merge_links([("configuration/kubespan", config), ("kubespan/kubespan", operator)])["kubespan"].wireguard
    assert wg is not None
    assert wg.private_key == "IG9MqCII7z54Ysof1fQ9a7WcMNG+qNJRMyRCQz3JTUY="
    assert wg.listen_port == 1234
    assert [(p.public_key, p.endpoint) for p in wg.peers] == [
        ("RXdQkMTD1Jcxd/Wizr9k8syw8ANs57l5jTormDVHAVs=", "127.0.0.1:1234"),
        ("bGsc2rOpl6JHd/Pm4fYrIkEABL0ZxW7IlaSyh77IMhw=", "127.0.0.1:9999"),
    ]


def test_wireguard_peers_unioned_by_public_key() -> None:
    low = LinkSpec(name="wg0", wireguard=WireguardSpec(firewall_mark=7, peers=(
        WireguardPeer(public_key="A", endpoint="10.0.0.1:1"),)))
    high = LinkSpec(name="wg0", layer=ConfigLayer.CONFIGURATION, wireguard=WireguardSpec(peers=(
        WireguardPeer(public_key="A", endpoint="10.0.0.9:9"),
        WireguardPeer(public_key="B", allowed_ips=(ipaddress.ip_network("10.2.0.0/16"),)),
        WireguardPeer(public_key="B", endpoint="dup"),
    )))
    wg = merge_links([("a", low), ("b", high)])["wg0"].wireguard
    assert wg is not None
    assert wg.firewall_mark == 7
    assert [(p.public_key, p.endpoint) for p in wg.peers] == [("A", "10.0.0.1:1"), ("B", "")]
