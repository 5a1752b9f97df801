"""The lab's infrastructure metrics, read at scrape time from the parts that own them.

| metric                                   | type    | source                                       |
|------------------------------------------|---------|----------------------------------------------|
| ``ai_active_sessions``                   | gauge   | distinct user IDs in the session window      |
| ``ai_inference_cache_hits_total``        | counter | inference cache lookups answered             |
| ``ai_inference_cache_misses_total``      | counter | inference cache lookups computed             |
| ``ai_inference_cache_entries``           | gauge   | results held by the cache                    |
| ``db_pool_connections_checked_out``      | gauge   | episode store connections in use (QueuePool) |
| ``db_pool_connections_idle``             | gauge   | connections waiting in the pool              |
| ``db_pool_size``                         | gauge   | connections the pool keeps                   |
| ``db_pool_overflow``                     | gauge   | connections open beyond the pool size        |
| ``db_pool_max_overflow``                 | gauge   | the overflow allowed                         |
| ``db_pool_checkouts_total``              | counter | connections handed out                       |
| ``disk_io_bytes_total{direction}``       | counter | process storage I/O (read, write)            |
| ``container_cpu_usage_seconds_total``    | counter | the cgroup's CPU time                        |
| ``container_memory_usage_bytes``         | gauge   | memory charged to the cgroup                 |
| ``container_memory_limit_bytes``         | gauge   | the cgroup's memory limit, when set          |
| ``container_cpu_limit_cores``            | gauge   | the cgroup's CPU quota, when set             |
| ``container_cgroup_info{version}``       | gauge   | 1, with the cgroup layout (v1, v2, hybrid)   |

A source the machine does not have yields no sample at all (see :mod:`aiops.lab.resources`).
"""

from __future__ import annotations

from typing import Any, Iterator


class LabCollector:
    """A prometheus_client collector over the sessions, cache, store (a StoreHandle) and cgroup."""

    def __init__(self, *, sessions: Any, cache: Any, store: Any, cgroup: Any) -> None:
        self.sessions, self.cache, self.store, self.cgroup = sessions, cache, store, cgroup

    def describe(self) -> list:
        return []  # collected fresh at every scrape; nothing to pre-register

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        yield GaugeMetricFamily("ai_active_sessions", f"Distinct user IDs seen in the last "
                                f"{self.sessions.window_s:g} seconds", value=self.sessions.active())
        yield CounterMetricFamily("ai_inference_cache_hits", "Inference cache lookups answered from the cache",
                                  value=self.cache.hits)
        yield CounterMetricFamily("ai_inference_cache_misses", "Inference cache lookups that had to compute",
                                  value=self.cache.misses)
        yield GaugeMetricFamily("ai_inference_cache_entries", "Results held by the inference cache",
                                value=len(self.cache))
        yield from self._pool()
        yield from self._disk()
        yield from self._container()

    def _pool(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        store = self.store.current  # absent until the store has opened
        if store is None:
            return
        stats = store.pool_stats()
        for key, name, doc in (
                ("checked_out", "db_pool_connections_checked_out", "Episode store connections in use"),
                ("idle", "db_pool_connections_idle", "Episode store connections idle in the pool"),
                ("size", "db_pool_size", "Connections the episode store's pool keeps"),
                ("overflow", "db_pool_overflow", "Connections open beyond the pool size"),
                ("max_overflow", "db_pool_max_overflow", "Connections allowed beyond the pool size")):
            yield GaugeMetricFamily(name, doc, value=stats[key])
        yield CounterMetricFamily("db_pool_checkouts", "Connections handed out by the episode store's pool",
                                  value=stats["checkouts"])

    def _disk(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily

        from aiops.lab.resources import process_io

        io = process_io()
        if io is None:
            return
        family = CounterMetricFamily("disk_io_bytes", "Bytes the service process read from and wrote to "
                                     "storage", labels=["direction"])
        family.add_metric(["read"], io[0])
        family.add_metric(["write"], io[1])
        yield family

    def _container(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        cg = self.cgroup
        if cg.version is None:
            return
        yield _info(cg.version)
        cpu = cg.cpu_seconds()
        if cpu is not None:
            yield CounterMetricFamily("container_cpu_usage_seconds", "CPU time used by the service's cgroup",
                                      value=cpu)
        for value, name, doc in ((cg.memory_bytes(), "container_memory_usage_bytes",
                                  "Memory charged to the service's cgroup"),
                                 (cg.memory_limit_bytes(), "container_memory_limit_bytes",
                                  "Memory limit of the service's cgroup"),
                                 (cg.cpu_limit_cores(), "container_cpu_limit_cores",
                                  "CPU quota of the service's cgroup, in cores")):
            if value is not None:
                yield GaugeMetricFamily(name, doc, value=value)


def _info(version: str) -> Any:
    from prometheus_client.core import GaugeMetricFamily

    family = GaugeMetricFamily("container_cgroup_info", "The service's cgroup layout (always 1)",
                               labels=["version"])
    family.add_metric([version], 1)
    return family
