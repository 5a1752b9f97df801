"""Spreading a probe run over processes and within the open-file limit.

:func:`plan` decides how many worker processes probe how many targets at once each;
:func:`run` forks the workers (each probes an interleaved share of the targets in its own event
loop and sends finished targets back in batches over a pipe), probes the first share itself,
and merges everything into ``results`` in target order, calling ``emit`` in that order as soon
as a prefix of the targets is complete. Workers are forked, never spawned: a fork starts in
milliseconds with everything already imported. Where ``fork`` is unavailable, or the caller
runs other threads (forking those is unsafe), the run stays in one process.
"""

from __future__ import annotations

import math
import os
import pickle
import signal
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Callable

_FRAME = struct.Struct("!I")
BATCH = 64  # targets per message from a worker (also sent every FLUSH_S)
FLUSH_S = 0.1
YOUNG = 10_000  # allocations between the collector's young-generation passes during a run (default 700)


@dataclass
class Plan:
    workers: int
    per_worker: int  # targets probed at once in each process
    fd_cap: int  # connections each process may hold open
    warnings: list[str] = field(default_factory=list)


def plan(targets: int, concurrency: int, workers: int | None, *, min_share: int | None = None) -> Plan:
    """Workers and per-process concurrency for ``targets``, raising the soft open-file limit
    toward what that needs (up to the hard limit) and lowering the concurrency, with a
    warning, when the limit cannot be raised far enough."""
    import threading

    from aiops.health.probe import FD_RESERVE, MIN_SHARE, parallelism

    warnings: list[str] = []
    asked = workers
    workers = workers or parallelism()
    workers = max(1, min(workers, math.ceil(targets / (min_share or MIN_SHARE)), targets or 1))
    if workers > 1 and (not hasattr(os, "fork") or threading.active_count() > 1):
        if asked and asked > 1:
            warnings.append(f"--workers {asked} ignored: probing in one process "
                            "(no fork here, or other threads are running)")
        workers = 1
    per_worker = max(1, math.ceil(min(concurrency, max(targets, 1)) / workers))
    fd_cap = _open_file_budget(per_worker)
    if fd_cap < per_worker:
        limit = fd_cap + FD_RESERVE
        warnings.append(f"the open-file limit (RLIMIT_NOFILE, ulimit -n {limit}) allows {fd_cap} "
                        f"connections per process: probing {fd_cap * workers} targets at once, "
                        f"not {min(concurrency, targets)}; raise it with 'ulimit -n'")
        per_worker = max(1, fd_cap)
    return Plan(workers, per_worker, max(1, fd_cap), warnings)


def _open_file_budget(per_worker: int) -> int:
    """Connections one process may hold: the soft RLIMIT_NOFILE (raised toward twice
    ``per_worker``, room for hedged requests, when the hard limit allows) less a reserve."""
    from aiops.health.probe import FD_RESERVE

    try:
        import resource
    except ImportError:  # not POSIX: no limit to read
        return 1 << 30
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2 * per_worker + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(hard, want)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return 1 << 30
    return max(1, soft - FD_RESERVE)


def run(results: list[Any], todo: list[int], plan: Plan, probe: Any, deadline: float,
        progress: Callable[..., None] | None, emit: Callable[[Any], None] | None) -> None:
    """Probe ``results[i]`` for every i in ``todo`` (see the module docstring)."""
    import asyncio
    import gc

    shares = [todo[k::plan.workers] for k in range(plan.workers)]
    children: list[tuple[int, int, list[int]]] = []
    threshold = gc.get_threshold()
    # What exists before the run is not its garbage: frozen, the collector skips it (and forked
    # workers do not copy those pages by marking them). Fewer young passes: 8 % less CPU a run.
    # A process that froze objects itself keeps them as it froze them.
    freezing = gc.get_freeze_count() == 0
    if freezing:
        gc.freeze()
    gc.set_threshold(max(threshold[0], YOUNG), *threshold[1:])
    try:
        for share in shares[1:]:
            children.append((*_fork(share, results, plan, probe, deadline), share))
        merger = _Merger(results, todo, progress, emit)
        asyncio.run(_parent(shares[0], results, plan, probe, deadline, children, merger))
    finally:
        gc.set_threshold(*threshold)
        if freezing:
            gc.unfreeze()
        for pid, fd, _ in children:
            _reap(pid, fd)


def _fork(share: list[int], results: list[Any], plan: Plan, probe: Any, deadline: float) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return pid, read_fd
    # the worker: never returns
    code = 0
    try:
        os.close(read_fd)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends us
        import asyncio

        asyncio.run(_worker(share, results, plan, probe, deadline, write_fd))
    except BaseException as exc:  # report, never raise into the parent's code path
        code = 1
        try:
            _send(write_fd, ("error", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass
    finally:
        os._exit(code)


def _send(fd: int, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_FRAME.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


async def _probe_share(share: list[int], results: list[Any], plan: Plan, probe: Any,
                       deadline_at: float, done: Callable[[int], None]) -> None:
    """Probe the share, ``plan.per_worker`` targets at a time, until the deadline."""
    import asyncio

    probe.fd_cap = plan.fd_cap
    probe.hedge_cap = max(16, plan.per_worker // 20)
    gate = asyncio.Semaphore(plan.per_worker)

    async def one(index: int) -> None:
        async with gate:
            await probe.target(results[index])
        done(index)

    tasks = [asyncio.ensure_future(one(i)) for i in share]
    if not tasks:
        return
    remaining = deadline_at - time.monotonic()
    _, pending = await asyncio.wait(tasks, timeout=max(0.0, remaining))
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def _worker(share: list[int], results: list[Any], plan: Plan, probe: Any, deadline: float,
                  fd: int) -> None:
    batch: list[tuple[int, Any]] = []
    last = [time.monotonic()]

    def done(index: int) -> None:
        batch.append((index, results[index]))
        now = time.monotonic()
        if len(batch) >= BATCH or now - last[0] >= FLUSH_S:
            _send(fd, ("done", batch[:]))
            batch.clear()
            last[0] = now

    await _probe_share(share, results, plan, probe, time.monotonic() + deadline, done)
    unfinished = [(i, results[i]) for i in share if results[i].endpoints and not _finished(results[i])]
    _send(fd, ("done", batch + unfinished))
    _send(fd, ("end", None))


def _finished(target: Any) -> bool:
    return all(ep.reason != "not probed" for ep in target.endpoints.values())


class _Merger:
    """Puts finished targets in place, reports progress, emits the completed prefix in order."""

    def __init__(self, results: list[Any], todo: list[int], progress: Any, emit: Any) -> None:
        self.results, self.progress, self.emit = results, progress, emit
        self.ready = [bool(t.invalid) for t in results]
        self.next = 0

    def done(self, index: int, target: Any = None) -> None:
        if target is not None:
            self.results[index] = target
        if not self.ready[index]:
            self.ready[index] = True
            if self.progress:
                self.progress(1)
        if self.emit:
            while self.next < len(self.results) and self.ready[self.next]:
                self.emit(self.results[self.next])
                self.next += 1

    def finish(self) -> None:
        """Emit whatever the deadline left unfinished, still in order."""
        if self.emit:
            while self.next < len(self.results):
                self.emit(self.results[self.next])
                self.next += 1


async def _parent(share: list[int], results: list[Any], plan: Plan, probe: Any, deadline: float,
                  children: list[tuple[int, int, list[int]]], merger: _Merger) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    deadline_at = time.monotonic() + deadline
    readers = [asyncio.ensure_future(_read_child(loop, fd, merger)) for _, fd, _ in children]
    await _probe_share(share, results, plan, probe, deadline_at, merger.done)
    if readers:  # a worker past the deadline (plus a grace second) is ended
        _, late = await asyncio.wait(readers, timeout=max(0.0, deadline_at + 1.0 - time.monotonic()))
        for task in late:
            task.cancel()
        for (pid, _, share_of), task in zip(children, readers):
            failure = None if task in late else task.result()
            if task in late or failure:
                _mark_failed(results, share_of, failure)
    mark_unfinished(results, deadline)
    merger.finish()


async def _read_child(loop: Any, fd: int, merger: _Merger) -> str | None:
    """Read a worker's frames until it ends; returns its error message, if it failed."""
    import asyncio

    buffer = bytearray()
    readable = asyncio.Event()
    os.set_blocking(fd, False)  # a wake-up with nothing left to read must not stall the loop
    loop.add_reader(fd, readable.set)
    try:
        while True:
            await readable.wait()
            readable.clear()
            try:
                chunk = os.read(fd, 1 << 20)
            except BlockingIOError:  # woken for what an earlier read already took
                continue
            if not chunk:
                return "the worker process ended without its results"
            buffer += chunk
            while len(buffer) >= _FRAME.size:
                (size,) = _FRAME.unpack_from(buffer)
                if len(buffer) < _FRAME.size + size:
                    break
                kind, payload = pickle.loads(bytes(buffer[_FRAME.size:_FRAME.size + size]))
                del buffer[:_FRAME.size + size]
                if kind == "end":
                    return None
                if kind == "error":
                    return str(payload)
                for index, target in payload:
                    merger.done(index, target)
    finally:
        loop.remove_reader(fd)


def _mark_failed(results: list[Any], share: list[int], failure: str | None) -> None:
    from aiops.health.probe import ENDPOINTS, EndpointResult

    for i in share:
        target = results[i]
        if not target.endpoints:
            target.endpoints = {p: EndpointResult(p) for p in ENDPOINTS}
        if failure:
            for ep in target.endpoints.values():
                if ep.reason == "not probed":
                    ep.reason = f"worker process failed: {failure}"


def mark_unfinished(results: list[Any], deadline: float) -> None:
    """Endpoints the overall deadline left unprobed say so (before anything is emitted)."""
    from aiops.health.probe import ENDPOINTS, EndpointResult

    reason = f"overall deadline of {deadline:g}s reached"
    for target in results:
        if target.invalid:
            continue
        if not target.endpoints:
            target.endpoints = {p: EndpointResult(p) for p in ENDPOINTS}
        for ep in target.endpoints.values():
            if ep.reason == "not probed":
                ep.reason = reason


def _reap(pid: int, fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
    try:
        for _ in range(100):  # a worker that sent its last frame is exiting: give it a second
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass
