"""Numerical conventions of the active inference core.

Logs of probabilities need an epsilon (``ln 0`` is ``-inf``), and the state
information gain leaves out joint states whose predicted probability is negligible.
The defaults reproduce ``pymdp.legacy`` (inferactively-pymdp 1.0.4) exactly, so the
core can be checked against it to 1e-9; :data:`EXACT` uses ``0 * ln 0 = 0`` where
that is well defined.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Conventions:
    """Epsilons and thresholds used when taking logs of distributions.

    - ``log_eps``: added before every log of a likelihood, prior, posterior,
      preference or policy prior (pymdp: 1e-16). Must be positive: state inference
      takes expectations of log-likelihoods, and ``0 * -inf`` is undefined.
    - ``ambiguity_eps``: added inside ``A ln A`` of the ambiguity term
      (pymdp's ``spm_MDP_G``: ``exp(-16)``); 0 means exact ``0 ln 0 = 0``.
    - ``prune``: joint states with predicted probability ``<= prune`` are left out
      of the state information gain (pymdp: ``exp(-16)``); 0 keeps every state.
    """

    log_eps: float = 1e-16
    ambiguity_eps: float = math.exp(-16)
    prune: float = math.exp(-16)

    def __post_init__(self) -> None:
        if not self.log_eps > 0:
            raise ValueError("log_eps must be positive")
        if self.ambiguity_eps < 0 or self.prune < 0:
            raise ValueError("ambiguity_eps and prune must be >= 0")

    def to_dict(self) -> dict[str, float]:
        """The conventions as a JSON-safe dict."""
        return asdict(self)


PYMDP = Conventions()
EXACT = Conventions(log_eps=1e-300, ambiguity_eps=0.0, prune=0.0)


def log_eps(x: np.ndarray, eps: float) -> np.ndarray:
    """``ln(x + eps)``."""
    return np.log(x + eps)


def xlogx(x: np.ndarray, eps: float) -> np.ndarray:
    """``x * ln(x + eps)`` elementwise; with ``eps == 0`` uses ``0 ln 0 = 0``."""
    if eps > 0:
        return x * np.log(x + eps)
    return x * np.log(np.where(x > 0, x, 1.0))


def softmax(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """Numerically stable softmax along ``axis`` (pymdp's ``softmax`` for ``axis=0``)."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
