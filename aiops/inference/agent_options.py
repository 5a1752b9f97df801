"""An agent's settings as validated attributes: each either takes effect when assigned or refuses.

Settings that are read at every step (``gamma``, ``alpha``, ``num_iter``, ``tau``,
``lr_pA``, ...) are plain attributes. Those below are checked when assigned, and the
ones compiled into the agent's caches update them; the structural ones
(``inference_algo``, ``inference_horizon``, ``info_gain``, ``conventions``) refuse
to change, naming what to do instead.
"""

from __future__ import annotations

import numpy as np

from aiops.core.errors import UsageError
from aiops.inference.frozen import ReadOnlyModelError

DEFAULT_SEED = 0
_VANILLA_PARAMS = {"num_iter", "dF", "dF_tol", "compute_vfe"}
_MMP_PARAMS = {"num_iter", "grad_descent", "tau"}


def resolve_seed(seed) -> int:
    """The seed an agent uses: ``None`` is the fixed default (0); ``"entropy"`` draws a fresh one."""
    if seed is None:
        return DEFAULT_SEED
    if isinstance(seed, str):
        if seed == "entropy":
            return int(np.random.SeedSequence().entropy)
        raise UsageError(f"seed must be a non-negative integer or 'entropy', got {seed!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"seed must be a non-negative integer or 'entropy', got {seed!r}")
    return int(seed)


def _fixed(name: str, attr: str) -> property:
    def get(self):
        return getattr(self, attr)

    def set_(self, value):
        raise ReadOnlyModelError(f"agent.{name} is fixed when the agent is built (its caches depend on it); "
                                 f"build a new Agent(..., {name}=...) instead")

    return property(get, set_, doc=f"``{name}`` (fixed at construction).")


def _learn_flag(name: str, when: str) -> property:
    attr, param = f"_learn_{name}_on", f"p{name}"

    def get(self) -> bool:
        return getattr(self, attr)

    def set_(self, value: bool) -> None:
        if value and getattr(self._model, param) is None:
            raise UsageError(f"learn_{name} needs the model's {param} (Dirichlet concentrations over {name})")
        setattr(self, attr, bool(value))

    return property(get, set_, doc=f"Learn p{name} {when} (needs p{name}).")


def _check_indices(value, count: int, name: str):
    if isinstance(value, str):
        if value != "all":
            raise UsageError(f"{name} must be 'all' or a list of indices, got {value!r}")
        return value
    try:
        items = [int(i) for i in value]
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be 'all' or a list of indices, got {value!r}") from None
    if not all(0 <= i < count for i in items):
        raise UsageError(f"{name} = {items} has indices outside 0..{count - 1}")
    return items


class AgentOptions:
    """Validated settings of :class:`~aiops.inference.agent.Agent` (a mixin)."""

    _learn_A_on = _learn_B_on = _learn_D_on = False

    @property
    def seed(self) -> int:
        """The seed of the generator that breaks ties and samples (fixed 0 unless given)."""
        return self._seed

    @seed.setter
    def seed(self, seed) -> None:
        self._seed = resolve_seed(seed)
        self.rng = np.random.default_rng(self._seed)

    @property
    def action_selection(self) -> str:
        """``deterministic`` (the best, ties broken by the seeded generator) or ``stochastic``."""
        return self._action_selection

    @action_selection.setter
    def action_selection(self, value: str) -> None:
        if value not in ("deterministic", "stochastic"):
            raise UsageError(f"action_selection must be 'deterministic' or 'stochastic', got {value!r}")
        self._action_selection = value

    @property
    def sampling_mode(self) -> str:
        """``marginal`` (per-factor action marginals) or ``full`` (a whole policy)."""
        return self._sampling_mode

    @sampling_mode.setter
    def sampling_mode(self, value: str) -> None:
        if value not in ("marginal", "full"):
            raise UsageError(f"sampling_mode must be 'marginal' or 'full', got {value!r}")
        self._sampling_mode = value

    @property
    def num_iter(self) -> int:
        """Iterations of state inference (fixed-point or message passing)."""
        return self._num_iter

    @num_iter.setter
    def num_iter(self, value: int) -> None:
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise UsageError(f"num_iter must be an integer >= 1, got {value!r}")
        self._num_iter = int(value)

    @property
    def tau(self) -> float:
        """Step size of marginal message passing's gradient descent."""
        return self._tau

    @tau.setter
    def tau(self, value: float) -> None:
        if not value > 0:
            raise UsageError(f"tau must be positive, got {value!r}")
        self._tau = float(value)

    @property
    def inference_params(self) -> dict:
        """pymdp's ``inference_params``; assigning it (as pymdp users do) takes effect."""
        if self.inference_algo == "MMP":
            return {"num_iter": self.num_iter, "grad_descent": True, "tau": self.tau}
        return {"num_iter": self.num_iter, "dF": 1.0, "dF_tol": self.dF_tol, "compute_vfe": self.compute_vfe}

    @inference_params.setter
    def inference_params(self, params: dict) -> None:
        allowed = _MMP_PARAMS if self.inference_algo == "MMP" else _VANILLA_PARAMS
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise UsageError(f"inference_params for {self.inference_algo} take {', '.join(sorted(allowed))}; "
                             f"got {', '.join(unknown)}")
        if params.get("grad_descent", True) is not True or params.get("dF", 1.0) != 1.0:
            raise UsageError("only pymdp's defaults grad_descent=True and dF=1.0 are supported")
        if "compute_vfe" in params:
            self.compute_vfe = bool(params["compute_vfe"])
        if "num_iter" in params:
            self.num_iter = params["num_iter"]
        if "dF_tol" in params:
            self.dF_tol = float(params["dF_tol"])
        if "tau" in params:
            self.tau = params["tau"]

    inference_algo = _fixed("inference_algo", "_algo")
    inference_horizon = _fixed("inference_horizon", "_horizon")
    info_gain = _fixed("info_gain", "_info_gain")
    conventions = _fixed("conventions", "_conventions")

    @property
    def use_utility(self) -> bool:
        """Score policies by expected utility (read at every step)."""
        return self._policies.use_utility

    @use_utility.setter
    def use_utility(self, value: bool) -> None:
        self._policies.use_utility = bool(value)

    @property
    def use_states_info_gain(self) -> bool:
        """Score policies by state information gain (read at every step)."""
        return self._policies.use_info

    @use_states_info_gain.setter
    def use_states_info_gain(self, value: bool) -> None:
        self._policies.use_info = bool(value)

    @property
    def use_param_info_gain(self) -> bool:
        """Score policies by the novelty of pA and pB (read at every step)."""
        return self._policies.use_param_info_gain

    @use_param_info_gain.setter
    def use_param_info_gain(self, value: bool) -> None:
        if value and self.inference_algo == "MMP" and self._model.pB is not None:
            # pymdp.legacy cannot evaluate it either (its MMP pB novelty fails).
            raise UsageError("use_param_info_gain with pB is not available with inference_algo='MMP'",
                             hint="drop pB, or use the default inference_algo='VANILLA'")
        self._policies.use_param_info_gain = bool(value)

    learn_A = _learn_flag("A", "at every perception")
    learn_B = _learn_flag("B", "at every perception after the first")
    learn_D = _learn_flag("D", "at the first perception after a reset")

    @property
    def modalities_to_learn(self):
        """``"all"`` or the modalities whose pA learning updates (automatic or :meth:`update_A`)."""
        return self._modalities_to_learn

    @modalities_to_learn.setter
    def modalities_to_learn(self, value) -> None:
        self._modalities_to_learn = _check_indices(value, self._model.num_modalities, "modalities_to_learn")

    @property
    def factors_to_learn(self):
        """``"all"`` or the factors whose pB and pD learning updates."""
        return self._factors_to_learn

    @factors_to_learn.setter
    def factors_to_learn(self, value) -> None:
        self._factors_to_learn = _check_indices(value, self._model.num_factors, "factors_to_learn")

