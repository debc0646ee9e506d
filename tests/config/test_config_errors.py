"""Invalid configurations: every mistake is reported with its field path and a readable message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from networkd.config import ConfigError, FieldError, load

CASES = yaml.safe_load((Path(__file__).parent / "data" / "invalid.yaml").read_text())


def _errors(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        load(text)
    return [(error.path, error.message) for error in caught.value.errors]


def test_table_covers_enough_distinct_mistakes() -> None:
    names = [case["name"] for case in CASES]
    assert len(set(names)) == len(names)
    assert len(names) >= 25


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_invalid_config_is_rejected_with_exact_errors(case: dict[str, object]) -> None:
    assert _errors(str(case["config"])) == [tuple(error) for error in case["errors"]]  # type: ignore[attr-defined]


def test_deeply_nested_yaml_is_an_error_not_a_crash() -> None:
    assert _errors("a: " + "[" * 5000 + "]" * 5000 + "\n") == [("documents[0]", "invalid YAML: nested too deeply")]


def test_every_mistake_in_every_document_is_listed_document_by_document() -> None:
    text = """\
version: v1alpha1
machine:
  network:
    hostname: -bad-
    interfaces:
      - interface: eth0
        mtu: 10
        routes:
          - network: 10.0.0.0/33
---
apiVersion: v1alpha1
kind: LinkConfig
name: eth0
up: yes
---
apiVersion: v1alpha1
kind: LinkConfig
name: eth0
"""
    assert _errors(text) == [
        (
            "machine.network.interfaces[0].routes[0].network",
            "'10.0.0.0/33' is not a valid IP prefix (like 10.0.0.0/8 or fd00::/64)",
        ),
        ("machine.network.interfaces[0].mtu", "must be between 68 and 65535, got 10"),
        (
            "machine.network.hostname",
            "invalid hostname: label '-bad-' may only hold letters, digits and '-', and may not start or end with '-'",
        ),
        ("documents[1](LinkConfig eth0).up", "must be true or false, got a string ('yes')"),
        ("documents[2](LinkConfig eth0)", "duplicate document: documents[1](LinkConfig eth0) already configures this"),
    ]


def test_str_lists_all_errors_one_per_line() -> None:
    with pytest.raises(ConfigError) as caught:
        load("apiVersion: v1alpha1\nkind: VLANConfig\nname: eth0.5\n", source="/etc/networkd/config.yaml")
    assert caught.value.errors == (
        FieldError("documents[0](VLANConfig eth0.5).vlanID", "is required but missing"),
        FieldError("documents[0](VLANConfig eth0.5).parent", "is required but missing"),
    )
    assert str(caught.value).splitlines() == [
        "/etc/networkd/config.yaml: invalid machine configuration (2 errors)",
        "  documents[0](VLANConfig eth0.5).vlanID: is required but missing",
        "  documents[0](VLANConfig eth0.5).parent: is required but missing",
    ]


def test_other_subsystems_are_not_validated() -> None:
    """Outside the networking sections anything goes, including what Talos itself would reject."""
    config = load(
        """\
version: v1alpha1
machine:
  type: banana
  kubelet: [not, a, mapping]
  features: {rbac: maybe, stableHostname: true}
cluster: 42
---
apiVersion: v1alpha1
kind: VolumeConfig
whatever: {deeply: [nested]}
---
apiVersion: v9
kind: SomeFutureConfig
"""
    )
    assert config.ignored_kinds == ("VolumeConfig", "SomeFutureConfig")
    assert config.v1alpha1 is not None and config.v1alpha1.features.stable_hostname
