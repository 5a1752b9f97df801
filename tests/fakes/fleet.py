"""Many service instances in a few processes: one listening port per instance, on 127.0.0.1.

``Fleet(n, bodies, delay=0.1)`` starts ``processes`` children that together listen on ``n``
ports and answer ``GET /health``, ``/ready``, ``/live`` and ``/metrics`` with the given bodies
after ``delay`` seconds, keeping connections alive (HTTP/1.1) until the client asks for
``Connection: close``. ``unhealthy={index: mode}`` makes chosen instances misbehave
(``status503``: /health and /ready answer 503; ``bad_metrics``: /metrics is not exposition;
``closed``: the port is not listening). ``fleet.urls`` lists the instances in order.

It is a bare asyncio protocol, not a web framework: the fake must cost far less CPU than the
client it measures, since both share the machine.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import socket
from typing import Any

PATHS = ("/health", "/ready", "/live", "/metrics")


def lab_bodies(timeout: float = 30.0) -> dict[str, tuple[bytes, bytes]]:
    """What the real lab answers on its four endpoints: {path: (content type, body)}."""
    import tempfile
    import time
    import urllib.request
    from pathlib import Path

    from aiops.lab.process import LabProcess

    with tempfile.TemporaryDirectory(prefix="aiops-fleet-") as tmp:
        lab = LabProcess(Path(tmp))
        try:
            url = lab.announce(timeout)
            if not lab.wait_ready(timeout):
                raise RuntimeError(f"the lab did not become ready: {lab.why()}")
            time.sleep(1.5)  # one CPU sample and some traffic: the body at its usual size
            out = {}
            for path in PATHS:
                with urllib.request.urlopen(url + path, timeout=10) as resp:
                    out[path] = (resp.headers.get("Content-Type", "text/plain").encode(), resp.read())
            return out
        finally:
            lab.stop()


def _response(status: int, ctype: bytes, body: bytes, close: bool) -> bytes:
    reason = {200: b"OK", 503: b"Service Unavailable"}.get(status, b"Error")
    return (b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n"
            % (status, reason, ctype, len(body), b"Connection: close\r\n" if close else b"") + body)


def _responses(bodies: dict[str, tuple[bytes, bytes]], mode: str) -> dict[tuple[bytes, bool], bytes]:
    out = {}
    for path in PATHS:
        ctype, body = bodies[path]
        status = 200
        if mode == "status503" and path in ("/health", "/ready"):
            status, ctype, body = 503, b"text/plain", b"unavailable"
        if mode == "bad_metrics" and path == "/metrics":
            body = b"this is { not prometheus\n"
        for close in (False, True):
            out[(path.encode(), close)] = _response(status, ctype, body, close)
    for close in (False, True):
        out[(b"", close)] = _response(404, b"text/plain", b"not found", close)
    return out


class _Instance(asyncio.Protocol):
    """One connection: requests answered in order, each ``delay`` seconds after it arrived."""

    def __init__(self, loop: Any, table: dict, delay: float) -> None:
        self.loop, self.table, self.delay = loop, table, delay
        self.buf = b""
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while (end := self.buf.find(b"\r\n\r\n")) >= 0:
            head, self.buf = self.buf[:end], self.buf[end + 4:]
            parts = head.split(b" ", 2)
            path = parts[1] if len(parts) == 3 else b""
            close = b"connection: close" in head.lower()
            answer = self.table.get((path, close)) or self.table[(b"", close)]
            self.loop.call_later(self.delay, self._send, answer, close)

    def _send(self, answer: bytes, close: bool) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(answer)
        if close:
            self.transport.close()


def _serve(count: int, bodies: dict, delay: float, modes: dict[int, str], offset: int,
           ports_out: Any, stop: Any) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        tables = {mode: _responses(bodies, mode) for mode in {"healthy", *modes.values()}}
        servers, ports = [], []
        for i in range(count):
            mode = modes.get(offset + i, "healthy")
            if mode == "closed":  # a port nobody listens on: take one, then release it
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", 0))
                    ports.append(sock.getsockname()[1])
                continue
            table = tables[mode]
            server = await loop.create_server(lambda t=table: _Instance(loop, t, delay),
                                              "127.0.0.1", 0, backlog=128)
            servers.append(server)
            ports.append(server.sockets[0].getsockname()[1])
        ports_out.extend(ports)
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for server in servers:
            server.close()

    asyncio.run(main())


class Fleet:
    """``n`` instances over ``processes`` child processes; ``close()`` stops them."""

    def __init__(self, n: int, bodies: dict[str, tuple[bytes, bytes]], *, delay: float = 0.1,
                 processes: int = 1, unhealthy: dict[int, str] | None = None) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._manager = ctx.Manager()
        self._stop = self._manager.Event()
        self._procs, lists = [], []
        share = -(-n // processes)
        for p in range(processes):
            count = min(share, n - p * share)
            if count <= 0:
                break
            ports = self._manager.list()
            proc = ctx.Process(target=_serve, args=(count, bodies, delay, dict(unhealthy or {}),
                                                    p * share, ports, self._stop), daemon=True)
            proc.start()
            self._procs.append((proc, count))
            lists.append(ports)
        import time

        deadline = time.monotonic() + 120
        while any(len(ports) < count for ports, (_, count) in zip(lists, self._procs)):
            if time.monotonic() > deadline or any(not proc.is_alive() for proc, _ in self._procs):
                self.close()
                raise RuntimeError("the fleet did not start")
            time.sleep(0.05)
        self.urls = [f"http://127.0.0.1:{port}" for ports in lists for port in list(ports)]

    def close(self) -> None:
        self._stop.set()
        for proc, _ in self._procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
        self._manager.shutdown()

    def __enter__(self) -> "Fleet":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
