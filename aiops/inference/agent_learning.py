"""Learning in an agent: Dirichlet updates of pA, pB and pD, at perception time or on request."""

from __future__ import annotations

import numpy as np

from aiops.core.errors import UsageError
from aiops.inference import learning
from aiops.inference.frozen import FrozenList, freeze_view


class AgentLearning:
    """:class:`~aiops.inference.agent.Agent`'s learning (a mixin).

    With ``learn_A`` / ``learn_B`` / ``learn_D`` the agent learns inside
    :meth:`infer_states`; :meth:`update_A`, :meth:`update_B` and :meth:`update_D` do it
    when called (pymdp's way). Either way only ``modalities_to_learn`` /
    ``factors_to_learn`` are updated, and only the caches they affect are recomputed.
    With ``inference_algo="MMP"`` learning uses :attr:`qs`, the policy average of the
    beliefs about the current time (pymdp.legacy's agent cannot learn A or B with MMP,
    so this has no reference to agree with).
    """

    _stacks_key = None  # what the stacks of learned modalities were built for (:meth:`_stacks`)
    _stacked = None  # the model's (pA, A) lists as the stacks last left them

    def _learn_at_perception(self, o: list[int], first: bool) -> None:
        """``learn_A`` every step, ``learn_B`` once an action was taken, ``learn_D`` at the first step."""
        changes: dict = {}
        if self._learn_A_on:
            changes.update(self._learn_A(o))
        if self._learn_B_on and self.action is not None:
            changes.update(self._learn_B(self.qs_prev))
        if self._learn_D_on and first:
            changes.update(self._learn_D(self._qs))
        if changes:
            self._refresh(changes)

    def _learn_A(self, o: list[int]) -> dict:
        """Learn pA; returns the changes whose caches are still to refresh."""
        m = self._model
        which = _which(self.modalities_to_learn, m.num_modalities)
        if "A" in self._apart:  # every A becomes pA's expected value: the general way
            pA = learning.update_pA(m.pA, m.A, o, self._qs, m.A_factor_list, self.lr_pA, which)
            return self._store("A", pA, which)
        stacks = self._stacks(which)
        if self._stacked is None or m.pA is not self._stacked[0] or m.A is not self._stacked[1]:
            for stack in stacks:  # first step, or pA / A assigned since: read them again
                stack.load(m)
        p, x = list(m.pA), list(m.A)
        for stack in stacks:
            stack.learn(o, self._qs, self.lr_pA, p, x)
        self._stacked = FrozenList(p, "agent.model.pA"), FrozenList(x, "agent.model.A")
        m.commit("pA", self._stacked[0])
        m.commit("A", self._stacked[1])
        if self._algo == "MMP":
            self._mmp.update(m, {"A": which})
        else:
            self._states.set_likelihood_rows([(s.state_rows, s.a) for s in stacks])
        self._policies.set_likelihood_columns([(*s.policy_columns, s.a) for s in stacks])
        return {"pA": which}

    def _stacks(self, which: list[int]) -> list[_StackedA]:
        """The learned modalities grouped by the factors they depend on (built again when the
        selection or the compiled caches change)."""
        key = (tuple(which), self._policies, self._states)
        if self._stacks_key != key:
            groups: dict[tuple[int, ...], list[int]] = {}
            for m in sorted(set(which)):
                groups.setdefault(tuple(self._model.A_factor_list[m]), []).append(m)
            self._stacks_list = [_StackedA(self._model, ms, self._states, self._policies) for ms in groups.values()]
            self._stacks_key, self._stacked = key, None
        return self._stacks_list

    def _learn_B(self, qs_prev: list[np.ndarray]) -> dict:
        m = self._model
        which = _which(self.factors_to_learn, m.num_factors)
        pB, qs, action = list(m.pB), self._qs, self.action
        for f in which:  # learning.update_pB, without its checks and conversions of our own arrays
            beliefs = [qs[f]] + [qs_prev[g] for g in m.B_factor_list[f]]
            pB[f] = learning.updated_pB(m.pB[f], m.B[f], action[f], beliefs, self.lr_pB)
        if "B" in self._apart:  # every B becomes pB's expected value: caches rebuilt
            return self._store("B", pB, which)
        self._store("B", pB, which)
        # Only the columns of the actions taken changed: the caches patch those.
        if self._algo == "MMP":
            self._mmp.update(m, {"B": which})
        else:
            for f in which:
                self._states.set_transition(m, f, action[f])
        for f in which:
            self._policies.set_transition(m, f, action[f])
        return {"pB": which}

    def _learn_D(self, qs_t0: list[np.ndarray]) -> dict:
        which = _which(self.factors_to_learn, self._model.num_factors)
        pD = list(self._model.pD)
        for f in which:
            pD[f] = learning.updated_pD(self._model.pD[f], qs_t0[f], self.lr_pD)
        return self._store("D", pD, which)

    def _store(self, name: str, params: list[np.ndarray], which: list[int]) -> dict:
        """Commit learned concentrations (``which`` entries) and their expected values.

        As pymdp, every array becomes the expected value of its concentrations; that
        changes only the learned ones unless the two were assigned apart (or, for D,
        given apart: pymdp never derives D from pD before learning it).
        """
        m = self._model
        p, x = list(getattr(m, "p" + name)), list(getattr(m, name))
        every = name in self._apart
        for i in which:
            c = params[i]  # a new array, ours alone
            c.setflags(write=False)
            p[i] = freeze_view(c, f"agent.model.p{name}[{i}]")
        for i in range(len(x)) if every else which:
            c = np.asarray(params[i])
            e = c / np.add.reduce(c, 0)  # what c.sum(axis=0) computes, without its Python wrapper
            e.setflags(write=False)
            x[i] = freeze_view(e, f"agent.model.{name}[{i}]")
        self._apart.discard(name)
        m.commit("p" + name, FrozenList(p, f"agent.model.p{name}"))
        m.commit(name, FrozenList(x, f"agent.model.{name}"))
        return {name: None if every else which, "p" + name: which}

    def update_A(self, obs) -> list[np.ndarray]:
        """Learn pA from ``obs`` and the current beliefs now (pymdp's ``update_A``); returns pA.

        Only ``modalities_to_learn`` are updated; A becomes the expected value of pA.
        """
        if self._model.pA is None:
            raise UsageError("update_A needs the model's pA (Dirichlet concentrations over A)")
        self._refresh(self._learn_A(self._check_obs(obs)))
        return self._model.pA

    def update_B(self, qs_prev=None) -> list[np.ndarray]:
        """Learn pB from the last action, ``qs_prev`` and the current beliefs now; returns pB.

        ``qs_prev`` defaults to the beliefs before the latest :meth:`infer_states`.
        Only ``factors_to_learn`` are updated; B becomes the expected value of pB.
        """
        if self._model.pB is None:
            raise UsageError("update_B needs the model's pB (Dirichlet concentrations over B)")
        if self.action is None:
            raise UsageError("update_B needs an action taken: call it after the second infer_states")
        qs_prev = self.qs_prev if qs_prev is None else [np.asarray(q) for q in qs_prev]
        self._refresh(self._learn_B(qs_prev))
        return self._model.pB

    def update_D(self, qs_t0=None) -> list[np.ndarray]:
        """Learn pD from beliefs about the initial state now (pymdp's ``update_D``); returns pD.

        ``qs_t0`` defaults to the first posterior since :meth:`reset` (with MMP, as
        pymdp: the prior of the current window, :attr:`latest_belief`). Only
        ``factors_to_learn`` are updated; D becomes the expected value of pD.
        """
        if self._model.pD is None:
            raise UsageError("update_D needs the model's pD (Dirichlet concentrations over D)")
        if qs_t0 is None:
            qs_t0 = self.latest_belief if self._algo == "MMP" else self._qs_first
            if qs_t0 is None:
                raise UsageError("update_D needs beliefs about the initial state: call infer_states first")
        self._refresh(self._learn_D([np.asarray(q) for q in qs_t0]))
        return self._model.pD


class _StackedA:
    """Learned modalities that depend on the same factors, their pA and A stacked as
    ``(sum O_m, prod S_f)`` arrays.

    A learning step then updates all of them with a few numpy operations, and the state
    and policy caches take the new A of all of them at once; the model's ``pA[m]`` and
    ``A[m]`` are read-only views of the stacks. Each operation is the one
    :func:`~aiops.inference.learning.update_pA` and the agent's per-array update do
    (same values, to the last bit), on the stacked rows.
    """

    def __init__(self, model, modalities: list[int], states, policies) -> None:
        self.modalities = modalities
        self.factors = list(model.A_factor_list[modalities[0]])
        self.shapes = [model.A[m].shape for m in modalities]
        ends = np.cumsum([shape[0] for shape in self.shapes]).tolist()
        self.bounds = [(e - shape[0], e) for shape, e in zip(self.shapes, ends)]
        self.names = [(f"agent.model.pA[{m}]", f"agent.model.A[{m}]") for m in modalities]
        self.state_rows = None if states is None else states.rows(modalities)
        self.policy_columns = policies.columns(modalities)
        self.p = self.a = None

    def load(self, model) -> None:
        """Stack the model's current pA and A of these modalities."""
        self.p = np.concatenate([np.asarray(model.pA[m]).reshape(len(model.pA[m]), -1) for m in self.modalities])
        self.a = np.concatenate([np.asarray(model.A[m]).reshape(len(model.A[m]), -1) for m in self.modalities])

    def learn(self, obs: list[int], qs: list[np.ndarray], lr: float, p_list: list, a_list: list) -> None:
        """One Dirichlet update from ``obs`` and beliefs ``qs``; puts the new arrays into the lists."""
        p, a = self.p.copy(), np.empty_like(self.p)
        evidence = learning.outer([qs[f] for f in self.factors]).reshape(-1)
        if lr != 1.0:  # (a product by 1.0 changes no bit: skipped)
            evidence = lr * evidence
        # A row at a time: on arrays this small one fancy-indexed update of all the rows costs more.
        for m, (start, end) in zip(self.modalities, self.bounds):
            row = p[start + obs[m]]  # only the observed outcome's row gains counts
            row += evidence * np.sign(self.a[start + obs[m]])
            c = p[start:end]
            np.divide(c, np.add.reduce(c, 0), out=a[start:end])
        p.setflags(write=False)
        a.setflags(write=False)
        self.p, self.a = p, a
        for m, shape, (start, end), (p_name, a_name) in zip(self.modalities, self.shapes, self.bounds, self.names):
            p_list[m] = freeze_view(p[start:end].reshape(shape), p_name)
            a_list[m] = freeze_view(a[start:end].reshape(shape), a_name)


def _which(selection, count: int) -> list[int]:
    return list(range(count)) if isinstance(selection, str) else list(selection)
