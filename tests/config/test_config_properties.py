"""Fuzzing: any text, any YAML and any nested data give a MachineConfig or a ConfigError, nothing else;
the shortcuts of the readers read what the generic readers read."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from networkd.config import ConfigError, MachineConfig, _parse_documents, load
from networkd.config._parse_documents import PARSERS
from networkd.config._reader import Converter, Errors, Invalid, mapping_of
from networkd.config.documents import RouteConfig

DATA = Path(__file__).parent / "data"
VALID = [(DATA / name).read_text() for name in ("controlplane.yaml", "network-documents.yaml")]

KEYS = [
    "name", "mtu", "up", "addresses", "address", "routes", "destination", "gateway", "network", "source",
    "metric", "table", "interface", "interfaces", "deviceSelector", "bond", "bridge", "vlans", "vlanId",
    "vlanID", "parent", "links", "bondMode", "mode", "miimon", "stp", "enabled", "dhcp", "dhcpOptions",
    "ipv4", "ipv6", "wireguard", "peers", "privateKey", "publicKey", "endpoint", "allowedIPs", "vip", "ip",
    "hostname", "auto", "nameservers", "searchDomains", "domains", "hostDNS", "ntp", "servers", "ptp",
    "devices", "bootTimeout", "hostnames", "src", "dst", "action", "clientIdentifier", "duidRaw", "link",
    "kubespan", "filters", "endpoints", "protocol", "tlsServerName", "cidr", "routePriority", "x",
]  # fmt: skip
SCALARS = [
    "eth0", "bond0", "10.0.0.1", "10.0.0.0/8", "fd00::1/64", "::", "0.0.0.0/0", "802.3ad", "off", "stable",
    "30s", "-1s", "main", "duid", "00:01:02", "DoT", "/dev/ptp0", "", " ", "a" * 70, "v1alpha1", "%",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.sampled_from(SCALARS)
    | st.text(max_size=12)
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    max_leaves=30,
)
mappings = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), values, max_size=8)
kinds = st.sampled_from([*PARSERS, "VolumeConfig", "VRFConfig", "VlanConfig", "FooConfig"]) | st.text(max_size=10)
machine_sections = st.fixed_dictionaries(
    {}, optional={"network": values | mappings, "time": values | mappings, "features": values | mappings}
)
v1alpha1_documents = st.fixed_dictionaries(
    {"version": st.just("v1alpha1") | values, "machine": machine_sections | values}
)
network_documents = st.tuples(st.just("v1alpha1") | values, kinds, mappings).map(
    lambda parts: {"apiVersion": parts[0], "kind": parts[1], **parts[2]}
)
documents = st.lists(v1alpha1_documents | network_documents | values, min_size=1, max_size=4)

YAML_FRAGMENTS = [
    ": ", "- ", "\n", "\n  ", "\n    ", "---\n", "[", "]", "{", "}", ",", "&a ", "*a", "!!int ", "!x ", "|\n", ">\n",
    "'", '"', "#", "? ", "<<: ", "~", "kind: LinkConfig", "apiVersion: v1alpha1", "version: v1alpha1", "machine:",
    "network:", "name: eth0", "mtu: 9000", "\t", "\x00", "\ufeff",
]  # fmt: skip
yaml_ish = st.lists(st.sampled_from(YAML_FRAGMENTS) | st.text(max_size=4), max_size=40).map("".join)


def _check(text: str) -> None:
    try:
        config = load(text)
    except ConfigError as error:
        assert error.errors
        assert all(item.path and item.message for item in error.errors)
        assert str(error).count("\n") == len(error.errors)
    else:
        assert isinstance(config, MachineConfig)
        assert config.raw == text


@given(st.text())
def test_any_text(text: str) -> None:
    _check(text)


@given(yaml_ish)
def test_yaml_ish_text(text: str) -> None:
    _check(text)


@settings(max_examples=300)
@given(documents)
def test_any_nested_data(data: list[object]) -> None:
    _check(yaml.safe_dump_all(data))


@given(st.sampled_from(VALID), st.data())
def test_damaged_valid_configs(text: str, data: st.DataObject) -> None:
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        start = data.draw(st.integers(min_value=0, max_value=len(text)))
        end = data.draw(st.integers(min_value=start, max_value=min(len(text), start + 8)))
        text = text[:start] + data.draw(st.sampled_from(YAML_FRAGMENTS) | st.text(max_size=3)) + text[end:]
    _check(text)


ROUTE_KEYS = ["destination", "gateway", "source", "metric", "mtu", "table", "gatway", "Destination"]
DESTINATIONS = [
    "100.64.7.0/24", "100.64.7.9/24", "10.0.0.0/8", "0.0.0.0/0", "0.0.0.0/8", "1.2.3.4/32", "10.0.0.0/33",
    "10.0.0.0/0024", "10.0.0.0/08", "010.0.0.0/8", "10.0.0/8", "fd00::/64", "::/0", "fd00::5/64", "10.0.0.0/8%x",
    "10.0.0.0/255.0.0.0", "10.0.0.1", "", 24, None,
]  # fmt: skip
GATEWAYS = ["10.1.0.254", "0.0.0.0", "1.2.3.04", "fd00::1", "::", "fe80::1%eth0", "::ffff:10.0.0.1", "10.0.0.1/32",
            "main", "", 167837954, None, True]  # fmt: skip
route_values = st.sampled_from(DESTINATIONS + GATEWAYS) | scalars
route_mappings = st.dictionaries(st.sampled_from(ROUTE_KEYS) | st.integers(0, 2), route_values, max_size=4)
plain_routes = st.fixed_dictionaries({"destination": route_values, "gateway": route_values})


def _convert(convert: Converter[RouteConfig], value: object) -> tuple[object, list[object]]:
    """What `convert` gives of `value` (each field with its type and prefix length), and the errors it reports."""
    errors = Errors()
    try:
        route = convert(errors, "documents[0](LinkConfig eth0).routes[7]", value)
    except Invalid:
        return None, list(errors.items)
    fields = [getattr(route, field.name) for field in dataclasses.fields(route)]
    return [(type(field), field, getattr(field, "prefixlen", None)) for field in fields], list(errors.items)


def _check_route(value: object) -> None:
    """`_to_route` gives what the generic `mapping_of(_route)` gives, the same errors for a bad route."""
    assert _convert(_parse_documents._to_route, value) == _convert(mapping_of(_parse_documents._route), value)


@given(plain_routes | route_mappings | values)
def test_the_route_shortcut_reads_what_route_reads(value: object) -> None:
    _check_route(value)


def test_the_route_shortcut_reads_what_route_reads_of_each_destination_and_gateway() -> None:
    for destination in DESTINATIONS:
        for gateway in GATEWAYS:
            _check_route({"destination": destination, "gateway": gateway})
            _check_route({"gateway": gateway, "destination": destination})


@pytest.mark.parametrize(
    "value",
    [{"destination": "100.64.7.0/24", "gateway": "10.1.0.254"}, {"gateway": "fd00::1", "destination": "2001:db8::/32"}],
)
def test_the_route_shortcut_reads_plain_routes(monkeypatch: pytest.MonkeyPatch, value: dict[str, str]) -> None:
    """A destination and a gateway of one IP version, nothing else, never reach the generic reader."""

    def generic(errors: Errors, path: str, value: object) -> RouteConfig:
        raise AssertionError("read by the generic reader")

    monkeypatch.setattr(_parse_documents, "_read_route", generic)
    route = _parse_documents._to_route(Errors(), "routes[0]", value)
    assert (str(route.destination), str(route.gateway)) == (value["destination"], value["gateway"])
