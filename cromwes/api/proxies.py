"""Which peers are proxies whose forwarding headers the gateway believes."""

import ipaddress
from collections.abc import Sequence


class TrustedProxies:
    """Addresses and CIDR networks (`server.trusted_proxies`); `*` trusts every peer."""

    def __init__(self, entries: Sequence[str]) -> None:
        self._everyone = "*" in entries
        self._networks = tuple(ipaddress.ip_network(e, strict=False) for e in entries if e != "*")

    def trusts(self, peer: str | None) -> bool:
        if self._everyone:
            return True
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False  # no IP peer (a Unix socket): nothing says it is the proxy
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # an IPv4 client of a dual-stack socket
        return any(address in network for network in self._networks)
