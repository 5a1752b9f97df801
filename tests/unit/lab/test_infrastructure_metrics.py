"""The lab's infrastructure metrics move with the mechanisms behind them.

Sessions (distinct user IDs in a sliding window), the inference cache's hits and misses, the
episode store's connection pool, process disk I/O and the cgroup's CPU and memory: each is
read through the real /metrics exposition (prometheus_client's parser) before and after the
thing it counts happens.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from aiops.lab.cache import InferenceCache
from aiops.lab.resources import Cgroup, process_io
from aiops.lab.service import LabConfig, LabService
from aiops.lab.sessions import SessionWindow
from aiops.lab.store import EpisodeStore


@pytest.fixture
def service(tmp_path):
    svc = LabService(LabConfig(disk_path=str(tmp_path), memory_limit=1 << 40, synthetic_rps=0,
                               store_path=str(tmp_path / "episodes.sqlite"), session_window=60))
    svc.episodes.wait()  # warm-up opens it in the background; here it is needed at once
    yield svc
    svc.shutdown()


def samples(svc) -> dict[tuple[str, tuple], float]:
    from prometheus_client.parser import text_string_to_metric_families

    out = {}
    for family in text_string_to_metric_families(svc.metrics.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(svc, name: str, **labels: str) -> float | None:
    return samples(svc).get((name, tuple(sorted(labels.items()))))


def test_sessions_count_distinct_users_in_the_window():
    now = [1000.0]
    window = SessionWindow(60, clock=lambda: now[0])
    for user in ("alice", "bob", "alice", "anonymous", ""):
        window.seen(user)
    assert window.active() == 2  # alice twice is one session; anonymous is nobody in particular
    now[0] += 30
    window.seen("carol")
    assert window.active() == 3
    now[0] += 31  # alice and bob were last seen 61 s ago
    assert window.active() == 1
    now[0] += 60
    assert window.active() == 0


def test_sessions_are_bounded_against_invented_ids():
    window = SessionWindow(60, max_users=100)
    for i in range(1000):
        window.seen(f"user-{i}")
    assert window.active() == 100


def test_active_sessions_move_with_requests(service):
    assert value(service, "ai_active_sessions") == 0
    for user in ("u-1", "u-2", "u-2", "u-3"):
        service.sessions.seen(user)
    assert value(service, "ai_active_sessions") == 3


def test_the_cache_answers_repeated_observations(service):
    assert value(service, "ai_inference_cache_hits_total") == 0
    assert value(service, "ai_inference_cache_misses_total") == 0
    first = asyncio.run(service.infer([0, 0, 1], correlation_id="c-1", user_id="u"))
    assert (value(service, "ai_inference_cache_misses_total"), value(service, "ai_inference_cache_hits_total")) == (1, 0)
    again = asyncio.run(service.infer([0, 0, 1], correlation_id="c-2", user_id="u"))
    other = asyncio.run(service.infer([1, 0, 1], correlation_id="c-3", user_id="u"))
    assert (value(service, "ai_inference_cache_misses_total"), value(service, "ai_inference_cache_hits_total")) == (2, 1)
    assert value(service, "ai_inference_cache_entries") == 2
    for key in ("qs", "action", "free_energy", "q_pi", "G"):
        assert first[key] == again[key]  # a hit is the same answer
    assert first["qs"] != other["qs"]


def test_the_cache_gives_the_same_answer_as_a_fresh_agent(service):
    from aiops.inference import Agent

    cached = asyncio.run(service.infer([2, 1, 0], correlation_id="c", user_id="u"))
    cached = asyncio.run(service.infer([2, 1, 0], correlation_id="c", user_id="u"))
    fresh = Agent(service.model, **service._agent_args).infer([2, 1, 0])
    assert cached["action"] == list(fresh.action) and cached["G"] == fresh.G.tolist()


def test_the_cache_is_a_bounded_lru():
    cache = InferenceCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)  # evicts b
    assert cache.get("b") is None and cache.get("c") == 3 and len(cache) == 2
    assert (cache.hits, cache.misses) == (2, 1)
    off = InferenceCache(0)
    off.put("a", 1)
    assert off.get("a") is None


def test_episodes_go_through_the_connection_pool(service):
    before = value(service, "db_pool_checkouts_total")
    assert value(service, "db_pool_size") == 5 and value(service, "db_pool_max_overflow") == 10
    service.trainer.run_episode()
    assert value(service, "db_pool_checkouts_total") > before
    assert service.episodes.current.summary()["episodes"] == 1
    _, body = service.health()
    assert body["details"]["episode_store"]["episodes"] == 1


def test_pool_gauges_follow_checked_out_connections(tmp_path):
    store = EpisodeStore(str(tmp_path / "e.sqlite"), pool_size=2, max_overflow=3)
    try:
        assert store.pool_stats()["checked_out"] == 0
        held = [store.engine.connect() for _ in range(4)]
        stats = store.pool_stats()
        assert (stats["checked_out"], stats["overflow"], stats["size"]) == (4, 2, 2)
        for conn in held:
            conn.close()
        stats = store.pool_stats()
        assert stats["checked_out"] == 0 and stats["idle"] == 2 and stats["overflow"] == 0
    finally:
        store.close()


def test_pool_gauges_in_the_exposition(service):
    conns = [service.episodes.current.engine.connect() for _ in range(6)]
    try:
        assert value(service, "db_pool_connections_checked_out") == 6
        assert value(service, "db_pool_overflow") == 1
    finally:
        for conn in conns:
            conn.close()
    assert value(service, "db_pool_connections_checked_out") == 0


def test_the_store_opens_in_the_background_and_is_absent_until_then(tmp_path):
    from aiops.lab.store import StoreHandle

    handle = StoreHandle(str(tmp_path / "e.sqlite"))
    assert handle.current is None
    handle.close()  # never started: nothing to wait for
    store = handle.wait()
    assert store is handle.current and store.pool_stats()["size"] == 5
    handle.close()
    broken = StoreHandle(str(tmp_path / "missing-dir" / "e.sqlite"))
    assert broken.wait() is None and "OperationalError" in broken.error


def test_a_temporary_store_is_removed_at_close():
    store = EpisodeStore()
    store.record(correct=True, loss=0.1, steps_to_converge=2, seconds_to_converge=0.01)
    path = store.path
    assert os.path.exists(path)
    store.close()
    assert not os.path.exists(path)


def test_disk_io_moves_when_the_process_writes(service, tmp_path):
    before = value(service, "disk_io_bytes_total", direction="write")
    if process_io() is None:
        assert before is None  # no per-process I/O accounting here: absent, not zero
        return
    with open(tmp_path / "blob", "wb") as fh:
        fh.write(os.urandom(1 << 20))
        fh.flush()
        os.fsync(fh.fileno())
    assert value(service, "disk_io_bytes_total", direction="write") >= before + (1 << 20)


def test_container_metrics_follow_the_cgroup(service):
    cg = Cgroup.discover()
    cpu = value(service, "container_cpu_usage_seconds_total")
    if cg.cpu_seconds() is None:
        assert cpu is None  # absent, not zero
    else:
        sum(i * i for i in range(300_000))  # burn some CPU in this cgroup
        assert value(service, "container_cpu_usage_seconds_total") > cpu
    memory = value(service, "container_memory_usage_bytes")
    assert (memory is None) == (cg.memory_bytes() is None)
    if memory is not None:
        assert memory > 0


def test_missing_cgroup_files_are_absent_not_zero(tmp_path):
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "cgroup").write_text("0::/svc\n")
    (proc / "mountinfo").write_text(f"41 31 0:38 / {tmp_path / 'cg'} rw - cgroup2 cgroup2 rw\n")
    (tmp_path / "cg" / "svc").mkdir(parents=True)
    cg = Cgroup.discover(str(proc))
    assert cg.version == "v2"
    assert (cg.cpu_seconds(), cg.memory_bytes(), cg.memory_limit_bytes(), cg.cpu_limit_cores()) == (None,) * 4
    (tmp_path / "cg" / "svc" / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    (tmp_path / "cg" / "svc" / "memory.current").write_text("1048576\n")
    (tmp_path / "cg" / "svc" / "memory.max").write_text("max\n")
    (tmp_path / "cg" / "svc" / "cpu.max").write_text("150000 100000\n")
    assert (cg.cpu_seconds(), cg.memory_bytes(), cg.memory_limit_bytes(), cg.cpu_limit_cores()) == \
        (2.5, 1048576, None, 1.5)
    (tmp_path / "cg" / "svc" / "memory.max").write_text("536870912\n")
    assert cg.memory_limit_bytes() == 536870912


def test_a_namespaced_cgroup_root_is_not_doubled(tmp_path):
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "cgroup").write_text("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n")
    (proc / "mountinfo").write_text(
        f"35 31 0:32 /docker/abc {tmp_path}/memory rw - cgroup cgroup rw,memory\n"
        f"36 31 0:33 /docker/abc {tmp_path}/cpu rw - cgroup cgroup rw,cpu,cpuacct\n")
    cg = Cgroup.discover(str(proc))
    assert cg.version == "v1"
    assert cg.v1["memory"] == f"{tmp_path}/memory" and cg.v1["cpuacct"] == f"{tmp_path}/cpu"
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.usage_in_bytes").write_text("4096\n")
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert cg.memory_bytes() == 4096 and cg.memory_limit_bytes() is None
