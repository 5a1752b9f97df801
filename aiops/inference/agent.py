"""The active inference agent: one perception-action step per observation."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from aiops.core.errors import UsageError
from aiops.inference.actions import action_marginals, sample_action, sample_policy
from aiops.inference.agent_learning import AgentLearning
from aiops.inference.agent_options import DEFAULT_SEED, AgentOptions, resolve_seed
from aiops.inference.conventions import PYMDP, Conventions
from aiops.inference.frozen import ReadOnlyModelError, freeze_array
from aiops.inference.mmp import MMPCache, run_mmp
from aiops.inference.model import GenerativeModel, normalise
from aiops.inference.policies import PolicyCache, construct_policies, infer_policies, posterior, score_beliefs
from aiops.inference.states import TABLE_LIMIT, StateCache, infer_states



@dataclass
class StepResult:
    """What one call of :meth:`Agent.infer` produced.

    ``G`` is pymdp's convention: the negative expected free energy of each policy
    (higher is better); ``q_pi = softmax(gamma * G + ln E)`` (``- F`` too with MMP).
    ``timings`` are seconds.
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


def _model_field(name: str) -> property:
    def get(self):
        return getattr(self._model, name)

    def set_(self, value):
        setattr(self._model, name, value)

    return property(get, set_, doc=f"The model's ``{name}`` (read-only arrays; assigning a new value takes effect).")


class Agent(AgentOptions, AgentLearning):
    """A discrete active inference agent over a :class:`GenerativeModel`.

    Build it from a model, ``Agent(model, policy_len=2)``, or pymdp-style from arrays
    (lists or numpy object arrays), ``Agent(A=A, B=B, C=C, D=D)``. Each step is
    perception (:meth:`infer_states`), planning (:meth:`infer_policies`) and action
    (:meth:`sample_action`); :meth:`infer` does all three.

    - Perception: fixed-point iteration (pymdp "VANILLA"), or with
      ``inference_algo="MMP"`` marginal message passing over the last
      ``inference_horizon`` observations, per policy.
    - Planning scores every policy of length ``policy_len`` by expected free energy:
      utility, state information gain (``info_gain``: per modality as pymdp 1.0, or
      ``"joint"`` as SPM / pymdp 0.0.7) and, with ``use_param_info_gain``, the novelty
      of pA and pB.
    - Action: ``sampling_mode="marginal"`` picks from the posterior over first-step
      actions; ``"full"`` picks a whole policy. Ties between equally good actions
      are broken by the agent's generator, seeded with ``seed`` (0 unless given;
      ``seed="entropy"`` draws a fresh one, recorded in :attr:`seed`).
    - Learning (Dirichlet pA, pB, pD): at perception time with ``learn_A`` /
      ``learn_B`` / ``learn_D``, or when you call :meth:`update_A`, :meth:`update_B`,
      :meth:`update_D`; ``modalities_to_learn`` / ``factors_to_learn`` restrict it.
      Learned parameters persist across :meth:`reset`.

    The agent keeps a read-only copy of its model (:attr:`model`): editing an array in
    place raises :class:`~aiops.inference.frozen.ReadOnlyModelError`; assigning a new
    one (``agent.C = ...``, ``agent.model.C = ...`` or
    ``agent.model = agent.model.replace(C=...)``) is validated and takes effect.
    """

    A = _model_field("A")
    B = _model_field("B")
    C = _model_field("C")
    D = _model_field("D")
    E = _model_field("E")
    pA = _model_field("pA")
    pB = _model_field("pB")
    pD = _model_field("pD")

    def __init__(
        self, model: GenerativeModel | None = None, policy_len: int = 1, gamma: float = 16.0,
        alpha: float = 16.0, action_selection: str = "deterministic", seed: int | str | None = DEFAULT_SEED, *,
        A=None, B=None, C=None, D=None, E=None, pA=None, pB=None, pD=None,
        A_factor_list=None, B_factor_list=None,
        policies: np.ndarray | None = None, info_gain: str = "per_modality",
        use_utility: bool = True, use_states_info_gain: bool = True, use_param_info_gain: bool = False,
        sampling_mode: str = "marginal", inference_algo: str = "VANILLA", inference_horizon: int = 1,
        inference_params: dict | None = None, num_iter: int = 10, dF_tol: float = 0.001, tau: float = 0.25,
        conventions: Conventions = PYMDP,
        learn_A: bool = False, learn_B: bool = False, learn_D: bool = False,
        lr_pA: float = 1.0, lr_pB: float = 1.0, lr_pD: float = 1.0,
        modalities_to_learn="all", factors_to_learn="all",
    ) -> None:
        model = _model_from(model, dict(A=A, B=B, C=C, D=D, E=E, pA=pA, pB=pB, pD=pD,
                                        A_factor_list=A_factor_list, B_factor_list=B_factor_list))
        if inference_algo not in ("VANILLA", "MMP"):
            raise UsageError(f"inference_algo must be 'VANILLA' or 'MMP', got {inference_algo!r}")
        if not isinstance(inference_horizon, int) or inference_horizon < 1:
            raise UsageError(f"inference_horizon must be an integer >= 1, got {inference_horizon!r}")
        self._algo, self._horizon = inference_algo, inference_horizon
        self._conventions, self._info_gain = conventions, info_gain
        m = _expected(model.copy())
        self._model = m.frozen(self._model_changed)
        self._apart = {"D"}  # arrays that may differ from the expected value of their concentrations
        self.policy_len, self.gamma, self.alpha = policy_len, float(gamma), float(alpha)
        self.action_selection, self.sampling_mode = action_selection, sampling_mode
        self.num_iter, self.dF_tol, self.tau = num_iter, dF_tol, tau
        self.compute_vfe = True  # pymdp: False runs all num_iter iterations, ignoring dF_tol
        if inference_params is not None:
            self.inference_params = inference_params
        self.learn_A, self.learn_B, self.learn_D = learn_A, learn_B, learn_D
        self.lr_pA, self.lr_pB, self.lr_pD = lr_pA, lr_pB, lr_pD
        self.modalities_to_learn, self.factors_to_learn = modalities_to_learn, factors_to_learn
        policies = construct_policies(m.num_controls, policy_len) if policies is None else policies
        self._compile(policies, use_utility, use_states_info_gain, use_param_info_gain)
        self.seed = seed
        self.reset()

    # -- compiled data ---------------------------------------------------------------------

    def _compile(self, policies, use_utility, use_states_info_gain, use_param_info_gain) -> None:
        """Build the caches derived from the model's arrays and the policies."""
        m = self._model
        self._num_obs = m.num_obs
        self._policies = PolicyCache(
            m, policies, self._conventions, E=m.E, info_gain=self._info_gain, use_utility=use_utility,
            use_states_info_gain=use_states_info_gain, use_param_info_gain=use_param_info_gain)
        self.use_param_info_gain = use_param_info_gain  # checks MMP + pB
        self._policy_array = freeze_array(self._policies.policies, "agent.policies", dtype=int)
        self._compile_states()

    def _compile_states(self) -> None:
        m = self._model
        if self._algo == "MMP":
            self._mmp = MMPCache(m, self._conventions)
            self._states = None
        else:
            # An agent learning A changes its likelihoods every step: no per-observation tables.
            self._states = StateCache(m, self._conventions, table_limit=0 if self.learn_A else TABLE_LIMIT)

    def _refresh(self, changes) -> None:
        """Recompute what depends on changed model fields, and only that.

        ``changes`` maps field names to the changed modalities or factors (``None``:
        all); a set of names means all of each.
        """
        if not isinstance(changes, dict):
            changes = dict.fromkeys(changes)
        if "A" in changes or "B" in changes:
            (self._mmp if self._algo == "MMP" else self._states).update(self._model, changes)
        if "D" in changes and self._states is not None:
            self._states.set_D(self._model.D)
        self._policies.refresh(self._model, changes)

    def _model_changed(self, name: str, value) -> None:
        """Called when a field of :attr:`model` is assigned: check, store, recompute."""
        if name == "E":
            self._policies.set_E(value)
        if name in ("pA", "pB", "pD") and value is None and getattr(self, f"learn_{name[1:]}"):
            raise UsageError(f"{name} cannot be removed while learn_{name[1:]} is on")
        if name == "pB" and value is not None and self._algo == "MMP" and self.use_param_info_gain:
            raise UsageError("use_param_info_gain with pB is not available with inference_algo='MMP'")
        self._model.commit(name, value)
        if name in ("A", "B", "D", "pA", "pB", "pD"):
            self._apart.add(name[-1])  # A may no longer be the expected value of pA
        self._refresh({name})

    @property
    def model(self) -> GenerativeModel:
        """The agent's read-only generative model (assign a new one to change it)."""
        return self._model

    @model.setter
    def model(self, model: GenerativeModel) -> None:
        if not isinstance(model, GenerativeModel):
            raise UsageError("agent.model must be a GenerativeModel (use model.replace(...) to build one)")
        old = self._model
        new = _expected(model.copy()).validate()
        if (new.num_states, new.num_obs, new.num_controls) != (old.num_states, old.num_obs, old.num_controls):
            raise UsageError("the new model has other dimensions than the agent's; build a new Agent for it")
        for name, on in (("pA", self.learn_A), ("pB", self.learn_B), ("pD", self.learn_D)):
            if on and getattr(new, name) is None:
                raise UsageError(f"learn_{name[1:]} needs the model's {name}")
        if self._algo == "MMP" and self.use_param_info_gain and new.pB is not None:
            raise UsageError("use_param_info_gain with pB is not available with inference_algo='MMP'")
        saved = {k: self.__dict__[k] for k in ("_model", "_policies", "_policy_array", "_states", "_mmp")
                 if k in self.__dict__}
        c = saved["_policies"]
        self._model = new.frozen(self._model_changed)
        try:
            self._compile(c.policies, c.use_utility, c.use_info, c.use_param_info_gain)
        except Exception:
            self.__dict__.update(saved)  # refused (E's length, say): the agent is as it was
            raise
        old.detach()
        self._apart = {"D"}

    @property
    def policies(self) -> np.ndarray:
        """The policies, ``(P, policy_len, num_factors)`` (read-only; assign new ones to change)."""
        return self._policy_array

    @policies.setter
    def policies(self, policies) -> None:
        c = self._policies
        self._compile(policies, c.use_utility, c.use_info, c.use_param_info_gain)
        self.q_pi = np.full(self.num_policies, 1.0 / self.num_policies)
        self.G = np.zeros(self.num_policies)
        self.qs_pi, self.F = None, None  # MMP's beliefs were per old policy

    @property
    def num_policies(self) -> int:
        """Number of policies evaluated each step."""
        return len(self._policies.policies)

    @property
    def qs(self) -> list[np.ndarray]:
        """Posterior beliefs about the current hidden states, one array per factor."""
        return self._qs

    @qs.setter
    def qs(self, qs) -> None:
        qs = [np.asarray(q, dtype=np.float64) for q in qs]
        if [q.shape for q in qs] != [(n,) for n in self._model.num_states]:
            raise UsageError(f"qs must be one belief vector per factor, sizes {self._model.num_states}")
        self._qs, self._q = qs, np.concatenate(qs)

    # -- the loop --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget beliefs, history and the last action (learned parameters are kept); reseed the RNG."""
        self.rng = np.random.default_rng(self._seed)
        ns = self._model.num_states
        self.qs = [np.full(n, 1.0 / n) for n in ns]
        self.qs_prev: list[np.ndarray] | None = None
        self._qs_first: list[np.ndarray] | None = None
        self.action: list[int] | None = None
        self._acted = False
        self.q_pi = np.full(self.num_policies, 1.0 / self.num_policies)
        self.G = np.zeros(self.num_policies)
        self.free_energy = float("nan")
        self.entropy = float("nan")
        self.iterations = 0
        self.t = 0
        # Marginal message passing: the window of observations and actions, per-policy beliefs.
        self._obs_hist: list[list[int]] = []
        self._act_hist: list[list[int]] = []
        self.latest_belief = [np.array(d) for d in self._model.D]
        self.qs_pi: list[np.ndarray] | None = None
        self.F: np.ndarray | None = None

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
        """Update beliefs about hidden states from one outcome index per modality.

        With MMP the policy-conditioned beliefs over the window are in :attr:`qs_pi`
        (``qs_pi[f]``: ``(P, times, S_f)``), their free energies in :attr:`F`, and
        :attr:`qs` is their average about the current time, weighted by ``E``.
        """
        o = self._check_obs(obs)
        self.qs_prev = self._qs
        if self._algo == "MMP":
            self._infer_mmp(o)
        else:
            log_prior = self._states.empirical_prior(self._q, self.action)
            tol = self.dF_tol if self.compute_vfe else -np.inf
            post = infer_states(self._states, o, log_prior, self._num_iter, tol)
            self._q, self._qs = post.q, [post.q[sl] for sl in self._states.slices]
            self.free_energy, self.entropy, self.iterations = post.free_energy, post.entropy, post.iterations
        self._acted = False
        first = self._qs_first is None
        if first:
            self._qs_first = self._qs
        if self._learn_A_on or self._learn_B_on or self._learn_D_on:
            self._learn_at_perception(o, first)
        return self._qs

    def _infer_mmp(self, o: list[int]) -> None:
        self._obs_hist = (self._obs_hist + [o])[-self._horizon:]
        past = len(self._obs_hist) - 1
        actions = self._act_hist[len(self._act_hist) - past:] if past else []
        self.qs_pi, self.F = run_mmp(self._mmp, self._obs_hist, actions, self._policies.policies,
                                     self.latest_belief, self.num_iter, self.tau)
        w = np.exp(self._policies.ln_E)
        w = w / w.sum()
        self._qs = [w @ q[:, past] for q in self.qs_pi]
        self._q = np.concatenate(self._qs)
        self.free_energy = float(w @ self.F)
        self.entropy = -float(sum(q @ np.log(q + self._conventions.log_eps) for q in self._qs))
        self.iterations = self.num_iter

    def infer_policies(self) -> tuple[np.ndarray, np.ndarray]:
        """Posterior over policies and ``G`` (negative expected free energy) from current beliefs."""
        if self._algo == "MMP":
            if self.qs_pi is None:
                raise UsageError("infer_policies needs beliefs: call infer_states first")
            horizon = self._policies.policies.shape[1] + 1
            future = [q[:, -horizon:].reshape(-1, q.shape[2]) for q in self.qs_pi]
            G = score_beliefs(self._policies, future).reshape(-1, horizon).sum(axis=1)
            self.q_pi, self.G = posterior(self._policies, G, self.gamma, -self.F), G
        else:
            self.q_pi, self.G = infer_policies(self._policies, self._qs, self.gamma)
        return self.q_pi, self.G

    def sample_action(self) -> list[int]:
        """Choose an action per factor from ``q_pi``; it conditions the next step's prior."""
        pick = sample_action if self._sampling_mode == "marginal" else sample_policy
        self._step_time(pick(self._policies, self.q_pi, self.rng, self._action_selection, self.alpha))
        return self.action

    def _step_time(self, action: list[int]) -> None:
        """Record the action and move time on (with MMP: shift the window's prior)."""
        self.action = action
        self._acted = True
        self.t += 1
        if self._algo == "MMP":
            self._act_hist = (self._act_hist + [action])[-self._horizon:]
            if self.t >= self._horizon and self.qs_pi is not None:
                # pymdp: the window's new prior is the policy average of its old first slice.
                self.latest_belief = [self.q_pi @ q[:, 0] for q in self.qs_pi]

    def action_marginals(self) -> list[np.ndarray]:
        """Posterior over first-step actions per factor, from the current ``q_pi``."""
        return action_marginals(self._policies, self.q_pi)

    def set_action(self, action) -> None:
        """Take ``action`` instead of sampling one, or override the one just sampled."""
        action = [int(a) for a in action]
        if len(action) != self._model.num_factors:
            raise UsageError(f"action {action} needs one control per factor ({self._model.num_factors})")
        if self._acted:
            self.action = action
            if self._act_hist:
                self._act_hist[-1] = action
        else:
            self._step_time(action)

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
            self._qs, action, self.free_energy, self.entropy, self.q_pi, self.G, self.iterations,
            {"infer_states": t1 - t0, "infer_policies": t2 - t1, "sample_action": t3 - t2, "total": t3 - t0},
        )


def _expected(model: GenerativeModel) -> GenerativeModel:
    """As pymdp: with pA (pB), A (B) is the expected value of the concentrations."""
    if model.pA is not None:
        model.A = normalise(model.pA)
    if model.pB is not None:
        model.B = normalise(model.pB)
    return model


def _model_from(model, arrays: dict) -> GenerativeModel:
    """The model an Agent is built from: given, or assembled from pymdp-style arrays."""
    given = {k: v for k, v in arrays.items() if v is not None}
    if model is None:
        if "A" not in given or "B" not in given:
            raise UsageError("Agent needs a GenerativeModel, or arrays by keyword: Agent(A=A, B=B, C=C, D=D)")
        return GenerativeModel(**given, name="arrays")
    if not isinstance(model, GenerativeModel):
        raise UsageError("Agent's first argument is a GenerativeModel; pass pymdp-style arrays by keyword: "
                         "Agent(A=A, B=B, C=C, D=D)")
    if given:
        raise UsageError(f"pass either a model or arrays ({', '.join(sorted(given))}), not both; "
                         "to change a model's arrays use model.replace(...)")
    return model


__all__ = ["Agent", "StepResult", "DEFAULT_SEED", "ReadOnlyModelError", "resolve_seed"]
