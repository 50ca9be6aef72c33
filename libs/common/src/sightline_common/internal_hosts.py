"""Whether a host a user named leads into the internal network.

Video sources and webhooks both make a service connect where a user says. Both refuse loopback,
private, link-local and metadata addresses unless a setting allows them, and both judge every
address the name resolves to at the time of the check (a name can resolve differently later, so
callers check again right before they connect).
"""

from __future__ import annotations

import ipaddress
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnresolvableHostError(ValueError):
    """The host is neither an address nor a name that resolves."""


def first_internal_address(host: str) -> Address | None:
    """The first address of `host` that is not global, or None when all of them are; raises
    UnresolvableHostError when the name does not resolve."""
    return next((address for address in _addresses(host) if not address.is_global), None)


def _addresses(host: str) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        raise UnresolvableHostError(f"{host} does not resolve: {exc}") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]
