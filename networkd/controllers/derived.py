"""The controllers that derive state from the merged specs and observed statuses (not netlink appliers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from networkd.controllers.etc_file import EtcFileController
from networkd.controllers.etc_file_spec import EtcFileSpecController
from networkd.controllers.hardware_addr import HardwareAddrController
from networkd.controllers.hostname_spec import HostnameSpecController
from networkd.controllers.network_status import StatusController
from networkd.controllers.node_address import NodeAddressController
from networkd.controllers.node_address_sort_algorithm import NodeAddressSortAlgorithmController
from networkd.controllers.resolver_spec import ResolverSpecController
from networkd.controllers.timeserver_spec import TimeServerSpecController
from networkd.runtime import Controller

if TYPE_CHECKING:
    from networkd.daemon import Options


def derived_controllers(opts: Options) -> list[Controller]:
    """Hostname, resolver and time server statuses, /etc files (written into `opts.etc_dir`), node
    addresses and their sort algorithm, the first hardware address, and network readiness.

    The hostname controller sets the names of the UTS namespace the daemon runs in.
    """
    return [
        HostnameSpecController(),
        ResolverSpecController(),
        TimeServerSpecController(),
        EtcFileController(),
        EtcFileSpecController(opts.etc_dir),
        NodeAddressSortAlgorithmController(),
        NodeAddressController(),
        HardwareAddrController(),
        StatusController(),
    ]
