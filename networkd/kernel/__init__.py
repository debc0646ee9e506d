"""The kernel edge: the only package that imports pyroute2.

- `types`: neutral frozen records (KernelLink, KernelAddress, KernelRoute, KernelRule, ...) and
  kernel constants, including RTPROT_NETWORKD, the protocol tag of everything networkd installs.
- `messages`: pure request builders (no I/O), unit-tested on the attributes they produce.
- `codec`: pyroute2 messages in and out.
- `netlink.Netlink`: async dumps and idempotent mutations; `monitor.Monitor`: coalesced change kinds.
- `errors.KernelError`: every refusal, with errno and the object it was about.
- `genetlink`: a raw generic netlink socket (family ids, ACKed requests, dumps) and `KernelWireguard`.

Import from the submodules: `types`, `messages` and `errors` load without pyroute2; `_pyroute2` (run first,
here) lets the others load only the pyroute2 modules they use.
"""

from networkd.kernel import _pyroute2  # noqa: F401  (first: pyroute2 without its __init__)
