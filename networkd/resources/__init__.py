"""Resource types: metadata, specs, definitions."""

from networkd.resources import config, files, link, meta, network, runtime

__all__ = ["config", "files", "link", "meta", "network", "runtime"]
