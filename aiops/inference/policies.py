"""Policy inference: expected free energy of every policy at once.

For a policy ``pi`` the negative expected free energy (pymdp's ``G``: higher is better) is

    G(pi) = sum_t [ E_{Q(o_t|pi)} ln softmax(C)   (expected utility)
                  + I(o_t; s_t | pi) ]            (state information gain)

with ``I`` summed per modality (as ``pymdp.legacy``'s factorised control) or taken
over the joint outcome of all modalities (SPM's ``spm_MDP_G``, ``info_gain="joint"``).
Then ``q(pi) = softmax(gamma * G + ln E)``.

Policies share prefixes: with ``U`` actions and horizon ``T`` there are only ``U**t``
distinct predictive beliefs at step ``t``. At construction the policies are compiled
into a prefix tree per factor and a list of distinct joint "nodes" per step; each
evaluation propagates beliefs one matrix product per factor and step, scores every
node with a few matrix products, and gathers the node scores into per-policy sums.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from aiops.core.errors import UsageError
from aiops.inference.conventions import Conventions, softmax, xlogx
from aiops.inference.model import GenerativeModel

MAX_JOINT_OUTCOMES = 1_000_000
SMALL = 16


def construct_policies(num_controls: list[int], policy_len: int) -> np.ndarray:
    """Every action sequence, shape ``(P, policy_len, num_factors)``, in pymdp's order."""
    if policy_len < 1:
        raise UsageError(f"policy_len must be >= 1, got {policy_len}")
    ranges = [range(u) for u in num_controls] * policy_len
    return np.array(list(itertools.product(*ranges)), dtype=int).reshape(-1, policy_len, len(num_controls))


class _FactorTree:
    """Distinct action prefixes of one factor, per step."""

    def __init__(self, actions: np.ndarray, num_controls: int) -> None:
        # actions: (P, T) of this factor
        self.select: list[np.ndarray | None] = []  # rows of (parents x U) kept at each step
        self.inverse: list[np.ndarray] = []  # policy -> prefix id at each step
        self.sizes: list[int] = []
        prev_ids: dict[tuple, int] = {(): 0}
        for t in range(1, actions.shape[1] + 1):
            uniq, inv = np.unique(actions[:, :t], axis=0, return_inverse=True)
            sel = np.array([prev_ids[tuple(r[:-1])] * num_controls + r[-1] for r in uniq], dtype=int)
            full = len(sel) == len(prev_ids) * num_controls and np.array_equal(sel, np.arange(len(sel)))
            self.select.append(None if full else sel)
            self.inverse.append(inv.reshape(-1))
            self.sizes.append(len(uniq))
            prev_ids = {tuple(r): i for i, r in enumerate(uniq)}


class _GroupPlan:
    """Modalities sharing a factor set: joint nodes, stacked likelihoods, scores."""

    def __init__(self, model, factors, modalities, trees, conv, joint) -> None:
        self.factors = factors
        offs = [np.concatenate([[0], np.cumsum(trees[f].sizes)]) for f in factors]
        node_rows = []  # per step: (nodes, factor) row into each factor's stacked predictions
        policy_nodes = []  # per step: policy -> global node index
        start = 0
        for t in range(len(trees[factors[0]].sizes)):
            combo = np.stack([trees[f].inverse[t] for f in factors], axis=1)
            uniq, inv = np.unique(combo, axis=0, return_inverse=True)
            node_rows.append(uniq + np.array([o[t] for o in offs]))
            policy_nodes.append(inv.reshape(-1) + start)
            start += len(uniq)
        rows = np.concatenate(node_rows)
        # Joint beliefs are products of per-factor columns: factor i's belief about its own
        # state, repeated/tiled across the other factors' states (C order, last fastest).
        ns = [model.num_states[f] for f in factors]
        grids = np.indices(ns).reshape(len(ns), -1)
        self.index: list[tuple | None] = []
        for i, f in enumerate(factors):
            r = np.ascontiguousarray(rows[:, i])
            total = int(offs[i][-1])
            as_is = total == 1 or np.array_equal(r, np.arange(total))  # already one row per node
            cols = grids[i] if len(factors) > 1 else None
            if as_is and cols is None:
                self.index.append(None)
            elif as_is:
                self.index.append((slice(None), cols))
            elif cols is None:
                self.index.append((r,))
            else:
                self.index.append((r[:, None], cols[None, :]))
        self.policy_nodes = np.stack(policy_nodes, axis=1)  # (P, T)
        self.identity = self.policy_nodes.shape[1] == 1 and np.array_equal(
            self.policy_nodes[:, 0], np.arange(start)
        )
        self.modalities, self.joint_outcomes = modalities, joint
        self.refresh(model, conv)

    def refresh(self, model, conv) -> None:
        """Recompute the terms that depend on A and C (after learning, say)."""
        modalities, joint = self.modalities, self.joint_outcomes
        a = [model.A[m].reshape(model.A[m].shape[0], -1) for m in modalities]
        ln_c = [np.log(softmax(model.C[m]) + conv.log_eps) for m in modalities]
        self.utility = sum(am.T @ lc for am, lc in zip(a, ln_c))  # (S_joint,)
        if joint:
            a_out = a[0]
            for am in a[1:]:
                a_out = (a_out[:, None, :] * am[None, :, :]).reshape(-1, a_out.shape[1])
            a = [a_out]
        self.neg_ambiguity = sum(xlogx(am, conv.ambiguity_eps).sum(axis=0) for am in a)
        a_t = np.concatenate(a).T  # (S_joint, outcomes)
        # Last column carries sum_o A ln A, so one product gives outcomes and ambiguity.
        self.a_ext = np.ascontiguousarray(np.concatenate([a_t, self.neg_ambiguity[:, None]], axis=1))
        self.a_nonzero = a_t != 0
        self.sparse = a_t.shape[0] >= 64

    def joint(self, preds: list[np.ndarray]) -> np.ndarray:
        """Predicted joint beliefs over this group's factors, one row per node."""
        qx = None
        for f, index in zip(self.factors, self.index):
            x = preds[f] if index is None else preds[f][index]
            qx = x if qx is None else qx * x
        return qx

    def info_gain(self, qx: np.ndarray, eps: float) -> np.ndarray:
        """State information gain per node from pruned joint beliefs ``qx``."""
        if self.sparse:
            cols = np.flatnonzero(qx.any(axis=0))
            if cols.shape[0] * 4 <= qx.shape[1]:
                # Most states are pruned (sharp beliefs): only their rows and outcomes count.
                sub = qx[:, cols]
                outs = np.flatnonzero(self.a_nonzero[cols].any(axis=0))
                qo = sub @ self.a_ext[np.ix_(cols, outs)]
                return sub @ self.neg_ambiguity[cols] - np.einsum("ij,ij->i", qo, np.log(qo + eps))
        qo = qx @ self.a_ext
        out = qo[:, :-1]
        return qo[:, -1] - (out * np.log(out + eps)).sum(axis=1)


class PolicyCache:
    """Compiled policies and model terms for :func:`infer_policies`."""

    def __init__(
        self, model: GenerativeModel, policies: np.ndarray, conv: Conventions, *,
        info_gain: str = "per_modality", use_utility: bool = True, use_states_info_gain: bool = True,
        E: np.ndarray | None = None,
    ) -> None:
        if info_gain not in ("per_modality", "joint"):
            raise UsageError(f"info_gain must be 'per_modality' or 'joint', got {info_gain!r}")
        policies = np.asarray(policies, dtype=int)
        nc = model.num_controls
        if policies.ndim != 3 or policies.shape[2] != model.num_factors:
            raise UsageError(f"policies has shape {policies.shape}; expected (P, T, {model.num_factors})")
        if np.any(policies < 0) or np.any(policies >= np.array(nc)):
            raise UsageError(f"policies contain actions outside num_controls {nc}")
        self.policies = policies
        self.conv = conv
        self.use_utility, self.use_info = use_utility, use_states_info_gain
        n_pol = len(policies)
        if E is not None and len(E) != n_pol:
            raise UsageError(f"E has {len(E)} entries; expected one per policy ({n_pol})")
        self.ln_E = np.log((np.full(n_pol, 1.0 / n_pol) if E is None else E) + conv.log_eps)
        self.ln_E_list = self.ln_E.tolist()
        self.trees = [_FactorTree(policies[:, :, f], u) for f, u in enumerate(nc)]
        groups: dict[tuple[int, ...], list[int]] = {}
        for m, fs in enumerate(model.A_factor_list):
            groups.setdefault(tuple(fs), []).append(m)
        joint = info_gain == "joint"
        if joint and len(groups) > 1:
            raise UsageError("info_gain='joint' needs every modality to depend on the same factors")
        if joint and np.prod(model.num_obs, dtype=float) > MAX_JOINT_OUTCOMES:
            raise UsageError(f"info_gain='joint' over {model.num_obs} outcomes is too large")
        self.groups = [_GroupPlan(model, fs, ms, self.trees, conv, joint) for fs, ms in groups.items()]
        self.B_flat = self._b_flat(model)
        # First-step actions, one-hot over all factors' controls: q_pi @ this = action marginals.
        self.control_offsets = np.concatenate([[0], np.cumsum(nc)]).astype(int)
        first = policies[:, 0, :] + self.control_offsets[:-1]
        self.first_actions = np.zeros((n_pol, int(self.control_offsets[-1])))
        np.put_along_axis(self.first_actions, first, 1.0, axis=1)

    @staticmethod
    def _b_flat(model: GenerativeModel) -> list[np.ndarray]:
        """Per factor (S, U*S): ``q @ B_flat`` = predictions under every action at once."""
        return [np.ascontiguousarray(b.transpose(1, 2, 0).reshape(b.shape[0], -1)) for b in model.B]

    def refresh(self, model: GenerativeModel) -> None:
        """Recompute what depends on A, B and C; the compiled policy structure is kept."""
        self.B_flat = self._b_flat(model)
        for g in self.groups:
            g.refresh(model, self.conv)


def predict(cache: PolicyCache, qs: list[np.ndarray]) -> list[np.ndarray]:
    """Predicted beliefs of every distinct action prefix, stacked over steps, per factor."""
    out = []
    for tree, b_flat, q in zip(cache.trees, cache.B_flat, qs):
        s = q.shape[0]
        x = q[None, :]
        steps = []
        for sel in tree.select:
            x = (x @ b_flat).reshape(-1, s)
            if sel is not None:
                x = x[sel]
            steps.append(x)
        out.append(steps[0] if len(steps) == 1 else np.concatenate(steps))
    return out


def infer_policies(cache: PolicyCache, qs: list[np.ndarray], gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Posterior over policies and ``G`` (negative expected free energy) per policy."""
    preds = predict(cache, qs)
    conv = cache.conv
    G = None
    for g in cache.groups:
        qx = g.joint(preds)
        score = qx @ g.utility if cache.use_utility else None
        if cache.use_info:
            qxm = qx * (qx > conv.prune) if conv.prune > 0 else qx
            info = g.info_gain(qxm, conv.log_eps)
            score = info if score is None else score + info
        if score is None:
            continue
        if not g.identity:
            score = score[g.policy_nodes].sum(axis=1)
        G = score if G is None else G + score
    if G is None:
        G = np.zeros(len(cache.policies))
    if G.shape[0] <= SMALL:  # plain floats beat a chain of numpy calls on a few policies
        x = [gamma * g + e for g, e in zip(G.tolist(), cache.ln_E_list)]
        top = max(x)
        e = [math.exp(v - top) for v in x]
        total = sum(e)
        return np.array([v / total for v in e]), G
    x = gamma * G + cache.ln_E
    e = np.exp(x - x.max())
    return e / e.sum(), G
