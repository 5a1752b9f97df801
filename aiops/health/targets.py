"""Where service instances come from: arguments, ``--target``, ``--env``/config, or Prometheus."""

from __future__ import annotations

from typing import Any

from aiops.core.errors import UsageError


def resolve_targets(given: list[str], cfg: Any) -> list[str]:
    """Targets typed on the command line win; otherwise the config's (or environment's) list."""
    targets = list(given) or list(cfg.get("targets") or [])
    seen: set[str] = set()
    unique = [t for t in targets if not (t in seen or seen.add(t))]
    if not unique:
        where = f"environment '{cfg.env_name}'" if cfg.env_name else "the config"
        raise UsageError(f"no targets: none given and none in {where}",
                         hint="pass URLs, --target URL, or set targets in [environments.NAME]")
    return unique


def discover_targets(cfg: Any, job: str, *, timeout: float | None = None) -> list[str]:
    """Base URLs of Prometheus's active scrape targets for ``job`` (``/api/v1/targets``).

    Targets Prometheus sees as down are included: they are the ones worth probing.
    """
    from aiops.prometheus import api, http

    server = http.Server.from_config(cfg, "prometheus.url", timeout=timeout)

    async def get() -> list[dict[str, Any]]:
        async with http.session(server) as session:
            return await api.prometheus_targets(session, server)

    urls: list[str] = []
    for target in http.run(get()):
        if target.get("labels", {}).get("job") == job or target.get("scrapePool") == job:
            scrape = target.get("scrapeUrl", "").split("?", 1)[0]
            path = target.get("discoveredLabels", {}).get("__metrics_path__", "/metrics")
            url = scrape[: -len(path)] if path and scrape.endswith(path) else scrape
            if url and url not in urls:
                urls.append(url)
    if not urls:
        raise UsageError(f"Prometheus at {server.base} has no active targets for job '{job}'",
                         hint="'aiops prom query up' lists the jobs Prometheus scrapes")
    return urls
