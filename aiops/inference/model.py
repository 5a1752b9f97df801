"""The generative model of a discrete POMDP agent: arrays A, B, C, D, E.

Shapes (``S_f`` states of factor ``f``, ``O_m`` outcomes of modality ``m``,
``U_f`` controls of factor ``f``):

- ``A[m]``: ``(O_m, S_f for f in A_factor_list[m])``, columns sum to 1;
- ``B[f]``: ``(S_f, S_g for g in B_factor_list[f], U_f)``, ``B[f][s', s, u] = P(s' | s, u)``
  (by default ``B_factor_list[f] == [f]``: each factor's dynamics depend on itself only);
- ``C[m]``: ``(O_m,)`` relative log preferences over outcomes (softmaxed when used);
- ``D[f]``: ``(S_f,)`` prior over initial states;
- ``E``: ``(num_policies,)`` prior over policies (habits), optional;
- ``pA``, ``pB``, ``pD``: optional Dirichlet concentrations shaped like ``A``, ``B`` and ``D``.

A model you build is an ordinary mutable dataclass. An :class:`~aiops.inference.Agent`
keeps a *frozen* copy (:meth:`GenerativeModel.frozen`): its arrays are read-only, an
edit in place raises :class:`~aiops.inference.frozen.ReadOnlyModelError`, and
assigning a new value (``agent.model.C = ...``) is validated and reaches the agent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from aiops.core.errors import UsageError
from aiops.inference.frozen import ReadOnlyModelError, freeze_array, freeze_arrays, freeze_index_lists

_ATOL = 1e-6
ARRAY_LISTS = ("A", "B", "C", "D", "pA", "pB", "pD")
ASSIGNABLE = ARRAY_LISTS + ("E",)
FIELDS = ARRAY_LISTS + ("E", "A_factor_list", "B_factor_list", "name", "labels")


def _arrays(value, name: str) -> list[np.ndarray]:
    """A list of float64 arrays from a list, an object array (pymdp) or one numeric array."""
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.dtype != object:
        value = [value]
    try:
        return [np.array(v, dtype=np.float64) for v in value]
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{name} is not a list of numeric arrays ({exc})") from None


def _index_lists(value, name: str) -> list[list[int]] | None:
    if value is None:
        return None
    try:
        return [[int(f) for f in fs] for fs in value]
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a list of lists of factor indices, got {value!r}") from None


@dataclass(eq=False)
class GenerativeModel:
    """A multi-factor, multi-modality generative model; see the module docstring."""

    A: list[np.ndarray]
    B: list[np.ndarray]
    C: list[np.ndarray] | None = None
    D: list[np.ndarray] | None = None
    E: np.ndarray | None = None
    pA: list[np.ndarray] | None = None
    pB: list[np.ndarray] | None = None
    A_factor_list: list[list[int]] | None = None
    name: str = "custom"
    labels: dict = field(default_factory=dict)
    B_factor_list: list[list[int]] | None = None
    pD: list[np.ndarray] | None = None

    def __post_init__(self) -> None:
        self.A = _arrays(self.A, "A") or []
        self.B = _arrays(self.B, "B") or []
        self.pA = _arrays(self.pA, "pA")
        self.pB = _arrays(self.pB, "pB")
        self.pD = _arrays(self.pD, "pD")
        self.A_factor_list = _index_lists(self.A_factor_list, "A_factor_list")
        if self.A_factor_list is None:
            self.A_factor_list = [list(range(len(self.B))) for _ in self.A]
        self.B_factor_list = _index_lists(self.B_factor_list, "B_factor_list")
        if self.B_factor_list is None:
            self.B_factor_list = [[f] for f in range(len(self.B))]
        self.C = [np.zeros(a.shape[0]) for a in self.A] if self.C is None else _arrays(self.C, "C")
        if self.D is None:
            # As pymdp: without D, the expected value of pD if given, else uniform.
            self.D = ([p / p.sum() for p in self.pD] if self.pD is not None
                      else [np.full(b.shape[0], 1.0 / b.shape[0]) for b in self.B])
        else:
            self.D = _arrays(self.D, "D")
        if self.E is not None:
            self.E = np.array(self.E, dtype=np.float64)

    # -- dimensions ------------------------------------------------------------------------

    @property
    def num_states(self) -> list[int]:
        """Number of states of each hidden-state factor."""
        return [int(b.shape[0]) for b in self.B]

    @property
    def num_obs(self) -> list[int]:
        """Number of outcomes of each observation modality."""
        return [int(a.shape[0]) for a in self.A]

    @property
    def num_controls(self) -> list[int]:
        """Number of control states (actions) of each factor."""
        return [int(b.shape[-1]) if b.ndim >= 3 else 0 for b in self.B]

    @property
    def num_factors(self) -> int:
        """Number of hidden-state factors."""
        return len(self.B)

    @property
    def num_modalities(self) -> int:
        """Number of observation modalities."""
        return len(self.A)

    @property
    def interacting(self) -> bool:
        """True when some factor's dynamics depend on other factors (``B_factor_list``)."""
        return any(fs != [f] for f, fs in enumerate(self.B_factor_list))

    # -- validation ------------------------------------------------------------------------

    def validate(self) -> GenerativeModel:
        """Check shapes, finiteness and normalisation; raise UsageError naming the array."""
        if not self.B:
            raise UsageError("B is empty: the model needs at least one hidden-state factor")
        if not self.A:
            raise UsageError("A is empty: the model needs at least one observation modality")
        ns = self.num_states
        if len(self.B_factor_list) != len(ns) and all(fs == [f] for f, fs in enumerate(self.B_factor_list)):
            self.B_factor_list = [[f] for f in range(len(ns))]  # the default, for factors added or dropped
        self._validate_factor_list("B_factor_list", self.B_factor_list, len(ns), sorted_=False)
        for f, (b, fs) in enumerate(zip(self.B, self.B_factor_list)):
            expected = tuple(ns[g] for g in fs)
            if b.ndim != len(fs) + 2 or b.shape[1:-1] != expected or b.shape[0] == 0 or b.shape[-1] == 0:
                raise UsageError(f"B[{f}] has shape {b.shape}; expected ({b.shape[0]}, "
                                 f"{', '.join(map(str, expected))}, U) from num_states {ns}"
                                 + ("" if fs == [f] else f" and B_factor_list[{f}] = {fs}"))
            _check_distribution(b, f"B[{f}]", "columns do not sum to 1")
        self._validate_factor_list("A_factor_list", self.A_factor_list, len(ns), sorted_=True)
        if len(self.A_factor_list) != len(self.A):
            raise UsageError(f"A_factor_list has {len(self.A_factor_list)} entries; expected {len(self.A)}")
        for m, (a, fs) in enumerate(zip(self.A, self.A_factor_list)):
            expected = tuple(ns[f] for f in fs)
            if a.ndim < 2 or a.shape[1:] != expected or a.shape[0] == 0:
                raise UsageError(
                    f"A[{m}] has shape {a.shape}; expected (O, {', '.join(map(str, expected))}) "
                    f"from num_states {ns}"
                )
            _check_distribution(a, f"A[{m}]", "columns do not sum to 1")
        self._validate_vectors()
        self._validate_dirichlet("pA", self.pA, self.A)
        self._validate_dirichlet("pB", self.pB, self.B)
        self._validate_dirichlet("pD", self.pD, self.D)
        return self

    @staticmethod
    def _validate_factor_list(name: str, lists, num_factors: int, sorted_: bool) -> None:
        if name == "B_factor_list" and len(lists) != num_factors:
            raise UsageError(f"B_factor_list has {len(lists)} entries; expected {num_factors}")
        for i, fs in enumerate(lists):
            ok = fs and all(0 <= f < num_factors for f in fs) and len(set(fs)) == len(fs)
            if not ok or (sorted_ and list(fs) != sorted(fs)):
                order = "increasing" if sorted_ else "distinct"
                raise UsageError(f"{name}[{i}] = {list(fs)} must list {order} factor indices below {num_factors}")

    def _validate_vectors(self) -> None:
        for name, vecs, sizes in (("C", self.C, self.num_obs), ("D", self.D, self.num_states)):
            if len(vecs) != len(sizes):
                raise UsageError(f"{name} has {len(vecs)} arrays; expected {len(sizes)}")
            for i, (v, n) in enumerate(zip(vecs, sizes)):
                if v.shape != (n,):
                    raise UsageError(f"{name}[{i}] has shape {v.shape}; expected ({n},)")
                if not np.all(np.isfinite(v)):
                    raise UsageError(f"{name}[{i}] contains NaN or infinite values")
        for f, d in enumerate(self.D):
            _check_distribution(d, f"D[{f}]", "does not sum to 1")
        if self.E is not None:
            if self.E.ndim != 1 or self.E.size == 0:
                raise UsageError(f"E has shape {self.E.shape}; expected (num_policies,)")
            _check_distribution(self.E, "E", "does not sum to 1")

    @staticmethod
    def _validate_dirichlet(name: str, params, like) -> None:
        if params is None:
            return
        if len(params) != len(like):
            raise UsageError(f"{name} has {len(params)} arrays; expected {len(like)}")
        for i, (p, x) in enumerate(zip(params, like)):
            if p.shape != x.shape:
                raise UsageError(f"{name}[{i}] has shape {p.shape}; expected {x.shape}")
            if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p.sum(axis=0) <= 0):
                raise UsageError(f"{name}[{i}] must be finite, non-negative, with positive column sums")

    # -- copies ----------------------------------------------------------------------------

    def copy(self) -> GenerativeModel:
        """A mutable deep copy (of a frozen model too: its arrays become writable)."""
        cp = lambda xs: None if xs is None else [np.array(x) for x in xs]  # noqa: E731
        return GenerativeModel(
            A=cp(self.A), B=cp(self.B), C=cp(self.C), D=cp(self.D),
            E=None if self.E is None else np.array(self.E), pA=cp(self.pA), pB=cp(self.pB), pD=cp(self.pD),
            A_factor_list=[list(fs) for fs in self.A_factor_list],
            B_factor_list=[list(fs) for fs in self.B_factor_list], name=self.name, labels=dict(self.labels),
        )

    def replace(self, **changes) -> GenerativeModel:
        """A mutable copy with some fields replaced: ``model.replace(C=new_C)``.

        This is how to change an agent's model: ``agent.model = agent.model.replace(...)``
        (or assign one field, ``agent.C = new_C``). The copy is not validated here.
        """
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise UsageError(f"GenerativeModel has no field {unknown[0]!r}; fields: {', '.join(FIELDS)}")
        base = self.copy()
        values = {k: getattr(base, k) for k in FIELDS if k not in changes}
        return GenerativeModel(**values, **changes)

    def frozen(self, listener: Callable[[str, object], None] | None = None) -> GenerativeModel:
        """A validated, read-only copy (what an Agent keeps); see the module docstring.

        ``listener(field, value)`` is called when a field of the frozen copy is assigned
        (after the value is validated against the model); it must commit the value with
        :meth:`commit` (or raise to refuse it).
        """
        model = self.copy().validate()
        for key in ARRAY_LISTS:
            object.__setattr__(model, key, freeze_arrays(getattr(model, key), key))
        if model.E is not None:
            object.__setattr__(model, "E", freeze_array(model.E, "agent.model.E"))
        for key in ("A_factor_list", "B_factor_list"):
            object.__setattr__(model, key, freeze_index_lists(getattr(model, key), key))
        object.__setattr__(model, "_listener", listener)
        return model

    def __deepcopy__(self, memo) -> GenerativeModel:
        return self.copy()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_listener", None)  # a pickled copy is an ordinary (mutable) model
        return state

    @property
    def is_frozen(self) -> bool:
        """True for an agent's read-only copy."""
        return "_listener" in self.__dict__

    def __setattr__(self, name: str, value) -> None:
        if "_listener" not in self.__dict__:
            object.__setattr__(self, name, value)
            return
        if name in ("name", "labels"):
            object.__setattr__(self, name, value)
            return
        if name not in ASSIGNABLE:
            raise ReadOnlyModelError(
                f"agent.model.{name} cannot change on a built agent (its structure is compiled); "
                f"assign a whole new model instead: agent.model = agent.model.replace({name}=...)"
            )
        candidate = self.replace(**{name: value}).validate()
        if (candidate.num_states, candidate.num_obs, candidate.num_controls) != (
                self.num_states, self.num_obs, self.num_controls):
            raise UsageError(f"the new {name} changes the model's dimensions; build a new Agent for that")
        new = getattr(candidate, name)
        if name != "E":
            new = freeze_arrays(new, name)
        elif new is not None:
            new = freeze_array(new, "agent.model.E")
        listener = self.__dict__["_listener"]
        if listener is None:
            self.commit(name, new)
        else:
            listener(name, new)

    def commit(self, name: str, value) -> None:
        """Store an already validated and frozen value (for the owning agent)."""
        object.__setattr__(self, name, value)

    def detach(self) -> None:
        """Stop notifying the agent (when it replaces this model with another)."""
        object.__setattr__(self, "_listener", None)

    def to_dict(self) -> dict:
        """Dimensions of the model (not the arrays), JSON-safe."""
        return {
            "name": self.name,
            "num_states": self.num_states,
            "num_obs": self.num_obs,
            "num_controls": self.num_controls,
            "A_factor_list": [list(fs) for fs in self.A_factor_list],
            "B_factor_list": [list(fs) for fs in self.B_factor_list],
            "learnable": {"A": self.pA is not None, "B": self.pB is not None, "D": self.pD is not None},
        }


def _check_distribution(x: np.ndarray, name: str, problem: str) -> None:
    if not np.all(np.isfinite(x)):
        raise UsageError(f"{name} contains NaN or infinite values")
    if np.any(x < 0):
        raise UsageError(f"{name} has negative entries")
    if not np.allclose(x.sum(axis=0), 1.0, rtol=0.0, atol=_ATOL):
        raise UsageError(f"{name} {problem}")


def dirichlet_from(arrays: list[np.ndarray], scale: float = 1.0) -> list[np.ndarray]:
    """Dirichlet concentrations proportional to ``arrays`` (a common way to seed pA/pB/pD)."""
    return [np.asarray(a, dtype=np.float64) * scale for a in arrays]


def indices(which, count: int) -> list[int]:
    """The modalities or factors a change names: ``which``, or all ``count`` of them for ``None``."""
    return list(range(count)) if which is None else list(which)


def as_slice(index: np.ndarray) -> slice | np.ndarray:
    """An index array as a slice when it is a run of consecutive integers (a view, not a copy)."""
    start = int(index[0])
    if np.array_equal(index, np.arange(start, start + len(index))):
        return slice(start, start + len(index))
    return index


def normalise(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Expected distributions of Dirichlet concentrations (columns divided by their sums)."""
    return [np.asarray(p) / np.asarray(p).sum(axis=0) for p in arrays]
