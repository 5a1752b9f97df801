"""One /infer step of the lab's API agent, phase by phase, with the wall-clock time of each.

The phases are the agent's own public steps: state inference (perception, and learning when
the agent learns), policy evaluation (expected free energy of every policy) and action
selection. Their boundaries, in ``time.time_ns()``, become the trace's phase spans
(:mod:`aiops.lab.tracing`) and the response's ``timings``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass
class Phases:
    """Boundaries of one step (epoch nanoseconds) and what the agent produced."""

    start: int
    states_end: int
    qs: list[Any]
    free_energy: float
    entropy: float
    iterations: int
    learns: bool = False
    policy_start: int = 0  # the slow-inference fault's delay starts here (else states_end)
    policy_end: int = 0
    action_end: int = 0
    policies: int = 0
    policy_cached: bool = False  # policy evaluation came from the inference cache
    result: Any = None  # aiops.inference.agent.StepResult

    def timeline(self) -> list[tuple[str, int, int]]:
        """(phase, start ns, end ns) in order; learning happens inside state inference."""
        return [("state inference", self.start, self.states_end),
                ("policy evaluation", self.policy_start or self.states_end, self.policy_end),
                ("action selection", self.policy_end, self.action_end)]


def perceive(agent: Any, obs: list[int]) -> Phases:
    """Reset the agent and infer states from ``obs`` (the worker thread's first half)."""
    agent.reset()
    start = time.time_ns()
    agent.infer_states(obs)
    return Phases(start, time.time_ns(), agent.qs, agent.free_energy, agent.entropy, agent.iterations,
                  learns=bool(agent.learn_A or agent.learn_B))


def plan(agent: Any, phases: Phases, cache: Any = None, key: Any = None) -> Phases:
    """Evaluate policies from the perceived beliefs and select an action (the second half).

    The beliefs are set again, so another request may have used the agent in between. With a
    ``cache`` (:class:`aiops.lab.cache.InferenceCache`), the policy posterior and expected free
    energy of an observation seen before are reused instead of evaluated again.
    """
    from aiops.inference.agent import StepResult

    agent.qs = phases.qs
    begin = phases.policy_start or phases.states_end
    cached = cache.get(key) if cache is not None else None
    if cached is None:
        agent.infer_policies()
        if cache is not None:
            cache.put(key, (agent.q_pi, agent.G))
    else:
        agent.q_pi, agent.G = cached
        phases.policy_cached = True
    phases.policy_end = time.time_ns()
    action = agent.sample_action()
    phases.action_end = time.time_ns()
    phases.policies = int(agent.num_policies)
    seconds = {"infer_states": (phases.states_end - phases.start) / 1e9,
               "infer_policies": (phases.policy_end - begin) / 1e9,
               "sample_action": (phases.action_end - phases.policy_end) / 1e9}
    seconds["total"] = (phases.action_end - phases.start) / 1e9
    phases.result = StepResult(phases.qs, action, phases.free_energy, phases.entropy, agent.q_pi, agent.G,
                               phases.iterations, seconds)
    return phases
