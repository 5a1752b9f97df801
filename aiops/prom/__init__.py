"""Prometheus and Alertmanager access for the rest of aiops.

- :mod:`aiops.prom.client`: PromQL through prometheus-api-client (``connect``, ``query``,
  ``query_range``, ``query_many``), fast failure and Prometheus's own error messages.
- :mod:`aiops.prom.api`: Prometheus ``/api/v1/alerts|rules|targets`` and Alertmanager
  ``/api/v2/alerts|silences`` over aiohttp.
- :mod:`aiops.prom.results`: ``Series``, ``QueryResult``, ``RangeResult`` (empty = no data).

Higher-level entry points for commands, triage and post-mortems live in
:mod:`aiops.prometheus` (instant and range queries from a config), :mod:`aiops.alerts`
(``list_alerts``, ``alert_history``), :mod:`aiops.silences`, :mod:`aiops.metrics_check`
(``metrics_check``) and :mod:`aiops.capacity` (``capacity_check``). Nothing here imports
requests, prometheus_api_client or aiohttp at module level.
"""
