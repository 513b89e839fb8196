"""Requests per second of GET /api/v1/comics/{job_id}/status against GET /health on the same server.

    python bench/polling.py [--connections 64] [--seconds 5]

Starts `python main.py` (offline providers, JSON files), makes a real job through the API, then
drives each endpoint for `seconds` with `connections` keep-alive HTTP/1.1 connections from a minimal
asyncio client (raw sockets, so the client costs far less than the server and the server is what is
measured). /health, which touches no storage, is the baseline. Target: status at least 0.8x of health.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.processes import free_port  # noqa: E402


async def hammer(port: int, path: str, connections: int, seconds: float) -> tuple[int, int]:
    """(answers, non-200 answers) over `seconds`."""
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    deadline = time.perf_counter() + seconds
    counts = [0, 0]

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                counts[0] += 1
                if not head.startswith(b"HTTP/1.1 200"):
                    counts[1] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return counts[0], counts[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            **os.environ,
            "DATA_DIR": str(Path(tmp) / "data"),
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "ENV": "development",
            "TEXT_PROVIDER": "offline",
            "IMAGE_PROVIDER": "offline",
            "STORAGE_BACKEND": "json",
        }
        server = subprocess.Popen(
            [sys.executable, "main.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=30) as client:
                while True:
                    try:
                        client.get("/health")
                        break
                    except httpx.TransportError:
                        if server.poll() is not None:
                            raise SystemExit("main.py exited") from None
                        time.sleep(0.02)  # waiting for the port; nothing is measured yet
                job_id = client.post(
                    "/api/v1/comics/scenes/generate", json={"topic": "teaching kids about safety", "num_scenes": 3}
                ).json()["job_id"]
                while client.get(f"/api/v1/comics/{job_id}/status").json()["status"] != "awaiting_input":
                    time.sleep(0.02)  # the job settles in well under a second
            results = {}
            for name, path in (("health", "/health"), ("status", f"/api/v1/comics/{job_id}/status")):
                answers, bad = asyncio.run(hammer(port, path, args.connections, args.seconds))
                if bad:
                    raise SystemExit(f"{name}: {bad} answers were not 200")
                results[name] = answers / args.seconds
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"{args.connections} connections, {args.seconds:.0f} s each, one server process (uvicorn)")
    print(f"GET /health (baseline): {results['health']:.0f} requests/s")
    print(
        f"GET /comics/{{id}}/status: {results['status']:.0f} requests/s, "
        f"{results['status'] / results['health']:.2f}x of health (target >= 0.8x)"
    )


if __name__ == "__main__":
    main()
