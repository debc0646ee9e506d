"""Run inside a lab node (own UTS namespace): HostnameSpecController against the real kernel.

Prints one JSON object: the names the kernel showed before, after the spec was applied, after an update,
and after the spec was torn down (the names must stay), with the HostnameStatus seen at each step.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio

from networkd.controllers.hostname_spec import HostnameSpecController
from networkd.resources.network import NETWORK, HostnameSpec, HostnameStatus
from networkd.runtime import Runtime
from networkd.state import State

MERGE = "network.HostnameMergeController"
SPEC = HostnameSpec.TYPE.type
STATUS = HostnameStatus.TYPE.type


def kernel() -> list[str]:
    """(hostname, domainname) as this UTS namespace's /proc shows them."""
    return [Path(f"/proc/sys/kernel/{n}").read_text().rstrip("\n") for n in ("hostname", "domainname")]


async def until(pred, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    with anyio.fail_after(timeout):
        while not pred():
            await anyio.sleep(0.005)


async def main(hostname: str, domainname: str, second: str) -> dict[str, object]:
    out: dict[str, object] = {"before": kernel()}
    st = State()
    rt = Runtime(st)
    rt.register(HostnameSpecController())
    st.create(HostnameSpec.TYPE.new(NETWORK, "hostname", HostnameSpec(hostname=hostname, domainname=domainname)),
              MERGE)

    def status() -> list[str] | None:
        res = st.find(NETWORK, STATUS, "hostname")
        return None if res is None else [res.spec.hostname, res.spec.domainname]  # type: ignore[attr-defined]

    async with anyio.create_task_group() as tg:
        tg.start_soon(rt.run)
        await until(lambda: status() is not None)
        out["applied"] = kernel()
        out["status"] = status()
        out["finalizers"] = list(st.get(NETWORK, SPEC, "hostname").metadata.finalizers)

        cur = st.get(NETWORK, SPEC, "hostname")
        st.update(type(cur)(cur.metadata, HostnameSpec(hostname=second)), MERGE)
        await until(lambda: status() == [second, ""])
        out["updated"] = kernel()

        st.teardown(NETWORK, SPEC, "hostname", MERGE)
        await until(lambda: not st.get(NETWORK, SPEC, "hostname").metadata.finalizers)
        st.destroy(NETWORK, SPEC, "hostname", MERGE)
        out["after_teardown"] = kernel()
        out["status_after_teardown"] = status()
        tg.cancel_scope.cancel()
    return out


if __name__ == "__main__":
    print(json.dumps(anyio.run(main, *sys.argv[1:4])))
