"""The `config` namespace: the machine configuration in force (MachineConfig, id `v1alpha1`)."""

from __future__ import annotations

from typing import Any

from networkd.resources.base import Spec, resource_type

CONFIG = "config"


@resource_type("MachineConfigs.config.talos.dev", "MachineConfig", CONFIG, sensitive=True)
class MachineConfig(Spec):
    """The machine configuration as its YAML text, which is also how it renders as a spec.

    Not a dataclass on purpose: `to_plain` renders any other object with `str()`, so the spec's YAML is
    the document itself (comments included), as Talos marshals MachineConfig.
    """

    __slots__ = ("_text",)
    _text: str

    def __init__(self, text: str) -> None:
        object.__setattr__(self, "_text", text)

    @property
    def text(self) -> str:
        """The YAML document(s)."""
        return self._text

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MachineConfig) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"MachineConfig({self._text!r})"
