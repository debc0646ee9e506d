"""EtcFileController and EtcFileSpecController with the real runtime: the Talos etcfile_test.go vectors
(other_cases §5) byte for byte, then the files written atomically into a temporary etc directory."""

from __future__ import annotations

import ipaddress
import logging
import os
import stat
from pathlib import Path

import anyio
import pytest

from networkd.controllers.etc_file import EtcFileController, pick_nameservers, render_resolv_conf
from networkd.controllers.etc_file_spec import EtcFileSpecController, write_atomic
from networkd.resources.base import Spec
from networkd.resources.config import CONFIG, MachineConfig
from networkd.resources.derived import HostDNSConfig
from networkd.resources.enums import DNSProtocol
from networkd.resources.files import FILES, EtcFileSpec, EtcFileStatus
from networkd.resources.network import NETWORK, HostnameStatus, NameServerSpec, NodeAddress, ResolverStatus
from networkd.state import State
from tests.aio import running, until

FAKE = "test.fake-owner"
SPEC = EtcFileSpec.TYPE.type
STATUS = EtcFileStatus.TYPE.type

EXTRA_HOSTS = """\
version: v1alpha1
machine:
  network:
    extraHostEntries:
      - ip: 10.0.0.1
        aliases: [a, b]
      - ip: 10.0.0.2
        aliases: [c, d]
cluster:
  controlPlane:
    endpoint: https://foo:6443
"""
NO_SEARCH_LEGACY = "version: v1alpha1\nmachine:\n  network:\n    disableSearchDomain: true\n"
NO_SEARCH_NEW = "apiVersion: v1alpha1\nkind: ResolverConfig\nsearchDomains:\n  disableDefault: true\n"


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def resolver(search: tuple[str, ...] = ()) -> ResolverStatus:
    return ResolverStatus(name_servers=(
        NameServerSpec(addr=ip("1.1.1.1")), NameServerSpec(addr=ip("2.2.2.2")),
        NameServerSpec(addr=ip("3.3.3.3"), protocol=DNSProtocol.DOT), NameServerSpec(addr=ip("4.4.4.4")),
        NameServerSpec(addr=ip("5.5.5.5"))), search_domains=search)


HOST_DNS = HostDNSConfig(enabled=True,
                         listen_addresses=("127.0.0.53:53", "169.254.116.108:53",
                                           "[fd54:616c:6f73::204f:5320:444e:531]:53"),
                         service_host_dns_address=ip("169.254.116.108"),
                         service_host_dns_address_v6=ip("fd54:616c:6f73::204f:5320:444e:531"))
HOST_DNS_OFF = HostDNSConfig(enabled=False)
ADDRESS = NodeAddress(addresses=(ipaddress.ip_interface("33.11.22.44/32"),))
HOSTNAME = HostnameStatus(hostname="foo", domainname="example.com")

Res = tuple[str, str, Spec]


def cfg(text: str) -> Res:
    return (CONFIG, "v1alpha1", MachineConfig(text))


def addr() -> Res:
    return (NETWORK, "default", ADDRESS)


def host(status: HostnameStatus = HOSTNAME) -> Res:
    return (NETWORK, "hostname", status)


def res(status: ResolverStatus) -> Res:
    return (NETWORK, "resolvers", status)


def hostdns(spec: HostDNSConfig = HOST_DNS) -> Res:
    return (NETWORK, "config", spec)


HOSTS_FULL = ("127.0.0.1   localhost\n33.11.22.44 foo.example.com foo\n::1         localhost ip6-localhost "
              "ip6-loopback\nff02::1     ip6-allnodes\nff02::2     ip6-allrouters\n")
HOSTS_STATIC = ("127.0.0.1 localhost\n::1       localhost ip6-localhost ip6-loopback\nff02::1   ip6-allnodes\n"
                "ff02::2   ip6-allrouters\n")
LOCAL = "nameserver 127.0.0.53\n"
LOCAL_SEARCH = "nameserver 127.0.0.53\n\nsearch foo.example.com\n"
SEARCH = ("foo.example.com",)

# name, resources, hosts, resolv.conf (None: not created)
VECTORS: list[tuple[str, list[Res], str, str | None]] = [
    ("complete", [cfg(EXTRA_HOSTS), addr(), host(), res(resolver(SEARCH)), hostdns()],
     "127.0.0.1   localhost\n33.11.22.44 foo.example.com foo\n::1         localhost ip6-localhost ip6-loopback\n"
     "ff02::1     ip6-allnodes\nff02::2     ip6-allrouters\n10.0.0.1    a b\n10.0.0.2    c d\n", LOCAL_SEARCH),
    ("extra hosts no hostname", [cfg(EXTRA_HOSTS), res(resolver(SEARCH)), hostdns()],
     "127.0.0.1 localhost\n::1       localhost ip6-localhost ip6-loopback\nff02::1   ip6-allnodes\n"
     "ff02::2   ip6-allrouters\n10.0.0.1  a b\n10.0.0.2  c d\n", LOCAL_SEARCH),
    ("no extra hosts", [addr(), host(), res(resolver(SEARCH)), hostdns()], HOSTS_FULL, LOCAL_SEARCH),
    ("no search domain legacy", [cfg(NO_SEARCH_LEGACY), addr(), host(), res(resolver()), hostdns()],
     HOSTS_FULL, LOCAL),
    ("no search domain new style", [cfg(NO_SEARCH_NEW), addr(), host(), res(resolver()), hostdns()],
     HOSTS_FULL, LOCAL),
    ("no domainname", [addr(), host(HostnameStatus(hostname="foo")), res(resolver()), hostdns()],
     "127.0.0.1   localhost\n33.11.22.44 foo\n::1         localhost ip6-localhost ip6-loopback\n"
     "ff02::1     ip6-allnodes\nff02::2     ip6-allrouters\n", LOCAL),
    ("only resolvers", [res(resolver()), hostdns()], HOSTS_STATIC, LOCAL),
    ("no host dns", [res(resolver()), hostdns(HOST_DNS_OFF)], HOSTS_STATIC,
     "nameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 4.4.4.4\n"),
    ("only hostname", [addr(), host()], HOSTS_FULL, None),
    # beyond Talos's vectors
    ("no host dns config counts as disabled", [res(resolver(("a.example", "b.example")))], HOSTS_STATIC,
     "nameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 4.4.4.4\n\nsearch a.example b.example\n"),
    ("static host documents join legacy entries by IP",
     [cfg(EXTRA_HOSTS + "---\napiVersion: v1alpha1\nkind: StaticHostConfig\nname: 10.0.0.1\nhostnames: [e]\n"
          "---\napiVersion: v1alpha1\nkind: StaticHostConfig\nname: 2001:db8::1\nhostnames: [v6.example]\n")],
     "127.0.0.1   localhost\n::1         localhost ip6-localhost ip6-loopback\nff02::1     ip6-allnodes\n"
     "ff02::2     ip6-allrouters\n10.0.0.1    a b e\n10.0.0.2    c d\n2001:db8::1 v6.example\n", None),
    ("nothing", [], HOSTS_STATIC, None),
]


def put(st: State, namespace: str, id: str, spec: Spec) -> None:
    cur = st.find(namespace, type(spec).TYPE.type, id)
    if cur is None:
        st.create(type(spec).TYPE.new(namespace, id, spec), FAKE)
    else:
        st.update(type(cur)(cur.metadata, spec), FAKE)


def contents(st: State, id: str) -> str | None:
    r = st.find(FILES, SPEC, id)
    if r is None:
        return None
    assert isinstance(r.spec, EtcFileSpec)
    return r.spec.contents


@pytest.mark.parametrize(("name", "resources", "hosts", "resolv"), VECTORS, ids=[v[0] for v in VECTORS])
@pytest.mark.anyio
async def test_vectors(name: str, resources: list[Res], hosts: str, resolv: str | None) -> None:
    st = State()
    for namespace, id, spec in resources:
        put(st, namespace, id, spec)
    async with running(st, EtcFileController()):
        await until(lambda: contents(st, "hosts") is not None)
        await anyio.sleep(0.02)
        assert contents(st, "hosts") == hosts
        assert contents(st, "resolv.conf") == resolv
        hosts_res = st.get(FILES, SPEC, "hosts")
        assert hosts_res.metadata.owner == "network.EtcFileController"
        assert hosts_res.spec == EtcFileSpec(contents=hosts, mode=0o644, selinux_label="system_u:object_r:etc_t:s0")


@pytest.mark.anyio
async def test_follows_inputs_and_skips_a_bad_config(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="networkd.controller")
    st = State()
    async with running(st, EtcFileController()):
        await until(lambda: contents(st, "hosts") == HOSTS_STATIC)
        put(st, *addr())
        put(st, *host())
        await until(lambda: contents(st, "hosts") == HOSTS_FULL)
        put(st, *res(resolver(SEARCH)))
        await until(lambda: contents(st, "resolv.conf") == "nameserver 1.1.1.1\nnameserver 2.2.2.2\n"
                    "nameserver 4.4.4.4\n\nsearch foo.example.com\n")
        put(st, *hostdns())
        await until(lambda: contents(st, "resolv.conf") == LOCAL_SEARCH)

        put(st, *cfg("version: v1alpha1\nmachine:\n  network:\n    extraHostEntries: nope\n"))
        put(st, *host(HostnameStatus(hostname="bar")))  # another pass with the same bad config
        await until(lambda: "33.11.22.44 bar\n" in (contents(st, "hosts") or ""))
        put(st, *cfg(EXTRA_HOSTS))
        await until(lambda: (contents(st, "hosts") or "").endswith("10.0.0.1    a b\n10.0.0.2    c d\n"))
    warnings = [r.getMessage() for r in caplog.records if getattr(r, "controller", "") == "network.EtcFileController"]
    assert len(warnings) == 1
    assert warnings[0].startswith("ignoring the machine configuration for hosts: ")


def test_resolv_conf_helpers() -> None:
    assert render_resolv_conf([], ()) == ""
    assert render_resolv_conf([ip("fd00::1")], ("a", "b")) == "nameserver fd00::1\n\nsearch a b\n"
    only_flat = ResolverStatus(dns_servers=(ip("9.9.9.9"), ip("8.8.8.8")))
    assert pick_nameservers(only_flat, None) == [ip("9.9.9.9"), ip("8.8.8.8")]
    assert pick_nameservers(only_flat, HOST_DNS) == [ip("127.0.0.53")]


# the writer

def files_in(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def status_version(st: State, id: str) -> str | None:
    r = st.find(FILES, STATUS, id)
    if r is None:
        return None
    assert isinstance(r.spec, EtcFileStatus)
    return r.spec.spec_version


@pytest.mark.anyio
async def test_files_are_written_atomically_into_the_etc_dir(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    st = State()
    for namespace, id, spec in VECTORS[0][1]:
        put(st, namespace, id, spec)
    async with running(st, EtcFileController(), EtcFileSpecController(etc)):
        def written() -> bool:
            specs = {r.id: r for r in st.list(FILES, SPEC)}
            return len(specs) == 2 and all(status_version(st, i) == str(r.metadata.version)
                                           for i, r in specs.items())

        await until(written)
        assert files_in(etc) == ["hosts", "resolv.conf"]  # no temporary file left behind
        assert (etc / "hosts").read_bytes() == VECTORS[0][2].encode()
        assert (etc / "resolv.conf").read_bytes() == LOCAL_SEARCH.encode()
        for name in ("hosts", "resolv.conf"):
            assert stat.S_IMODE((etc / name).stat().st_mode) == 0o644
            assert st.get(FILES, SPEC, name).metadata.finalizers == ("files.EtcFileController",)
            assert st.get(FILES, STATUS, name).metadata.owner == "files.EtcFileController"

        # a change replaces the file (new inode: renamed into place, never rewritten in place)
        inode = (etc / "hosts").stat().st_ino
        put(st, *host(HostnameStatus(hostname="bar")))
        await until(lambda: b"33.11.22.44 bar\n" in (etc / "hosts").read_bytes() and written())
        assert (etc / "hosts").stat().st_ino != inode
        assert files_in(etc) == ["hosts", "resolv.conf"]

        # a spec torn down: its file goes, then its status and the finalizer
        owner = "network.EtcFileController"
        st.teardown(FILES, SPEC, "resolv.conf", owner)
        await until(lambda: not st.get(FILES, SPEC, "resolv.conf").metadata.finalizers)
        assert files_in(etc) == ["hosts"]
        assert st.find(FILES, STATUS, "resolv.conf") is None


@pytest.mark.anyio
async def test_refuses_ids_that_are_not_file_names(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    st = State()
    for id in ("../escape", "sub/dir", "ok"):
        put(st, FILES, id, EtcFileSpec(contents="x\n"))
    async with running(st, EtcFileSpecController(etc)):
        await until(lambda: status_version(st, "ok") is not None)
    assert files_in(tmp_path) == ["etc"]
    assert files_in(etc) == ["ok"]
    assert [r.id for r in st.list(FILES, STATUS)] == ["ok"]


def test_write_atomic(tmp_path: Path) -> None:
    path = tmp_path / "d" / "hosts"
    assert write_atomic(path, b"one\n", 0o644)
    assert not write_atomic(path, b"one\n", 0o644)  # unchanged: not touched
    os.chmod(path, 0o600)
    assert write_atomic(path, b"one\n", 0o644)  # the mode alone differs
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    (tmp_path / "d" / "dir").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path / "d" / "dir", b"x", 0o644)
    assert files_in(tmp_path / "d") == ["dir", "hosts"]  # the temporary file was removed
