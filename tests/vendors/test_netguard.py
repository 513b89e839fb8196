"""Image downloads reach public addresses only, unless ALLOWED_IMAGE_HOSTS names the address itself.
The check is where the socket opens, so a name that resolves (or is re-pointed) to a private address
is refused before any byte is sent. A real local server stands in for the network."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import pytest
from PIL import Image

from app.infra.netguard import AddressRefused, GuardedNetwork
from external_services import DownloadFailed, ImageFetcher


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


class Local:
    def __init__(self) -> None:
        self.hits = 0
        body = png()
        local = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                local.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]


@pytest.fixture
def local() -> Iterator[Local]:
    server = Local()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def resolving_to(*addresses: str):
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return list(addresses)

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


async def test_a_named_host_resolving_to_loopback_is_refused_before_any_request(local: Local) -> None:
    fetcher = ImageFetcher([f"cdn.example:{local.port}"], max_bytes=1 << 20, resolver=resolving_to("127.0.0.1"))
    with pytest.raises(DownloadFailed) as refused:
        await fetcher.fetch(f"http://cdn.example:{local.port}/x.png")
    await fetcher.close()
    assert "private or loopback" in refused.value.reason and not refused.value.retryable
    assert local.hits == 0


async def test_an_address_named_exactly_is_fetched(local: Local) -> None:
    fetcher = ImageFetcher([f"127.0.0.1:{local.port}"], max_bytes=1 << 20)
    image = await fetcher.fetch(f"http://127.0.0.1:{local.port}/x.png")
    await fetcher.close()
    assert (image.width, image.height, local.hits) == (8, 8, 1)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.7",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.9",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00::5",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
async def test_names_resolving_to_any_non_public_address_are_refused(address: str) -> None:
    network = GuardedNetwork(["*.fal.media", "fal.media"], resolver=resolving_to(address))
    with pytest.raises(AddressRefused):
        await network.vetted("v3.fal.media", 443)


async def test_only_the_public_addresses_of_a_name_are_used_and_the_socket_goes_to_one(monkeypatch) -> None:
    network = GuardedNetwork(["*.fal.media"], resolver=resolving_to("10.1.2.3", "8.8.8.8", "::1"))
    assert await network.vetted("v3.fal.media", 443) == ["8.8.8.8"]
    opened: list[tuple[str, int]] = []

    async def connect(host: str, port: int, **kwargs: object) -> object:
        opened.append((host, port))
        raise httpcore.ConnectError("no network here")

    monkeypatch.setattr(network.inner, "connect_tcp", connect)
    with pytest.raises(httpcore.ConnectError):
        await network.connect_tcp("v3.fal.media", 443)
    assert opened == [("8.8.8.8", 443)]  # the vetted address, never the name resolved a second time


async def test_address_entries_allow_only_that_address_and_port() -> None:
    network = GuardedNetwork(
        ["127.0.0.1:9000", "10.0.0.5", "localhost:7000", "*.internal"], resolver=resolving_to("127.0.0.1")
    )
    assert await network.vetted("127.0.0.1", 9000) == ["127.0.0.1"]
    assert await network.vetted("10.0.0.5", 1234) == ["10.0.0.5"]
    assert await network.vetted("localhost", 7000) == ["127.0.0.1"]
    for host, port in (("127.0.0.1", 9001), ("10.0.0.6", 80), ("localhost", 7001), ("db.internal", 5432)):
        with pytest.raises(AddressRefused):
            await network.vetted(host, port)
    with pytest.raises(AddressRefused):
        await network.connect_unix_socket("/var/run/docker.sock")
