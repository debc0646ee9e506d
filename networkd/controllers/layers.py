"""The configuration layers: the controllers writing unmerged specs into network-config, and their inputs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from networkd.controllers.address_config import AddressConfigController
from networkd.controllers.hostname_config import HostnameConfigController
from networkd.controllers.link_config import LinkConfigController
from networkd.controllers.machine_config import MachineConfigController
from networkd.controllers.operator_config import OperatorConfigController
from networkd.controllers.platform_config import PlatformConfigApplyController
from networkd.controllers.resolver_config import ResolverConfigController
from networkd.controllers.route_config import RouteConfigController
from networkd.controllers.routing_rule_config import RoutingRuleConfigController
from networkd.controllers.timeserver_config import TimeServerConfigController
from networkd.runtime import Controller

if TYPE_CHECKING:
    from networkd.daemon import Options


def layer_controllers(opts: Options) -> list[Controller]:
    """MachineConfig from the state directory or `--config`; platform specs from `--platform-config`; and
    the default, cmdline and configuration layers of every spec type (the cmdline comes from the
    KernelCmdline resource)."""
    return [
        MachineConfigController(opts.state_dir, opts.config),
        PlatformConfigApplyController(opts.platform_config),
        AddressConfigController(),
        LinkConfigController(),
        RouteConfigController(),
        RoutingRuleConfigController(),
        HostnameConfigController(),
        ResolverConfigController(),
        TimeServerConfigController(),
        OperatorConfigController(),
    ]
