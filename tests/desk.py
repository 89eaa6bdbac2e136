"""``unionkit serve`` started as a user starts it, on a free port of loopback, for the tests
that need a real server (the browser, concurrent uploads)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(inbox: Path, config: Path, register: Path, workers: int = 1) -> Iterator[str]:
    """The desk's URL while it runs; stopped (SIGTERM, as a service manager stops it) after."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from toolkit.cli import main; main()", "serve", "--inbox",
         str(inbox), "--config", str(config), "--register", str(register), "--port", str(port),
         "--workers", str(workers)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/login", timeout=1)
            break
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stdout.read().decode("utf-8", "replace")) from None
            time.sleep(0.1)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def post_upload(url: str, code: str, path: Path, name: str) -> tuple[int, dict]:
    """``POST /api/upload`` of one file with a bearer code, as a script sends it: (status, JSON)."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\n"  # UTF-8, as browsers send it
            "Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + \
        f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url + "/api/upload", body, method="POST", headers={
        "Authorization": f"Bearer {code}",
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())
