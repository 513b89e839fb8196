"""The vendor fakes over a real socket, so the service can be pointed at them as at the real thing.

    python -m tests.fakes.server --port 9443 --cert-dir /tmp/fake-certs [--image-latency 0.5]

Serves, over HTTPS with a throw-away CA (written to CERT_DIR/ca.pem; point SSL_CERT_FILE at it):
OpenAI under /v1/ (OPENAI_BASE_URL=https://127.0.0.1:PORT/v1) and fal's queue and CDN at the root
(FAL_RUN_HOST=FAL_QUEUE_RUN_HOST=127.0.0.1:PORT, ALLOWED_IMAGE_HOSTS=127.0.0.1:PORT).
With --supabase-dsn DSN it is also a Supabase project (SUPABASE_URL=https://127.0.0.1:PORT): PostgREST
over that database, which must hold the migration, and Storage in memory (see tests/fakes/supabase.py).
GET /_calls answers what each fake received.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import httpx
import trustme
import uvicorn

from tests.fakes.fal import FakeFal
from tests.fakes.openai import FakeOpenAI
from tests.fakes.supabase import FakeSupabase


class VendorServer:
    def __init__(self, base: str, image_latency: float, supabase: FakeSupabase | None = None) -> None:
        self.openai = FakeOpenAI()
        self.fal = FakeFal(queue=base, cdn=base, latency=image_latency)
        self.supabase = supabase

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()  # startup
            await send({"type": "lifespan.startup.complete"})
            await receive()  # shutdown
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        query = scope["query_string"].decode("latin-1")
        url = f"https://{dict(headers).get('host', 'fake')}{scope['path']}" + (f"?{query}" if query else "")
        request = httpx.Request(scope["method"], url, headers=headers, content=body)
        if scope["path"] == "/_calls":
            response = httpx.Response(
                200,
                json={
                    "openai": [p for p, _ in self.openai.requests],
                    "fal": [s.endpoint for s in self.fal.submissions],
                    "fal_arguments": [s.arguments for s in self.fal.submissions],
                    "downloads": self.fal.downloads,
                },
            )
        elif self.supabase and scope["path"].startswith(("/rest/v1/", "/storage/v1/")):
            response = self.supabase.handle(request)
        elif scope["path"].startswith("/v1/"):
            response = self.openai.handle(request)
        else:
            response = self.fal.handle(request)
        content = response.read()
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [
                    (k.encode(), v.encode())
                    for k, v in response.headers.items()
                    if k.lower() not in ("content-length", "transfer-encoding")
                ]
                + [(b"content-length", str(len(content)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": content})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert-dir", type=Path, required=True)
    parser.add_argument("--image-latency", type=float, default=0.0)
    parser.add_argument("--supabase-dsn", help="also be a Supabase project (PostgREST and Storage) over this database")
    parser.add_argument("--supabase-key", default="service-role-key")
    args = parser.parse_args()
    args.cert_dir.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    authority.cert_pem.write_to_path(str(args.cert_dir / "ca.pem"))
    certificate.private_key_and_cert_chain_pem.write_to_path(str(args.cert_dir / "server.pem"))
    base = f"https://127.0.0.1:{args.port}"
    supabase = FakeSupabase(args.supabase_dsn, key=args.supabase_key, base=base) if args.supabase_dsn else None
    app = VendorServer(base, args.image_latency, supabase)
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="warning", ssl_certfile=str(args.cert_dir / "server.pem")
    )


if __name__ == "__main__":
    main()
