"""WireGuard codecs without I/O: the cross-platform UAPI text protocol and the kernel's genetlink request.

- `uapi_set(spec)` renders a WireguardSpec as a UAPI `set=1` request (https://www.wireguard.com/xplatform/),
  `parse_uapi_get(text)` reads the answer to `get=1` into a WireguardDevice, `differences(spec, device)`
  says where a device does not match its spec.
- `build_set_device(spec, ifname, family, present)` is the WG_CMD_SET_DEVICE generic netlink message that
  makes a kernel wireguard device read back as `present` match its spec, peers changed in place
  (include/uapi/linux/wireguard.h), `build_get_device(ifname, family)` the WG_CMD_GET_DEVICE
  dump request, and `decode_get_device(messages)` reads the dump's answers into the same WireguardDevice
  as `parse_uapi_get`, so `differences` compares either backend with its spec.

Keys are standard base64 in specs and hex on the UAPI wire; a bad key raises WireguardError naming its
field (`peers[1].public_key`). Endpoints must be an IP address and a port (`10.0.0.1:51820`,
`[fd00::1]:51820`): names are resolved before, by `networkd.kernel.wggo.resolve_endpoints`.
"""

from __future__ import annotations

import binascii
import ipaddress
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from networkd.resources.link import WireguardPeer, WireguardSpec
from networkd.resources.values import IPPrefix

KEY_LEN = 32
WIREGUARD_POLL = 5.0  # seconds between reads of a device: neither UAPI nor genetlink announces its changes

# include/uapi/linux/wireguard.h
WG_GENL_NAME = "wireguard"
WG_GENL_VERSION = 1
WG_CMD_GET_DEVICE = 0
WG_CMD_SET_DEVICE = 1
WGDEVICE_A_IFINDEX = 1
WGDEVICE_A_IFNAME = 2
WGDEVICE_A_PRIVATE_KEY = 3
WGDEVICE_A_PUBLIC_KEY = 4
WGDEVICE_A_FLAGS = 5
WGDEVICE_A_LISTEN_PORT = 6
WGDEVICE_A_FWMARK = 7
WGDEVICE_A_PEERS = 8
WGPEER_A_PUBLIC_KEY = 1
WGPEER_A_PRESHARED_KEY = 2
WGPEER_A_FLAGS = 3
WGPEER_A_ENDPOINT = 4
WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL = 5
WGPEER_A_LAST_HANDSHAKE_TIME = 6
WGPEER_A_RX_BYTES = 7
WGPEER_A_TX_BYTES = 8
WGPEER_A_ALLOWEDIPS = 9
WGPEER_F_REMOVE_ME = 1
WGPEER_F_REPLACE_ALLOWEDIPS = 2
WGPEER_F_UPDATE_ONLY = 4
WGALLOWEDIP_A_FAMILY = 1
WGALLOWEDIP_A_IPADDR = 2
WGALLOWEDIP_A_CIDR_MASK = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3FFF  # strips NLA_F_NESTED / NLA_F_NET_BYTEORDER
GENL_HEADER = 20  # nlmsghdr (16 bytes) and genlmsghdr (4)
_ADDR_SIZE: dict[int, int] = {socket.AF_INET: 4, socket.AF_INET6: 16}


class WireguardError(ValueError):
    """A WireGuard setting or UAPI answer that cannot be used; the message names the field."""


@dataclass(frozen=True, slots=True)
class WireguardPeerState:
    """One peer as a device reports it; keys in base64, `last_handshake` in Unix seconds (0: never)."""

    public_key: str
    preshared_key: str = ""
    endpoint: str = ""
    persistent_keepalive: int = 0
    allowed_ips: tuple[IPPrefix, ...] = ()
    last_handshake: float = 0.0
    rx_bytes: int = 0
    tx_bytes: int = 0


@dataclass(frozen=True, slots=True)
class WireguardDevice:
    """A device as `get=1` reports it; keys in base64 ("" when unset)."""

    private_key: str = ""
    public_key: str = ""
    listen_port: int = 0
    fwmark: int = 0
    peers: tuple[WireguardPeerState, ...] = ()


def decode_key(key: str, field: str) -> bytes:
    """The 32 bytes of a base64 key; WireguardError naming `field` if it is not one."""
    try:
        raw = binascii.a2b_base64(key.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise WireguardError(f"{field}: {key!r} is not valid base64 (generate a key with `wg genkey`)") from None
    if len(raw) != KEY_LEN:
        raise WireguardError(f"{field}: decodes to {len(raw)} bytes; a WireGuard key is {KEY_LEN} bytes")
    return raw


def public_key(private_key: str, field: str = "private_key") -> str:
    """The base64 public key of a base64 private key."""
    # imported here: cryptography's bindings cost the daemon 7 MB of RSS, needed only with WireGuard links
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    raw = X25519PrivateKey.from_private_bytes(decode_key(private_key, field)).public_key().public_bytes_raw()
    return binascii.b2a_base64(raw, newline=False).decode()


def parse_endpoint(endpoint: str, field: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """(address, port) of `ip:port` or `[ipv6]:port`."""
    host, sep, port = endpoint.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        addr = ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        addr, number = None, -1
    if not sep or addr is None or not 0 < number < 65536 or (addr.version == 6 and "[" not in endpoint):
        raise WireguardError(f"{field}: {endpoint!r} is not an IP address and port (like 10.0.0.1:51820 "
                             "or [fd00::1]:51820)")
    return addr, number


def _endpoint(endpoint: str, field: str) -> str:
    addr, port = parse_endpoint(endpoint, field)
    return f"{addr}:{port}" if addr.version == 4 else f"[{addr}]:{port}"


def _keepalive(peer: WireguardPeer) -> int:
    return int(peer.persistent_keepalive_interval.total_seconds())


def uapi_set(spec: WireguardSpec, *, present: Iterable[str] | None = None) -> str:
    """The UAPI `set=1` request that makes a device match `spec` (ends with the blank line).

    With `present` (base64 keys of the device's current peers) peers are updated in place (a peer
    without a preshared key gets the zero key, clearing one it had) and the ones the spec lacks removed,
    which keeps the sessions of unchanged peers; without it every peer is replaced (`replace_peers=true`).
    """
    lines = ["set=1"]
    if spec.private_key:
        lines.append(f"private_key={decode_key(spec.private_key, 'private_key').hex()}")
    if spec.listen_port:
        lines.append(f"listen_port={spec.listen_port}")
    lines.append(f"fwmark={spec.firewall_mark}")
    wanted = [decode_key(p.public_key, f"peers[{i}].public_key") for i, p in enumerate(spec.peers)]
    if present is None:
        lines.append("replace_peers=true")
    else:
        for old in present:
            raw = decode_key(old, "present peer public_key")
            if raw not in wanted:
                lines += [f"public_key={raw.hex()}", "remove=true"]
    for i, (peer, pub) in enumerate(zip(spec.peers, wanted, strict=True)):
        lines.append(f"public_key={pub.hex()}")
        if peer.preshared_key:
            lines.append(f"preshared_key={decode_key(peer.preshared_key, f'peers[{i}].preshared_key').hex()}")
        elif present is not None:
            lines.append(f"preshared_key={bytes(KEY_LEN).hex()}")  # clears one the peer has
        if peer.endpoint:
            lines.append(f"endpoint={_endpoint(peer.endpoint, f'peers[{i}].endpoint')}")
        lines.append(f"persistent_keepalive_interval={_keepalive(peer)}")
        lines.append("replace_allowed_ips=true")
        lines += [f"allowed_ip={prefix}" for prefix in peer.allowed_ips]
    return "\n".join(lines) + "\n\n"


def _b64(hexkey: str, field: str) -> str:
    try:
        raw = bytes.fromhex(hexkey)
    except ValueError:
        raise WireguardError(f"{field}: {hexkey!r} is not a hex key") from None
    if len(raw) != KEY_LEN:
        raise WireguardError(f"{field}: {len(raw)} bytes; a WireGuard key is {KEY_LEN} bytes")
    return "" if raw == bytes(KEY_LEN) else binascii.b2a_base64(raw, newline=False).decode()


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise WireguardError(f"{field}: {value!r} is not a number") from None


def uapi_errno(text: str) -> int:
    """The `errno=` of a UAPI answer (0: success); WireguardError if it has none."""
    for line in text.splitlines():
        if line.startswith("errno="):
            return _int(line[6:], "errno")
    raise WireguardError(f"errno: missing from the UAPI answer {text[:80]!r}")


@dataclass
class _Peer:
    """A peer while its lines are read."""

    public_key: str
    preshared_key: str = ""
    endpoint: str = ""
    keepalive: int = 0
    allowed_ips: list[IPPrefix] = field(default_factory=list)
    sec: int = 0
    nsec: int = 0
    rx: int = 0
    tx: int = 0

    def state(self) -> WireguardPeerState:
        return WireguardPeerState(
            public_key=self.public_key, preshared_key=self.preshared_key, endpoint=self.endpoint,
            persistent_keepalive=self.keepalive, allowed_ips=tuple(self.allowed_ips),
            last_handshake=self.sec + self.nsec / 1e9, rx_bytes=self.rx, tx_bytes=self.tx)


def parse_uapi_get(text: str) -> WireguardDevice:
    """The device of a `get=1` answer; WireguardError for a malformed answer or a non-zero errno."""
    private, port, fwmark = "", 0, 0
    peers: list[_Peer] = []
    errno: int | None = None
    for line in text.splitlines():
        if not line:
            break
        key, sep, value = line.partition("=")
        if not sep:
            raise WireguardError(f"UAPI answer: line {line!r} is not key=value")
        peer = peers[-1] if peers else None
        if key == "errno":
            errno = _int(value, key)
        elif key == "public_key":
            peers.append(_Peer(_b64(value, key)))
        elif peer is None:
            if key == "private_key":
                private = _b64(value, key)
            elif key == "listen_port":
                port = _int(value, key)
            elif key == "fwmark":
                fwmark = _int(value, key)
        elif key == "preshared_key":
            peer.preshared_key = _b64(value, key)
        elif key == "endpoint":
            peer.endpoint = _endpoint(value, key)
        elif key == "allowed_ip":
            try:
                peer.allowed_ips.append(ipaddress.ip_network(value, strict=False))
            except ValueError:
                raise WireguardError(f"allowed_ip: {value!r} is not a prefix") from None
        elif key == "persistent_keepalive_interval":
            peer.keepalive = _int(value, key)
        elif key == "rx_bytes":
            peer.rx = _int(value, key)
        elif key == "tx_bytes":
            peer.tx = _int(value, key)
        elif key == "last_handshake_time_sec":
            peer.sec = _int(value, key)
        elif key == "last_handshake_time_nsec":
            peer.nsec = _int(value, key)
    if errno is None:
        raise WireguardError(f"errno: missing from the UAPI answer {text[:80]!r}")
    if errno:
        raise WireguardError(f"UAPI get failed with errno {errno}")
    return WireguardDevice(private_key=private, public_key=public_key(private) if private else "",
                           listen_port=port, fwmark=fwmark, peers=tuple(p.state() for p in peers))


def differences(spec: WireguardSpec, device: WireguardDevice) -> list[str]:
    """What of `spec` the device does not have, one phrase each (keys shortened to 8 characters).

    A listen port or endpoint the spec leaves unset is not compared (the device chooses the port;
    a peer without a configured endpoint learns one).
    """
    out: list[str] = []
    if spec.private_key and device.private_key != _norm_key(spec.private_key):
        out.append("private key")
    if spec.listen_port and device.listen_port != spec.listen_port:
        out.append(f"listen port {device.listen_port} -> {spec.listen_port}")
    if device.fwmark != spec.firewall_mark:
        out.append(f"fwmark {device.fwmark} -> {spec.firewall_mark}")
    have = {p.public_key: p for p in device.peers}
    want = {_norm_key(p.public_key): p for p in spec.peers}
    for key in have.keys() - want.keys():
        out.append(f"unexpected peer {key[:8]}")
    for key, peer in want.items():
        state = have.get(key)
        out += [f"missing peer {key[:8]}"] if state is None else _peer_changes(key, peer, state)
    return out


def _peer_changes(key: str, peer: WireguardPeer, state: WireguardPeerState) -> list[str]:
    """What of `peer` (public key `key`) the device's `state` of it does not have, as in `differences`."""
    out: list[str] = []
    if _norm_key(peer.preshared_key) != state.preshared_key:
        out.append(f"peer {key[:8]} preshared key")
    if peer.endpoint and _endpoint(peer.endpoint, "endpoint") != state.endpoint:
        out.append(f"peer {key[:8]} endpoint {state.endpoint or '(none)'} -> {peer.endpoint}")
    if _keepalive(peer) != state.persistent_keepalive:
        out.append(f"peer {key[:8]} keepalive {state.persistent_keepalive} -> {_keepalive(peer)}")
    if set(peer.allowed_ips) != set(state.allowed_ips):
        out.append(f"peer {key[:8]} allowed ips {','.join(map(str, state.allowed_ips)) or '(none)'} -> "
                   f"{','.join(map(str, peer.allowed_ips)) or '(none)'}")
    return out


def _norm_key(key: str) -> str:
    """A base64 key as UAPI parsing renders it ("" for no key or the all-zero key)."""
    if not key:
        return ""
    raw = binascii.a2b_base64(key.encode("ascii"))
    return "" if raw == bytes(KEY_LEN) else binascii.b2a_base64(raw, newline=False).decode()


def validate(spec: WireguardSpec) -> None:
    """Raise WireguardError for the first key or endpoint of `spec` that cannot be applied."""
    uapi_set(spec)


# --- generic netlink (kernel wireguard) ---


def _attr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + bytes(-length % 4)


def _nested(kind: int, parts: Iterable[bytes]) -> bytes:
    return _attr(kind | NLA_F_NESTED, b"".join(parts))


def _sockaddr(endpoint: str, field: str) -> bytes:
    addr, port = parse_endpoint(endpoint, field)
    if addr.version == 4:
        return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + addr.packed + bytes(8)
    return struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", port, 0) + addr.packed + struct.pack("=I", 0)


def _allowed_ip(prefix: IPPrefix) -> bytes:
    family = socket.AF_INET if prefix.version == 4 else socket.AF_INET6
    return _nested(0, [
        _attr(WGALLOWEDIP_A_FAMILY, struct.pack("=H", family)),
        _attr(WGALLOWEDIP_A_IPADDR, prefix.network_address.packed),
        _attr(WGALLOWEDIP_A_CIDR_MASK, struct.pack("=B", prefix.prefixlen)),
    ])


def _genl_peer(i: int, peer: WireguardPeer, flags: int) -> bytes:
    """Peer `i` of a spec with all its settings: a zero preshared key when it has none (clearing one the
    device has), its allowed IPs replacing the device's."""
    psk = decode_key(peer.preshared_key, f"peers[{i}].preshared_key") if peer.preshared_key else bytes(KEY_LEN)
    parts = [
        _attr(WGPEER_A_PUBLIC_KEY, decode_key(peer.public_key, f"peers[{i}].public_key")),
        _attr(WGPEER_A_FLAGS, struct.pack("=I", flags | WGPEER_F_REPLACE_ALLOWEDIPS)),
        _attr(WGPEER_A_PRESHARED_KEY, psk),
    ]
    if peer.endpoint:
        parts.append(_attr(WGPEER_A_ENDPOINT, _sockaddr(peer.endpoint, f"peers[{i}].endpoint")))
    parts.append(_attr(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, struct.pack("=H", _keepalive(peer))))
    parts.append(_nested(WGPEER_A_ALLOWEDIPS, [_allowed_ip(p) for p in peer.allowed_ips]))
    return _nested(0, parts)


def _genl_peers(spec: WireguardSpec, present: WireguardDevice) -> list[bytes]:
    """The WGDEVICE_A_PEERS entries that turn the peers of `present` into those of `spec`."""
    have = {decode_key(p.public_key, "present peer public_key"): p for p in present.peers}
    wanted = [decode_key(p.public_key, f"peers[{i}].public_key") for i, p in enumerate(spec.peers)]
    out = [_nested(0, [_attr(WGPEER_A_PUBLIC_KEY, raw), _attr(WGPEER_A_FLAGS, struct.pack("=I", WGPEER_F_REMOVE_ME))])
           for raw in have if raw not in wanted]
    for i, (peer, raw) in enumerate(zip(spec.peers, wanted, strict=True)):
        state = have.get(raw)
        if state is None:
            out.append(_genl_peer(i, peer, 0))
        elif _peer_changes(state.public_key, peer, state):
            out.append(_genl_peer(i, peer, WGPEER_F_UPDATE_ONLY))
    return out


def build_set_device(spec: WireguardSpec, ifname: str, family: int, present: WireguardDevice, *,
                     seq: int = 0) -> bytes:
    """The WG_CMD_SET_DEVICE request (netlink header included) that makes device `ifname`, read back as
    `present` (WG_CMD_GET_DEVICE), match `spec`.

    `family` is the id the kernel gave the "wireguard" generic netlink family. The private key, listen port
    (when set) and fwmark are always sent; the kernel keeps an unchanged key and port as they are. Peers
    are changed in place (no WGDEVICE_F_REPLACE_PEERS), so unchanged ones keep their sessions and are not
    sent: a peer the spec lacks is removed (WGPEER_F_REMOVE_ME); a new peer is added and a changed one
    updated (WGPEER_F_UPDATE_ONLY: one removed meanwhile is put back by the next comparison), both with
    all their settings and their allowed IPs replaced (WGPEER_F_REPLACE_ALLOWEDIPS). A request too big
    for one message (hundreds of peers) is not split.
    """
    attrs = [_attr(WGDEVICE_A_IFNAME, ifname.encode() + b"\0")]
    if spec.private_key:
        attrs.append(_attr(WGDEVICE_A_PRIVATE_KEY, decode_key(spec.private_key, "private_key")))
    if spec.listen_port:
        attrs.append(_attr(WGDEVICE_A_LISTEN_PORT, struct.pack("=H", spec.listen_port)))
    attrs.append(_attr(WGDEVICE_A_FWMARK, struct.pack("=I", spec.firewall_mark)))
    peers = _genl_peers(spec, present)
    if peers:
        attrs.append(_nested(WGDEVICE_A_PEERS, peers))
    body = struct.pack("=BBH", WG_CMD_SET_DEVICE, WG_GENL_VERSION, 0) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), family, NLM_F_REQUEST | NLM_F_ACK, seq, 0) + body


def build_get_device(ifname: str, family: int, *, seq: int = 0) -> bytes:
    """The WG_CMD_GET_DEVICE dump request (netlink header included) for device `ifname`."""
    name = _attr(WGDEVICE_A_IFNAME, ifname.encode() + b"\0")
    body = struct.pack("=BBH", WG_CMD_GET_DEVICE, WG_GENL_VERSION, 0) + name
    return struct.pack("=IHHII", 16 + len(body), family, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body


def _nlattrs(data: bytes, offset: int, end: int, what: str) -> list[tuple[int, bytes]]:
    """(type, payload) of the netlink attributes in data[offset:end]; WireguardError if one overruns."""
    out = []
    while offset + 4 <= end:
        size, kind = struct.unpack_from("=HH", data, offset)
        if size < 4 or offset + size > end:
            raise WireguardError(f"{what}: attribute {kind & NLA_TYPE_MASK} of {size} bytes overruns its message")
        out.append((kind & NLA_TYPE_MASK, data[offset + 4 : offset + size]))
        offset += (size + 3) & ~3
    return out


def _uint(raw: bytes, fmt: str, what: str) -> int:
    if len(raw) < struct.calcsize(fmt):
        raise WireguardError(f"{what}: {len(raw)} bytes, too short")
    return int(struct.unpack_from(fmt, raw)[0])


def _raw_key(raw: bytes, what: str) -> str:
    if len(raw) != KEY_LEN:
        raise WireguardError(f"{what}: {len(raw)} bytes; a WireGuard key is {KEY_LEN} bytes")
    return "" if raw == bytes(KEY_LEN) else binascii.b2a_base64(raw, newline=False).decode()


def _decode_sockaddr(raw: bytes, what: str) -> str:
    family = _uint(raw, "=H", what)
    if family == socket.AF_INET and len(raw) >= 8:
        return f"{ipaddress.IPv4Address(raw[4:8])}:{struct.unpack_from('!H', raw, 2)[0]}"
    if family == socket.AF_INET6 and len(raw) >= 24:
        return f"[{ipaddress.IPv6Address(raw[8:24])}]:{struct.unpack_from('!H', raw, 2)[0]}"
    raise WireguardError(f"{what}: a sockaddr of family {family} and {len(raw)} bytes is not IPv4 or IPv6")


def _decode_allowed_ip(raw: bytes, what: str) -> IPPrefix:
    attrs = dict(_nlattrs(raw, 0, len(raw), what))
    family = _uint(attrs.get(WGALLOWEDIP_A_FAMILY, b""), "=H", f"{what} family")
    addr = attrs.get(WGALLOWEDIP_A_IPADDR, b"")
    size = _ADDR_SIZE.get(family)
    if size is None or len(addr) != size:
        raise WireguardError(f"{what}: family {family} with a {len(addr)}-byte address")
    mask = _uint(attrs.get(WGALLOWEDIP_A_CIDR_MASK, b""), "=B", f"{what} cidr mask")
    try:
        return ipaddress.ip_network((ipaddress.ip_address(addr), mask), strict=False)
    except ValueError:
        raise WireguardError(f"{what}: /{mask} is not a prefix length of family {family}") from None


def _decode_peer(raw: bytes, what: str, peers: list[_Peer]) -> None:
    """Add the peer of one WGDEVICE_A_PEERS entry to `peers`; a peer split over messages (its allowed IPs did
    not fit) comes again with only its public key and more allowed IPs, and continues the last one."""
    attrs = _nlattrs(raw, 0, len(raw), what)
    keys = [value for kind, value in attrs if kind == WGPEER_A_PUBLIC_KEY]
    if not keys:
        raise WireguardError(f"{what}: no public key")
    key = _raw_key(keys[0], f"{what} public key")
    if peers and peers[-1].public_key == key:
        peer = peers[-1]
    else:
        peer = _Peer(key)
        peers.append(peer)
    for kind, value in attrs:
        if kind == WGPEER_A_PRESHARED_KEY:
            peer.preshared_key = _raw_key(value, f"{what} preshared key")
        elif kind == WGPEER_A_ENDPOINT:
            peer.endpoint = _decode_sockaddr(value, f"{what} endpoint")
        elif kind == WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
            peer.keepalive = _uint(value, "=H", f"{what} keepalive")
        elif kind == WGPEER_A_LAST_HANDSHAKE_TIME:
            peer.sec, peer.nsec = struct.unpack_from("=qq", value) if len(value) >= 16 else (0, 0)
        elif kind == WGPEER_A_RX_BYTES:
            peer.rx = _uint(value, "=Q", f"{what} rx bytes")
        elif kind == WGPEER_A_TX_BYTES:
            peer.tx = _uint(value, "=Q", f"{what} tx bytes")
        elif kind == WGPEER_A_ALLOWEDIPS:
            for j, (_, item) in enumerate(_nlattrs(value, 0, len(value), what)):
                peer.allowed_ips.append(_decode_allowed_ip(item, f"{what} allowed ip {j}"))


def decode_get_device(messages: Iterable[bytes]) -> WireguardDevice:
    """The device of a WG_CMD_GET_DEVICE dump: its answer messages (netlink header included), in order.

    The device's own attributes come in the first message; the peers of all of them are concatenated.
    WireguardError for an attribute that overruns or a key, endpoint or allowed IP of the wrong size.
    """
    private = public = ""
    port = fwmark = 0
    peers: list[_Peer] = []
    for i, message in enumerate(messages):
        data = bytes(message)
        (size,) = struct.unpack_from("=I", data) if len(data) >= 4 else (0,)
        if size < GENL_HEADER or size > len(data):
            raise WireguardError(f"WG_CMD_GET_DEVICE answer {i}: {len(data)} bytes, not a generic netlink message")
        for kind, value in _nlattrs(data, GENL_HEADER, size, f"WG_CMD_GET_DEVICE answer {i}"):
            if kind == WGDEVICE_A_PRIVATE_KEY:
                private = _raw_key(value, "private key")
            elif kind == WGDEVICE_A_PUBLIC_KEY:
                public = _raw_key(value, "public key")
            elif kind == WGDEVICE_A_LISTEN_PORT:
                port = _uint(value, "=H", "listen port")
            elif kind == WGDEVICE_A_FWMARK:
                fwmark = _uint(value, "=I", "fwmark")
            elif kind == WGDEVICE_A_PEERS:
                for j, (_, raw) in enumerate(_nlattrs(value, 0, len(value), "peers")):
                    _decode_peer(raw, f"answer {i} peer {j}", peers)
    return WireguardDevice(private_key=private, public_key=public, listen_port=port, fwmark=fwmark,
                           peers=tuple(p.state() for p in peers))
