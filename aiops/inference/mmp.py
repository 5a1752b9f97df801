"""Marginal message passing over a window of past observations (pymdp ``inference_algo="MMP"``).

For every policy, beliefs about each factor at every time of the window (the last
``inference_horizon`` observations) and of the policy's future are updated by gradient
descent on the free energy, ``num_iter`` sweeps over time and factors, each update
using the messages from the likelihood, the past (``B`` applied to the previous
time's beliefs, or the prior at the window's start) and the future (``B`` transposed
and normalised, applied to the next time's beliefs), exactly in the order of
``pymdp.legacy.algos.mmp.run_mmp_factorized`` (gradient descent, ``tau`` step size).
Every policy is updated at once: the arrays are ``(policies, times, states)``.
"""

from __future__ import annotations

import string

import numpy as np

from aiops.inference.conventions import Conventions
from aiops.inference.model import GenerativeModel, indices
from aiops.inference.novelty import by_action

GATHER_LIMIT = 20_000  # floats: above this, apply B per distinct action instead of gathering


class MMPCache:
    """What message passing needs from A and B, precomputed."""

    def __init__(self, model: GenerativeModel, conv: Conventions) -> None:
        self.eps = conv.log_eps
        self.num_states = ns = model.num_states
        self.nf = nf = len(ns)
        self.A = [np.asarray(a) for a in model.A]
        self.A_factor_list = [list(fs) for fs in model.A_factor_list]
        self.B_deps = deps = [list(fs) for fs in model.B_factor_list]
        self.children = [[i for i, d in enumerate(deps) if f in d] for f in range(nf)]
        self.B_full: list[np.ndarray | None] = [None] * nf
        # Per factor: (U, S_f, prod S_deps) for past messages.
        self.B_by_action: list[np.ndarray | None] = [None] * nf
        # Future messages through a child that depends on f alone: spm_norm(B[:, :, u].T) per action.
        self.B_back: dict[tuple[int, int], np.ndarray] = {}
        self._set_B(model, range(nf))
        # Likelihood terms: single-factor modalities are constant over the iterations.
        self.single = [[m for m, fs in enumerate(self.A_factor_list) if fs == [f]] for f in range(nf)]
        self.multi = [[m for m, fs in enumerate(self.A_factor_list) if f in fs and len(fs) > 1] for f in range(nf)]
        letters = string.ascii_lowercase[1:]
        self.lnA_spec = {}
        for f in range(nf):
            for m in self.multi[f]:
                fs = self.A_factor_list[m]
                dims = "".join(letters[g] for g in fs)
                others = [g for g in fs if g != f]
                self.lnA_spec[(f, m)] = (dims + "," + ",".join("a" + letters[g] for g in others)
                                         + "->a" + letters[f], others)

    def update(self, model: GenerativeModel, changes: dict) -> None:
        """Recompute what changed A or B arrays affect, and only that.

        ``changes`` maps ``"A"`` / ``"B"`` to the changed modalities / factors
        (``None``: all); other keys are ignored.
        """
        if "A" in changes:
            for m in indices(changes["A"], len(model.A)):
                self.A[m] = np.asarray(model.A[m])
        if "B" in changes:
            self._set_B(model, indices(changes["B"], self.nf))

    def _set_B(self, model: GenerativeModel, factors) -> None:
        for i in factors:
            self.B_full[i] = b = np.asarray(model.B[i])
            self.B_by_action[i] = by_action(b)
            if len(self.B_deps[i]) == 1:
                bt = np.moveaxis(b, -1, 0).transpose(0, 2, 1) + 1e-16  # (U, S_f, S_i)
                self.B_back[(self.B_deps[i][0], i)] = bt / bt.sum(axis=1, keepdims=True)


def _operator(mats: np.ndarray, actions: np.ndarray):
    """``x -> (mats[actions[p]] @ x[p] for every row p)``, the cheapest way for these actions."""
    first = actions[0]
    if (actions == first).all():
        mt = np.ascontiguousarray(mats[first].T)
        return lambda x: x @ mt
    if mats.shape[1] * mats.shape[2] * len(actions) <= GATHER_LIMIT:
        gathered = np.ascontiguousarray(mats[actions])
        return lambda x: np.einsum("pij,pj->pi", gathered, x)
    groups = [(actions == u, np.ascontiguousarray(mats[u].T)) for u in np.unique(actions)]

    def apply(x):
        out = np.empty((x.shape[0], mats.shape[1]))
        for rows, mt in groups:
            out[rows] = x[rows] @ mt
        return out

    return apply


def _joint(xs: list[np.ndarray]) -> np.ndarray:
    """Row-wise outer product of ``(P, S_i)`` arrays, flattened to ``(P, prod S_i)``."""
    out = xs[0]
    for x in xs[1:]:
        out = (out[:, :, None] * x[:, None, :]).reshape(out.shape[0], -1)
    return out


def _likelihood(cache: MMPCache, obs: list[int], f: int):
    """Factor ``f``'s likelihood terms at one time: a constant, pairwise matrices, the rest.

    Single-factor modalities give ``ln A[o]``; a modality over ``f`` and one other
    factor ``g`` gives ``ln(q_g @ L)``, all such modalities stacked in one ``L``.
    """
    eps, s = cache.eps, cache.num_states[f]
    static = np.zeros(s)
    for m in cache.single[f]:
        static = static + np.log(cache.A[m][obs[m]] + eps)
    pairs: dict[int, list[np.ndarray]] = {}
    high = []
    for m in cache.multi[f]:
        fs, lh = cache.A_factor_list[m], cache.A[m][obs[m]]
        if len(fs) == 2:
            g = fs[1] if fs[0] == f else fs[0]
            pairs.setdefault(g, []).append(lh if fs[0] == f else lh.T)  # (S_f, S_g)
        else:
            high.append((cache.lnA_spec[(f, m)], lh))
    pair = [(g, np.ascontiguousarray(np.concatenate(ls, axis=0).T) + eps, len(ls)) for g, ls in pairs.items()]
    return static, pair, high


def run_mmp(
    cache: MMPCache, obs_seq: list[list[int]], past_actions: list[list[int]], policies: np.ndarray,
    prior: list[np.ndarray], num_iter: int = 10, tau: float = 0.25,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Policy-conditioned beliefs over the window and each policy's free energy.

    ``obs_seq``: the window's observations (oldest first); ``past_actions``: the
    ``len(obs_seq) - 1`` actions taken between them; ``prior``: beliefs about the
    window's first time. Returns ``qs[f]`` of shape ``(P, len(obs_seq) + T, S_f)`` and
    ``F`` of shape ``(P,)``.
    """
    eps, nf, ns = cache.eps, cache.nf, cache.num_states
    n_pol, horizon, _ = policies.shape
    past_len = len(obs_seq)
    length = past_len + horizon
    cutoff = length - 2
    past = np.asarray(past_actions, dtype=int).reshape(past_len - 1, nf)
    acts = np.concatenate([np.broadcast_to(past, (n_pol, past_len - 1, nf)), policies], axis=1)
    # Everything that does not change over the iterations, per time and factor.
    lik = [[_likelihood(cache, obs, f) for f in range(nf)] for obs in obs_seq]
    # Beliefs sum to 1, so ``(M + eps) @ q == M @ q + eps``: the epsilon of every log
    # below is folded into its matrix.
    past_op = [[None] * nf] + [[_operator(cache.B_by_action[f] + eps, acts[:, t - 1, f]) for f in range(nf)]
                               for t in range(1, length)]
    future_op = [{(f, i): _operator(cache.B_back[(f, i)] + eps, acts[:, t, i])
                  for f in range(nf) for i in cache.children[f] if (f, i) in cache.B_back}
                 for t in range(max(cutoff, 0))]
    qs = [[np.full((n_pol, s), 1.0 / s)] * length for s in ns]  # qs[f][t]: (P, S_f), rebound on update
    log_prior = [np.log(np.asarray(p) + eps) for p in prior]
    F = np.zeros(n_pol)
    for it in range(num_iter):
        last = it == num_iter - 1  # F is the last sweep's
        for t in range(length):
            for f in range(nf):
                if t < past_len:
                    ln_a, pair, high = lik[t][f]
                    for g, mat, count in pair:
                        x = np.log(qs[g][t] @ mat)
                        ln_a = ln_a + (x.reshape(n_pol, count, -1).sum(axis=1) if count > 1 else x)
                    for (spec, others), lh in high:
                        ln_a = ln_a + np.log(np.einsum(spec, lh, *[qs[g][t] for g in others]) + eps)
                else:
                    ln_a = 0.0
                if t == 0:
                    ln_past = log_prior[f]
                else:
                    deps = cache.B_deps[f]
                    x = qs[deps[0]][t - 1] if len(deps) == 1 else _joint([qs[g][t - 1] for g in deps])
                    ln_past = np.log(past_op[t][f](x))
                sx = qs[f][t]
                lnqs = np.log(sx + eps)
                if t >= cutoff:  # no message from the future
                    err = ln_a + ln_past - lnqs
                else:
                    ln_future = 0.0
                    for i in cache.children[f]:
                        op = future_op[t].get((f, i))
                        msg = op(qs[i][t + 1]) if op is not None else _future(cache, f, i, acts[:, t, i], qs, t) + eps
                        ln_future = ln_future + np.log(msg)
                    err = 2 * ln_a + ln_past + 0.5 * ln_future - 2 * lnqs
                # pymdp subtracts the mean of err first: a constant per row, which softmax ignores.
                lnqs = lnqs + tau * err
                e = np.exp(lnqs - lnqs.max(axis=1, keepdims=True))
                qs[f][t] = e / e.sum(axis=1, keepdims=True)
                if not last:
                    continue
                if t == 0 or t == length - 1:
                    F += 0.5 * np.einsum("ij,ij->i", sx, err)
                else:
                    F += 0.5 * np.einsum("ij,ij->i", sx, err - (nf - 1) * ln_a / nf)
    return [np.stack(q, axis=1) for q in qs], F


def _future(cache: MMPCache, f: int, i: int, actions: np.ndarray, qs: list[np.ndarray], t: int) -> np.ndarray:
    """Message to factor ``f`` at ``t`` from child factor ``i`` at ``t + 1``, per policy."""
    q_next = qs[i][t + 1]  # (a child with a precomputed B_back has its operator in future_op instead)
    # Marginalise the child's other parents (their beliefs at t + 1, as pymdp), then
    # transpose and normalise over f's states.
    deps = cache.B_deps[i]
    b = np.moveaxis(cache.B_full[i], -1, 0)[actions]  # (P, S_i, S_deps...)
    letters = string.ascii_lowercase[2:]
    dims = "".join(letters[k] for k in range(len(deps)))
    own = letters[deps.index(f)]
    others = [(letters[k], g) for k, g in enumerate(deps) if g != f]
    spec = "pi" + dims + "," + ",".join("p" + c for c, _ in others) + "->p" + own + "i"
    bt = np.einsum(spec, b, *[qs[g][t + 1] for _, g in others]) + 1e-16  # (P, S_f, S_i)
    bt = bt / bt.sum(axis=1, keepdims=True)
    return np.einsum("pij,pj->pi", bt, q_next)
