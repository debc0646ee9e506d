"""The loaded machine configuration: the legacy document, the network documents, and accessors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from networkd.config.documents import (
    BondConfig,
    BridgeConfig,
    DHCPv4Config,
    DHCPv6Config,
    DummyLinkConfig,
    HostnameConfig,
    Layer2VIPConfig,
    LinkConfig,
    LinkDocument,
    NetworkDocument,
    ResolverConfig,
    RoutingRuleConfig,
    StaticHostConfig,
    TimeSyncConfig,
    VLANConfig,
    WireguardConfig,
)
from networkd.config.v1alpha1 import V1Alpha1Config

D = TypeVar("D")

_LINK_KINDS = (LinkConfig, DummyLinkConfig, VLANConfig, BondConfig, BridgeConfig, WireguardConfig)


@dataclass(frozen=True, slots=True)
class MachineConfig:
    """A validated machine configuration.

    `raw` is the text as given and `source` where it came from; `v1alpha1` is the networking part of
    the legacy document (None without one); `documents` are the network documents in file order;
    `ignored_kinds` names the documents of other subsystems that were accepted and not read.
    """

    raw: str
    source: str = "<config>"
    v1alpha1: V1Alpha1Config | None = None
    documents: tuple[NetworkDocument, ...] = ()
    ignored_kinds: tuple[str, ...] = ()

    def _of(self, kind: type[D]) -> tuple[D, ...]:
        return tuple(document for document in self.documents if isinstance(document, kind))

    def _one(self, kind: type[D]) -> D | None:
        return next(iter(self._of(kind)), None)

    def links(self) -> tuple[LinkDocument, ...]:
        """Every LinkConfig-family document (Link, DummyLink, VLAN, Bond, Bridge, Wireguard)."""
        return tuple(document for document in self.documents if isinstance(document, _LINK_KINDS))

    def link(self, name: str) -> LinkDocument | None:
        """The link document named `name`, if any."""
        return next((link for link in self.links() if link.name == name), None)

    def hostname_config(self) -> HostnameConfig | None:
        """The HostnameConfig document."""
        return self._one(HostnameConfig)

    def resolver_config(self) -> ResolverConfig | None:
        """The ResolverConfig document."""
        return self._one(ResolverConfig)

    def time_sync_config(self) -> TimeSyncConfig | None:
        """The TimeSyncConfig document."""
        return self._one(TimeSyncConfig)

    def static_hosts(self) -> tuple[StaticHostConfig, ...]:
        """StaticHostConfig documents."""
        return self._of(StaticHostConfig)

    def routing_rules(self) -> tuple[RoutingRuleConfig, ...]:
        """RoutingRuleConfig documents."""
        return self._of(RoutingRuleConfig)

    def dhcpv4_configs(self) -> tuple[DHCPv4Config, ...]:
        """DHCPv4Config documents."""
        return self._of(DHCPv4Config)

    def dhcpv6_configs(self) -> tuple[DHCPv6Config, ...]:
        """DHCPv6Config documents."""
        return self._of(DHCPv6Config)

    def layer2_vips(self) -> tuple[Layer2VIPConfig, ...]:
        """Layer2VIPConfig documents."""
        return self._of(Layer2VIPConfig)

    def run_default_dhcp_operators(self) -> bool:
        """True without any link-family or DHCP document: every physical link then gets default DHCPv4.

        Talos `RunDefaultDHCPOperators()`; one such document disables default DHCP and default link-up.
        """
        return not self.links() and not self.dhcpv4_configs() and not self.dhcpv6_configs()
