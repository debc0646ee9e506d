"""ResolverSpecController with the real runtime: copy to status, finalizer while live, one log line per change."""

from __future__ import annotations

import ipaddress
import logging

import anyio
import pytest

from networkd.controllers.resolver_spec import ResolverSpecController
from networkd.resources.enums import ConfigLayer, DNSProtocol
from networkd.resources.network import NETWORK, NameServerSpec, ResolverSpec, ResolverStatus
from networkd.runtime import Runtime
from networkd.state import State
from tests.aio import until

MERGE = "network.ResolverMergeController"
NAME = "network.ResolverSpecController"
SPEC = ResolverSpec.TYPE.type
STATUS = ResolverStatus.TYPE.type


def ns(addr: str, protocol: DNSProtocol = DNSProtocol.DO53, tls: str = "") -> NameServerSpec:
    return NameServerSpec(addr=ipaddress.ip_address(addr), protocol=protocol, tls_server_name=tls)


@pytest.mark.anyio
async def test_copies_spec_and_lets_go_on_teardown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="networkd.controller")
    st = State()
    rt = Runtime(st)
    rt.register(ResolverSpecController())
    spec = ResolverSpec(dns_servers=(ipaddress.ip_address("9.9.9.9"), ipaddress.ip_address("8.8.8.8")),
                        name_servers=(ns("9.9.9.9", DNSProtocol.DOT, "dns.quad9.net"), ns("8.8.8.8")),
                        search_domains=("example.com",), layer=ConfigLayer.CONFIGURATION)
    st.create(ResolverSpec.TYPE.new(NETWORK, "resolvers", spec), MERGE)
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: st.find(NETWORK, STATUS, "resolvers") is not None)
        status = st.get(NETWORK, STATUS, "resolvers")
        assert status.spec == ResolverStatus(dns_servers=spec.dns_servers, name_servers=spec.name_servers,
                                             search_domains=("example.com",))
        assert status.metadata.owner == NAME
        assert st.get(NETWORK, SPEC, "resolvers").metadata.finalizers == (NAME,)

        # a change: one log line; a pass without a change: none
        cur = st.get(NETWORK, SPEC, "resolvers")
        st.update(type(cur)(cur.metadata, ResolverSpec(dns_servers=(ipaddress.ip_address("1.1.1.1"),))), MERGE)
        await until(lambda: st.get(NETWORK, STATUS, "resolvers").spec
                    == ResolverStatus(dns_servers=(ipaddress.ip_address("1.1.1.1"),)))
        await anyio.sleep(0.05)
        lines = [r.getMessage() for r in caplog.records if getattr(r, "controller", "") == NAME]
        assert lines == [
            "setting resolvers ['9.9.9.9 (DoT, TLS Server Name: dns.quad9.net)', '8.8.8.8'], "
            "search domains ['example.com']",
            "setting resolvers ['1.1.1.1'], search domains []",
        ]

        # teardown: the status goes, then the finalizer, then the merge controller can destroy the spec
        assert not st.teardown(NETWORK, SPEC, "resolvers", MERGE)
        await until(lambda: not st.get(NETWORK, SPEC, "resolvers").metadata.finalizers)
        assert st.find(NETWORK, STATUS, "resolvers") is None
        st.destroy(NETWORK, SPEC, "resolvers", MERGE)
        await anyio.sleep(0.05)
        assert st.list(NETWORK, STATUS) == []
        tg.cancel_scope.cancel()
