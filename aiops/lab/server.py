"""Run the lab: bind the port, announce where it listens, serve with uvicorn until a signal.

``serve()`` binds the socket itself so that ``--port 0`` picks a free port and a port in
use is a clean UsageError (exit 2). The first line it hands to ``announce`` is the
machine-readable ``{"url": ..., "pid": ...}`` line; logs start after it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass
from typing import Any, Callable

from aiops.core.errors import UsageError
from aiops.lab.faults import format_fault
from aiops.lab.service import LabConfig

log = logging.getLogger("active_inference.service")


@dataclass
class ServeOptions:
    """Where to listen and where the logs go."""

    host: str = "127.0.0.1"
    port: int = 8000
    log_file: str | None = None
    log_level: str = "info"
    ship: Any = None  # aiops.lab.shipping.ShipTarget or None
    tracing: Any = None  # aiops.lab.tracing.TracingOptions or None


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0 = any free port); UsageError when impossible."""
    if not 0 <= port <= 65535:
        raise UsageError(f"port {port} is outside 0-65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"cannot listen on host '{host}': {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    # proto must be IPPROTO_TCP (as getaddrinfo says), not 0: asyncio only sets TCP_NODELAY on
    # accepted sockets whose proto is TCP, and without it Nagle adds ~40 ms to keep-alive replies.
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is already in use",
                             hint="choose another --port, or --port 0 for a free one") from None
        if exc.errno == errno.EACCES:
            raise UsageError(f"not allowed to listen on {host}:{port}",
                             hint="ports below 1024 need privileges; choose another --port") from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(False)
    return sock


def url_for(sock: socket.socket) -> str:
    """The base URL clients use for a bound socket (a wildcard address becomes loopback)."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(config: LabConfig, options: ServeOptions, *,
          announce: Callable[[dict[str, Any]], None]) -> int:
    """Serve until SIGTERM (returns 0) or SIGINT (returns 130).

    Raises UsageError (before announcing) for an unknown model or an unusable port.
    """
    import uvicorn

    from aiops.lab import logs
    from aiops.lab import tracing as lab_tracing
    from aiops.lab.app import create_app
    from aiops.lab.service import LabService

    shipper, tracing = None, lab_tracing.NO_TRACING
    if options.ship is not None:
        from aiops.lab.shipping import BulkShipper

        shipper = BulkShipper(options.ship)
    defaults: dict[str, Any] = {"user_id": "system"}
    log_setup = logs.configure(log_file=options.log_file, level=options.log_level, start=False,
                               extra_handlers=(shipper,) if shipper else (), defaults=defaults)
    sock = None
    try:
        service = LabService(config, crash=lambda: _crash(log_setup, service.tracing))
        defaults["model_id"] = service.model_id
        service.shipper = shipper
        sock = bind(options.host, options.port)
        url = url_for(sock)
        tracing = service.tracing = lab_tracing.start(options.tracing, instance=url,
                                                      model_id=service.model_id)
        if tracing.enabled:
            log_setup.formatter.trace_ids = tracing.ids
        server = _server_class()(uvicorn.Config(
            create_app(service, base_url=url), log_config=None, access_log=False, lifespan="on",
            loop="asyncio", server_header=False, timeout_graceful_shutdown=5, timeout_keep_alive=30))
        with _signals(server):
            announce({"schema": "aiops.lab.serve/v1", "url": url, "pid": os.getpid(), "model": config.model,
                      "model_id": service.model_id,
                      "faults": [format_fault(n, v) for n, v in config.faults],
                      "log_file": os.path.abspath(options.log_file) if options.log_file else None})
            log_setup.listener.start()
            logs.event(log, logging.INFO, "Service started", url=url, pid=os.getpid())
            _freeze_startup_objects()
            server.run(sockets=[sock])
        logs.event(log, logging.INFO, "Service stopped",
                   signal=signal.Signals(server.received).name if server.received else None)
        return 130 if server.received == signal.SIGINT else 0
    finally:
        if sock is not None:
            sock.close()
        tracing.shutdown()  # every span queued so far is exported before the process ends
        log_setup.close()
        if shipper is not None:
            shipper.close()


def _freeze_startup_objects() -> None:
    """Move what start-up made (modules, the model, the app: tens of thousands of objects that
    live as long as the process) out of the garbage collector's reach, so that its full
    collections, which the allocations of every request trigger now and then, stop walking
    them while a request waits (the usual remedy for long-running Python services)."""
    import gc

    gc.collect()
    gc.freeze()


def _crash(log_setup: Any, tracing: Any) -> None:
    """The crash fault: flush the logs and spans, then die without any clean-up, exit status 1."""
    with contextlib.suppress(Exception):
        tracing.flush()
    with contextlib.suppress(Exception):
        log_setup.close()
    os._exit(1)


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server; serve() owns the signal handlers (see _signals)."""

        received: int | None = None

        @contextlib.contextmanager
        def capture_signals(self):  # uvicorn's hook: the handlers are already installed
            yield

    return Server


@contextlib.contextmanager
def _signals(server: Any):
    """SIGINT/SIGTERM stop ``server`` gracefully, from before it starts until it has stopped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(sig: int, frame: Any) -> None:
        server.received = server.received or sig
        if server.should_exit and sig == signal.SIGINT:
            server.force_exit = True  # a second Ctrl-C: stop waiting for connections
        server.should_exit = True

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
