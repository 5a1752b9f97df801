"""Many synthetic service instances on one page, for a real Prometheus to scrape.

``SyntheticFleet(n)`` serves, on 127.0.0.1, two exposition pages whose series carry their own
``job`` and ``instance`` labels (scrape them with ``honor_labels: true``, see
:meth:`scrape_configs`):

- ``/scorecard``: every runbook metric of ``n`` instances ``host-0000:8000``... of job
  ``fleet``, counters growing with time; chosen instances are bad (see :data:`BAD`);
- ``/probes``: ``up`` of job ``fleet`` and the blackbox exporter's ``probe_*`` series of job
  ``fleet-blackbox`` for each instance's four endpoints, as ``aiops alerts rules --blackbox``
  would make Prometheus record them; instances in ``unhealthy`` answer 503 on /ready,
  ``unreachable`` ones do not answer.

One process and one scrape stand in for a fleet: the point is Prometheus holding a fleet's
series, not the cost of scraping them.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# instance index -> what is wrong with it on /scorecard
BAD = {17: "accuracy-critical", 18: "accuracy-warning", 19: "accuracy-warning", 42: "cpu-critical",
       99: "slow", 123: "errors", 7: "entropy"}
BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def name(i: int) -> str:
    return f"host-{i:04d}:8000"


def scorecard_page(n: int, t: float, job: str = "fleet", bad: dict[int, str] | None = None) -> str:
    """The runbook metrics of ``n`` instances, ``t`` seconds after the fleet started."""
    bad = BAD if bad is None else bad
    out: list[str] = []

    def family(metric: str, kind: str, lines: list[str]) -> None:
        out.append(f"# TYPE {metric} {kind}\n")
        out.extend(lines)

    def each(fn: Any) -> list[str]:
        return [fn(i, f'job="{job}",instance="{name(i)}"') for i in range(n)]

    acc = {"accuracy-critical": 0.5, "accuracy-warning": 0.75}
    family("ai_model_accuracy", "gauge", each(lambda i, l: f"ai_model_accuracy{{{l}}} {acc.get(bad.get(i), 0.97)}\n"))
    family("ai_belief_entropy", "gauge",
           each(lambda i, l: f"ai_belief_entropy{{{l}}} {2.5 if bad.get(i) == 'entropy' else 0.4}\n"))
    family("cpu_usage_percent", "gauge",
           each(lambda i, l: f"cpu_usage_percent{{{l}}} {95 if bad.get(i) == 'cpu-critical' else 20 + i % 30}\n"))
    family("memory_usage_bytes", "gauge", each(lambda i, l: f"memory_usage_bytes{{{l}}} 4e8\n"))
    family("memory_limit_bytes", "gauge", each(lambda i, l: f"memory_limit_bytes{{{l}}} 1e9\n"))
    family("disk_usage_percent", "gauge", each(lambda i, l: f"disk_usage_percent{{{l}}} 50\n"))
    family("ai_free_energy", "gauge", each(lambda i, l: f"ai_free_energy{{{l}}} {10 + (int(t) % 3) * 0.01}\n"))
    family("ai_training_loss", "gauge", each(lambda i, l: f"ai_training_loss{{{l}}} {1000 / (1 + t)}\n"))
    family("ai_convergence_time", "gauge", each(lambda i, l: f"ai_convergence_time{{{l}}} 12\n"))
    family("ai_sample_efficiency", "gauge", each(lambda i, l: f"ai_sample_efficiency{{{l}}} 40\n"))
    family("process_resident_memory_bytes", "gauge",
           each(lambda i, l: f"process_resident_memory_bytes{{{l}}} 1e8\n"))
    family("network_io_bytes_total", "counter", each(lambda i, l: f"network_io_bytes_total{{{l}}} {1000 * t}\n"))
    family("ai_episodes_completed", "counter", each(lambda i, l: f"ai_episodes_completed{{{l}}} {t / 10}\n"))
    requests = []
    for i in range(n):
        labels = f'job="{job}",instance="{name(i)}"'
        requests.append(f'http_requests_total{{{labels},status="200"}} {20 * t}\n')
        if bad.get(i) == "errors":
            requests.append(f'http_requests_total{{{labels},status="500"}} {2 * t}\n')
    family("http_requests_total", "counter", requests)
    hist = []
    for i in range(n):
        labels = f'job="{job}",instance="{name(i)}"'
        slow = bad.get(i) == "slow"
        for le in (*BUCKETS, "+Inf"):
            bound = float("inf") if le == "+Inf" else le
            share = (1.0 if bound > 1.0 else 0.0) if slow else (1.0 if bound >= 0.05 else 0.5)
            hist.append(f'ai_inference_duration_seconds_bucket{{{labels},le="{le}"}} {share * 10 * t}\n')
        hist.append(f"ai_inference_duration_seconds_count{{{labels}}} {10 * t}\n")
        hist.append(f"ai_inference_duration_seconds_sum{{{labels}}} {(2 if slow else 0.03) * 10 * t}\n")
    family("ai_inference_duration_seconds", "histogram", hist)
    return "".join(out)


def probes_page(n: int, job: str = "fleet", unhealthy: set[int] = frozenset(),
                unreachable: set[int] = frozenset(), body_failed: set[int] = frozenset()) -> str:
    """``up`` and the blackbox probes of ``n`` instances (http://host-NNNN:8000/<endpoint>);
    ``unhealthy``: /ready answers 503; ``body_failed``: /metrics answers 200 but fails the
    probe's body check."""
    up, success, status, duration, regex = [], [], [], [], []
    for i in range(n):
        down = i in unreachable
        up.append(f'up{{job="{job}",instance="{name(i)}"}} {0 if down else 1}\n')
        for path in ("/health", "/ready", "/live", "/metrics"):
            labels = f'job="{job}-blackbox",instance="http://{name(i)}{path}"'
            code = 0 if down else (503 if i in unhealthy and path == "/ready" else 200)
            body = i in body_failed and path == "/metrics"
            success.append(f"probe_success{{{labels}}} {1 if code == 200 and not body else 0}\n")
            status.append(f"probe_http_status_code{{{labels}}} {code}\n")
            duration.append(f"probe_duration_seconds{{{labels}}} {0.003 + (i % 7) / 1000}\n")
            regex.append(f"probe_failed_due_to_regex{{{labels}}} {int(body)}\n")
    return "".join(["# TYPE up gauge\n", *up, "# TYPE probe_success gauge\n", *success,
                    "# TYPE probe_http_status_code gauge\n", *status,
                    "# TYPE probe_duration_seconds gauge\n", *duration,
                    "# TYPE probe_failed_due_to_regex gauge\n", *regex])


class SyntheticFleet:
    """The two pages over HTTP in a background thread; ``close()`` stops it."""

    def __init__(self, n: int, *, probes: int | None = None, unhealthy: set[int] = frozenset(),
                 unreachable: set[int] = frozenset(), body_failed: set[int] = frozenset()) -> None:
        started = time.monotonic()
        probe_text = probes_page(probes if probes is not None else n, unhealthy=unhealthy,
                                 unreachable=unreachable, body_failed=body_failed).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path.startswith("/probes"):
                    body = probe_text
                elif self.path.startswith("/scorecard"):
                    body = scorecard_page(n, time.monotonic() - started + 60).encode()
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except ConnectionError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def scrape_configs(self, interval: str = "2s", pages: tuple[str, ...] = ("scorecard", "probes")) -> list[dict]:
        """Prometheus jobs scraping the pages, keeping the series' own job and instance."""
        return [{"job_name": f"synthetic-{page}", "honor_labels": True, "metrics_path": f"/{page}",
                 "scrape_interval": interval, "scrape_timeout": interval,
                 "static_configs": [{"targets": [self.address]}]} for page in pages]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
