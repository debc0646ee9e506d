"""TimeServerSpecController with the real runtime: copy to status, finalizer while live, one log line per change."""

from __future__ import annotations

import logging

import anyio
import pytest

from networkd.controllers.timeserver_spec import TimeServerSpecController
from networkd.resources.enums import ConfigLayer
from networkd.resources.network import NETWORK, TimeServerSpec, TimeServerStatus
from networkd.runtime import Runtime
from networkd.state import State
from tests.aio import until

MERGE = "network.TimeServerMergeController"
NAME = "network.TimeServerSpecController"
SPEC = TimeServerSpec.TYPE.type
STATUS = TimeServerStatus.TYPE.type


@pytest.mark.anyio
async def test_copies_spec_and_lets_go_on_teardown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="networkd.controller")
    st = State()
    rt = Runtime(st)
    rt.register(TimeServerSpecController())
    st.create(TimeServerSpec.TYPE.new(NETWORK, "timeservers", TimeServerSpec(
        time_servers=("time.cloudflare.com",), use_nts=True)), MERGE)
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: st.find(NETWORK, STATUS, "timeservers") is not None)
        status = st.get(NETWORK, STATUS, "timeservers")
        assert status.spec == TimeServerStatus(time_servers=("time.cloudflare.com",), use_nts=True)
        assert status.metadata.owner == NAME
        assert st.get(NETWORK, SPEC, "timeservers").metadata.finalizers == (NAME,)

        cur = st.get(NETWORK, SPEC, "timeservers")
        st.update(type(cur)(cur.metadata, TimeServerSpec(time_servers=("za.pool.ntp.org", "pool.ntp.org"),
                                                         layer=ConfigLayer.CONFIGURATION)), MERGE)
        await until(lambda: st.get(NETWORK, STATUS, "timeservers").spec
                    == TimeServerStatus(time_servers=("za.pool.ntp.org", "pool.ntp.org")))
        await anyio.sleep(0.05)
        lines = [r.getMessage() for r in caplog.records if getattr(r, "controller", "") == NAME]
        assert lines == ["setting time servers ['time.cloudflare.com'], NTS True",
                         "setting time servers ['za.pool.ntp.org', 'pool.ntp.org'], NTS False"]

        assert not st.teardown(NETWORK, SPEC, "timeservers", MERGE)
        await until(lambda: not st.get(NETWORK, SPEC, "timeservers").metadata.finalizers)
        assert st.find(NETWORK, STATUS, "timeservers") is None
        st.destroy(NETWORK, SPEC, "timeservers", MERGE)
        tg.cancel_scope.cancel()
