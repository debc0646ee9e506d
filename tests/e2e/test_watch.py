"""`netctl get -w` shows kernel changes as they happen (the watch path end to end)."""

from __future__ import annotations

import json
import subprocess
import threading

from nslab import Lab, wait_for
from nslab.daemon import BIN, Networkd


def test_watch_shows_kernel_changes(lab: Lab) -> None:
    n1, n2 = lab.add_node("n1"), lab.add_node("n2")
    lab.veth(n1, n2)
    d = Networkd(n1).start()
    proc = subprocess.Popen([str(BIN / "netctl"), "--socket", str(d.socket), "get", "links", "-w"],
                            stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        wait_for(lambda: any(" eth0 " in f" {x} " for x in lines), timeout=10, what="bootstrap rows")
        assert lines[0].split()[:3] == ["NODE", "*", "NAMESPACE"]
        assert any(x.split()[1] == "+" and "eth0" in x.split() for x in lines[1:])
        n1.check(["ip", "link", "set", "eth0", "mtu", "1420"], uts_mount=False)
        wait_for(lambda: len([x for x in lines[1:] if "eth0" in x.split()]) >= 2, timeout=10, what="update row")
        update = [x for x in lines[1:] if "eth0" in x.split()][-1]
        assert update.split()[1] != "+"  # blank * column: updated
        n1.check(["ip", "link", "del", "eth0"], uts_mount=False)
        wait_for(lambda: any(x.split()[1:2] == ["-"] and "eth0" in x.split() for x in lines[1:]), timeout=10,
                 what="destroyed row")
    finally:
        proc.terminate()
        proc.wait(10)


def test_watch_yaml_carries_event(lab: Lab) -> None:
    n1, n2 = lab.add_node("n1"), lab.add_node("n2")
    lab.veth(n1, n2)
    d = Networkd(n1).start()
    proc = subprocess.Popen([str(BIN / "netctl"), "--socket", str(d.socket), "get", "link", "eth0", "-w", "-o",
                             "json"], stdout=subprocess.PIPE, text=True)
    out: list[str] = []
    threading.Thread(target=lambda: out.extend(iter(proc.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    try:
        wait_for(lambda: any(x.startswith("}") for x in out), timeout=10, what="first JSON document")
        n1.check(["ip", "link", "set", "eth0", "mtu", "1300"], uts_mount=False)

        wait_for(lambda: any(doc["event"] == "updated" and doc["spec"]["mtu"] == 1300 for doc in _docs(out)),
                 timeout=10, what="updated event with mtu 1300")
        assert _docs(out)[0]["event"] == "created"
    finally:
        proc.terminate()
        proc.wait(10)


def _docs(lines: list[str]) -> list[dict]:  # type: ignore[type-arg]
    """The complete JSON documents printed so far."""
    text, docs, pos, dec = "".join(lines), [], 0, json.JSONDecoder()
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        try:
            doc, pos = dec.raw_decode(text, pos)
        except json.JSONDecodeError:
            return docs
        docs.append(doc)
