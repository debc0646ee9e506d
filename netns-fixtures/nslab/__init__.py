"""nslab: throwaway network-namespace labs for networkd's kernel and end-to-end tests and the demo."""

from nslab.host import CommandError
from nslab.lab import LAN, Dnsmasq, Lab, LabError, Node, Veth, created_tokens, find_leaks, teardown
from nslab.process import Process
from nslab.wait import wait_for

__all__ = [
    "LAN",
    "CommandError",
    "Dnsmasq",
    "Lab",
    "LabError",
    "Node",
    "Process",
    "Veth",
    "created_tokens",
    "find_leaks",
    "teardown",
    "wait_for",
]
