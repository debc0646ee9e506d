"""Resource types: Talos type names, display names, namespaces, aliases, print columns, sensitivity."""

import dataclasses

import pytest

import networkd.resources  # noqa: F401  (registers every type)
from networkd.resources.base import REGISTRY, ResourceType, Spec
from networkd.resources.config import MachineConfig
from networkd.resources.meta import meta_resources

# type, display, namespace, explicit aliases, print columns, sensitive
TYPES = [
    ("AddressSpecs.net.talos.dev", "AddressSpec", "network", (), (), False),
    ("AddressStatuses.net.talos.dev", "AddressStatus", "network", ("address", "addresses"),
     (("Address", "{.address}"), ("Link", "{.linkName}")), False),
    ("LinkSpecs.net.talos.dev", "LinkSpec", "network", (), (), True),
    ("LinkStatuses.net.talos.dev", "LinkStatus", "network", ("link", "links"),
     (("Alias", "{.alias}"), ("Type", "{.type}"), ("Kind", "{.kind}"), ("Hw Addr", "{.hardwareAddr}"),
      ("Oper State", "{.operationalState}"), ("Link State", "{.linkState}")), False),
    ("RouteSpecs.net.talos.dev", "RouteSpec", "network", (), (), False),
    ("RouteStatuses.net.talos.dev", "RouteStatus", "network", ("route", "routes"),
     (("Destination", "{.dst}"), ("Gateway", "{.gateway}"), ("Link", "{.outLinkName}"), ("Metric", "{.priority}")),
     False),
    ("RoutingRuleSpecs.net.talos.dev", "RoutingRuleSpec", "network", (), (), False),
    ("RoutingRuleStatuses.net.talos.dev", "RoutingRuleStatus", "network", ("routingrule", "routingrules"),
     (("Src", "{.src}"), ("Dst", "{.dst}"), ("Table", "{.table}"), ("Priority", "{.priority}")), False),
    ("HostnameSpecs.net.talos.dev", "HostnameSpec", "network", (), (), False),
    ("HostnameStatuses.net.talos.dev", "HostnameStatus", "network", ("hostname",),
     (("Hostname", "{.hostname}"), ("Domainname", "{.domainname}")), False),
    ("ResolverSpecs.net.talos.dev", "ResolverSpec", "network", (),
     (("Layer", "{.layer}"), ("Resolvers", "{.dnsServers}"), ("Search Domains", "{.searchDomains}")), False),
    ("ResolverStatuses.net.talos.dev", "ResolverStatus", "network", ("resolvers",),
     (("Resolvers", "{.dnsServers}"),), False),
    ("TimeServerSpecs.net.talos.dev", "TimeServerSpec", "network", (),
     (("Timeservers", "{.timeServers}"), ("UseNTS", "{.useNTS}")), False),
    ("TimeServerStatuses.net.talos.dev", "TimeServerStatus", "network", ("timeserver", "timeservers"),
     (("Timeservers", "{.timeServers}"), ("UseNTS", "{.useNTS}")), False),
    ("OperatorSpecs.net.talos.dev", "OperatorSpec", "network", (), (), True),
    ("NodeAddresses.net.talos.dev", "NodeAddress", "network", (), (("Addresses", "{.addresses}"),), False),
    ("NodeAddressFilters.net.talos.dev", "NodeAddressFilter", "network", (),
     (("Include Subnets", "{.includeSubnets}"), ("Exclude Subnets", "{.excludeSubnets}")), False),
    ("HardwareAddresses.net.talos.dev", "HardwareAddress", "network", (), (), False),
    ("NetworkStatuses.net.talos.dev", "NetworkStatus", "network", ("netstatus", "netstatuses"),
     (("Address", "{.addressReady}"), ("Connectivity", "{.connectivityReady}"), ("Hostname", "{.hostnameReady}"),
      ("Etc", "{.etcFilesReady}")), False),
    ("ProbeSpecs.net.talos.dev", "ProbeSpec", "network", (), (), False),
    ("ProbeStatuses.net.talos.dev", "ProbeStatus", "network", ("probe", "probes"), (("Success", "{.success}"),),
     False),
    ("EtcFileSpecs.files.talos.dev", "EtcFileSpec", "files", (), (), True),
    ("EtcFileStatuses.files.talos.dev", "EtcFileStatus", "files", (), (), False),
    ("MachineConfigs.config.talos.dev", "MachineConfig", "config", (), (), True),
]


def resolve(word: str) -> list[str]:
    """The types a `get <word>` would match, as talosctl matches against all aliases."""
    return [rt.type for rt in REGISTRY.values() if word.lower() in rt.all_aliases()]


@pytest.mark.parametrize(("type_", "display", "namespace", "aliases", "columns", "sensitive"), TYPES)
def test_definition(
    type_: str, display: str, namespace: str, aliases: tuple[str, ...], columns: tuple[tuple[str, str], ...],
    sensitive: bool,
) -> None:
    rt = REGISTRY[type_]
    assert (rt.display, rt.default_namespace, rt.aliases, rt.sensitive) == (display, namespace, aliases, sensitive)
    assert tuple((c.name, c.json_path) for c in rt.print_columns) == columns
    assert rt.spec_cls.TYPE is rt
    for word in (type_.split(".")[0], display, *aliases):
        assert type_ in resolve(word), word


def test_address_status_aliases() -> None:
    words = REGISTRY["AddressStatuses.net.talos.dev"].all_aliases()
    for word in ("address", "addresses", "addressstatus", "addressstatuses", "as", "addressstatuses.net"):
        assert word in words
    assert resolve("addresses") == ["AddressStatuses.net.talos.dev"]


@pytest.mark.parametrize(
    ("word", "type_"),
    [
        ("links", "LinkStatuses.net.talos.dev"),
        ("routes", "RouteStatuses.net.talos.dev"),
        ("resolvers", "ResolverStatuses.net.talos.dev"),
        ("hostname", "HostnameStatuses.net.talos.dev"),
        ("hostnamestatus", "HostnameStatuses.net.talos.dev"),
        ("hostnamespec", "HostnameSpecs.net.talos.dev"),
        ("timeservers", "TimeServerStatuses.net.talos.dev"),
        ("netstatus", "NetworkStatuses.net.talos.dev"),
        ("networkstatus", "NetworkStatuses.net.talos.dev"),
        ("addressspecs", "AddressSpecs.net.talos.dev"),
        ("operatorspecs", "OperatorSpecs.net.talos.dev"),
        ("nodeaddresses", "NodeAddresses.net.talos.dev"),
        ("machineconfig", "MachineConfigs.config.talos.dev"),
        ("mc", "MachineConfigs.config.talos.dev"),
    ],
)
def test_seed_words_resolve(word: str, type_: str) -> None:
    assert resolve(word) == [type_]


def test_every_type_is_published_in_meta() -> None:
    ids = {r.id for r in meta_resources()}
    for type_, *_ in TYPES:
        assert type_.lower() in ids


@pytest.mark.parametrize("rt", [REGISTRY[t[0]] for t in TYPES], ids=[t[0] for t in TYPES])
def test_specs_are_frozen_slotted_records(rt: ResourceType) -> None:
    cls: type[Spec] = rt.spec_cls
    if cls is MachineConfig:
        return
    assert dataclasses.is_dataclass(cls)
    assert "__slots__" in cls.__dict__
    assert cls.__dataclass_params__.frozen
