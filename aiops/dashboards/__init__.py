"""The runbook's dashboards, rendered: Grafana JSON (export, offline validation) and live data.

- :mod:`.grafana`: the catalog's dashboards built with grafana-foundation-sdk, written as JSON.
- :mod:`.validate`: round-trip through the SDK's models, PromQL parsed, units checked.
- :mod:`.units`: Grafana's real unit IDs (the SDK's constants are not trusted).
- :mod:`.promql`: Grafana's template variables filled in for a query made here.
- :mod:`.data`: one frame of panel values from Prometheus, or from scraping the targets.
- :mod:`.scrape`: degraded mode, each panel computed from successive scrapes.

Nothing heavy is imported here.
"""
