"""HostnameSpecController: status, finalizer and logging with a fake UTS; the real syscalls in a lab node.

Nothing here sets the names of the host: the in-process tests use FakeUTS, and the kernel test runs the
controller in a lab node (its own UTS namespace) and checks the host's names did not move.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
from pathlib import Path

import anyio
import pytest
from nslab.lab import Lab

from networkd.controllers.hostname_spec import HostnameSpecController, KernelUTSNames
from networkd.resources.enums import ConfigLayer
from networkd.resources.network import NETWORK, HostnameSpec, HostnameStatus
from networkd.runtime import Runtime
from networkd.state import State
from tests.aio import until

MERGE = "network.HostnameMergeController"
NAME = "network.HostnameSpecController"
SPEC = HostnameSpec.TYPE.type
STATUS = HostnameStatus.TYPE.type
IN_NODE = Path(__file__).with_name("hostname_in_node.py")


class FakeUTS:
    """Names kept in memory, with every set recorded."""

    def __init__(self, hostname: str = "boot", domainname: str = "(none)") -> None:
        self.names = (hostname, domainname)
        self.sets: list[tuple[str, str]] = []

    def get(self) -> tuple[str, str]:
        return self.names

    def set(self, hostname: str, domainname: str) -> None:
        self.names = (hostname, domainname)
        self.sets.append(self.names)


def status(st: State) -> tuple[str, str] | None:
    res = st.find(NETWORK, STATUS, "hostname")
    if res is None:
        return None
    assert isinstance(res.spec, HostnameStatus)
    return (res.spec.hostname, res.spec.domainname)


@pytest.mark.anyio
async def test_applies_once_per_change_and_keeps_names_on_teardown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="networkd.controller")
    uts = FakeUTS()
    st = State()
    rt = Runtime(st)
    rt.register(HostnameSpecController(uts))
    st.create(HostnameSpec.TYPE.new(NETWORK, "hostname", HostnameSpec(hostname="foo", domainname="example.com")),
              MERGE)
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: status(st) == ("foo", "example.com"))
        assert uts.sets == [("foo", "example.com")]
        assert st.get(NETWORK, SPEC, "hostname").metadata.finalizers == (NAME,)
        assert st.get(NETWORK, STATUS, "hostname").metadata.owner == NAME

        # same names again (a layer change only): no syscall, no log line
        cur = st.get(NETWORK, SPEC, "hostname")
        st.update(type(cur)(cur.metadata, HostnameSpec(hostname="foo", domainname="example.com",
                                                       layer=ConfigLayer.CONFIGURATION)), MERGE)
        cur = st.get(NETWORK, SPEC, "hostname")
        st.update(type(cur)(cur.metadata, HostnameSpec(hostname="bar")), MERGE)
        await until(lambda: status(st) == ("bar", ""))
        assert uts.sets == [("foo", "example.com"), ("bar", "")]

        # someone else renames the host: the next pass (woken by an unchanged update) puts the names back
        uts.names = ("other", "")
        cur = st.get(NETWORK, SPEC, "hostname")
        st.update(type(cur)(cur.metadata, HostnameSpec(hostname="bar")), MERGE)
        await until(lambda: uts.names == ("bar", ""))

        assert not st.teardown(NETWORK, SPEC, "hostname", MERGE)
        await until(lambda: not st.get(NETWORK, SPEC, "hostname").metadata.finalizers)
        assert status(st) is None
        st.destroy(NETWORK, SPEC, "hostname", MERGE)
        await anyio.sleep(0.05)
        assert uts.names == ("bar", "")  # the names stay as they are
        tg.cancel_scope.cancel()
    lines = [r.getMessage() for r in caplog.records if getattr(r, "controller", "") == NAME]
    assert lines == ["setting hostname 'foo', domainname 'example.com'", "setting hostname 'bar', domainname ''",
                     "setting hostname 'bar', domainname ''"]


@pytest.mark.anyio
async def test_failed_syscall_restarts_the_controller_without_a_status() -> None:
    class Refusing(FakeUTS):
        def set(self, hostname: str, domainname: str) -> None:
            raise PermissionError(1, "Operation not permitted")

    st = State()
    rt = Runtime(st, backoff_initial=0.01)
    rt.register(HostnameSpecController(Refusing()))
    st.create(HostnameSpec.TYPE.new(NETWORK, "hostname", HostnameSpec(hostname="foo")), MERGE)
    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: rt.restarts.get(NAME, 0) >= 2)
        assert status(st) is None
        tg.cancel_scope.cancel()


def test_kernel_names_reads_proc(tmp_path: Path) -> None:
    (tmp_path / "hostname").write_text("node-1\n")
    (tmp_path / "domainname").write_text("(none)\n")
    assert KernelUTSNames(tmp_path).get() == ("node-1", "(none)")


def test_sets_names_in_a_lab_node_only(lab: Lab) -> None:
    host_before = (socket.gethostname(), Path("/proc/sys/kernel/domainname").read_text())
    node = lab.add_node("uts")
    out = json.loads(node.check([sys.executable, str(IN_NODE), "talos-lab-1", "lab.example.org", "second"],
                                uts_mount=True).stdout)
    assert out["applied"] == ["talos-lab-1", "lab.example.org"]
    assert out["status"] == ["talos-lab-1", "lab.example.org"]
    assert out["finalizers"] == [NAME]
    assert out["updated"] == ["second", ""]
    assert out["after_teardown"] == ["second", ""]
    assert out["status_after_teardown"] is None
    assert out["before"] == [host_before[0], host_before[1].rstrip("\n")]  # the node started from a copy
    assert (socket.gethostname(), Path("/proc/sys/kernel/domainname").read_text()) == host_before
