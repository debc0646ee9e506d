"""LinkConfigController with the real runtime: cmdline links (A14-A27, B9), default link-up (B12), §4.8."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest

from networkd.controllers.link_config import LinkConfigController
from networkd.resources.enums import (
    BondMode,
    ConfigLayer,
    LinkType,
    PrimaryReselect,
    VLANProtocol,
    XmitHashPolicy,
)
from networkd.resources.link import (
    BondMasterSpec,
    BondSlave,
    BridgeMasterSpec,
    BridgeSlave,
    BridgeVLANSpec,
    LinkSpec,
    STPSpec,
    VLANSpec,
    WireguardPeer,
    WireguardSpec,
)
from networkd.resources.network import NETWORK_CONFIG
from networkd.resources.values import HardwareAddr
from tests.controllers.layer_harness import Node, converge

CMD = ConfigLayer.CMDLINE
CONF = ConfigLayer.CONFIGURATION
LO = {"default/lo": LinkSpec(name="lo", up=True, layer=ConfigLayer.DEFAULT)}
DEFAULT_BOND = BondMasterSpec(resend_igmp=1, lp_interval=1, packets_per_slave=1, num_peer_notif=1, tlb_dynamic_lb=1,
                              use_carrier=True, missed_max=2)


def specs(n: Node) -> dict[str, LinkSpec]:
    return n.specs(LinkSpec.TYPE)


def up(name: str, layer: ConfigLayer = CMD, **more: object) -> LinkSpec:
    return LinkSpec(name=name, up=True, layer=layer, **more)  # type: ignore[arg-type]


def slave(name: str, master: str, index: int, layer: ConfigLayer = CMD) -> LinkSpec:
    return up(name, layer, bond_slave=BondSlave(master_name=master, slave_index=index))


def bond(name: str, master: BondMasterSpec = DEFAULT_BOND, layer: ConfigLayer = CMD, **more: object) -> LinkSpec:
    return up(name, layer, logical=True, kind="bond", type=LinkType.ETHER, bond_master=master, **more)


def vlan(name: str, parent: str, vid: int, layer: ConfigLayer = CMD, **more: object) -> LinkSpec:
    return up(name, layer, logical=True, kind="vlan", type=LinkType.ETHER, parent_name=parent,
              vlan=VLANSpec(vid=vid, protocol=VLANProtocol.Q8021), **more)


async def cmdline_links(cmdline: str, expected: dict[str, LinkSpec], *links: tuple[str, str]) -> None:
    """Run the cmdline through KernelCmdline and the controller; `links` are (name, alias) of LinkStatuses."""
    n = Node()
    for name, alias in links:
        n.link(name, alias=alias)
    n.cmdline(cmdline)
    async with n.running(LinkConfigController()):
        await converge(lambda: specs(n), LO | expected)


@pytest.mark.anyio
async def test_cmdline_b9_and_a2() -> None:
    await cmdline_links("ip=172.20.0.2::172.20.0.1:255.255.255.0::eth1:::::", {"cmdline/eth1": up("eth1")})


@pytest.mark.anyio
@pytest.mark.parametrize("cmdline", ["bond=bond1", "bond=bond1:::"])
async def test_cmdline_a14_a15_bond_defaults(cmdline: str) -> None:
    await cmdline_links(cmdline, {"cmdline/bond1": bond("bond1"), "cmdline/eth0": slave("eth0", "bond1", 0),
                                  "cmdline/eth1": slave("eth1", "bond1", 1)})


@pytest.mark.anyio
async def test_cmdline_a16_a17_bond_slaves_resolved_through_aliases() -> None:
    await cmdline_links("bond=bond1:enxa,enxb", {
        "cmdline/bond1": bond("bond1"), "cmdline/eth31": slave("eth31", "bond1", 0),
        "cmdline/eth32": slave("eth32", "bond1", 1)}, ("eth31", "enxa"), ("eth32", "enxb"))


@pytest.mark.anyio
async def test_cmdline_a18_bond_options_and_mtu() -> None:
    master = BondMasterSpec(mode=BondMode.IEEE8023AD, hash_policy=XmitHashPolicy.LAYER23, ad_actor_sys_prio=65535,
                            resend_igmp=1, lp_interval=1, packets_per_slave=1, num_peer_notif=1, tlb_dynamic_lb=1,
                            use_carrier=True)
    await cmdline_links("bond=bond1:eth3,eth4:mode=802.3ad,xmit_hash_policy=layer2+3:1450", {
        "cmdline/bond1": bond("bond1", master, mtu=1450), "cmdline/eth3": slave("eth3", "bond1", 0),
        "cmdline/eth4": slave("eth4", "bond1", 1)})


@pytest.mark.anyio
async def test_cmdline_a20_vlan_replaces_the_ip_link() -> None:
    await cmdline_links("vlan=eth1.169:eth1 ip=172.20.0.2::172.20.0.1:255.255.255.0::eth1.169:::::",
                        {"cmdline/eth1.169": vlan("eth1.169", "eth1", 169)})


@pytest.mark.anyio
@pytest.mark.parametrize(("cmdline", "name", "vid"), [
    ("vlan=eth1.5:eth1", "eth1.5", 5), ("vlan=vlan0008:eth1", "eth1.8", 8), ("vlan=vlan4095:eth1", "eth1.4095", 4095)])
async def test_cmdline_a21_a23_vlans(cmdline: str, name: str, vid: int) -> None:
    await cmdline_links(cmdline, {f"cmdline/{name}": vlan(name, "eth1", vid)})


@pytest.mark.anyio
async def test_cmdline_a24_vlan_named_after_the_alias_on_the_resolved_parent() -> None:
    # eth31 itself is configured by nothing, so it comes up by default
    await cmdline_links("vlan=vlan4095:enxa", {"cmdline/enxa.4095": vlan("enxa.4095", "eth31", 4095),
                                               "default/eth31": up("eth31", ConfigLayer.DEFAULT)}, ("eth31", "enxa"))


@pytest.mark.anyio
async def test_cmdline_a27_multiple_ip_arguments() -> None:
    await cmdline_links("ip=172.20.0.2::172.20.0.1:255.255.255.0::eth1::::: ip=eth3:dhcp ip=:::::eth4:dhcp::::",
                        {"cmdline/eth1": up("eth1"), "cmdline/eth3": up("eth3"), "cmdline/eth4": up("eth4")})


@pytest.mark.anyio
async def test_cmdline_mtu_and_mac_of_the_device_form() -> None:
    await cmdline_links("ip=eth0:dhcp:9000:02:00:00:00:00:01", {
        "cmdline/eth0": up("eth0", mtu=9000, hardware_addr=HardwareAddr.parse("02:00:00:00:00:01"))})


B12 = """\
version: v1alpha1
machine:
  network:
    interfaces:
      - interface: eth0
        vlans:
          - vlanId: 24
          - vlanId: 48
      - interface: bond0
        bond:
          interfaces: [eth3, eth4]
"""


@pytest.mark.anyio
async def test_default_up_b12() -> None:
    n = Node()
    n.link("eth5", alt_names=("enp0s2",))
    for name in ("eth0", "eth1", "eth2", "eth3", "eth4"):
        n.link(name)
    n.link("bond0", kind="bond")
    n.link("lo", type=LinkType.LOOPBACK)
    n.cmdline("talos.network.interface.ignore=eth2 ip=10.0.0.2::10.0.0.1:255.255.255.0::enp0s2")
    n.config(B12)
    async with n.running(LinkConfigController()):
        await converge(lambda: {i for i in specs(n) if i.startswith("default/")}, {"default/lo", "default/eth1"})
        assert "cmdline/eth5" in specs(n)


@pytest.mark.anyio
async def test_ignored_device_gets_no_default_up_nor_cmdline_link_and_a_link_document_stops_default_up() -> None:
    n = Node()
    for name in ("eth0", "eth1", "eth2"):
        n.link(name)
    n.cmdline("ip=eth1:dhcp")
    n.config("version: v1alpha1\nmachine:\n  network:\n    interfaces:\n      - interface: eth1\n        ignore: true\n"
             "      - deviceSelector:\n          hardwareAddr: '*'\n          physical: false\n        mtu: 1400\n")
    async with n.running(LinkConfigController()):
        await converge(lambda: set(specs(n)), {"default/lo", "default/eth0", "default/eth2"})
        n.config("apiVersion: v1alpha1\nkind: LinkConfig\nname: eth2\nmtu: 9000\n")
        await converge(lambda: set(specs(n)), {"default/lo", "cmdline/eth1", "configuration/eth2"})
        assert specs(n)["configuration/eth2"] == up("eth2", CONF, mtu=9000)


@pytest.mark.anyio
async def test_platform_links_get_no_default_up() -> None:
    n = Node()
    n.link("eth0")
    n.link("eth1")
    n.put(NETWORK_CONFIG, "platform/eth1", LinkSpec(name="eth1", mtu=1450, layer=ConfigLayer.PLATFORM))
    async with n.running(LinkConfigController()):
        await converge(lambda: {i for i in specs(n) if i.startswith("default/")}, {"default/lo", "default/eth0"})


LEGACY_4_8 = """\
version: v1alpha1
machine:
  network:
    interfaces:
      - interface: eth0
        vlans:
          - vlanId: 24
            mtu: 1000
            addresses: [10.0.0.1/8]
      - interface: eth1
        addresses: [192.168.0.24/28]
      - interface: eth1
        mtu: 9001
      - interface: bond0
        bond:
          interfaces: [eth2, eth3]
          mode: balance-xor
      - interface: bond1
        bond:
          deviceSelectors:
            - driver: X
      - interface: br0
        bridge:
          interfaces: [eth4, eth5]
      - interface: br0
        bridge:
          stp:
            enabled: true
          vlan:
            vlanFiltering: true
      - interface: br1
        bridge: {}
      - interface: eth8
        bridgePort:
          master: br1
      - interface: dummy0
        dummy: true
      - interface: wireguard0
        wireguard:
          privateKey: sF45u5ePau58WeeCUY3T8D9foEKaQ8Opx4cGC8g4XE4=
          peers:
            - publicKey: DEF45u5ePau58WeeCUY3T8D9foEKaQ8Opx4cGC8g4XE=
              endpoint: 10.0.0.1:3000
              allowedIPs: [10.2.3.0/24, 10.2.4.0/24]
              persistentKeepaliveInterval: 25s
"""


@pytest.mark.anyio
async def test_legacy_devices_4_8() -> None:
    n = Node()
    for name in ("eth6", "eth7"):
        n.link(name, driver="X")
    n.link("eth9", driver="Y")
    n.config(LEGACY_4_8)
    async with n.running(LinkConfigController()):
        names = "eth0.24 eth0 eth1 bond0 eth2 eth3 bond1 eth6 eth7 br0 eth4 eth5 br1 eth8 dummy0 wireguard0"
        await converge(lambda: set(specs(n)),
                       {"default/lo", "default/eth9", *(f"configuration/{x}" for x in names.split())})
        conf = {k.removeprefix("configuration/"): v for k, v in specs(n).items() if k.startswith("configuration/")}
        assert conf["eth0.24"] == vlan("eth0.24", "eth0", 24, CONF, mtu=1000)
        assert conf["eth0"] == up("eth0", CONF)
        assert conf["eth1"] == up("eth1", CONF, mtu=9001)
        xor = BondMasterSpec(mode=BondMode.BALANCE_XOR, resend_igmp=1, lp_interval=1, packets_per_slave=1,
                             num_peer_notif=1, tlb_dynamic_lb=1, use_carrier=True, missed_max=2)
        assert conf["bond0"] == bond("bond0", xor, CONF)
        assert (conf["eth2"], conf["eth3"]) == (slave("eth2", "bond0", 0, CONF), slave("eth3", "bond0", 1, CONF))
        assert conf["bond1"] == bond("bond1", DEFAULT_BOND, CONF)
        assert (conf["eth6"], conf["eth7"]) == (slave("eth6", "bond1", 0, CONF), slave("eth7", "bond1", 1, CONF))
        bridge = {"logical": True, "kind": "bridge", "type": LinkType.ETHER}
        assert conf["br0"] == up("br0", CONF, **bridge, bridge_master=BridgeMasterSpec(
            stp=STPSpec(enabled=True), vlan=BridgeVLANSpec(filtering_enabled=True)))
        assert conf["br1"] == up("br1", CONF, **bridge, bridge_master=BridgeMasterSpec(stp=STPSpec(enabled=True)))
        for port, master in (("eth4", "br0"), ("eth5", "br0"), ("eth8", "br1")):
            assert conf[port] == up(port, CONF, bridge_slave=BridgeSlave(master_name=master))
        assert conf["dummy0"] == up("dummy0", CONF, logical=True, kind="dummy", type=LinkType.ETHER)
        assert conf["wireguard0"] == up("wireguard0", CONF, logical=True, kind="wireguard", type=LinkType.NOHDR,
                                        wireguard=WireguardSpec(
            private_key="sF45u5ePau58WeeCUY3T8D9foEKaQ8Opx4cGC8g4XE4=",
            peers=(WireguardPeer(public_key="DEF45u5ePau58WeeCUY3T8D9foEKaQ8Opx4cGC8g4XE=", endpoint="10.0.0.1:3000",
                                 persistent_keepalive_interval=timedelta(seconds=25),  # type: ignore[arg-type]
                                 allowed_ips=(ipaddress.ip_network("10.2.3.0/24"),
                                              ipaddress.ip_network("10.2.4.0/24"))),)))


NEW_STYLE_4_8 = """\
apiVersion: v1alpha1
kind: DummyLinkConfig
name: dummy1
hardwareAddr: 02:42:ac:11:00:02
---
apiVersion: v1alpha1
kind: LinkConfig
name: enp0s2
mtu: 9001
---
apiVersion: v1alpha1
kind: VLANConfig
name: dummy1.100
vlanID: 100
parent: dummy1
vlanMode: 802.1ad
mtu: 200
---
apiVersion: v1alpha1
kind: DummyLinkConfig
name: dummy2
---
apiVersion: v1alpha1
kind: DummyLinkConfig
name: dummy3
---
apiVersion: v1alpha1
kind: BondConfig
name: bond357
links: [dummy2, dummy3]
bondMode: active-backup
updelay: 200
primary: dummy2
---
apiVersion: v1alpha1
kind: BridgeConfig
name: br0
links: [enp0s2, eth1]
stp:
  enabled: true
vlan:
  filtering: true
---
apiVersion: v1alpha1
kind: LinkConfig
name: enp1s1
multicast: false
---
apiVersion: v1alpha1
kind: LinkConfig
name: enp1s2
multicast: true
up: false
---
apiVersion: v1alpha1
kind: DHCPv4Config
name: eth9
"""


@pytest.mark.anyio
async def test_link_documents_4_8() -> None:
    n = Node()
    n.link("eth0", alt_names=("enp0s2",))
    n.link("eth1")
    n.link("eth9")
    n.config(NEW_STYLE_4_8)
    async with n.running(LinkConfigController()):
        await converge(lambda: len(specs(n)), 12)  # lo + 11 links; no default-up with link documents
        conf = {k.removeprefix("configuration/"): v for k, v in specs(n).items() if k.startswith("configuration/")}
        dummy = {"logical": True, "kind": "dummy", "type": LinkType.ETHER}
        assert conf["dummy1"] == up("dummy1", CONF, **dummy, hardware_addr=HardwareAddr.parse("02:42:ac:11:00:02"))
        assert conf["eth0"] == up("eth0", CONF, mtu=9001, bridge_slave=BridgeSlave(master_name="br0"))
        assert conf["eth1"] == up("eth1", CONF, bridge_slave=BridgeSlave(master_name="br0"))
        assert conf["dummy1.100"] == up("dummy1.100", CONF, logical=True, kind="vlan", type=LinkType.ETHER, mtu=200,
                                        parent_name="dummy1", vlan=VLANSpec(vid=100, protocol=VLANProtocol.AD8021))
        assert conf["dummy2"] == up("dummy2", CONF, **dummy, bond_slave=BondSlave(master_name="bond357"))
        assert conf["dummy3"] == up("dummy3", CONF, **dummy, bond_slave=BondSlave(master_name="bond357",
                                                                                  slave_index=1))
        master = conf["bond357"].bond_master
        assert master is not None
        assert (master.mode, master.up_delay, master.ad_lacp_active, master.primary, master.primary_index) == (
            BondMode.ACTIVE_BACKUP, 200, None, "dummy2", None)
        assert conf["br0"].bridge_master == BridgeMasterSpec(stp=STPSpec(enabled=True),
                                                             vlan=BridgeVLANSpec(filtering_enabled=True))
        assert conf["enp1s1"] == up("enp1s1", CONF, multicast=False)
        assert conf["enp1s2"] == LinkSpec(name="enp1s2", up=False, multicast=True, layer=CONF)
        assert conf["eth9"] == up("eth9", CONF)  # a DHCP document brings its link up
        assert "default/lo" in specs(n)


@pytest.mark.anyio
async def test_bond_primary_through_an_alias_and_bridge_stp_off_by_default() -> None:
    n = Node()
    n.link("eth0", alt_names=("uplink",))
    n.link("eth1")
    n.config("apiVersion: v1alpha1\nkind: BondConfig\nname: bond0\nlinks: [uplink, eth1]\nbondMode: active-backup\n"
             "primary: uplink\nprimaryReselect: always\n---\n"
             "apiVersion: v1alpha1\nkind: BridgeConfig\nname: br0\nlinks: []\n")
    async with n.running(LinkConfigController()):
        await converge(lambda: set(specs(n)), {"default/lo", "configuration/bond0", "configuration/eth0",
                                               "configuration/eth1", "configuration/br0"})
        master = specs(n)["configuration/bond0"].bond_master
        assert master is not None and (master.primary, master.primary_reselect) == ("eth0", PrimaryReselect.ALWAYS)
        assert specs(n)["configuration/eth0"].bond_slave == BondSlave(master_name="bond0")
        assert specs(n)["configuration/br0"].bridge_master == BridgeMasterSpec()


WIREGUARD = """\
apiVersion: v1alpha1
kind: WireguardConfig
name: wg0
privateKey: sF45u5ePau58WeeCUY3T8D9foEKaQ8Opx4cGC8g4XE4=
listenPort: 51820
firewallMark: 32
peers:
  - publicKey: DEF45u5ePau58WeeCUY3T8D9foEKaQ8Opx4cGC8g4XE=
    presharedKey: sF45u5ePau58WeeCUY3T8D9foEKaQ8Opx4cGC8g4XE4=
    endpoint: '[2001:db8::1]:51820'
    persistentKeepaliveInterval: 25s
    allowedIPs: [10.2.0.0/16]
---
apiVersion: v1alpha1
kind: VLANConfig
name: eth0.7
vlanID: 7
parent: eth0
up: false
"""


@pytest.mark.anyio
async def test_wireguard_document_and_a_vlan_left_down() -> None:
    n = Node()
    n.config(WIREGUARD)
    async with n.running(LinkConfigController()):
        await converge(lambda: set(specs(n)), {"default/lo", "configuration/wg0", "configuration/eth0.7"})
        assert specs(n)["configuration/wg0"] == up("wg0", CONF, logical=True, kind="wireguard", type=LinkType.NOHDR,
                                                   wireguard=WireguardSpec(
            private_key="sF45u5ePau58WeeCUY3T8D9foEKaQ8Opx4cGC8g4XE4=", listen_port=51820, firewall_mark=32,
            peers=(WireguardPeer(public_key="DEF45u5ePau58WeeCUY3T8D9foEKaQ8Opx4cGC8g4XE=",
                                 preshared_key="sF45u5ePau58WeeCUY3T8D9foEKaQ8Opx4cGC8g4XE4=",
                                 endpoint="[2001:db8::1]:51820",
                                 persistent_keepalive_interval=timedelta(seconds=25),  # type: ignore[arg-type]
                                 allowed_ips=(ipaddress.ip_network("10.2.0.0/16"),)),)))
        # Talos brings every VLANConfig link up whatever `up` says; networkd honours `up: false`
        assert specs(n)["configuration/eth0.7"].up is False


SELECTORS = """\
version: v1alpha1
machine:
  network:
    interfaces:
      - deviceSelector:
          hardwareAddr: "52:54:00:*"
          physical: true
        mtu: 9000
      - deviceSelector:
          busPath: "0000:00:1f.*"
          pciID: 8086:*
        mtu: 1400
      - deviceSelector:
          driver: nope
        mtu: 1300
"""


@pytest.mark.anyio
async def test_device_selectors_glob_link_properties(caplog: pytest.LogCaptureFixture) -> None:
    n = Node()
    n.link("eth0", hw="52:54:00:00:00:01")
    n.link("eth1", hw="52:54:00:00:00:02")
    n.link("br0", kind="bridge", hw="52:54:00:00:00:03")  # matches the MAC glob but is not physical
    n.link("eno1", hw="aa:bb:cc:00:00:01", bus_path="0000:00:1f.6", pci_id="8086:15BC")
    n.link("eno2", hw="aa:bb:cc:00:00:02", bus_path="0000:00:1f.7", pci_id="10EC:8168")
    n.config(SELECTORS)
    async with n.running(LinkConfigController()):
        await converge(lambda: {k: v.mtu for k, v in specs(n).items()}, {
            "default/lo": 0, "configuration/eth0": 9000, "configuration/eth1": 9000, "configuration/eno1": 1400,
            "default/eno2": 0})
        assert "no link matches the deviceSelector of machine.network.interfaces[2] (driver='nope')" in caplog.text
