"""Drive ``pymdp.legacy`` (inferactively-pymdp 1.0.4) and our core over the same steps.

``pymdp_trace`` runs pymdp's Agent closed-loop against one of our environments and
records, per step, the observation, the posterior, its free energy, ``G``, ``q_pi``
and pymdp's action. ``replay`` feeds the same observations and actions to our Agent
and records the same quantities, so the two can be compared entry by entry.

pymdp traps handled here: its Agent constructor ignores ``inference_params`` (they are
set after construction); its ``G`` is the negative expected free energy, as ours; the
joint-outcome information gain is its non-factorised ``update_posterior_policies``;
deterministic action selection breaks ties with the global ``np.random``.
"""

from __future__ import annotations

import numpy as np

from aiops.inference import Agent, GenerativeModel

FIELDS = ("obs", "action", "qs", "F", "G", "q_pi")


def _obj(arrays):
    out = np.empty(len(arrays), dtype=object)
    for i, a in enumerate(arrays):
        out[i] = np.array(a, dtype=np.float64)
    return out


def pymdp_trace(model: GenerativeModel, env, steps: int, policy_len: int = 1, *,
                info_gain: str = "per_modality", num_iter: int | None = None,
                dF_tol: float | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Run pymdp.legacy's Agent for ``steps`` steps; return the per-step records."""
    from pymdp.legacy import control, maths, utils
    from pymdp.legacy.agent import Agent as PymdpAgent

    np.random.seed(seed)  # pymdp breaks ties in deterministic selection with np.random
    dense = all(fs == list(range(model.num_factors)) for fs in model.A_factor_list)
    kwargs = {} if dense else {"A_factor_list": model.A_factor_list}
    agent = PymdpAgent(A=_obj(model.A), B=_obj(model.B), C=_obj(model.C), D=_obj(model.D),
                       policy_len=policy_len, **kwargs)
    if num_iter is not None or dF_tol is not None:
        params = dict(agent.inference_params)
        params.update({k: v for k, v in (("num_iter", num_iter), ("dF_tol", dF_tol)) if v is not None})
        agent.inference_params = params  # the constructor ignores inference_params
    rec = {k: [] for k in FIELDS}
    obs = env.reset()
    for _ in range(steps):
        if agent.action is None:
            prior = agent.D
        else:
            prior = control.get_expected_states_interactions(
                agent.qs, agent.B, agent.B_factor_list, agent.action.reshape(1, -1))[0]
        qs = agent.infer_states(obs)
        log_l = np.zeros(model.num_states)
        for m, a_m in enumerate(agent.A):
            lik = maths.dot_likelihood(a_m, utils.onehot(obs[m], model.num_obs[m]))
            shape = [1] * model.num_factors
            for f in model.A_factor_list[m]:
                shape[f] = model.num_states[f]
            log_l = log_l + maths.spm_log_single(lik).reshape(shape)
        F = maths.calc_free_energy(qs, maths.spm_log_obj_array(utils.to_obj_array(prior)),
                                   model.num_factors, log_l)
        if info_gain == "joint":
            q_pi, G = control.update_posterior_policies(qs, agent.A, agent.B, agent.C, agent.policies,
                                                        E=agent.E, gamma=agent.gamma)
            agent.q_pi, agent.G = q_pi, G
        else:
            q_pi, G = agent.infer_policies()
        action = agent.sample_action()
        for key, value in (("obs", obs), ("action", action), ("qs", np.concatenate(list(qs))),
                           ("F", float(np.squeeze(F))), ("G", G), ("q_pi", q_pi)):
            rec[key].append(value)
        obs, _ = env.step([int(a) for a in action])
    return {k: np.array(v, dtype=int if k in ("obs", "action") else float) for k, v in rec.items()}


def replay(model: GenerativeModel, trace: dict[str, np.ndarray], policy_len: int = 1, *,
           info_gain: str = "per_modality", num_iter: int = 10, dF_tol: float = 0.001) -> dict[str, np.ndarray]:
    """Our Agent over the observations of ``trace``, taking the trace's actions."""
    agent = Agent(model, policy_len=policy_len, info_gain=info_gain, num_iter=num_iter, dF_tol=dF_tol, seed=0)
    rec = {k: [] for k in FIELDS}
    for obs, action in zip(trace["obs"], trace["action"]):
        qs = agent.infer_states(obs.tolist())
        q_pi, G = agent.infer_policies()
        agent.set_action(action)
        for key, value in (("obs", obs), ("action", action), ("qs", np.concatenate(qs)),
                           ("F", agent.free_energy), ("G", G), ("q_pi", q_pi)):
            rec[key].append(value)
    return {k: np.array(v, dtype=int if k in ("obs", "action") else float) for k, v in rec.items()}


def max_errors(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, float]:
    """Largest absolute difference per quantity."""
    return {k: float(np.max(np.abs(a[k] - b[k]))) for k in ("qs", "F", "G", "q_pi")}


def pack(cases: dict[str, dict]) -> dict[str, np.ndarray]:
    """Many small arrays as one float vector plus a JSON index (npz entries cost ~250 B each).

    ``cases[name]`` maps keys to arrays; integer arrays and other JSON values go into
    the index as they are.
    """
    import json

    chunks, index, offset = [], {}, 0
    for name, entries in cases.items():
        index[name] = {}
        for key, value in entries.items():
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                chunks.append(value.ravel())
                index[name][key] = {"offset": offset, "shape": list(value.shape)}
                offset += value.size
            else:
                index[name][key] = {"json": value.tolist() if isinstance(value, np.ndarray) else value}
    return {"data": np.concatenate(chunks), "index": np.array(json.dumps(index))}


def unpack(path) -> dict[str, dict]:
    """Inverse of :func:`pack`, from an ``.npz`` file."""
    import json

    with np.load(path) as z:
        data, index = z["data"], json.loads(str(z["index"]))
    out = {}
    for name, entries in index.items():
        out[name] = {}
        for key, spec in entries.items():
            if "json" in spec:
                out[name][key] = spec["json"]
            else:
                size = int(np.prod(spec["shape"]))
                out[name][key] = data[spec["offset"]: spec["offset"] + size].reshape(spec["shape"])
    return out
