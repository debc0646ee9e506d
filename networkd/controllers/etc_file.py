"""EtcFileController: renders resolv.conf and hosts (EtcFileSpec in `files`) from the network statuses."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence
from typing import TypeVar

from networkd.config import ConfigError, MachineConfig, load
from networkd.resources.base import Spec
from networkd.resources.config import CONFIG
from networkd.resources.config import MachineConfig as MachineConfigSpec
from networkd.resources.derived import HOST_DNS_CONFIG_ID, HostDNSConfig
from networkd.resources.enums import DNSProtocol
from networkd.resources.files import FILES, EtcFileSpec
from networkd.resources.ids import HOSTNAME_ID, MACHINE_CONFIG_ID, NODE_ADDRESS_DEFAULT_ID, RESOLVER_ID
from networkd.resources.network import NETWORK, HostnameStatus, NameServerSpec, NodeAddress, ResolverStatus
from networkd.resources.values import IPAddr
from networkd.runtime import Context, Controller, Input, Output, OutputKind

ETC_SELINUX_LABEL = "system_u:object_r:etc_t:s0"
LOCAL_DNS = ipaddress.IPv4Address("127.0.0.53")
"""Where the host DNS cache listens, when it is enabled."""
MAX_NAMESERVERS = 3
"""MAXNS of resolv.conf(5): the resolver ignores any further `nameserver` line."""

S = TypeVar("S", bound=Spec)


def pick_nameservers(resolver: ResolverStatus, host_dns: HostDNSConfig | None) -> list[IPAddr]:
    """The host DNS cache when enabled, else the plain-DNS (Do53) resolvers; DoT and DoH need the cache."""
    if host_dns is not None and host_dns.enabled:
        return [LOCAL_DNS]
    servers = resolver.name_servers or tuple(NameServerSpec(addr=a) for a in resolver.dns_servers)
    return [ns.addr for ns in servers if ns.protocol is DNSProtocol.DO53]


def render_resolv_conf(nameservers: Sequence[IPAddr], search_domains: Sequence[str]) -> str:
    """At most three `nameserver` lines, then a blank line and a `search` line if there are domains."""
    out = "".join(f"nameserver {ns}\n" for ns in nameservers[:MAX_NAMESERVERS])
    if search_domains:
        out += f"\nsearch {' '.join(search_domains)}\n"
    return out


def render_hosts(hostname: HostnameStatus | None, default: IPAddr | None,
                 extra: Sequence[tuple[str, Sequence[str]]]) -> str:
    """The static localhost lines, this node's default address and names, then the extra entries.

    Laid out as Go's tabwriter (padding 1, spaces) lays out Talos's file: the first column as wide as
    its longest cell plus one.
    """
    rows = [("127.0.0.1", "localhost")]
    if hostname is not None and default is not None:
        fqdn = hostname.fqdn()
        rows.append((str(default), fqdn if hostname.hostname == fqdn else f"{fqdn} {hostname.hostname}"))
    rows += [("::1", "localhost ip6-localhost ip6-loopback"), ("ff02::1", "ip6-allnodes"),
             ("ff02::2", "ip6-allrouters")]
    rows += [(ip, " ".join(names)) for ip, names in extra]
    width = max(len(ip) for ip, _ in rows) + 1
    return "".join(f"{ip:<{width}}{names}\n" for ip, names in rows)


def extra_hosts(cfg: MachineConfig | None) -> list[tuple[str, list[str]]]:
    """Legacy extraHostEntries then StaticHostConfig documents, merged by IP and sorted by its text."""
    by_ip: dict[str, list[str]] = {}
    if cfg is not None:
        legacy = cfg.v1alpha1.network if cfg.v1alpha1 is not None else None
        for entry in legacy.extra_host_entries if legacy is not None else ():
            by_ip.setdefault(str(entry.ip), []).extend(entry.aliases)
        for doc in cfg.static_hosts():
            by_ip.setdefault(str(doc.ip), []).extend(doc.hostnames)
    return sorted(by_ip.items())


@functools.lru_cache(maxsize=2)
def _parse(text: str) -> MachineConfig | ConfigError:
    try:
        return load(text, source="MachineConfig v1alpha1")
    except ConfigError as exc:
        return exc


class EtcFileController(Controller):
    """Renders `hosts` on every pass and `resolv.conf` once resolvers are known (Talos EtcFileController).

    Without a HostDNSConfig the host DNS cache counts as disabled. An invalid machine configuration is
    logged and rendered as none.
    """

    name = "network.EtcFileController"

    def __init__(self) -> None:
        self._rejected: str | None = None  # the invalid configuration text last warned about

    def inputs(self) -> Iterable[Input]:
        return [
            Input(CONFIG, MachineConfigSpec.TYPE, id=MACHINE_CONFIG_ID),
            Input(NETWORK, HostnameStatus.TYPE, id=HOSTNAME_ID),
            Input(NETWORK, ResolverStatus.TYPE, id=RESOLVER_ID),
            Input(NETWORK, NodeAddress.TYPE, id=NODE_ADDRESS_DEFAULT_ID),
            Input(NETWORK, HostDNSConfig.TYPE, id=HOST_DNS_CONFIG_ID),
        ]

    def outputs(self) -> Iterable[Output]:
        return [Output(EtcFileSpec.TYPE, OutputKind.SHARED)]

    async def run(self, ctx: Context) -> None:
        while True:
            await ctx.wait()
            hostname = _spec(ctx, NETWORK, HostnameStatus, HOSTNAME_ID)
            resolver = _spec(ctx, NETWORK, ResolverStatus, RESOLVER_ID)
            default = _spec(ctx, NETWORK, NodeAddress, NODE_ADDRESS_DEFAULT_ID)
            host_dns = _spec(ctx, NETWORK, HostDNSConfig, HOST_DNS_CONFIG_ID)

            if resolver is not None:
                contents = render_resolv_conf(pick_nameservers(resolver, host_dns), resolver.search_domains)
                ctx.put(FILES, "resolv.conf", EtcFileSpec(contents=contents, selinux_label=ETC_SELINUX_LABEL))

            address = default.addresses[0].ip if default is not None and default.addresses else None
            contents = render_hosts(hostname, address, extra_hosts(self._machine_config(ctx)))
            ctx.put(FILES, "hosts", EtcFileSpec(contents=contents, selinux_label=ETC_SELINUX_LABEL))

    def _machine_config(self, ctx: Context) -> MachineConfig | None:
        spec = _spec(ctx, CONFIG, MachineConfigSpec, MACHINE_CONFIG_ID)
        if spec is None:
            return None
        parsed = _parse(spec.text)
        if isinstance(parsed, ConfigError):
            if spec.text != self._rejected:
                ctx.logger.warning("ignoring the machine configuration for hosts: %s", parsed)
                self._rejected = spec.text
            return None
        return parsed


def _spec(ctx: Context, namespace: str, cls: type[S], id: str) -> S | None:
    """The spec of a declared input, or None."""
    res = ctx.get(namespace, cls.TYPE, id)
    return res.spec if res is not None and isinstance(res.spec, cls) else None
