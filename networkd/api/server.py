"""The gRPC API: cosi.resource.State (read-only) and networkd.v1.Machine, on a Unix socket and optional mTLS TCP."""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import re
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc

from networkd.api.convert import Encoder, field_bytes, query_from_proto
from networkd.api.gen.cosi import resource_pb2, state_pb2, state_pb2_grpc
from networkd.api.gen.networkd import machine_pb2, machine_pb2_grpc
from networkd.config import ConfigError
from networkd.configapply import ConfigApplier
from networkd.resources.base import REGISTRY
from networkd.resources.meta import NAMESPACES
from networkd.runtime import LogEntry, Runtime
from networkd.state import EventType, State

log = logging.getLogger("networkd.api")

ADMIN_ORG = "os:admin"
READER_ORG = "os:reader"


class Role(enum.IntEnum):
    """What a caller may do."""

    NONE = 0
    READER = 1
    ADMIN = 2


def role_of(context: grpc.aio.ServicerContext[Any, Any]) -> Role:
    """The caller's role: local socket callers are admins; TLS callers by their certificate's organization."""
    if context.peer().startswith("unix:"):
        return Role.ADMIN
    auth = context.auth_context()
    pems = auth.get("x509_pem_cert")
    if not pems:
        return Role.NONE
    from cryptography import x509  # only TLS callers need it: keeps ~14 MB out of a socket-only daemon
    from cryptography.x509.oid import NameOID

    cert = x509.load_pem_x509_certificate(pems[0])
    orgs = {a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)}
    if ADMIN_ORG in orgs:
        return Role.ADMIN
    if READER_ORG in orgs:
        return Role.READER
    return Role.NONE


async def _require(context: grpc.aio.ServicerContext[Any, Any], need: Role) -> None:
    have = role_of(context)
    if have < need:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                            f"role {need.name.lower()} required, caller has {have.name.lower()}")


class StateService(state_pb2_grpc.StateServicer):
    """Serves the store read-only, as Talos's machined does."""

    def __init__(self, state: State, node: Callable[[], str]) -> None:
        self._state = state
        self._node = node
        self._enc = Encoder()

    async def _check(self, context: grpc.aio.ServicerContext[Any, Any], namespace: str, type: str) -> None:
        rt = REGISTRY.get(type)
        if rt is None:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"unknown resource type {type!r}")
            return
        if namespace not in NAMESPACES:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"unknown namespace {namespace!r}")
        await _require(context, Role.ADMIN if rt.sensitive else Role.READER)
        await context.send_initial_metadata((("node", self._node()),))

    async def Get(self, request: state_pb2.GetRequest, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        await self._check(context, request.namespace, request.type)
        res = self._state.find(request.namespace, request.type, request.id)
        if res is None:
            await context.abort(grpc.StatusCode.NOT_FOUND,
                                f"resource {request.type}({request.namespace}/{request.id}) does not exist")
        return field_bytes(1, self._enc.resource(res))

    async def List(self, request: state_pb2.ListRequest,
                   context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[bytes]:
        await self._check(context, request.namespace, request.type)
        opts = request.options
        query = await _query(context, list(opts.label_query), opts.id_query if opts.HasField("id_query") else None)
        for res in self._state.list(request.namespace, request.type, query):
            yield field_bytes(1, self._enc.resource(res))

    async def Watch(self, request: state_pb2.WatchRequest,
                    context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[bytes]:
        await self._check(context, request.namespace, request.type)
        opts = request.options
        if opts.bootstrap_contents and opts.tail_events:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "bootstrap_contents and tail_events exclude each other")
        query = await _query(context, list(opts.label_query), opts.id_query if opts.HasField("id_query") else None)
        watch = self._state.watch(request.namespace, request.type, request.id if request.HasField("id") else None,
                                  bootstrap=opts.bootstrap_contents, tail_events=opts.tail_events, query=query)
        v1 = request.api_version >= 1
        try:
            while True:
                batch = await watch.next_batch()
                if not batch:
                    return
                events = []
                for ev in batch:
                    if ev.type is EventType.ERRORED and not v1:
                        await context.abort(grpc.StatusCode.ABORTED, ev.error)
                    if ev.type is EventType.BOOTSTRAPPED and not v1:
                        continue
                    events.append(field_bytes(1, self._enc.event(ev)))
                if not events:
                    continue
                if opts.aggregated:
                    yield b"".join(events)
                else:
                    for e in events:
                        yield e
        finally:
            watch.close()

    async def _deny(self, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                            "networkd resources are read-only over the API: they are managed by controllers")

    async def Create(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        return await self._deny(context)

    async def Update(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        return await self._deny(context)

    async def Destroy(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        return await self._deny(context)

    async def Teardown(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        return await self._deny(context)

    async def TeardownAndDestroy(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        return await self._deny(context)


async def _query(context: grpc.aio.ServicerContext[Any, Any], labels: list[resource_pb2.LabelQuery],
                 id_query: resource_pb2.IDQuery | None) -> Any:
    query = query_from_proto(labels, id_query)
    try:
        query.compile()
    except re.error as e:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"bad id_query regexp: {e}")
    return query


def add_state_service(service: StateService, server: grpc.aio.Server) -> None:
    """Register cosi.resource.State; Get, List and Watch send bytes the Encoder prepared."""
    raw = bytes
    handlers = {
        "Get": grpc.unary_unary_rpc_method_handler(service.Get, state_pb2.GetRequest.FromString, raw),
        "List": grpc.unary_stream_rpc_method_handler(service.List, state_pb2.ListRequest.FromString, raw),
        "Watch": grpc.unary_stream_rpc_method_handler(service.Watch, state_pb2.WatchRequest.FromString, raw),
    }
    for name in ("Create", "Update", "Destroy", "Teardown", "TeardownAndDestroy"):
        req = getattr(state_pb2, f"{name}Request")
        resp = getattr(state_pb2, f"{name}Response")
        handlers[name] = grpc.unary_unary_rpc_method_handler(getattr(service, name), req.FromString,
                                                             resp.SerializeToString)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("cosi.resource.State", handlers),))


class MachineService(machine_pb2_grpc.MachineServicer):
    """Controller logs, the dependency graph, configuration changes."""

    def __init__(self, runtime: Runtime, applier: ConfigApplier | None) -> None:
        self._rt = runtime
        self._applier = applier

    async def ApplyConfiguration(self, request: machine_pb2.ApplyConfigurationRequest,
                                 context: grpc.aio.ServicerContext[Any, Any]) -> machine_pb2.ApplyConfigurationResponse:
        await _require(context, Role.ADMIN)
        if self._applier is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "this daemon does not take configuration changes")
            raise AssertionError("unreachable")
        mode = machine_pb2.ApplyMode.Name(request.mode).lower().replace("_", "-")
        try:
            text = request.data.decode()
        except UnicodeDecodeError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the configuration is not UTF-8 text")
            raise AssertionError("unreachable") from None
        try:
            if request.dry_run:
                changes = await self._applier.dry_run(text)
                return machine_pb2.ApplyConfigurationResponse(
                    message=f"Dry run: {len(changes)} spec changes, nothing applied", changes=changes)
            msg = await self._applier.apply(text, mode, request.try_timeout_seconds or 60.0)
        except ConfigError as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        except ValueError as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        return machine_pb2.ApplyConfigurationResponse(message=msg)

    async def ControllerLogs(self, request: machine_pb2.LogsRequest,
                             context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[machine_pb2.LogLine]:
        await _require(context, Role.READER)
        names = {e.controller for e in self._rt.dependencies()}
        if request.controller not in names:
            await context.abort(grpc.StatusCode.NOT_FOUND,
                                f"no controller {request.controller!r}; known: {', '.join(sorted(names))}")
        queue: asyncio.Queue[LogEntry] = asyncio.Queue()
        remove = self._rt.logs.subscribe(
            lambda name, entry: queue.put_nowait(entry) if name == request.controller else None)
        try:
            lines = list(self._rt.logs.entries.get(request.controller, ()))
            if request.tail_lines > 0:
                lines = lines[-request.tail_lines:]
            for e in lines:
                yield _line(request.controller, e)
            while request.follow:
                yield _line(request.controller, await queue.get())
        finally:
            remove()

    async def Dependencies(self, request: machine_pb2.DependenciesRequest,
                           context: grpc.aio.ServicerContext[Any, Any]) -> machine_pb2.DependenciesResponse:
        await _require(context, Role.READER)
        return machine_pb2.DependenciesResponse(edges=[
            machine_pb2.DependencyEdge(controller=e.controller, kind=e.kind, namespace=e.namespace, type=e.type,
                                       id=e.id)
            for e in self._rt.dependencies()
        ])


def _line(name: str, e: LogEntry) -> machine_pb2.LogLine:
    return machine_pb2.LogLine(controller=name, time=e.time, level=e.level, message=e.message)


class APIServer:
    """Owns the grpc.aio server and its listeners."""

    def __init__(self, state: State, runtime: Runtime, *, socket_path: Path, listen: str | None = None,
                 pki: Path | None = None, applier: ConfigApplier | None = None) -> None:
        self._server = grpc.aio.server()
        add_state_service(StateService(state, socket.gethostname), self._server)
        machine_pb2_grpc.add_MachineServicer_to_server(MachineService(runtime, applier), self._server)
        self.socket_path = socket_path
        self.listen = listen
        self.pki = pki
        self.tcp_port = 0

    async def start(self) -> None:
        """Bind the Unix socket (mode 0600) and, if asked, the mTLS TCP listener; then serve."""
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)
        self._server.add_insecure_port(f"unix:{self.socket_path}")
        if self.listen:
            assert self.pki is not None
            creds = grpc.ssl_server_credentials(
                [((self.pki / "server.key").read_bytes(), (self.pki / "server.crt").read_bytes())],
                root_certificates=(self.pki / "ca.crt").read_bytes(),
                require_client_auth=True,
            )
            self.tcp_port = self._server.add_secure_port(self.listen, creds)
        old = os.umask(0o177)
        try:
            await self._server.start()
        finally:
            os.umask(old)
        os.chmod(self.socket_path, 0o600)
        log.info("API listening on unix:%s%s", self.socket_path,
                 f" and {self.listen} (mTLS)" if self.listen else "")

    async def stop(self, grace: float = 1.0) -> None:
        """Stop serving; open streams are cancelled after `grace` seconds."""
        await self._server.stop(grace)
        self.socket_path.unlink(missing_ok=True)
