"""Errors of the machine-config loader: every mistake found, each located by a field path."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One mistake: `path` names the field (see the package docstring), `message` says what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(Exception):
    """The configuration was rejected as a whole; `errors` lists every mistake, document by document."""

    def __init__(self, errors: tuple[FieldError, ...], source: str = "<config>") -> None:
        self.errors = errors
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.errors)
        header = f"{self.source}: invalid machine configuration ({count} error{'s' if count != 1 else ''})"
        return "\n".join([header, *(f"  {error}" for error in self.errors)])
