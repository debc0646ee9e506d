"""Decoding the config of bench/config_apply.py (200 addresses + 10,000 routes): the line decoder against libyaml.

Usage: .venv/bin/python bench/config_decode.py [--addresses 200] [--routes 10000] [--runs 5]

Prints the best of `--runs` (time.perf_counter) for `decode_stream` and for the whole `networkd.config.load`
(its cache cleared each time), each with the line decoder of the plain subset and without it (what
`decode_stream` did before: libyaml's composer and the one-pass constructor).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from config_apply import addresses, networkd_config, routes

from networkd.config import _yaml, loader


def best(runs: int, call: Callable[[], object]) -> float:
    """The shortest of `runs` calls, in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def load(text: str) -> None:
    """networkd.config.load without its cache."""
    loader._load.cache_clear()
    loader.load(text)


def report(label: str, text: str, runs: int) -> None:
    """One line: decode_stream and load, best of `runs`."""
    decode = best(runs, lambda: _yaml.decode_stream(text))
    whole = best(runs, lambda: load(text))
    print(f"{label:>12}: decode_stream {decode:6.1f} ms, load {whole:6.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--addresses", type=int, default=200)
    ap.add_argument("--routes", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    text = networkd_config(addresses(args.addresses), routes(args.routes))
    if _yaml._decode_plain(text) is None:
        raise SystemExit("the line decoder does not take the bench's config")
    print(f"config: {len(text)} bytes, {text.count(chr(10))} lines; best of {args.runs}")
    report("line decoder", text, args.runs)
    plain = _yaml._decode_plain
    _yaml._decode_plain = lambda text: None
    try:
        report("libyaml", text, args.runs)
    finally:
        _yaml._decode_plain = plain
    return 0


if __name__ == "__main__":
    sys.exit(main())
