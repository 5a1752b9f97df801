"""A tiny static /metrics server whose exposition text tests can change at any time.

``ExpositionServer(text)`` serves ``text`` (Prometheus text format 0.0.4) on 127.0.0.1 at
``/metrics`` and answers ``/health``, ``/ready`` and ``/live``. ``text`` may be a callable
returning the body (called on every scrape: counters that grow with time); ``set(text)``
swaps it. Prometheus scrapes it like any target.
"""

from __future__ import annotations

import threading
from typing import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def exposition(gauges: dict[str, float] | None = None, counters: dict[str, float] | None = None,
               histograms: dict[str, dict[str, float]] | None = None,
               labelled: dict[str, dict[str, float]] | None = None) -> str:
    """Text format from plain values.

    ``gauges`` {name: value}; ``counters`` {name: value} (written as given, no ``_total``
    added); ``histograms`` {name: {le: cumulative count}} (``_count`` = the ``+Inf`` bucket,
    ``_sum`` 0); ``labelled`` {name: {'label="v"': value}} for series with labels.
    """
    lines: list[str] = []
    for name, value in (gauges or {}).items():
        lines += [f"# TYPE {name} gauge", f"{name} {value!r}"]
    for name, value in (counters or {}).items():
        lines += [f"# TYPE {name} counter", f"{name} {value!r}"]
    for name, buckets in (histograms or {}).items():
        lines.append(f"# TYPE {name} histogram")
        lines += [f'{name}_bucket{{le="{le}"}} {count!r}' for le, count in buckets.items()]
        lines += [f"{name}_sum 0.0", f"{name}_count {buckets.get('+Inf', 0.0)!r}"]
    for name, series in (labelled or {}).items():
        lines += [f"{name}{{{labels}}} {value!r}" for labels, value in series.items()]
    return "\n".join(lines) + "\n"


class ExpositionServer:
    """Serves the current text from a daemon thread; ``url`` is usable when this returns."""

    def __init__(self, text: str | Callable[[], str] = "") -> None:
        self.text = text
        self.scrapes = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path.startswith("/metrics"):
                    server.scrapes += 1
                    text = server.text() if callable(server.text) else server.text
                    body, ctype = text.encode(), CONTENT_TYPE
                elif self.path in ("/health", "/ready", "/live"):
                    body, ctype = b'{"status": "healthy"}', "application/json"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def set(self, text: str | Callable[[], str]) -> None:
        self.text = text

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
