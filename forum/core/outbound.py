"""Requests the server makes to addresses people gave it (webhooks, followed feeds, ``forum
import`` of a URL), kept to the internet.

An admin's URL, or a feed's redirect, must not make the server reach what only it can reach:
its loopback, the private network, a cloud's metadata service (169.254.169.254). So the host
is resolved at each connection, every address it resolves to must be public, and the socket
goes to the address that was checked (a second lookup could answer differently). HTTPS is
verified against the host's name as usual. No proxy from the environment is used (it would
make the connection, not us), and a redirect is a new connection checked the same way.

``OUTBOUND_ALLOW_INTERNAL`` (forum.cfg) lifts the check: for tests, and a receiver or a blog
on the same machine.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from urllib.parse import urljoin, urlsplit

from flask import current_app

# IPv6 prefixes that carry an IPv4 address inside (NAT64, 6to4 is read by ipaddress itself).
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv4-compatible addresses (::a.b.c.d, deprecated): Python 3.11 calls ::127.0.0.1 global, yet
# a host with IPv6-in-IPv4 tunnelling sends it to the IPv4 address inside.
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# RFC 8215's NAT64 prefix for a network's own translator, which reaches its private addresses.
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


class InternalTarget(OSError):
    """A host is, or resolves to, an address inside the network (loopback, private,
    link-local, reserved): the server does not connect there."""

    def __init__(self, host: str, address: str):
        super().__init__(
            f"{host} is an internal address ({address}); the server does not connect there"
        )
        self.host = host
        self.address = address


def internal_targets_allowed() -> bool:
    """``OUTBOUND_ALLOW_INTERNAL`` (forum.cfg): for tests and a service on the same machine."""
    return bool(current_app.config.get("OUTBOUND_ALLOW_INTERNAL", False))


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if address in LOCAL_NAT64:
            return False
        if inner is None and (address in NAT64 or address in IPV4_COMPATIBLE):
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is None and address.teredo:
            inner = address.teredo[1]
        if inner is not None and not _is_public(inner):
            return False
    return address.is_global and not address.is_multicast


def public_address(host: str, port: int) -> str:
    """The address to connect to for ``host``: the first it resolves to, when every one is
    public. Raises InternalTarget, or OSError when the name does not resolve. The caller
    connects to the address returned, so a second lookup cannot answer differently."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        raise InternalTarget(host, "localhost")
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    for address in addresses:
        if not _is_public(address):
            raise InternalTarget(host, str(address))
    if not addresses:
        raise OSError(f"{host} has no address")
    return str(addresses[0])


def host_and_port(url: str) -> tuple[str, int] | None:
    """The host and port an http(s) URL connects to; None when it is not one (a malformed
    host such as ``http://[::1/`` included)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not host or parts.scheme not in ("http", "https"):
        return None
    return host, port


def check_target(host: str, port: int) -> None:
    """Refuse ``host`` now, as a connection would: InternalTarget, or OSError when it has no
    address. Nothing is checked when internal targets are allowed."""
    if not internal_targets_allowed():
        public_address(host, port)


class _CheckedConnection(http.client.HTTPConnection):
    """Connects to the address ``public_address`` checked, not to a second lookup's."""

    def __init__(self, *args, allow_internal: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_internal = allow_internal

    def connect(self) -> None:
        address = self.host if self.allow_internal else public_address(self.host, self.port)
        self.sock = self._secure(
            socket.create_connection((address, self.port), self.timeout, self.source_address)
        )

    def _secure(self, sock: socket.socket) -> socket.socket:
        return sock


class _CheckedHTTPSConnection(_CheckedConnection, http.client.HTTPSConnection):
    def _secure(self, sock: socket.socket) -> socket.socket:
        # The certificate is checked against the name, as for any https request.
        return self._context.wrap_socket(sock, server_hostname=self.host)


class _CheckedHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """Opens http:// and https:// URLs with the checked connections."""

    def __init__(self, allow_internal: bool):
        super().__init__()
        self.allow_internal = allow_internal

    def http_open(self, req):
        connection = functools.partial(_CheckedConnection, allow_internal=self.allow_internal)
        return self.do_open(connection, req)

    def https_open(self, req):
        connection = functools.partial(_CheckedHTTPSConnection, allow_internal=self.allow_internal)
        return self.do_open(connection, req, context=self._context)


class RedirectRefused(OSError):
    """A redirect to an address that is not http(s) (file:, data:, ftp:…)."""


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows at most ``hops`` redirects, to http(s) addresses only; each is opened by the
    checked handler, so its address is checked like the first. Past the limit the 3xx is
    raised as an HTTPError."""

    def __init__(self, hops: int):
        super().__init__()
        self.max_redirections = self.max_repeats = hops

    def http_error_302(self, req, fp, code, msg, headers):
        location = headers.get("Location") or headers.get("URI") or ""
        if urlsplit(urljoin(req.full_url, location)).scheme not in ("http", "https"):
            fp.close()
            raise urllib.error.URLError(
                RedirectRefused(f"redirected to {location[:200]}, which is not an http(s) address")
            )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def opener(max_redirects: int = 0) -> urllib.request.OpenerDirector:
    """An opener for http(s) URLs that connects only to public addresses (unless
    ``OUTBOUND_ALLOW_INTERNAL``), uses no proxy and opens no other scheme. With
    ``max_redirects=0`` a 3xx is an HTTPError, like any answer other than 2xx."""
    director = urllib.request.OpenerDirector()
    handlers = [
        _CheckedHandler(internal_targets_allowed()),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ]
    if max_redirects:
        handlers.append(_Redirects(max_redirects))
    for handler in handlers:
        director.add_handler(handler)
    return director
