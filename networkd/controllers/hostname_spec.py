"""HostnameSpecController: applies the merged HostnameSpec to the kernel (this process's UTS namespace)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from networkd.resources.network import NETWORK, HostnameSpec, HostnameStatus
from networkd.runtime import Context, Controller, Input, InputKind, Output, tearing_down


class UTSNames(Protocol):
    """The host and domain name of a UTS namespace."""

    def get(self) -> tuple[str, str]:
        """The current (hostname, domainname)."""
        ...

    def set(self, hostname: str, domainname: str) -> None:
        """Set both names."""
        ...


class KernelUTSNames:
    """The names of the UTS namespace this process runs in: sethostname(2) and setdomainname(2)."""

    def __init__(self, proc: Path = Path("/proc/sys/kernel")) -> None:
        self._proc = proc

    def get(self) -> tuple[str, str]:
        """Read both names from /proc, which shows the reader's UTS namespace."""
        return ((self._proc / "hostname").read_text().rstrip("\n"),
                (self._proc / "domainname").read_text().rstrip("\n"))

    def set(self, hostname: str, domainname: str) -> None:
        """Set both names; OSError (EINVAL for a name over 64 bytes, EPERM without CAP_SYS_ADMIN) on failure."""
        socket.sethostname(hostname)
        raw = domainname.encode()
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.setdomainname(ctypes.c_char_p(raw), ctypes.c_size_t(len(raw))) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setdomainname({domainname!r}): {os.strerror(err)}")


class HostnameSpecController(Controller):
    """Sets the host and domain name from HostnameSpec `hostname` and reports them in HostnameStatus.

    Holds a finalizer on each live spec. When a spec is torn down its status goes and the finalizer is
    dropped; the kernel keeps the names it has (there is nothing to restore them to).
    """

    name = "network.HostnameSpecController"

    def __init__(self, uts: UTSNames | None = None) -> None:
        self.uts: UTSNames = uts if uts is not None else KernelUTSNames()

    def inputs(self) -> Iterable[Input]:
        return [Input(NETWORK, HostnameSpec.TYPE, InputKind.STRONG)]

    def outputs(self) -> Iterable[Output]:
        return [Output(HostnameStatus.TYPE)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            live = []
            for res in ctx.list(NETWORK, HostnameSpec.TYPE):
                spec = res.spec
                assert isinstance(spec, HostnameSpec)
                if tearing_down(res):
                    ctx.remove_finalizer(NETWORK, HostnameSpec.TYPE, res.id)
                    continue
                ctx.add_finalizer(NETWORK, HostnameSpec.TYPE, res.id)
                if self.uts.get() != (spec.hostname, spec.domainname):
                    ctx.logger.info("setting hostname %r, domainname %r", spec.hostname, spec.domainname)
                    self.uts.set(spec.hostname, spec.domainname)
                ctx.put(NETWORK, res.id, HostnameStatus(hostname=spec.hostname, domainname=spec.domainname))
                live.append(res.id)
            ctx.retire(NETWORK, HostnameStatus.TYPE, live)
