"""The `files` namespace: files rendered under /etc (EtcFileSpec) and their written state (EtcFileStatus)."""

from __future__ import annotations

from dataclasses import dataclass

from networkd.resources.base import Spec, resource_type, yfield

FILES = "files"


@resource_type("EtcFileSpecs.files.talos.dev", "EtcFileSpec", FILES, sensitive=True)
@dataclass(frozen=True, slots=True, kw_only=True)
class EtcFileSpec(Spec):
    """A file to write under /etc (ids `hosts`, `resolv.conf`): contents, mode, SELinux label."""

    contents: str
    mode: int = 0o644
    selinux_label: str = yfield("selinux_label", default="")


@resource_type("EtcFileStatuses.files.talos.dev", "EtcFileStatus", FILES)
@dataclass(frozen=True, slots=True, kw_only=True)
class EtcFileStatus(Spec):
    """A file written under /etc, with the version of the spec it was written from."""

    spec_version: str
