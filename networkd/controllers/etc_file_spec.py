"""EtcFileSpecController: writes each EtcFileSpec into the etc directory atomically; EtcFileStatus records it."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

import anyio

from networkd.resources.files import FILES, EtcFileSpec, EtcFileStatus
from networkd.runtime import Context, Controller, Input, InputKind, Output, tearing_down


def write_atomic(path: Path, contents: bytes, mode: int) -> bool:
    """Make `path` hold `contents` with `mode`; False when it already did.

    Written to a temporary file in the same directory, flushed to disk, then renamed over `path`, so a
    reader sees the old file or the new one, never a part. The directory is synced after the rename.
    """
    with contextlib.suppress(FileNotFoundError):
        if stat.S_IMODE(path.stat().st_mode) == mode and path.read_bytes() == contents:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(contents)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True


class EtcFileSpecController(Controller):
    """Writes every live EtcFileSpec to `<etc_dir>/<id>` (holding a finalizer meanwhile) and publishes
    EtcFileStatus with the spec version written; a torn-down spec's file is removed, then its finalizer.

    Named as Talos's files.EtcFileController. SELinux labels are not applied.
    """

    name = "files.EtcFileController"

    def __init__(self, etc_dir: Path) -> None:
        self.etc_dir = etc_dir

    def inputs(self) -> Iterable[Input]:
        return [Input(FILES, EtcFileSpec.TYPE, InputKind.STRONG)]

    def outputs(self) -> Iterable[Output]:
        return [Output(EtcFileStatus.TYPE)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            written = []
            for res in ctx.list(FILES, EtcFileSpec.TYPE):
                path = self.etc_dir / res.id
                if path.parent != self.etc_dir or res.id in (".", ".."):
                    ctx.logger.error("refusing to write %r: not a file name", res.id)
                    continue
                if tearing_down(res):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                        ctx.logger.info("removed %s", path)
                    ctx.remove_finalizer(FILES, EtcFileSpec.TYPE, res.id)
                    continue
                ctx.add_finalizer(FILES, EtcFileSpec.TYPE, res.id)
                spec = res.spec
                assert isinstance(spec, EtcFileSpec)
                if await anyio.to_thread.run_sync(write_atomic, path, spec.contents.encode(), spec.mode):
                    ctx.logger.info("wrote %s (version %d)", path, res.metadata.version)
                ctx.put(FILES, res.id, EtcFileStatus(spec_version=str(res.metadata.version)))
                written.append(res.id)
            ctx.retire(FILES, EtcFileStatus.TYPE, written)
