"""fast_init: the same constructor as the dataclass's, faster; refused where it could not be the same."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import KW_ONLY, InitVar, dataclass, field
from typing import Any

import pytest

from networkd.fastinit import fast_init
from networkd.resources.base import REGISTRY


def _pair() -> tuple[type, type]:
    """The same dataclass twice: as generated, and with fast_init."""

    def make() -> type:
        @dataclass(frozen=True, slots=True)
        class Sample:
            a: int
            b: str = "b"
            c: tuple[int, ...] = field(default_factory=lambda: (1, 2))
            _: KW_ONLY
            d: int = 4
            e: list[int] = field(default_factory=list)
            f: int

        return Sample

    return make(), fast_init(make())


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((1,), {"f": 6}),
    ((1, "x", (3,)), {"d": 0, "e": [9], "f": 6}),
    ((), {"a": 1, "b": "y", "f": 0}),
    ((), {}),  # missing a and f
    ((1,), {}),  # missing f
    ((1, "x", (), 4), {"f": 1}),  # too many positional
    ((1,), {"f": 1, "g": 2}),  # unknown keyword
    ((1,), {"a": 1, "f": 1}),  # a twice
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_same_objects_and_same_errors(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    generated, fast = _pair()
    try:
        want = generated(*args, **kwargs)
    except TypeError as e:
        with pytest.raises(TypeError) as got:
            fast(*args, **kwargs)
        assert str(got.value) == str(e).replace(generated.__qualname__, fast.__qualname__)
        return
    have = fast(*args, **kwargs)
    assert dataclasses.astuple(have) == dataclasses.astuple(want)
    assert repr(have) == repr(want)


def test_instances_stay_frozen_and_factories_make_fresh_values() -> None:
    _, fast = _pair()
    one, two = fast(1, f=2), fast(1, f=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.a = 5
    assert one == two
    assert one.e is not two.e
    assert dataclasses.replace(one, a=7).a == 7
    assert [p.name for p in inspect.signature(fast).parameters.values()] == list("abcdef")


def test_refuses_what_it_cannot_keep() -> None:
    @dataclass(slots=True)
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(frozen=True, slots=True)
    class Post:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True, slots=True)
    class Hidden:
        a: int
        b: int = field(default=0, init=False)

    @dataclass(frozen=True, slots=True)
    class WithInitVar:
        a: int
        scale: InitVar[int] = 1

    for cls in (Mutable, NoSlots, Post, Hidden, WithInitVar, int):
        with pytest.raises(TypeError, match="fast_init"):
            fast_init(cls)


def test_every_dataclass_spec_has_it() -> None:
    specs = [rt.spec_cls for rt in REGISTRY.values() if dataclasses.is_dataclass(rt.spec_cls)]
    assert specs
    for cls in specs:
        if dataclasses.fields(cls):
            assert "__fast_init_set0" in cls.__init__.__code__.co_names, cls
