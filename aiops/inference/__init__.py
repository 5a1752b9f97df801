"""The numpy active inference core: generative models, inference, control, learning, worlds.

    >>> from aiops.inference import Agent, build_model
    >>> model, env = build_model("tmaze")
    >>> agent = Agent(model, policy_len=1, seed=0)
    >>> res = agent.infer(env.reset())
    >>> obs, info = env.step(res.action)
"""

from aiops.inference.agent import Agent, StepResult
from aiops.inference.conventions import EXACT, PYMDP, Conventions
from aiops.inference.envs import GridWorldEnv, ModelEnv, TMazeEnv
from aiops.inference.files import load_model, save_model
from aiops.inference.model import GenerativeModel, dirichlet_from, normalise
from aiops.inference.policies import construct_policies
from aiops.inference.worlds import build_model, grid_model, random_model, tmaze_model

__all__ = [
    "Agent", "StepResult", "Conventions", "PYMDP", "EXACT", "GenerativeModel", "ModelEnv",
    "TMazeEnv", "GridWorldEnv", "build_model", "tmaze_model", "grid_model", "random_model",
    "construct_policies", "dirichlet_from", "normalise", "load_model", "save_model",
]
