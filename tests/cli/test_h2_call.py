"""networkd.cli.h2 against grpc-core's own server on a Unix socket: large requests through its flow control, large
replies, statuses and connection errors worded exactly as the grpc client words them, and `netctl apply-config`
sending its request before grpc or protobuf is imported."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest

from networkd.api.gen.networkd import machine_pb2, machine_pb2_grpc
from networkd.cli import h2, main
from networkd.cli.client import Client, ClientError, targets


class _Machine(machine_pb2_grpc.MachineServicer):
    """Replies with a digest of what it got; `abort CODE details` and `changes N` in the data steer it."""

    def ApplyConfiguration(self, request: Any, context: Any) -> Any:
        if request.data.startswith(b"abort "):
            code, _, details = request.data.decode()[6:].partition(" ")
            context.abort(grpc.StatusCode[code], details)
        n = int(request.data.split(b"\n", 1)[0][8:]) if request.data.startswith(b"changes ") else 0
        return machine_pb2.ApplyConfigurationResponse(
            message=f"{hashlib.sha256(request.data).hexdigest()} {request.mode} {request.dry_run} "
                    f"{request.try_timeout_seconds}",
            changes=[f"+ AddressSpec eth0/10.{i >> 16}.{i >> 8 & 255}.{i & 255}/32" for i in range(n)])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """grpc-core's server with its window kept at 64 KiB (no BDP probing), so large requests wait on it."""
    path = tmp_path_factory.mktemp("h2") / "s.sock"
    srv = grpc.server(futures.ThreadPoolExecutor(2), options=[("grpc.http2.bdp_probe", 0),
                                                               ("grpc.max_receive_message_length", 16 << 20)])
    machine_pb2_grpc.add_MachineServicer_to_server(_Machine(), srv)
    srv.add_insecure_port(f"unix:{path}")
    srv.start()
    yield path
    srv.stop(None)


def _h2(path: Path, data: bytes, on_sent: Any = None) -> Any:
    req = h2.encode_apply_request(data, h2.APPLY_MODES["TRY"], True, 2.5)
    return machine_pb2.ApplyConfigurationResponse.FromString(h2.call_unix(path, h2.APPLY_CONFIGURATION, req, on_sent))


def test_large_request_and_reply(server: Path) -> None:
    data = b"changes 30000\n" + bytes(i * 7 % 251 for i in range(3_000_000))
    events: list[str] = []
    resp = _h2(server, data, lambda: events.append("sent"))
    assert resp.message == f"{hashlib.sha256(data).hexdigest()} 2 True 2.5"
    assert len(resp.changes) == 30000 and resp.changes[-1] == "+ AddressSpec eth0/10.0.117.47/32"
    assert resp.ByteSize() > 16384 * 20 and events == ["sent"]


@pytest.mark.parametrize(("code", "details"), [
    ("INVALID_ARGUMENT", "invalid config (2 errors):\n  documents[0](LinkConfig eth0).mtu: 100% wrong, ümlaut"),
    ("PERMISSION_DENIED", "admin role required"),
    ("UNIMPLEMENTED", "x" * 3000),
])
def test_statuses_read_as_grpc_reads_them(server: Path, code: str, details: str) -> None:
    data = f"abort {code} {details}".encode()
    with pytest.raises(h2.RpcError) as ours:
        _h2(server, data)
    with grpc.insecure_channel(f"unix:{server}") as ch, pytest.raises(grpc.RpcError) as theirs:
        machine_pb2_grpc.MachineStub(ch).ApplyConfiguration(machine_pb2.ApplyConfigurationRequest(data=data))
    assert str(ours.value) == f"{code.lower()}: {details}"
    assert str(ours.value) == f"{theirs.value.code().name.lower()}: {theirs.value.details()}"


def _grpc_path_error(path: Path) -> str:
    req = machine_pb2.ApplyConfigurationRequest(data=b"x")
    with pytest.raises(ClientError) as e:
        Client(targets(path, [], None, None)).call(lambda api: api.machine.ApplyConfiguration(req))
    return str(e.value)


def test_connection_errors_are_worded_as_on_the_grpc_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("x")
    refused = tmp_path / "refused.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(refused))
        for path, cause in ((tmp_path / "missing.sock", "No such file or directory"), (refused, "Connection refused")):
            with pytest.raises(SystemExit) as e:
                main(["--socket", str(path), "apply-config", "-f", str(config)])
            err = capsys.readouterr().err
            assert e.value.code == 1 and err.startswith("netctl: unavailable: ") and err.endswith(f"{cause}\n")
            assert err == f"netctl: {_grpc_path_error(path)}\n"


def test_netctl_output_and_no_grpc_before_the_request(server: Path, tmp_path: Path) -> None:
    """In a fresh interpreter: every write to the socket happens with neither grpc nor protobuf imported."""
    config = tmp_path / "c.yaml"
    config.write_bytes(b"changes 3\n" + b"# padding\n" * 50_000)
    code = textwrap.dedent("""
        import socket, sys
        seen = []
        send = socket.socket.sendall
        def sendall(self, data, *args):
            seen.append(sorted(m for m in ("grpc", "google.protobuf") if m in sys.modules))
            return send(self, data, *args)
        socket.socket.sendall = sendall
        from networkd.cli import main
        try:
            main(sys.argv[1:])
        finally:
            print("imported at each send:", seen, file=sys.stderr)
    """)
    out = subprocess.run([sys.executable, "-c", code, "--socket", str(server), "apply-config", "-f", str(config),
                          "-m", "try", "--timeout", "1m30s", "--dry-run"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    assert out.stdout.splitlines() == ["+ AddressSpec eth0/10.0.0.0/32", "+ AddressSpec eth0/10.0.0.1/32",
                                       "+ AddressSpec eth0/10.0.0.2/32", f"{digest} 2 True 90.0"]
    sends = out.stderr.strip().removeprefix("imported at each send: ")
    assert sends.startswith("[[]") and "grpc" not in sends and "protobuf" not in sends, out.stderr
