"""`net.talos.dev` types read by the derived controllers that network.py does not define: HostDNSConfig and
NodeAddressSortAlgorithm (pkg/machinery/resources/network, same YAML names and columns)."""

from __future__ import annotations

from dataclasses import dataclass

from networkd.resources.base import Spec, resource_type, yfield
from networkd.resources.enums import AddressSortAlgorithm
from networkd.resources.network import NETWORK
from networkd.resources.values import IPAddr

HOST_DNS_CONFIG_ID = "config"
NODE_ADDRESS_SORT_ALGORITHM_ID = "default"


@resource_type("HostDNSConfigs.net.talos.dev", "HostDNSConfig", NETWORK, columns=(("Enabled", "{.enabled}"),))
@dataclass(frozen=True, slots=True, kw_only=True)
class HostDNSConfig(Spec):
    """The host DNS cache settings (id `config`); listen addresses as `addr:port` text."""

    enabled: bool = False
    listen_addresses: tuple[str, ...] = yfield(omitempty=True, default=())
    service_host_dns_address: IPAddr | None = yfield("serviceHostDNSAddress", omitempty=True, default=None)
    resolve_member_names: bool = yfield(omitempty=True, default=False)
    service_host_dns_address_v6: IPAddr | None = yfield("serviceHostDNSAddressV6", omitempty=True, default=None)


@resource_type("NodeAddressSortAlgorithms.net.talos.dev", "NodeAddressSortAlgorithm", NETWORK,
               columns=(("Algorithm", "{.algorithm}"),))
@dataclass(frozen=True, slots=True, kw_only=True)
class NodeAddressSortAlgorithm(Spec):
    """How NodeAddress lists are ordered (id `default`)."""

    algorithm: AddressSortAlgorithm = AddressSortAlgorithm.V1
