"""Who is calling: the client address of an HTTP request, ``X-Forwarded-For`` trusted only from proxies.

``FLEETFLOW_TRUSTED_PROXIES`` lists proxy addresses or networks (comma-separated, e.g.
``127.0.0.1,10.0.0.0/8``); default none, so the forwarded header is ignored and the TCP
peer is the client. Behind a listed proxy the client is the right-most address of the
header that is not itself a trusted proxy (what the proxy saw, not what the client claims).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache

from fleetflow.errors import ConfigError

ENV = "FLEETFLOW_TRUSTED_PROXIES"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def parse_proxies(text: str) -> tuple[Network, ...]:
    """Networks in a comma-separated list of addresses or CIDRs; ConfigError on a bad entry."""
    out = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"{ENV}: {item!r} is not an address or network", hint="Use e.g. 127.0.0.1,10.0.0.0/8."
            ) from None
    return tuple(out)


def trusted_proxies() -> tuple[Network, ...]:
    """The configured proxies (none by default)."""
    return parse_proxies(os.environ.get(ENV, ""))


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(peer: str | None, headers: Mapping[str, str], proxies: Sequence[Network] = ()) -> str:
    """The client behind ``peer``: itself, unless it is a trusted proxy that forwarded the request."""
    current = peer or "unknown"
    if not proxies or not _trusted(current, proxies):
        return current
    forwarded = [h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(forwarded):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return current  # a garbled header: do not guess, count it against the proxy
        if not _trusted(hop, proxies):
            return hop
        current = hop
    return current
