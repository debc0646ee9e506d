"""The derived controllers together, with the merge controllers, from layered specs and observed statuses to
readiness and files on disk. The hostname controller runs with a fake UTS: nothing here renames the host."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import anyio
import pytest

from networkd.controllers.derived import derived_controllers
from networkd.controllers.hostname_spec import HostnameSpecController
from networkd.controllers.merge import merge_controllers
from networkd.daemon import parse_args
from networkd.resources.base import Spec
from networkd.resources.enums import ConfigLayer, Family, LinkType
from networkd.resources.files import FILES, EtcFileSpec, EtcFileStatus
from networkd.resources.link import HardwareAddrSpec, LinkStatus
from networkd.resources.network import (
    NETWORK,
    NETWORK_CONFIG,
    AddressStatus,
    HostnameSpec,
    HostnameStatus,
    NameServerSpec,
    NetworkStatus,
    NodeAddress,
    ResolverSpec,
    ResolverStatus,
    RouteStatus,
    TimeServerSpec,
    TimeServerStatus,
)
from networkd.resources.values import HardwareAddr
from networkd.runtime import Runtime
from networkd.state import State
from tests.aio import until

FILE_SPEC = EtcFileSpec.TYPE.type


class FakeUTS:
    """Names kept in memory."""

    def __init__(self) -> None:
        self.names = ("boot", "(none)")

    def get(self) -> tuple[str, str]:
        return self.names

    def set(self, hostname: str, domainname: str) -> None:
        self.names = (hostname, domainname)


def spec(st: State, namespace: str, rt: type[Spec], id: str) -> Spec | None:
    res = st.find(namespace, rt.TYPE.type, id)
    return None if res is None else res.spec


def test_every_controller_once_and_no_output_claimed_twice(tmp_path: Path) -> None:
    opts = parse_args(["--etc-dir", str(tmp_path / "etc"), "--state-dir", str(tmp_path), "--cmdline", ""])
    controllers = derived_controllers(opts)
    assert len({c.name for c in controllers}) == len(controllers) == 9
    rt = Runtime(State())
    for c in [*controllers, *merge_controllers()]:
        rt.register(c)  # refuses a second exclusive writer


@pytest.mark.anyio
async def test_from_layered_specs_to_ready(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    opts = parse_args(["--etc-dir", str(etc), "--state-dir", str(tmp_path), "--cmdline", ""])
    uts = FakeUTS()
    controllers = [c for c in derived_controllers(opts) if not isinstance(c, HostnameSpecController)]
    assert len(controllers) == 8  # the real hostname controller is left out
    st = State()
    rt = Runtime(st)
    for c in [*controllers, HostnameSpecController(uts), *merge_controllers()]:
        rt.register(c)

    p = "test.config-controller"
    st.create(HostnameSpec.TYPE.new(NETWORK_CONFIG, "default/hostname", HostnameSpec(hostname="talos-10-0-0-5")), p)
    st.create(ResolverSpec.TYPE.new(NETWORK_CONFIG, "default/resolvers", ResolverSpec(name_servers=(
        NameServerSpec(addr=ipaddress.ip_address("1.1.1.1")), NameServerSpec(addr=ipaddress.ip_address("8.8.8.8"))))),
        p)
    st.create(TimeServerSpec.TYPE.new(NETWORK_CONFIG, "default/timeservers", TimeServerSpec(
        time_servers=("time.cloudflare.com",), use_nts=True, layer=ConfigLayer.DEFAULT)), p)
    st.create(LinkStatus.TYPE.new(NETWORK, "eth0", LinkStatus(
        index=1, type=LinkType.ETHER, link_state=True, hardware_addr=HardwareAddr.parse("52:54:00:12:34:56"))),
        "network.LinkStatusController")
    st.create(AddressStatus.TYPE.new(NETWORK, "eth0/10.0.0.5/24", AddressStatus(
        address=ipaddress.ip_interface("10.0.0.5/24"), link_name="eth0", link_index=1, family=Family.INET4)),
        "network.AddressStatusController")
    st.create(RouteStatus.TYPE.new(NETWORK, "inet4/10.0.0.1//1024", RouteStatus(
        family=Family.INET4, gateway=ipaddress.ip_address("10.0.0.1"), out_link_name="eth0", priority=1024)),
        "network.RouteStatusController")

    ready = NetworkStatus(address_ready=True, connectivity_ready=True, hostname_ready=True, etc_files_ready=True)
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: spec(st, NETWORK, NetworkStatus, "status") == ready)
        await until(lambda: all(
            r.spec == EtcFileStatus(spec_version=str(st.get(FILES, FILE_SPEC, r.id).metadata.version))
            for r in st.list(FILES, EtcFileStatus.TYPE.type)))
        tg.cancel_scope.cancel()

    assert uts.names == ("talos-10-0-0-5", "")
    assert spec(st, NETWORK, HostnameStatus, "hostname") == HostnameStatus(hostname="talos-10-0-0-5")
    resolvers = spec(st, NETWORK, ResolverStatus, "resolvers")
    assert isinstance(resolvers, ResolverStatus)
    assert [str(a) for a in resolvers.dns_servers] == ["1.1.1.1", "8.8.8.8"]
    assert spec(st, NETWORK, TimeServerStatus, "timeservers") == TimeServerStatus(
        time_servers=("time.cloudflare.com",), use_nts=True)
    assert spec(st, NETWORK, NodeAddress, "default") == NodeAddress(addresses=(ipaddress.ip_interface("10.0.0.5/24"),))
    assert spec(st, NETWORK, HardwareAddrSpec, "first") == HardwareAddrSpec(
        name="eth0", hardware_addr=HardwareAddr.parse("52:54:00:12:34:56"))
    assert (etc / "hosts").read_text() == (
        "127.0.0.1 localhost\n10.0.0.5  talos-10-0-0-5\n::1       localhost ip6-localhost ip6-loopback\n"
        "ff02::1   ip6-allnodes\nff02::2   ip6-allrouters\n")
    assert (etc / "resolv.conf").read_text() == "nameserver 1.1.1.1\nnameserver 8.8.8.8\n"
