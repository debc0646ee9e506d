"""Reaching a daemon: a Unix socket, or TCP endpoints with mutual TLS from a netctl config, tried in turn."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    import grpc

    from networkd.api.gen.cosi.state_pb2_grpc import StateStub
    from networkd.api.gen.networkd.machine_pb2_grpc import MachineStub

DEFAULT_SOCKET = Path("/run/networkd/networkd.sock")
DEFAULT_PORT = 50000

T = TypeVar("T")


class ClientError(Exception):
    """A problem the user must fix: bad config, unreachable endpoints, an API error."""


def default_config_path() -> Path:
    """$NETCTLCONFIG, else $XDG_CONFIG_HOME/netctl/config.yaml, else ~/.netctl/config."""
    env = os.environ.get("NETCTLCONFIG")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg) / "netctl" / "config.yaml"
    return Path.home() / ".netctl" / "config"


class Context(NamedTuple):
    """One context of a netctl config."""

    endpoints: tuple[str, ...]
    ca: bytes
    crt: bytes
    key: bytes


def load_context(path: Path, name: str | None) -> Context:
    """Read a context (the current one unless `name`) from a netctl config file."""
    import yaml  # only here: most commands never read a netctl config

    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ClientError(f"cannot read netctl config {path}: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise ClientError(f"netctl config {path} is not valid YAML: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("contexts"), dict):
        raise ClientError(f"netctl config {path}: expected a mapping with 'contexts'")
    ctx_name = name or doc.get("context")
    ctx = doc["contexts"].get(ctx_name)
    if not isinstance(ctx, dict):
        raise ClientError(f"netctl config {path}: no context {ctx_name!r} "
                          f"(have: {', '.join(sorted(doc['contexts'])) or 'none'})")
    try:
        return Context(tuple(ctx.get("endpoints") or ()), base64.b64decode(ctx["ca"]), base64.b64decode(ctx["crt"]),
                       base64.b64decode(ctx["key"]))
    except (KeyError, ValueError) as e:
        raise ClientError(f"netctl config {path}: context {ctx_name!r} needs ca, crt and key in base64 ({e})") from None


class Target(NamedTuple):
    """A channel factory and the name shown in the NODE column; `socket` is set for a Unix socket target."""

    node: str
    channel: Callable[[], grpc.Channel]
    socket: Path | None = None


def _unix_channel(path: Path) -> grpc.Channel:
    import grpc  # here and below only: `netctl apply-config` on a socket goes without it (networkd.cli.h2)

    return grpc.insecure_channel(f"unix:{path}")


def targets(socket: Path | None, endpoints: list[str], config: Path | None, context: str | None) -> list[Target]:
    """Where to connect, in failover order."""
    if socket is not None or (not endpoints and config is None and not default_config_path().exists()):
        path = socket or DEFAULT_SOCKET
        return [Target("", lambda: _unix_channel(path), path)]
    ctx = load_context(config or default_config_path(), context)
    eps = endpoints or list(ctx.endpoints)
    if not eps:
        raise ClientError("no endpoints: pass -e HOST[:PORT] or set endpoints in the netctl config context")
    import grpc

    creds = grpc.ssl_channel_credentials(root_certificates=ctx.ca, private_key=ctx.key, certificate_chain=ctx.crt)
    out = []
    for ep in eps:
        addr = ep if ep.rsplit(":", 1)[-1].isdigit() and not ep.endswith("]") else f"{ep}:{DEFAULT_PORT}"
        host = addr.rsplit(":", 1)[0].strip("[]")
        out.append(Target(host, lambda a=addr: grpc.secure_channel(a, creds)))
    return out


class Stubs:
    """The services' stubs on one channel, each made (and its modules imported) on first use: `netctl
    apply-config` then starts without the State service's messages."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._channel = channel

    @property
    def state(self) -> StateStub:
        """The cosi.resource.State service."""
        from networkd.api.gen.cosi.state_pb2_grpc import StateStub

        return StateStub(self._channel)

    @property
    def machine(self) -> MachineStub:
        """The Machine service (logs, dependencies, configuration)."""
        from networkd.api.gen.networkd.machine_pb2_grpc import MachineStub

        return MachineStub(self._channel)


class Client:
    """Calls the State and Machine services, failing over between targets on UNAVAILABLE."""

    def __init__(self, targets: list[Target]) -> None:
        self._targets = targets
        self._current: tuple[Target, grpc.Channel] | None = None

    @property
    def node(self) -> str:
        """NODE column value of the target in use."""
        return self._current[0].node if self._current else ""

    @property
    def unix_socket(self) -> Path | None:
        """The socket's path when the one target is a Unix socket."""
        return self._targets[0].socket if len(self._targets) == 1 else None

    def call(self, fn: Callable[[Stubs], T]) -> T:
        """Run `fn` with the stubs of the first target that answers."""
        import grpc

        errors = []
        order = [self._current[0]] if self._current else self._targets
        for t in order:
            if self._current is None or self._current[0] is not t:
                self._current = (t, t.channel())
            ch = self._current[1]
            try:
                return fn(Stubs(ch))
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE or (len(order) == 1 and len(self._targets) == 1):
                    raise ClientError(f"{e.code().name.lower()}: {e.details()}") from None
                errors.append(f"{t.node or 'socket'}: {e.details()}")
                ch.close()
                self._current = None
        raise ClientError("no endpoint answered: " + "; ".join(errors))

    def stream(self, fn: Callable[[Stubs], Any]
               ) -> tuple[Iterator[Any], Any]:
        """Open a server stream on the first target that answers; returns its messages and the call."""

        def open_(stubs: Stubs) -> tuple[Any, list[Any]]:
            call = fn(stubs)
            try:
                return call, [next(call)]  # the first message (or end) surfaces connection errors here
            except StopIteration:
                return call, []

        call, first = self.call(open_)
        import grpc

        def messages() -> Iterator[Any]:
            yield from first
            try:
                yield from call
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.CANCELLED:
                    raise ClientError(f"{e.code().name.lower()}: {e.details()}") from None

        return messages(), call

    def close(self) -> None:
        """Close the channel."""
        if self._current:
            self._current[1].close()

