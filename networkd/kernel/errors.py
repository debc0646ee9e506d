"""The kernel package's exceptions: pyroute2 and socket errors are translated into these at the edge."""

from __future__ import annotations

import errno as errnos
import os

# Errors a delete answers when the object is already gone: all mean "success" for a delete.
NOT_FOUND = frozenset({errnos.ENOENT, errnos.ESRCH, errnos.EADDRNOTAVAIL, errnos.ENODEV})


class KernelError(Exception):
    """A netlink request the kernel refused, or a netlink socket that failed.

    `errno` is the kernel's error number, `op` the operation ("link add", "route del", ...), `obj` the
    object it was about (e.g. "veth0 (veth)", "10.0.0.0/24 table 254"), `detail` the kernel's
    extended-ack message when it gave one.
    """

    def __init__(self, errno: int, op: str, obj: str, detail: str = "") -> None:
        self.errno = errno
        self.op = op
        self.obj = obj
        self.detail = detail
        name = errnos.errorcode.get(errno, str(errno))
        reason = os.strerror(errno)
        extra = f": {detail}" if detail and detail != reason else ""
        super().__init__(f"{op} {obj}: {reason} ({name}){extra}")
