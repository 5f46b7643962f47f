"""The fake Bot API accepts anything from anyone, so it only ever talks to this computer."""

from __future__ import annotations

import ipaddress
import re

_PORT = re.compile(r"[0-9]{1,5}")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this computer only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_header_names_loopback(header: str | None, port: int) -> bool:
    """Whether a request's Host header is ``localhost`` or a loopback address, with ``port``.

    A web page can point a name of its own at 127.0.0.1 (DNS rebinding) and so reach the port
    as if it were its own site; its requests then carry that name, which this refuses.
    """
    if not header:
        return False
    if header.startswith("["):
        name, bracket, rest = header[1:].partition("]")
        if not bracket or not _is_ipv6(name):
            return False
    else:
        name, colon, port_part = header.partition(":")
        rest = colon + port_part
        if ":" in port_part:
            return False
    if rest and (not rest.startswith(":") or not _PORT.fullmatch(rest[1:])):
        return False
    header_port = int(rest[1:]) if rest else 80
    return header_port == port and is_loopback(name.lower())


def _is_ipv6(name: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(name), ipaddress.IPv6Address)
    except ValueError:
        return False
