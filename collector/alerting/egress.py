"""The SSRF guard for notification targets (what Langfuse learned the hard way).

Only ``http``/``https``; the host is resolved and *every* address it resolves to must be a
public one — loopback, private (RFC 1918, ULA), link-local (169.254/16 holds the cloud
metadata service), CGNAT, multicast, reserved and unspecified ranges are refused unless
the channel sets ``allow_private: true``. The check runs before every attempt and
redirects are never followed (a 3xx is a failed delivery), so a redirect cannot lead a
request inside. Residual risk, documented in docs/alerting.md: a DNS answer that changes
between the check and the connection (rebinding) within one attempt.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

_METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data"}


class UnsafeTarget(ValueError):
    """A notification URL the guard refuses."""


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_url(url: str, allow_private: bool) -> None:
    """Raise UnsafeTarget unless ``url`` is http(s) to public addresses (or private is allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget(f"only http and https targets are allowed, not {parts.scheme!r}")
    host = parts.hostname
    if not host:
        raise UnsafeTarget("the URL has no host")
    if allow_private:
        return
    if host.lower().rstrip(".") in _METADATA_HOSTS:
        raise UnsafeTarget(f"{host} is a cloud metadata host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise UnsafeTarget(f"cannot resolve {host}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not _public(address):
            raise UnsafeTarget(
                f"{host} resolves to {address}, an internal address; set allow_private: true "
                "on the channel to allow it"
            )
