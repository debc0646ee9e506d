"""The dracut `vlan=<vlanname>:<phydevice>` argument and Talos's VLAN link naming.

As in Talos the VLAN id is the decimal number after the first `.` of the name, or after a `vlan` prefix,
and the link is always named by `vlan_link_name(<phydevice as written>, <id>)`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from cmdline._common import FieldError, go_atoi
from cmdline.links import LinkTable
from cmdline.model import LinkSpec
from networkd.resources.enums import VLANProtocol


@dataclass(frozen=True, slots=True)
class VLANSpec:
    """802.1Q tagging of a VLAN link."""

    vid: int
    protocol: VLANProtocol = VLANProtocol.Q8021


MAX_LINK_NAME = 15
"""IFNAMSIZ - 1: the longest link name the kernel accepts."""

_MAX_VID = 4095
_INT64 = (-(1 << 63), (1 << 63) - 1)


def vlan_link_name(parent: str, vid: int) -> str:
    """Talos `VLANLinkName`: the name of VLAN `vid` (0..4095) on `parent`.

    `<parent>.<vid>`, or when that could exceed 15 bytes, the parent's first 4 bytes, 6 hex digits of
    the parent's SHA-256 and `.<vid>`.
    """
    if not 0 <= vid <= _MAX_VID:
        raise ValueError(f"VLAN id {vid} is not in 0..{_MAX_VID}")
    raw = parent.encode("utf-8", "surrogatepass")
    if len(raw) + len(f".{_MAX_VID}") <= MAX_LINK_NAME:
        return f"{parent}.{vid}"
    digest = hashlib.sha256(raw).hexdigest()[:6]
    return f"{raw[:4].decode('utf-8', 'replace')}{digest}.{vid}"


def parse_vlan(value: str, links: LinkTable) -> LinkSpec:
    """The VLAN link spec; FieldError with Talos's messages when the value is invalid."""
    vlan_name, colon, phy = value.partition(":")
    _, dot, after_dot = vlan_name.partition(".")
    number = after_dot if dot else vlan_name.removeprefix("vlan") if vlan_name.startswith("vlan") else None
    if not colon or number is None:
        raise FieldError("vlanname", f"malformed vlan commandline argument: {value}")
    vid = go_atoi(number)
    if vid is None or not 1 <= vid <= _MAX_VID:
        shown = 0 if vid is None else min(max(vid, _INT64[0]), _INT64[1])  # what Go's Atoi reports
        raise FieldError("vlanname", f"invalid vlanID={shown}, must be in the range 1..{_MAX_VID}: {value}")
    if not phy:
        raise FieldError("phydevice", "empty parent device name")
    return LinkSpec(
        vlan_link_name(phy, vid),
        logical=True,
        kind="vlan",
        type="ether",
        parent_name=links.resolve(phy),
        vlan=VLANSpec(vid),
    )


def merge_vlan(specs: list[LinkSpec], vlan: LinkSpec) -> None:
    """Turn the first spec with the VLAN's name (say from `ip=`) into the VLAN, else append it."""
    for i, spec in enumerate(specs):
        if spec.name == vlan.name:
            specs[i] = replace(
                spec,
                up=True,
                logical=True,
                kind=vlan.kind,
                type=vlan.type,
                parent_name=vlan.parent_name,
                vlan=vlan.vlan,
            )
            return
    specs.append(vlan)
