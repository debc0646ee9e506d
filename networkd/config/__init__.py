"""The typed machine configuration: Talos YAML in, frozen dataclasses or every mistake out.

`load(text, source=...)` reads a YAML stream holding the legacy `version: v1alpha1` document and/or
multi-document network kinds (`apiVersion: v1alpha1`, `kind: LinkConfig`, ...) and returns a
`MachineConfig`; it reads nothing but the text. Of the v1alpha1 document only `.machine.network`,
`.machine.time` and `.machine.features.{stableHostname,nodeAddressSortAlgorithm,hostDNS}` are read;
everything else (cluster, certificates, kubelet, install, ...) is accepted and not checked.

Network kinds read: LinkConfig, DummyLinkConfig, VLANConfig, BondConfig, BridgeConfig, WireguardConfig,
HostnameConfig, ResolverConfig, TimeSyncConfig, StaticHostConfig, RoutingRuleConfig, DHCPv4Config,
DHCPv6Config, Layer2VIPConfig. Talos kinds of other subsystems are accepted and ignored (listed in
`MachineConfig.ignored_kinds`); a Talos network kind networkd does not implement (VRFConfig,
LinkAliasConfig, ...) and an unknown kind that looks like networking (`VlanConfig`) are errors.

Any mistake rejects the whole text: `ConfigError.errors` holds one `FieldError(path, message)` per
mistake, document by document in stream order, then the checks across documents. Paths:

- the v1alpha1 document: from its root, `machine.network.interfaces[1].routes[0].network`;
- a network document: `documents[<i>](<Kind> <name>)` then the field, `<i>` the 0-based position of
  the document in the stream: `documents[3](LinkConfig eth0).addresses[0].address`; kinds without a
  name (HostnameConfig, ResolverConfig, TimeSyncConfig) or with a missing or unusable one drop it:
  `documents[1](HostnameConfig).hostname`;
- the document as a whole: `documents[<i>]` (YAML syntax error with line and column, not a mapping,
  no kind) or `documents[<i>](<Kind> <name>)` (duplicate, conflict with another document).

YAML is read with the YAML 1.2 core schema, as Talos's Go decoder does: `off`, `yes`, `1:30` and dates
are strings, only `true`/`false` are booleans; a key repeated in one mapping is an error. Null counts as
absent. A string field takes an integer as its decimal text; nothing else is coerced.

Semantics kept from Talos: a bare IP in legacy `addresses` is /32 or /128 and the deprecated `cidr`
joins `addresses`; `dhcpOptions.ipv4` defaults to true and `ipv6` to false; a legacy bridge has STP
enabled unless disabled, while a BridgeConfig has it off unless enabled (Talos ValueOrZero); durations
(`30s`, `1m30s`) become seconds; LinkConfig-family `up` defaults to true; DHCP `clientIdentifier`
defaults to mac. Checks Talos does not make: MTUs 68..65535, link names as the kernel allows them,
host names as RFC 1123, route gateway and destination of one IP version, VLAN IDs unique per device,
a bond or bridge port listed once, and legacy VLAN addresses with a prefix length.
"""

from networkd.config.documents import (
    AddressConfig,
    BondConfig,
    BridgeConfig,
    BridgeSTPConfig,
    BridgeVLANConfig,
    CommonLinkConfig,
    DHCPv4Config,
    DHCPv6Config,
    DummyLinkConfig,
    HostDNSConfig,
    HostnameConfig,
    Layer2VIPConfig,
    LinkConfig,
    LinkDocument,
    NameserverConfig,
    NetworkDocument,
    NTPConfig,
    PTPConfig,
    ResolverConfig,
    RouteConfig,
    RoutingRuleConfig,
    SearchDomainsConfig,
    StaticHostConfig,
    TimeSyncConfig,
    VLANConfig,
    WireguardConfig,
    WireguardEndpoint,
    WireguardPeer,
)
from networkd.config.errors import ConfigError, FieldError
from networkd.config.loader import load
from networkd.config.machine import MachineConfig
from networkd.config.v1alpha1 import V1Alpha1Config

__all__ = [
    "AddressConfig",
    "BondConfig",
    "BridgeConfig",
    "BridgeSTPConfig",
    "BridgeVLANConfig",
    "CommonLinkConfig",
    "ConfigError",
    "DHCPv4Config",
    "DHCPv6Config",
    "DummyLinkConfig",
    "FieldError",
    "HostDNSConfig",
    "HostnameConfig",
    "Layer2VIPConfig",
    "LinkConfig",
    "LinkDocument",
    "MachineConfig",
    "NTPConfig",
    "NameserverConfig",
    "NetworkDocument",
    "PTPConfig",
    "ResolverConfig",
    "RouteConfig",
    "RoutingRuleConfig",
    "SearchDomainsConfig",
    "StaticHostConfig",
    "TimeSyncConfig",
    "V1Alpha1Config",
    "VLANConfig",
    "WireguardConfig",
    "WireguardEndpoint",
    "WireguardPeer",
    "load",
]
