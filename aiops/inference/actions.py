"""Action selection from the posterior over policies.

``sampling_mode="marginal"`` (pymdp's default) picks one action per factor from the
posterior marginal over first-step actions; ``"full"`` picks a whole policy from
``q_pi`` and takes its first step (pymdp's ``sample_policy``).
"""

from __future__ import annotations

import math

import numpy as np

from aiops.inference.policies import PolicyCache

TIE_TOLERANCE = 1e-8


def action_marginals(cache: PolicyCache, q_pi: np.ndarray) -> list[np.ndarray]:
    """Posterior probability of each first-step action, per factor (normalised)."""
    flat = q_pi @ cache.first_actions
    offs = cache.control_offsets
    return [flat[a:b] / flat[a:b].sum() for a, b in zip(offs[:-1], offs[1:])]


def sample_action(
    cache: PolicyCache, q_pi: np.ndarray, rng: np.random.Generator,
    action_selection: str = "deterministic", alpha: float = 16.0,
) -> list[int]:
    """One action per factor.

    ``deterministic``: the most probable action, ties (within 1e-8) broken by ``rng``;
    ``stochastic``: a sample from ``softmax(alpha * ln marginal)``.
    """
    # A handful of controls per factor: plain floats beat numpy calls here.
    flat = q_pi.dot(cache.first_actions).tolist()
    offs = cache.control_offsets.tolist()
    eps = cache.conv.log_eps
    action = []
    for a, b in zip(offs[:-1], offs[1:]):
        if b - a == 1:
            action.append(0)
            continue
        seg = flat[a:b]
        total = sum(seg)
        m = [v / total for v in seg]
        if action_selection == "deterministic":
            top = max(m)
            best = [i for i, v in enumerate(m) if abs(v - top) <= TIE_TOLERANCE]
            action.append(best[0] if len(best) == 1 else int(rng.choice(best)))
        else:
            x = [alpha * math.log(v + eps) for v in m]
            top = max(x)
            p = [math.exp(v - top) for v in x]
            r, acc = rng.random() * sum(p), 0.0
            choice = len(p) - 1
            for i, v in enumerate(p):
                acc += v
                if r < acc:
                    choice = i
                    break
            action.append(choice)
    return action


def sample_policy(
    cache: PolicyCache, q_pi: np.ndarray, rng: np.random.Generator,
    action_selection: str = "deterministic", alpha: float = 16.0,
) -> list[int]:
    """The first step of one policy chosen from ``q_pi`` (``sampling_mode="full"``).

    ``deterministic``: the most probable policy, ties (within 1e-8) broken by ``rng``;
    ``stochastic``: a sample from ``softmax(alpha * ln q_pi)``.
    """
    if action_selection == "deterministic":
        best = np.flatnonzero(np.abs(q_pi - q_pi.max()) <= TIE_TOLERANCE)
        idx = int(best[0]) if len(best) == 1 else int(rng.choice(best))
    else:
        idx = int(rng.choice(len(q_pi), p=policy_probabilities(cache, q_pi, alpha)))
    return [int(a) for a in cache.policies[idx, 0]]


def policy_probabilities(cache: PolicyCache, q_pi: np.ndarray, alpha: float) -> np.ndarray:
    """``softmax(alpha * ln(q_pi + eps))``: what stochastic ``"full"`` sampling draws from."""
    x = alpha * np.log(q_pi + cache.conv.log_eps)
    e = np.exp(x - x.max())
    return e / e.sum()
