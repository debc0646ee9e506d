"""Lease building and lease -> outputs, including Talos' dhcpparse vectors (talos_other_cases.md §3).

Mapping of Talos' specs onto :class:`LeaseOutputs` (all Talos specs: layer operator, link eth0):
  AddressSpec {address, family inet4, scope global, flags permanent, Priority} -> ``address`` +
  ``metric`` (family/scope/flags are constant and belong to the spec mapper);
  LinkSpec {MTU, Up} -> ``mtu``; RouteSpec {dst, gw, src, prio, scope} -> ``routes`` (src is
  always ``address.ip``; scope is link when ``gateway`` is None, else global; table main,
  protocol boot, type unicast are constant); HostnameSpec -> ``hostname``/``domain``;
  ResolverSpec -> ``resolvers``/``search_domains`` (Talos emits one when either is non-empty);
  TimeServerSpec -> ``time_servers`` (Talos keeps them as strings).
Not mappable: nothing in §3 beyond those constants.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

import pytest

from operators.dhcpv4.codec import ClasslessRoute, Message, MessageType, Op, Options, decode, encode
from operators.dhcpv4.lease import DEFAULT_LEASE_TIME, MIN_LEASE_TIME, Lease, Route, lease_outputs

A = IPv4Address
N = IPv4Network
DEFAULT = N("0.0.0.0/0")
SERVER = A("10.0.0.1")


def ack(yiaddr: str = "10.0.0.5", mask: str | None = "255.255.255.0", **options: Any) -> Message:
    """An ACK as it comes off the wire (encoded and decoded, so it is something a server can send)."""
    options = {"lease_time": 3600, **options}
    opts = Options(
        message_type=MessageType.ACK, server_id=SERVER, subnet_mask=None if mask is None else A(mask), **options
    )
    return decode(encode(Message(op=Op.BOOTREPLY, xid=1, chaddr=bytes(6), yiaddr=A(yiaddr), options=opts)))


def lease(message: Message, obtained: float = 100.0) -> Lease:
    return Lease.from_ack(message, obtained=obtained, server_id=SERVER)


def outputs(message: Message, *, use_hostname: bool = False, use_routes: bool = True) -> Any:
    return lease_outputs(lease(message), route_metric=1024, use_hostname=use_hostname, use_routes=use_routes)


def cl(dst: str, gw: str) -> ClasslessRoute:
    return ClasslessRoute(N(dst), A(gw))


# Talos dhcpparse vectors D1..D14 ------------------------------------------------------------------


def test_d1_basic_ack_router_in_subnet() -> None:
    out = outputs(ack(routers=(A("10.0.0.1"),)))
    assert (out.address, out.metric) == (IPv4Interface("10.0.0.5/24"), 1024)
    assert out.routes == (Route(DEFAULT, A("10.0.0.1"), 1024),)
    assert out.mtu is None and out.hostname is None
    assert out.resolvers == () and out.search_domains == () and out.time_servers == ()


def test_d2_router_outside_lease_subnet_gets_on_link_helper() -> None:
    out = outputs(ack(mask="255.255.255.255", routers=(A("10.0.0.1"),)))
    assert out.address == IPv4Interface("10.0.0.5/32")
    assert out.routes == (
        Route(DEFAULT, A("10.0.0.1"), 1024),
        Route(N("10.0.0.1/32"), None, 1024, on_link_helper=True),
    )


def test_d3_classless_wins_over_router() -> None:
    out = outputs(ack(routers=(A("10.0.0.1"),), classless_routes=(cl("0.0.0.0/0", "10.0.0.254"),)))
    assert out.routes == (Route(DEFAULT, A("10.0.0.254"), 1024),)


def test_d4_aws_ipv6_only_classless() -> None:
    gw = "169.254.0.1"
    out = outputs(
        ack(
            yiaddr="169.254.251.148",
            mask="255.255.255.255",
            classless_routes=(
                cl("169.254.169.123/32", gw),
                cl("169.254.169.249/32", gw),
                cl("169.254.169.254/31", gw),
            ),
        )
    )
    assert out.routes == (
        Route(N("169.254.169.123/32"), A(gw), 1024),
        Route(N("169.254.0.1/32"), None, 1024, on_link_helper=True),
        Route(N("169.254.169.249/32"), A(gw), 1024),
        Route(N("169.254.169.254/31"), A(gw), 1024),
    )


def test_d5_classless_on_link_router() -> None:
    out = outputs(ack(classless_routes=(cl("192.168.1.0/24", "0.0.0.0"),)))
    assert out.routes == (Route(N("192.168.1.0/24"), None, 1024),)


def test_d6_dns_ntp_mtu_hostname() -> None:
    out = outputs(
        ack(
            dns_servers=(A("8.8.8.8"), A("8.8.4.4")),
            ntp_servers=(A("169.254.169.123"),),
            hostname="myhost",
            domain_name="example.com",
            interface_mtu=0x05DC,
        ),
        use_hostname=True,
    )
    assert out.mtu == 1500
    assert out.resolvers == (A("8.8.8.8"), A("8.8.4.4"))
    assert out.search_domains == ("example.com",)
    assert out.time_servers == (A("169.254.169.123"),)
    assert (out.hostname, out.domain) == ("myhost", "example.com")


def test_d7_domain_search_option() -> None:
    out = outputs(ack(dns_servers=(A("8.8.8.8"),), domain_search=("corp.example.com", "example.com")))
    assert out.search_domains == ("corp.example.com", "example.com")


def test_d8_domain_name_appended() -> None:
    out = outputs(ack(domain_search=("corp.example.com",), domain_name="example.com"))
    assert out.search_domains == ("corp.example.com", "example.com")


def test_d9_domain_name_not_duplicated() -> None:
    out = outputs(ack(domain_search=("example.com", "corp.example.com"), domain_name="example.com"))
    assert out.search_domains == ("example.com", "corp.example.com")


def test_d10_search_domains_alone() -> None:
    out = outputs(ack(domain_name="example.com"))
    assert out.resolvers == () and out.search_domains == ("example.com",)


def test_d11_null_padded_domain_name() -> None:
    out = outputs(ack(dns_servers=(A("8.8.8.8"),), domain_name="\0\0"))
    assert out.resolvers == (A("8.8.8.8"),) and out.search_domains == ()


def test_d12_use_hostname_false() -> None:
    out = outputs(ack(hostname="myhost"), use_hostname=False)
    assert out.hostname is None and out.domain is None


def test_d13_use_routes_false_with_router() -> None:
    out = outputs(ack(routers=(A("10.0.0.1"),), dns_servers=(A("8.8.8.8"),)), use_routes=False)
    assert out.routes == ()
    assert out.address == IPv4Interface("10.0.0.5/24") and out.resolvers == (A("8.8.8.8"),)


def test_d14_use_routes_false_with_classless() -> None:
    out = outputs(ack(classless_routes=(cl("0.0.0.0/0", "10.0.0.254"),)), use_routes=False)
    assert out.routes == ()


# Our own policies ----------------------------------------------------------------------------------


def test_malformed_classless_option_falls_back_to_router() -> None:
    """Option 121 with a width of 45 is ignored as a whole, so option 3 applies (cf. NM's vector)."""
    message = ack(routers=(A("10.0.0.1"),), raw=((121, bytes.fromhex("18c0a80ac0a80101 2d0a114229")),))
    assert message.options.classless_routes == ()
    out = outputs(message)
    assert out.routes == (Route(DEFAULT, A("10.0.0.1"), 1024),)


def test_several_routers_and_duplicates() -> None:
    out = outputs(ack(mask="255.255.255.255", routers=(A("10.0.0.1"), A("10.0.0.2"), A("10.0.0.1"))))
    assert out.routes == (
        Route(DEFAULT, A("10.0.0.1"), 1024),
        Route(N("10.0.0.1/32"), None, 1024, on_link_helper=True),
        Route(DEFAULT, A("10.0.0.2"), 1024),
        Route(N("10.0.0.2/32"), None, 1024, on_link_helper=True),
    )


def test_route_metric_is_applied_everywhere() -> None:
    out = lease_outputs(lease(ack(mask="255.255.255.255", routers=(SERVER,))), route_metric=256)
    assert out.metric == 256 and {r.metric for r in out.routes} == {256}


@pytest.mark.parametrize(("mtu", "expected"), [(1500, 1500), (576, 576), (575, None), (68, None), (9000, 9000)])
def test_mtu_floor(mtu: int, expected: int | None) -> None:
    assert outputs(ack(interface_mtu=mtu)).mtu == expected


@pytest.mark.parametrize(
    ("hostname", "domain", "expected"),
    [
        ("myhost", None, ("myhost", None)),
        ("myhost.corp.example.com", None, ("myhost", "corp.example.com")),
        ("myhost.corp.example.com", "example.org", ("myhost", "example.org")),
        ("myhost\0\0", None, ("myhost", None)),  # Talos: trailing NULs trimmed
        ("myhost.", None, ("myhost", None)),
        ("-bad", "example.com", (None, None)),
        ("bad_host", None, (None, None)),
        ("ok", "evil\nnameserver 1.2.3.4", ("ok", None)),
        ("ok", "\0", ("ok", None)),
    ],
)
def test_hostname_rules(hostname: str, domain: str | None, expected: tuple[str | None, str | None]) -> None:
    out = outputs(ack(hostname=hostname, domain_name=domain), use_hostname=True)
    assert (out.hostname, out.domain) == expected


def test_invalid_option_15_stays_out_of_search_domains() -> None:
    assert outputs(ack(domain_name="evil\nnameserver 1.2.3.4")).search_domains == ()
    assert outputs(ack(domain_name="example.com.")).search_domains == ("example.com",)


def test_classful_prefix_without_subnet_mask() -> None:
    assert lease(ack("10.1.2.3", mask=None)).address == IPv4Interface("10.1.2.3/8")
    assert lease(ack("172.16.1.2", mask=None)).address == IPv4Interface("172.16.1.2/16")
    assert lease(ack("192.168.1.2", mask=None)).address == IPv4Interface("192.168.1.2/24")


# Timers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lease_time", "t1", "t2", "expected"),
    [
        (600, None, None, (300.0, 525.0)),
        (600, 200, 400, (200.0, 400.0)),
        (600, 400, 300, (300.0, 525.0)),  # T1 >= T2: both back to defaults
        (600, None, 700, (300.0, 525.0)),  # T2 >= lease
        (600, 0, 0, (300.0, 525.0)),
        (600, 500, None, (500.0, 525.0)),
        (600, 550, None, (300.0, 525.0)),  # T1 beyond default T2
        (600, None, 200, (300.0, 525.0)),  # default T1 >= given T2
    ],
)
def test_t1_t2_sanitising(lease_time: int, t1: int | None, t2: int | None, expected: tuple[float, float]) -> None:
    got = lease(ack(lease_time=lease_time, renewal_time=t1, rebinding_time=t2), obtained=0.0)
    assert (got.renewal_time, got.rebinding_time) == expected
    assert (got.renew_at, got.rebind_at, got.expires_at) == (*expected, float(lease_time))


def test_default_minimum_and_infinite_lease_time() -> None:
    message = ack()
    without = decode(encode(Message(op=Op.BOOTREPLY, xid=1, chaddr=bytes(6), yiaddr=message.yiaddr)))
    assert Lease.from_ack(without, obtained=0.0, server_id=SERVER).lease_time == DEFAULT_LEASE_TIME
    assert lease(ack(lease_time=0), obtained=0.0).lease_time == MIN_LEASE_TIME
    infinite = lease(ack(lease_time=0xFFFFFFFF))
    assert (infinite.lease_time, infinite.renew_at, infinite.rebind_at, infinite.expires_at) == (None,) * 4
    assert infinite.valid_at(1e12)


def test_valid_at() -> None:
    got = lease(ack(lease_time=600), obtained=100.0)
    assert got.valid_at(699.9) and not got.valid_at(700.0)


# Persistence ---------------------------------------------------------------------------------------


def test_json_round_trip_rebases_the_clock() -> None:
    full = lease(
        ack(
            routers=(A("10.0.0.1"),),
            classless_routes=(cl("10.1.0.0/16", "10.0.0.2"),),
            dns_servers=(A("8.8.8.8"),),
            domain_name="example.com",
            domain_search=("a.example.com",),
            ntp_servers=(A("10.0.0.3"),),
            interface_mtu=1400,
            hostname="node",
            broadcast_address=A("10.0.0.255"),
            renewal_time=100,
        ),
        obtained=50.0,
    )
    text = full.to_json(wall_offset=1_700_000_000.0)
    assert '"obtained": 1700000050.0' in text
    assert Lease.from_json(text, wall_offset=1_700_000_000.0) == full
    moved = Lease.from_json(text, wall_offset=1_700_000_040.0)  # the process restarted: clock rebased
    assert moved.obtained == 10.0
    infinite = lease(ack(lease_time=0xFFFFFFFF))
    assert Lease.from_json(infinite.to_json(wall_offset=0.0), wall_offset=0.0) == infinite


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "{}",
        '{"version": 2}',
        '{"version": 1, "address": "10.0.0.5/24"}',
        '{"version": 1, "address": "not an address"}',
    ],
)
def test_json_errors_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError):
        Lease.from_json(text, wall_offset=0.0)


def test_json_wrong_types_are_value_errors() -> None:
    good = lease(ack()).to_json(wall_offset=0.0)
    with pytest.raises(ValueError):
        Lease.from_json(good.replace('"hostname": null', '"hostname": 5'), wall_offset=0.0)
    with pytest.raises(ValueError):
        Lease.from_json(good.replace('"routers": []', '"routers": 5'), wall_offset=0.0)
