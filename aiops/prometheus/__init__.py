"""Prometheus and Alertmanager: queries, alerts, rules, silences, the scorecard, scraping, capacity.

- :mod:`aiops.prometheus.queries`: instant and range PromQL from a config (commands, triage,
  post-mortems).
- :mod:`aiops.prometheus.client`: PromQL through prometheus-api-client (``connect``, ``query``,
  ``query_range``, ``query_many``), fast failure and Prometheus's own error messages.
- :mod:`aiops.prometheus.api`: Prometheus ``/api/v1/alerts|rules|targets`` and Alertmanager
  ``/api/v2/alerts|silences`` over aiohttp.
- :mod:`aiops.prometheus.results`: ``Series``, ``QueryResult``, ``RangeResult`` (empty = no data).
- :mod:`aiops.prometheus.alerts` (``list_alerts``, ``alert_history``),
  :mod:`aiops.prometheus.rules` (the runbook's rule file), :mod:`aiops.prometheus.silences`,
  :mod:`aiops.prometheus.scorecard` (``metrics_check``), :mod:`aiops.prometheus.scrape` (the
  targets' ``/metrics`` when Prometheus does not answer) and :mod:`aiops.prometheus.capacity`.

Nothing here imports requests, prometheus_api_client or aiohttp at module level.
"""
