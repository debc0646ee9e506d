"""Pure parser of the kernel command line's network arguments (Talos `ParseCmdlineNetwork`).

`parse(cmdline, links)` takes the whole command line and the host's links (for alias/altname resolution
and the default link) and returns a `CmdlineResult`: link configs, hostname, DNS and NTP servers, ignored
interfaces, link specs (ip= links, bond, VLAN) and one `CmdlineError` per rejected argument. No I/O.

Arguments: `ip=` (repeatable), `talos.hostname=`, `talos.network.interface.ignore=` (repeatable),
`bond=`, `vlan=`. It reproduces Talos's results on Talos's test vectors. Differences from Talos:

1. Errors are per argument: an invalid argument is reported and dropped, the others still apply. Talos
   stops at the first error and its controllers then ignore the whole command line.
2. Parameters are split as the kernel splits them (double quotes group whitespace and are removed; a
   bare `--` ends the kernel's parameters). Talos splits /proc/cmdline on whitespace and keeps quotes.
3. The links come from the caller. An `ip=` without a device uses the first physical link by name;
   Talos takes the host's first non-loopback interface, which may be a bridge, bond or veth. With no
   physical link that `ip=` is an error (Talos would configure a link named "").
4. `enx<mac>` names that match no name, alias or altname resolve to the one physical link with that
   hardware address (Talos 1.14 passes them through; older Talos did this for `ip=` and failed on a miss).
5. Autoconf: `dhcp` -> DHCPv4, `dhcp6` -> DHCPv6, `on`/`any` -> both (systemd's `DHCP=yes`), `both`
   -> DHCPv4 (the kernel's BOOTP+RARP), `off`/`none`/`auto6`/empty -> no DHCP; other values are
   rejected. Talos sets DHCP for `dhcp` only and silently ignores every other value.
6. Forms Talos rejects are accepted as dracut/systemd define them: `ip=<device>:<autoconf>[:<mtu>
   [:<macaddr>]]` for every autoconf above (Talos: `<device>:dhcp` only), and the long form ending in
   `:<mtu>[:<macaddr>]` instead of `:<dns0>:<dns1>:<ntp0>`. Input Talos accepts keeps its meaning.
7. Where Talos silently builds a broken config we report an error: a non-contiguous netmask (Talos:
   /0) or a prefix longer than the address (Talos: no address); an empty device, bond, slave, VLAN
   parent or ignored-link name (Talos: a link named ""); a negative or oversized bond integer (Talos
   wraps -1 to 4294967295); a known bond option without `=value` (Talos panics).
8. The `arp_ip_target` bond option is kept (IPv4, at most 16); Talos parses it, then drops it.
9. DNS and NTP servers repeated across `ip=` arguments are kept once; Talos keeps duplicates.
10. A second `talos.hostname=`, `bond=` or `vlan=` is reported (Talos silently uses the first), and so
    are the dracut network arguments networkd does not implement (`rd.route=`, `nameserver=`,
    `rd.peerdns=`, `bridge=`, `team=`, `ifname=`, `net.ifname-policy=`), which Talos ignores.
"""

# cmdline.model first, on its own: networkd.resources (whose enums cmdline.bond and cmdline.vlan use)
# imports CmdlineResult from this package, so it must be bound before those modules load.
from cmdline.model import BondSlave, CmdlineError, CmdlineResult, LinkConfig, LinkInfo, LinkSpec

# isort: split
from cmdline.bond import DEFAULT_BOND_SLAVES, BondMaster, fill_bond_defaults
from cmdline.parser import parse
from cmdline.vlan import VLANSpec, vlan_link_name

__all__ = [
    "DEFAULT_BOND_SLAVES",
    "BondMaster",
    "BondSlave",
    "CmdlineError",
    "CmdlineResult",
    "LinkConfig",
    "LinkInfo",
    "LinkSpec",
    "VLANSpec",
    "fill_bond_defaults",
    "parse",
    "vlan_link_name",
]
