"""Built-in generative models: T-maze, grid world, seeded random models; ``build_model``."""

from __future__ import annotations

import numpy as np

from aiops.core.errors import UsageError
from aiops.inference.envs import GridWorldEnv, ModelEnv, TMazeEnv
from aiops.inference.model import GenerativeModel

GRID_ACTIONS = ("UP", "RIGHT", "DOWN", "LEFT", "STAY")
MAX_GRID = 40


def tmaze_model(reward_prob: float = 0.98, reward_pref: float = 3.0, interacting: bool = False) -> GenerativeModel:
    """The T-maze: states [4, 2], outcomes [4, 3, 2], controls [4, 1] (as pymdp's TMazeEnv).

    With ``interacting`` the context's (static) dynamics are written as depending on
    the location too (``B_factor_list = [[0], [0, 1]]``): the same agent, through the
    interacting-factor code paths.
    """
    A = [np.zeros((4, 4, 2)), np.zeros((3, 4, 2)), np.zeros((2, 4, 2))]
    for loc in range(4):
        for ctx in range(2):
            A[0][loc, loc, ctx] = 1.0
            if loc == 0:
                A[1][0, loc, ctx] = 1.0
                A[2][:, loc, ctx] = 0.5
            elif loc == 3:
                A[1][0, loc, ctx] = 1.0
                A[2][ctx, loc, ctx] = 1.0
            else:
                good = 1 if loc == ctx + 1 else 2
                A[1][good, loc, ctx] = reward_prob
                A[1][3 - good, loc, ctx] = 1.0 - reward_prob
                A[2][:, loc, ctx] = 0.5
    b_loc = np.zeros((4, 4, 4))
    for u in range(4):
        b_loc[u, :, u] = 1.0  # the action is the destination
    B = [b_loc, np.eye(2).reshape(2, 2, 1)]
    if interacting:
        B[1] = np.broadcast_to(np.eye(2)[:, None, :, None], (2, 4, 2, 1)).copy()
    C = [np.zeros(4), np.array([0.0, reward_pref, -reward_pref]), np.zeros(2)]
    D = [np.array([1.0, 0.0, 0.0, 0.0]), np.array([0.5, 0.5])]
    labels = {
        "factors": ["location", "context"], "modalities": ["location", "reward", "cue"],
        "location": ["centre", "left", "right", "cue"],
    }
    return GenerativeModel(A=A, B=B, C=C, D=D, name="tmaze", labels=labels,
                           B_factor_list=[[0], [0, 1]] if interacting else None)


def grid_model(n: int, noise: float = 0.1, goal: int | None = None) -> GenerativeModel:
    """An n x n grid: one location factor (n*n states, 5 actions), two modalities.

    Location is observed with probability ``1 - noise``, otherwise as a uniformly
    chosen neighbouring cell; the second modality reports [away, at goal]. Preferences
    fall with Manhattan distance to the goal (bottom-right by default) and favour it.
    """
    s = n * n
    goal = s - 1 if goal is None else goal
    ys, xs = np.divmod(np.arange(s), n)
    moves = [(-1, 0), (0, 1), (1, 0), (0, -1), (0, 0)]
    B = np.zeros((s, s, 5))
    for u, (dy, dx) in enumerate(moves):
        ny, nx = np.clip(ys + dy, 0, n - 1), np.clip(xs + dx, 0, n - 1)
        B[ny * n + nx, np.arange(s), u] = 1.0
    adjacent = (np.abs(ys[:, None] - ys[None, :]) + np.abs(xs[:, None] - xs[None, :])) == 1
    a_loc = (1.0 - noise) * np.eye(s) + noise * adjacent / adjacent.sum(axis=0, keepdims=True)
    a_goal = np.zeros((2, s))
    a_goal[0], a_goal[1, goal], a_goal[0, goal] = 1.0, 1.0, 0.0
    dist = np.abs(ys - ys[goal]) + np.abs(xs - xs[goal])
    C = [-0.5 * dist.astype(float), np.array([0.0, 3.0])]
    D = np.full(s, 1e-3 / (s - 1))
    D[0] = 1.0 - 1e-3
    labels = {"factors": ["location"], "modalities": ["location", "goal"], "actions": list(GRID_ACTIONS)}
    return GenerativeModel(A=[a_loc, a_goal], B=[B], C=C, D=[D], name=f"grid:{n}", labels=labels)


def key_grid_model(n: int, noise: float = 0.1, key: int | None = None) -> GenerativeModel:
    """An n x n grid where the goal pays only with the key: interacting factors.

    Factors: location (n*n states, 5 actions as :func:`grid_model`) and key
    [without, with], picked up on the key cell (its dynamics depend on location and
    key: ``B_factor_list = [[0], [0, 1]]``). Modalities: location (noisy, as
    :func:`grid_model`), reward [none, reward] at the goal with the key (depends on
    both factors), and whether the key is held (depends on the key alone).
    """
    base = grid_model(n, noise)
    s = n * n
    goal = s - 1
    key = (n - 1) if key is None else key  # top-right by default
    b_key = np.zeros((2, s, 2, 1))
    b_key[1, :, 1, 0] = 1.0  # a held key stays held
    b_key[0, :, 0, 0] = 1.0
    b_key[:, key, 0, 0] = [0.0, 1.0]  # picked up on the key cell
    a_reward = np.zeros((2, s, 2))
    a_reward[0] = 1.0
    a_reward[:, goal, 1] = [0.0, 1.0]
    a_key = np.eye(2)
    C = [base.C[0], np.array([0.0, 4.0]), np.array([0.0, 0.5])]
    D_key = np.array([1.0 - 1e-3, 1e-3])
    labels = {"factors": ["location", "key"], "modalities": ["location", "reward", "key"],
              "actions": list(GRID_ACTIONS)}
    return GenerativeModel(A=[base.A[0], a_reward, a_key], B=[base.B[0], b_key], C=C, D=[base.D[0], D_key],
                           A_factor_list=[[0], [0, 1], [1]], B_factor_list=[[0], [0, 1]],
                           name=f"keygrid:{n}", labels=labels)


def random_model(
    seed: int, num_factors: int | None = None, num_modalities: int | None = None,
    max_states: int = 4, max_obs: int = 4, factorised: bool = False, concentration: float = 0.5,
    interacting: bool = False,
) -> GenerativeModel:
    """A seeded random model with 2-3 factors and 2-3 modalities (unless given).

    Every array is strictly positive (Dirichlet draws); factor 0 is always
    controllable. With ``factorised`` each modality depends on a random non-empty
    subset of the factors (``A_factor_list``) instead of all of them; with
    ``interacting`` each factor's dynamics depend on itself and a random subset of
    the other factors (``B_factor_list``), at least one factor on another.
    """
    rng = np.random.default_rng(seed)
    nf = int(num_factors or rng.integers(2, 4))
    nm = int(num_modalities or rng.integers(2, 4))
    ns = [int(x) for x in rng.integers(2, max_states + 1, size=nf)]
    no = [int(x) for x in rng.integers(2, max_obs + 1, size=nm)]
    nu = [int(rng.integers(2, 4))] + [int(rng.integers(1, 4)) for _ in range(nf - 1)]
    factor_list = [list(range(nf)) for _ in range(nm)]
    if factorised:
        for m in range(nm):
            k = int(rng.integers(1, nf + 1))
            factor_list[m] = sorted(int(f) for f in rng.choice(nf, size=k, replace=False))
    A = []
    for o, fs in zip(no, factor_list):
        shape = [ns[f] for f in fs]
        cols = _dirichlet(rng, o, int(np.prod(shape)), concentration)
        A.append(cols.reshape([o] + shape))
    deps = [[f] for f in range(nf)]
    if interacting:
        for f in range(nf):
            others = [g for g in range(nf) if g != f and rng.random() < 0.5]
            deps[f] = sorted([f] + others)
        if all(d == [f] for f, d in enumerate(deps)):
            f = int(rng.integers(nf))
            deps[f] = sorted({f, (f + 1) % nf})
    B = []
    for f, (s, u) in enumerate(zip(ns, nu)):
        shape = [ns[g] for g in deps[f]]
        cols = [_dirichlet(rng, s, int(np.prod(shape)), concentration).reshape([s] + shape) for _ in range(u)]
        B.append(np.stack(cols, axis=-1))
    C = [rng.normal(0.0, 1.0, size=o) for o in no]
    D = [_dirichlet(rng, s, 1, 2.0)[:, 0] for s in ns]
    return GenerativeModel(A=A, B=B, C=C, D=D, A_factor_list=factor_list,
                           B_factor_list=deps if interacting else None, name=f"random:{seed}")


def _dirichlet(rng: np.random.Generator, n: int, cols: int, concentration: float) -> np.ndarray:
    """``cols`` Dirichlet draws of size ``n`` as columns, floored away from exact zero."""
    x = rng.dirichlet(np.full(n, concentration), size=cols).T + 1e-6
    return x / x.sum(axis=0, keepdims=True)


def build_model(name: str, seed: int | None = 0) -> tuple[GenerativeModel, ModelEnv]:
    """A built-in model and its environment: ``tmaze``, ``grid:N``, ``random:SEED``, or FILE.npz.

    ``seed`` seeds the environment's sampling. A file's model is validated and gets a
    generic environment sampling from its own arrays. Raises UsageError on an unknown
    name or an invalid model (naming the offending array).
    """
    if str(name).endswith(".npz"):
        from aiops.inference.files import load_model

        model = load_model(name).validate()
        return model, ModelEnv(model, seed)
    kind, _, arg = str(name).strip().partition(":")
    if kind == "tmaze" and not arg:
        model = tmaze_model()
        return model, TMazeEnv(model, seed)
    if kind == "grid":
        n = _int_arg(name, arg, "grid:N with N >= 2")
        if not 2 <= n <= MAX_GRID:
            raise UsageError(f"model {name!r}: grid size must be between 2 and {MAX_GRID}")
        model = grid_model(n)
        return model, GridWorldEnv(model, seed)
    if kind == "random":
        model = random_model(_int_arg(name, arg, "random:SEED with SEED >= 0"))
        return model, ModelEnv(model, seed)
    raise UsageError(f"unknown model {name!r}", hint="use tmaze, grid:N, random:SEED or a FILE.npz")


def _int_arg(name: str, arg: str, expected: str) -> int:
    try:
        value = int(arg)
    except ValueError:
        raise UsageError(f"model {name!r}: expected {expected}") from None
    if value < 0:
        raise UsageError(f"model {name!r}: expected {expected}")
    return value
