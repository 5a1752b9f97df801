"""The active inference agent: one perception-action step per observation."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from aiops.core.errors import UsageError
from aiops.inference import learning
from aiops.inference.actions import action_marginals, sample_action
from aiops.inference.conventions import PYMDP, Conventions
from aiops.inference.model import GenerativeModel, normalise
from aiops.inference.policies import PolicyCache, construct_policies, infer_policies
from aiops.inference.states import TABLE_LIMIT, StateCache, infer_states


@dataclass
class StepResult:
    """What one call of :meth:`Agent.infer` produced.

    ``G`` is pymdp's convention: the negative expected free energy of each policy
    (higher is better); ``q_pi = softmax(gamma * G + ln E)``. ``timings`` are seconds.
    """

    qs: list[np.ndarray]
    action: list[int]
    free_energy: float
    entropy: float
    q_pi: np.ndarray
    G: np.ndarray
    iterations: int
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-safe dict."""
        return {
            "qs": [q.tolist() for q in self.qs],
            "action": list(self.action),
            "free_energy": float(self.free_energy),
            "entropy": float(self.entropy),
            "q_pi": self.q_pi.tolist(),
            "G": self.G.tolist(),
            "iterations": self.iterations,
            "timings": dict(self.timings),
        }


class Agent:
    """A discrete active inference agent over a :class:`GenerativeModel`.

    Perception is fixed-point iteration (pymdp "VANILLA"), planning scores every
    policy of length ``policy_len`` by expected free energy, and actions come from the
    marginal posterior over first-step actions. ``info_gain`` selects per-modality
    (pymdp 1.0) or joint-outcome (SPM / pymdp 0.0.7) state information gain. With
    ``learn_A`` / ``learn_B`` the model needs ``pA`` / ``pB``; learning happens after
    perception and before planning in every step, and persists across :meth:`reset`.
    """

    def __init__(
        self, model: GenerativeModel, policy_len: int = 1, gamma: float = 16.0, alpha: float = 16.0,
        action_selection: str = "deterministic", seed: int | None = None, *,
        policies: np.ndarray | None = None, info_gain: str = "per_modality",
        use_utility: bool = True, use_states_info_gain: bool = True,
        num_iter: int = 10, dF_tol: float = 0.001, conventions: Conventions = PYMDP,
        learn_A: bool = False, learn_B: bool = False, lr_pA: float = 1.0, lr_pB: float = 1.0,
    ) -> None:
        if action_selection not in ("deterministic", "stochastic"):
            raise UsageError(f"action_selection must be 'deterministic' or 'stochastic', got {action_selection!r}")
        if num_iter < 1:
            raise UsageError(f"num_iter must be >= 1, got {num_iter}")
        self.model = model.copy().validate()
        if learn_A and self.model.pA is None:
            raise UsageError("learn_A needs the model's pA (Dirichlet concentrations over A)")
        if learn_B and self.model.pB is None:
            raise UsageError("learn_B needs the model's pB (Dirichlet concentrations over B)")
        if self.model.pA is not None:
            self.model.A = normalise(self.model.pA)
        if self.model.pB is not None:
            self.model.B = normalise(self.model.pB)
        self.policy_len, self.gamma, self.alpha = policy_len, float(gamma), float(alpha)
        self.action_selection = action_selection
        self.num_iter, self.dF_tol = int(num_iter), float(dF_tol)
        self.conventions = conventions
        self.learn_A, self.learn_B, self.lr_pA, self.lr_pB = learn_A, learn_B, lr_pA, lr_pB
        self._policy_options = dict(
            info_gain=info_gain, use_utility=use_utility, use_states_info_gain=use_states_info_gain
        )
        self.policies = (
            construct_policies(self.model.num_controls, policy_len) if policies is None
            else np.asarray(policies, dtype=int)
        )
        self._seed = seed
        self._compile()
        self.reset()

    def _compile(self) -> None:
        """Build the caches derived from the model's arrays and the policies."""
        self._num_obs = self.model.num_obs
        # A learning agent rebuilds its state cache every step: skip the per-observation tables.
        learning = self.learn_A or self.learn_B
        self._states = StateCache(self.model, self.conventions, table_limit=0 if learning else TABLE_LIMIT)
        self._policies = PolicyCache(
            self.model, self.policies, self.conventions, E=self.model.E, **self._policy_options
        )

    def _refresh(self) -> None:
        """Rebuild what depends on A and B after learning (the policy structure is kept)."""
        self._states = StateCache(self.model, self.conventions, table_limit=0)
        self._policies.refresh(self.model)

    @property
    def num_policies(self) -> int:
        """Number of policies evaluated each step."""
        return len(self.policies)

    def reset(self) -> None:
        """Forget beliefs and the last action (learned parameters are kept); reseed the RNG."""
        self.rng = np.random.default_rng(self._seed)
        self._q = self._states.q_uniform
        self.qs = self._split(self._q)
        self.action: list[int] | None = None
        self.q_pi = np.full(self.num_policies, 1.0 / self.num_policies)
        self.G = np.zeros(self.num_policies)
        self.free_energy = float("nan")
        self.entropy = float("nan")
        self.iterations = 0
        self.t = 0

    def _split(self, q: np.ndarray) -> list[np.ndarray]:
        return [q[sl] for sl in self._states.slices]

    def _check_obs(self, obs) -> list[int]:
        no = self._num_obs
        try:
            o = [int(x) for x in obs]
        except (TypeError, ValueError):
            raise UsageError(f"observation {obs!r} is not one outcome index per modality") from None
        if len(o) != len(no) or not all(0 <= x < n for x, n in zip(o, no)):
            raise UsageError(f"observation {o} does not fit num_obs {no}")
        return o

    def infer_states(self, obs) -> list[np.ndarray]:
        """Update beliefs about hidden states from one outcome index per modality."""
        o = self._check_obs(obs)
        log_prior = self._states.empirical_prior(self._q, self.action)
        prev = self.qs
        post = infer_states(self._states, o, log_prior, self.num_iter, self.dF_tol)
        self._q, self.qs = post.q, self._split(post.q)
        self.free_energy, self.entropy, self.iterations = post.free_energy, post.entropy, post.iterations
        if self.learn_A or (self.learn_B and self.action is not None):
            self._learn(o, prev)
        return self.qs

    def _learn(self, o: list[int], qs_prev: list[np.ndarray]) -> None:
        m = self.model
        if self.learn_A:
            m.pA = learning.update_pA(m.pA, m.A, o, self.qs, m.A_factor_list, self.lr_pA)
            m.A = normalise(m.pA)
        if self.learn_B and self.action is not None:
            m.pB = learning.update_pB(m.pB, m.B, self.action, self.qs, qs_prev, self.lr_pB)
            m.B = normalise(m.pB)
        self._refresh()

    def infer_policies(self) -> tuple[np.ndarray, np.ndarray]:
        """Posterior over policies and ``G`` (negative expected free energy) from current beliefs."""
        self.q_pi, self.G = infer_policies(self._policies, self.qs, self.gamma)
        return self.q_pi, self.G

    def sample_action(self) -> list[int]:
        """Choose an action per factor from ``q_pi``; it conditions the next step's prior."""
        self.action = sample_action(self._policies, self.q_pi, self.rng, self.action_selection, self.alpha)
        self.t += 1
        return self.action

    def action_marginals(self) -> list[np.ndarray]:
        """Posterior over first-step actions per factor, from the current ``q_pi``."""
        return action_marginals(self._policies, self.q_pi)

    def set_action(self, action) -> None:
        """Override the last action (e.g. when an external controller acted)."""
        self.action = [int(a) for a in action]

    def infer(self, obs) -> StepResult:
        """One perception-action step: infer states, infer policies, pick an action."""
        clock = time.perf_counter
        t0 = clock()
        self.infer_states(obs)
        t1 = clock()
        self.infer_policies()
        t2 = clock()
        action = self.sample_action()
        t3 = clock()
        return StepResult(
            self.qs, action, self.free_energy, self.entropy, self.q_pi, self.G, self.iterations,
            {"infer_states": t1 - t0, "infer_policies": t2 - t1, "sample_action": t3 - t2, "total": t3 - t0},
        )
