"""Hostname and time server merges (talos_other_cases.md §1.5, §1.6)."""

from merge import merge_hostname, merge_time_servers
from networkd.resources.enums import ConfigLayer
from networkd.resources.network import HostnameSpec, TimeServerSpec

HOSTNAMES = [
    ("default/hostname", HostnameSpec(hostname="foo", domainname="tld", layer=ConfigLayer.DEFAULT)),
    ("dhcp/eth0/hostname", HostnameSpec(hostname="eth-0", layer=ConfigLayer.OPERATOR)),
    ("dhcp/eth1/hostname", HostnameSpec(hostname="eth-1", layer=ConfigLayer.OPERATOR)),
    ("configuration/hostname", HostnameSpec(hostname="bar", domainname="com", layer=ConfigLayer.CONFIGURATION)),
]


def test_hostname() -> None:
    merged = merge_hostname(HOSTNAMES)
    assert list(merged) == ["hostname"]
    assert merged["hostname"].fqdn() == "bar.com"
    assert merge_hostname(HOSTNAMES[:3])["hostname"].fqdn() == "eth-0"


def test_hostname_same_layer_first_by_id_whatever_the_input_order() -> None:
    assert merge_hostname(list(reversed(HOSTNAMES[:3])))["hostname"].fqdn() == "eth-0"


def test_hostname_nothing_without_a_hostname() -> None:
    assert merge_hostname([]) == {}
    assert merge_hostname([("default/hostname", HostnameSpec(domainname="example.com"))]) == {}


DEFAULT_NTP = TimeServerSpec(time_servers=("time.cloudflare.com",), use_nts=True, layer=ConfigLayer.DEFAULT)
CONFIG_NTP = TimeServerSpec(time_servers=("my.ntp",), layer=ConfigLayer.CONFIGURATION)
TIME_SERVERS = [
    ("default/timeservers", DEFAULT_NTP),
    ("dhcp/eth0/timeservers", TimeServerSpec(time_servers=("ntp.eth0",), use_nts=True, layer=ConfigLayer.OPERATOR)),
    ("dhcp/eth1/timeservers", TimeServerSpec(time_servers=("ntp.eth1",), use_nts=True, layer=ConfigLayer.OPERATOR)),
    ("configuration/timeservers", CONFIG_NTP),
]


def test_time_servers() -> None:
    assert merge_time_servers(TIME_SERVERS) == {"timeservers": CONFIG_NTP}
    merged = merge_time_servers(TIME_SERVERS[:3])["timeservers"]
    assert merged.time_servers == ("ntp.eth0", "ntp.eth1")
    assert merged.use_nts is True
    assert merged.layer is ConfigLayer.OPERATOR
    assert merge_time_servers(TIME_SERVERS[:1]) == {"timeservers": DEFAULT_NTP}


def test_time_servers_same_layer_nts_is_and() -> None:
    a = TimeServerSpec(time_servers=("a",), use_nts=True, layer=ConfigLayer.OPERATOR)
    b = TimeServerSpec(time_servers=("b",), use_nts=False, layer=ConfigLayer.OPERATOR)
    merged = merge_time_servers([("dhcp/eth1/timeservers", b), ("dhcp/eth0/timeservers", a)])["timeservers"]
    assert merged.time_servers == ("a", "b")
    assert merged.use_nts is False


def test_time_servers_nothing_without_servers() -> None:
    assert merge_time_servers([("configuration/timeservers", TimeServerSpec(layer=ConfigLayer.CONFIGURATION))]) == {}
