"""Resolver merge: name servers and search domains folded across layers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from merge.keyed import by_id
from networkd.resources.enums import ConfigLayer
from networkd.resources.ids import RESOLVER_ID
from networkd.resources.network import NameServerSpec, ResolverSpec


def merge_resolvers(inputs: Iterable[tuple[str, ResolverSpec]]) -> dict[str, ResolverSpec]:
    """Fold by layer (low to high), as Talos does; nothing if no layer gave name servers.

    Same layer: name servers appended, search domains merged. Configuration layer: name servers
    replaced only if it has some; search domains replaced if overridden (even by none), else merged.
    Any other higher layer: name servers replaced, but the family it lacks is kept from below.
    Only name_servers of the inputs count (dns_servers is derived from them in the output).
    """
    layer = ConfigLayer.DEFAULT
    servers: list[NameServerSpec] | None = None
    search: list[str] = []
    for spec in sorted(by_id(inputs), key=lambda s: s.layer):
        if spec.layer == layer:
            if spec.name_servers:
                servers = [*(servers or []), *spec.name_servers]
            search = _merge_search_domains(search, spec.search_domains)
        elif spec.layer == ConfigLayer.CONFIGURATION:
            if spec.name_servers:
                servers = list(spec.name_servers)
            if spec.search_domains_overridden:
                search = list(spec.search_domains)
            else:
                search = _merge_search_domains(search, spec.search_domains)
        else:
            servers = _merge_name_servers(servers, spec.name_servers)
            search = _merge_search_domains(search, spec.search_domains)
        layer = spec.layer
    if servers is None:
        return {}
    merged = ResolverSpec(name_servers=tuple(servers), layer=layer, search_domains=tuple(search))
    return {RESOLVER_ID: merged.convert()}


def _merge_search_domains(dst: list[str], src: Sequence[str]) -> list[str]:
    """New domains of src go to the front, in src order; known ones keep their place."""
    merged = list(dst)
    pos = 0
    for domain in src:
        if domain not in merged:
            merged.insert(pos, domain)
            pos += 1
    return merged


def _merge_name_servers(dst: list[NameServerSpec] | None, src: Sequence[NameServerSpec]) -> list[NameServerSpec] | None:
    """src replaces dst, except that dst's IPv4 (or else IPv6) servers stay, after src's, if src has none."""
    if dst is None:
        return list(src) or None
    src_v4 = any(ns.addr.version == 4 for ns in src)
    src_v6 = any(ns.addr.version == 6 for ns in src)
    if not src_v4 and any(ns.addr.version == 4 for ns in dst):
        return [*src, *(ns for ns in dst if ns.addr.version == 4)]
    if not src_v6 and any(ns.addr.version == 6 for ns in dst):
        return [*src, *(ns for ns in dst if ns.addr.version == 6)]
    return list(src)
