"""Parameter information gain ("novelty") of Dirichlet-parameterised A and B.

For concentrations ``p`` the expected information gain about the parameters from one
more count at entry ``i`` is ``-W[i]`` with ``W = 1 / sum(p) - 1 / p`` per column
(pymdp's ``spm_wnorm``, both with ``p + 1e-16``), zeroed where ``p == 0``. A policy's
novelty adds, per step,

- for A: ``-sum_m  Q(o_m | pi) . (W_A[m] Q(s | pi))``;
- for B: ``-sum_f  Q(s_f,t | pi) . (W_B[f][..., u_t] Q(s_deps,t-1 | pi))``,

the same terms as ``pymdp.legacy.control.calc_pA_info_gain_factorized`` and
``calc_pB_info_gain_interactions``.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-16


def wnorm(p: np.ndarray) -> np.ndarray:
    """``1 / sum(p) - 1 / p`` per column (with ``p + 1e-16``), zero where ``p == 0``."""
    p = np.asarray(p)
    x = p + EPS
    return (1.0 / x.sum(axis=0) - 1.0 / x) * (p > 0)


def b_flat(b: np.ndarray) -> np.ndarray:
    """``B[f]`` (or its ``W``) as ``(prod S_deps, U * S_f)``: ``joint @ this`` predicts every action."""
    b = np.asarray(b)
    moved = b.transpose(tuple(range(1, b.ndim)) + (0,))  # (S_deps..., U, S_f)
    return np.ascontiguousarray(moved.reshape(-1, b.shape[-1] * b.shape[0]))


def by_action(b: np.ndarray) -> np.ndarray:
    """``B[f]`` as ``(U, S_f, prod S_deps)``: one transition matrix per action."""
    b = np.asarray(b)
    moved = b.transpose((b.ndim - 1,) + tuple(range(b.ndim - 1)))
    return np.ascontiguousarray(moved.reshape(b.shape[-1], b.shape[0], -1))
