"""The kernel command line alone configures a node; a config file overrides it by layer precedence."""

from __future__ import annotations

import yaml
from nslab import Lab, Node, wait_for
from nslab.daemon import Networkd

CMDLINE = "console=ttyS0 ip=10.5.0.21::10.5.0.1:255.255.255.0:cmdhost:eth0:off:10.5.0.1 ip=bogus:x:y:z:a:eth9:nope"


def v4(node: Node) -> set[str]:
    return {f"{a['local']}/{a['prefixlen']}" for i in node.ip_json("addr", "show", "eth0") for a in i["addr_info"]
            if a["family"] == "inet"}


def test_cmdline_configures_the_node_without_a_config(lab: Lab) -> None:
    n1, n2 = lab.add_node("n1"), lab.add_node("n2")
    lab.lan([n1, n2])
    d = Networkd(n1, cmdline=CMDLINE).start()
    wait_for(lambda: v4(n1) == {"10.5.0.21/24"}, timeout=10, what="cmdline address in the kernel")
    default = [r for r in n1.ip_json("route", "show", "default")]
    assert [(r["gateway"], r["dev"], r["metric"], r["protocol"]) for r in default] == [("10.5.0.1", "eth0", 1024, "78")]
    wait_for(lambda: d.hostname() == "cmdhost", timeout=10, what="hostname from ip= in the daemon's UTS namespace")
    assert "nameserver 10.5.0.1" in (d.etc_dir / "resolv.conf").read_text()

    # the same through netctl
    assert "10.5.0.21/24" in d.netctl("get", "addresses").stdout
    assert "cmdhost" in d.netctl("get", "hostname").stdout
    assert '["10.5.0.1"]' in d.netctl("get", "resolvers").stdout
    layered = d.netctl("get", "addressspecs", "--namespace", "network-config").stdout
    assert "cmdline/eth0/10.5.0.21/24" in layered
    # the malformed argument is reported, the good one applied
    cmd = yaml.safe_load(d.netctl("get", "cmdline", "-o", "yaml").stdout)
    errors = cmd["spec"]["network"]["errors"]
    assert len(errors) == 1 and errors[0]["argument"].startswith("ip=bogus") and errors[0]["field"]
    assert "kernel argument" in d.logs() and "ip=bogus" in d.logs()


def test_config_overrides_cmdline_by_layer(lab: Lab) -> None:
    n1, n2 = lab.add_node("n1"), lab.add_node("n2")
    lab.lan([n1, n2])
    config = ("apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: fromconfig\n---\n"
              "apiVersion: v1alpha1\nkind: LinkConfig\nname: eth0\naddresses:\n  - address: 10.5.0.31/24\n"
              "routes:\n  - gateway: 10.5.0.254\n    metric: 1024\n")
    d = Networkd(n1, cmdline=CMDLINE, config=config).start()
    wait_for(lambda: v4(n1) == {"10.5.0.21/24", "10.5.0.31/24"}, timeout=10, what="both layers' addresses")
    wait_for(lambda: d.hostname() == "fromconfig", timeout=10, what="configuration hostname wins")
    # the default route at metric 1024: the configuration layer's gateway wins over the cmdline's
    wait_for(lambda: [(r["gateway"], r["metric"]) for r in n1.ip_json("route", "show", "default")]
             == [("10.5.0.254", 1024)], timeout=10, what="configuration default route")
    spec = yaml.safe_load(d.netctl("get", "hostnamespec", "hostname", "-o", "yaml").stdout)["spec"]
    assert spec["layer"] == "configuration"
