"""Background training episodes in the model's simulated environment.

One episode: reset the environment and the agent, run ``horizon`` perception-action
steps, then perceive the final observation. What the episode feeds the metrics:

- accuracy: 1 when the agent's final beliefs (the most probable state of every factor)
  match the true hidden state, else 0; ``ai_model_accuracy`` is the mean over the last
  ``window`` episodes;
- loss: the cross-entropy ``-sum_f ln q_f(true state)`` of those final beliefs
  (``ai_training_loss``, same window);
- samples to convergence: steps until every factor's belief put >= 0.9 on one state
  (``ai_sample_efficiency``), and the seconds that took (``ai_convergence_time``).

Faults: ``accuracy-drop=F`` replaces a fraction F of observations with a different random
outcome (a failing sensor), ``slow-inference=S`` adds S seconds to every step, and
``training-stall`` stops episodes altogether.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

from aiops.lab.faults import FaultSet
from aiops.lab.logs import event

CONVERGED = 0.9
log = logging.getLogger("active_inference.training")


def horizon_for(model_name: str, num_states: list[int]) -> int:
    """Steps per episode: enough to finish the task (T-maze: 3; n x n grid: 2n)."""
    if model_name == "tmaze":
        return 3
    if model_name.startswith("grid:"):
        return 2 * int(math.isqrt(num_states[0]))
    return 5


@dataclass
class TrainingStats:
    episodes: int = 0
    steps: int = 0
    accuracy: float = float("nan")
    loss: float = float("nan")
    convergence_time: float = float("nan")
    sample_efficiency: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in asdict(self).items()}


class Trainer:
    """Runs episodes in a daemon thread until :meth:`stop`.

    ``observe(seconds, result)`` is called after every inference step (it feeds the
    inference histogram and belief gauges); ``on_episode(stats)`` after every episode.
    """

    def __init__(self, agent: Any, env: Any, model: Any, faults: FaultSet, *,
                 observe: Callable[[float, Any], None], on_episode: Callable[[TrainingStats], None],
                 interval: float = 0.1, window: int = 50, seed: int = 0) -> None:
        import numpy as np

        self.agent, self.env, self.faults = agent, env, faults
        self.num_obs = list(model.num_obs)
        self.horizon = horizon_for(model.name, model.num_states)
        self.interval, self.window = interval, window
        self._observe, self._on_episode = observe, on_episode
        self._rng = np.random.default_rng(seed + 1)
        self._results: collections.deque = collections.deque(maxlen=window)
        self.stats = TrainingStats()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lab-trainer", daemon=True)
        self.error: str | None = None

    def start(self) -> None:
        """Start the training thread."""
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop (mid-episode) and wait up to ``timeout`` seconds."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def last_result(self) -> tuple[float, float, int, float]:
        """The latest episode: (1.0 if correct else 0.0, loss, steps to converge, seconds to converge)."""
        return self._results[-1]

    @property
    def alive(self) -> bool:
        """Whether the training thread is running."""
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self.faults.active("training-stall"):
                    self._stop.wait(0.1)
                    continue
                self.run_episode()
        except Exception as exc:  # keep the reason for /health; the thread is done
            self.error = f"{type(exc).__name__}: {exc}"
            event(log, logging.ERROR, "Training loop failed", exc_info=exc)

    def _sense(self, obs: list[int]) -> list[int]:
        fraction = self.faults.value("accuracy-drop")
        if not fraction:
            return obs
        return [int((o + self._rng.integers(1, k)) % k) if k > 1 and self._rng.random() < fraction else o
                for o, k in zip(obs, self.num_obs)]

    def run_episode(self) -> TrainingStats:
        """One episode; updates and returns the rolling statistics."""
        import numpy as np

        start = time.perf_counter()
        obs = self.env.reset()
        self.agent.reset()
        converged_at: tuple[int, float] | None = None
        info: dict[str, Any] = {}
        for step in range(self.horizon):
            if self._stop.is_set():
                return self.stats
            t0 = time.perf_counter()
            delay = self.faults.value("slow-inference")
            if delay:
                self._stop.wait(delay)
            result = self.agent.infer(self._sense(obs))
            self._observe(time.perf_counter() - t0, result)
            self.stats.steps += 1
            if converged_at is None and all(float(q.max()) >= CONVERGED for q in result.qs):
                converged_at = (step + 1, time.perf_counter() - start)
            obs, info = self.env.step(result.action)
            self._stop.wait(self.interval)
        qs = self.agent.infer_states(self._sense(obs))
        truth = info["state"]
        correct = all(int(np.argmax(q)) == int(s) for q, s in zip(qs, truth))
        loss = -sum(math.log(float(q[int(s)]) + 1e-16) for q, s in zip(qs, truth))
        if converged_at is None:
            converged_at = (self.horizon + 1, time.perf_counter() - start)
        self._results.append((1.0 if correct else 0.0, loss) + converged_at)
        self._update(time.perf_counter() - start, correct)
        return self.stats

    def _update(self, seconds: float, correct: bool) -> None:
        results = list(self._results)
        n = len(results)
        s = self.stats
        s.episodes += 1
        s.accuracy = sum(r[0] for r in results) / n
        s.loss = sum(r[1] for r in results) / n
        s.sample_efficiency = sum(r[2] for r in results) / n
        s.convergence_time = sum(r[3] for r in results) / n
        self._on_episode(s)
        event(log, logging.INFO, "Training episode completed", correlation_id=f"episode-{s.episodes}",
              user_id="system:trainer", duration_ms=seconds * 1000, episode=s.episodes,
              step=self.horizon, accuracy=round(s.accuracy, 4), correct=correct,
              loss=round(s.loss, 4))
