"""Platform network configuration (`--platform-config`): Talos's PlatformConfig YAML, typed.

The file is what a Talos platform (cloud metadata, or META key 0xa on metal) produces: lists of
`addresses`, `links`, `routes`, `hostnames`, `resolvers`, `timeServers`, `operators`, `probes`,
plus `externalIPs` and `metadata`. Each list entry is a spec written with the field names and enum
words Talos uses in YAML (`linkName`, `family: inet4`, `bondMaster: {mode: 802.3ad}`, ...), so an
entry decodes straight into the networkd spec of the same name.

`load(text)` returns a `PlatformConfig` or raises `PlatformConfigError` listing every mistake as a
`FieldError` (the machine configuration's) located by a path such as `links[2].bondMaster.mode`.
Differences from Talos, which decodes with Go's lenient YAML: unknown keys, values of the wrong type,
addresses and prefixes without a prefix length, addresses of the wrong family, route destinations
with host bits set and VLAN ids outside 1..4095 are errors instead of being dropped or zeroed;
`metadata` is checked to be a mapping and otherwise not read. The YAML is read with the 1.2 core
schema (`on` is a string), as Go reads it.
"""

from networkd.platform.loader import FieldError, PlatformConfig, PlatformConfigError, load

__all__ = ["FieldError", "PlatformConfig", "PlatformConfigError", "load"]
