"""The daemon's API end to end: networkd runs in a lab node; netctl and a reference-proto client talk to it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from nslab import Lab
from nslab.daemon import BIN, Networkd

REPO = Path(__file__).resolve().parents[2]
REFERENCE_PROTOS = REPO.parent / "shared" / "reference" / "protos" / "cosi"

pytestmark = pytest.mark.kernel


@pytest.fixture
def daemon(lab: Lab) -> Networkd:
    return Networkd(lab.add_node("n1")).start()


def test_get_definitions_namespaces_and_alias_yaml(daemon: Networkd) -> None:
    out = daemon.netctl("get", "resourcedefinitions").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["NODE", "NAMESPACE", "TYPE", "ID", "VERSION"]
    assert any(line.split()[1:4] == ["meta", "ResourceDefinition", "resourcedefinitions.meta.cosi.dev"]
               for line in lines[1:])

    ns = [line.split() for line in daemon.netctl("get", "namespaces").stdout.splitlines()[1:]]
    assert {row[3] for row in ns} >= {"config", "files", "meta", "network", "network-config", "runtime"}
    assert daemon.netctl("get", "ns", "config").stdout.splitlines()[1].split()[1:4] == ["meta", "Namespace", "config"]

    doc = yaml.safe_load(daemon.netctl("get", "rd", "rd", "-o", "yaml").stdout)
    assert doc["metadata"]["id"] == "resourcedefinitions.meta.cosi.dev"
    assert doc["metadata"]["type"] == "ResourceDefinitions.meta.cosi.dev"
    assert doc["spec"]["displayType"] == "ResourceDefinition"
    assert doc["spec"]["aliases"][-2:] == ["rd", "rds"]
    assert doc["spec"]["defaultNamespace"] == "meta"

    js = json.loads(daemon.netctl("get", "ns", "network", "-o", "json").stdout)
    assert js["metadata"]["id"] == "network" and js["metadata"]["phase"] == "running"


def test_socket_is_private_and_errors_are_clear(daemon: Networkd) -> None:
    assert (daemon.socket.stat().st_mode & 0o777) == 0o600
    bad = daemon.netctl("get", "nosuchtype", check=False)
    assert bad.returncode == 1 and "resource type 'nosuchtype' is not known" in bad.stderr
    missing = daemon.netctl("get", "ns", "nosuch", check=False)
    assert missing.returncode == 1 and "not_found" in missing.stderr and "nosuch" in missing.stderr


def _reference_client(tmp: Path) -> Path:
    """Generate Python stubs from the reference COSI protos (not ours) into `tmp`."""
    if not REFERENCE_PROTOS.is_dir():
        pytest.skip(f"reference protos not found at {REFERENCE_PROTOS}")
    src = tmp / "src" / "v1alpha1"
    src.mkdir(parents=True)
    for name in ("resource.proto", "state.proto", "meta.proto"):
        (src / name).write_text((REFERENCE_PROTOS / name).read_text())
    out = tmp / "gen"
    out.mkdir()
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{tmp / 'src'}", f"--python_out={out}",
                    f"--grpc_python_out={out}", "v1alpha1/resource.proto", "v1alpha1/state.proto",
                    "v1alpha1/meta.proto"], check=True)
    return out


CLIENT = textwrap.dedent("""
    import sys, time, grpc
    sys.path.insert(0, sys.argv[1])
    from v1alpha1 import state_pb2, state_pb2_grpc, meta_pb2
    ch = grpc.insecure_channel("unix:" + sys.argv[2])
    stub = state_pb2_grpc.StateStub(ch)
    rds = [r.resource for r in stub.List(state_pb2.ListRequest(namespace="meta",
           type="ResourceDefinitions.meta.cosi.dev"))]
    spec = meta_pb2.ResourceDefinitionSpec.FromString(
        [r for r in rds if r.metadata.id == "namespaces.meta.cosi.dev"][0].spec.proto_spec)
    print("display", spec.display_type, "aliases", ",".join(spec.all_aliases))
    req = state_pb2.WatchRequest(namespace="meta", type="Namespaces.meta.cosi.dev", api_version=1,
                                 options=state_pb2.WatchOptions(bootstrap_contents=True))
    for resp in stub.Watch(req, timeout=5):
        for ev in resp.event:
            print("event", state_pb2.EventType.Name(ev.event_type), ev.resource.metadata.id)
            if ev.event_type == state_pb2.BOOTSTRAPPED:
                sys.exit(0)
""")


def test_client_from_reference_protos_lists_and_watches(daemon: Networkd, tmp_path: Path) -> None:
    gen = _reference_client(tmp_path)
    out = subprocess.run([sys.executable, "-c", CLIENT, str(gen), str(daemon.socket)], capture_output=True,
                         text=True, timeout=30, check=True).stdout.splitlines()
    assert out[0] == "display Namespace aliases namespaces,namespace,namespaces.meta,namespaces.meta.cosi,ns"
    assert out[1:] == [f"event CREATED {n}" for n in sorted(["config", "files", "meta", "network", "network-config",
                                                            "runtime"])] + ["event BOOTSTRAPPED "]


def test_write_verbs_are_denied(daemon: Networkd) -> None:
    code = textwrap.dedent("""
        import sys, grpc
        from networkd.api.gen.cosi import state_pb2, state_pb2_grpc
        stub = state_pb2_grpc.StateStub(grpc.insecure_channel("unix:" + sys.argv[1]))
        try:
            stub.Destroy(state_pb2.DestroyRequest(namespace="meta", type="Namespaces.meta.cosi.dev", id="config"))
        except grpc.RpcError as e:
            print(e.code().name, e.details())
    """)
    out = subprocess.run([sys.executable, "-c", code, str(daemon.socket)], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    assert out.startswith("PERMISSION_DENIED") and "read-only" in out
    assert "config" in daemon.netctl("get", "ns", "config").stdout


def test_inspect_dependencies_is_graphviz(daemon: Networkd) -> None:
    out = daemon.netctl("inspect", "dependencies").stdout
    assert out.startswith("digraph  {") and out.rstrip().endswith("}")
    nodes = dict(re.findall(r'  (n\d+)\[[^]]*label="([^"]+)"', out))
    ids = {label: n for n, label in nodes.items()}
    merge, layered = ids["network.AddressMergeController"], ids["network-config:AddressSpecs.net.talos.dev"]
    assert f"  {layered} -> {merge}[" in out  # the merge controller reads the layered address specs
    with_res = daemon.netctl("inspect", "dependencies", "--with-resources").stdout
    assert 'label="meta:Namespaces.meta.cosi.dev:config"' not in with_res  # only types controllers declare
    assert "network:LinkStatuses.net.talos.dev:lo" in with_res


def test_sigterm_is_clean(daemon: Networkd) -> None:
    assert daemon.stop(signal.SIGTERM) == 0
    assert not daemon.socket.exists()
    assert "shutting down" in daemon.logs()


@pytest.mark.parametrize(("args", "message"), [
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--config", "/nonexistent/config.yaml"], "cannot read --config /nonexistent/config.yaml"),
    (["--cmdline-file", "/nonexistent/cmdline"], "cannot read --cmdline-file"),
    (["--listen", "127.0.0.1:50000"], "--listen needs --pki DIR"),
    (["--log-format", "xml"], "invalid choice: 'xml'"),
])
def test_bad_flags_exit_2_with_one_line(lab: Lab, args: list[str], message: str) -> None:
    node = lab.add_node("n1")
    out = subprocess.run(node.command([sys.executable, "-m", "networkd", "--socket", str(node.dir / "s.sock"), *args]),
                         capture_output=True, text=True, timeout=30, check=False)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and message in out.stderr, out.stderr


# mutual TLS over TCP (inside the node's own namespace, on its loopback)

def _tls_daemon(lab: Lab) -> tuple[Networkd, Path]:
    node = lab.add_node("n1")
    pki = node.dir / "pki"
    subprocess.run([str(BIN / "netctl"), "gen", "pki", str(pki), "--endpoint", "127.0.0.1:50000"], check=True,
                   capture_output=True)
    d = Networkd(node, args=["--listen", "127.0.0.1:50000", "--pki", str(pki)]).start()
    return d, pki


def _netctl_tcp(d: Networkd, config: Path, *args: str, context: str = "admin") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NETCTLCONFIG": str(config)}
    return subprocess.run(d.node.command([str(BIN / "netctl"), "--context", context, *args], uts_mount=False),
                          capture_output=True, text=True, timeout=30, env=env, check=False)


def test_mtls_roles(lab: Lab) -> None:
    d, pki = _tls_daemon(lab)
    config = pki / "netctlconfig"
    ok = _netctl_tcp(d, config, "get", "namespaces")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[1].split()[0] == "127.0.0.1"  # NODE is the endpoint
    assert _netctl_tcp(d, config, "get", "namespaces", context="reader").returncode == 0
    cfg = d.node.dir / "c.yaml"
    cfg.write_text("apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: x\n")
    refused = _netctl_tcp(d, config, "apply-config", "-f", str(cfg), "--dry-run", context="reader")
    assert refused.returncode == 1 and "permission_denied" in refused.stderr
    assert _netctl_tcp(d, config, "apply-config", "-f", str(cfg), "--dry-run").returncode == 0

    # a sensitive type: the reader is refused, the admin is served
    defs = yaml.safe_load_all(d.netctl("get", "rd", "-o", "yaml").stdout)
    sensitive = [x["spec"]["type"] for x in defs if x["spec"].get("sensitivity") == "sensitive"]
    assert "LinkSpecs.net.talos.dev" in sensitive
    denied = _netctl_tcp(d, config, "get", sensitive[0], context="reader")
    assert denied.returncode == 1 and "permission_denied" in denied.stderr and "admin" in denied.stderr
    assert _netctl_tcp(d, config, "get", sensitive[0]).returncode == 0


def test_mtls_refuses_foreign_ca_and_no_certificate(lab: Lab, tmp_path: Path) -> None:
    d, pki = _tls_daemon(lab)
    foreign = tmp_path / "foreign"
    subprocess.run([str(BIN / "netctl"), "gen", "pki", str(foreign), "--endpoint", "127.0.0.1:50000"], check=True,
                   capture_output=True)
    out = _netctl_tcp(d, foreign / "netctlconfig", "get", "namespaces")
    assert out.returncode == 1 and "unavailable" in out.stderr

    code = textwrap.dedent("""
        import sys, grpc
        from networkd.api.gen.cosi import state_pb2, state_pb2_grpc
        ca = open(sys.argv[1], "rb").read()
        ch = grpc.secure_channel("127.0.0.1:50000", grpc.ssl_channel_credentials(root_certificates=ca))
        try:
            list(state_pb2_grpc.StateStub(ch).List(state_pb2.ListRequest(namespace="meta",
                 type="Namespaces.meta.cosi.dev"), timeout=5))
            print("SERVED")
        except grpc.RpcError as e:
            print(e.code().name)
    """)
    res = subprocess.run(d.node.command([sys.executable, "-c", code, str(pki / "ca.crt")], uts_mount=False),
                         capture_output=True, text=True, timeout=30, check=True)
    assert res.stdout.strip() == "UNAVAILABLE"


def test_endpoint_failover(lab: Lab) -> None:
    d, pki = _tls_daemon(lab)
    out = _netctl_tcp(d, pki / "netctlconfig", "-e", "127.0.0.1:50999", "-e", "127.0.0.1:50000", "get", "ns")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) >= 7
