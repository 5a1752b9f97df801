"""State inference: fixed-point iteration over a mean-field posterior (pymdp "VANILLA").

Beliefs over all factors live in one flat vector (factor ``f`` occupies
``q[off[f]:off[f+1]]``) so every iteration is a handful of array operations however
many factors there are. Log-likelihoods of modalities that depend on the same factors
are summed once; their expectations under the other factors are:

- one factor: a constant vector, folded into the prior term;
- two factors: a block of one matrix ``M``, so all pairwise terms are ``M @ q``;
- three or more: one einsum per factor.

The first two are tabulated at construction per outcome of each modality (an
observation's terms are the sums of its outcomes' rows: a few additions, also for an
agent that learns A) and, for small observation spaces, per observation (one lookup).
The update is Jacobi style (every factor from the previous iterate) and
stops after ``num_iter`` iterations or when the free energy changes by less than
``dF_tol``, exactly as ``pymdp.legacy.algos.fpi.run_vanilla_fpi_factorized``.
"""

from __future__ import annotations

import itertools
import string
from dataclasses import dataclass

import numpy as np

from aiops.inference.conventions import Conventions
from aiops.inference.model import GenerativeModel, as_slice, indices
from aiops.inference.novelty import by_action

TABLE_LIMIT = 250_000  # floats per precomputed table (2 MB)


def _strides(sizes: list[int]) -> list[int]:
    """Mixed-radix strides, last index fastest (itertools.product order)."""
    out, acc = [], 1
    for n in reversed(sizes):
        out.append(acc)
        acc *= n
    return out[::-1]


def _row_sums(table: np.ndarray | None, rows: list) -> np.ndarray | None:
    """``table[rows[0]] + table[rows[1]] + ...`` in that order (``None`` for no rows)."""
    out = None
    for r in rows:
        out = table[r] if out is None else out + table[r]
    return out


def outer_flat(vectors: list[np.ndarray]) -> np.ndarray:
    """The outer product of vectors, flattened (last index fastest)."""
    out = vectors[0]
    for v in vectors[1:]:
        out = np.multiply.outer(out, v).reshape(-1)
    return out


@dataclass
class _Group:
    """Modalities sharing one set of factors; their log-likelihoods are stacked."""

    factors: tuple[int, ...]
    modalities: np.ndarray
    row_offsets: np.ndarray  # first row of each modality in ``log_a``
    log_a: np.ndarray  # (sum O_m, prod S_f): ln(A + eps), rows stacked per modality
    shape: tuple[int, ...]
    einsums: list[str]

    def log_likelihood(self, obs: np.ndarray) -> np.ndarray:
        """Summed log-likelihood of the observed outcomes, flat over the group's states."""
        return self.log_a[obs[self.modalities] + self.row_offsets].sum(axis=0)

    def set_likelihood(self, i: int, a: np.ndarray, eps: float) -> None:
        """Recompute the rows of the group's ``i``-th modality: ``ln(a + eps)``."""
        start = int(self.row_offsets[i])
        self.set_rows(slice(start, start + a.shape[0]), np.asarray(a).reshape(a.shape[0], -1), eps)

    def set_rows(self, rows: slice | np.ndarray, a: np.ndarray, eps: float) -> None:
        """``ln(a + eps)`` into ``rows`` of ``log_a`` (``a``: those rows of the stacked likelihoods)."""
        if isinstance(rows, slice):
            np.log(a + eps, out=self.log_a[rows])
        else:
            self.log_a[rows] = np.log(a + eps)


class StateCache:
    """Everything about a model that state inference needs, precomputed once.

    :meth:`update` recomputes what changed arrays affect (only the changed modalities'
    log-likelihood rows, factors' transition matrices). ``table_limit`` bounds the
    per-observation tables (0: none).
    """

    def __init__(self, model: GenerativeModel, conv: Conventions, table_limit: int = TABLE_LIMIT) -> None:
        ns = model.num_states
        self.num_states, self.eps = ns, conv.log_eps
        self.offsets = np.concatenate([[0], np.cumsum(ns)]).astype(int)
        self.slices = [slice(int(a), int(b)) for a, b in zip(self.offsets[:-1], self.offsets[1:])]
        self.size = n = int(self.offsets[-1])
        seg = np.repeat(np.arange(len(ns)), ns)
        self.segment_ids = seg
        self.segment_sum = (seg[:, None] == seg[None, :]).astype(np.float64)
        self.q_uniform = np.concatenate([np.full(s, 1.0 / s) for s in ns])
        self.log_q_uniform = np.log(self.q_uniform + self.eps)
        self.neg_entropy_uniform = float(self.q_uniform @ self.log_q_uniform)
        self.log_D = np.log(np.concatenate([np.asarray(d) for d in model.D]) + self.eps)
        self.B_deps = [list(fs) for fs in model.B_factor_list]
        self.interacting = model.interacting
        self.iterate = len(ns) > 1
        # With tiny epsilons one exp over all factors could underflow a whole factor.
        self.per_factor_max = -np.log(self.eps) * (len(model.A) + 1) > 600.0
        groups: dict[tuple[int, ...], list[int]] = {}
        for m, fs in enumerate(model.A_factor_list):
            groups.setdefault(tuple(fs), []).append(m)
        self.groups = [self._group(model, fs, ms) for fs, ms in groups.items()]
        # Modality m is the slots[m][1]-th of group slots[m][0].
        self.slots = [None] * len(model.A)
        for g, group in enumerate(self.groups):
            for i, m in enumerate(group.modalities.tolist()):
                self.slots[m] = (g, i)
        self.high = [g for g in self.groups if len(g.factors) > 2]
        self.single = any(len(g.factors) == 1 for g in self.groups)
        self.pairwise = any(len(g.factors) == 2 for g in self.groups)
        self.table_limit = table_limit
        self._tabulate(model)
        nc = model.num_controls
        self.block_B = None  # one block-diagonal transition matrix per joint action (learning B patches it)
        if self.iterate and not self.interacting and np.prod(nc) * n * n <= TABLE_LIMIT:
            self.action_strides = _strides(nc)
            self.action_combos = np.array(list(itertools.product(*[range(u) for u in nc])), dtype=int)
            self.block_B = np.zeros((len(self.action_combos), n, n))
            # Per factor and action: the joint actions (blocks of block_B) where the factor takes it.
            self.combos_with = [[np.flatnonzero(self.action_combos[:, f] == u) for u in range(k)]
                                for f, k in enumerate(nc)]
        # Per factor (U, S_f, prod S_g for g in B_factor_list[f]): one matrix per action.
        self.B_by_action: list[np.ndarray | None] = [None] * len(ns)
        self._set_B(model, range(len(ns)))

    def _group(self, model, fs, ms) -> _Group:
        sizes = [model.A[m].shape[0] for m in ms]
        rows = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
        letters = string.ascii_letters[: len(fs)]
        einsums = [letters + "," + ",".join(c for c in letters if c != k) + "->" + k for k in letters]
        shape = tuple(self.num_states[f] for f in fs)
        group = _Group(tuple(fs), np.array(ms, dtype=int), rows, np.empty((sum(sizes), int(np.prod(shape)))),
                       shape, einsums)
        for i, m in enumerate(ms):
            group.set_likelihood(i, model.A[m], self.eps)
        return group

    def _set_B(self, model: GenerativeModel, factors) -> None:
        """Recompute the transition matrices of ``factors`` (and their blocks of ``block_B``)."""
        for f in factors:
            self.B_by_action[f] = by_action(model.B[f])
            if self.block_B is not None:
                sl = self.slices[f]
                self.block_B[:, sl, sl] = self.B_by_action[f][self.action_combos[:, f]]

    def set_transition(self, model: GenerativeModel, f: int, a: int) -> None:
        """Factor ``f``'s new B, learned under action ``a``: only that action's transitions changed."""
        by_a = self.B_by_action[f]
        if not by_a.flags.writeable:  # a view of the model's previous (read-only) B[f]
            self._set_B(model, [f])
            return
        by_a[a] = np.asarray(model.B[f])[..., a].reshape(by_a.shape[1:])
        if self.block_B is not None:
            sl = self.slices[f]
            self.block_B[self.combos_with[f][a], sl, sl] = by_a[a]

    def _tabulate(self, model) -> None:
        """The terms of each outcome of each modality, and of each whole observation, if small enough.

        Per outcome: a row of the constant vector (modalities of one factor) and of the pair
        matrix (two factors), zero outside the modality's block; an observation's terms are
        the sums of its outcomes' rows (the same sums, in the same order, as
        :meth:`observation_terms`). Per observation, when ``table_limit`` allows: those sums
        for every observation at once.
        """
        self.num_obs = num_obs = model.num_obs
        self.obs_strides = _strides(num_obs)
        self.outcome_offsets = np.concatenate([[0], np.cumsum(num_obs)[:-1]]).astype(int).tolist()
        kinds = [len(self.groups[self.slots[m][0]].factors) for m in range(len(num_obs))]
        self.static_modalities = [m for m, k in enumerate(kinds) if k == 1]
        self.pair_modalities = [m for m, k in enumerate(kinds) if k == 2]
        self.static_rows = self.pair_rows = self.static_table = self.pair_table = self.observation_rows = None
        per = self.size * (1 + (self.size if self.pairwise else 0))
        if sum(num_obs) * per > TABLE_LIMIT:
            return
        combos = int(np.prod(num_obs, dtype=float))
        # Per modality, the row of each observation's outcome (observations in itertools.product order).
        self.observation_rows = None if combos * per > self.table_limit else (
            np.indices(num_obs).reshape(len(num_obs), combos) + np.array(self.outcome_offsets)[:, None])
        if self.single:
            self.static_rows = np.zeros((sum(num_obs), self.size))
        if self.pairwise:
            self.pair_rows = np.zeros((sum(num_obs), self.size, self.size))
        for m in range(len(num_obs)):
            self._set_outcome_rows(*self.rows([m]))
        self._tabulate_observations()

    def _set_outcome_rows(self, g: int, rows: slice | np.ndarray, outcomes: slice | np.ndarray) -> None:
        """Rows ``outcomes`` of the per-outcome terms, from group ``g``'s log-likelihood ``rows``."""
        group = self.groups[g]
        ll = group.log_a[rows]
        if len(group.factors) == 1:
            self.static_rows[outcomes, self.slices[group.factors[0]]] = ll
        elif len(group.factors) == 2:
            block = ll.reshape((-1,) + group.shape)
            sa, sb = self.slices[group.factors[0]], self.slices[group.factors[1]]
            self.pair_rows[outcomes, sa, sb] = block
            self.pair_rows[outcomes, sb, sa] = block.transpose(0, 2, 1)

    def _tabulate_observations(self) -> None:
        """Every observation's terms (row ``k``: observation number ``k`` in itertools.product order)."""
        rows = self.observation_rows
        if rows is None:
            return
        self.static_table = _row_sums(self.static_rows, [rows[m] for m in self.static_modalities])
        if self.static_table is None:
            self.static_table = np.zeros((rows.shape[1], self.size))
        self.pair_table = _row_sums(self.pair_rows, [rows[m] for m in self.pair_modalities])

    def outcome_terms(self, obs: list[int]):
        """:meth:`observation_terms` from the per-outcome rows (when they were tabulated)."""
        offsets = self.outcome_offsets
        static = _row_sums(self.static_rows, [obs[m] + offsets[m] for m in self.static_modalities])
        return static, _row_sums(self.pair_rows, [obs[m] + offsets[m] for m in self.pair_modalities])

    def update(self, model: GenerativeModel, changes: dict) -> None:
        """Recompute what changed A or B arrays affect, and only that.

        ``changes`` maps ``"A"`` / ``"B"`` to the changed modalities / factors
        (``None``: all); other keys are ignored. The per-observation tables, if any,
        are tabulated again.
        """
        if "A" in changes:
            changed = indices(changes["A"], len(model.A))
            for m in changed:
                g, i = self.slots[m]
                self.groups[g].set_likelihood(i, model.A[m], self.eps)
            self._retabulate([self.rows([m]) for m in changed])
        if "B" in changes:
            self._set_B(model, indices(changes["B"], len(model.B)))

    def rows(self, modalities: list[int]) -> tuple[int, slice | np.ndarray, slice | np.ndarray]:
        """Where modalities of one group keep their terms: the group, their rows of its
        log-likelihoods and of the per-outcome terms (slices when they are adjacent)."""
        g = self.slots[modalities[0]][0]
        group = self.groups[g]
        ends = np.append(group.row_offsets[1:], group.log_a.shape[0])
        slots = [self.slots[m][1] for m in modalities]
        rows = np.concatenate([np.arange(group.row_offsets[i], ends[i]) for i in slots])
        offsets = self.outcome_offsets
        outcomes = np.concatenate([np.arange(offsets[m], offsets[m] + self.num_obs[m]) for m in modalities])
        return g, as_slice(rows), as_slice(outcomes)

    def set_likelihood_rows(self, blocks: list[tuple[tuple, np.ndarray]]) -> None:
        """New likelihoods given as ``(where, stacked A)`` blocks, ``where`` from :meth:`rows`."""
        for (g, rows, _), a in blocks:
            self.groups[g].set_rows(rows, a, self.eps)
        self._retabulate([where for where, _ in blocks])

    def _retabulate(self, places: list[tuple]) -> None:
        """The tables' terms of modalities whose likelihoods changed (``places`` from :meth:`rows`)."""
        if self.static_rows is None and self.pair_rows is None:
            return
        for where in places:
            self._set_outcome_rows(*where)
        if self.static_table is not None:
            self._tabulate_observations()

    def set_D(self, D: list[np.ndarray]) -> None:
        """A new prior over initial states (nothing else depends on D)."""
        self.log_D = np.log(np.concatenate([np.asarray(d) for d in D]) + self.eps)

    def observation_terms(self, obs: np.ndarray):
        """Expected-log-likelihood terms of one observation: constant vector, pair matrix.

        Either is ``None`` when no modality depends on one factor (two factors). Groups
        have distinct factor sets, so each block is one group's alone.
        """
        static = np.zeros(self.size) if self.single else None
        pair = np.zeros((self.size, self.size)) if self.pairwise else None
        for g in self.groups:
            if len(g.factors) == 1:
                static[self.slices[g.factors[0]]] = g.log_likelihood(obs)
            elif len(g.factors) == 2:
                ll = g.log_likelihood(obs).reshape(g.shape)
                sa, sb = self.slices[g.factors[0]], self.slices[g.factors[1]]
                pair[sa, sb] = ll
                pair[sb, sa] = ll.T
        return static, pair

    def empirical_prior(self, q: np.ndarray, action: list[int] | None) -> np.ndarray:
        """Log prior: ``ln D`` at the first step, else ``ln(B[f][:, :, a_f] @ q_f)``."""
        if action is None:
            return self.log_D
        if not self.iterate:
            return np.log(self.B_by_action[0][action[0]].dot(q) + self.eps)
        if self.interacting:
            qs = [q[sl] for sl in self.slices]
            pred = [bu[a].dot(outer_flat([qs[g] for g in deps]))
                    for bu, a, deps in zip(self.B_by_action, action, self.B_deps)]
            return np.log(np.concatenate(pred) + self.eps)
        if self.block_B is not None:
            idx = sum(a * s for a, s in zip(action, self.action_strides))
            return np.log(self.block_B[idx].dot(q) + self.eps)
        pred = np.concatenate([bu[a].dot(q[sl]) for bu, a, sl in zip(self.B_by_action, action, self.slices)])
        return np.log(pred + self.eps)


@dataclass
class StatePosterior:
    """A posterior over hidden states and its diagnostics."""

    q: np.ndarray  # flat, factors concatenated
    free_energy: float
    entropy: float
    iterations: int


def infer_states(
    cache: StateCache, obs: list[int], log_prior: np.ndarray, num_iter: int = 10, dF_tol: float = 0.001
) -> StatePosterior:
    """Posterior over hidden states given one (validated) outcome index per modality."""
    if cache.static_table is not None:
        k = sum(o * s for o, s in zip(obs, cache.obs_strides))
        static = log_prior + cache.static_table[k]
        pair = cache.pair_table[k] if cache.pairwise else None
    else:
        tabulated = cache.static_rows is not None or cache.pair_rows is not None
        static, pair = cache.outcome_terms(obs) if tabulated else cache.observation_terms(np.asarray(obs))
        static = log_prior if static is None else static + log_prior
    if not cache.iterate:
        q = _softmax(cache, static)
        logq = np.log(q + cache.eps)
        return StatePosterior(q, float(q @ (logq - static)), -float(q @ logq), 0)
    if cache.high:
        high = [(g, g.log_likelihood(np.asarray(obs)).reshape(g.shape)) for g in cache.high]
        return _fixed_point_general(cache, static, log_prior, pair, high, num_iter, dF_tol)
    if pair is None:
        pair = np.zeros((cache.size, cache.size))
    if cache.per_factor_max:
        return _fixed_point_general(cache, static, log_prior, pair, [], num_iter, dF_tol)
    # The loop below is the hot path: a few small array operations per iteration (on arrays
    # this small, ndarray.dot costs half of what the @ operator does, with the same result).
    eps, seg = cache.eps, cache.segment_sum
    q = cache.q_uniform
    logq = cache.log_q_uniform
    prev = vfe = cache.neg_entropy_uniform - float(q.dot(log_prior))  # pymdp's start: no accuracy term
    lin = pair.dot(q)
    d_f, it = 1.0, 0
    while it < num_iter and d_f >= dF_tol:
        e = np.exp(static + lin)  # <= 0 and >= ln(eps) per term: no overflow, no total underflow
        q = e / seg.dot(e)
        lin = pair.dot(q)
        logq = np.log(q + eps)
        # F = E_q[ln q - ln prior - ln p(o|s)]; q . lin counts each pairwise term twice.
        vfe = float(q.dot(logq)) - float(q.dot(static)) - 0.5 * float(q.dot(lin))
        d_f = abs(prev - vfe)
        prev = vfe
        it += 1
    return StatePosterior(q, vfe, -float(q.dot(logq)), it)


def _fixed_point_general(cache, static, log_prior, pair, high, num_iter, dF_tol) -> StatePosterior:
    """The same iteration when some modality depends on three or more factors."""
    eps = cache.eps
    q = cache.q_uniform
    logq = np.log(q + eps)
    prev = vfe = float(q @ (logq - log_prior))
    lin, acc_high = _expected_ll(cache, q, pair, high)
    d_f, it = 1.0, 0
    while it < num_iter and d_f >= dF_tol:
        q = _softmax(cache, static + lin)
        lin, acc_high = _expected_ll(cache, q, pair, high)
        logq = np.log(q + eps)
        vfe = float(q @ (logq - static)) - acc_high
        if pair is not None:
            vfe -= 0.5 * float(q @ (pair @ q))
        d_f = abs(prev - vfe)
        prev = vfe
        it += 1
    return StatePosterior(q, vfe, -float(q @ logq), it)


def _expected_ll(cache, q, pair, high):
    """Expected log-likelihood per factor from terms that depend on other factors."""
    lin = pair @ q if pair is not None else np.zeros(cache.size)
    acc = 0.0
    for g, ll in high:
        qs = [q[cache.slices[f]] for f in g.factors]
        for i, f in enumerate(g.factors):
            part = np.einsum(g.einsums[i], ll, *(qs[:i] + qs[i + 1 :]))
            lin[cache.slices[f]] += part
        acc += float(qs[-1] @ part)
    return lin, acc


def _softmax(cache: StateCache, x: np.ndarray) -> np.ndarray:
    """Softmax within each factor's segment of a flat vector.

    Every entry is a sum of logs of probabilities (<= 0) each >= ln(eps), so exp
    cannot overflow and, unless ``per_factor_max``, cannot underflow a whole factor.
    """
    if cache.per_factor_max:
        x = x - np.maximum.reduceat(x, cache.offsets[:-1])[cache.segment_ids]
    e = np.exp(x)
    if not cache.iterate:
        return e / e.sum()
    return e / (cache.segment_sum @ e)


def free_energy(cache: StateCache, q: np.ndarray, obs, log_prior: np.ndarray) -> float:
    """Variational free energy of any flat posterior ``q`` (reference implementation, not hot)."""
    total = float(q @ (np.log(q + cache.eps) - log_prior))
    obs = np.asarray(obs)
    for g in cache.groups:
        joint = g.log_likelihood(obs).reshape(g.shape)
        for f in reversed(g.factors):
            joint = joint @ q[cache.slices[f]]
        total -= float(joint)
    return total
