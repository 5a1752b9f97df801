"""The numpy active inference core: generative models, inference, control, learning, worlds.

    >>> from aiops.inference import Agent, build_model
    >>> model, env = build_model("tmaze")
    >>> agent = Agent(model, policy_len=1, seed=0)
    >>> res = agent.infer(env.reset())
    >>> obs, info = env.step(res.action)

pymdp users can build an agent straight from (object) arrays and keep pymdp's names:

    >>> agent = Agent(A=model.A, B=model.B, C=model.C, D=model.D, inference_algo="MMP",
    ...               inference_horizon=3, sampling_mode="full")
    >>> agent.C = [c * 2 for c in agent.C]   # takes effect; agent.C[0][:] = ... raises
"""

from aiops.inference.agent import DEFAULT_SEED, Agent, StepResult
from aiops.inference.conventions import EXACT, PYMDP, Conventions
from aiops.inference.envs import GridWorldEnv, ModelEnv, TMazeEnv
from aiops.inference.files import load_model, save_model
from aiops.inference.frozen import ReadOnlyModelError
from aiops.inference.model import GenerativeModel, dirichlet_from, normalise
from aiops.inference.policies import construct_policies
from aiops.inference.worlds import build_model, grid_model, key_grid_model, random_model, tmaze_model

__all__ = [
    "Agent", "StepResult", "DEFAULT_SEED", "Conventions", "PYMDP", "EXACT", "GenerativeModel",
    "ReadOnlyModelError", "ModelEnv", "TMazeEnv", "GridWorldEnv", "build_model", "tmaze_model",
    "grid_model", "key_grid_model", "random_model", "construct_policies", "dirichlet_from", "normalise",
    "load_model", "save_model",
]
