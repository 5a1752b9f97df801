"""Policy inference: expected free energy of every policy at once.

For a policy ``pi`` the negative expected free energy (pymdp's ``G``: higher is better) is

    G(pi) = sum_t [ E_{Q(o_t|pi)} ln softmax(C)   (expected utility)
                  + I(o_t; s_t | pi)              (state information gain)
                  + novelty of pA and pB ]        (parameter information gain, optional)

with ``I`` summed per modality (as ``pymdp.legacy``'s factorised control) or taken
over the joint outcome of all modalities (SPM's ``spm_MDP_G``, ``info_gain="joint"``).
Then ``q(pi) = softmax(gamma * G + ln E)``.

Policies share prefixes: with ``U`` actions and horizon ``T`` there are only ``U**t``
distinct predictive beliefs at step ``t``. At construction the policies are compiled
into a prefix tree per factor and a list of distinct joint "nodes" per step; each
evaluation propagates beliefs one matrix product per factor and step, scores every
node with a few matrix products, and gathers the node scores into per-policy sums.
When factors interact (``B_factor_list``), a factor's prefix tree is keyed by the
actions of every factor its dynamics depend on, directly or not.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from aiops.core.errors import UsageError
from aiops.inference.conventions import Conventions, softmax, xlogx
from aiops.inference.model import GenerativeModel, as_slice, indices
from aiops.inference.novelty import b_flat, wnorm

MAX_JOINT_OUTCOMES = 1_000_000
SMALL = 16


def construct_policies(num_controls: list[int], policy_len: int) -> np.ndarray:
    """Every action sequence, shape ``(P, policy_len, num_factors)``, in pymdp's order."""
    if policy_len < 1:
        raise UsageError(f"policy_len must be >= 1, got {policy_len}")
    ranges = [range(u) for u in num_controls] * policy_len
    return np.array(list(itertools.product(*ranges)), dtype=int).reshape(-1, policy_len, len(num_controls))


def dependency_closure(B_factor_list: list[list[int]]) -> list[list[int]]:
    """Per factor: itself and every factor its predictions depend on, directly or not."""
    out = []
    for f in range(len(B_factor_list)):
        seen, todo = {f}, [f]
        while todo:
            for g in B_factor_list[todo.pop()]:
                if g not in seen:
                    seen.add(g)
                    todo.append(g)
        out.append(sorted(seen))
    return out


class _FactorTree:
    """Distinct action prefixes that a factor's predictions depend on, per step."""

    def __init__(self, keys: np.ndarray, own: np.ndarray, num_controls: int) -> None:
        # keys: (P, T, k) actions of the factors in this factor's closure; own: (P, T)
        self.select: list[np.ndarray | None] = []  # rows of (parents x U) kept at each step
        self.inverse: list[np.ndarray] = []  # policy -> prefix id at each step
        self.sizes: list[int] = []
        self.actions: list[np.ndarray] = []  # prefix id -> this factor's action at the step
        self.first: list[np.ndarray] = []  # prefix id -> one policy with that prefix
        simple = keys.shape[2] == 1
        prev_ids: dict[tuple, int] = {(): 0}
        n_pol = keys.shape[0]
        for t in range(1, keys.shape[1] + 1):
            uniq, inv = np.unique(keys[:, :t].reshape(n_pol, -1), axis=0, return_inverse=True)
            inv = inv.reshape(-1)
            first = np.zeros(len(uniq), dtype=int)
            first[inv[::-1]] = np.arange(n_pol)[::-1]
            self.first.append(first)
            self.actions.append(own[first, t - 1])
            self.inverse.append(inv)
            self.sizes.append(len(uniq))
            if simple:
                sel = np.array([prev_ids[tuple(r[:-1])] * num_controls + r[-1] for r in uniq], dtype=int)
                full = len(sel) == len(prev_ids) * num_controls and np.array_equal(sel, np.arange(len(sel)))
                self.select.append(None if full else sel)
                prev_ids = {tuple(r): i for i, r in enumerate(uniq)}


class _GroupTerms:
    """What scoring a joint belief over one group's factors needs from A, C and pA.

    Each modality of the group owns a block of outcomes (columns of ``a_t``, rows of
    ``a_ln_a``, ...) in the arrays below. A change to some modalities rewrites only their
    blocks (:meth:`set_A`, :meth:`set_C`, :meth:`set_pA`); :meth:`finish` then
    recomputes the group's sums.
    """

    def __init__(self, model: GenerativeModel, modalities: list[int], conv: Conventions, joint: bool) -> None:
        self.modalities, self.conv, self.joint_outcomes = list(modalities), conv, joint
        sizes = [model.A[m].shape[0] for m in self.modalities]
        ends = np.cumsum(sizes).tolist()
        self.cols = [slice(e - n, e) for n, e in zip(sizes, ends)]
        self.outcomes = ends[-1]
        states = int(np.prod(model.A[self.modalities[0]].shape[1:]))
        width = int(np.prod(sizes)) if joint else self.outcomes
        # [A^T | sum_o A ln A]: one product gives the predicted outcomes and the ambiguity.
        self.a_ext = np.zeros((states, width + 1))
        self.neg_ambiguity = self.a_ext[:, -1]
        # The modalities' A^T side by side (a_ext's, unless it holds their joint outcome).
        self.a_t = np.zeros((states, self.outcomes)) if joint else self.a_ext[:, :-1]
        self.a_ln_a = None if joint else np.zeros((self.outcomes, states))  # A ln A, a row per outcome
        self.ln_c = np.zeros(self.outcomes)  # ln softmax(C), side by side
        self.sparse = states >= 64  # then info_gain skips the outcomes of pruned states: a_nonzero
        self.a_nonzero = np.zeros((states, width), dtype=bool) if self.sparse else None
        self.novelty = None  # (S_joint, 2 * outcomes): [A^T | W_A^T], for pA's information gain
        self._changed: set[str] = set()

    def set_A(self, i: int, a: np.ndarray) -> None:
        """Modality ``i``'s new likelihood array."""
        self.set_A_columns(self.cols[i], np.asarray(a).reshape(a.shape[0], -1))

    def set_A_columns(self, cols: slice | np.ndarray, a: np.ndarray) -> None:
        """New likelihoods of the outcomes ``cols``: ``a`` is ``(len(cols), S_joint)``, rows of
        stacked modalities (contiguous: the fast layout for ufuncs)."""
        self.a_t[:, cols] = a.T
        if not self.joint_outcomes:
            self.a_ln_a[cols] = xlogx(a, self.conv.ambiguity_eps)
            if self.sparse:
                self.a_nonzero[:, cols] = a.T != 0
        if self.novelty is not None:
            self.novelty[:, cols] = a.T
        self._changed.add("A")

    def set_C(self, i: int, ln_c: np.ndarray) -> None:
        """Modality ``i``'s new log preferences (``ln softmax(C)``)."""
        self.ln_c[self.cols[i]] = ln_c
        self._changed.add("C")

    def set_pA(self, i: int, p: np.ndarray) -> None:
        """Modality ``i``'s new concentrations (with novelty only)."""
        cols = self.cols[i]
        w = wnorm(p).reshape(p.shape[0], -1).T
        self.novelty[:, self.outcomes + cols.start:self.outcomes + cols.stop] = w

    def start_novelty(self, model: GenerativeModel) -> None:
        """Compute pA's novelty terms of every modality (when first needed)."""
        self.novelty = np.empty((self.a_t.shape[0], 2 * self.outcomes))
        self.novelty[:, :self.outcomes] = self.a_t
        for i, m in enumerate(self.modalities):
            self.set_pA(i, model.pA[m])

    def finish(self) -> None:
        """Recompute the group's sums from the blocks that changed."""
        if self._changed:
            self.utility = self.a_t.dot(self.ln_c)
        if "A" in self._changed:
            if self.joint_outcomes:
                a = [self.a_t[:, cols].T for cols in self.cols]
                a_out = a[0]
                for am in a[1:]:
                    a_out = (a_out[:, None, :] * am[None, :, :]).reshape(-1, a_out.shape[1])
                self.a_ext[:, :-1] = a_out.T
                self.neg_ambiguity[:] = xlogx(a_out, self.conv.ambiguity_eps).sum(axis=0)
                if self.sparse:
                    self.a_nonzero[:] = a_out.T != 0
            else:
                np.add.reduce(self.a_ln_a, 0, out=self.neg_ambiguity)  # a_ln_a.sum(axis=0), without its wrapper
        self._changed.clear()

    def info_gain(self, qx: np.ndarray, eps: float) -> np.ndarray:
        """State information gain per node from pruned joint beliefs ``qx``."""
        if self.sparse:
            cols = np.flatnonzero(qx.any(axis=0))
            if cols.shape[0] * 4 <= qx.shape[1]:
                # Most states are pruned (sharp beliefs): only their rows and outcomes count.
                sub = qx[:, cols]
                outs = np.flatnonzero(self.a_nonzero[cols].any(axis=0))
                qo = sub.dot(self.a_ext[np.ix_(cols, outs)])
                return sub.dot(self.neg_ambiguity[cols]) - np.einsum("ij,ij->i", qo, np.log(qo + eps))
        qo = qx.dot(self.a_ext)
        out = qo[:, :-1]
        return qo[:, -1] - (out * np.log(out + eps)).sum(axis=1)

    def score(self, cache: PolicyCache, qx: np.ndarray) -> np.ndarray | None:
        """Utility, information gain and pA novelty of each node (row of joint beliefs).

        (Here and below ``ndarray.dot`` rather than ``@``: the same result, with half the
        call overhead on arrays this small.)
        """
        conv = cache.conv
        score = qx.dot(self.utility) if cache.use_utility else None
        if cache.use_info:
            qxm = qx * (qx > conv.prune) if conv.prune > 0 else qx
            info = self.info_gain(qxm, conv.log_eps)
            score = info if score is None else score + info
        if cache.use_param_info_gain and self.novelty is not None:
            m = qx.dot(self.novelty)
            nov = -np.einsum("ij,ij->i", m[:, : self.outcomes], m[:, self.outcomes:])
            score = nov if score is None else score + nov
        return score


class _GroupPlan:
    """Modalities sharing a factor set: joint nodes of the policies, and their terms."""

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
        self.modalities = modalities
        self.terms = _GroupTerms(model, modalities, conv, joint)

    def joint(self, preds: list[np.ndarray]) -> np.ndarray:
        """Predicted joint beliefs over this group's factors, one row per node."""
        qx = None
        for f, index in zip(self.factors, self.index):
            x = preds[f] if index is None else preds[f][index]
            qx = x if qx is None else qx * x
        return qx


class PolicyCache:
    """Compiled policies and model terms for :func:`infer_policies`.

    ``use_utility``, ``use_info`` (state information gain) and ``use_param_info_gain``
    are read at every evaluation: changing them takes effect at once.
    """

    def __init__(
        self, model: GenerativeModel, policies: np.ndarray, conv: Conventions, *,
        info_gain: str = "per_modality", use_utility: bool = True, use_states_info_gain: bool = True,
        use_param_info_gain: bool = False, E: np.ndarray | None = None,
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
        self._novelty = use_param_info_gain
        self._model = model
        self.set_E(E)
        self.interacting = model.interacting
        self.B_deps = [list(fs) for fs in model.B_factor_list]
        closure = dependency_closure(self.B_deps) if self.interacting else [[f] for f in range(len(nc))]
        self.trees = [_FactorTree(policies[:, :, c], policies[:, :, f], u)
                      for f, (c, u) in enumerate(zip(closure, nc))]
        if self.interacting:
            # Per factor and step: the distinct combinations of parent prefixes (one row of
            # joint beliefs each, predicted under every action) and which row x action
            # each prefix of this factor is.
            self.links = []
            for tree, deps, u in zip(self.trees, self.B_deps, nc):
                steps = []
                for t, n in enumerate(tree.sizes):
                    parents = np.stack([np.zeros(n, dtype=int) if t == 0 else self.trees[d].inverse[t - 1][tree.first[t]]
                                        for d in deps], axis=1)
                    combos, inv = np.unique(parents, axis=0, return_inverse=True)
                    steps.append((list(combos.T), inv.reshape(-1) * u + tree.actions[t]))
                self.links.append(steps)
        groups: dict[tuple[int, ...], list[int]] = {}
        for m, fs in enumerate(model.A_factor_list):
            groups.setdefault(tuple(fs), []).append(m)
        joint = info_gain == "joint"
        if joint and len(groups) > 1:
            raise UsageError("info_gain='joint' needs every modality to depend on the same factors")
        if joint and np.prod(model.num_obs, dtype=float) > MAX_JOINT_OUTCOMES:
            raise UsageError(f"info_gain='joint' over {model.num_obs} outcomes is too large")
        self.groups = [_GroupPlan(model, fs, ms, self.trees, conv, joint) for fs, ms in groups.items()]
        # Modality m is the slots[m][1]-th of group slots[m][0].
        self.slots = [(g, group.modalities.index(m)) for m in range(len(model.A))
                      for g, group in enumerate(self.groups) if m in group.modalities]
        self.B_flat: list[np.ndarray | None] = [None] * len(model.B)
        self.W_flat = None
        self.refresh(model, dict.fromkeys(("A", "B", "C", "pA", "pB")))
        # First-step actions, one-hot over all factors' controls: q_pi @ this = action marginals.
        self.control_offsets = np.concatenate([[0], np.cumsum(nc)]).astype(int)
        first = policies[:, 0, :] + self.control_offsets[:-1]
        self.first_actions = np.zeros((len(policies), int(self.control_offsets[-1])))
        np.put_along_axis(self.first_actions, first, 1.0, axis=1)

    def set_E(self, E: np.ndarray | None) -> None:
        """The prior over policies (habits); ``None`` is uniform."""
        n_pol = len(self.policies)
        if E is not None and len(E) != n_pol:
            raise UsageError(f"E has {len(E)} entries; expected one per policy ({n_pol})")
        self.ln_E = np.log((np.full(n_pol, 1.0 / n_pol) if E is None else np.asarray(E)) + self.conv.log_eps)
        self.ln_E_list = self.ln_E.tolist()

    @property
    def use_param_info_gain(self) -> bool:
        """Add pA and pB novelty to G (their terms are computed when first needed)."""
        return self._novelty

    @use_param_info_gain.setter
    def use_param_info_gain(self, value: bool) -> None:
        if value and not self._novelty:
            self._novelty = True
            self.refresh(self._model, {"pA": None, "pB": None})
        self._novelty = bool(value)

    def refresh(self, model: GenerativeModel, changes) -> None:
        """Recompute what depends on changed model arrays, and only that.

        ``changes`` maps field names (A, B, C, E, pA, pB) to the changed modalities or
        factors (``None``: all); a set of names means all of each.
        """
        if not isinstance(changes, dict):
            changes = dict.fromkeys(changes)
        self._model = model
        if "B" in changes:
            for f in indices(changes["B"], len(model.B)):
                # (prod S_deps, U*S): ``q @ B_flat`` = predictions under every action at once.
                self.B_flat[f] = b_flat(model.B[f])
        if "pB" in changes:
            self._refresh_W(model, changes["pB"])
        touched = set()
        if "C" in changes:
            for m in indices(changes["C"], len(model.C)):
                g, i = self.slots[m]
                self.groups[g].terms.set_C(i, np.log(softmax(np.asarray(model.C[m])) + self.conv.log_eps))
                touched.add(g)
        if "A" in changes:
            for m in indices(changes["A"], len(model.A)):
                g, i = self.slots[m]
                self.groups[g].terms.set_A(i, model.A[m])
                touched.add(g)
        if "pA" in changes:
            self._refresh_pA(model, changes["pA"])
        for g in touched:
            self.groups[g].terms.finish()
        if "E" in changes:
            self.set_E(model.E)

    def set_transition(self, model: GenerativeModel, f: int, a: int) -> None:
        """Factor ``f``'s new B, learned under action ``a``: only that action's columns of
        :attr:`B_flat` change (pB's novelty is refreshed with ``pB``)."""
        flat = self.B_flat[f]
        if not flat.flags.writeable:  # a view of the model's previous (read-only) B[f]
            self.B_flat[f] = b_flat(model.B[f])
            return
        s = model.B[f].shape[0]
        flat[:, a * s:(a + 1) * s] = np.asarray(model.B[f])[..., a].reshape(s, -1).T

    def columns(self, modalities: list[int]) -> tuple[int, slice | np.ndarray]:
        """Where modalities of one group keep their outcomes: the group, and a slice if adjacent."""
        g = self.slots[modalities[0]][0]
        cols = self.groups[g].terms.cols
        slots = [self.slots[m][1] for m in modalities]
        index = np.concatenate([np.arange(cols[i].start, cols[i].stop) for i in slots])
        return g, as_slice(index)

    def set_likelihood_columns(self, blocks: list[tuple[int, slice | np.ndarray, np.ndarray]]) -> None:
        """New likelihoods given as ``(group, columns, stacked A)`` blocks (see :meth:`columns`).

        Novelty terms of pA are not refreshed here: refresh ``pA`` after this.
        """
        for g, cols, a in blocks:
            self.groups[g].terms.set_A_columns(cols, a)
        for g, _, _ in blocks:
            self.groups[g].terms.finish()

    def _refresh_pA(self, model: GenerativeModel, modalities) -> None:
        """pA's novelty terms for the changed ``modalities``, with novelty only."""
        if not self._novelty or model.pA is None:
            for g in self.groups:
                g.terms.novelty = None  # computed in whole when needed again
            return
        for m in indices(modalities, len(model.A)):
            g, i = self.slots[m]
            if self.groups[g].terms.novelty is not None:
                self.groups[g].terms.set_pA(i, model.pA[m])
        for g in self.groups:
            if g.terms.novelty is None:
                g.terms.start_novelty(model)

    def _refresh_W(self, model: GenerativeModel, factors) -> None:
        """pB's ``W`` (as :attr:`B_flat`) for the changed ``factors``, with novelty only."""
        if not self._novelty or model.pB is None:
            self.W_flat = None
            return
        if self.W_flat is None:
            self.W_flat, factors = [None] * len(model.pB), None
        for f in indices(factors, len(model.pB)):
            self.W_flat[f] = b_flat(wnorm(model.pB[f]))


def _predict_simple(cache: PolicyCache, qs: list[np.ndarray], novelty: list | None) -> list[np.ndarray]:
    out = []
    w_flat = cache.W_flat if novelty is not None else None
    for f, (tree, b, q) in enumerate(zip(cache.trees, cache.B_flat, qs)):
        s = q.shape[0]
        x = q[None, :]
        steps = []
        for t, sel in enumerate(tree.select):
            nxt = x.dot(b).reshape(-1, s)
            if sel is not None:
                nxt = nxt[sel]
            if w_flat is not None:
                z = x.dot(w_flat[f]).reshape(-1, s)
                if sel is not None:
                    z = z[sel]
                novelty.append((f, t, -np.einsum("ij,ij->i", nxt, z)))
            x = nxt
            steps.append(x)
        out.append(steps[0] if len(steps) == 1 else np.concatenate(steps))
    return out


def _predict_interacting(cache: PolicyCache, qs: list[np.ndarray], novelty: list | None) -> list[np.ndarray]:
    prev = [q[None, :] for q in qs]
    steps: list[list[np.ndarray]] = [[] for _ in qs]
    for t in range(len(cache.trees[0].sizes)):
        cur = []
        for f, deps in enumerate(cache.B_deps):
            parents, select = cache.links[f][t]
            joint = prev[deps[0]][parents[0]]
            for d, idx in zip(deps[1:], parents[1:]):
                x = prev[d][idx]
                joint = (joint[:, :, None] * x[:, None, :]).reshape(len(idx), -1)
            s = qs[f].shape[0]
            pred = joint.dot(cache.B_flat[f]).reshape(-1, s)[select]
            if novelty is not None and cache.W_flat is not None:
                z = joint.dot(cache.W_flat[f]).reshape(-1, s)[select]
                novelty.append((f, t, -np.einsum("ij,ij->i", pred, z)))
            cur.append(pred)
        for f, x in enumerate(cur):
            steps[f].append(x)
        prev = cur
    return [s[0] if len(s) == 1 else np.concatenate(s) for s in steps]


def predict(cache: PolicyCache, qs: list[np.ndarray], novelty: list | None = None) -> list[np.ndarray]:
    """Predicted beliefs of every distinct action prefix, stacked over steps, per factor.

    With a ``novelty`` list, appends ``(factor, step, pB novelty per prefix)``.
    """
    if cache.interacting:
        return _predict_interacting(cache, qs, novelty)
    return _predict_simple(cache, qs, novelty)


def posterior(cache: PolicyCache, G: np.ndarray, gamma: float, extra: np.ndarray | None = None) -> np.ndarray:
    """``softmax(gamma * G + ln E [+ extra])``."""
    if extra is None and G.shape[0] <= SMALL:  # plain floats beat a chain of numpy calls on a few policies
        x = [gamma * g + e for g, e in zip(G.tolist(), cache.ln_E_list)]
        top = max(x)
        e = [math.exp(v - top) for v in x]
        total = sum(e)
        return np.array([v / total for v in e])
    x = gamma * G + cache.ln_E
    if extra is not None:
        x = x + extra
    e = np.exp(x - x.max())
    return e / e.sum()


def infer_policies(cache: PolicyCache, qs: list[np.ndarray], gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Posterior over policies and ``G`` (negative expected free energy) per policy."""
    novelty = [] if cache.use_param_info_gain and cache.W_flat is not None else None
    preds = predict(cache, qs, novelty)
    G = None
    for g in cache.groups:
        score = g.terms.score(cache, g.joint(preds))
        if score is None:
            continue
        if not g.identity:
            score = score[g.policy_nodes].sum(axis=1)
        G = score if G is None else G + score
    if G is None:
        G = np.zeros(len(cache.policies))
    if novelty:
        G = G + sum(term[cache.trees[f].inverse[t]] for f, t, term in novelty)
    return posterior(cache, G, gamma), G


def score_beliefs(cache: PolicyCache, beliefs: list[np.ndarray]) -> np.ndarray:
    """Utility, information gain and pA novelty of per-factor beliefs given row by row.

    ``beliefs[f]`` is ``(N, S_f)``; returns ``(N,)``. Used to score the beliefs that
    marginal message passing computes per policy and time.
    """
    total = np.zeros(beliefs[0].shape[0])
    for g in cache.groups:
        qx = beliefs[g.factors[0]]
        for f in g.factors[1:]:
            qx = (qx[:, :, None] * beliefs[f][:, None, :]).reshape(qx.shape[0], -1)
        score = g.terms.score(cache, qx)
        if score is not None:
            total = total + score
    return total
