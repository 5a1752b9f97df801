"""The generative model of a discrete POMDP agent: arrays A, B, C, D, E.

Shapes (``S_f`` states of factor ``f``, ``O_m`` outcomes of modality ``m``,
``U_f`` controls of factor ``f``):

- ``A[m]``: ``(O_m, S_f for f in A_factor_list[m])``, columns sum to 1;
- ``B[f]``: ``(S_f, S_f, U_f)``, ``B[f][s', s, u] = P(s' | s, u)``, columns sum to 1;
- ``C[m]``: ``(O_m,)`` relative log preferences over outcomes (softmaxed when used);
- ``D[f]``: ``(S_f,)`` prior over initial states;
- ``E``: ``(num_policies,)`` prior over policies (habits), optional;
- ``pA``, ``pB``: optional Dirichlet concentrations shaped like ``A`` and ``B``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from aiops.core.errors import UsageError

_ATOL = 1e-6


def _arrays(value, name: str) -> list[np.ndarray]:
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.dtype != object:
        value = [value]
    try:
        return [np.array(v, dtype=np.float64) for v in value]
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{name} is not a list of numeric arrays ({exc})") from None


@dataclass
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

    def __post_init__(self) -> None:
        self.A = _arrays(self.A, "A") or []
        self.B = _arrays(self.B, "B") or []
        self.pA = _arrays(self.pA, "pA")
        self.pB = _arrays(self.pB, "pB")
        if self.A_factor_list is None:
            self.A_factor_list = [list(range(len(self.B))) for _ in self.A]
        else:
            self.A_factor_list = [[int(f) for f in fs] for fs in self.A_factor_list]
        if self.C is None:
            self.C = [np.zeros(a.shape[0]) for a in self.A]
        else:
            self.C = _arrays(self.C, "C")
        if self.D is None:
            self.D = [np.full(b.shape[0], 1.0 / b.shape[0]) for b in self.B]
        else:
            self.D = _arrays(self.D, "D")
        if self.E is not None:
            self.E = np.array(self.E, dtype=np.float64)

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
        return [int(b.shape[-1]) if b.ndim == 3 else 0 for b in self.B]

    @property
    def num_factors(self) -> int:
        """Number of hidden-state factors."""
        return len(self.B)

    @property
    def num_modalities(self) -> int:
        """Number of observation modalities."""
        return len(self.A)

    def validate(self) -> GenerativeModel:
        """Check shapes, finiteness and normalisation; raise UsageError naming the array."""
        if not self.B:
            raise UsageError("B is empty: the model needs at least one hidden-state factor")
        if not self.A:
            raise UsageError("A is empty: the model needs at least one observation modality")
        for f, b in enumerate(self.B):
            if b.ndim != 3 or b.shape[0] != b.shape[1] or 0 in b.shape:
                raise UsageError(f"B[{f}] has shape {b.shape}; expected (S, S, U)")
            _check_distribution(b, f"B[{f}]", "columns do not sum to 1")
        ns = self.num_states
        if len(self.A_factor_list) != len(self.A):
            raise UsageError(f"A_factor_list has {len(self.A_factor_list)} entries; expected {len(self.A)}")
        for m, (a, fs) in enumerate(zip(self.A, self.A_factor_list)):
            if not fs or any(not 0 <= f < len(ns) for f in fs) or list(fs) != sorted(set(fs)):
                raise UsageError(f"A_factor_list[{m}] = {fs} must list increasing factor indices below {len(ns)}")
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
        return self

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

    def copy(self) -> GenerativeModel:
        """A deep copy (learning updates a copy, never the caller's arrays)."""
        cp = lambda xs: None if xs is None else [x.copy() for x in xs]  # noqa: E731
        return GenerativeModel(
            A=cp(self.A), B=cp(self.B), C=cp(self.C), D=cp(self.D),
            E=None if self.E is None else self.E.copy(), pA=cp(self.pA), pB=cp(self.pB),
            A_factor_list=[list(fs) for fs in self.A_factor_list], name=self.name,
            labels=dict(self.labels),
        )

    def to_dict(self) -> dict:
        """Dimensions of the model (not the arrays), JSON-safe."""
        return {
            "name": self.name,
            "num_states": self.num_states,
            "num_obs": self.num_obs,
            "num_controls": self.num_controls,
            "A_factor_list": self.A_factor_list,
            "learnable": {"A": self.pA is not None, "B": self.pB is not None},
        }


def _check_distribution(x: np.ndarray, name: str, problem: str) -> None:
    if not np.all(np.isfinite(x)):
        raise UsageError(f"{name} contains NaN or infinite values")
    if np.any(x < 0):
        raise UsageError(f"{name} has negative entries")
    if not np.allclose(x.sum(axis=0), 1.0, rtol=0.0, atol=_ATOL):
        raise UsageError(f"{name} {problem}")


def dirichlet_from(arrays: list[np.ndarray], scale: float = 1.0) -> list[np.ndarray]:
    """Dirichlet concentrations proportional to ``arrays`` (a common way to seed pA/pB)."""
    return [np.asarray(a, dtype=np.float64) * scale for a in arrays]


def normalise(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Expected distributions of Dirichlet concentrations (columns divided by their sums)."""
    return [p / p.sum(axis=0) for p in arrays]
