"""netctl: a talosctl-style client for networkd."""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from networkd.cli.client import Client, ClientError, targets

if TYPE_CHECKING:
    from networkd.api.gen.networkd.machine_pb2 import ApplyConfigurationResponse


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="netctl", description="Read networkd's resources, logs and dependency graph.")
    p.add_argument("--socket", type=Path, help="daemon Unix socket (default /run/networkd/networkd.sock)")
    p.add_argument("-e", "--endpoints", action="append", default=[], help="HOST[:PORT] over mTLS; repeatable")
    p.add_argument("--netctlconfig", type=Path, help="client config (default $NETCTLCONFIG or ~/.netctl/config)")
    p.add_argument("--context", help="context of the client config to use")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    g = sub.add_parser("get", help="get or list resources of a type")
    g.add_argument("type", help="resource type or alias")
    g.add_argument("id", nargs="?", help="resource id")
    g.add_argument("--namespace", help="namespace (default: the type's default)")
    g.add_argument("-o", "--output", choices=("table", "yaml", "json"), default="table")
    g.add_argument("-w", "--watch", action="store_true", help="print changes as they happen")

    i = sub.add_parser("inspect", help="inspect the controller runtime")
    isub = i.add_subparsers(dest="what", required=True, parser_class=_Parser)
    d = isub.add_parser("dependencies", help="controller/resource graph in graphviz format")
    d.add_argument("--with-resources", action="store_true", help="show resource instances instead of types")

    lg = sub.add_parser("logs", help="recent logs of a controller")
    lg.add_argument("controller")
    lg.add_argument("-f", "--follow", action="store_true")
    lg.add_argument("--tail", type=int, default=0, help="only the last N lines")

    ac = sub.add_parser("apply-config", help="apply a new machine configuration (admin)")
    ac.add_argument("-f", "--file", type=Path, required=True, help="the machine configuration YAML")
    ac.add_argument("-m", "--mode", default="auto", choices=("auto", "no-reboot", "try", "reboot", "staged"),
                    help="auto and no-reboot apply at once and persist; try rolls back after --timeout")
    ac.add_argument("--dry-run", action="store_true", help="print the spec changes, apply nothing")
    ac.add_argument("--timeout", type=_duration, default=60.0, help="try mode: roll back after this (e.g. 60s, 2m)")

    gen = sub.add_parser("gen", help="generate files")
    gsub = gen.add_subparsers(dest="what", required=True, parser_class=_Parser)
    pki = gsub.add_parser("pki", help="CA, server and client (admin, reader) certificates and a netctl config")
    pki.add_argument("dir", type=Path)
    pki.add_argument("--san", action="append", default=[], help="server name or IP (default 127.0.0.1, ::1, localhost)")
    pki.add_argument("--endpoint", action="append", default=[], help="endpoint written into the netctl config")
    return p


def _duration(text: str) -> float:
    """Go-style durations: 90s, 1m30s, 2m, 1h, 500ms."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    total, rest = 0.0, text.strip()
    if not rest:
        raise argparse.ArgumentTypeError("empty duration")
    for num, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", rest):
        total += float(num) * units[unit]
    if re.sub(r"(\d+(?:\.\d+)?)(ms|h|m|s)", "", rest) or total <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 60s, 1m30s or 2m")
    return total


def cmd_apply(client: Client, a: argparse.Namespace) -> None:
    """`netctl apply-config`: on a Unix socket through networkd.cli.h2 (grpc and protobuf load only once the
    request is on its way), over TCP endpoints with grpc."""
    try:
        data = a.file.read_bytes()
    except OSError as e:
        raise ClientError(f"cannot read {a.file}: {e.strerror or e}") from None
    mode = a.mode.upper().replace("-", "_")
    if client.unix_socket is not None:
        resp = _apply_unix(client.unix_socket, data, mode, a.dry_run, a.timeout)
    else:
        from networkd.api.gen.networkd import machine_pb2

        req = machine_pb2.ApplyConfigurationRequest(data=data, mode=machine_pb2.ApplyMode.Value(mode),
                                                    dry_run=a.dry_run, try_timeout_seconds=a.timeout)
        resp = client.call(lambda api: api.machine.ApplyConfiguration(req))
    for line in resp.changes:
        print(line)
    print(resp.message)


def _apply_unix(socket: Path, data: bytes, mode: str, dry_run: bool, timeout: float) -> ApplyConfigurationResponse:
    """ApplyConfiguration over the minimal HTTP/2 client; errors worded as the grpc path words them."""
    from networkd.cli import h2

    def load_messages() -> None:  # while the daemon works on the request
        from networkd.api.gen.networkd import machine_pb2  # noqa: F401

    req = h2.encode_apply_request(data, h2.APPLY_MODES[mode], dry_run, timeout)
    try:
        body = h2.call_unix(socket, h2.APPLY_CONFIGURATION, req, on_sent=load_messages)
    except (h2.RpcError, h2.H2Error) as e:
        raise ClientError(str(e)) from None
    from google.protobuf.message import DecodeError

    from networkd.api.gen.networkd import machine_pb2

    try:
        return machine_pb2.ApplyConfigurationResponse.FromString(body)
    except DecodeError as e:
        raise ClientError(f"the daemon's reply is not an ApplyConfigurationResponse: {e}") from None


def cmd_logs(client: Client, a: argparse.Namespace) -> None:
    """`netctl logs <controller>`."""
    from networkd.api.gen.networkd import machine_pb2

    req = machine_pb2.LogsRequest(controller=a.controller, follow=a.follow, tail_lines=a.tail)
    lines, _ = client.stream(lambda api: api.machine.ControllerLogs(req))
    for line in lines:
        ts = datetime.datetime.fromtimestamp(line.time, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        sys.stdout.write(f"{ts} {line.level} {line.message}\n")
        sys.stdout.flush()


def cmd_gen(a: argparse.Namespace) -> None:
    """`netctl gen pki DIR`."""
    from networkd.api.pki import generate

    sans = a.san or ["127.0.0.1", "::1", "localhost"]
    for path in generate(a.dir, sans, a.endpoint or ["127.0.0.1"]):
        print(f"wrote {path}")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    a = _parser().parse_args(argv)
    if a.command == "gen":
        cmd_gen(a)
        return
    try:
        client = Client(targets(a.socket, a.endpoints, a.netctlconfig, a.context))
        try:
            if a.command in ("get", "inspect"):
                # the resource commands' modules (State messages, tables, YAML) load only for them
                from networkd.cli import resources

                {"get": resources.cmd_get, "inspect": resources.cmd_inspect}[a.command](client, a)
            else:
                {"logs": cmd_logs, "apply-config": cmd_apply}[a.command](client, a)
        finally:
            client.close()
    except ClientError as e:
        sys.stderr.write(f"netctl: {e}\n")
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
