"""``herald local serve`` in a subprocess on free ports, for the e2e tests, the browser tests,
``make screenshots`` and the bench: started, waited for (``/health``), called, stopped."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def call(
    base: str, method: str, path: str, body: Any = None, auth: str | None = None
) -> tuple[int, Any]:
    """One JSON request to the local API: (status, decoded body or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if auth:
        request.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(log: Path, timeout: float = 60) -> Iterator[tuple[str, str]]:
    """Yields (API base URL, moto endpoint). The server writes to ``log`` (a file, not a pipe:
    nobody reads a pipe while the callers run, and a full one would block the server's next
    print); the log is printed if the server ends any other way than by the stop asked for."""
    port, aws_port = free_port(), free_port()
    command = [sys.executable, "-m", "herald_dev.cli", "local", "serve", "--port", str(port)]
    with log.open("w") as out:
        server = subprocess.Popen(
            [*command, "--aws-port", str(aws_port)], stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server, log, timeout)
        yield base, f"http://127.0.0.1:{aws_port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.returncode not in (0, -15):
            print(log.read_text())


@contextmanager
def serving(log: Path, timeout: float = 60) -> Iterator[str]:
    """:func:`serve`, for callers that need only the API's base URL."""
    with serve(log, timeout) as (base, _aws):
        yield base


def _wait_until_up(base: str, server: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"herald local serve exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise RuntimeError(f"herald local serve did not answer /health in {timeout:.0f}s")
