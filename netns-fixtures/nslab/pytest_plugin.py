"""pytest plugin: the `lab` fixture, a per-test leak check and a session-wide leftover check.

Fixtures:
- `netns_capable` (session): skips, with the reason, unless we are root and `ip netns add` works.
- `lab`: a fresh Lab per test; after closing it, fails the test if a namespace with its token or a
  process it started is still alive (and then removes them).

At the end of the session, namespaces of every lab this process created (fixture or not) that are
still there are reported, removed, and make the run fail. Only this process's labs are checked:
other sessions on the same machine may be running labs of their own.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import sys
from collections.abc import Iterator

import pytest

from nslab.host import CommandError, list_namespaces, run
from nslab.lab import Lab, created_tokens, find_leaks, teardown


@functools.cache
def netns_unavailable_reason() -> str | None:
    """Why namespace tests cannot run here, or None if they can."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    missing = [tool for tool in ("ip", "unshare") if shutil.which(tool) is None]
    if missing:
        return f"missing tools: {', '.join(missing)}"
    probe = f"nwd{secrets.token_hex(3)}-probe"
    try:
        run(["ip", "netns", "add", probe])
    except CommandError as e:
        return f"cannot create a network namespace (no CAP_SYS_ADMIN?): {e}"
    run(["ip", "netns", "del", probe])
    return None


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker given to every test that uses a lab."""
    config.addinivalue_line("markers", "kernel: needs root and network namespaces")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that use namespaces `kernel`, so `-m "not kernel"` deselects them."""
    for item in items:
        if "netns_capable" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kernel)


@pytest.fixture(scope="session")
def netns_capable() -> None:
    """Skip the test unless network namespaces can be created here."""
    reason = netns_unavailable_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def lab(netns_capable: None) -> Iterator[Lab]:
    """A Lab closed after the test; the test fails if anything of it outlives the cleanup."""
    lab = Lab()
    try:
        yield lab
    finally:
        try:
            lab.close()
        finally:
            leaks = find_leaks(lab)
            if leaks:
                teardown(lab.prefix)
                pytest.fail(f"lab {lab.prefix} leaked after cleanup: " + "; ".join(leaks), pytrace=False)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run if a lab of this session left namespaces behind, and remove them."""
    tokens = created_tokens()
    if not tokens:
        return
    left = [ns for ns in list_namespaces() if any(ns.startswith(f"nwd{token}-") for token in tokens)]
    if not left:
        return
    for token in tokens:
        teardown(f"nwd{token}")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = f"nslab: namespaces left behind by this session (now removed): {' '.join(left)}"
    if reporter:
        reporter.write_line(message, red=True)
    else:
        print(message, file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
