"""Resource ids, built in one place exactly as Talos builds them (resources/network/network.go)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from networkd.resources.enums import ConfigLayer, Family, Operator, RoutingTable
from networkd.resources.network import OperatorSpec, ProbeSpec
from networkd.resources.values import IPAddr, IPInterface, IPPrefix, addr_text, prefix_text

HOSTNAME_ID = "hostname"
RESOLVER_ID = "resolvers"
TIME_SERVER_ID = "timeservers"
NETWORK_STATUS_ID = "status"
FIRST_HARDWARE_ADDR_ID = "first"
MACHINE_CONFIG_ID = "v1alpha1"

NODE_ADDRESS_DEFAULT_ID = "default"
NODE_ADDRESS_CURRENT_ID = "current"
NODE_ADDRESS_ROUTED_ID = "routed"
NODE_ADDRESS_ACCUMULATIVE_ID = "accumulative"


def layered_id(layer: ConfigLayer, id: str) -> str:
    """`<layer>/<id>`: the id of an unmerged spec in network-config."""
    return f"{layer}/{id}"


def address_id(link_name: str, address: IPInterface) -> str:
    """`<link>/<address>/<bits>`."""
    return f"{link_name}/{address}"


def link_id(link_name: str) -> str:
    """A link is keyed by its name."""
    return link_name


def route_id(
    table: RoutingTable,
    family: Family,
    destination: IPPrefix | None,
    gateway: IPAddr | None,
    priority: int,
    out_link_name: str,
) -> str:
    """`[<table>/][<outLink>/ if inet6]<family>/<gw>/<dst>/<priority>`; the table is left out when main.

    A configuration's 10,000 routes make 20,000 of these (their layered ids, then the merge): the enums'
    texts are read directly rather than through their `__format__`.
    """
    gw = "" if gateway is None else addr_text(gateway)
    dst = "" if destination is None else prefix_text(destination)
    text = f"{family._value_}/{gw}/{dst}/{priority}"
    if family == Family.INET6:
        text = f"{out_link_name}/{text}"
    return text if table == RoutingTable.MAIN else f"{table._value_}/{text}"


def routing_rule_id(family: Family, priority: int) -> str:
    """`<family>/<priority, 5 digits>`."""
    return f"{family}/{priority:05d}"


def operator_id(spec: OperatorSpec) -> str:
    """`<operator>/<link>`, and `/<ip>` for a VIP."""
    if spec.operator == Operator.VIP:
        ip = "" if spec.vip is None else str(spec.vip.ip)
        return f"{spec.operator}/{spec.link_name}/{ip}"
    return f"{spec.operator}/{spec.link_name}"


def probe_id(spec: ProbeSpec) -> str | None:
    """`tcp:<endpoint>` or `http:<url without user info>`; None when neither probe is set."""
    if spec.tcp is not None:
        return f"tcp:{spec.tcp.endpoint}"
    if spec.http is not None:
        url = urlsplit(spec.http.url)
        return "http:" + urlunsplit(url._replace(netloc=url.netloc.rpartition("@")[2]))
    return None


def filtered_node_address_id(kind: str, filter_id: str) -> str:
    """`<kind>-<filter>`, e.g. `current-no-k8s`."""
    return f"{kind}-{filter_id}"
