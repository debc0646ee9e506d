"""Which document kinds networkd reads, which it refuses, and which it leaves to other subsystems."""

from __future__ import annotations

import difflib
import re

#: Talos network kinds networkd does not implement: a config using one is refused, not half-applied.
UNSUPPORTED_NETWORK_KINDS = frozenset(
    {
        "BGPConfig",
        "BGPInstanceConfig",
        "BGPPeerConfig",
        "BlackholeRouteConfig",
        "EthernetConfig",
        "HCloudVIPConfig",
        "HTTPProbeConfig",
        "KubeSpanConfig",
        "KubeSpanEndpointsConfig",
        "LinkAliasConfig",
        "MacVLANConfig",
        "NetworkDefaultActionConfig",
        "NetworkLinkIngressConfig",
        "NetworkNATRuleConfig",
        "NetworkRuleConfig",
        "NetworkWifiConfig",
        "TCPProbeConfig",
        "VRFConfig",
        "VXLANConfig",
        "VethConfig",
    }
)

#: Talos kinds of other subsystems (block, CRI, Kubernetes, runtime, security, ...); accepted and ignored.
#: Kinds not listed are ignored too unless they look like network kinds (see `looks_like_network`).
OTHER_KINDS = frozenset(
    {
        "APIServerCAConfig",
        "APIServerConfig",
        "AdmissionControlConfig",
        "AggregatorCAConfig",
        "AuditPolicyConfig",
        "AuthenticationConfig",
        "AuthorizerConfig",
        "CPUPartitionConfig",
        "CPUScalingConfig",
        "CRIBaseRuntimeSpecConfig",
        "CRICustomizationConfig",
        "ContentLibraryConfig",
        "ControllerManagerConfig",
        "CoreDNSConfig",
        "DiscoveryIdentityConfig",
        "DiscoveryServiceConfig",
        "DiskSmartConfig",
        "EnvironmentConfig",
        "EtcFileConfig",
        "EtcdEncryptionConfig",
        "EventSinkConfig",
        "ExistingVolumeConfig",
        "ExtensionServiceConfig",
        "ExternalManifestConfig",
        "ExternalVolumeConfig",
        "FilesystemScrubConfig",
        "FilesystemTrimConfig",
        "FlannelConfig",
        "ImageCacheConfig",
        "ImageVerificationConfig",
        "InlineManifestConfig",
        "KernelModuleConfig",
        "KmsgLogConfig",
        "KubeClusterConfig",
        "KubeCredentialProviderConfig",
        "KubeNetworkConfig",
        "KubeNodeConfig",
        "KubePrismConfig",
        "KubeTalosAPIAccessConfig",
        "KubeletConfig",
        "OOMConfig",
        "PCIDriverRebindConfig",
        "ProxyConfig",
        "RawVolumeConfig",
        "RegistryAuthConfig",
        "RegistryMirrorConfig",
        "RegistryTLSConfig",
        "SchedulerConfig",
        "SecurityProfileConfig",
        "ServiceAccountConfig",
        "SideroLinkConfig",
        "StaticPodConfig",
        "SwapVolumeConfig",
        "SysctlConfig",
        "SysfsConfig",
        "UdevRulesConfig",
        "UnattendedInstallConfig",
        "UserVolumeConfig",
        "VirtualMachineConfig",
        "VolumeConfig",
        "WatchdogTimerConfig",
        "WorkloadResourceConfig",
        "ZswapConfig",
    }
)

_NETWORK_WORDS = frozenset(
    {
        "bgp",
        "bond",
        "bridge",
        "dhcp",
        "dns",
        "ethernet",
        "hostname",
        "link",
        "links",
        "nameserver",
        "nat",
        "network",
        "ntp",
        "probe",
        "resolver",
        "route",
        "routes",
        "routing",
        "veth",
        "vip",
        "vlan",
        "vrf",
        "vxlan",
        "wifi",
        "wireguard",
    }
)
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|[^A-Za-z]|$)|[A-Z]?[a-z]+")


def closest_network_kind(kind: str, known: frozenset[str]) -> str | None:
    """The known network kind `kind` most likely misspells (case-insensitive), if any."""
    by_lower = {name.lower(): name for name in known}
    match = difflib.get_close_matches(kind.lower(), list(by_lower), n=1, cutoff=0.85)
    return by_lower[match[0]] if match else None


def looks_like_network(kind: str, known: frozenset[str]) -> bool:
    """Whether an unrecognised kind is probably meant as a network document (a typo or a new kind)."""
    if kind in OTHER_KINDS:
        return False
    words = {word.lower() for word in _WORD.findall(re.sub(r"v\d+", "", kind))}
    return bool(words & _NETWORK_WORDS) or closest_network_kind(kind, known) is not None
