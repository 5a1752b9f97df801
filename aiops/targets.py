"""Where service instances come from: arguments, ``--target``, ``--env``/config, or Prometheus."""

from __future__ import annotations

import json
from typing import Any

from aiops.errors import UpstreamError, UsageError


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
    """Base URLs of Prometheus's active scrape targets for ``job`` (``/api/v1/targets``)."""
    import asyncio

    import aiohttp

    from aiops.httpclient import FetchError, fetch

    base = cfg.get("prometheus.url").rstrip("/")
    timeout = timeout or cfg.get("timeout")

    async def get() -> Any:
        async with aiohttp.ClientSession(trust_env=False) as session:
            return await fetch(session, f"{base}/api/v1/targets?state=active", timeout=timeout)

    try:
        resp = asyncio.run(get())
    except FetchError as exc:
        raise UpstreamError(f"Prometheus at {base}: {exc.reason}") from None
    try:
        active = json.loads(resp.body)["data"]["activeTargets"]
    except (ValueError, KeyError, TypeError):
        raise UpstreamError(f"Prometheus at {base}: unexpected answer to /api/v1/targets "
                            f"(HTTP {resp.status})") from None
    urls = []
    for target in active:
        if target.get("labels", {}).get("job") == job or target.get("scrapePool") == job:
            scrape = target.get("scrapeUrl", "")
            urls.append(scrape.rsplit("/metrics", 1)[0] if scrape.endswith("/metrics") else scrape)
    if not urls:
        raise UsageError(f"Prometheus at {base} has no active targets for job '{job}'")
    return urls
