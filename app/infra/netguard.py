"""Outgoing image downloads reach public addresses only.

A URL passing ALLOWED_IMAGE_HOSTS is not enough: a name can resolve (or be re-pointed, between a check
and the connection) to 127.0.0.1, 10.x, 169.254.169.254 and the like. So the check runs where the
socket is opened: the name is resolved once, every address is vetted, and the connection goes to a
vetted address (TLS still verifies the certificate against the name). Loopback, private, link-local,
shared, reserved and multicast addresses are refused unless ALLOWED_IMAGE_HOSTS names that address
itself, e.g. `127.0.0.1:9000` or `10.0.0.5` (or `localhost`): a host name never reaches one.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import typing
from collections.abc import Awaitable, Callable, Sequence

import anyio
import httpcore
import httpx

Resolver = Callable[[str, int], Awaitable[list[str]]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The download would have gone to an address that is not public and not named."""

    def __init__(self, host: str) -> None:
        super().__init__(
            f"{host} resolves to a private or loopback address, which is only fetched when "
            "ALLOWED_IMAGE_HOSTS names that address; nothing was downloaded"
        )
        self.host = host


async def system_resolver(host: str, port: int) -> list[str]:
    found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _ip(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public(address: Address) -> bool:
    return address.is_global and not address.is_multicast


def _split(entry: str) -> tuple[str, int | None]:
    entry = entry.strip().lower()
    if entry.startswith("["):  # [::1]:9000
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    host, sep, port = entry.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return entry, None


class GuardedNetwork(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the address check in `connect_tcp`."""

    def __init__(self, allowed_hosts: Sequence[str], *, resolver: Resolver | None = None) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.resolve = resolver or system_resolver
        # entries that name an address (or localhost) exactly: (host, port or None for any port)
        self.named: set[tuple[str, int | None]] = set()
        for entry in allowed_hosts:
            host, port = _split(entry)
            if "*" not in host and (_ip(host) is not None or host == "localhost"):
                self.named.add((str(_ip(host)) if _ip(host) else host, port))

    def _is_named(self, host: str, port: int) -> bool:
        return (host, port) in self.named or (host, None) in self.named

    async def vetted(self, host: str, port: int) -> list[str]:
        """The addresses `host` may be reached at; AddressRefused when there are none."""
        literal = _ip(host)
        if literal is not None:
            if is_public(literal) or self._is_named(str(literal), port):
                return [str(literal)]
            raise AddressRefused(host)
        named = host.lower() == "localhost" and self._is_named("localhost", port)
        try:
            addresses = await self.resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"could not resolve {host}") from exc
        usable = [a for a in addresses if (ip := _ip(a)) is not None and (is_public(ip) or named)]
        if not usable:
            raise AddressRefused(host)
        return usable

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 httpcore's signature
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for address in await self.vetted(host, port):
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 httpcore's signature
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(path)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, its connection pool opening sockets through GuardedNetwork."""

    def __init__(self, network: GuardedNetwork, *, ssl_context: ssl.SSLContext | None = None) -> None:
        context = ssl_context or httpx.create_ssl_context()  # honours SSL_CERT_FILE, like httpx's default
        super().__init__(verify=context)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            network_backend=network,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
        )


def guarded_client(
    allowed_hosts: Sequence[str],
    *,
    timeout: float,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    transport = GuardedTransport(GuardedNetwork(allowed_hosts, resolver=resolver), ssl_context=ssl_context)
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
