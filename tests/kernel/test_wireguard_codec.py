"""The WireGuard codecs: golden UAPI text, `get=1` parsing, key errors, and the generic netlink messages.

The genetlink side is checked against pyroute2's wireguard message class (`wgmsg`), an independent codec:
our requests are decoded with it, and WG_CMD_GET_DEVICE answers built with it are decoded with ours.
"""

from __future__ import annotations

import base64
import dataclasses
import ipaddress
import re
import shutil
import socket
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pyroute2.netlink.generic.wireguard import wgmsg

from networkd.kernel import wireguard
from networkd.kernel.wireguard import (
    WireguardDevice,
    WireguardError,
    WireguardPeerState,
    build_get_device,
    build_set_device,
    decode_get_device,
    decode_key,
    differences,
    parse_uapi_get,
    public_key,
    uapi_set,
    validate,
)
from networkd.resources.link import WireguardPeer, WireguardSpec
from networkd.resources.values import Duration

# made with `wg genkey | tee /dev/stderr | wg pubkey` and `wg genpsk`
PRIV = "YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="  # wg pubkey: Y2FD6uTgrq+/bbBAXCNOtE+PGk8Papoh7qaWBpQUXn0=
PRIV_HEX = "6009f3e5317e9575c9b5ed78b638b7ce530dabe85ddab614220241801ddf0669"
PEER1 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
PEER1_HEX = "c53201039adba14be71f886da1d8dbe9eebded08cb111b75340078999aa9f038"
PEER2_PRIV, PEER2 = "ePSOyF3l5GS18TCqgSbiWkX48g4rewmqDmrV+4YldXk=", "7pOT3d1bXeTI5s8gaYy7G9wcHUBdBW713iYrcWuSFnU="
PSK = "UpkE7DzzQIykl610P5YNAFGP6uJe8meSCa2jOSJVXiw="


def _net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


SPEC = WireguardSpec(
    private_key=PRIV, listen_port=51820, firewall_mark=7,
    peers=(
        WireguardPeer(public_key=PEER1, endpoint="[fd00::1]:51821", persistent_keepalive_interval=Duration(seconds=25),
                      allowed_ips=(_net("10.1.0.0/24"), _net("fd01::/64"))),
        WireguardPeer(public_key=PEER2, preshared_key=PSK, endpoint="192.0.2.7:4500"),
    ),
)  # fmt: skip


def test_uapi_set_golden() -> None:
    assert uapi_set(SPEC) == (
        "set=1\n"
        f"private_key={PRIV_HEX}\n"
        "listen_port=51820\n"
        "fwmark=7\n"
        "replace_peers=true\n"
        f"public_key={PEER1_HEX}\n"
        "endpoint=[fd00::1]:51821\n"
        "persistent_keepalive_interval=25\n"
        "replace_allowed_ips=true\n"
        "allowed_ip=10.1.0.0/24\n"
        "allowed_ip=fd01::/64\n"
        f"public_key={decode_key(PEER2, 'k').hex()}\n"
        "preshared_key=529904ec3cf3408ca497ad743f960d00518feae25ef2679209ada33922555e2c\n"
        "endpoint=192.0.2.7:4500\n"
        "persistent_keepalive_interval=0\n"
        "replace_allowed_ips=true\n"
        "\n"
    )


def test_uapi_set_in_place_removes_only_peers_the_spec_lacks() -> None:
    stranger = "5fO0fAEbFNFrlkdPOy9/2BUV1nxlpTp4j4nEO3CkN2k="
    text = uapi_set(WireguardSpec(peers=(WireguardPeer(public_key=PEER1),)), present=[PEER1, stranger])
    assert text == (
        "set=1\nfwmark=0\n"
        f"public_key={decode_key(stranger, 'k').hex()}\nremove=true\n"
        f"public_key={PEER1_HEX}\npreshared_key={'0' * 64}\npersistent_keepalive_interval=0\n"
        "replace_allowed_ips=true\n\n"
    )


@pytest.mark.parametrize(("spec", "message"), [
    (WireguardSpec(private_key="not base64!"), "private_key: 'not base64!' is not valid base64"),
    (WireguardSpec(private_key="AAAA"), "private_key: decodes to 3 bytes; a WireGuard key is 32 bytes"),
    (WireguardSpec(peers=(WireguardPeer(public_key=PEER1), WireguardPeer(public_key=PEER1[:-4]))),
     "peers[1].public_key: decodes to 30 bytes"),
    (WireguardSpec(peers=(WireguardPeer(public_key=PEER1, preshared_key="x"),)), "peers[0].preshared_key: 'x'"),
    (WireguardSpec(peers=(WireguardPeer(public_key=PEER1, endpoint="vpn.example.com:51820"),)),
     "peers[0].endpoint: 'vpn.example.com:51820' is not an IP address and port"),
    (WireguardSpec(peers=(WireguardPeer(public_key=PEER1, endpoint="fd00::1:51820"),)),
     "peers[0].endpoint: 'fd00::1:51820' is not an IP address and port"),
    (WireguardSpec(peers=(WireguardPeer(public_key=PEER1, endpoint="10.0.0.1:70000"),)),
     "peers[0].endpoint: '10.0.0.1:70000'"),
])  # fmt: skip
def test_bad_keys_and_endpoints_name_the_field(spec: WireguardSpec, message: str) -> None:
    for build in (validate, uapi_set, lambda s: build_set_device(s, "wg0", 30, WireguardDevice())):
        with pytest.raises(WireguardError) as err:
            build(spec)
        assert message in str(err.value)


GET_ANSWER = (
    f"private_key={PRIV_HEX}\n"
    "listen_port=51820\n"
    "fwmark=7\n"
    f"public_key={PEER1_HEX}\n"
    f"preshared_key={'0' * 64}\n"
    "protocol_version=1\n"
    "endpoint=[fd00::1]:51821\n"
    "last_handshake_time_sec=1700000000\n"
    "last_handshake_time_nsec=500000000\n"
    "tx_bytes=92\n"
    "rx_bytes=148\n"
    "persistent_keepalive_interval=25\n"
    "allowed_ip=10.1.0.0/24\n"
    "allowed_ip=fd01::/64\n"
    f"public_key={decode_key(PEER2, 'k').hex()}\n"
    "preshared_key=529904ec3cf3408ca497ad743f960d00518feae25ef2679209ada33922555e2c\n"
    "endpoint=192.0.2.7:4500\n"
    "last_handshake_time_sec=0\n"
    "last_handshake_time_nsec=0\n"
    "tx_bytes=0\n"
    "rx_bytes=0\n"
    "persistent_keepalive_interval=0\n"
    "errno=0\n"
    "\n"
)


def test_parse_get_answer() -> None:
    dev = parse_uapi_get(GET_ANSWER)
    assert (dev.private_key, dev.listen_port, dev.fwmark) == (PRIV, 51820, 7)
    assert dev.public_key == "Y2FD6uTgrq+/bbBAXCNOtE+PGk8Papoh7qaWBpQUXn0="
    first, second = dev.peers
    assert (first.public_key, first.preshared_key, first.endpoint) == (PEER1, "", "[fd00::1]:51821")
    assert (first.last_handshake, first.rx_bytes, first.tx_bytes, first.persistent_keepalive) == (
        1700000000.5, 148, 92, 25)
    assert first.allowed_ips == (_net("10.1.0.0/24"), _net("fd01::/64"))
    assert (second.public_key, second.preshared_key, second.endpoint, second.allowed_ips) == (
        PEER2, PSK, "192.0.2.7:4500", ())
    assert differences(SPEC, dev) == []


def test_public_key_matches_wg_pubkey() -> None:
    if shutil.which("wg") is None:
        pytest.skip("wg (wireguard-tools) is not installed")
    for key in (PRIV, PEER2_PRIV):
        out = subprocess.run(["wg", "pubkey"], input=key + "\n", capture_output=True, text=True, check=True)
        assert public_key(key) == out.stdout.strip()
    assert public_key(PEER2_PRIV) == PEER2


def test_parse_errors() -> None:
    with pytest.raises(WireguardError, match="UAPI get failed with errno 22"):
        parse_uapi_get("errno=22\n\n")
    with pytest.raises(WireguardError, match="errno: missing"):
        parse_uapi_get("listen_port=1\n\n")
    with pytest.raises(WireguardError, match="line 'garbage' is not key=value"):
        parse_uapi_get("garbage\nerrno=0\n\n")
    with pytest.raises(WireguardError, match="private_key: 'zz' is not a hex key"):
        parse_uapi_get("private_key=zz\nerrno=0\n\n")


def test_differences_name_what_drifted() -> None:
    dev = parse_uapi_get(
        f"private_key={decode_key(PEER2_PRIV, 'k').hex()}\nlisten_port=4000\nfwmark=0\n"
        f"public_key={PEER1_HEX}\nendpoint=[fd00::9]:51821\npersistent_keepalive_interval=0\n"
        "allowed_ip=10.1.0.0/24\n"
        "public_key=e5f3b47c011b14d16b96474f3b2f7fd81515d67c65a53a788f89c43b70a43769\n"
        "errno=0\n\n")
    assert differences(SPEC, dev) == [
        "private key",
        "listen port 4000 -> 51820",
        "fwmark 0 -> 7",
        "unexpected peer 5fO0fAEb",
        "peer xTIBA5rb endpoint [fd00::9]:51821 -> [fd00::1]:51821",
        "peer xTIBA5rb keepalive 0 -> 25",
        "peer xTIBA5rb allowed ips 10.1.0.0/24 -> 10.1.0.0/24,fd01::/64",
        "missing peer 7pOT3d1b",
    ]
    # an unset listen port and endpoint are the device's to choose
    loose = WireguardSpec(private_key=PEER2_PRIV, peers=(
        WireguardPeer(public_key=PEER1, allowed_ips=(_net("10.1.0.0/24"),)),
        WireguardPeer(public_key="5fO0fAEbFNFrlkdPOy9/2BUV1nxlpTp4j4nEO3CkN2k=")))
    assert differences(loose, dev) == []


def _decoded(data: bytes) -> Any:
    msg = wgmsg(data)
    msg.decode()
    return msg


def test_set_device_bytes() -> None:
    data = build_set_device(SPEC, "wg0", 0x1d, WireguardDevice(), seq=5)  # a new device: every peer added
    assert data[:16] == struct.pack("<IHHII", len(data), 0x1D, 0x5, 5, 0)  # REQUEST|ACK, seq 5
    assert data[16:20] == bytes([1, 1, 0, 0])  # WG_CMD_SET_DEVICE, version 1
    assert data[20:28] == bytes.fromhex("0800 0200 77673000".replace(" ", ""))  # IFNAME "wg0\0"
    assert data[28:64] == bytes.fromhex("2400 0300") + bytes.fromhex(PRIV_HEX)  # PRIVATE_KEY
    # decoded independently by pyroute2's wireguard message class
    msg = _decoded(data)
    assert msg["header"]["type"] == 0x1d and msg["cmd"] == 1
    assert msg.get_attr("WGDEVICE_A_FLAGS") is None  # no WGDEVICE_F_REPLACE_PEERS: peers change in place
    assert msg.get_attr("WGDEVICE_A_LISTEN_PORT") == 51820
    assert msg.get_attr("WGDEVICE_A_FWMARK") == 7
    first, second = msg.get_attr("WGDEVICE_A_PEERS")
    assert first.get_attr("WGPEER_A_PUBLIC_KEY") == PEER1.encode()
    assert first.get_attr("WGPEER_A_FLAGS") == 2  # WGPEER_F_REPLACE_ALLOWEDIPS
    assert first.get_attr("WGPEER_A_PRESHARED_KEY") == base64.b64encode(bytes(32))  # none: the zero key
    endpoint = first.get_attr("WGPEER_A_ENDPOINT")
    assert (endpoint["family"], endpoint["addr"], endpoint["port"]) == (10, "fd00::1", 51821)
    assert first.get_attr("WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL") == 25
    assert [a["addr"] for a in first.get_attr("WGPEER_A_ALLOWEDIPS")] == ["10.1.0.0/24", "fd01::/64"]
    assert second.get_attr("WGPEER_A_PRESHARED_KEY") == PSK.encode()
    endpoint = second.get_attr("WGPEER_A_ENDPOINT")
    assert (endpoint["family"], endpoint["addr"], endpoint["port"]) == (2, "192.0.2.7", 4500)
    assert second.get_attr("WGPEER_A_ALLOWEDIPS") in (None, [])


def test_set_device_changes_peers_in_place() -> None:
    stranger = "5fO0fAEbFNFrlkdPOy9/2BUV1nxlpTp4j4nEO3CkN2k="
    peer1, peer2 = SPEC.peers
    present = WireguardDevice(private_key=PRIV, listen_port=51820, fwmark=7, peers=(
        WireguardPeerState(public_key=stranger, endpoint="192.0.2.9:1"),
        WireguardPeerState(public_key=PEER1, endpoint="[fd00::1]:51821", persistent_keepalive=25,
                           allowed_ips=(_net("fd01::/64"), _net("10.1.0.0/24")), rx_bytes=500),  # as the spec
        WireguardPeerState(public_key=PEER2, preshared_key=PSK, endpoint="192.0.2.7:4500",
                           allowed_ips=(_net("10.2.0.0/16"),)),
    ))
    new_peer = WireguardPeer(public_key=PEER2_PRIV, allowed_ips=(_net("10.3.0.0/24"),))  # any 32 bytes will do
    spec = WireguardSpec(private_key=PRIV, listen_port=51820, firewall_mark=7, peers=(
        peer1, dataclasses.replace(peer2, preshared_key="", allowed_ips=()), new_peer))
    msg = _decoded(build_set_device(spec, "wg0", 0x1d, present))
    assert msg.get_attr("WGDEVICE_A_FLAGS") is None
    assert (msg.get_attr("WGDEVICE_A_LISTEN_PORT"), msg.get_attr("WGDEVICE_A_FWMARK")) == (51820, 7)
    removed, changed, added = msg.get_attr("WGDEVICE_A_PEERS")  # the unchanged PEER1 is not sent
    assert [name for name, _ in removed["attrs"]] == ["WGPEER_A_PUBLIC_KEY", "WGPEER_A_FLAGS"]
    assert (removed.get_attr("WGPEER_A_PUBLIC_KEY"), removed.get_attr("WGPEER_A_FLAGS")) == (
        stranger.encode(), 1)  # WGPEER_F_REMOVE_ME
    assert changed.get_attr("WGPEER_A_PUBLIC_KEY") == PEER2.encode()
    assert changed.get_attr("WGPEER_A_FLAGS") == 2 | 4  # WGPEER_F_REPLACE_ALLOWEDIPS | WGPEER_F_UPDATE_ONLY
    assert changed.get_attr("WGPEER_A_PRESHARED_KEY") == base64.b64encode(bytes(32))  # the device's is cleared
    assert changed.get_attr("WGPEER_A_ALLOWEDIPS") in (None, [])  # and its allowed IPs replaced by none
    assert changed.get_attr("WGPEER_A_ENDPOINT")["addr"] == "192.0.2.7"
    assert (added.get_attr("WGPEER_A_PUBLIC_KEY"), added.get_attr("WGPEER_A_FLAGS")) == (PEER2_PRIV.encode(), 2)
    assert [a["addr"] for a in added.get_attr("WGPEER_A_ALLOWEDIPS")] == ["10.3.0.0/24"]
    # a device that matches its spec gets its own fields again and no peers
    same = _decoded(build_set_device(SPEC, "wg0", 0x1d, parse_uapi_get(GET_ANSWER)))
    assert same.get_attr("WGDEVICE_A_PEERS") is None and same.get_attr("WGDEVICE_A_FWMARK") == 7


def test_flags_are_the_kernel_headers() -> None:
    header = Path("/usr/include/linux/wireguard.h")
    if not header.exists():
        pytest.skip(f"{header} is not installed (linux-libc-dev)")
    flags = {name: 1 << int(shift) for name, shift in re.findall(r"(WGPEER_F_\w+) = 1U << (\d+)", header.read_text())}
    assert flags == {name: getattr(wireguard, name) for name in
                     ("WGPEER_F_REMOVE_ME", "WGPEER_F_REPLACE_ALLOWEDIPS", "WGPEER_F_UPDATE_ONLY")}


def test_get_device_request_decoded_by_pyroute2() -> None:
    data = build_get_device("wg0", 0x1d, seq=3)
    msg = wgmsg(data)
    msg.decode()
    assert (msg["header"]["type"], msg["header"]["flags"], msg["header"]["sequence_number"]) == (0x1d, 0x301, 3)
    assert (msg["cmd"], msg["version"]) == (0, 1)  # WG_CMD_GET_DEVICE, REQUEST|DUMP
    assert [name for name, _ in msg["attrs"]] == ["WGDEVICE_A_IFNAME"]
    assert msg.get_attr("WGDEVICE_A_IFNAME") == "wg0"


def _allowed(prefix: str) -> dict[str, Any]:
    net = ipaddress.ip_network(prefix)
    family = socket.AF_INET if net.version == 4 else socket.AF_INET6
    return {"attrs": [["WGALLOWEDIP_A_FAMILY", family], ["WGALLOWEDIP_A_IPADDR", net.network_address.packed],
                      ["WGALLOWEDIP_A_CIDR_MASK", net.prefixlen]]}


def _answer(attrs: list[list[Any]], seq: int = 9) -> bytes:
    """A WG_CMD_GET_DEVICE dump answer (NLM_F_MULTI) encoded by pyroute2."""
    msg = wgmsg()
    msg["cmd"], msg["version"] = 0, 1
    msg["header"].update({"type": 0x1d, "flags": 2, "sequence_number": seq})
    msg["attrs"] = attrs
    msg.encode()
    return bytes(msg.data)


def test_get_device_answers_built_by_pyroute2() -> None:
    zero = base64.b64encode(bytes(32)).decode()  # the kernel's "no preshared key"
    first = _answer([
        ["WGDEVICE_A_LISTEN_PORT", 51820], ["WGDEVICE_A_FWMARK", 7], ["WGDEVICE_A_IFINDEX", 5],
        ["WGDEVICE_A_IFNAME", "wg0"], ["WGDEVICE_A_PRIVATE_KEY", PRIV],
        ["WGDEVICE_A_PUBLIC_KEY", "Y2FD6uTgrq+/bbBAXCNOtE+PGk8Papoh7qaWBpQUXn0="],
        ["WGDEVICE_A_PEERS", [{"attrs": [
            ["WGPEER_A_PUBLIC_KEY", PEER1], ["WGPEER_A_PRESHARED_KEY", zero],
            ["WGPEER_A_LAST_HANDSHAKE_TIME", {"tv_sec": 1700000000, "tv_nsec": 500000000}],
            ["WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL", 25], ["WGPEER_A_TX_BYTES", 92], ["WGPEER_A_RX_BYTES", 148],
            ["WGPEER_A_PROTOCOL_VERSION", 1], ["WGPEER_A_ENDPOINT", {"addr": "fd00::1", "port": 51821}],
            ["WGPEER_A_ALLOWEDIPS", [_allowed("10.1.0.0/24")]],
        ]}]],
    ])
    # the peer's allowed IPs did not fit: the next message repeats its key with the rest, then the next peer
    second = _answer([
        ["WGDEVICE_A_PEERS", [
            {"attrs": [["WGPEER_A_PUBLIC_KEY", PEER1], ["WGPEER_A_ALLOWEDIPS", [_allowed("fd01::/64")]]]},
            {"attrs": [["WGPEER_A_PUBLIC_KEY", PEER2], ["WGPEER_A_PRESHARED_KEY", PSK],
                       ["WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL", 0],
                       ["WGPEER_A_ENDPOINT", {"addr": "192.0.2.7", "port": 4500}]]},
        ]],
    ])
    dev = decode_get_device([first, second])
    assert (dev.private_key, dev.listen_port, dev.fwmark) == (PRIV, 51820, 7)
    assert dev.public_key == public_key(PRIV)
    peer1, peer2 = dev.peers
    assert (peer1.public_key, peer1.preshared_key, peer1.endpoint) == (PEER1, "", "[fd00::1]:51821")
    assert (peer1.last_handshake, peer1.rx_bytes, peer1.tx_bytes, peer1.persistent_keepalive) == (
        1700000000.5, 148, 92, 25)
    assert peer1.allowed_ips == (_net("10.1.0.0/24"), _net("fd01::/64"))
    assert (peer2.public_key, peer2.preshared_key, peer2.endpoint, peer2.allowed_ips) == (
        PEER2, PSK, "192.0.2.7:4500", ())
    # the same device as the UAPI answer of wireguard-go: `differences` works for both backends
    assert dev == parse_uapi_get(GET_ANSWER)
    assert differences(SPEC, dev) == []
    assert differences(SPEC, decode_get_device([first])) == [
        "peer xTIBA5rb allowed ips 10.1.0.0/24 -> 10.1.0.0/24,fd01::/64", "missing peer 7pOT3d1b"]


def test_get_device_answer_of_a_bare_device() -> None:
    dev = decode_get_device([_answer([["WGDEVICE_A_LISTEN_PORT", 0], ["WGDEVICE_A_FWMARK", 0],
                                      ["WGDEVICE_A_IFINDEX", 5], ["WGDEVICE_A_IFNAME", "wg0"]])])
    assert dev == WireguardDevice()  # no key, port chosen later, no peers
    assert differences(SPEC, dev)[:3] == ["private key", "listen port 0 -> 51820", "fwmark 0 -> 7"]


def test_get_device_answer_errors_name_what_is_wrong() -> None:
    good = _answer([["WGDEVICE_A_PEERS", [{"attrs": [["WGPEER_A_PUBLIC_KEY", PEER1],
                                                      ["WGPEER_A_ALLOWEDIPS", [_allowed("10.1.0.0/24")]]]}]]])
    with pytest.raises(WireguardError, match="answer 0: 30 bytes, not a generic netlink message"):
        decode_get_device([good[:30]])
    truncated = bytearray(good)
    truncated[20:22] = struct.pack("=H", len(good))  # WGDEVICE_A_PEERS claims more than the message holds
    with pytest.raises(WireguardError, match=r"attribute 8 of \d+ bytes overruns its message"):
        decode_get_device([bytes(truncated)])
    key = struct.pack("=HH", 20, 1) + bytes(range(16))  # WGPEER_A_PUBLIC_KEY of 16 bytes
    peer = struct.pack("=HH", 4 + len(key), 0x8000) + key
    peers = struct.pack("=HH", 4 + len(peer), 0x8008) + peer
    short_key = struct.pack("=IHHII", 20 + len(peers), 0x1d, 2, 0, 0) + bytes([0, 1, 0, 0]) + peers
    with pytest.raises(WireguardError, match="answer 0 peer 0 public key: 16 bytes; a WireGuard key is 32 bytes"):
        decode_get_device([short_key])
    bad_mask = good.replace(struct.pack("=HHB", 5, 3, 24), struct.pack("=HHB", 5, 3, 40))
    with pytest.raises(WireguardError, match="allowed ip 0: /40 is not a prefix length of family 2"):
        decode_get_device([bad_mask])


def test_the_daemon_loads_cryptography_only_when_a_wireguard_key_is_derived() -> None:
    # cryptography's bindings are 7 MB of RSS: a daemon without WireGuard links (or an API TLS listener) skips them
    script = ("import sys, networkd.daemon, networkd.controllers, networkd.api.server\n"
              "before = any(m.startswith('cryptography') for m in sys.modules)\n"
              "from networkd.kernel.wireguard import public_key\n"
              "public_key('" + "A" * 43 + "=')\n"
              "print(before, any(m.startswith('cryptography') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]
