"""Environments (generative processes) that produce observations for an agent.

Every environment has ``reset() -> obs`` and ``step(action) -> (obs, info)`` where
``obs`` is a list with one outcome index per modality, ``action`` one control index
per factor, and ``info`` a dict with ``state`` (the true state per factor) and
``reward`` (the preference score ``sum_m C[m][obs[m]]`` of the new observation).
"""

from __future__ import annotations

import numpy as np

from aiops.inference.model import GenerativeModel


class ModelEnv:
    """A generative process that samples states and outcomes from model arrays."""

    def __init__(self, model: GenerativeModel, seed: int | None = 0, initial_state: list[int] | None = None):
        self.A, self.B, self.D, self.C = model.A, model.B, model.D, model.C
        self.A_factor_list = model.A_factor_list
        self.B_factor_list = model.B_factor_list
        self.seed = seed
        self.initial_state = initial_state
        self.rng = np.random.default_rng(seed)
        self.state: list[int] = []

    def _draw(self, p: np.ndarray) -> int:
        """Index drawn from categorical ``p`` (plain floats: no temporary arrays per draw)."""
        r, acc = self.rng.random(), 0.0
        values = p.tolist()
        for i, v in enumerate(values):
            acc += v
            if r < acc:
                return i
        return len(values) - 1

    def _observe(self) -> list[int]:
        return [
            self._draw(a[(slice(None),) + tuple(self.state[f] for f in fs)])
            for a, fs in zip(self.A, self.A_factor_list)
        ]

    def reset(self) -> list[int]:
        """Draw an initial state (from D unless fixed) and return its observation."""
        if self.initial_state is not None:
            self.state = list(self.initial_state)
        else:
            self.state = [self._draw(d) for d in self.D]
        return self._observe()

    def step(self, action) -> tuple[list[int], dict]:
        """Apply one control per factor; return ``(obs, {"state": ..., "reward": ...})``."""
        old = self.state
        self.state = [self._draw(b[(slice(None),) + tuple(old[g] for g in deps) + (int(u),)])
                      for b, deps, u in zip(self.B, self.B_factor_list, action)]
        obs = self._observe()
        return obs, {"state": list(self.state), "reward": float(sum(c[o] for c, o in zip(self.C, obs)))}


class TMazeEnv(ModelEnv):
    """The 3-arm T-maze (pymdp's ``TMazeEnv``): start in the centre, the context is random.

    Factors: location [centre, left arm, right arm, cue] and context [reward left,
    reward right]. Modalities: location (4), reward [none, reward, loss] (3), cue (2).
    Controls: go to a location (4); the context cannot be controlled (1).
    """

    def reset(self) -> list[int]:
        """Start at the centre in a random context."""
        self.state = [0, int(self.rng.integers(2))] if self.initial_state is None else list(self.initial_state)
        return self._observe()


class GridWorldEnv(ModelEnv):
    """An n x n grid; actions UP, RIGHT, DOWN, LEFT, STAY; walls keep the agent inside."""

    def reset(self) -> list[int]:
        """Start at the start cell (top-left unless configured)."""
        self.state = [0] if self.initial_state is None else list(self.initial_state)
        return self._observe()
