"""Link-name resolution against the links the caller passes in (Talos `LinkResolver`)."""

from __future__ import annotations

from collections.abc import Sequence

from cmdline.model import LinkInfo


class LinkTable:
    """Resolves names, aliases and altnames to link names and picks the default link."""

    __slots__ = ("_by_mac", "_default", "_lookup")

    def __init__(self, links: Sequence[LinkInfo]) -> None:
        lookup: dict[str, str] = {}
        for link in links:
            for alias in (link.alias, *link.alt_names):
                if alias:
                    lookup[alias] = link.name
        for link in links:
            lookup[link.name] = link.name
        self._lookup = lookup
        by_mac: dict[str, list[str]] = {}
        for link in links:
            if link.physical and link.hardware_addr:
                by_mac.setdefault(link.hardware_addr.replace(":", "").lower(), []).append(link.name)
        self._by_mac = {mac: names[0] for mac, names in by_mac.items() if len(names) == 1}
        physical = sorted(link.name for link in links if link.physical)
        self._default = physical[0] if physical else None

    def resolve(self, name: str) -> str:
        """Resolve a name, alias or altname to the link's name (real names win, as in Talos).

        An unknown `enx<mac>` name resolves to the one physical link with that hardware address;
        anything else is returned as is.
        """
        if name in self._lookup:
            return self._lookup[name]
        if name.startswith("enx"):
            return self._by_mac.get(name[3:].lower(), name)
        return name

    @property
    def default_link(self) -> str | None:
        """The first physical link by name, used when `ip=` names no device."""
        return self._default
