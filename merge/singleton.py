"""Merges of the singleton specs: hostname and time servers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from merge.keyed import by_id
from networkd.resources.ids import HOSTNAME_ID, TIME_SERVER_ID
from networkd.resources.network import HostnameSpec, TimeServerSpec


def merge_hostname(inputs: Iterable[tuple[str, HostnameSpec]]) -> dict[str, HostnameSpec]:
    """The highest layer with a hostname wins; within a layer the first by id; nothing without a hostname."""
    final: HostnameSpec | None = None
    for spec in by_id(inputs):
        if final is not None and final.hostname and spec.layer <= final.layer:
            continue
        final = spec
    return {HOSTNAME_ID: final} if final is not None and final.hostname else {}


def merge_time_servers(inputs: Iterable[tuple[str, TimeServerSpec]]) -> dict[str, TimeServerSpec]:
    """The highest layer wins; one layer's lists are concatenated in id order, NTS only if all ask for it."""
    final: TimeServerSpec | None = None
    for spec in by_id(inputs):
        if final is not None and final.time_servers:
            if spec.layer < final.layer:
                continue
            if spec.layer == final.layer:
                final = dataclasses.replace(
                    final,
                    time_servers=final.time_servers + spec.time_servers,
                    use_nts=final.use_nts and spec.use_nts,
                )
                continue
        final = spec
    return {TIME_SERVER_ID: final} if final is not None and final.time_servers else {}
