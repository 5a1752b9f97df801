"""The lab's own steady /infer traffic, sent over real HTTP to itself.

A production service always has some traffic; a lab that nobody calls would never show
an error rate. ``synthetic_rps`` requests a second (open loop: on a fixed schedule, not
waiting for answers) carry observations from the model's environment, so a fault such
as error-rate shows in ``http_requests_total{status="500"}`` and /health within seconds.
The requests come from simulated users (``X-User-ID: synthetic-N``): USERS_AT_ONCE of them
take turns, and every USER_REQUESTS requests one leaves and another arrives, so
``ai_active_sessions`` sees users come and go as it would in production.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

MAX_IN_FLIGHT = 64
USERS_AT_ONCE = 4
USER_REQUESTS = 25


async def synthetic_traffic(base_url: str, service: Any, *, timeout: float = 30.0) -> None:
    """POST /infer ``service.config.synthetic_rps`` times a second until cancelled."""
    import aiohttp
    import numpy as np

    from aiops.inference import build_model

    _, env = build_model(service.config.model, seed=service.config.seed + 7)
    rng = np.random.default_rng(service.config.seed + 7)
    controls = list(service.model.num_controls)
    obs = env.reset()
    interval = 1.0 / service.config.synthetic_rps
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    pending: set[asyncio.Task] = set()
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT)
    async with aiohttp.ClientSession(connector=connector, trust_env=False,
                                     timeout=aiohttp.ClientTimeout(total=timeout)) as session:

        async def one(number: int, observation: list[int]) -> None:
            headers = {"X-Correlation-ID": f"syn-{number}", "X-User-ID": synthetic_user(number)}
            try:
                async with session.post(f"{base_url}/infer", json={"observation": observation},
                                        headers=headers) as resp:
                    await resp.read()
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass  # the server's own metrics and logs record what happened
            finally:
                gate.release()

        while not service.ready:
            await asyncio.sleep(0.05)
        next_at = loop.time()
        for number in itertools.count(1):
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            if next_at < loop.time() - 1.0:
                next_at = loop.time()  # fell far behind (e.g. a paused process): do not burst
            if gate.locked():
                continue  # the service is stuck; do not pile up connections
            await gate.acquire()
            task = asyncio.create_task(one(number, list(obs)))
            pending.add(task)
            task.add_done_callback(pending.discard)
            obs, _ = env.step([int(rng.integers(c)) for c in controls])
            if number % 5 == 0:
                obs = env.reset()


def synthetic_user(number: int) -> str:
    """The simulated user sending request ``number`` (1, 2, ...)."""
    slot = number % USERS_AT_ONCE
    return f"synthetic-{slot + USERS_AT_ONCE * ((number - 1) // (USERS_AT_ONCE * USER_REQUESTS))}"


async def bad_clients(base_url: str, service: Any, *, timeout: float = 10.0) -> None:
    """The client-errors noise: while it is active, VALUE invalid /infer requests a second
    (an observation outside the model's range: 422), as from a misbehaving client."""
    import aiohttp

    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession(trust_env=False, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        next_at = loop.time()
        for number in itertools.count(1):
            rate = service.faults.value("client-errors")
            if not rate:
                await asyncio.sleep(0.25)
                next_at = loop.time()
                continue
            next_at = max(next_at + 1.0 / rate, loop.time() - 1.0)
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            headers = {"X-Correlation-ID": f"bad-{number}", "X-User-ID": "bad-client"}
            try:
                async with session.post(f"{base_url}/infer", json={"observation": [-1] * len(service.num_obs)},
                                        headers=headers) as resp:
                    await resp.read()
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
