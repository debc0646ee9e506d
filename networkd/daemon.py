"""The networkd daemon: flags, logging, state, controllers, API, clean shutdown."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import anyio

log = logging.getLogger("networkd")

# The cyclic garbage collector's thresholds: allocations between young collections, and young (then middle)
# collections between older ones. CPython's (700, 10, 10) traverse the young objects every 700 allocations,
# which is a third to a half of the CPU of parsing a config of 10,000 routes and building its specs (almost
# none of it garbage: refcounting frees the rest); the young generation is now 50,000 objects.
GC_THRESHOLDS = (50_000, 20, 10)


@dataclass(frozen=True, slots=True)
class Options:
    """Validated daemon options."""

    socket: Path
    state_dir: Path
    etc_dir: Path
    config: Path | None
    platform_config: Path | None
    cmdline: str
    listen: str | None
    pki: Path | None
    log_format: str
    log_level: str
    dhcp4_probe: bool = False


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="networkd", description="Owns the node's network: layered specs, merged and reconciled.")
    p.add_argument("--socket", type=Path, default=Path("/run/networkd/networkd.sock"), help="API Unix socket")
    p.add_argument("--state-dir", type=Path, default=Path("/var/lib/networkd"), help="persistent state")
    p.add_argument("--etc-dir", type=Path, default=Path("/etc"), help="where resolv.conf and hosts are written")
    p.add_argument("--config", type=Path, help="machine configuration YAML")
    p.add_argument("--platform-config", type=Path, help="platform network configuration YAML")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--cmdline", help="kernel command line to use instead of /proc/cmdline")
    src.add_argument("--cmdline-file", type=Path, default=Path("/proc/cmdline"), help="file holding the cmdline")
    p.add_argument("--listen", metavar="ADDR:PORT", help="also serve the API over TCP with mutual TLS")
    p.add_argument("--pki", type=Path, help="directory with ca.crt, server.crt, server.key (for --listen)")
    p.add_argument("--dhcp4-probe", action="store_true",
                   help="ARP-probe each new DHCPv4 address before using it and DECLINE it when another host has it "
                        "(RFC 5227, 40-70 ms; off by default, as systemd-networkd's SendDecline=)")
    p.add_argument("--log-format", choices=("text", "json"), default="text")
    p.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")
    return p


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"networkd: error: {message}\n")
    raise SystemExit(2)


def _readable(path: Path, what: str) -> str:
    try:
        return path.read_text()
    except OSError as e:
        _fail(f"cannot read {what} {path}: {e.strerror or e}")


def _check_config(text: str, what: str) -> None:
    from networkd.config import ConfigError, load

    try:
        load(text, source=what)
    except ConfigError as e:
        lines = [f"  {err.path}: {err.message}" for err in e.errors]
        _fail(f"invalid {what}, nothing applied ({len(lines)} errors):\n" + "\n".join(lines))


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Parse and validate flags; a bad flag or unreadable file exits with status 2 and one line."""
    p = _parser()
    a = p.parse_args(argv)
    if a.config is not None:
        _check_config(_readable(a.config, "--config"), f"--config {a.config}")
    if a.platform_config is not None:
        _readable(a.platform_config, "--platform-config")
    cmdline = a.cmdline if a.cmdline is not None else _readable(a.cmdline_file, "--cmdline-file").strip()
    if a.listen:
        if a.pki is None:
            p.error("--listen needs --pki DIR")
        for name in ("ca.crt", "server.crt", "server.key"):
            _readable(a.pki / name, "--pki file")
        host, sep, port = a.listen.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            p.error(f"--listen {a.listen!r}: expected ADDR:PORT")
    return Options(a.socket, a.state_dir, a.etc_dir, a.config, a.platform_config, cmdline, a.listen, a.pki,
                   a.log_format, a.log_level, a.dhcp4_probe)


class _JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": round(record.created, 6), "level": record.levelname.lower(), "logger": record.name,
               "msg": record.getMessage()}
        controller = getattr(record, "controller", None)
        if controller:
            out["controller"] = controller
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        controller = getattr(record, "controller", None)
        record.ctl = f" [{controller}]" if controller else ""
        return super().format(record)


def setup_logging(fmt: str, level: str) -> None:
    """Log to stderr as text or JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JSONFormatter() if fmt == "json" else
                         _TextFormatter("%(asctime)s %(levelname)s %(name)s%(ctl)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


async def serve(opts: Options) -> None:
    """Run until SIGTERM or SIGINT; shutdown leaves the kernel's network as it is."""
    from networkd.api.server import APIServer
    from networkd.configapply import ConfigApplier
    from networkd.controllers import build_controllers
    from networkd.controllers.machine_config import MachineConfigController
    from networkd.kernel.hub import KernelHub
    from networkd.resources.meta import meta_resources
    from networkd.runtime import Runtime
    from networkd.state import State

    gc.freeze()  # the modules' objects live as long as the process: no collection needs to look at them again
    state = State()
    runtime = Runtime(state)
    hub = KernelHub()
    logging.getLogger().addHandler(runtime.logs)
    controllers = build_controllers(opts, hub)
    for c in controllers:
        runtime.register(c)
    source = next(c for c in controllers if isinstance(c, MachineConfigController))
    for res in meta_resources():
        state.create(res)
    opts.state_dir.mkdir(parents=True, exist_ok=True)
    api = APIServer(state, runtime, socket_path=opts.socket, listen=opts.listen, pki=opts.pki,
                    applier=ConfigApplier(opts, state, source))
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        await api.start()
        log.info("networkd started (pid %d)", os.getpid())
        async with anyio.create_task_group() as tg:
            tg.start_soon(hub.run)
            tg.start_soon(runtime.run)
            async for sig in signals:
                log.info("received %s, shutting down; kernel network state is left as it is", signal.Signals(sig).name)
                break
            with anyio.CancelScope(shield=True):
                await api.stop()
            tg.cancel_scope.cancel()
    log.info("networkd stopped")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    gc.set_threshold(*GC_THRESHOLDS)
    opts = parse_args(argv)
    setup_logging(opts.log_format, opts.log_level)
    try:
        anyio.run(serve, opts, backend="asyncio")
    except OSError as e:
        log.error("fatal: %s", e)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
