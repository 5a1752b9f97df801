"""Dirichlet learning of the likelihood (A), transition (B) and initial-state (D) arrays.

Same updates as ``pymdp.legacy.learning``: concentrations grow by ``lr`` times the
outer product of the evidence and the posterior, masked to entries that are possible
under the current arrays (``A > 0`` / ``B > 0``; for D, ``pD > 0``); the arrays become
the expected distributions of the updated concentrations. ``modalities`` / ``factors``
restrict an update to some modalities or factors (``None`` or ``"all"``: every one).
The returned lists hold new arrays for the updated entries and the given arrays,
unchanged and uncopied, for the others.

The masks are ``np.sign`` of these non-negative arrays: 1.0 where positive, else 0.0,
the same products as with a boolean mask without its cast to float on every update.
"""

from __future__ import annotations

import numpy as np


def _which(selection, count: int) -> list[int]:
    return list(range(count)) if selection is None or (isinstance(selection, str) and selection == "all") \
        else [int(i) for i in selection]


def outer(vectors: list[np.ndarray]) -> np.ndarray:
    """The outer product of vectors (the joint of independent beliefs), one axis per vector."""
    out = vectors[0]
    for v in vectors[1:]:
        out = np.multiply.outer(out, v)
    return out


def update_pA(
    pA: list[np.ndarray], A: list[np.ndarray], obs, qs: list[np.ndarray],
    A_factor_list: list[list[int]], lr: float = 1.0, modalities=None,
) -> list[np.ndarray]:
    """Posterior concentrations over A after observing ``obs`` with beliefs ``qs``."""
    out = list(pA)
    evidence: dict[tuple[int, ...], np.ndarray] = {}  # lr * joint beliefs, per set of factors
    for m in _which(modalities, len(pA)):
        fs = tuple(A_factor_list[m])
        if fs not in evidence:
            evidence[fs] = lr * outer([np.asarray(qs[f]) for f in fs])
        out[m] = p = np.array(pA[m])
        # Only the observed outcome's row gains counts: one row update, no one-hot outer.
        row = p[obs[m]]
        row += evidence[fs] * np.sign(np.asarray(A[m])[obs[m]])
    return out


def update_pB(
    pB: list[np.ndarray], B: list[np.ndarray], action, qs: list[np.ndarray],
    qs_prev: list[np.ndarray], lr: float = 1.0, factors=None, B_factor_list: list[list[int]] | None = None,
) -> list[np.ndarray]:
    """Posterior concentrations over B after moving from ``qs_prev`` to ``qs`` under ``action``.

    With ``B_factor_list`` factor ``f``'s counts are the outer product of ``qs[f]`` and
    the previous beliefs about the factors its dynamics depend on.
    """
    out = list(pB)
    for f in _which(factors, len(pB)):
        deps = [f] if B_factor_list is None else B_factor_list[f]
        beliefs = [np.asarray(qs[f])] + [np.asarray(qs_prev[g]) for g in deps]
        out[f] = updated_pB(pB[f], B[f], int(action[f]), beliefs, lr)
    return out


def updated_pB(p: np.ndarray, b: np.ndarray, a: int, beliefs: list[np.ndarray], lr: float) -> np.ndarray:
    """One factor's new concentrations: ``beliefs`` are its posterior, then the previous beliefs
    about the factors its dynamics depend on."""
    p = np.array(p)
    counts = outer(beliefs)
    if lr != 1.0:  # (a product by 1.0 changes no bit: skipped)
        counts = lr * counts
    under_a = p[..., a]
    under_a += counts * np.sign(np.asarray(b)[..., a])
    return p


def update_pD(pD: list[np.ndarray], qs: list[np.ndarray], lr: float = 1.0, factors=None) -> list[np.ndarray]:
    """Posterior concentrations over D given beliefs ``qs`` about the initial state.

    Only states with positive prior concentration gain counts (as pymdp).
    """
    out = list(pD)
    for f in _which(factors, len(pD)):
        out[f] = updated_pD(pD[f], np.asarray(qs[f]), lr)
    return out


def updated_pD(p: np.ndarray, q: np.ndarray, lr: float) -> np.ndarray:
    """One factor's new concentrations over its initial state."""
    p = np.array(p)
    p += lr * q * np.sign(p)
    return p
