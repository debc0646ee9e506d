"""Converters for the domain's values: link names, host names, MAC addresses, tables, servers, keys."""

from __future__ import annotations

import re
from ipaddress import ip_address

from networkd.config._reader import (
    UINT32,
    Converter,
    Errors,
    Invalid,
    to_address,
    to_integer,
    to_interface,
    to_network,
    to_text,
)
from networkd.config.values import (
    MAX_LINK_NAME,
    MAX_LINK_REFERENCE,
    IPAddress,
    IPInterface,
    IPNetwork,
    hardware_addr_problem,
    hex_pairs,
    hostname_problem,
    link_name_problem,
    wireguard_key_problem,
)

_TABLE_NAMES = {"unspec": 0, "default": 253, "main": 254, "local": 255}
_HOST_PORT = re.compile(r"(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\[\]]+)):(?P<port>\d{1,5})")


def _link_name(max_length: int) -> Converter[str]:
    def convert(errors: Errors, path: str, value: object) -> str:
        text = to_text(errors, path, value)
        problem = link_name_problem(text, max_length)
        if problem is not None:
            raise errors.invalid(path, f"invalid link name: {problem}")
        return text

    return convert


#: A link the configuration creates (bond, bridge, VLAN, ...): at most 15 characters.
to_new_link = _link_name(MAX_LINK_NAME)
#: A reference to a link by name, alias or altname: at most 127 characters.
to_link = _link_name(MAX_LINK_REFERENCE)


def to_hostname(errors: Errors, path: str, value: object) -> str:
    """An RFC 1123 host or domain name."""
    text = to_text(errors, path, value)
    problem = hostname_problem(text)
    if problem is not None:
        raise errors.invalid(path, f"invalid hostname: {problem}")
    return text


def to_hardware_addr(errors: Errors, path: str, value: object) -> str:
    """A MAC address, normalised to lower case."""
    text = to_text(errors, path, value)
    problem = hardware_addr_problem(text)
    if problem is not None:
        raise errors.invalid(path, problem)
    return text.lower()


def to_hex_pairs(errors: Errors, path: str, value: object) -> bytes:
    """Raw bytes written as colon-separated hex pairs (`00:01:00:01:23:45`)."""
    text = to_text(errors, path, value)
    raw = hex_pairs(text)
    if raw is None:
        raise errors.invalid(path, f"{text!r} is not colon-separated hex bytes like 00:01:00:01:23:45:67:89")
    return raw


def to_hex(errors: Errors, path: str, value: object) -> bytes:
    """Raw bytes written as a hex string (`000100012345...`, colons allowed)."""
    text = to_text(errors, path, value)
    try:
        return bytes.fromhex(text.replace(":", ""))
    except ValueError:
        raise errors.invalid(path, f"{text!r} is not a hex string like 0001000123456789") from None


def to_wireguard_key(errors: Errors, path: str, value: object) -> str:
    """A base64 WireGuard key of 32 bytes."""
    text = to_text(errors, path, value)
    problem = wireguard_key_problem(text)
    if problem is not None:
        raise errors.invalid(path, f"invalid WireGuard key: {problem}")
    return text


def to_table(errors: Errors, path: str, value: object) -> int | None:
    """A routing table: `main`, `local`, `default`, `unspec` or a number; None for unspec (0)."""
    if isinstance(value, str) and value in _TABLE_NAMES:
        return _TABLE_NAMES[value] or None
    if isinstance(value, str) and value.isdecimal():
        value = int(value)
    if isinstance(value, str):
        raise errors.invalid(path, f"{value!r} is not a routing table: use main, local, default or a number")
    return to_integer(errors, path, value, UINT32) or None


def to_ip_of(version: int) -> Converter[IPAddress]:
    """An address of one IP version (4 or 6)."""

    def convert(errors: Errors, path: str, value: object) -> IPAddress:
        address = to_address(errors, path, value)
        if address.version != version:
            raise errors.invalid(path, f"must be an IPv{version} address, got {address}")
        return address

    return convert


def _refuse_unspecified(errors: Errors, path: str, address: IPAddress, written: object) -> None:
    if address.is_unspecified:
        raise errors.invalid(path, f"{written} uses the unspecified address, which cannot be configured here")


def to_specified_address(errors: Errors, path: str, value: object) -> IPAddress:
    """An IP address other than `0.0.0.0` and `::`."""
    address = to_address(errors, path, value)
    _refuse_unspecified(errors, path, address, address)
    return address


def to_specified_interface(errors: Errors, path: str, value: object) -> IPInterface:
    """An address with prefix length whose address is not `0.0.0.0` or `::`."""
    interface = to_interface(errors, path, value)
    _refuse_unspecified(errors, path, interface.ip, interface)
    return interface


def to_specified_network(errors: Errors, path: str, value: object) -> IPNetwork:
    """A prefix whose address is not `0.0.0.0` or `::` (a default route has no destination)."""
    network = to_network(errors, path, value)
    if network.network_address.is_unspecified:
        raise errors.invalid(path, f"{network} is not allowed here: leave the destination out for a default route")
    return network


def server_problem(text: str) -> str | None:
    """A server given as a host name or IP address, with an optional `:port` (`[v6]:port` for IPv6)."""
    match = _HOST_PORT.fullmatch(text)
    host = text
    if match is not None:
        host = match.group("v6") or match.group("host")
        if not 0 < int(match.group("port")) <= 65535:
            return f"the port of {text!r} must be between 1 and 65535"
    try:
        ip_address(host)
    except ValueError:
        if hostname_problem(host) is not None:
            return f"{text!r} is neither a host name nor an IP address"
    return None


def to_server(errors: Errors, path: str, value: object) -> str:
    """A server (NTP): host name or address, optionally with `:port`."""
    text = to_text(errors, path, value)
    problem = server_problem(text)
    if problem is not None:
        raise errors.invalid(path, problem)
    return text


def to_host_port(errors: Errors, path: str, value: object) -> tuple[str, int]:
    """`host:port` (`[v6]:port` for IPv6) split into host and port."""
    text = to_text(errors, path, value)
    match = _HOST_PORT.fullmatch(text)
    if match is None:
        raise errors.invalid(path, f"{text!r} must be host:port, like 10.0.0.1:51820 or [fd00::1]:51820")
    port = int(match.group("port"))
    if not 0 < port <= 65535:
        raise errors.invalid(path, f"the port must be between 1 and 65535, got {port}")
    return match.group("v6") or match.group("host"), port


def to_network_or_address(errors: Errors, path: str, value: object) -> str:
    """A prefix or an address, `!`-negated or not (KubeSpan filters); kept as written."""
    text = to_text(errors, path, value)
    bare = text.removeprefix("!")
    try:
        (to_network if "/" in bare else to_address)(Errors(), path, bare)
    except Invalid:
        raise errors.invalid(path, f"{text!r} is not an IP prefix or address (optionally negated with '!')") from None
    return text
