"""Dirichlet learning of the likelihood (A) and transition (B) arrays.

Same updates as ``pymdp.legacy.learning``: concentrations grow by ``lr`` times the
outer product of the evidence and the posterior, masked to entries that are possible
under the current arrays (``A > 0`` / ``B > 0``); the arrays become the expected
distributions of the updated concentrations.
"""

from __future__ import annotations

import numpy as np


def update_pA(
    pA: list[np.ndarray], A: list[np.ndarray], obs, qs: list[np.ndarray],
    A_factor_list: list[list[int]], lr: float = 1.0, modalities=None,
) -> list[np.ndarray]:
    """Posterior concentrations over A after observing ``obs`` with beliefs ``qs``."""
    out = [p.copy() for p in pA]
    for m in range(len(pA)) if modalities is None else modalities:
        fs = A_factor_list[m]
        joint = qs[fs[0]]
        for f in fs[1:]:
            joint = np.multiply.outer(joint, qs[f])
        # Only the observed outcome's row gains counts: one row update, no one-hot outer.
        out[m][obs[m]] += lr * joint * (A[m][obs[m]] > 0)
    return out


def update_pB(
    pB: list[np.ndarray], B: list[np.ndarray], action, qs: list[np.ndarray],
    qs_prev: list[np.ndarray], lr: float = 1.0, factors=None,
) -> list[np.ndarray]:
    """Posterior concentrations over B after moving from ``qs_prev`` to ``qs`` under ``action``."""
    out = [p.copy() for p in pB]
    for f in range(len(pB)) if factors is None else factors:
        a = int(action[f])
        out[f][:, :, a] += lr * np.outer(qs[f], qs_prev[f]) * (B[f][:, :, a] > 0)
    return out
